"""Build-time data of the 16x8 DSP kernels (firmware/kernels/*/tg_*_s16_dsp.c): the int8 weights
widened to int16 in the order the kernels read them, followed by the per-channel requantization
records (KernelSpec.pack: the kernels' only constant), the im2col kernel's scratch, and which
layers the kernels serve (depthwise: the int32 accumulation; all: the records).

- tg_conv2d_s16_dsp, tg_conv2d_1x1_s16_dsp, tg_fully_connected_s16_dsp: int16
  [out_c][depth rounded up to even], depth = kernel_h * kernel_w * in_c (in_features), the pad 0,
  so that SMLAD reads two weights per word.
- tg_depthwise_conv2d_s16_dsp: int16 [kernel_h * kernel_w][out_c rounded up to even], the pad
  0: two neighbouring channels' weights of a tap per word.
- tg_depthwise_conv2d_3x3_s16_dsp: per channel its weights as 5 int16 pairs and its record
  (s16_dsp_depthwise_3x3_packed); scratch: a ring of 3 rearranged input rows.
- tg_depthwise_conv2d_rows_s16_dsp: per output channel its weights as kernel_h rows of int16 pairs and
  its record (s16_dsp_depthwise_rows_packed); scratch: a ring of kernel_h rearranged input rows.

Then, for every kernel, one record of REQUANT_RECORD int16 per output channel (s16_requant_records):
tg_requantize_s64 of acc + bias folded into one SMLAL and shifts. With reduced = TFLite's 16-bit
multiplier, total = 15 - shift and k = max(0, 32 - total):
  offset = (bias * reduced + 2^(total - 1)) * 2^k  (int64, modulo 2^64; int16 halves 0..3)
  mult   = reduced * 2^k                           (int32; halves 4, 5)
  rshift = max(0, total - 32)                      (halves 6, 7: an int32)
and the kernel's result is (int32)((offset + acc * mult) >> 32) >> rshift: bits total..total+31 of
(acc + bias) * reduced + 2^(total - 1) modulo 2^64, which is what tg_requantize_s64's int64
arithmetic keeps after its shift and the cast to int32.
"""

from __future__ import annotations

import numpy as np

# a depthwise window sums at most this many products of |x * w| <= 2^22 in int32: 511 * 2^22 < 2^31
DEPTHWISE_MAX_TAPS = 511


# int16 per output channel's requantization record
REQUANT_RECORD = 8


def _even(n: int) -> int:
    return n + (n & 1)


def s16_dsp_weights(p: dict, consts: dict) -> np.ndarray:
    """The convolutions' and the fully connected layer's packed weights (KernelSpec.pack): int16
    [out_c, depth rounded up to even], each output channel's weights in the portable kernel's
    order (kernel_h, kernel_w, in_c)."""
    w = np.asarray(consts["weight"])
    rows = p["out_c"] if "out_c" in p else p["out_features"]
    flat = w.reshape(rows, -1).astype(np.int16)
    out = np.zeros((rows, _even(flat.shape[1])), np.int16)
    out[:, :flat.shape[1]] = flat
    return out.reshape(-1)


def s16_dsp_depthwise_weights(p: dict, consts: dict) -> np.ndarray:
    """The depthwise kernel's packed weights: int16 [kernel_h * kernel_w, out_c rounded up to even]."""
    taps = p["kernel_h"] * p["kernel_w"]
    flat = np.asarray(consts["weight"]).reshape(taps, p["out_c"]).astype(np.int16)
    out = np.zeros((taps, _even(p["out_c"])), np.int16)
    out[:, :p["out_c"]] = flat
    return out.reshape(-1)


def _requant_terms(consts: dict, channels: int):
    """(bias, reduced, total) per channel, int64 (tinygen.ref.int16.requantize_s64's terms)."""
    bias = consts.get("bias")
    bias = np.zeros(channels, np.int64) if bias is None else np.broadcast_to(
        np.asarray(bias, np.int64).ravel(), (channels,))
    m = np.broadcast_to(np.asarray(consts["multiplier"], np.int64).ravel(), (channels,))
    shift = np.broadcast_to(np.asarray(consts["shift"], np.int64).ravel(), (channels,))
    reduced = np.where(m < 0x7FFF0000, (m + (1 << 15)) >> 16, 0x7FFF)
    return bias, reduced, 15 - shift


