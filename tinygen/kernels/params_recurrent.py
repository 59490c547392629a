"""Parameter builders of the recurrent layers (tg_lstm_params_t, tg_gru_params_t,
tg_svdf_params_t in firmware/kernels/recurrent/tg_kernels_recurrent.h), following TFLite Micro's
Prepare steps: lstm_eval_common.cc (PrepareGateParametersInteger, CreateLstmCellStateInfo) and
svdf_common.cc (PrepareSvdf). Also each layer's persistent state bytes and scratch bytes,
the formulas the kernels' _get_buffer_size companions give.
"""

from __future__ import annotations

import math

import numpy as np

from tinygen.errors import UnsupportedOpError
from tinygen.ir import Graph, Node
from tinygen.kernels.params_base import _qp, builder
from tinygen.quant.fixedpoint import quantize_multiplier
from tinygen.ref.recurrent import ACTIVATION_SCALE, GATE_SCALE, tanh_params


def _mult(real: float) -> tuple[int, int]:
    m, s = quantize_multiplier(float(real))
    return int(m), int(s)


def _gate_mults(in_scale, w_scales) -> tuple[list[int], list[int]]:
    """(multipliers, shifts) of each gate's product onto Q3.12 (TFLite's per-tensor FULLY_CONNECTED
    multiplier: the scales as doubles, their product over the output's)."""
    pairs = [_mult(np.float64(in_scale) * np.float64(w) / np.float64(GATE_SCALE)) for w in w_scales]
    return [m for m, _ in pairs], [s for _, s in pairs]


def _common(graph: Graph, node: Node) -> dict:
    x = graph.tensor(node.inputs[0])
    batches, steps, size = x.shape
    s_x, zp_x = _qp(graph, node.inputs[0])
    s_h, zp_h = _qp(graph, node.outputs[0])
    w_ih = graph.tensor(node.param("w_ih"))
    w_hh = graph.tensor(node.param("w_hh"))
    if w_ih.dtype != "int8" or w_hh.dtype != "int8":
        raise UnsupportedOpError(f"{node.op} {node.name}: weights of {w_ih.dtype} / {w_hh.dtype}; the integer "
                                 "recurrent kernels take int8 weights")
    in_mult, in_shift = _gate_mults(s_x, w_ih.qparams.scale)
    rec_mult, rec_shift = _gate_mults(s_h, w_hh.qparams.scale)
    return {"batches": batches, "steps": steps, "input_size": size, "hidden": int(node.attrs["hidden"]),
            "sequence": int(bool(node.attrs["sequence"])), "stateful": int(bool(node.attrs["stateful"])),
            "input_offset": -zp_x, "hidden_offset": -zp_h, "hidden_zero_point": zp_h,
            "in_mult": in_mult, "in_shift": in_shift, "rec_mult": rec_mult, "rec_shift": rec_shift}


def lstm_state_layout(batches: int, hidden: int, h_bytes: int = 1) -> tuple[int, int]:
    """(byte offset of the int16 cell state in the layer's state, state bytes): h [B, H] of
    `h_bytes` a value (int8, or int16 in the 16x8 LSTM) first, c int16 [B, H] after it at a
    4-byte boundary."""
    c_offset = (h_bytes * batches * hidden + 3) // 4 * 4
    return c_offset, c_offset + 2 * batches * hidden


