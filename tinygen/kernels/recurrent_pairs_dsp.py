"""The constants of tg_lstm_s8_pairs_dsp (firmware/kernels/recurrent/tg_lstm_s8_pairs_dsp.c): the
LSTM's int8 weights two gate rows to a halfword, so that one SMLAD over the halfwords and one over
their low bytes give both rows' products (the row-pair trick).

Rows A and B (gates 0 and 1, and gates 2 and 3, of the same unit) at the same column become
h = 256 b + a, an int16 (it fails only for b = -128 with a < 0); a word holds h at two columns.
Against the two widened inputs of those columns, SMLAD(word) sums 256 S_B + S_A and SMLAD(SXTB16(word))
sums S_A (the low bytes sign-extended are the a's): S_B = (acc1 - acc2) >> 8, exact (mod 2^32 in
the accumulators) where B's bias plus its products lie in [-2^23, 2^23), which pairs_fit checks at
build time from the weights (|x| <= 128). Per 4 MACs: one load, one SXTB16, two SMLAD: the int16
pairs' speed at the int8 weights' size (half of tg_lstm_s8_dsp's record).

The input side does not depend on the hidden state: the kernel takes it two steps at a time, before
the steps' recurrences, both gate pairs of a unit together, each weight word loaded and SXTB16'd once for
the two steps and each input word read for both pairs (an odd sequence's last step alone). Its record, per
unit: acc1's and acc2's starts (256 bias_B + bias_A, and bias_A, the zero points folded in as
recurrent_dsp.folded_biases does) for gates (0, 1), then for gates (2, 3), then per two columns of the
input the word of gates (0, 1) and the word of gates (2, 3), the columns padded with zeros to a multiple of
X_COLUMNS (x_columns). The recurrent
side, per unit: acc1's and acc2's starts for gates (0, 1), then for gates (2, 3), then per 4 columns
the words of gates (0, 1) at columns 0-1 and 2-3, then those of gates (2, 3); columns padded with zeros
to a multiple of 8 (groups). The record: recurrent_dsp.lstm_dsp_requant's requantizations, as
tg_lstm_s8_dsp's, then every unit's input side, then every unit's recurrent side, then OVERREAD_WORDS
zeros."""

from __future__ import annotations

import numpy as np

from tinygen.kernels.recurrent_dsp import gate_arrays, gate_factors, lstm_dsp_fits, lstm_dsp_requant

B_LIMIT = 1 << 23           # |bias_B + sum b x| below it: (acc1 - acc2) >> 8 is exact
X_MAX = 128                 # the largest |x| of an int8 input or hidden value
OVERREAD_WORDS = 2          # the kernel's pipelined loads read two words past a side's vector and record
X_COLUMNS = 16              # the input side's loop takes 16 columns a pass
X_STEPS = 2                 # the steps the input side takes a pass (tg_lstm_pairs_x22_dsp.h)


def groups(columns: int) -> int:
    """A side's groups of 4 columns: an even count (the kernel takes two groups a turn)."""
    return (columns + 7) // 8 * 2


def x_columns(inputs: int) -> int:
    """The input side's columns: padded to a multiple of X_COLUMNS."""
    return (inputs + X_COLUMNS - 1) // X_COLUMNS * X_COLUMNS


