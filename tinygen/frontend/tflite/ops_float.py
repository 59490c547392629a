"""TFLite operator handlers of a float32 model where they differ from the quantized ones
(Importer.operator takes `float_<name>` over `op_<name>` in a float model): no output grid
to check (SOFTMAX, LOGISTIC, TANH), no quantizations to agree (CONCATENATION), a float alpha
(LEAKY_RELU, PRELU), integer ports (DEQUANTIZE from a model input, QUANTIZE into a model
output), operands in their order (DIV, MINIMUM, MAXIMUM), a float padding value (PAD, PADV2) and float weights and state (UNIDIRECTIONAL_SEQUENCE_LSTM: TFLite Micro's
float LSTM, lstm_eval's float path). The other operators' handlers serve both."""

from __future__ import annotations

import numpy as np
import tflite
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.builder import Builder
# UNIDIRECTIONAL_SEQUENCE_LSTM's inputs (TFLite's lstm_shared.h), gates in its order i, f, c, o
from tinygen.frontend.tflite.ops_recurrent import _BIASES, _CELL_STATE, _HIDDEN_STATE, _INPUT_WEIGHTS, _RECURRENT_WEIGHTS
from tinygen.ir import Node


class FloatOps(Builder):
    """float_softmax, float_logistic, float_tanh, float_leaky_relu, float_prelu,
    float_dequantize, float_quantize, float_div, float_minimum, float_maximum, float_concatenation, float_pad, float_padv2,
    float_unidirectional_sequence_lstm."""

    def _same_shape(self, i, opname: str, ins, out, source, attrs=None) -> Node:
        x = self.activation(ins[0])
        return self.add_node(i, opname, [x], out, attrs or {}, {}, source, self.graph.tensors[x].shape)

    def float_softmax(self, i, op, ins, out, source):
        beta = float(np.float32(self.options(op, tflite.SoftmaxOptions).Beta()))
        return self._same_shape(i, "softmax", ins, out, source, {"axis": -1, "beta": beta})

    def float_logistic(self, i, op, ins, out, source):
        return self._same_shape(i, "logistic", ins, out, source)

    def float_tanh(self, i, op, ins, out, source):
        return self._same_shape(i, "tanh", ins, out, source)

    def float_leaky_relu(self, i, op, ins, out, source):
        alpha = float(np.float32(self.options(op, tflite.LeakyReluOptions).Alpha()))
        return self._same_shape(i, "leaky_relu", ins, out, source, {"alpha": alpha})

    def float_prelu(self, i, op, ins, out, source):
        if len(ins) != 2 or not self.is_const(ins[1]):
            raise UnsupportedOpError(f"{self.where}alpha must be a constant tensor")
        x = self.activation(ins[0])
        alpha = self.const(ins[1], f"prelu_{i}", "alpha", "float32")
        shape, a_shape = self.graph.tensors[x].shape, self.graph.tensors[alpha].shape
        try:
            fits = len(shape) <= 4 and tuple(np.broadcast_shapes(shape, a_shape)) == tuple(shape)
        except ValueError:
            fits = False
        if not fits:
            raise ModelError(f"{self.where}alpha of shape {list(a_shape)} does not broadcast to the input's "
                             f"{list(shape)} (up to 4-D)")
        return self.add_node(i, "prelu", [x], out, {}, {"alpha": alpha}, source, shape)

    def float_dequantize(self, i, op, ins, out, source):
        """An int8 / int16 model input into float32 (Reader.int_ends): a requantize node from
        the integer grid to float32 (TFLite's Dequantize)."""
        if self.tensor(out).Type() != TensorType.FLOAT32:
            raise UnsupportedOpError(f"{self.where}DEQUANTIZE into {self.tensor(out).Type()}; expected FLOAT32")
        return self._same_shape(i, "requantize", ins, out, source)

    def float_quantize(self, i, op, ins, out, source):
        """float32 into an int8 / int16 model output (Reader.int_ends): a requantize node onto the
        output's grid (TFLite's AffineQuantize)."""
        if self.tensor(ins[0]).Type() != TensorType.FLOAT32:
            raise UnsupportedOpError(f"{self.where}QUANTIZE between integer types in a float model")
        return self._same_shape(i, "requantize", ins, out, source)

    def _ordered_pair(self, i, opname: str, ins, out, source, fused=None) -> Node:
        """DIV, MINIMUM, MAXIMUM: the first operand an activation, the second an activation or a
        constant, broadcast (their order matters: a / b, and which operand a tie or a NaN gives)."""
        if len(ins) == 2 and self.is_const(ins[0]):
            raise UnsupportedOpError(f"{self.where}the first operand is a constant",
                                     "tinygen takes the constant as the second operand only")
        return self._pair(i, opname, ins, out, source, fused)

    def float_div(self, i, op, ins, out, source):
        fused = self.options(op, tflite.DivOptions).FusedActivationFunction() if op.BuiltinOptions() else None
        return self._ordered_pair(i, "div", ins, out, source, fused)

    def float_minimum(self, i, op, ins, out, source):
        return self._ordered_pair(i, "minimum", ins, out, source)

    def float_maximum(self, i, op, ins, out, source):
        return self._ordered_pair(i, "maximum", ins, out, source)

    def float_concatenation(self, i, op, ins, out, source):
        opts = self.options(op, tflite.ConcatenationOptions)
        if opts.FusedActivationFunction() != ActivationFunctionType.NONE:
            raise UnsupportedOpError(f"{self.where}a fused activation on CONCATENATION is not supported "
                                     "(TFLite Micro rejects it too)")
        if any(self.is_const(k) for k in ins):
            raise UnsupportedOpError(f"{self.where}a constant input; only activations can be concatenated")
        inputs = [self.activation(k) for k in ins]
        shapes = [self.graph.tensors[t].shape for t in inputs]
        axis = opts.Axis() % len(shapes[0]) if -len(shapes[0]) <= opts.Axis() < len(shapes[0]) else None
        if axis is None or any(len(s) != len(shapes[0]) or s[:axis] + s[axis + 1:] != shapes[0][:axis]
                               + shapes[0][axis + 1:] for s in shapes):
            raise ModelError(f"{self.where}cannot concatenate shapes {[list(s) for s in shapes]} "
                             f"along axis {opts.Axis()}")
        shape = shapes[0][:axis] + (sum(s[axis] for s in shapes),) + shapes[0][axis + 1:]
        return self.add_node(i, "concat", inputs, out, {"axis": axis}, {}, source, shape)

    def float_pad(self, i, op, ins, out, source):
        return self._pad(i, ins, out, source, 0.0)

    def float_padv2(self, i, op, ins, out, source):
        if len(ins) < 3 or ins[2] < 0:
            return self.float_pad(i, op, ins, out, source)
        value = self.buffer(ins[2]) if self.is_const(ins[2]) else None
        if value is None or value.size != 1 or self.tensor(ins[2]).Type() != TensorType.FLOAT32:
            raise UnsupportedOpError(f"{self.where}the padding value must be a constant float32 scalar")
        return self._pad(i, ins, out, source, float(value.reshape(-1)[0]))

    def _float_gates(self, indices, role: str) -> np.ndarray:
        arrays = []
        for k in indices:
            if k < 0:
                raise UnsupportedOpError(f"{self.where}the {role} of a gate is absent (a CIFG LSTM); tinygen runs "
                                         "the LSTM with all four gates")
            self._typed(k, TensorType.FLOAT32, role)
            data = self.buffer(k)
            if data is None:
                raise UnsupportedOpError(f"{self.where}{role} {self.tname(k)!r} is not a constant")
            arrays.append(data.astype(np.float32))
        return np.stack(arrays)

    def float_unidirectional_sequence_lstm(self, i, op, ins, out, source):
        opts, ins, x_name, batches, steps = self.lstm_input(i, op, ins, source)
        for index, role in ((ins[_HIDDEN_STATE], "hidden state (input 18)"), (ins[_CELL_STATE], "cell state (input 19)")):
            self._variable(index, role)
            self._typed(index, TensorType.FLOAT32, role)
        name = self.graph.unique_name(f"lstm_{i}")
        params = {}
        for role, indices in (("w_ih", _INPUT_WEIGHTS), ("w_hh", _RECURRENT_WEIGHTS), ("bias", _BIASES)):
            data = self._float_gates([ins[k] for k in indices], role)
            params[role] = self.graph.add_const(self.graph.unique_name(f"{name}_{role}"), data, "float32").name
        hidden = self.graph.tensors[params["w_hh"]].shape[1]
        attrs = {"hidden": hidden, "sequence": True, "stateful": True, "cell_clip": float(opts.CellClip())}
        node = self.add_node(i, "lstm", [x_name], out, attrs, params, source, (batches, steps, hidden))
        if opts.TimeMajor():
            return self._reshape_output(i, node, out, (steps, 1, hidden), source)
        return node
