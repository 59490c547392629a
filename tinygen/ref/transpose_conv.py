"""The numpy twin of the transposed convolution kernels (tg_transpose_conv2d_s8 and its DSP,
RV32IM and CMSIS-NN variants, which compute the same bytes), and the scatter it is built on,
which the float interpreter shares.

The twin is TFLite Micro's reference_integer_ops::TransposeConv: every input pixel scatters
its products with each kernel tap into an int32 sum per output element (TFLM's scratch
buffer, out_h * out_w * out_c words), taps that land outside the output dropped; then the
bias is added and each output channel requantized (MultiplyByQuantizedMultiplier) and
clamped. The sums are taken in float64 over the offset inputs, which is exact: every
product of an int8 weight and an offset input is below 2^15 in magnitude, so every partial
sum is an integer far below 2^53.
"""

from __future__ import annotations

import numpy as np

from tinygen.ref.common import _requantize_per_channel


def transpose_conv_sums(x: np.ndarray, weights: np.ndarray, stride, dilation, pad_top: int, pad_left: int,
                        out_h: int, out_w: int) -> np.ndarray:
    """The scattered sums [N, out_h, out_w, O] of x [N, H, W, I] with weights [O, KH, KW, I]:
    input pixel (iy, ix) adds weights[:, ky, kx, :] . x[:, iy, ix] to output pixel
    (iy * stride_h - pad_top + ky * dilation_h, ix * stride_w - pad_left + kx * dilation_w)
    where that lies inside the output."""
    n, in_h, in_w, _ = x.shape
    o, kh, kw, _ = weights.shape
    (sh, sw), (dh, dw) = stride, dilation
    out = np.zeros((n, out_h, out_w, o), dtype=np.result_type(x, weights))
    for ky in range(kh):
        rows = np.arange(in_h) * sh - pad_top + ky * dh
        keep_y = (rows >= 0) & (rows < out_h)
        if not keep_y.any():
            continue
        for kx in range(kw):
            cols = np.arange(in_w) * sw - pad_left + kx * dw
            keep_x = (cols >= 0) & (cols < out_w)
            if not keep_x.any():
                continue
            products = x[:, keep_y][:, :, keep_x] @ weights[:, ky, kx, :].T       # [N, rows, cols, O]
            # one tap reaches each output pixel from one input pixel at most: no repeated index
            out[:, rows[keep_y][:, None], cols[keep_x][None, :], :] += products
    return out


def transpose_conv2d_s8(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_transpose_conv2d_s8 (TFLite Micro's reference_integer_ops::TransposeConv).
    input int8 [in_h, in_w, in_c]; weights int8 [out_c, kernel_h, kernel_w, in_c]; bias (or
    None), multiplier, shift [out_c]. Returns int8 [out_h, out_w, out_c]."""
    x = np.asarray(input, dtype=np.float64).reshape(1, p["in_h"], p["in_w"], p["in_c"]) + p["input_offset"]
    w = np.asarray(weights, dtype=np.float64).reshape(p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"])
    acc = transpose_conv_sums(x, w, (p["stride_h"], p["stride_w"]), (p["dilation_h"], p["dilation_w"]),
                              p["pad_top"], p["pad_left"], p["out_h"], p["out_w"])[0].astype(np.int64)
    return _requantize_per_channel(acc, bias, multiplier, shift, p)
