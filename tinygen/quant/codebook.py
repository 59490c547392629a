"""Codebooks of weights that already take few values (tinygen.ir.Codebook): the tables a
trained shared-weight layer (tinygen.nn.share_weights) or any other source of few distinct
values per channel stores exactly."""

from __future__ import annotations

import numpy as np

from tinygen.errors import ModelError
from tinygen.ir import Codebook


def codebook_of(w: np.ndarray, bits: int, axis: int | None, source: str, where: str) -> Codebook:
    """The Codebook of weights that take at most 2**bits values per slice along `axis` (None:
    one table for the tensor). Each table holds its slice's distinct values ascending, then
    zeros; a slice with more values is a ModelError naming `where`."""
    k = 1 << bits
    moved = w.reshape(1, -1) if axis is None else np.moveaxis(w, axis, 0)
    rows = moved.reshape(moved.shape[0], -1)
    values = np.zeros((rows.shape[0], k), w.dtype)
    indices = np.zeros(rows.shape, np.uint8)
    for o, row in enumerate(rows):
        distinct = np.unique(row)
        if distinct.size > k:
            raise ModelError(f"{where}: {'channel ' + str(o) if axis is not None else 'the tensor'} has "
                             f"{distinct.size} distinct weights for a {bits}-bit table",
                             "export the model after share_weights without changing its weights, or use more bits")
        values[o, :distinct.size] = distinct
        indices[o] = np.searchsorted(distinct, row)
    idx = indices.reshape(w.shape) if axis is None else np.moveaxis(indices.reshape(moved.shape), 0, axis)
    return Codebook(bits, values, idx, axis=axis, source=source)


__all__ = ["codebook_of"]
