"""numpy twins of the layout kernels the PyTorch frontend's mobile layers need
(firmware/kernels/layout/tg_slice_s8.c, tg_resize_nearest_s8.c): pure copies, integer-exact."""

from __future__ import annotations

import numpy as np


def slice_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_slice_s8; returns int8 [outer, size]."""
    x = np.asarray(input, dtype=np.int8).reshape(p["outer"], p["in_stride"])
    return np.ascontiguousarray(x[:, p["offset"]:p["offset"] + p["size"]])


def resize_nearest_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_resize_nearest_s8; returns int8 [out_h, out_w, channels]."""
    x = np.asarray(input, dtype=np.int8).reshape(p["in_h"], p["in_w"], p["channels"])
    rows = np.arange(p["out_h"]) * p["in_h"] // p["out_h"]
    cols = np.arange(p["out_w"]) * p["in_w"] // p["out_w"]
    return np.ascontiguousarray(x[rows][:, cols])


def _bilinear_axis(n_out: int, scale_10: int, offset_10: int, size: int):
    """TFLite ComputeInterpolationValuesInteger (offset_10: its half-pixel term, or 0), for every
    output index: (source coordinate in 1/1024 units, lower neighbour, upper neighbour), C
    integer division."""
    s = np.arange(n_out, dtype=np.int64) * scale_10 + offset_10
    lo = np.maximum(np.fix(s / 1024).astype(np.int64), 0)
    hi = np.minimum(np.fix((s + 1023) / 1024).astype(np.int64), size - 1)
    return s, lo, hi


def resize_bilinear_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_resize_bilinear_s8 (TFLite reference_ops::ResizeBilinearInteger, rounding half
    away from zero); returns int8 [out_h, out_w, channels]."""
    x = np.asarray(input, dtype=np.int64).reshape(p["in_h"], p["in_w"], p["channels"])
    sy, y0, y1 = _bilinear_axis(p["out_h"], p["scale_h_10"], p["offset_h_10"], p["in_h"])
    sx, x0, x1 = _bilinear_axis(p["out_w"], p["scale_w_10"], p["offset_w_10"], p["in_w"])
    wy1 = (sy - 1024 * y0)[:, None, None]
    wx1 = (sx - 1024 * x0)[None, :, None]
    wy0, wx0 = 1024 - wy1, 1024 - wx1
    total = (x[y0][:, x0] * wy0 * wx0 + x[y1][:, x0] * wy1 * wx0 + x[y0][:, x1] * wy0 * wx1
             + x[y1][:, x1] * wy1 * wx1)
    rounded = total + np.where(total > 0, 1 << 19, -(1 << 19))
    return (np.sign(rounded) * (np.abs(rounded) >> 20)).astype(np.int8)
