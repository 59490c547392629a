"""Pieces the numpy twins of the C kernels share (tinygen.ref.kernels, binary, bitserial,
activations): int64 views, int8 clamping, the per-channel requantization tail of the
convolutions, and window views over an HWC image (the convolutions' im2col, the pools)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from tinygen.quant import fixedpoint as fp

INT8_MIN = -128
INT8_MAX = 127


def _i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def _clamp_to_int8(x, act_min: int, act_max: int) -> np.ndarray:
    return np.clip(x, act_min, act_max).astype(np.int8)


def _requantize_per_channel(acc, bias, multiplier, shift, p) -> np.ndarray:
    """acc [..., C] int64 -> int8, as the tail of tg_conv2d_s8 / tg_fully_connected_s8; the
    low-bit structs' bias_shift k (absent: 0) adds the bias to acc * 2^k (it fits int32)."""
    acc = _i64(acc) << p.get("bias_shift", 0)
    if bias is not None:
        acc = acc + _i64(bias)
    out = fp.multiply_by_quantized_multiplier(acc, _i64(multiplier), _i64(shift))
    return _clamp_to_int8(out + p["output_offset"], p["act_min"], p["act_max"])


def _windows(x: np.ndarray, out_h: int, out_w: int, kernel_h: int, kernel_w: int,
             stride_h: int, stride_w: int, dilation_h: int, dilation_w: int,
             pad_top: int, pad_left: int, pad_value) -> np.ndarray:
    """Window view [out_h, out_w, kernel_h, kernel_w, C] of x [H, W, C], padded with pad_value."""
    in_h, in_w, c = x.shape
    need_h = (out_h - 1) * stride_h + (kernel_h - 1) * dilation_h + 1
    need_w = (out_w - 1) * stride_w + (kernel_w - 1) * dilation_w + 1
    pad_bottom = max(need_h - pad_top - in_h, 0)
    pad_right = max(need_w - pad_left - in_w, 0)
    xp = np.pad(x, ((pad_top, pad_bottom), (pad_left, pad_right), (0, 0)),
                constant_values=pad_value)
    sh, sw, sc = xp.strides
    return as_strided(xp, shape=(out_h, out_w, kernel_h, kernel_w, c),
                      strides=(stride_h * sh, stride_w * sw, dilation_h * sh, dilation_w * sw, sc),
                      writeable=False)


def _conv_windows(p, input, pad_value) -> np.ndarray:
    x = np.asarray(input).reshape(p["in_h"], p["in_w"], p["in_c"])
    return _windows(x, p["out_h"], p["out_w"], p["kernel_h"], p["kernel_w"],
                    p["stride_h"], p["stride_w"], p["dilation_h"], p["dilation_w"],
                    p["pad_top"], p["pad_left"], pad_value)


def _pool_windows(p, input, pad_value) -> np.ndarray:
    x = np.asarray(input).reshape(p["in_h"], p["in_w"], p["channels"])
    return _windows(x, p["out_h"], p["out_w"], p["kernel_h"], p["kernel_w"],
                    p["stride_h"], p["stride_w"], 1, 1, p["pad_top"], p["pad_left"], pad_value)
