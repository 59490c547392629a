"""int8 quantization of recurrent layers (LSTM, GRU), in TFLite's integer LSTM conventions:

- weights: int8, symmetric, one scale per gate and side (TFLite's eight LSTM weight tensors
  each have their own per-tensor scale), stored [gates, H, K] with the scales along axis 0;
- biases: int32 on the input side's scale per gate (s_x * s_w); the GRU's new-gate recurrent
  bias b_hn, which sits inside r * (W_hn h + b_hn), on the recurrent side's (s_h * s_w);
- the hidden state shares the output's int8 grid (the output is the hidden state); an h0
  given as an input is on that grid too;
- the LSTM's cell state is int16 on a power-of-two scale 2^(e - 15), e = ceil(log2(max |c|)) + 1
  over the calibration data: one bit more than the TFLite converter's choice, since a cell
  that leaves its range saturates and carries the error on through every later step,
  attrs["cell_scale"];
- h0 / c0 constants: int8 on the output's grid / int16 on the cell's.
"""

from __future__ import annotations

import math

import numpy as np

from tinygen.ir import Graph, Node, QParams
from tinygen.quant import params as qp

_GATES = {"lstm": 4, "gru": 3}
# the cell scale's exponent range: tanh of the cell takes 2^-27 .. 2^0 (tinygen.ref.recurrent.tanh_params)
CELL_EXPONENT_MIN, CELL_EXPONENT_MAX = -12, 15
# bits of range the cell state keeps above its calibrated largest magnitude
CELL_HEADROOM_BITS = 1


def cell_scale(abs_max: float) -> float:
    """The int16 cell state's power-of-two scale for cell values up to abs_max."""
    e = math.ceil(math.log2(abs_max)) + CELL_HEADROOM_BITS if abs_max > 0 else CELL_EXPONENT_MIN
    return 2.0 ** (min(max(e, CELL_EXPONENT_MIN), CELL_EXPONENT_MAX) - 15)


def _gate_weights(graph: Graph, node: Node, role: str, gates: int) -> tuple[str, np.ndarray]:
    w = graph.tensor(node.param(role)).data
    hidden = node.attrs["hidden"]
    w = w.reshape(gates, hidden, -1)
    scales = qp.weight_scales(w.reshape(gates, -1), 0)
    q = graph.add_const(graph.unique_name(f"{node.name}_{role}"), qp.quantize_weights(w, scales, 0), "int8")
    q.qparams = QParams(scales, np.zeros(gates, np.int64), axis=0)
    return q.name, scales


def _bias(graph: Graph, node: Node, rows: list[np.ndarray], scales: list[float]) -> str:
    data = np.stack([qp.round_half_away(np.asarray(b, np.float64) / np.float64(s)) for b, s in zip(rows, scales)])
    data = np.clip(data, -2 ** 31, 2 ** 31 - 1).astype(np.int32)
    return graph.add_const(graph.unique_name(f"{node.name}_bias"), data, "int32").name


def quantize_recurrent_node(graph: Graph, node: Node) -> None:
    gates = _GATES[node.op]
    hidden = node.attrs["hidden"]
    s_x = np.float64(graph.tensor(node.inputs[0]).qparams.scale[0])
    out_q = graph.tensor(node.outputs[0]).qparams
    s_h, zp_h = np.float64(out_q.scale[0]), int(out_q.zero_point[0])
    pset = node.params[0]
    new = {}
    new["w_ih"], sx_w = _gate_weights(graph, node, "w_ih", gates)
    new["w_hh"], sh_w = _gate_weights(graph, node, "w_hh", gates)
    if node.op == "lstm":
        b = graph.tensor(pset["bias"]).data.reshape(gates, hidden)
        new["bias"] = _bias(graph, node, list(b), [s_x * np.float64(s) for s in sx_w])
        node.attrs["cell_scale"] = cell_scale(float(node.attrs.get("cell_abs_max", 0.0)))
        node.attrs.setdefault("cell_clip", 0.0)
    else:
        b_ih = graph.tensor(pset["b_ih"]).data.reshape(gates, hidden)
        b_hh = graph.tensor(pset["b_hh"]).data.reshape(gates, hidden)
        rows = [b_ih[0] + b_hh[0], b_ih[1] + b_hh[1], b_ih[2], b_hh[2]]
        new["bias"] = _bias(graph, node, rows, [s_x * np.float64(sx_w[0]), s_x * np.float64(sx_w[1]),
                                               s_x * np.float64(sx_w[2]), s_h * np.float64(sh_w[2])])
    if "h0" in pset:
        h0 = graph.tensor(pset["h0"]).data
        q = np.clip(zp_h + qp.round_half_away(h0 / s_h), -128, 127).astype(np.int8)
        new["h0"] = graph.add_const(graph.unique_name(f"{node.name}_h0"), q, "int8").name
    if "c0" in pset:
        c0 = graph.tensor(pset["c0"]).data
        q = np.clip(qp.round_half_away(c0 / node.attrs["cell_scale"]), -32768, 32767).astype(np.int16)
        new["c0"] = graph.add_const(graph.unique_name(f"{node.name}_c0"), q, "int16").name
    node.params[0] = new


def share_hidden_grid(node: Node, union) -> None:
    """An h0 input is on the hidden state's grid, the output's: union(h0, output)."""
    if node.op in _GATES and len(node.inputs) > 1:
        union(node.inputs[1], node.outputs[0])
