"""TFLite operator handlers of the float32 math operators (a float model run as it is; numpy
twins in tinygen/ref/mathops_f32.py): the elementwise functions (ABS, NEG, SQUARE, SQRT, FLOOR,
CEIL, ROUND, EXP, LOG, COS, SIN, ELU) as one IR op "unary" naming its function, FLOOR_DIV,
FLOOR_MOD, ADD_N, REDUCE_MAX / REDUCE_MIN, ARG_MAX / ARG_MIN (CUMSUM's handler serves both
types: ops_math.py). The operators TFLite Micro runs on float32 only are refused on other
types, saying so; the ones with int8 forms take `float_<name>` here in a float model."""

from __future__ import annotations

import numpy as np
import tflite
from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.ops_math import MathOps
from tinygen.frontend.tflite.reader import TYPE_NAMES
from tinygen.ir import Node


class MathFloatOps(MathOps):
    """op_neg, op_square, op_sqrt, op_floor, op_ceil, op_round, op_exp, op_log, op_cos, op_sin,
    op_floor_div, op_floor_mod, op_l2_pool_2d; float_abs, float_elu, float_add_n, float_reduce_max,
    float_reduce_min, float_arg_max, float_arg_min, float_l2_normalization, float_resize_bilinear,
    float_log_softmax."""

    def _float_only(self, indices, what: str) -> None:
        for index in indices:
            ttype = self.tensor(index).Type()
            if ttype != TensorType.FLOAT32:
                raise UnsupportedOpError(f"{self.where}{what} of {TYPE_NAMES.get(ttype, ttype)}: TFLite Micro runs "
                                         "it on FLOAT32 only, and so does tinygen")

    def _unary(self, i, ins, out, source, fn: str) -> Node:
        self._float_only((ins[0], out), fn.upper())
        x = self.activation(ins[0])
        return self.add_node(i, "unary", [x], out, {"fn": fn}, {}, source, self.graph.tensors[x].shape)

    def op_neg(self, i, op, ins, out, source):
        return self._unary(i, ins, out, source, "neg")

    def op_square(self, i, op, ins, out, source):
        return self._unary(i, ins, out, source, "square")

    def op_sqrt(self, i, op, ins, out, source):
        return self._unary(i, ins, out, source, "sqrt")

    def op_floor(self, i, op, ins, out, source):
        return self._unary(i, ins, out, source, "floor")

    def op_ceil(self, i, op, ins, out, source):
        return self._unary(i, ins, out, source, "ceil")

    def op_round(self, i, op, ins, out, source):
        return self._unary(i, ins, out, source, "round")

    def op_exp(self, i, op, ins, out, source):
        return self._unary(i, ins, out, source, "exp")

    def op_log(self, i, op, ins, out, source):
        return self._unary(i, ins, out, source, "log")

    def op_cos(self, i, op, ins, out, source):
        return self._unary(i, ins, out, source, "cos")

    def op_sin(self, i, op, ins, out, source):
        return self._unary(i, ins, out, source, "sin")

    def float_abs(self, i, op, ins, out, source):
        return self._unary(i, ins, out, source, "abs")

    def float_elu(self, i, op, ins, out, source):
        return self._unary(i, ins, out, source, "elu")

    # -- FLOOR_DIV, FLOOR_MOD ------------------------------------------------------------------------
    def _floor_pair(self, i, ins, out, source, opname: str) -> Node:
        """The first operand an activation, the second an activation or a constant, broadcast."""
        self._float_only((*ins, out), opname.upper())
        if len(ins) != 2:
            raise ModelError(f"{self.where}has {len(ins)} inputs, expected 2")
        if self.is_const(ins[0]):
            raise UnsupportedOpError(f"{self.where}the first operand is a constant",
                                     "tinygen takes the constant as the second operand only")
        inputs, params = [self.activation(ins[0])], {}
        if self.is_const(ins[1]):
            params["operand"] = self.const(ins[1], f"{opname}_{i}", "operand", "float32")
            if opname == "floor_div" and np.any(self.graph.tensors[params["operand"]].data == 0):
                raise ModelError(f"{self.where}a constant divisor holding 0: TFLite Micro stops with 'Division "
                                 "by 0' on it")
        else:
            inputs.append(self.activation(ins[1]))
        try:
            shape = tuple(int(n) for n in np.broadcast_shapes(*(self.shape(k) for k in ins)))
        except ValueError:
            raise ModelError(f"{self.where}operands of shapes {[list(self.shape(k)) for k in ins]} do not "
                             "broadcast") from None
        return self.add_node(i, opname, inputs, out, {}, params, source, shape)

    def op_floor_div(self, i, op, ins, out, source):
        return self._floor_pair(i, ins, out, source, "floor_div")

    def op_floor_mod(self, i, op, ins, out, source):
        return self._floor_pair(i, ins, out, source, "floor_mod")

    # -- ADD_N, REDUCE_MAX / REDUCE_MIN, ARG_MAX / ARG_MIN -------------------------------------------
    def float_add_n(self, i, op, ins, out, source):
        self._float_only((*ins, out), "ADD_N")
        if len(ins) < 2 or any(self.is_const(k) for k in ins) or len({self.shape(k) for k in ins}) != 1:
            raise UnsupportedOpError(f"{self.where}ADD_N of {len(ins)} inputs of shapes "
                                     f"{[list(self.shape(k)) for k in ins]}: tinygen adds two or more activations "
                                     "of one shape (TFLite Micro requires one shape)")
        inputs = [self.activation(k) for k in ins]
        return self.add_node(i, "add_n", inputs, out, {}, {}, source, self.graph.tensors[inputs[0]].shape)

    def float_reduce_max(self, i, op, ins, out, source):
        return self._reduce_min_max(i, op, ins, out, source, "max", TensorType.FLOAT32)

    def float_reduce_min(self, i, op, ins, out, source):
        return self._reduce_min_max(i, op, ins, out, source, "min", TensorType.FLOAT32)

    def float_arg_max(self, i, op, ins, out, source):
        return self._arg_min_max(i, ins, out, source, "max", TensorType.FLOAT32)

    def float_arg_min(self, i, op, ins, out, source):
        return self._arg_min_max(i, ins, out, source, "min", TensorType.FLOAT32)

    # -- L2_NORMALIZATION, LOG_SOFTMAX, RESIZE_BILINEAR, L2_POOL_2D ----------------------------------
    def _unary_shape(self, i, opname: str, ins, out, source) -> Node:
        """IR op `opname` of the input alone, of its shape."""
        x = self.activation(ins[0])
        return self.add_node(i, opname, [x], out, {}, {}, source, self.graph.tensors[x].shape)

    def float_l2_normalization(self, i, op, ins, out, source):
        """x / max(sqrt(sum of squares), 1e-6) over the last dimension (TFLite Micro's float epsilon)."""
        self._float_only((ins[0], out), "L2_NORMALIZATION")
        if op.BuiltinOptions() is not None and self.options(op, tflite.L2NormOptions).FusedActivationFunction():
            raise UnsupportedOpError(f"{self.where}a fused activation: TFLite Micro refuses it")
        return self._unary_shape(i, "l2_norm", ins, out, source)

    def float_log_softmax(self, i, op, ins, out, source):
        self._float_only((ins[0], out), "LOG_SOFTMAX")
        return self._unary_shape(i, "log_softmax", ins, out, source)

    def float_resize_bilinear(self, i, op, ins, out, source):
        """float32, any batch (TFLite's float ResizeBilinear interpolates each image in float)."""
        self._float_only((ins[0], out), "RESIZE_BILINEAR")
        x, shape, attrs = self._resize_bilinear(op, ins)
        return self.add_node(i, "resize_bilinear", [x], out, attrs, {}, source, shape)

    def op_l2_pool_2d(self, i, op, ins, out, source):
        """float32 only (TFLite Micro has no quantized L2_POOL_2D); MacOps._pool, which the
        Importer mixes in, reads the window and the fused activation."""
        self._float_only((ins[0], out), "L2_POOL_2D")
        return self._pool(i, op, ins, out, source, "l2_pool2d")
