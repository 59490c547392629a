"""Build-time data of tg_depthwise_conv2d_3x3_narrow_s8_dsp (firmware/kernels/depthwise): which
layers it serves, its scratch and its packed records.

The kernel computes a whole output row of LINE pixels per channel at once (one accumulator per
pixel, every register taken), channel after channel: 3x3 windows, stride 1, dilation 1, depth
multiplier 1, out_w == LINE, channels a multiple of 4 (the widening takes 4 at a time), at most
2 padded rows on top and columns on the left. Its requantization is the 3x3 path's
(depthwise_dsp.requant_small_ok: the folded SMMLAR form, proved in
tg_depthwise_conv2d_3x3_rows_s8_dsp.h), or for a layer of single-rounding pairs (an ONNX model's
default rounding: depthwise_dsp.requant_once_ok) the same form with R the output zero point and
n = 0, SMMLAR(2 acc, m, zp), which is tg_requantize's floor((acc m + 2^30) / 2^31) plus zp.
A record per channel, RECORD_WORDS words, weights doubled as int16 halves (lo | hi << 16):

    0: the doubled bias
    1 + 2 k: w[k][0] | w[k][1]      2 + 2 k: w[k][1] | w[k][2]      (kernel row k = 0, 1, 2)
    7: the multiplier   8: R = (1 + 2 * output_offset) << (n - 1) (the zero point where n = 0)
    9: n | LAST on the last channel

(n = -shift; ASR by register reads only n's byte, LAST ends the channel loop). The packed
constant is the channel count, then the records; the single word 0 where the kernel does not
serve the layer.
"""

from __future__ import annotations

import numpy as np

from tinygen.kernels.depthwise_dsp import folded_round, requant_folded_ok

LINE = 5             # TG_DW3N_LINE: output pixels per row
RECORD_WORDS = 10    # TG_DW3N_RECORD_WORDS
LAST = 1 << 8        # TG_DW3N_LAST: in the last channel's word 9


def narrow_shape(p: dict) -> bool:
    """Whether the kernel's geometry fits a layer (its constants aside)."""
    return (p["kernel_h"] == p["kernel_w"] == 3 and p["dilation_h"] == p["dilation_w"] == 1
            and p["stride_h"] == p["stride_w"] == 1 and p["depth_multiplier"] == 1
            and p["out_w"] == LINE and p["in_c"] % 4 == 0 and p["in_c"] >= 4
            and 0 <= p["pad_top"] <= 2 and 0 <= p["pad_left"] <= 2 and p["pad_left"] + p["in_w"] <= LINE + 2)


def slot_words(p: dict) -> int:
    """Column pairs per channel in a ring slot (tg_dw3n_words): 4 (padded columns 0..7), or 3
    where padded column 0 is padding (pad_left > 0: columns 1..6, the kernel's phase 1)."""
    return 3 if p["pad_left"] > 0 else 4


def narrow_scratch(p: dict) -> int:
    """Scratch bytes: the ring of 3 widened input rows (slot_words words per channel and row,
    a channel's 3 rows together), then a row of C zero-point bytes (the padding columns'
    input)."""
    if not narrow_shape(p):
        return 0
    return 3 * slot_words(p) * 4 * p["in_c"] + p["in_c"]


def narrow_records(p: dict, consts: dict) -> np.ndarray:
    """The packed constant (KernelSpec.pack), int32: the channel count and a record per
    channel (module docstring), or the single word 0 where the kernel does not serve."""
    channels = p["out_c"]
    if not narrow_shape(p):
        return np.zeros(1, dtype=np.int32)
    q = requant_folded_ok(p, consts, channels, 9)
    if q is None:
        return np.zeros(1, dtype=np.int32)
    bias, multiplier, n = q
    w = np.asarray(consts["weight"], dtype=np.int64).reshape(3, 3, channels)

    def halves(lo, hi):
        return (lo & 0xFFFF) | (hi << 16)

    rec = np.zeros((channels, RECORD_WORDS), dtype=np.int64)
    rec[:, 0] = 2 * bias
    for k in range(3):
        rec[:, 1 + 2 * k] = halves(2 * w[k, 0], 2 * w[k, 1])
        rec[:, 2 + 2 * k] = halves(2 * w[k, 1], 2 * w[k, 2])
    rec[:, 7] = multiplier
    rec[:, 8] = folded_round(p["output_offset"], n)
    rec[:, 9] = n
    rec[-1, 9] |= LAST
    words = np.concatenate([[channels], rec.ravel()])
    return (words & 0xFFFFFFFF).astype(np.uint32).view(np.int32)


def narrow_serves(p: dict, consts: dict) -> bool:
    """Whether the kernel serves a layer: its geometry fits and the records pack."""
    return narrow_shape(p) and int(narrow_records(p, consts)[0]) == p["out_c"]


__all__ = ["LAST", "LINE", "RECORD_WORDS", "narrow_records", "narrow_scratch", "narrow_serves", "narrow_shape",
           "slot_words"]
