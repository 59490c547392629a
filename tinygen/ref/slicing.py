"""numpy twins of the int8 strided slice and mirror padding kernels
(firmware/kernels/layout/tg_strided_slice_s8.c, tg_mirror_pad_s8.c): pure copies, integer-exact."""

from __future__ import annotations

import numpy as np

# tg_mirror_pad_params_t.mode: which input element a padded position copies
MIRROR_PAD_MODES = {"reflect": 0, "symmetric": 1, "replicate": 2, "circular": 3}


def strided_slice_s8(p: dict, input, dtype=np.int8) -> np.ndarray:
    """Mirrors tg_strided_slice_s8 (tg_strided_slice_s16 with dtype int16): output element (i0,
    i1, i2, i3) of p['out_shape'] copies input element offset + i0 step0 + i1 step1 + i2 step2 +
    i3 step3 (steps in elements, any sign); returns `dtype` of p['out_shape']."""
    x = np.asarray(input, dtype=dtype).reshape(-1)
    index = p["offset"] + sum(np.arange(n).reshape([-1 if d == axis else 1 for d in range(4)]) * step
                              for axis, (n, step) in enumerate(zip(p["out_shape"], p["step"])))
    return np.ascontiguousarray(x[index])


def mirror_source(i: np.ndarray, before: int, size: int, mode: int) -> np.ndarray:
    """The input index output index `i` of one padded dimension copies (tg_mirror_pad_s8's
    tg_pad_source): reflect and symmetric as TFLite Micro's MIRROR_PAD (GetInputDimension, offset
    1 and 0: the edge left out or repeated), replicate the nearest edge, circular the other end."""
    i = np.asarray(i, dtype=np.int64)
    if mode == MIRROR_PAD_MODES["replicate"]:
        return np.clip(i - before, 0, size - 1)
    if mode == MIRROR_PAD_MODES["circular"]:
        return (i - before) % size
    offset = 1 if mode == MIRROR_PAD_MODES["reflect"] else 0
    left = before + offset - 1
    inside = i - before
    right = size - (1 + offset)
    return np.where(i < before, left - np.minimum(i, left - offset),
                    np.where(inside >= size, right - np.minimum(inside - size, right), inside))


def mirror_pad_s8(p: dict, input, dtype=np.int8) -> np.ndarray:
    """Mirrors tg_mirror_pad_s8 (tg_mirror_pad_f32 with dtype float32); returns `dtype` of p['out_shape']."""
    x = np.asarray(input, dtype=dtype).reshape(tuple(p["in_shape"]))
    index = np.ix_(*[mirror_source(np.arange(o), b, n, p["mode"])
                     for n, o, b in zip(p["in_shape"], p["out_shape"], p["pad_before"])])
    return np.ascontiguousarray(x[index])
