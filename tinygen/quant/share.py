"""Weight sharing (--weights lut:BITS): a layer's int8 weights clustered into 2**BITS int8
centroids per group (the whole tensor, or each output channel), each weight then an index
into its group's table (tinygen.ir.Codebook).

The clustering minimises the layer's output error, not the weight distance: replacing w by
c changes output channel o by (c - w) x over the calibration inputs, whose expected square is
(c - w)^2 E[x^2] for one weight (cross terms dropped: the diagonal of X^T X). So each weight
counts with the importance of its input position (`importance`, the second moment of the
calibration input there) times its channel's squared requantization scale (`channel_weight`:
an output error in the output's LSB). The clustering is weighted k-means (Lloyd) on the
integer values -128..127, initialised at the importance's quantiles; centroids are rounded to
int8 at every step.

Deterministic on every CPU: the importances are made integers first (IMPORTANCE_ONE,
CHANNEL_ONE) and everything after is integer arithmetic (int64 sums of at most 2^60, exact
ties: a value equally far from two centroids takes the lower one).
"""

from __future__ import annotations

import numpy as np

from tinygen.ir import Codebook

IMPORTANCE_ONE = 1 << 16     # the largest input importance, as an integer (the smallest is 1)
CHANNEL_ONE = 1 << 12        # the largest channel weight, as an integer (the smallest is 1)
LLOYD_STEPS = 50             # Lloyd iterations at most (they stop when nothing moves)
_VALUES = np.arange(-128, 128, dtype=np.int64)


def integer_weights(x: np.ndarray, one: int) -> np.ndarray:
    """Non-negative floats as integers in [1, one], proportional to x (elementwise float64
    operations only: the same on every CPU)."""
    x = np.asarray(x, dtype=np.float64)
    top = float(x.max()) if x.size else 0.0
    if not top > 0.0:
        return np.ones(x.shape, np.int64)
    return np.maximum(1, np.floor(x / top * one + 0.5)).astype(np.int64)


def _round_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den rounded half away from zero, integers (den > 0)."""
    q = (2 * np.abs(num) + den) // (2 * den)
    return np.sign(num) * q


def _nearest(present: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Index of the nearest centroid (sorted ascending) of each value; a tie takes the lower."""
    dist = np.abs(present[:, None] - centroids[None, :])
    return np.argmin(dist, axis=1)          # argmin: the first of equal distances


def cluster_values(hist: np.ndarray, k: int) -> np.ndarray:
    """Weighted 1-D k-means on the int8 values: hist[v + 128] is the total importance of the
    weights equal to v (0: absent). Returns up to k sorted int8 centroids; where at most k
    values are present, those values (no error)."""
    present = _VALUES[hist > 0]
    h = hist[hist > 0]
    if present.size <= k:
        return present
    cum = np.cumsum(h)
    total = int(cum[-1])
    # quantiles of the importance: centroid j at the value where it passes (2j + 1) / 2k of the total
    picks = np.searchsorted(2 * k * cum, (2 * np.arange(k) + 1) * total, side="left")
    centroids = np.unique(present[np.minimum(picks, present.size - 1)])
    while centroids.size < k:           # equal quantiles: add the value costing the most
        cost = h * (present - centroids[_nearest(present, centroids)]) ** 2
        centroids = np.unique(np.append(centroids, present[int(np.argmax(cost))]))
    for _ in range(LLOYD_STEPS):
        which = _nearest(present, centroids)
        num = np.zeros(k, np.int64)
        den = np.zeros(k, np.int64)
        np.add.at(num, which, h * present)
        np.add.at(den, which, h)
        moved = np.where(den > 0, _round_div(num, np.maximum(den, 1)), centroids)
        moved = np.unique(np.clip(moved, -128, 127))
        if moved.size == centroids.size and np.array_equal(moved, centroids):
            break
        centroids = moved
    return centroids


def share(weights: np.ndarray, importance: np.ndarray, bits: int, axis: int | None) -> Codebook:
    """The Codebook of `weights` (int8, any shape) clustered into 2**bits values per group:
    one group (axis None) or one per slice along `axis`. `importance`: integer (int64) weights
    broadcastable to weights' shape, each >= 1 (integer_weights)."""
    w = np.asarray(weights).astype(np.int64)
    imp = np.broadcast_to(np.asarray(importance, np.int64), w.shape)
    k = 1 << bits
    if axis is None:
        w_g, imp_g = w.reshape(1, -1), imp.reshape(1, -1)
    else:
        w_g, imp_g = np.moveaxis(w, axis, 0), np.moveaxis(imp, axis, 0)
        w_g, imp_g = w_g.reshape(w_g.shape[0], -1), imp_g.reshape(imp_g.shape[0], -1)
    values = np.zeros((w_g.shape[0], k), np.int8)
    indices = np.zeros(w_g.shape, np.uint8)
    for g in range(w_g.shape[0]):
        hist = np.zeros(256, np.int64)
        np.add.at(hist, w_g[g] + 128, imp_g[g])
        centroids = cluster_values(hist, k)
        values[g, :centroids.size] = centroids
        indices[g] = _nearest(w_g[g], centroids)
    if axis is not None:
        shape = np.moveaxis(w, axis, 0).shape
        indices = np.moveaxis(indices.reshape(shape), 0, axis)
    return Codebook(bits, values, indices.reshape(w.shape), axis, "cluster")


def output_error(before: np.ndarray, codebook: Codebook, importance: np.ndarray) -> int:
    """The clustering's weighted squared error sum importance * (c - w)^2 (integers)."""
    diff = codebook.decode().astype(np.int64) - np.asarray(before, np.int64)
    return int(np.sum(np.broadcast_to(np.asarray(importance, np.int64), diff.shape) * diff * diff))


__all__ = ["CHANNEL_ONE", "IMPORTANCE_ONE", "cluster_values", "integer_weights", "output_error", "share"]
