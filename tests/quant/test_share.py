"""Weight sharing's clustering (tinygen.quant.share) and LUT.md's packing (tinygen.quant.pack_lut)."""

from __future__ import annotations

import numpy as np
import pytest

from tinygen.quant.pack_lut import HEADER_WORDS, pack_lut, row_words, unpack_lut
from tinygen.quant.share import cluster_values, integer_weights, output_error, share


def _normal(shape, seed=0):
    return np.clip(np.rint(np.random.default_rng(seed).normal(0, 40, shape)), -127, 127).astype(np.int8)


def test_few_values_are_kept_exactly():
    w = np.array([[-100, 3, 3, 90], [7, 7, 7, -1]], np.int8)
    cb = share(w, np.ones(1, np.int64), 2, 0)
    assert np.array_equal(cb.decode(), w)
    assert cb.source == "cluster" and cb.values.shape == (2, 4)


def test_importance_pulls_the_centroids():
    """Two weights at 100 and 104 and many at 0 and 1: with uniform importance 0 and 1 get a
    centroid each and 100 / 104 share one; when the inputs of the 100 / 104 weights carry all
    the energy, those two get their own centroids instead and 0 / 1 share one (their mean,
    rounded half away from zero)."""
    hist = np.zeros(256, np.int64)
    hist[[128, 129, 228, 232]] = 100, 100, 1, 1
    assert list(cluster_values(hist, 3)) == [0, 1, 102]
    hist[[128, 129, 228, 232]] = 1, 1, 10_000, 10_000
    assert list(cluster_values(hist, 3)) == [1, 100, 104]


def test_weighted_error_not_above_uniform_clustering():
    """The error the clustering minimises (importance-weighted) is at most that of the
    clustering which ignores the importance, on a layer with skewed input energy."""
    w = _normal((16, 3, 3, 8))
    imp = integer_weights(np.geomspace(1, 1000, 8).reshape(1, 1, 1, 8), 1 << 16)
    for bits in (2, 3, 4):
        weighted = output_error(w, share(w, imp, bits, None), imp)
        uniform = output_error(w, share(w, np.ones(1, np.int64), bits, None), imp)
        assert weighted <= uniform, bits


def test_integer_importance_is_deterministic():
    assert list(integer_weights(np.array([0.0, 0.5, 2.0]), 1 << 16)) == [1, 1 << 14, 1 << 16]
    assert list(integer_weights(np.zeros(3), 16)) == [1, 1, 1]
    w = _normal((8, 40))
    a, b = share(w, np.arange(1, 41), 3, 0), share(w.copy(), np.arange(1, 41), 3, 0)
    assert np.array_equal(a.values, b.values) and np.array_equal(a.indices, b.indices)


@pytest.mark.parametrize("bits", range(2, 7))
@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("shape, row_axis, table_axis", [
    ((5, 3, 3, 7), 0, 0),          # conv OHWI: a row per output channel
    ((12, 33), 0, 0),              # fully connected [out, in]
    ((1, 3, 3, 9), None, 3),       # depthwise 1HWC: one row in its own order
])
def test_pack_round_trip(bits, per_channel, shape, row_axis, table_axis):
    w = _normal(shape, bits)
    cb = share(w, np.ones(1, np.int64), bits, table_axis if per_channel else None)
    packed = pack_lut(cb, row_axis)
    assert packed.dtype == np.uint32
    assert list(packed[:HEADER_WORDS]) == [bits, cb.values.shape[0], row_words(
        w.size if row_axis is None else w.size // shape[row_axis], bits)]
    assert np.array_equal(unpack_lut(packed, shape, row_axis, table_axis), cb.decode())
    rows = 1 if row_axis is None else shape[row_axis]
    tables = (cb.values.size + 3) // 4
    assert packed.size == HEADER_WORDS + tables + rows * packed[2]


def test_rows_start_on_words_lsb_first():
    """3-bit indices 0..7 in a row of 11: fields LSB first, the 11th straddling no word, the
    next row starting on its own word."""
    idx = np.array([np.arange(11) % 8, np.full(11, 7)], np.uint8)
    from tinygen.ir import Codebook

    cb = Codebook(3, np.arange(8, dtype=np.int8)[None], idx)
    packed = pack_lut(cb, 0)
    rows = packed[HEADER_WORDS + 2:]
    first = sum(int(v) << (3 * k) for k, v in enumerate(idx[0]))
    assert int(rows[0]) == first & 0xFFFFFFFF and int(rows[1]) == first >> 32
    assert int(rows[2]) == (1 << 32) - 1 and int(rows[3]) == 1       # 33 bits of ones