def s16_requant_records(consts: dict, channels: int) -> np.ndarray | None:
    """The requantization records, int16 [channels, REQUANT_RECORD] (see the module's doc), or
    None where a channel's cannot be formed: total shift outside [1, 63] (tg_requantize_s64
    itself needs total >= 1) or reduced * 2^k outside int32."""
    bias, reduced, total = _requant_terms(consts, channels)
    if ((total < 1) | (total > 63)).any():
        return None
    k = np.maximum(0, 32 - total)
    mult = [int(r) << int(e) for r, e in zip(reduced, k)]
    if any(not -(1 << 31) <= v < (1 << 31) for v in mult):
        return None
    mask = (1 << 64) - 1
    offset = [((int(b) * int(r) + (1 << (int(t) - 1))) << int(e)) & mask
              for b, r, t, e in zip(bias, reduced, total, k)]
    words = np.zeros((channels, REQUANT_RECORD // 2), np.uint32)
    words[:, 0] = [o & 0xFFFFFFFF for o in offset]
    words[:, 1] = [o >> 32 for o in offset]
    words[:, 2] = [v & 0xFFFFFFFF for v in mult]
    words[:, 3] = np.maximum(0, total - 32)
    return words.view(np.int16).reshape(channels, REQUANT_RECORD)


def _with_records(weights: np.ndarray, consts: dict, channels: int) -> np.ndarray:
    records = s16_requant_records(consts, channels)
    if records is None:
        raise ValueError("the 16x8 DSP kernels' requantization records do not serve this layer")
    return np.concatenate([weights.reshape(-1), records.reshape(-1)])


def s16_dsp_packed(p: dict, consts: dict) -> np.ndarray:
    """tg_conv2d_s16_dsp's, tg_conv2d_1x1_s16_dsp's and tg_fully_connected_s16_dsp's packed
    constant (KernelSpec.pack): s16_dsp_weights, then the requantization records."""
    return _with_records(s16_dsp_weights(p, consts), consts, p["out_c"] if "out_c" in p else p["out_features"])


def s16_dsp_depthwise_packed(p: dict, consts: dict) -> np.ndarray:
    """tg_depthwise_conv2d_s16_dsp's packed constant: s16_dsp_depthwise_weights, then the records."""
    return _with_records(s16_dsp_depthwise_weights(p, consts), consts, p["out_c"])


def s16_dsp_depthwise_3x3_packed(p: dict, consts: dict) -> np.ndarray:
    """tg_depthwise_conv2d_3x3_s16_dsp's packed constant, int16 [out_c][18]: per channel its weights
    as 5 int16 pairs, w[0][0] w[0][1], w[1][0] w[1][1], w[2][0] w[2][1], w[0][2] w[1][2], w[2][2] 0,
    then its requantization record."""
    channels = p["out_c"]
    records = s16_requant_records(consts, channels)
    if records is None:
        raise ValueError("the 16x8 DSP kernels' requantization records do not serve this layer")
    w = np.asarray(consts["weight"]).reshape(3, 3, channels).astype(np.int16)
    out = np.zeros((channels, 10 + REQUANT_RECORD), np.int16)
    out[:, 0:2] = w[0, 0:2].T
    out[:, 2:4] = w[1, 0:2].T
    out[:, 4:6] = w[2, 0:2].T
    out[:, 6], out[:, 7], out[:, 8] = w[0, 2], w[1, 2], w[2, 2]
    out[:, 10:] = records
    return out.reshape(-1)


def s16_dsp_depthwise_rows_packed(p: dict, consts: dict) -> np.ndarray:
    """tg_depthwise_conv2d_rows_s16_dsp's packed constant, int16 [out_c][2 * kernel_h * pairs +
    REQUANT_RECORD], pairs = (kernel_w + 1) // 2: per channel its weights row by row, each row
    padded with 0 to an even width (w[r][2k] at half 2k of the row), then its record."""
    channels, kh, kw = p["out_c"], p["kernel_h"], p["kernel_w"]
    records = s16_requant_records(consts, channels)
    if records is None:
        raise ValueError("the 16x8 DSP kernels' requantization records do not serve this layer")
    w = np.asarray(consts["weight"]).reshape(kh, kw, channels).astype(np.int16)
    rows = np.zeros((channels, kh, _even(kw)), np.int16)
    rows[:, :, :kw] = w.transpose(2, 0, 1)
    return np.concatenate([rows.reshape(channels, -1), records], axis=1).reshape(-1)


def depthwise_rows_s16_dsp_scratch(p: dict) -> int:
    """tg_depthwise_conv2d_rows_s16_dsp's scratch: kernel_h ring rows of in_c * kp words,
    kp = ((out_w - 1) * stride_w + kernel_w + 2) // 2, then a row of out_w int32 sums."""
    kp = ((p["out_w"] - 1) * p["stride_w"] + p["kernel_w"] + 2) // 2
    return 4 * (p["kernel_h"] * p["in_c"] * kp + p["out_w"])


def depthwise_3x3_s16_dsp_scratch(p: dict) -> int:
    """tg_depthwise_conv2d_3x3_s16_dsp's scratch: 3 ring rows of out_c * ((out_w + 1) // 2 + 1) words."""
    return 3 * 4 * p["out_c"] * ((p["out_w"] + 1) // 2 + 1)


def s16_dsp_serves(consts: dict, channels: int) -> bool:
    """Whether the requantization records can be formed for a layer (all the DSP kernels need them)."""
    return s16_requant_records(consts, channels) is not None


def conv2d_s16_dsp_scratch(p: dict) -> int:
    """tg_conv2d_s16_dsp's scratch: two receptive fields as int16, the depth rounded up to even."""
    return 2 * 2 * _even(p["kernel_h"] * p["kernel_w"] * p["in_c"])


def depthwise_s16_dsp_serves(p: dict) -> bool:
    """Whether tg_depthwise_conv2d_s16_dsp's int32 sums are exact for a layer: fewer than 512 taps."""
    return p["kernel_h"] * p["kernel_w"] <= DEPTHWISE_MAX_TAPS


def depthwise_3x3_s16_dsp_serves(p: dict) -> bool:
    """Whether tg_depthwise_conv2d_3x3_s16_dsp takes a layer: 3x3 windows, stride 1, dilation 1,
    depth multiplier 1 (its records checked apart: s16_dsp_serves)."""
    return (p["kernel_h"], p["kernel_w"], p["stride_h"], p["stride_w"], p["dilation_h"], p["dilation_w"],
            p["depth_multiplier"]) == (3, 3, 1, 1, 1, 1, 1)


# the widest window tg_depthwise_conv2d_rows_s16_dsp is chosen for at depth multiplier 1: its
# four weight words of a kernel row in registers (7x7, 16 channels on 12x12: 298,854 instructions
# against tg_depthwise_conv2d_s16_dsp's 391,888 on the f746zg stand-in); wider ones loop over the
# rest, and the general kernel's channel pairs may win there. Where the depth multiplier is above
# 1 the general kernel runs one channel at a time, slower at any width (TFLite Micro's
# micro-speech layer, 10x8 x 8 at stride 2: 679,570 against 2,960,190).
DEPTHWISE_ROWS_MAX_WIDTH = 8


def depthwise_rows_s16_dsp_serves(p: dict) -> bool:
    """Whether tg_depthwise_conv2d_rows_s16_dsp takes a layer: fewer than 512 taps, dilation 1,
    any height and stride, windows up to DEPTHWISE_ROWS_MAX_WIDTH wide at depth multiplier 1 and
    any width above it (its records checked apart: s16_dsp_serves)."""
    return (depthwise_s16_dsp_serves(p) and (p["dilation_h"], p["dilation_w"]) == (1, 1)
            and (p["kernel_w"] <= DEPTHWISE_ROWS_MAX_WIDTH or p["depth_multiplier"] > 1))


__all__ = ["DEPTHWISE_MAX_TAPS", "DEPTHWISE_ROWS_MAX_WIDTH", "REQUANT_RECORD", "conv2d_s16_dsp_scratch",
           "depthwise_3x3_s16_dsp_scratch", "depthwise_3x3_s16_dsp_serves", "depthwise_rows_s16_dsp_scratch",
           "depthwise_rows_s16_dsp_serves", "depthwise_s16_dsp_serves", "s16_dsp_depthwise_3x3_packed",
           "s16_dsp_depthwise_packed", "s16_dsp_depthwise_rows_packed", "s16_dsp_depthwise_weights", "s16_dsp_packed",
           "s16_dsp_serves", "s16_dsp_weights", "s16_requant_records"]
