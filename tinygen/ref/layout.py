"""numpy twins of the layout kernels the PyTorch frontend's mobile layers need
(firmware/kernels/tg_slice_s8.c, tg_resize_nearest_s8.c): pure copies, integer-exact."""

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
