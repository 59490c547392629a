"""The constants and scratch of the recurrent layers' DSP kernels (tg_lstm_s8_dsp, tg_gru_s8_dsp;
firmware/kernels/recurrent/tg_recurrent_s8_dsp.h lays the layout out): per unit, the G gates'
input-side and recurrent-side biases with the zero points folded in, then their rows as int16
pairs, 4 columns (two words per row) at a time, over the input's columns and then the hidden
state's, padded with zeros to a multiple of 4 columns. The kernels read them instead of the int8
weights: twice the weights' flash, for two MACs per SMLAD with no widening of the weights. The
LSTM's record starts with its requantizations' constants (lstm_dsp_requant) and keeps each side
whole (its biases, then its columns), each gate's left shift folded into its weights
(pack_lstm_dsp)."""

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


def folded_biases(kparams: dict, w_ih: np.ndarray, w_hh: np.ndarray, x_bias, h_bias) -> tuple[np.ndarray, np.ndarray]:
    """Each gate's biases [G, H] with the zero points folded in: the products then take the raw
    int8 values (sum (x + offset) w = sum x w + offset sum w, exact in int32 as in the kernels)."""
    xb = np.asarray(x_bias, np.int64) + kparams["input_offset"] * w_ih.sum(2)
    hb = np.asarray(h_bias, np.int64) + kparams["hidden_offset"] * w_hh.sum(2)
    return xb, hb


def gru_biases(kparams: dict, consts: dict) -> tuple[np.ndarray, np.ndarray]:
    """The GRU's input-side biases [3, H] and recurrent-side ones: 0 for the reset and update
    gates, b_hn for the new gate."""
    h = kparams["hidden"]
    bias = np.asarray(consts["bias"], np.int64).reshape(4, h)
    h_bias = np.zeros((3, h), np.int64)
    h_bias[2] = bias[3]
    return bias[:3], h_bias


def gate_arrays(gates: int, kparams: dict, w_ih, w_hh, x_bias, h_bias) -> tuple[np.ndarray, ...]:
    """The gates' weights [G, H, K] (int64) and their folded biases [G, H], input side then recurrent."""
    h = kparams["hidden"]
    w_ih = np.asarray(w_ih, np.int64).reshape(gates, h, -1)
    w_hh = np.asarray(w_hh, np.int64).reshape(gates, h, h)
    return (w_ih, w_hh) + folded_biases(kparams, w_ih, w_hh, x_bias, h_bias)


def _pack(gates: int, kparams: dict, w_ih, w_hh, x_bias, h_bias) -> np.ndarray:
    h = kparams["hidden"]
    w_ih, w_hh, xb, hb = gate_arrays(gates, kparams, w_ih, w_hh, x_bias, h_bias)
    units = [np.concatenate([xb[:, j], hb[:, j], _pairs(w_ih)[j].ravel(), _pairs(w_hh)[j].ravel()])
             for j in range(h)]
    return np.concatenate(units).astype(np.uint32).view(np.int32)


MAX_GATE_SHIFT = 8          # a gate's left shift folded into its int16 weights: 127 x 2^8 fits


def _factor(multiplier: int, shift: int) -> int:
    """The factor TFLite's requantization applies before its multiplier: 2^shift for a left shift, else
    1; 0 for a multiplier of 0 (a zero product)."""
    return 0 if multiplier == 0 else 1 << max(shift, 0)


def gate_factors(kparams: dict) -> tuple[np.ndarray, np.ndarray]:
    """Each gate's factor (_factor) [4], on the input side and on the recurrent side."""
    return tuple(np.array([_factor(int(m), int(s)) for m, s in zip(kparams[f"{side}_mult"], kparams[f"{side}_shift"])],
                          np.int64) for side in ("in", "rec"))


