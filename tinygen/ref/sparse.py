"""The connection-sparse pointwise convolution (firmware/kernels/conv/tg_conv2d_sparse_s8.c):
its packed weight lists and its numpy twin."""

from __future__ import annotations

import numpy as np

from tinygen.ref.kernels import conv2d_s8


def sparse_records(p: dict, consts: dict) -> np.ndarray:
    """The kernel's packed constant (KernelSpec.pack), int16: per output channel n, then
    n pairs (input channel, weight) of its nonzero weights, channels ascending."""
    w = np.asarray(consts["weight"], dtype=np.int64).reshape(p["out_c"], p["in_c"])
    records = []
    for row in w:
        kept = np.flatnonzero(row)
        records.append([kept.size, *np.stack([kept, row[kept]], axis=1).ravel()])
    return np.concatenate([np.asarray(r, dtype=np.int16) for r in records])


def dense_weights(p: dict, packed) -> np.ndarray:
    """The OHWI weights a packed constant encodes (zeros where no pair names a channel)."""
    packed = np.asarray(packed, dtype=np.int64)
    w = np.zeros((p["out_c"], 1, 1, p["in_c"]), dtype=np.int64)
    at = 0
    for o in range(p["out_c"]):
        n = int(packed[at])
        pairs = packed[at + 1: at + 1 + 2 * n].reshape(n, 2)
        w[o, 0, 0, pairs[:, 0]] = pairs[:, 1]
        at += 1 + 2 * n
    if at != packed.size:
        raise ValueError(f"packed weight lists hold {packed.size} values, the records {at}")
    return w


def conv2d_sparse_s8(p: dict, input, packed, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_conv2d_sparse_s8: tg_conv2d_s8 on the weights the lists encode (the
    skipped weights are zero: they add nothing to the int32 sums)."""
    return conv2d_s8(p, input, dense_weights(p, packed), bias, multiplier, shift)


def density(weights) -> float:
    """The fraction of nonzero weights."""
    w = np.asarray(weights)
    return float(np.count_nonzero(w)) / max(w.size, 1)
