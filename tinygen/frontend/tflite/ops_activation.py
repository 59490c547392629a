"""TFLite operator handlers for the activation functions on int8 tensors: SOFTMAX and LOGISTIC
(fixed output quantization), HARD_SWISH, RELU (a clamp where it does not requantize), RELU6 and
LEAKY_RELU (TFLite Micro's arithmetic, tabulated for the 256 inputs); on int16 tensors (16x8)
SOFTMAX from int8, LOGISTIC and TANH (_sigmoid_s16), RELU, RELU6 and LEAKY_RELU."""

from __future__ import annotations

import math

import numpy as np
import tflite

from tinygen.errors import UnsupportedOpError
from tinygen.frontend.tflite.builder import Builder
from tinygen.ir import Node
from tinygen.ref.int16 import leaky_relu_values
from tinygen.ref.lookup import by_uint8
from tinygen.quant import op_params
from tinygen.quant.spec import ACT_QMAX, ACT_QMIN


class ActivationOps(Builder):
    """op_softmax, op_logistic, op_hard_swish, op_relu, op_relu6, op_leaky_relu."""

    def op_softmax(self, i, op, ins, out, source):
        opts = self.options(op, tflite.SoftmaxOptions)
        x = self.activation(ins[0])
        if self.graph.tensors[x].dtype == "int16":     # TFLite's SoftmaxInt16: zero points 0, 1/32768 out
            if self.act_dtype(out) != "int16" or int(self.qparams(ins[0]).zero_point[0]):
                raise UnsupportedOpError(f"{self.where}an int16 softmax needs an int16 output and input zero point 0 "
                                         "(TFLite Micro requires them too)")
            self._fixed_output(out, "softmax", 1 / 32768, 0, "int16", float(np.float32(0.001) / 32768))
        elif self.act_dtype(out) == "int16":      # TFLite's int16 softmax output: 1/65536, -32768
            self._fixed_output(out, "softmax", 1 / 65536, -32768, "int16", float(np.float32(0.001) / 65536))
        else:
            self._fixed_output(out, "softmax", op_params.SOFTMAX_OUTPUT_SCALE, op_params.SOFTMAX_OUTPUT_ZERO_POINT)
        return self.add_node(i, "softmax", [x], out, {"axis": -1, "beta": float(np.float32(opts.Beta()))}, {},
                             source, self.graph.tensors[x].shape)

    def _fixed_output(self, out, what: str, scale: float, zero_point: int, dtype: str = "int8",
                      tolerance: float = 0.0) -> None:
        """The output grid the operator's kernel writes on: exactly `scale` (within `tolerance`
        of it where TFLite Micro allows: its int16 softmax takes 1/65536 within 0.1%)."""
        q = self.qparams(out)
        if abs(float(q.scale[0]) - float(np.float32(scale))) > tolerance or int(q.zero_point[0]) != zero_point:
            raise UnsupportedOpError(f"{self.where}{dtype} {what} output must have scale 1/{round(1 / scale)} and "
                                     f"zero point {zero_point}, not {q!r}")

    def op_logistic(self, i, op, ins, out, source):
        if self.act_dtype(ins[0]) == "int16":
            return self._sigmoid_s16(i, "logistic", ins, out, source)
        x = self.activation(ins[0])
        self._fixed_output(out, "logistic", op_params.LOGISTIC_OUTPUT_SCALE, op_params.LOGISTIC_OUTPUT_ZERO_POINT)
        q = self.qparams(ins[0])
        try:
            op_params.logistic_params(1, q.scale[0], int(q.zero_point[0]))
        except ValueError as e:
            raise UnsupportedOpError(f"{self.where}{e}") from None
        return self.add_node(i, "logistic", [x], out, {}, {}, source, self.graph.tensors[x].shape)

    def op_hard_swish(self, i, op, ins, out, source):
        x = self.activation(ins[0])
        return self.add_node(i, "hard_swish", [x], out, {}, {}, source, self.graph.tensors[x].shape)

    def _clamp(self, i, x: str, out, source, lo: float, hi: float, bounds: tuple[int, int]) -> Node:
        node = self.add_node(i, "clamp", [x], out, {"lo": lo, "hi": hi}, {}, source, self.graph.tensors[x].shape)
        node.attrs["act_min"], node.attrs["act_max"] = bounds
        return node

    def op_relu(self, i, op, ins, out, source):
        x = self.activation(ins[0])
        if self.float_op:
            return self.add_node(i, "clamp", [x], out, {"lo": 0.0, "hi": math.inf}, {}, source,
                                 self.graph.tensors[x].shape)
        in_q, out_q = self.qparams(ins[0]), self.qparams(out)
        if in_q.same_as(out_q) and self.graph.tensors[x].dtype == "int8":   # the identity requantization: a clamp
            return self._clamp(i, x, out, source, 0.0, math.inf, (max(ACT_QMIN, int(out_q.zero_point[0])), ACT_QMAX))
        return self.add_node(i, "relu", [x], out, {}, {}, source, self.graph.tensors[x].shape)

    def op_relu6(self, i, op, ins, out, source):
        # TFLite Micro clamps on the input's grid and does not requantize
        x = self.activation(ins[0])
        if self.float_op:
            return self.add_node(i, "clamp", [x], out, {"lo": 0.0, "hi": 6.0}, {}, source,
                                 self.graph.tensors[x].shape)
        q = self.qparams(ins[0])
        lo, hi = (-32768, 32767) if self.graph.tensors[x].dtype == "int16" else (ACT_QMIN, ACT_QMAX)
        return self._clamp(i, x, out, source, 0.0, 6.0,
                           op_params.relu6_bounds(q.scale[0], int(q.zero_point[0]), lo, hi))

    def op_leaky_relu(self, i, op, ins, out, source):
        """x >= 0 ? x : alpha * x, as TFLite Micro's QuantizeLeakyRelu computes it (one multiplier
        for each side: op_params.leaky_relu_params); int8 as a table of it for the 256 inputs (the
        lut op), int16 as the leaky_relu op."""
        alpha = float(np.float32(self.options(op, tflite.LeakyReluOptions).Alpha()))
        x = self.activation(ins[0])
        shape = self.graph.tensors[x].shape
        if self.graph.tensors[x].dtype == "int16":
            return self.add_node(i, "leaky_relu", [x], out, {"alpha": alpha}, {}, source, shape)
        in_q, out_q = self.qparams(ins[0]), self.qparams(out)
        p = op_params.leaky_relu_params(256, in_q.scale[0], int(in_q.zero_point[0]), out_q.scale[0],
                                        int(out_q.zero_point[0]), alpha, ACT_QMIN, ACT_QMAX)
        table = leaky_relu_values(p, np.arange(ACT_QMIN, ACT_QMAX + 1))
        const = self.graph.add_const(self.graph.unique_name(f"leaky_relu_{i}_table"), by_uint8(table), "int8")
        return self.add_node(i, "lut", [x], out, {}, {"table": const.name}, source, shape)
