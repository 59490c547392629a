"""Build-time data of tg_depthwise_conv2d_kx1_s8_dsp and tg_depthwise_conv2d_kx1_raw_s8_dsp
(firmware/kernels/depthwise): which layers they serve, their scratch sizes and their packed records
(the same for both, all the constants they take).

It serves a depthwise layer that is one sequence: a k x 1 kernel over an input of width 1
(temporal), or a 1 x k kernel over an input of height 1, with nothing padded across that
sequence, depth multiplier 1, and constants that keep its requantization exact (those of
tg_depthwise_conv2d_3x3_s8_dsp: multipliers >= 0, right shifts n = -shift of 1..31,
accumulators below 2^30, |x| + |R| + 1 < 2^31).

The packed constant, int32: word 0 the channel count, then per channel HEAD + 2 * pairs + 1
words (pairs = kernel // 2 + 1): the doubled bias, the multiplier, n,
R = (1 + 2 * output_offset) << (n - 1), then for j < pairs the doubled weights' int16 pairs
W[j] = (w[2j], w[2j+1]) and W'[j] = (w[2j-1], w[2j]) interleaved (w[i] = 0 outside 0..k-1),
then the doubled bias with the input offset folded in, 2 * (bias + input_offset * sum(w)),
which the raw kernel (on the layers raw_path names) starts from: it multiplies the raw int8
input, copied with its padding rows (the zero point) into scratch. The widened kernel serves
every layer the records pack for, its scratch one block of 4 channels widened; the raw one
is faster where it serves, its scratch the whole input.
"""

from __future__ import annotations

import numpy as np

from tinygen.kernels.depthwise_dsp import requant_small_ok

HEAD = 4    # TG_DW_KX1_HEAD


def kx1_geometry(p: dict) -> dict | None:
    """The layer as one sequence (tg_dw_kx1_geometry): len, kernel, stride, dilation, pad,
    out; None when it is not one."""
    if p.get("depth_multiplier", 1) != 1:
        return None
    if p["kernel_w"] == 1 and p["in_w"] == 1 and p["out_w"] == 1 and p["pad_left"] == 0:
        axis = ("in_h", "kernel_h", "stride_h", "dilation_h", "pad_top", "out_h")
    elif p["kernel_h"] == 1 and p["in_h"] == 1 and p["out_h"] == 1 and p["pad_top"] == 0:
        axis = ("in_w", "kernel_w", "stride_w", "dilation_w", "pad_left", "out_w")
    else:
        return None
    return dict(zip(("len", "kernel", "stride", "dilation", "pad", "out"), (p[a] for a in axis)))


def raw_path(p: dict, g: dict) -> int:
    """Which path of tg_depthwise_conv2d_kx1_raw_s8_dsp (no widening: the input copied with
    its padding rows into scratch) serves the layer (tg_dw_kx1_raw's choice): 1 stride 1 with
    2 or 3 taps and act_max 127, 2 stride 2 with dilation 1, 4 or 5 taps and no clamp, 3 stride
    1 with 4 or 5 taps and no clamp, 0 none."""
    if g["stride"] == 1 and g["kernel"] in (2, 3) and p["act_max"] == 127:
        return 1
    if not (g["kernel"] in (4, 5) and p["act_min"] == -128 and p["act_max"] == 127):
        return 0
    return {1: 3, 2: 2 if g["dilation"] == 1 else 0}.get(g["stride"], 0)


def raw_rows(g: dict) -> int:
    """tg_dw_kx1_raw_rows: rows of the padded copy."""
    reach = 2 * g["out"] + 4 if g["stride"] == 2 else g["out"] + (3 if g["kernel"] <= 3 else 5) * g["dilation"]
    return max(reach, g["pad"] + g["len"])


