"""Entropy-constrained scalar quantization of one channel's weights (Chou, Lookabaugh and Gray's
entropy-constrained vector quantization, 1989, in one dimension; the assignment Wiedemann et
al. use to train networks for entropy coding, 2019), for tinygen.nn.share_weights(...,
entropy=LAMBDA).

Plain k-means assigns each weight to its nearest centroid, so its centroids end up used
almost uniformly and the indices cost about log2(k) bits each whatever the coder. Here each
weight goes to the centroid j that minimises

    (w - c_j)**2 / var  +  lambda * (-log2 p_j)

where p_j is the share of the channel's weights on centroid j (the code length an ideal
entropy coder gives it) and var the mean square of the channel's free weights (so one lambda
fits every layer: lambda = 1 weighs one bit of code like a distortion of the weights' own
power). Lloyd's iteration: assign, then move each free centroid to the mean of its weights and
recompute p; a centroid left with no weight has an infinite code length and stays unused. The
cost never increases, and the use of the centroids becomes skewed, so the Huffman code of the
indices (`--weights huffman`) is short. lambda = 0 is k-means.

A pruned channel (fixed_zero, a count) has centroid 0 fixed at 0.0 holding its `fixed_zero` pruned
weights; a free weight may join it too (where the bits it saves outweigh its distortion), so
the channel ends sparser than pruned; the pruned weights never leave it. Deterministic:
float64, ties to the lower index.
"""

from __future__ import annotations

import numpy as np

ITERATIONS = 50


def ecsq_1d(values: np.ndarray, centroids: np.ndarray, lam: float, fixed_zero: int | None = None,
            iterations: int = ITERATIONS) -> tuple[np.ndarray, np.ndarray]:
    """(centroids [k], assignment of `values`) by entropy-constrained Lloyd iteration from the
    initial `centroids` (k-means' are the usual start). fixed_zero (a pruned channel): centroid
    0 is 0.0, not moved, and holds that many weights besides those of `values` assigned to it."""
    v = np.asarray(values, np.float64).ravel()
    c = np.asarray(centroids, np.float64).copy()
    k = c.size
    fixed = fixed_zero is not None
    if fixed:
        c[0] = 0.0
    if v.size == 0:
        return c, np.zeros(0, np.int64)
    power = float(np.mean(v * v)) or 1.0
    distortion = (v[:, None] - c[None]) ** 2 / power
    assign = np.argmin(distortion[:, 1:], axis=1) + 1 if fixed else np.argmin(distortion, axis=1)
    for _ in range(iterations):
        counts = np.bincount(assign, minlength=k).astype(np.float64)
        counts[0] += fixed_zero or 0
        with np.errstate(divide="ignore"):
            length = -np.log2(counts / counts.sum())                    # inf for an unused centroid
        rate = np.where(np.isfinite(length), lam * np.nan_to_num(length, posinf=0.0), np.inf)   # 0 * inf: inf
        cost = (v[:, None] - c[None]) ** 2 / power + rate[None]
        new = np.argmin(cost, axis=1)
        sums = np.bincount(new, weights=v, minlength=k)
        used = np.bincount(new, minlength=k)
        moved = np.where(used > 0, sums / np.maximum(used, 1), c)
        if fixed:
            moved[0] = 0.0
        if np.array_equal(new, assign) and np.array_equal(moved, c):
            break
        assign, c = new, moved
    return c, assign


def index_entropy(assign: np.ndarray, k: int) -> float:
    """Order-0 entropy of an assignment, bits per weight."""
    counts = np.bincount(np.asarray(assign).ravel(), minlength=k)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


__all__ = ["ecsq_1d", "index_entropy"]
