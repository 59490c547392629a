"""Build-time data of tg_depthwise_conv2d_s8_dsp and tg_depthwise_conv2d_3x3_s8_dsp
(firmware/kernels/depthwise): their scratch sizes and packed constant, the per-channel records of the
3x3 path (all the constants tg_depthwise_conv2d_3x3_s8_dsp takes).

The 3x3 path serves a layer when its shape allows it (3x3 window, dilation 1, stride_w 1
or 2, at most 2 padded rows on top and columns on the left, an output no larger than the
input along each axis: the in-place rule in the kernel's header) and its constants do:
multipliers >= 0, right shifts (n = -shift of 1..31), accumulators below 2^30 and
|x| + |R| + 1 < 2^31 for the requantization's x = SMMULR(2 * acc, multiplier) and
R = (1 + 2 * output_offset) * 2^(n-1) (the kernel's requantization, proved in the C file). The packed constant says which path runs:
word 0 is the channel count when the 3x3 path serves the layer, then RECORD_WORDS words
per channel; otherwise it is the single word 0.
"""

from __future__ import annotations

import numpy as np

from tinygen.kernels.specialize import requant_once, sign_add_needed

RECORD_WORDS = 7           # TG_DW3_RECORD_WORDS
LAST = 1 << 8              # TG_DW3_LAST: in word 5 of the last channel's record
_ACC_LIMIT = 1 << 30       # |accumulator| bound of the requantization (TG_DW_SMALL_LIMIT)
_MAX_PRODUCT = 255 * 128   # |(x + input_offset) * w| per tap


def dw3_window(p: dict) -> bool:
    """Whether the 3x3 path's window and geometry fit a layer (any depth multiplier:
    tg_depthwise_conv2d_3x3_dm_s8_dsp runs the path over the output channels)."""
    return (p["kernel_h"] == p["kernel_w"] == 3 and p["dilation_h"] == p["dilation_w"] == 1
            and p["stride_w"] in (1, 2) and p["stride_h"] >= 1 and 0 <= p["pad_top"] <= 2
            and 0 <= p["pad_left"] <= 2 and p["out_w"] <= p["in_w"] and p["out_h"] <= p["in_h"])


def dw3_shape(p: dict) -> bool:
    """Whether the 3x3 path of tg_depthwise_conv2d_s8_dsp may serve a layer of these
    parameters (its constants aside): depth multiplier 1."""
    return dw3_window(p) and p["depth_multiplier"] == 1