@builder("lstm")
def _lstm(graph: Graph, node: Node) -> dict:
    p = _common(graph, node)
    s_h, _ = _qp(graph, node.outputs[0])
    s_c = float(node.attrs["cell_scale"])
    power = int(round(math.log2(s_c)))                   # TFLite Micro CheckedLog2
    p["forget_mult"], p["forget_shift"] = _mult(np.float64(ACTIVATION_SCALE) * np.float64(s_c) / np.float64(s_c))
    p["cell_mult"], p["cell_shift"] = _mult(np.float64(ACTIVATION_SCALE) * np.float64(ACTIVATION_SCALE)
                                            / np.float64(s_c))
    p["output_mult"], p["output_shift"] = _mult(np.float64(ACTIVATION_SCALE) * np.float64(ACTIVATION_SCALE)
                                                / np.float64(s_h))
    p["tanh_mult"], p["tanh_shift"] = tanh_params(power)
    p["cell_scale_power"] = power
    clip = float(node.attrs.get("cell_clip", 0.0))
    p["cell_clip"] = int(min(max(clip / s_c, -32768.0), 32767.0)) if clip > 0 else 0
    # c0 as a model input: int8 on its own grid, requantized onto the cell's at each reset
    if len(node.inputs) == 3:
        s_c0, zp_c0 = _qp(graph, node.inputs[2])
        p["c0_mult"], p["c0_shift"] = _mult(np.float64(s_c0) / np.float64(s_c))
        p["c0_offset"] = -zp_c0
    else:
        p["c0_mult"], p["c0_shift"], p["c0_offset"] = 0, 0, 0
    h_bytes = 2 if graph.tensor(node.outputs[0]).dtype == "int16" else 1
    p["c_offset"] = lstm_state_layout(p["batches"], p["hidden"], h_bytes)[0]
    return p


@builder("gru")
def _gru(graph: Graph, node: Node) -> dict:
    p = _common(graph, node)
    s_h, _ = _qp(graph, node.outputs[0])
    p["output_mult"], p["output_shift"] = _mult(np.float64(ACTIVATION_SCALE) * np.float64(ACTIVATION_SCALE)
                                                / np.float64(s_h))
    return p


@builder("svdf")
def _svdf(graph: Graph, node: Node) -> dict:
    x = graph.tensor(node.inputs[0])
    wf = graph.tensor(node.param("weights_feature"))
    wt = graph.tensor(node.param("weights_time"))
    s_x, zp_x = _qp(graph, node.inputs[0])
    s_o, zp_o = _qp(graph, node.outputs[0])
    s_s = np.float32(node.attrs["state_scale"])
    # TFLite Micro PrepareSvdf: the products in float32, then as doubles
    m1, sh1 = _mult(np.float64(np.float32(np.float32(s_x) * wf.qparams.scale[0]) / s_s))
    m2, sh2 = _mult(np.float64(np.float32(s_s * wt.qparams.scale[0]) / np.float32(s_o)))
    filters, memory = wt.shape
    rank = int(node.attrs["rank"])
    return {"batches": x.shape[0], "input_size": x.shape[1], "filters": filters, "memory": memory,
            "rank": rank, "units": filters // rank, "stateful": 1,
            "input_zero_point": zp_x, "state_zero_point": int(node.attrs["state_zero_point"]),
            "output_zero_point": zp_o, "mult1": m1, "shift1": sh1, "mult2": m2, "shift2": sh2}


# -- memory the kernels need ---------------------------------------------------------------------

def lstm_state_bytes(p: dict) -> int:
    """h, then c int16 [B, H] at p["c_offset"] (lstm_state_layout)."""
    return p["c_offset"] + 2 * p["batches"] * p["hidden"]


def gru_state_bytes(p: dict) -> int:
    return p["batches"] * p["hidden"]


def svdf_state_bytes(p: dict) -> int:
    return 2 * p["batches"] * p["filters"] * p["memory"]


def svdf_s8_state_bytes(p: dict) -> int:
    """tg_svdf_s8_s8's int8 state: one byte an entry."""
    return p["batches"] * p["filters"] * p["memory"]


def svdf_time_dtype(graph: Graph, node: Node) -> str:
    """The SVDF's time weights' dtype, which is its state's too: "int16" (tg_svdf_s8) or "int8"
    (tg_svdf_s8_s8), as TFLite Micro picks its SVDF by the time weights' type."""
    return graph.tensor(node.param("weights_time")).dtype


def recurrent_scratch_bytes(p: dict) -> int:
    """tg_lstm_s8 / tg_gru_s8: the new hidden state of one batch, H bytes (the old one is read
    by every unit's recurrent product while it is being computed)."""
    return p["hidden"]


def lstm_s16_scratch_bytes(p: dict) -> int:
    """tg_lstm_s16: the new int16 hidden state of one batch, 2 x H bytes."""
    return 2 * p["hidden"]
