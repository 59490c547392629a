"""Call a host-built model (libtgmodel.so) from Python through its C API."""

from __future__ import annotations

import ctypes
import json
from pathlib import Path

import numpy as np

from tinygen.codegen.project import MANIFEST
from tinygen.ir import DTYPES


def _np_dtype(port: dict) -> np.dtype:
    """A manifest port's element type as numpy holds it (the host's byte order)."""
    dtype = port.get("dtype")
    return np.dtype(DTYPES[dtype][1] if dtype in DTYPES and dtype != "b1" else np.int8)


class HostModel:
    """A generated model compiled for the host, invoked through model.h's API."""

    def __init__(self, project: Path):
        project = Path(project)
        self.manifest = json.loads((project / MANIFEST).read_text())
        lib = ctypes.CDLL(str((project / "libtgmodel.so").resolve()))
        i8p = ctypes.POINTER(ctypes.c_int8)
        lib.tg_model_input.restype = i8p
        lib.tg_model_output.restype = i8p
        lib.tg_model_layer_output.restype = i8p
        lib.tg_model_layer_output_size.restype = ctypes.c_int32
        lib.tg_model_layer_name.restype = ctypes.c_char_p
        lib.tg_model_init()
        self._lib = lib
        self.inputs = self.manifest["inputs"]
        self.outputs = self.manifest["outputs"]
        self.layers = [layer["name"] for layer in self.manifest["layers"]]

    def _set_inputs(self, inputs) -> None:
        if len(inputs) != len(self.inputs):
            raise ValueError(f"model takes {len(self.inputs)} inputs, got {len(inputs)}")
        for i, (x, spec) in enumerate(zip(inputs, self.inputs)):
            x = np.ascontiguousarray(x, dtype=_np_dtype(spec))
            if x.size != int(np.prod(spec["shape"])):
                raise ValueError(f"input {i}: {x.size} elements, model expects shape {spec['shape']}")
            ctypes.memmove(self._lib.tg_model_input(i), x.ctypes.data, x.nbytes)

    def _read(self, ptr, size: int, shape, dtype=np.int8) -> np.ndarray:
        """`size` elements of `dtype` at `ptr`, as an array of `shape`."""
        raw = np.ctypeslib.as_array(ptr, shape=(size * np.dtype(dtype).itemsize,)).copy()
        return raw.view(dtype).reshape(shape)

    def invoke(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """Run int8 inputs; return int8 outputs shaped like the graph outputs. A model whose
        input streams in (manifest input_bands.streamed) gets it band window by band window."""
        bands = self.manifest.get("input_bands") or {}
        if bands.get("streamed"):
            self._stream(inputs, bands)
        else:
            self._set_inputs(inputs)
            self._lib.tg_model_invoke()
        return [self._read(self._lib.tg_model_output(i), int(np.prod(o["shape"])), o["shape"], _np_dtype(o))
                for i, o in enumerate(self.outputs)]

    def reset_state(self) -> None:
        """tg_model_reset_state(): the recurrent layers' state back to its initial value."""
        self._lib.tg_model_reset_state()

    def dynamic(self) -> tuple[int, list[int]]:
        """After an invoke: the exit that answered and each gate's kept channels (-1: not run)."""
        gates = int(self.manifest.get("gates", 0))
        self._lib.tg_model_gate_kept.restype = ctypes.c_int32
        return int(self._lib.tg_model_exit()), [int(self._lib.tg_model_gate_kept(g)) for g in range(gates)]

    def _stream(self, inputs, bands: dict) -> None:
        """Each band's input rows at the start of the input buffer, then that band (model.h)."""
        if len(inputs) != 1:
            raise ValueError(f"a streamed model takes 1 input, got {len(inputs)}")
        x = np.ascontiguousarray(inputs[0], dtype=np.int8).ravel()
        row = int(bands["row_bytes"])
        for b, (first, end) in enumerate(bands["windows"]):
            rows = x[first * row:end * row]
            ctypes.memmove(self._lib.tg_model_input(0), rows.ctypes.data, rows.size)
            if self._lib.tg_model_invoke_band(b) != 0:
                raise RuntimeError(f"tg_model_invoke_band({b}) failed")
        self._lib.tg_model_invoke_finish()

    def invoke_layers(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """Run layer by layer, returning each layer's output right after it ran (flat int8)."""
        if (self.manifest.get("input_bands") or {}).get("streamed"):
            raise ValueError("the input streams in band by band: its layers cannot run one by one")
        self._set_inputs(inputs)
        results = []
        for i in range(len(self.layers)):
            self._lib.tg_model_invoke_layer(i)
            size = self._lib.tg_model_layer_output_size(i)
            results.append(self._read(self._lib.tg_model_layer_output(i), size, (size,)))
        return results