def lstm_dsp_fits(kparams: dict) -> bool:
    """Whether tg_lstm_s8_dsp computes the layer: every gate's left shift at most MAX_GATE_SHIFT (its
    factor goes into the gate's weights and biases), and f * c, i * g and tanh(c) * o requantized with
    a nonzero multiplier and no left shift (their records have no factor)."""
    gates = all(s <= MAX_GATE_SHIFT for side in ("in", "rec") for s in kparams[f"{side}_shift"])
    return gates and all(kparams[f"{k}_mult"] != 0 and kparams[f"{k}_shift"] <= 0 for k in ("forget", "cell", "output"))


def lstm_dsp_requant(kparams: dict) -> np.ndarray:
    """tg_lstm_s8_dsp's requantizations (tg_lstm_dsp_requant_t, the head of its packed record), as
    tg_rnn_requant_t records (factor 1: the gates' factors are in their weights): each gate's input
    product and recurrent product, then f * c, i * g and tanh(c) * o."""
    pairs = [(kparams[f"{side}_mult"][g], kparams[f"{side}_shift"][g]) for g in range(4) for side in ("in", "rec")]
    pairs += [(kparams[f"{k}_mult"], kparams[f"{k}_shift"]) for k in ("forget", "cell", "output")]
    return np.array([[1, (2 * int(m)) & 0xFFFFFFFF, max(-int(s), 0) - 1] for m, s in pairs], np.int64).ravel()


def pack_lstm_dsp(kparams: dict, consts: dict) -> np.ndarray:
    """tg_lstm_s8_dsp's record: the requantizations (lstm_dsp_requant), then per unit its input
    side (the 4 gates' biases, then the input's groups of 4 columns as _pairs lays them out) and its
    recurrent side (the same over the hidden state), each gate's weights and folded biases times its
    side's factor (_factor; the biases wrapping to int32 as TFLite's product of the sum does)."""
    h = kparams["hidden"]
    w_ih, w_hh, xb, hb = gate_arrays(4, kparams, consts["w_ih"], consts["w_hh"],
                                     np.asarray(consts["bias"]).reshape(4, h), np.zeros((4, h), np.int64))
    fx, fh = gate_factors(kparams)
    px, ph = _pairs(w_ih * fx[:, None, None]), _pairs(w_hh * fh[:, None, None])
    xb, hb = xb * fx[:, None], hb * fh[:, None]
    units = [np.concatenate([xb[:, j], px[j].ravel(), hb[:, j], ph[j].ravel()]) for j in range(h)]
    return (np.concatenate([lstm_dsp_requant(kparams)] + units) & 0xFFFFFFFF).astype(np.uint32).view(np.int32)


def pack_gru_dsp(kparams: dict, consts: dict) -> np.ndarray:
    return _pack(3, kparams, consts["w_ih"], consts["w_hh"], *gru_biases(kparams, consts))


def pack_svdf_dsp(kparams: dict, consts: dict) -> np.ndarray:
    """tg_svdf_s8_dsp's records, per filter: -input zero point x the feature row's sum,
    -state zero point x the time row's sum, then the feature row as int16 pairs (odd sizes padded)."""
    wf = np.asarray(consts["weights_feature"], np.int64)
    wt = np.asarray(consts["weights_time"], np.int64)
    filters, inputs = wf.shape
    padded = np.zeros((filters, inputs + inputs % 2), np.int64)
    padded[:, :inputs] = wf
    pairs = (padded[:, 0::2] & 0xFFFF) | ((padded[:, 1::2] & 0xFFFF) << 16)
    folds = np.stack([-kparams["input_zero_point"] * wf.sum(1), -kparams["state_zero_point"] * wt.sum(1)], axis=1)
    return np.concatenate([folds & 0xFFFFFFFF, pairs], axis=1).astype(np.uint32).view(np.int32).ravel()


def svdf_dsp_scratch(p: dict) -> int:
    """The input widened to int16, padded to an even count."""
    return 2 * (p["input_size"] + 1 + 1) // 2 * 2


def dsp_scratch(p: dict) -> int:
    """The input and hidden state widened to int16 (each padded to 4 values), then the new hidden state."""
    return 2 * 4 * ((p["input_size"] + 3) // 4 + (p["hidden"] + 3) // 4) + (p["hidden"] + 3) // 4 * 4
