"""TFLite builtin operators on plain (unquantized) integer tensors, as TFLite Micro's reference
kernels compute them (a model of plain integers: Reader.plain_model, the signal library's audio
front ends): CAST between int8, int16, int32 and uint32 and from them to float32; ADD, SUB, MUL,
DIV, MINIMUM, MAXIMUM on int32 (one operand may be a constant, either one a single value); a
CONCATENATION of one int32 activation between constant pieces. Each ADD / SUB / MUL /
CONCATENATION handler here takes the plain case and hands every other one to the quantized
handler it overrides (PlainOps comes first among the Importer's bases)."""

from __future__ import annotations

import numpy as np
import tflite
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.builder import Builder
from tinygen.frontend.tflite.reader import TYPE_NAMES
from tinygen.ir import Node

_CAST_FROM = (TensorType.INT8, TensorType.INT16, TensorType.INT32, TensorType.UINT32)
_CAST_TO = _CAST_FROM + (TensorType.FLOAT32,)
_INT32_MAX = (1 << 31) - 1
# TFLite Micro's CalculateActivationRange for int32 outputs
_INT32_RANGES = {ActivationFunctionType.NONE: (-(1 << 31), _INT32_MAX), ActivationFunctionType.RELU: (0, _INT32_MAX),
                 ActivationFunctionType.RELU6: (0, 6), ActivationFunctionType.RELU_N1_TO_1: (-1, 1)}


class PlainOps(Builder):
    """op_cast, op_div, op_minimum, op_maximum; op_add, op_sub, op_mul, op_concatenation on plain int32."""

    def _plain_int32(self, index: int) -> bool:
        return self.plain_model and self.tensor(index).Type() == TensorType.INT32

    def op_cast(self, i, op, ins, out, source):
        src, dst = self.tensor(ins[0]).Type(), self.tensor(out).Type()
        if src not in _CAST_FROM or dst not in _CAST_TO or src == dst:
            raise UnsupportedOpError(f"{self.where}CAST from {TYPE_NAMES.get(src)} to {TYPE_NAMES.get(dst)}: tinygen "
                                     "casts between INT8, INT16, INT32 and UINT32 and from them to FLOAT32")
        if self.is_const(ins[0]):
            raise UnsupportedOpError(f"{self.where}the input is a constant", "fold it before converting the model")
        x = self.activation(ins[0])
        return self.add_node(i, "cast", [x], out, {}, {}, source, self.graph.tensors[x].shape)

    def _int_binary(self, i, fn: str, ins, out, source, fused: int | None) -> Node:
        """fn of two int32 operands, one of them possibly a constant, either a single value."""
        consts = self.operand_consts(ins)
        if not all(self._plain_int32(k) for k in (*ins, out)):
            types = ", ".join(TYPE_NAMES.get(self.tensor(k).Type(), "?") for k in (*ins, out))
            raise UnsupportedOpError(f"{self.where}{fn.upper()} of {types}: tinygen computes it on plain INT32 "
                                     "tensors (a model without quantization)")
        shapes = [self.shape(k) for k in ins]
        sizes = [int(np.prod(s)) for s in shapes]
        if shapes[0] != shapes[1] and 1 not in sizes:
            raise UnsupportedOpError(f"{self.where}operands of shapes {list(shapes[0])} and {list(shapes[1])}: "
                                     "tinygen broadcasts a single value only")
        if fused not in _INT32_RANGES and fused is not None:
            raise UnsupportedOpError(f"{self.where}fused activation {fused} is not supported")
        lo, hi = _INT32_RANGES[fused or ActivationFunctionType.NONE]
        swap = consts[0]
        first, second = (ins[1], ins[0]) if swap else (ins[0], ins[1])
        inputs, params = [self.activation(first)], {}
        if consts[0] or consts[1]:
            params["operand"] = self.const(second, f"int_{fn}_{i}", "operand", "int32")
        else:
            inputs.append(self.activation(second))
        shape = shapes[0] if sizes[0] >= sizes[1] else shapes[1]
        attrs = {"fn": fn, "act_min": lo, "act_max": hi, "swap": swap}
        return self.add_node(i, "int_binary", inputs, out, attrs, params, source, shape)

    def op_add(self, i, op, ins, out, source):
        if not self._plain_int32(out):
            return super().op_add(i, op, ins, out, source)
        # TFLite Micro's int32 ADD clamps to the whole int32 range whatever the fused activation
        return self._int_binary(i, "add", ins, out, source, None)

    def op_sub(self, i, op, ins, out, source):
        if not self._plain_int32(out):
            return super().op_sub(i, op, ins, out, source)
        return self._int_binary(i, "sub", ins, out, source, self.options(op, tflite.SubOptions).FusedActivationFunction())

    def op_mul(self, i, op, ins, out, source):
        if not self._plain_int32(out):
            return super().op_mul(i, op, ins, out, source)
        return self._int_binary(i, "mul", ins, out, source, self.options(op, tflite.MulOptions).FusedActivationFunction())

    def op_div(self, i, op, ins, out, source):
        fused = self.options(op, tflite.DivOptions).FusedActivationFunction()
        return self._int_binary(i, "div", ins, out, source, fused)

    def op_minimum(self, i, op, ins, out, source):
        if not self._plain_int32(out):          # quantized int8 / int16: MathOps
            return super().op_minimum(i, op, ins, out, source)
        return self._int_binary(i, "minimum", ins, out, source, None)

    def op_maximum(self, i, op, ins, out, source):
        if not self._plain_int32(out):
            return super().op_maximum(i, op, ins, out, source)
        return self._int_binary(i, "maximum", ins, out, source, None)

    def op_concatenation(self, i, op, ins, out, source):
        if not self._plain_int32(out):
            return super().op_concatenation(i, op, ins, out, source)
        if self.options(op, tflite.ConcatenationOptions).FusedActivationFunction() != ActivationFunctionType.NONE:
            raise UnsupportedOpError(f"{self.where}a fused activation on CONCATENATION is not supported "
                                     "(TFLite Micro rejects it too)")
        active = [k for k, index in enumerate(ins) if not self.is_const(index)]
        if len(active) != 1 or len(ins) > 3 or (len(ins) == 3 and active != [1]) or \
                any(self.tensor(k).Type() != TensorType.INT32 for k in ins):
            raise UnsupportedOpError(f"{self.where}an INT32 CONCATENATION of {len(active)} activations among "
                                     f"{len(ins)} inputs: tinygen takes one activation between constant pieces")
        shapes = [self.shape(k) for k in ins]
        axis = self.options(op, tflite.ConcatenationOptions).Axis()
        axis = axis + len(shapes[0]) if axis < 0 else axis
        if not 0 <= axis < len(shapes[0]) or any(len(s) != len(shapes[0]) or s[:axis] + s[axis + 1:] !=
                                                 shapes[0][:axis] + shapes[0][axis + 1:] for s in shapes):
            raise ModelError(f"{self.where}cannot concatenate shapes {[list(s) for s in shapes]} along axis {axis}")
        k = active[0]
        roles = {"head": ins[0] if k > 0 else None, "tail": ins[k + 1] if k + 1 < len(ins) else None}
        params = {role: self.const(index, f"concat_const_{i}", role, "int32")
                  for role, index in roles.items() if index is not None}
        shape = shapes[0][:axis] + (sum(s[axis] for s in shapes),) + shapes[0][axis + 1:]
        return self.add_node(i, "concat_const", [self.activation(ins[k])], out, {"axis": axis}, params, source, shape)
