"""The constants and scratch of the recurrent layers' DSP kernels (tg_lstm_s8_dsp, tg_gru_s8_dsp;
firmware/kernels/recurrent/tg_recurrent_s8_dsp.h lays the layout out): per unit, the G gates'
input-side and recurrent-side biases with the zero points folded in, then their rows as int16
pairs, 4 columns (two words per row) at a time, over the input's columns and then the hidden
state's, padded with zeros to a multiple of 4 columns. The kernels read them instead of the int8
weights: twice the weights' flash, for two MACs per SMLAD with no widening of the weights."""

from __future__ import annotations

import numpy as np


def _pairs(w: np.ndarray) -> np.ndarray:
    """int8 rows [G, H, K] -> int16 pair words [H, ceil(K / 4), G, 2], low half the even column."""
    g, h, k = w.shape
    k4 = (k + 3) // 4
    padded = np.zeros((g, h, 4 * k4), np.int64)
    padded[:, :, :k] = w
    lo = padded[:, :, 0::2] & 0xFFFF
    hi = (padded[:, :, 1::2] & 0xFFFF) << 16
    words = (lo | hi).reshape(g, h, k4, 2)
    return words.transpose(1, 2, 0, 3)


def _pack(gates: int, kparams: dict, w_ih, w_hh, x_bias, h_bias) -> np.ndarray:
    h = kparams["hidden"]
    w_ih = np.asarray(w_ih, np.int64).reshape(gates, h, -1)
    w_hh = np.asarray(w_hh, np.int64).reshape(gates, h, h)
    xb = np.asarray(x_bias, np.int64) + kparams["input_offset"] * w_ih.sum(2)          # [G, H]
    hb = np.asarray(h_bias, np.int64) + kparams["hidden_offset"] * w_hh.sum(2)
    units = [np.concatenate([xb[:, j], hb[:, j], _pairs(w_ih)[j].ravel(), _pairs(w_hh)[j].ravel()])
             for j in range(h)]
    return np.concatenate(units).astype(np.uint32).view(np.int32)


def pack_lstm_dsp(kparams: dict, consts: dict) -> np.ndarray:
    h = kparams["hidden"]
    return _pack(4, kparams, consts["w_ih"], consts["w_hh"], np.asarray(consts["bias"]).reshape(4, h),
                 np.zeros((4, h), np.int64))


def pack_gru_dsp(kparams: dict, consts: dict) -> np.ndarray:
    """The GRU's recurrent-side biases: 0 for the reset and update gates, b_hn for the new gate."""
    h = kparams["hidden"]
    bias = np.asarray(consts["bias"], np.int64).reshape(4, h)
    h_bias = np.zeros((3, h), np.int64)
    h_bias[2] = bias[3]
    return _pack(3, kparams, consts["w_ih"], consts["w_hh"], bias[:3], h_bias)


def dsp_scratch(p: dict) -> int:
    """The input and hidden state widened to int16 (each padded to 4 values), then the new hidden state."""
    return 2 * 4 * ((p["input_size"] + 3) // 4 + (p["hidden"] + 3) // 4) + (p["hidden"] + 3) // 4 * 4
