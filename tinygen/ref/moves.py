"""numpy twins of the data-movement kernels on elements of any size
(firmware/kernels/layout/tg_kernels_moves.h): pure copies, byte-exact; each returns the
input's dtype. And walk_index, the flat input element each output element of a strided_copy
node copies, shared with the float graph interpreter."""

from __future__ import annotations

import numpy as np


def walk_index(offset: int, counts, steps) -> np.ndarray:
    """The flat input element each output element copies, in the output's flat order:
    offset + sum_d i_d * steps[d] over the runs `counts` (outermost first)."""
    index = np.full((1,) * len(counts), int(offset), np.int64)
    for d, (n, step) in enumerate(zip(counts, steps)):
        index = index + np.arange(int(n), dtype=np.int64).reshape([-1 if k == d else 1 for k in range(len(counts))]) \
            * int(step)
    return index.reshape(-1)


def strided_copy(p: dict, input) -> np.ndarray:
    """Mirrors tg_strided_copy; returns the input's dtype, flat."""
    x = np.asarray(input).reshape(-1)
    assert x.dtype.itemsize == p["elem_size"], (x.dtype, p["elem_size"])
    return np.ascontiguousarray(x[walk_index(p["offset"], p["count"], p["step"])])


def gather(p: dict, values, indices) -> np.ndarray:
    """Mirrors tg_gather: [outer, count, inner] rows of values [outer, rows, inner] at the
    row-major position of each index's coordinates in index_dims; rows of zeros out of range."""
    v = np.asarray(values)
    assert v.dtype.itemsize == p["elem_size"], (v.dtype, p["elem_size"])
    v = v.reshape(p["outer"], p["rows"], p["inner"])
    depth = p["depth"]
    coords = np.asarray(indices, np.int64).reshape(p["count"], depth)
    dims = np.asarray(p["index_dims"][:depth], np.int64)
    inside = np.all((coords >= 0) & (coords < dims), axis=1)
    rows = np.zeros(p["count"], np.int64)
    for d in range(depth):
        rows = rows * dims[d] + coords[:, d]
    out = v[:, np.where(inside, rows, 0), :].copy()
    out[:, ~inside, :] = 0
    return out


def dynamic_update_slice(p: dict, operand, update, start=None) -> np.ndarray:
    """Mirrors tg_dynamic_update_slice: the operand with the update written from the start
    (the int32 input, or p['start']), each index clamped to [0, shape - update_shape]."""
    out = np.array(operand).reshape(p["shape"])
    pad = len(p["shape"]) - p["rank"]
    given = list(p["start"]) if start is None else [0] * pad + [int(v) for v in np.asarray(start).reshape(-1)]
    at = [min(max(0, s), n - u) for s, n, u in zip(given, p["shape"], p["update_shape"])]
    out[tuple(slice(a, a + u) for a, u in zip(at, p["update_shape"]))] = np.asarray(update).reshape(p["update_shape"])
    return out
