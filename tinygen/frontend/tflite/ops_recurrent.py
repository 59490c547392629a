"""TFLite operator handlers of the recurrent layers: UNIDIRECTIONAL_SEQUENCE_LSTM (int8 or, TFLite's
16x8, int16 activations; int8 weights, int16 cell state; TFLite Micro's integer LSTM: no peephole,
projection, layer norm or CIFG) and SVDF (int8 with int16 time weights and activation state, or
int8 ones). Their state tensors are TFLite variables, which persist from one invocation to the
next: the IR layers are stateful, their state in the arena's persistent region, reset by
tg_model_reset_state() as TFLite Micro's ResetVariableTensors does (the hidden state and an int8
SVDF state to their zero points, the cell and int16 SVDF states to 0)."""

from __future__ import annotations

import numpy as np
import tflite
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.builder import Builder
from tinygen.frontend.tflite.reader import TYPE_NAMES
from tinygen.ir import Node, QParams

# UNIDIRECTIONAL_SEQUENCE_LSTM's inputs (TFLite's lstm_shared.h): weights by gate i, f, c, o
_INPUT_WEIGHTS = (1, 2, 3, 4)
_RECURRENT_WEIGHTS = (5, 6, 7, 8)
_BIASES = (12, 13, 14, 15)
_HIDDEN_STATE, _CELL_STATE = 18, 19
_ABSENT = {"peephole": (9, 10, 11), "projection": (16, 17), "layer norm": (20, 21, 22, 23)}
# the SVDF's time weights (and state) TFLite Micro's integer SVDF takes, and their IR dtype
_SVDF_TIME = {TensorType.INT16: "int16", TensorType.INT8: "int8"}