def kx1_phase_words(g: dict) -> int:
    """tg_dw_kx1_phase_words: words per phase of one channel's widened sequence."""
    padded = g["stride"] * (g["out"] - 1) + (g["kernel"] - 1) * g["dilation"] + 1
    return (-(-padded // g["dilation"]) + 3) // 2


def kx1_scratch(p: dict) -> int:
    """Scratch bytes of tg_depthwise_conv2d_kx1_s8_dsp: 4 channels' widened sequences,
    dilation phases of kx1_phase_words words."""
    g = kx1_geometry(p)
    if g is None:
        return 0
    return 4 * g["dilation"] * kx1_phase_words(g) * 4


def kx1_raw_scratch(p: dict) -> int:
    """Scratch bytes of tg_depthwise_conv2d_kx1_raw_s8_dsp: the padded copy of the input, its
    input rows word aligned (up to 3 bytes before), rounded up to 16 bytes, as the arena places
    buffers (so that the layer's live bytes reach the arena where it sets the peak:
    lower_peak's test); 0 where no raw path serves the layer."""
    g = kx1_geometry(p)
    if g is None or not raw_path(p, g):
        return 0
    return (raw_rows(g) * p["in_c"] + 3 + 15) // 16 * 16


def kx1_records(p: dict, consts: dict) -> np.ndarray:
    """The packed constant (KernelSpec.pack), int32; the single word 0 where the kernel
    does not serve the layer."""
    g = kx1_geometry(p)
    channels = p["in_c"]
    if g is None:
        return np.zeros(1, dtype=np.int32)
    k = g["kernel"]
    q = requant_small_ok(p, consts, channels, k)
    if q is None:
        return np.zeros(1, dtype=np.int32)
    bias, multiplier, n = q
    w = 2 * np.asarray(consts["weight"], dtype=np.int64).reshape(k, channels).T      # [C, k]
    pairs = k // 2 + 1
    even = np.zeros((channels, 2 * pairs), dtype=np.int64)
    even[:, :k] = w
    odd = np.zeros((channels, 2 * pairs), dtype=np.int64)
    odd[:, 1:k + 1] = w
    folded = 2 * bias + p["input_offset"] * w.sum(axis=1)
    if (np.abs(folded) >= 1 << 31).any():
        return np.zeros(1, dtype=np.int32)
    rec = np.zeros((channels, HEAD + 2 * pairs + 1), dtype=np.int64)
    rec[:, 0] = 2 * bias
    rec[:, 1] = multiplier
    rec[:, 2] = n
    rec[:, 3] = (1 + 2 * p["output_offset"]) << (n - 1)
    rec[:, HEAD:-1:2] = (even[:, 0::2] & 0xFFFF) | (even[:, 1::2] << 16)
    rec[:, HEAD + 1:-1:2] = (odd[:, 0::2] & 0xFFFF) | (odd[:, 1::2] << 16)
    rec[:, -1] = folded
    words = np.concatenate([[channels], rec.ravel()])
    return (words & 0xFFFFFFFF).astype(np.uint32).view(np.int32)


def kx1_serves(p: dict, consts: dict) -> bool:
    """Whether tg_depthwise_conv2d_kx1_s8_dsp serves a layer of these parameters and constants."""
    return kx1_geometry(p) is not None and int(kx1_records(p, consts)[0]) == p["in_c"] and p["in_c"] > 0


def kx1_raw_serves(p: dict, consts: dict) -> bool:
    """Whether tg_depthwise_conv2d_kx1_raw_s8_dsp serves it: kx1 does and a raw path does."""
    g = kx1_geometry(p)
    return g is not None and raw_path(p, g) != 0 and kx1_serves(p, consts)


# the run-time-counted case's slot (tg_dw_kx1_run's default: 10 taps or more at stride 1)
LOOP_SLOT = 0
# the tap pairs tg_dw_kx1_run unrolls (TG_DW_KX1_CASE(1) .. (5))
UNROLLED_PAIRS = 5


def kx1_case(p: dict) -> int | None:
    """The bit of TG_DW_KX1_CASES (TG_DW_KX1_BIT(slot, stride2, clamp)) naming the inlined case of
    tg_dw_kx1_run that runs the layer, or None where none does (it goes one output at a time:
    strides other than 1 and 2, stride 2 dilated or with 10 taps or more)."""
    g = kx1_geometry(p)
    if g is None:
        return None
    pairs = g["kernel"] // 2 + 1
    stride2 = int(g["stride"] == 2 and g["dilation"] == 1)
    if not (g["stride"] == 1 or stride2) or (stride2 and pairs > UNROLLED_PAIRS):
        return None
    slot = pairs if pairs <= UNROLLED_PAIRS else LOOP_SLOT
    clamp = int(p["act_min"] > -128 or p["act_max"] < 127)
    return 4 * slot + 2 * stride2 + clamp
