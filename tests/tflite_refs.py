"""The two .tflite references the tests compare tinygen with, on in-memory model bytes:
TFLite Micro's host interpreter (the arbiter) and LiteRT's reference kernels."""

from __future__ import annotations

import numpy as np
import pytest

tflm = pytest.importorskip("tflite_micro.python.tflite_micro.runtime")
litert = pytest.importorskip("ai_edge_litert.interpreter")

ARENA_BYTES = 1 << 20


def tflm_interpreter(model: bytes, preserve_all: bool = False):
    config = (tflm.InterpreterConfig.kPreserveAllTensors if preserve_all
              else tflm.InterpreterConfig.kAllocationRecording)
    return tflm.Interpreter.from_bytes(model, arena_size=ARENA_BYTES, intrepreter_config=config)


def tflm_run(model: bytes, xs) -> tuple[np.ndarray, ...]:
    """Output 0 of TFLM for every input."""
    interp = tflm_interpreter(model)
    outs = []
    for x in xs:
        interp.set_input(x, 0)
        interp.invoke()
        outs.append(np.array(interp.get_output(0)))
    return tuple(outs)


def litert_run(model: bytes, xs) -> list[np.ndarray]:
    """Output 0 of LiteRT's BUILTIN_REF kernels (not XNNPACK, which is not bit-exact) for every input."""
    interp = litert.Interpreter(model_content=model, experimental_op_resolver_type=litert.OpResolverType.BUILTIN_REF)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0]["index"], interp.get_output_details()[0]["index"]
    outs = []
    for x in xs:
        interp.set_tensor(inp, x)
        interp.invoke()
        outs.append(interp.get_tensor(out).copy())
    return outs
