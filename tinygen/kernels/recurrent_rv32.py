"""The constants of the recurrent layers' RV32IM kernels (tg_lstm_s8_rv32, tg_gru_s8_rv32;
firmware/kernels/recurrent/tg_recurrent_s8_rv32.h): per unit, the G gates' input-side and
recurrent-side int32 biases with the zero points folded in (as recurrent_dsp.py's), then for
each input column the G gates' int8 weights side by side, then each hidden column's, padded to
whole words. The same bytes as the int8 weights, rearranged, plus the biases."""

from __future__ import annotations

import numpy as np

from tinygen.kernels.recurrent_dsp import gate_arrays, gru_biases


def _pack(gates: int, kparams: dict, w_ih, w_hh, x_bias, h_bias) -> np.ndarray:
    h = kparams["hidden"]
    w_ih, w_hh, xb, hb = gate_arrays(gates, kparams, w_ih, w_hh, x_bias, h_bias)
    cols = gates * (w_ih.shape[2] + h)
    pad = (-cols) % 4
    units = []
    for j in range(h):
        weights = np.concatenate([w_ih[:, j].T.ravel(), w_hh[:, j].T.ravel(), np.zeros(pad, np.int64)])
        words = weights.astype(np.int8).view(np.uint8).reshape(-1, 4).astype(np.uint32)
        words = words[:, 0] | words[:, 1] << 8 | words[:, 2] << 16 | words[:, 3] << 24
        units.append(np.concatenate([np.concatenate([xb[:, j], hb[:, j]]).astype(np.int64).astype(np.uint32), words]))
    return np.concatenate(units).astype(np.uint32).view(np.int32)


def pack_lstm_rv32(kparams: dict, consts: dict) -> np.ndarray:
    h = kparams["hidden"]
    return _pack(4, kparams, consts["w_ih"], consts["w_hh"], np.asarray(consts["bias"]).reshape(4, h),
                 np.zeros((4, h), np.int64))


def pack_gru_rv32(kparams: dict, consts: dict) -> np.ndarray:
    return _pack(3, kparams, consts["w_ih"], consts["w_hh"], *gru_biases(kparams, consts))
