"""Row-pair halfwords: the weights of two output channels (rows) A and B packed at build time as
one int16 per value of depth, h = 256 b + a, so that one SMLAD of a word of them with a pair of
inputs accumulates 256 S_B + S_A and one with the word's low bytes sign-extended (SXTB16: a byte
sign-extended is h's low byte) accumulates S_A; then S_B = (acc_H - S_A) >> 8.

Two build-time conditions make it exact, both per channel pair (`pair_exact`):
- h fits int16: it fails only for b = -128 with a < 0;
- S_B, with whatever the kernel adds into acc_H (the bias), lies in [-2^23, 2^23), so that
  256 S_B (acc_H - S_A modulo 2^32) fits int32: sum |b| * max |x| + |bias_B| < 2^23, x the
  inputs as the kernel multiplies them (the input offset added, doubled where the kernel doubles
  its sums).
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


def max_input(input_offset: int, doubled: bool) -> int:
    """The largest |x| of an int8 input with the offset added, doubled where the kernel doubles it."""
    m = max(abs(-128 + int(input_offset)), abs(127 + int(input_offset)))
    return 2 * m if doubled else m


def pair_exact(weight: np.ndarray, bias, input_offset: int, doubled: bool) -> bool:
    """Whether every channel pair's halfwords fit int16 and its S_B, bias included (doubled with the
    sums where `doubled`), stays in [-2^23, 2^23)."""
    a, b = paired(weight)
    if ((b == -128) & (a < 0)).any():
        return False
    rows = np.asarray(weight).shape[0]
    bias_b = np.zeros(b.shape[0], np.int64)
    if bias is not None:
        bias_b[:rows // 2] = np.abs(np.asarray(bias, np.int64)[1::2][:rows // 2])
    scale = 2 if doubled else 1
    bound = np.abs(b).sum(axis=1) * max_input(input_offset, doubled) + scale * bias_b
    return bool((bound < LIMIT).all())


__all__ = ["LIMIT", "halfwords", "max_input", "pair_exact", "paired"]
