"""tinygen.ir.Codebook: the shared-weight contract (decode, sizes, refusals)."""

import numpy as np
import pytest

from tinygen.ir import Codebook


def test_decode_per_tensor_and_per_channel():
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 16, size=(3, 2, 2, 5)).astype(np.uint8)
    one = Codebook(4, rng.integers(-128, 128, size=(1, 16)).astype(np.int8), idx)
    assert np.array_equal(one.decode(), one.values[0][idx])
    per = Codebook(4, rng.integers(-128, 128, size=(3, 16)).astype(np.int8), idx, axis=0)
    dec = per.decode()
    for c in range(3):
        assert np.array_equal(dec[c], per.values[c][idx[c]])
    last = Codebook(4, rng.integers(-128, 128, size=(5, 16)).astype(np.int8), idx, axis=3)
    assert np.array_equal(last.decode()[..., 4], last.values[4][idx[..., 4]])


def test_packed_bytes():
    cb = Codebook(3, np.zeros((2, 8), np.int8), np.zeros((2, 10), np.uint8), axis=0)
    assert cb.packed_bytes() == (20 * 3 + 7) // 8 + 16


@pytest.mark.parametrize("bits, values, indices, axis", [
    (4, np.zeros((1, 8), np.int8), np.zeros((4,), np.uint8), None),         # table not 2**bits wide
    (2, np.zeros((2, 4), np.int8), np.zeros((3, 4), np.uint8), 0),          # one table per group
    (2, np.zeros((1, 4), np.int8), np.full((4,), 4, np.uint8), None),      # index out of range
])
def test_refused(bits, values, indices, axis):
    with pytest.raises(ValueError):
        Codebook(bits, values, indices, axis)
