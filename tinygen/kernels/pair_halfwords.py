"""Row-pair halfwords: the weights of two output channels (rows) A and B packed at build time as
one int16 per value of depth, h = 256 b + a, so that one SMLAD of a word of them with a pair of
inputs accumulates 256 S_B + S_A and one with the word's low bytes sign-extended (SXTB16: a byte
sign-extended is h's low byte) accumulates S_A; then S_B = (acc_H - S_A) >> 8.

Two build-time conditions make it exact, both per channel pair (`pair_exact`):
- h fits int16: it fails only for b = -128 with a < 0;
- S_B, with whatever the kernel adds into acc_H (the bias), lies in [-2^23, 2^23) for every
  input, so that 256 S_B (acc_H - S_A modulo 2^32) fits int32: the exact range of bias_B + b . x
  with x in the inputs' range [lo, hi] (the input offset added, doubled where the kernel doubles
  its sums): bias_B + hi * (sum of b > 0) + lo * (sum of b < 0) below 2^23, and the least sum
  (lo and hi swapped) at least -2^23. After a ReLU (lo = 0) that is about half sum |b| max |x|.
A layer where some pair fails is not offered the kernel: its int8 or int16 kernel serves it.
"""

from __future__ import annotations

import numpy as np

LIMIT = 1 << 23     # |S_B| below this: 256 S_B fits int32


def paired(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(A, B): the even and odd rows of a (rows, depth) weight matrix as int64, a zero row completing
    an odd count."""
    w = np.asarray(weight, np.int64)
    if w.shape[0] % 2:
        w = np.concatenate([w, np.zeros((1, w.shape[1]), np.int64)])
    return w[0::2], w[1::2]


def halfwords(weight: np.ndarray) -> np.ndarray:
    """The (pairs, depth) int16 halfwords 256 b + a of a (rows, depth) weight matrix (pair_exact must
    hold: h fits int16)."""
    a, b = paired(weight)
    h = 256 * b + a
    if h.size and (h.min() < -(1 << 15) or h.max() >= 1 << 15):
        raise ValueError("row-pair halfword outside int16 (b = -128 with a < 0)")
    return h.astype(np.int16)


def input_range(input_offset: int, doubled: bool) -> tuple[int, int]:
    """(lo, hi): the smallest and largest x of an int8 input with the offset added, doubled where the
    kernel doubles it (padding taps the zero point: x = 0, inside)."""
    scale = 2 if doubled else 1
    return scale * (-128 + int(input_offset)), scale * (127 + int(input_offset))


def sums_range(b: np.ndarray, bias_b: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row of b, the least and the greatest bias_b + b . x over every x in [lo, hi]^depth."""
    pos, neg = np.where(b > 0, b, 0).sum(axis=1), np.where(b < 0, b, 0).sum(axis=1)
    return bias_b + pos * lo + neg * hi, bias_b + pos * hi + neg * lo


def pair_exact(weight: np.ndarray, bias, input_offset: int, doubled: bool) -> bool:
    """Whether every channel pair's halfwords fit int16 and its S_B, bias included (doubled with the
    sums where `doubled`), stays in [-2^23, 2^23) for every input: the exact range of b . x over the
    inputs' range (tighter than sum |b| max |x| where the inputs are one-signed, as after a ReLU)."""
    a, b = paired(weight)
    if ((b == -128) & (a < 0)).any():
        return False
    rows = np.asarray(weight).shape[0]
    bias_b = np.zeros(b.shape[0], np.int64)
    if bias is not None:
        bias_b[:rows // 2] = np.asarray(bias, np.int64)[1::2][:rows // 2]
    least, greatest = sums_range(b, (2 if doubled else 1) * bias_b, *input_range(input_offset, doubled))
    return bool((least >= -LIMIT).all() and (greatest < LIMIT).all())


__all__ = ["LIMIT", "halfwords", "input_range", "pair_exact", "paired", "sums_range"]