def _wrap32(v: np.ndarray) -> np.ndarray:
    return ((np.asarray(v, np.int64) + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _sides(kparams: dict, consts: dict) -> tuple[np.ndarray, ...]:
    """The gates' weights and folded biases (recurrent_dsp.gate_arrays) times their factors (0 or 1 here:
    a zero multiplier's product is zero)."""
    h = kparams["hidden"]
    w_ih, w_hh, xb, hb = gate_arrays(4, kparams, consts["w_ih"], consts["w_hh"],
                                     np.asarray(consts["bias"]).reshape(4, h), np.zeros((4, h), np.int64))
    fx, fh = gate_factors(kparams)
    return w_ih * fx[:, None, None], w_hh * fh[:, None, None], xb * fx[:, None], hb * fh[:, None]


def pairs_fit(kparams: dict, consts: dict) -> bool:
    """Whether tg_lstm_s8_pairs_dsp computes the layer exactly: tg_lstm_s8_dsp's requantizations
    (lstm_dsp_fits) with no gate's left shift (its factor would leave int8), every h = 256 b + a an int16,
    and every B row's bias plus products bounded below 2^23."""
    if not lstm_dsp_fits(kparams) or any(s > 0 for side in ("in", "rec") for s in kparams[f"{side}_shift"]):
        return False
    w_ih, w_hh, xb, hb = _sides(kparams, consts)
    for w, bias in ((w_ih, xb), (w_hh, hb)):
        a, b = w[0::2], w[1::2]                 # rows A (gates 0, 2) and B (gates 1, 3) [2, H, K]
        if np.any((b == -128) & (a < 0)):
            return False
        if np.any(np.abs(_wrap32(bias[1::2])) + X_MAX * np.abs(b).sum(2) >= B_LIMIT):
            return False
    return True


def _halfwords(w: np.ndarray, columns: int) -> np.ndarray:
    """Rows A and B's halfwords h = 256 b + a [2, H, columns] (zero padded), as uint16."""
    _, h, k = w.shape
    halves = np.zeros((2, h, columns), np.int64)
    halves[:, :, :k] = 256 * w[1::2] + w[0::2]
    return halves & 0xFFFF


def _starts(bias: np.ndarray) -> np.ndarray:
    """Per unit acc1's and acc2's starts of gates (0, 1) and of gates (2, 3) [H, 4]."""
    ba, bb = _wrap32(bias[0::2]), _wrap32(bias[1::2])          # [pair, H]
    return np.stack([256 * bb[0] + ba[0], ba[0], 256 * bb[1] + ba[1], ba[1]], axis=1)


def _side(w: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """The recurrent side's words per unit [H, 4 + 4 * groups]: the accumulators' starts, then the groups."""
    _, h, k = w.shape
    k4 = groups(k)
    halves = _halfwords(w, 4 * k4)
    words = (halves[:, :, 0::2] | (halves[:, :, 1::2] << 16)).reshape(2, h, k4, 2)   # [pair, H, group, 2]
    words = words.transpose(1, 2, 0, 3).reshape(h, 4 * k4)
    return np.concatenate([_starts(bias), words], axis=1)


def _input_side(w: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """The input side's words per unit [H, 4 + x_columns]: its four starts (gates (0, 1)'s two, then gates
    (2, 3)'s), then per two columns the word of gates (0, 1) and the word of gates (2, 3) side by side."""
    _, h, k = w.shape
    halves = _halfwords(w, x_columns(k))
    words = (halves[:, :, 0::2] | (halves[:, :, 1::2] << 16)).transpose(1, 2, 0)     # [H, columns / 2, pair]
    return np.concatenate([_starts(bias), words.reshape(h, -1)], axis=1)


def pack_lstm_pairs_dsp(kparams: dict, consts: dict) -> np.ndarray:
    """tg_lstm_s8_pairs_dsp's record: the requantizations (lstm_dsp_requant), then every unit's input
    side (_input_side), then every unit's recurrent side (_side)."""
    w_ih, w_hh, xb, hb = _sides(kparams, consts)
    tail = np.zeros(OVERREAD_WORDS, np.int64)
    parts = [lstm_dsp_requant(kparams), _input_side(w_ih, xb).ravel(), _side(w_hh, hb).ravel(), tail]
    return (np.concatenate(parts) & 0xFFFFFFFF).astype(np.uint32).view(np.int32)


def pairs_dsp_scratch(p: dict) -> int:
    """X_STEPS steps' inputs widened to int16 side by side (x_columns each), the hidden state widened (padded
    to groups()), each with the words the pipelined loads read past it, the new hidden state's spare row,
    and X_STEPS steps' input-side pre-activations (4 gates per unit, int16: tg_lstm_pairs_unit_dsp.h), or where
    an input-side record shifts (in_shift < 0) their raw sums (int32) until the pass packs them."""
    sums = 2 if all(s >= 0 for s in p["in_shift"]) else 4
    return (X_STEPS * 2 * x_columns(p["input_size"]) + 2 * 4 * groups(p["hidden"]) + 2 * 4 * OVERREAD_WORDS
            + (p["hidden"] + 3) // 4 * 4 + X_STEPS * 4 * sums * p["hidden"])


__all__ = ["B_LIMIT", "OVERREAD_WORDS", "X_COLUMNS", "X_MAX", "X_STEPS", "groups", "pack_lstm_pairs_dsp",
           "pairs_dsp_scratch", "pairs_fit", "x_columns"]
