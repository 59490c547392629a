"""TFLite operator handlers that combine, pad, reduce, reshape or requantize int8 tensors:
ADD, MUL (numpy broadcasting, one operand may be a constant), CONCATENATION, PAD, PADV2, MEAN,
RESHAPE, SQUEEZE, QUANTIZE (between int8, int16 and a quantized int32 tensor) and DEQUANTIZE
(into a float32 model output); ADD, MUL, CONCATENATION, PAD, PADV2, MEAN, RESHAPE and SQUEEZE on
int16 tensors too (reader.INT16_OPS)."""

from __future__ import annotations

import numpy as np
import tflite
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.builder import Builder
from tinygen.frontend.tflite.reader import TYPE_NAMES
from tinygen.ir import Node


class TensorOps(Builder):
    """op_add, op_mul, op_concatenation, op_pad, op_padv2, op_mean, op_reshape, op_squeeze,
    op_quantize, op_dequantize."""

    def _binary(self, i, opname: str, ins, out, source, fused) -> Node:
        """ADD, MUL: two int8 operands with numpy broadcasting; one may be a constant."""
        consts = self.operand_consts(ins)
        if consts[0]:           # TFLite's int8 add and mul are symmetric in their operands
            ins = ins[::-1]
        a = self.activation(ins[0])
        name = f"{opname}_{i}"
        params = {}
        if any(consts):
            params["operand"] = self.const(ins[1], name, "operand", self.graph.tensors[a].dtype)
            self.graph.tensors[params["operand"]].qparams = self.qparams(ins[1])     # None in a float model
            inputs = [a]
        else:
            inputs = [a, self.activation(ins[1])]
        shapes = [self.graph.tensors[t].shape for t in inputs + list(params.values())]
        try:
            shape = tuple(np.broadcast_shapes(*shapes))
        except ValueError:
            raise ModelError(f"{self.where}operands of shapes {list(shapes[0])} and {list(shapes[1])} "
                             "do not broadcast") from None
        return self.add_node(i, opname, inputs, out, {}, params, source, shape, fused)

    def op_add(self, i, op, ins, out, source):
        opts = self.options(op, tflite.AddOptions)
        return self._binary(i, "add", ins, out, source, opts.FusedActivationFunction())

    def op_mul(self, i, op, ins, out, source):
        opts = self.options(op, tflite.MulOptions)
        return self._binary(i, "mul", ins, out, source, opts.FusedActivationFunction())

    def op_concatenation(self, i, op, ins, out, source):
        opts = self.options(op, tflite.ConcatenationOptions)
        if opts.FusedActivationFunction() != ActivationFunctionType.NONE:
            raise UnsupportedOpError(f"{self.where}a fused activation on CONCATENATION is not supported "
                                     "(TFLite Micro rejects it too)")
        out_q = self.qparams(out)
        wide = self.act_dtype(out) == "int16"
        inputs = []
        for k in ins:
            if self.is_const(k):
                raise UnsupportedOpError(f"{self.where}input {self.tname(k)!r} is a constant; "
                                         "only activations can be concatenated")
            if wide:        # TFLite Micro copies int16 values whatever the scales; zero points are 0
                if self.act_dtype(k) != "int16":
                    raise UnsupportedOpError(f"{self.where}input {self.tname(k)!r} is not int16 as the output is "
                                             "(TFLite Micro requires one type)")
                self.check_zero_points_s16("CONCATENATION", (k, out))
            elif not self.qparams(k).same_as(out_q):
                raise UnsupportedOpError(
                    f"{self.where}input {self.tname(k)!r} is quantized with {self.qparams(k)!r}, the output "
                    f"with {out_q!r}; int8 CONCATENATION needs one scale and zero point for all "
                    "(TFLite Micro requires it too)", "re-convert the model so the inputs share the "
                    "output's quantization")
            inputs.append(self.activation(k))
        shapes = [self.graph.tensors[t].shape for t in inputs]
        axis = opts.Axis() + len(shapes[0]) if opts.Axis() < 0 else opts.Axis()
        if not 0 <= axis < len(shapes[0]) or any(
                len(s) != len(shapes[0]) or s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:]
                for s in shapes):
            raise ModelError(f"{self.where}cannot concatenate shapes {[list(s) for s in shapes]} "
                             f"along axis {opts.Axis()}")
        shape = shapes[0][:axis] + (sum(s[axis] for s in shapes),) + shapes[0][axis + 1:]
        return self.add_node(i, "concat", inputs, out, {"axis": axis}, {}, source, shape)

    def int_const(self, index: int, role: str) -> np.ndarray:
        """A small int32 constant operand (paddings, axes)."""
        if not self.is_const(index):
            raise UnsupportedOpError(f"{self.where}the {role} tensor {self.tname(index)!r} is not a constant")
        if self.tensor(index).Type() != TensorType.INT32:
            raise UnsupportedOpError(f"{self.where}the {role} tensor {self.tname(index)!r} is "
                                     f"{TYPE_NAMES.get(self.tensor(index).Type())}; expected INT32")
        return self.buffer(index).astype(np.int64)

    def _pad(self, i, ins, out, source, pad_value: int) -> Node:
        x = self.activation(ins[0])
        shape = self.graph.tensors[x].shape
        pads = self.int_const(ins[1], "paddings")
        if pads.shape != (len(shape), 2):
            raise ModelError(f"{self.where}paddings have shape {list(pads.shape)}, expected [{len(shape)}, 2]")
        if np.any(pads < 0):
            raise UnsupportedOpError(f"{self.where}negative paddings {pads.tolist()} are not supported")
        paddings = tuple((int(b), int(a)) for b, a in pads)
        out_shape = tuple(n + b + a for n, (b, a) in zip(shape, paddings))
        # TFLite Micro copies the input bytes as they are, whatever the two quantizations
        return self.add_node(i, "pad", [x], out, {"paddings": paddings, "pad_value": pad_value}, {},
                             source, out_shape)

    def op_pad(self, i, op, ins, out, source):
        return self._pad(i, ins, out, source, int(self.qparams(out).zero_point[0]))

    def op_padv2(self, i, op, ins, out, source):
        if len(ins) < 3 or ins[2] < 0:
            return self.op_pad(i, op, ins, out, source)
        value = self.buffer(ins[2]) if self.is_const(ins[2]) else None
        if value is None or value.size != 1 or self.tensor(ins[2]).Type() != self.tensor(ins[0]).Type():
            raise UnsupportedOpError(f"{self.where}the padding value must be a constant scalar of the input's type")
        if not self.qparams(ins[2]).same_as(self.qparams(out)):
            raise UnsupportedOpError(f"{self.where}the padding value is quantized with {self.qparams(ins[2])!r}, "
                                     f"the output with {self.qparams(out)!r}; they must agree")
        return self._pad(i, ins, out, source, int(value.reshape(-1)[0]))

    def op_mean(self, i, op, ins, out, source):
        return self.reduce(i, op, ins, out, source, "mean")

    def reduce(self, i, op, ins, out, source, opname: str) -> Node:
        """MEAN, SUM: over constant axes (negative ones counted from the end), keeping the
        reduced dimensions or not."""
        opts = self.options(op, tflite.ReducerOptions)
        x = self.activation(ins[0])
        shape = self.graph.tensors[x].shape
        axes = self.int_const(ins[1], "axis").reshape(-1)
        if np.any((axes < -len(shape)) | (axes >= len(shape))):
            raise ModelError(f"{self.where}axes {axes.tolist()} out of range for shape {list(shape)}")
        axes = tuple(sorted({int(a) % len(shape) for a in axes}))
        keep = bool(opts.KeepDims())
        out_shape = tuple(1 if d in axes else n for d, n in enumerate(shape) if keep or d not in axes)
        return self.add_node(i, opname, [x], out, {"axes": axes, "keep_dims": keep}, {}, source, out_shape)

    def op_quantize(self, i, op, ins, out, source):
        t = self.tensor(ins[0])
        types = (TensorType.INT8, TensorType.INT16, TensorType.INT32)
        if t.Type() not in types or self.tensor(out).Type() not in types:
            raise UnsupportedOpError(f"{self.where}QUANTIZE from {TYPE_NAMES.get(t.Type(), t.Type())} to "
                                     f"{TYPE_NAMES.get(self.tensor(out).Type())} is not supported "
                                     "(QUANTIZE from float32, int8, int16 or int32 to int8, int16 or int32)")
        x = self.activation(ins[0])
        if self.qparams(ins[0]).same_as(self.qparams(out)) and t.Type() == self.tensor(out).Type():
            # nothing to do: share the bytes
            return self._alias(f"quantize_{i}", x, out, source)
        return self.add_node(i, "requantize", [x], out, {}, {}, source, self.graph.tensors[x].shape)

    def op_dequantize(self, i, op, ins, out, source):
        if out not in self.float_outputs:
            raise UnsupportedOpError(f"{self.where}DEQUANTIZE into "
                                     f"{TYPE_NAMES.get(self.tensor(out).Type(), self.tensor(out).Type())} is not "
                                     "supported (only into float32)")
        self.names[out] = self.activation(ins[0])      # the int8 tensor is the model's output port
        return None

    def op_reshape(self, i, op, ins, out, source):
        x = self.activation(ins[0])
        q = self.qparams(ins[0])     # None in a float or plain-integer model
        if q is not None and not q.same_as(self.qparams(out)):
            raise UnsupportedOpError(f"{self.where}input and output quantization differ")
        if self.tensor(ins[0]).Type() != self.tensor(out).Type():
            raise UnsupportedOpError(f"{self.where}input and output types differ")
        return self._alias(f"reshape_{i}", x, out, source)

    op_squeeze = op_reshape

    def _alias(self, prefix: str, x: str, out, source) -> Node:
        """A reshape node writing tflite tensor `out` (its file shape) from IR tensor `x`: the
        same bytes under another shape or name."""
        name = self.graph.unique_name(prefix)
        self.new_activation(out, name)
        node = Node(name, "reshape", [x], [name], {}, [{}], source)
        self.graph.nodes.append(node)
        return node