class RecurrentOps(Builder):
    """op_unidirectional_sequence_lstm, op_svdf."""

    def _typed(self, index: int, ttype: int, role: str) -> None:
        if self.tensor(index).Type() != ttype:
            raise UnsupportedOpError(f"{self.where}{role} {self.tname(index)!r} is "
                                     f"{TYPE_NAMES.get(self.tensor(index).Type())}; expected {TYPE_NAMES[ttype]}")

    def _variable(self, index: int, role: str) -> None:
        if index < 0 or not self.tensor(index).IsVariable():
            raise ModelError(f"{self.where}the {role} must be a variable tensor (TFLite keeps the layer's state in it)")

    def _gate_stack(self, indices, role: str, ttype: int) -> tuple[np.ndarray, np.ndarray]:
        arrays, scales = [], []
        for k in indices:
            if k < 0:
                raise UnsupportedOpError(f"{self.where}the {role} of a gate is absent (a CIFG LSTM); tinygen runs "
                                         "the LSTM with all four gates")
            self._typed(k, ttype, role)
            data = self.buffer(k)
            if data is None:
                raise UnsupportedOpError(f"{self.where}{role} {self.tname(k)!r} is not a constant")
            q = self.qparams(k)
            if q.scale.size != 1:
                raise UnsupportedOpError(f"{self.where}{role} {self.tname(k)!r} is quantized per channel; TFLite "
                                         "Micro's integer LSTM takes one scale per weight tensor")
            arrays.append(data)
            scales.append(q.scale[0])
        return np.stack(arrays), np.asarray(scales, np.float32)

    def lstm_input(self, i, op, ins, source):
        """(options, the 24 inputs with -1 for absent ones, the IR input [batch, time, features],
        batches, steps) of an UNIDIRECTIONAL_SEQUENCE_LSTM, int8 or float: the layer checked
        for what TFLite Micro's LSTM lacks, a time-major input reshaped to batch-major."""
        opts = self.options(op, tflite.UnidirectionalSequenceLSTMOptions)
        ins = ins + [-1] * (24 - len(ins))
        for what, indices in _ABSENT.items():
            if any(ins[k] >= 0 for k in indices):
                raise UnsupportedOpError(f"{self.where}an LSTM with {what} tensors; TFLite Micro's LSTM "
                                         "(and tinygen's) has none")
        if opts.FusedActivationFunction() != ActivationFunctionType.TANH:
            raise UnsupportedOpError(f"{self.where}the cell gate's activation is not TANH")
        x_name = self.activation(ins[0])
        shape = self.graph.tensors[x_name].shape
        if len(shape) != 3:
            raise ModelError(f"{self.where}input of shape {list(shape)}; expected [batch, time, features]")
        batches, steps = (shape[1], shape[0]) if opts.TimeMajor() else shape[:2]
        if opts.TimeMajor() and batches != 1:
            raise UnsupportedOpError(f"{self.where}a time-major LSTM over a batch of {batches}; tinygen runs "
                                     "time-major layers over one sequence", "convert with batch 1 or batch-major")
        if opts.TimeMajor():
            x_name = self._reshape(i, x_name, (1, steps, shape[2]), source)
        return opts, ins, x_name, batches, steps

    def op_unidirectional_sequence_lstm(self, i, op, ins, out, source):
        opts, ins, x_name, batches, steps = self.lstm_input(i, op, ins, source)
        hidden_idx, cell_idx = ins[_HIDDEN_STATE], ins[_CELL_STATE]
        self._variable(hidden_idx, "hidden state (input 18)")
        self._variable(cell_idx, "cell state (input 19)")
        # TFLite Micro's 8x8_16 LSTM (int8 activations, int32 biases) or its 16x8_16 one (int16
        # activations, int64 biases); int8 weights and an int16 cell state in both
        act_type = self.tensor(ins[0]).Type()
        wide = act_type == TensorType.INT16
        self._typed(hidden_idx, act_type, "hidden state")
        self._typed(out, act_type, "output")
        self._typed(cell_idx, TensorType.INT16, "cell state")
        if wide and any(self.qparams(k).zero_point[0] != 0 for k in (ins[0], hidden_idx)):
            raise UnsupportedOpError(f"{self.where}an int16 input or hidden state with a nonzero zero point; "
                                     "TFLite's 16x8 LSTM keeps them symmetric")
        w_ih, s_ih = self._gate_stack([ins[k] for k in _INPUT_WEIGHTS], "input weights", TensorType.INT8)
        w_hh, s_hh = self._gate_stack([ins[k] for k in _RECURRENT_WEIGHTS], "recurrent weights", TensorType.INT8)
        bias, _ = self._gate_stack([ins[k] for k in _BIASES], "bias", TensorType.INT64 if wide else TensorType.INT32)
        hidden = w_hh.shape[1]
        # TFLite Micro copies the hidden state into the output: the output is on the hidden state's grid
        if not self.qparams(hidden_idx).same_as(self.qparams(out)):
            raise UnsupportedOpError(f"{self.where}the output is quantized with {self.qparams(out)!r}, the hidden "
                                     f"state with {self.qparams(hidden_idx)!r}; TFLite Micro writes the hidden "
                                     "state's bytes as the output, so they must agree")
        name = self.graph.unique_name(f"lstm_{i}")
        params = {}
        for role, data, scales in (("w_ih", w_ih, s_ih), ("w_hh", w_hh, s_hh)):
            c = self.graph.add_const(self.graph.unique_name(f"{name}_{role}"), data, "int8")
            c.qparams = QParams(scales, np.zeros(4, np.int64), axis=0)
            params[role] = c.name
        params["bias"] = self.graph.add_const(self.graph.unique_name(f"{name}_bias"), bias,
                                              "int64" if wide else "int32").name
        attrs = {"hidden": hidden, "sequence": True, "stateful": True,
                 "cell_scale": float(self.qparams(cell_idx).scale[0]), "cell_clip": float(opts.CellClip())}
        node = self.add_node(i, "lstm", [x_name], out, attrs, params, source, (batches, steps, hidden))
        if opts.TimeMajor():
            return self._reshape_output(i, node, out, (steps, 1, hidden), source)
        return node

    def _reshape_output(self, i, node: Node, out: int, shape, source) -> Node:
        """The file's output of `shape` as a reshape of the node's output."""
        name = self._reshape(i, node.outputs[0], shape, source)
        self.names[out] = name
        return self.graph.nodes[-1]

    def op_svdf(self, i, op, ins, out, source):
        opts = self.options(op, tflite.SVDFOptions)
        if len(ins) != 5:
            raise ModelError(f"{self.where}has {len(ins)} inputs, expected 5")
        x_name = self.activation(ins[0])
        if len(self.graph.tensors[x_name].shape) != 2:
            raise ModelError(f"{self.where}input of shape {list(self.graph.tensors[x_name].shape)}; expected [batch, features]")
        state = ins[4]
        self._variable(state, "activation state (input 4)")
        # TFLite Micro picks its kernel by the time weights' type and reads the state as that type
        time_type, state_type = self.tensor(ins[2]).Type(), self.tensor(state).Type()
        if time_type not in _SVDF_TIME or state_type != time_type:
            raise UnsupportedOpError(f"{self.where}time weights of {TYPE_NAMES.get(time_type)} and a state of "
                                     f"{TYPE_NAMES.get(state_type)}; tinygen runs the int8 SVDF with int16 or "
                                     "int8 time weights and a state of the same type (as TFLite Micro)")
        name = self.graph.unique_name(f"svdf_{i}")
        params = {"weights_feature": self.const(ins[1], name, "weight", "int8"),
                  "weights_time": self.const(ins[2], name, "weights_time", _SVDF_TIME[time_type])}
        self.graph.tensors[params["weights_time"]].qparams = self.qparams(ins[2])
        if ins[3] >= 0:
            params["bias"] = self.const(ins[3], name, "bias", "int32")
        filters, memory = self.graph.tensors[params["weights_time"]].shape
        rank = opts.Rank()
        if rank <= 0 or filters % rank:
            raise ModelError(f"{self.where}rank {rank} does not divide the {filters} filters")
        sq = self.qparams(state)
        attrs = {"rank": rank, "state_scale": float(sq.scale[0]), "state_zero_point": int(sq.zero_point[0])}
        batches = self.graph.tensors[x_name].shape[0]
        return self.add_node(i, "svdf", [x_name], out, attrs, params, source, (batches, filters // rank))
