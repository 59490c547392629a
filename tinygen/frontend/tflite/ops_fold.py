"""Operators whose output is known when the model is imported, computed then as TFLite Micro
would at run time (Reader.folded holds the values; is_const and buffer read them like the
file's constants): SHAPE, BROADCAST_ARGS and ZEROS_LIKE always, FILL, PACK, UNPACK, RESHAPE,
EXPAND_DIMS, SQUEEZE, CONCATENATION, GATHER, STRIDED_SLICE, CAST, BROADCAST_TO, REVERSE_V2 and
int32 ADD / SUB / MUL when every input is a constant (the shape arithmetic of a model
exported with a dynamic batch: SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE's shape input)."""

from __future__ import annotations

import numpy as np
import tflite
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.ops_simple import SimpleOps, _axis_range
from tinygen.frontend.tflite.reader import TYPES

# folded whatever their inputs: only the input's recorded shape matters
ALWAYS = ("SHAPE", "ZEROS_LIKE")
# folded when every input is a constant
WHEN_CONSTANT = ("BROADCAST_ARGS", "FILL", "PACK", "UNPACK", "RESHAPE", "EXPAND_DIMS", "SQUEEZE", "CONCATENATION",
                 "GATHER", "STRIDED_SLICE", "CAST", "BROADCAST_TO", "REVERSE_V2", "ADD", "SUB", "MUL")
_ARITHMETIC = {"ADD": np.add, "SUB": np.subtract, "MUL": np.multiply}


class FoldOps(SimpleOps):
    """fold(i, opname, op, ins, outs): True where the operator's outputs were folded."""

    def fold(self, i, opname: str, op, ins, outs) -> bool:
        if opname not in ALWAYS and not (opname in WHEN_CONSTANT and ins and all(
                k < 0 or self.is_const(k) for k in ins)):
            return False
        if opname in _ARITHMETIC and any(self.tensor(k).Type() != TensorType.INT32 for k in (*ins, *outs)):
            return False        # quantized arithmetic on constants: the handler says what it thinks
        self._tflm_limits(opname, ins, outs)
        values = self._folded_values(opname, op, [k for k in ins if k >= 0], outs)
        for out, value in zip(outs, values, strict=True):
            np_dtype = TYPES.get(self.tensor(out).Type(), (None, None))[1]
            if np_dtype is None:
                raise UnsupportedOpError(f"{self.where}a constant output of type {self.tensor(out).Type()}")
            value = np.asarray(value)
            if value.size != int(np.prod(self.shape(out))):
                raise ModelError(f"{self.where}computes {value.size} values for output {self.tname(out)!r} "
                                 f"of shape {list(self.shape(out))}")
            self.folded[out] = value.astype(np_dtype).reshape(self.shape(out))
        return True

    def _tflm_limits(self, opname: str, ins, outs) -> None:
        """What TFLite Micro's Prepare refuses of the folded operators."""
        if opname == "FILL" and ins[0] in self.folded:
            raise UnsupportedOpError(f"{self.where}FILL's dims {self.tname(ins[0])!r} are computed by the model: "
                                     "TFLite Micro refuses it too (\"Non-constant dims tensor\")")
        if opname == "SHAPE" and self.tensor(outs[0]).Type() != TensorType.INT32:
            raise UnsupportedOpError(f"{self.where}SHAPE to a type other than INT32: TFLite Micro refuses it too")
        if opname == "FILL" and self.tensor(ins[1]).Type() not in (TensorType.FLOAT32, TensorType.INT32,
                                                                     TensorType.INT8):
            raise UnsupportedOpError(f"{self.where}FILL of a value other than FLOAT32, INT32 or INT8: TFLite Micro "
                                     "refuses it too")
        if opname == "ZEROS_LIKE" and self.tensor(ins[0]).Type() not in (TensorType.FLOAT32, TensorType.INT32,
                                                                          TensorType.INT8, TensorType.INT64):
            raise UnsupportedOpError(f"{self.where}ZEROS_LIKE of a type other than FLOAT32, INT32, INT8 or INT64: "
                                     "TFLite Micro refuses it too")

    def _folded_values(self, opname: str, op, ins, outs) -> list:
        v = [self.buffer(k) if self.is_const(k) else None for k in ins]
        if opname == "SHAPE":
            return [np.asarray(self.shape(ins[0]), np.int64)]
        if opname == "ZEROS_LIKE":
            return [np.zeros(self.shape(ins[0]))]
        if opname == "BROADCAST_ARGS":
            return [np.asarray(np.broadcast_shapes(tuple(v[0].reshape(-1)), tuple(v[1].reshape(-1))))]
        if opname == "FILL":
            return [np.full(tuple(int(d) for d in v[0].reshape(-1)), v[1].reshape(-1)[0])]
        if opname in ("RESHAPE", "EXPAND_DIMS", "SQUEEZE"):
            return [v[0]]
        if opname == "CAST":
            return [v[0].astype(TYPES[self.tensor(outs[0]).Type()][1])]
        if opname in _ARITHMETIC:
            return [_ARITHMETIC[opname](v[0].astype(np.int64), v[1].astype(np.int64))]
        if opname == "BROADCAST_TO":
            return [np.broadcast_to(v[0], self.shape(outs[0]))]
        if opname == "REVERSE_V2":
            return [np.flip(v[0], axis=tuple(int(a) % v[0].ndim for a in v[1].reshape(-1)))]
        if opname == "PACK":
            return [np.stack(v, axis=self.options(op, tflite.PackOptions).Axis())]
        if opname == "UNPACK":
            axis = self.options(op, tflite.UnpackOptions).Axis()
            return list(np.moveaxis(v[0], axis, 0))
        if opname == "CONCATENATION":
            opts = self.options(op, tflite.ConcatenationOptions)
            if opts.FusedActivationFunction() != ActivationFunctionType.NONE:
                raise UnsupportedOpError(f"{self.where}a fused activation on CONCATENATION")
            return [np.concatenate(v, axis=opts.Axis())]
        if opname == "GATHER":
            opts = self.options(op, tflite.GatherOptions)
            if opts.BatchDims():
                raise UnsupportedOpError(f"{self.where}GATHER with batch_dims {opts.BatchDims()} (tinygen takes 0)")
            return [np.take(v[0], v[1].astype(np.int64), axis=opts.Axis())]
        return [self._folded_slice(op, v)]      # STRIDED_SLICE

    def _folded_slice(self, op, v) -> np.ndarray:
        opts = self.options(op, tflite.StridedSliceOptions)
        if opts.EllipsisMask() or opts.NewAxisMask() or opts.Offset():
            raise UnsupportedOpError(f"{self.where}an ellipsis mask, a new-axis mask or the offset flag")
        x, begins, ends, strides = v[0], *(list(a.reshape(-1).astype(np.int64)) for a in v[1:4])
        index = []
        for axis, n in enumerate(x.shape):
            start, stop = _axis_range(axis, n, begins, ends, strides, opts)
            if opts.ShrinkAxisMask() & (1 << axis):
                index.append(start)
            else:
                index.append(slice(start, stop if stop >= 0 else None, strides[axis]))
        return x[tuple(index)]
