"""TFLite operator handlers for the simpler operators users' models bring: TANH (fixed output
quantization), PRELU (a constant alpha, broadcast), GELU (its table, as TFLite builds it),
SUM, SLICE, STRIDED_SLICE (begin / end masks, shrunk axes, negative strides) and MIRROR_PAD
(REFLECT, SYMMETRIC). TFLite Micro's restrictions are kept where they decide the bytes:
STRIDED_SLICE ignores the ellipsis and new-axis masks and the offset flag (refused here), and
SLICE, STRIDED_SLICE and MIRROR_PAD copy bytes whatever the two quantizations."""

from __future__ import annotations

import numpy as np
import tflite
from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.ops_tensor import TensorOps
from tinygen.frontend.tflite.reader import TYPE_NAMES
from tinygen.ir import Kind, Node, Tensor
from tinygen.quant import op_params

_MIRROR_MODES = {0: ("reflect", 1), 1: ("symmetric", 0)}     # MirrorPadMode -> (IR mode, TFLM offset)


class SimpleOps(TensorOps):
    """op_tanh, op_prelu, op_gelu, op_sum, op_slice, op_strided_slice, op_mirror_pad."""

    def op_tanh(self, i, op, ins, out, source):
        if self.act_dtype(ins[0]) == "int16":
            return self._sigmoid_s16(i, "tanh", ins, out, source)
        x = self.activation(ins[0])
        q = self.qparams(out)
        if float(q.scale[0]) != op_params.TANH_OUTPUT_SCALE or int(q.zero_point[0]) != op_params.TANH_OUTPUT_ZERO_POINT:
            raise UnsupportedOpError(f"{self.where}int8 tanh output must have scale 1/128 and zero point 0, not {q!r} "
                                     "(TFLite Micro's TANH writes Q7)")
        in_q = self.qparams(ins[0])
        try:
            op_params.tanh_params(1, in_q.scale[0], int(in_q.zero_point[0]))
        except ValueError as e:
            raise UnsupportedOpError(f"{self.where}{e}") from None
        return self.add_node(i, "tanh", [x], out, {}, {}, source, self.graph.tensors[x].shape)

    def op_gelu(self, i, op, ins, out, source):
        approximate = bool(self.options(op, tflite.GeluOptions).Approximate()) if op.BuiltinOptions() else False
        x = self.activation(ins[0])
        return self.add_node(i, "gelu", [x], out, {"approximate": approximate}, {}, source,
                             self.graph.tensors[x].shape)

    def op_prelu(self, i, op, ins, out, source):
        if len(ins) != 2 or not self.is_const(ins[1]):
            raise UnsupportedOpError(f"{self.where}alpha must be a constant tensor")
        x = self.activation(ins[0])
        alpha = self.const(ins[1], f"prelu_{i}", "alpha", "int8")
        self.graph.tensors[alpha].qparams = self.qparams(ins[1])
        shape, a_shape = self.graph.tensors[x].shape, self.graph.tensors[alpha].shape
        try:
            broadcast = tuple(np.broadcast_shapes(shape, a_shape))
        except ValueError:
            broadcast = None
        if broadcast != tuple(shape):
            raise ModelError(f"{self.where}alpha of shape {list(a_shape)} does not broadcast to the input's "
                             f"{list(shape)}")
        return self.add_node(i, "prelu", [x], out, {}, {"alpha": alpha}, source, shape)

    def op_sum(self, i, op, ins, out, source):
        return self.reduce(i, op, ins, out, source, "sum")      # as MEAN

    def _ints(self, index: int, role: str) -> np.ndarray:
        """A small int32 or int64 constant operand (axes, begins, sizes, paddings)."""
        if not self.is_const(index):
            raise UnsupportedOpError(f"{self.where}the {role} tensor {self.tname(index)!r} is not a constant")
        if self.tensor(index).Type() not in (TensorType.INT32, TensorType.INT64):
            raise UnsupportedOpError(f"{self.where}the {role} tensor {self.tname(index)!r} is "
                                     f"{TYPE_NAMES.get(self.tensor(index).Type())}; expected INT32 or INT64")
        return self.buffer(index).astype(np.int64)

    def _vector(self, index: int, role: str, rank: int) -> list[int]:
        v = self._ints(index, role).reshape(-1)
        if v.size != rank:
            raise ModelError(f"{self.where}{role} has {v.size} entries for a {rank}-D input")
        return [int(e) for e in v]

    def _sliced(self, i, x: str, out, source, begins, strides, counts) -> Node:
        """A strided_slice node writing tflite tensor `out`; where the file's output drops
        dimensions (STRIDED_SLICE's shrink mask), the slice keeps them and a reshape drops them."""
        counts = tuple(int(c) for c in counts)
        attrs = {"begin": tuple(int(b) for b in begins), "strides": tuple(int(s) for s in strides)}
        if counts == self.shape(out):
            return self.add_node(i, "strided_slice", [x], out, attrs, {}, source, counts)
        name = self.graph.unique_name(f"strided_slice_{i}")
        self.graph.add_tensor(Tensor(name, counts, self.graph.tensors[x].dtype, Kind.ACTIVATION,
                                     qparams=self.qparams(out)))
        self.graph.nodes.append(Node(name, "strided_slice", [x], [name], attrs, [{}], source))
        return self._alias(f"reshape_{i}", name, out, source)

    def op_slice(self, i, op, ins, out, source):
        x = self.activation(ins[0])
        shape = self.graph.tensors[x].shape
        begins, sizes = self._vector(ins[1], "begin", len(shape)), self._vector(ins[2], "size", len(shape))
        counts = []
        for n, b, s in zip(shape, begins, sizes):
            end = n if s == -1 else b + s
            if not 0 <= b < end <= n:
                raise ModelError(f"{self.where}begin {begins} and size {sizes} leave the input's shape {list(shape)}")
            counts.append(end - b)
        return self._sliced(i, x, out, source, begins, [1] * len(shape), counts)

    def op_strided_slice(self, i, op, ins, out, source):
        opts = self.options(op, tflite.StridedSliceOptions)
        if opts.EllipsisMask() or opts.NewAxisMask() or opts.Offset():
            raise UnsupportedOpError(f"{self.where}an ellipsis mask, a new-axis mask or the offset flag "
                                     "(TFLite Micro ignores them)", "re-convert the model; the converter "
                                     "resolves them into plain begin / end / strides")
        x = self.activation(ins[0])
        shape = self.graph.tensors[x].shape
        if len(shape) > 4:
            raise UnsupportedOpError(f"{self.where}a {len(shape)}-D input (TFLite Micro slices up to 4-D)")
        begin_v, end_v = self._vector(ins[1], "begin", len(shape)), self._vector(ins[2], "end", len(shape))
        stride_v = self._vector(ins[3], "strides", len(shape))
        begins, counts = [], []
        for axis, n in enumerate(shape):
            start, stop = _axis_range(axis, n, begin_v, end_v, stride_v, opts)
            stride = stride_v[axis]
            if opts.ShrinkAxisMask() & (1 << axis):
                if stride < 0:
                    raise UnsupportedOpError(f"{self.where}a shrunk axis with a negative stride")
                if not 0 <= start < n:
                    raise ModelError(f"{self.where}axis {axis}: index {begin_v[axis]} out of range")
                stop = start + 1
            begins.append(start)
            counts.append(max(0, -(-(stop - start) // stride)))
        if 0 in counts:
            raise UnsupportedOpError(f"{self.where}an empty slice")
        kept = [c for axis, c in enumerate(counts) if not opts.ShrinkAxisMask() & (1 << axis)]
        if tuple(kept) != self.shape(out):
            raise ModelError(f"{self.where}output shape {list(self.shape(out))} in the file, but the operator "
                             f"computes {kept}")
        return self._sliced(i, x, out, source, begins, stride_v, counts)

    def op_mirror_pad(self, i, op, ins, out, source):
        mode = self.options(op, tflite.MirrorPadOptions).Mode()
        if mode not in _MIRROR_MODES:
            raise UnsupportedOpError(f"{self.where}mirror padding mode {mode}")
        ir_mode, offset = _MIRROR_MODES[mode]
        x = self.activation(ins[0])
        shape = self.graph.tensors[x].shape
        pads = self._ints(ins[1], "paddings")
        if pads.shape != (len(shape), 2):
            raise ModelError(f"{self.where}paddings have shape {list(pads.shape)}, expected [{len(shape)}, 2]")
        for n, (before, after) in zip(shape, pads):
            if min(before, after) < 0 or max(before, after) > n - offset:
                raise UnsupportedOpError(f"{self.where}{ir_mode.upper()} padding of {int(max(before, after))} on a "
                                         f"dimension of {n}: at most {n - offset}, not below 0")
        paddings = tuple((int(b), int(a)) for b, a in pads)
        out_shape = tuple(n + b + a for n, (b, a) in zip(shape, paddings))
        return self.add_node(i, "mirror_pad", [x], out, {"paddings": paddings, "mode": ir_mode}, {}, source, out_shape)


def _clamp(v: int, lo: int, hi: int) -> int:
    return hi if v > hi else lo if v < lo else v


def _axis_range(axis: int, n: int, begins, ends, strides, opts) -> tuple[int, int]:
    """TFLite's StartForAxis / StopForAxis (strided_slice_logic.h): masks, negative indices
    counted from the end, clamping by the direction of the stride."""
    stride = strides[axis]
    if stride == 0:
        raise ModelError(f"axis {axis} has stride 0")
    lo, hi = (0, n) if stride > 0 else (-1, n - 1)
    if opts.BeginMask() & (1 << axis):
        start = lo if stride > 0 else hi
    else:
        start = _clamp(begins[axis] + n if begins[axis] < 0 else begins[axis], lo, hi)
    if opts.EndMask() & (1 << axis):
        stop = hi if stride > 0 else lo
    else:
        stop = _clamp(ends[axis] + n if ends[axis] < 0 else ends[axis], lo, hi)
    return start, stop