def dw3_row_words(p: dict) -> int:
    """Words per channel in a ring row (tg_dw3_row_words): column pairs of the padded input
    row, as far as the loads reach (the last window's 4th column)."""
    return -(-max((p["out_w"] - 1) * p["stride_w"] + 4, p["pad_left"] + p["in_w"]) // 2)


def dw3_scratch(p: dict) -> int:
    """tg_depthwise_conv2d_3x3_s8_dsp's (and _dm_s8_dsp's) scratch: 3 widened input rows,
    dw3_row_words column pairs of 4 bytes per output channel each."""
    return 3 * dw3_row_words(p) * p["out_c"] * 4


def dw3_serves(p: dict, consts: dict) -> bool:
    """Whether the 3x3 path serves a layer: its shape and constants let the records be packed."""
    return dw3_window(p) and depthwise_dsp_records(p, consts)[0] == p["out_c"]


def depthwise_widen_scratch(p: dict) -> int:
    """tg_depthwise_conv2d_widen_s8_dsp's scratch (the any-window path's): per whole block of
    4 channels each tap's 4 weights widened to int16 (8 bytes), then the block's bias,
    multiplier and shift (48 bytes)."""
    return p["in_c"] // 4 * (8 * p["kernel_h"] * p["kernel_w"] + 48)


def depthwise_dsp_scratch(p: dict) -> int:
    """Scratch bytes: the larger of the two paths' needs. Any window: per whole block of 4
    channels each tap's 4 weights widened to int16 (8 bytes), then the block's bias,
    multiplier and shift (48 bytes). 3x3 path: 3 widened input rows, dw3_row_words column
    pairs of 4 bytes per channel each."""
    general = depthwise_widen_scratch(p)
    if not dw3_shape(p):
        return general
    return max(general, dw3_scratch(p))


def _per_channel(values, channels: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(values, dtype=np.int64).ravel(), (channels,))


def requant_small_ok(p: dict, consts: dict, channels: int, taps: int):
    """(bias, multiplier, n = -shift) per channel, int64, where the small requantization
    (SMMULR of the doubled accumulator, R folded, SSAT ASR #1) is exact for a window of
    `taps` taps: multipliers >= 0, n in 1..31, |accumulator| < 2^30, |x| + |R| + 1 < 2^31;
    None otherwise."""
    bias = consts.get("bias")
    bias = _per_channel(0 if bias is None else bias, channels)
    multiplier = _per_channel(consts["multiplier"], channels)
    shift = _per_channel(consts["shift"], channels)
    acc = np.abs(bias) + taps * _MAX_PRODUCT       # bounds |accumulator|
    if ((multiplier < 0) | (shift >= 0) | (shift < -31) | (acc >= _ACC_LIMIT)).any():
        return None
    n = -shift
    # |x| <= (2 * acc * multiplier + 2^31) / 2^32; the sum x - [acc < 0] + R stays in int32
    x = (2 * acc * multiplier + (1 << 31)) >> 32
    if (x + abs(1 + 2 * p["output_offset"]) * (1 << (n - 1)) + 1 >= 1 << 31).any():
        return None
    return bias, multiplier, n


def requant_once_ok(p: dict, consts: dict, channels: int, taps: int):
    """(bias, multiplier, n = 0) per channel, int64, for a layer of single-rounding pairs
    (specialize.requant_once: shift 0, multipliers in [0, 2^30)) whose accumulators stay below
    2^30 and that needs no sign's ADD (the kernels that add it per build add -[acc < 0], which
    lowers only outputs at or below the zero point, raised back by act_min >= zp): the folded
    form with n = 0 and R the output zero point, SMMLAR(2 acc, m, zp) = floor((acc m + 2^30) / 2^31)
    + zp, is tg_requantize's result; None otherwise."""
    bias = consts.get("bias")
    bias = _per_channel(0 if bias is None else bias, channels)
    if (not requant_once(consts["multiplier"], consts["shift"]) or sign_add_needed(p)
            or (np.abs(bias) + taps * _MAX_PRODUCT >= _ACC_LIMIT).any()):
        return None
    return bias, _per_channel(consts["multiplier"], channels), np.zeros(channels, np.int64)


def requant_folded_ok(p: dict, consts: dict, channels: int, taps: int):
    """requant_small_ok's (bias, multiplier, n), else requant_once_ok's (n = 0), else None."""
    q = requant_small_ok(p, consts, channels, taps)
    return q if q is not None else requant_once_ok(p, consts, channels, taps)


def folded_round(output_offset: int, n) -> np.ndarray:
    """The folded form's R per channel: (1 + 2 * output_offset) * 2^(n-1), or the output zero
    point where n = 0 (requant_once_ok)."""
    n = np.asarray(n, np.int64)
    return np.where(n == 0, output_offset, (1 + 2 * output_offset) * (np.int64(1) << np.maximum(n - 1, 0)))


def depthwise_dsp_records(p: dict, consts: dict) -> np.ndarray:
    """The packed constant (KernelSpec.pack), int32. An output channel's record (TG_DW3_RECORD_WORDS),
    weights doubled, lo | hi << 16: the doubled bias; w[0][0] | w[0][1]; w[0][2] | w[1][2];
    w[1][0] | w[1][1]; w[2][0] | w[2][1]; (n - 1) | w[2][2] (n = -shift; the last channel's
    with LAST); the multiplier. The kernel computes R = (1 + 2 * output_offset) << (n - 1)
    from the layer's output offset and n - 1, so R is no record word."""
    channels = p["out_c"]
    if not dw3_window(p):
        return np.zeros(1, dtype=np.int32)
    w = np.asarray(consts["weight"], dtype=np.int64).reshape(3, 3, channels)
    q = requant_small_ok(p, consts, channels, 9)
    if q is None:
        return np.zeros(1, dtype=np.int32)
    bias, multiplier, n = q
    rec = np.zeros((channels, RECORD_WORDS), dtype=np.int64)
    def halves(lo, hi):
        return (lo & 0xFFFF) | (hi << 16)

    rec[:, 0] = 2 * bias
    rec[:, 1] = halves(2 * w[0, 0], 2 * w[0, 1])
    rec[:, 2] = halves(2 * w[0, 2], 2 * w[1, 2])
    rec[:, 3] = halves(2 * w[1, 0], 2 * w[1, 1])
    rec[:, 4] = halves(2 * w[2, 0], 2 * w[2, 1])
    rec[:, 5] = halves(n - 1, 2 * w[2, 2])
    rec[-1, 5] |= LAST
    rec[:, 6] = multiplier
    words = np.concatenate([[channels], rec.ravel()])
    return (words & 0xFFFFFFFF).astype(np.uint32).view(np.int32)
