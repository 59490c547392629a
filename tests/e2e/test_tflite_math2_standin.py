""".tflite int8 operators that add or normalize quantized values on the f746zg stand-in: one model of
ADD_N (three inputs on one grid), CUMSUM (exclusive along one axis, reversed along another) and
LOG_SOFTMAX. Every layer the firmware computes equals the numpy reference byte for byte, and both
outputs equal TensorFlow Lite Micro's host interpreter (the single-operator cases against TFLite
Micro on the host: tests/frontend/test_tflite_ops.py, the cases of tests/tflite_math2_cases.py)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from e2e import assert_device_equals_reference, first_difference
from tflite_builder import ModelBuilder
from tflite_op_cases import act, int32s

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.session import input_bytes, split_outputs
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                 reason="the f746zg stand-in needs qemu-system-arm and arm-none-eabi-gcc")]

KERNELS = ["tg_maximum_s8", "tg_minimum_s8", "tg_add_n_s8", "tg_cumsum_s8", "tg_cumsum_s8", "tg_log_softmax_s8"]


def sums_model(rng) -> bytes:
    b = ModelBuilder("sums and log-softmax")
    shape = [1, 5, 6, 12]
    x = act(b, rng, "x", shape)
    q = b.tensors[x]
    grid = {"scale": q.scale, "zero_point": q.zero_point}
    lo = b.tensor("lo", [12], data=rng.integers(-128, 0, 12), **grid)
    hi = b.tensor("hi", [12], data=rng.integers(0, 128, 12), **grid)
    above, below = b.tensor("above", shape, **grid), b.tensor("below", shape, **grid)
    total, rows = act(b, rng, "total", shape), act(b, rng, "rows", shape, scale=0.4)
    columns = act(b, rng, "columns", shape, scale=0.5)
    y = b.tensor("log_probabilities", shape, scale=16 / 256, zero_point=127)
    b.op("MAXIMUM", [x, lo], [above], "MaximumMinimumOptions")
    b.op("MINIMUM", [x, hi], [below], "MaximumMinimumOptions")
    b.op("ADD_N", [x, above, below], [total], "AddNOptions")
    b.op("CUMSUM", [total, int32s(b, "axis1", [1])], [rows], "CumsumOptions", Exclusive=True)
    b.op("CUMSUM", [rows, int32s(b, "axis2", [2])], [columns], "CumsumOptions", Reverse=True)
    b.op("LOG_SOFTMAX", [total], [y], "LogSoftmaxOptions")
    return b.finish([x], [y, columns])


def test_tflite_math2_equal_tflm_on_f746zg_standin(tmp_path):
    tflm = pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    rng = np.random.default_rng(46)
    data = sums_model(rng)
    path = tmp_path / "sums.tflite"
    path.write_bytes(data)
    board = get_board("f746zg")
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features))
    assert sorted(n.kernel for n in graph.nodes if n.kernel) == sorted(KERNELS)
    result = build(source, graph, board, tmp_path / "fw")
    interp = tflm.Interpreter.from_bytes(data, arena_size=1 << 20)
    shape = graph.tensor(graph.inputs[0]).shape
    xs = [rng.integers(-128, 128, shape).astype(np.int8),
          np.clip(np.rint(rng.normal(0, 20, shape)), -128, 127).astype(np.int8)]
    with open_device(board, result.out_dir, emulate=True) as dev:
        for k, x in enumerate(xs):
            assert_device_equals_reference(dev, graph, x, f"sample {k}")
            interp.set_input(x, 0)
            interp.invoke()
            raw, _ = dev.run(input_bytes(x))
            for j, got in enumerate(split_outputs(graph, raw)):
                want = np.array(interp.get_output(j))
                assert got.dtype == want.dtype and np.array_equal(got.reshape(want.shape), want), \
                    f"sample {k}, output {j}: {first_difference(got, want)}"
