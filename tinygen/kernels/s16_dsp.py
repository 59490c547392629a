"""Build-time data of the 16x8 DSP kernels (firmware/kernels/*/tg_*_s16_dsp.c): the int8 weights
widened to int16 in the order the kernels read them (KernelSpec.pack), the im2col kernel's
scratch, and which depthwise layers the int32 accumulation serves.

- tg_conv2d_s16_dsp, tg_conv2d_1x1_s16_dsp, tg_fully_connected_s16_dsp: int16
  [out_c][depth rounded up to even], depth = kernel_h * kernel_w * in_c (in_features), the pad 0,
  so that SMLAD reads two weights per word.
- tg_depthwise_conv2d_s16_dsp: int16 [kernel_h * kernel_w][out_c rounded up to even], the pad
  0: two neighbouring channels' weights of a tap per word.
"""

from __future__ import annotations

import numpy as np

# a depthwise window sums at most this many products of |x * w| <= 2^22 in int32: 511 * 2^22 < 2^31
DEPTHWISE_MAX_TAPS = 511


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


def conv2d_s16_dsp_scratch(p: dict) -> int:
    """tg_conv2d_s16_dsp's scratch: two receptive fields as int16, the depth rounded up to even."""
    return 2 * 2 * _even(p["kernel_h"] * p["kernel_w"] * p["in_c"])


def depthwise_s16_dsp_serves(p: dict) -> bool:
    """Whether tg_depthwise_conv2d_s16_dsp's int32 sums are exact for a layer: fewer than 512 taps."""
    return p["kernel_h"] * p["kernel_w"] <= DEPTHWISE_MAX_TAPS


__all__ = ["DEPTHWISE_MAX_TAPS", "conv2d_s16_dsp_scratch", "depthwise_s16_dsp_serves", "s16_dsp_depthwise_weights",
           "s16_dsp_weights"]
