"""Build-time data of the batch-1 fully connected kernels tg_fully_connected_batch1_s8_dsp and
tg_fully_connected_batch1_lean_s8_dsp (firmware/kernels/fully_connected): which layers they
serve, their packed constant and the first one's scratch.

A layer of one row (batch 1; tg_fully_connected_shallow_s8_dsp is preferred where its records
serve) whose sums stay below 2^30 (tinygen.kernels.specialize.requant_bounded, or requant_once for
an ONNX model's single-rounding pairs); the lean
kernel, which reads the input a word at a time, also needs the depth a multiple of 4. The
packed constant keeps the weights' int8 bytes, in blocks of 4 output rows (a last block of
r < 4 rows holds r of each): the rows' biases with the input offset folded in,
b' = bias + input_offset * sum_k w[k] (int32, little-endian), then per 4 values of depth the
rows' 4-byte words side by side, the depth padded with zero weights to a multiple of 4.
tg_fully_connected_batch1_w16_s8_dsp's (fc_batch1_w16_packed) widens each word to two int16
pair words at build time: twice the weights' flash, no sign extension in the loop.
tg_fully_connected_batch1_rowpair_s8_dsp's and _rowpair_lean_s8_dsp's (fc_batch1_rowpair_packed) keep
each two rows' weights as int16 halfwords h = 256 b + a, as many bytes, where fc_batch1_rowpair_exact
finds every pair's halfwords in int16 and its second row's sum below 2^23.
"""

from __future__ import annotations

import numpy as np

from tinygen.kernels.specialize import requant_bounded, requant_once, sums_bounded

ROWS = 4            # output rows per pass (the asm block's accumulators)
# the row-pair kernels recover row B's sum as (acc1 - acc2) >> 8 from 256 S_B mod 2^32: exact below 2^23
PAIR_SUM_LIMIT = 1 << 23


def fc_batch1_serves(p: dict, consts: dict) -> bool:
    """Whether tg_fully_connected_batch1_s8_dsp computes a layer of these parameters and
    constants exactly: one row, bounded sums, and TFLite's normalized pairs or the single-rounding
    ones (specialize.requant_once: its folded outputs with TG_REQUANT_ONCE)."""
    bias, m, s = consts.get("bias"), consts["multiplier"], consts["shift"]
    return p["rows"] == 1 and (requant_bounded(p["in_features"], bias, m, s)
                               or (requant_once(m, s) and sums_bounded(p["in_features"], bias)))


def fc_batch1_lean_serves(p: dict, consts: dict) -> bool:
    """Whether tg_fully_connected_batch1_lean_s8_dsp does: also the depth a multiple of 4."""
    return p["in_features"] % 4 == 0 and fc_batch1_serves(p, consts)


def _rows(p: dict, consts: dict) -> tuple[np.ndarray, np.ndarray]:
    """The weights int8 [out_features, depth rounded up to 4] (zero padded) and the folded biases
    b' = bias + input_offset * sum_k w[k], int64 [out_features]."""
    depth, cols = p["in_features"], p["out_features"]
    w = np.zeros((cols, -(-depth // 4) * 4), np.int8)
    w[:, :depth] = np.asarray(consts["weight"]).reshape(cols, depth)
    bias = consts.get("bias")
    b = np.zeros(cols, np.int64) if bias is None else np.asarray(bias, np.int64).reshape(cols)
    return w, b + int(p["input_offset"]) * w.astype(np.int64).sum(axis=1)


def _int8_block(w: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    """A block of r rows in the int8 layout: their r folded biases, then per step their r words."""
    r, steps = w.shape[0], w.shape[1] // 4
    return [b.astype("<i4").view(np.int8), w.reshape(r, steps, 4).transpose(1, 0, 2).ravel()]


def fc_batch1_packed(p: dict, consts: dict) -> np.ndarray:
    """The packed constant (KernelSpec.pack), int8 [out_features * (4 + depth rounded up to 4)]."""
    w, b = _rows(p, consts)
    return np.concatenate([part for o in range(0, len(b), ROWS) for part in _int8_block(w[o:o + ROWS], b[o:o + ROWS])])


def fc_batch1_rowpair_exact(p: dict, consts: dict) -> bool:
    """The row-pair kernels' verdict (tg_fully_connected_batch1_rowpair_s8_dsp.h): in every block of 4
    rows, each pair (A, B) = rows (0, 1) and (2, 3) has its halfwords h = 256 b + a in int16 (no b = -128
    with a < 0) and row B's sum inside PAIR_SUM_LIMIT whatever the input: |b'_B| + 128 sum |b| below it.
    The last out % 4 rows keep int8 weights and are not checked."""
    w, b = _rows(p, consts)
    full = len(b) // ROWS * ROWS
    a_rows, b_rows = w[0:full:2].astype(np.int64), w[1:full:2].astype(np.int64)
    if np.any((b_rows == -128) & (a_rows < 0)):
        return False
    reach = np.abs(b[1:full:2]) + 128 * np.abs(b_rows).sum(axis=1)
    return bool(np.all(reach < PAIR_SUM_LIMIT))


def fc_batch1_rowpair_serves(p: dict, consts: dict) -> bool:
    """Whether tg_fully_connected_batch1_rowpair_s8_dsp computes the layer exactly."""
    return fc_batch1_serves(p, consts) and fc_batch1_rowpair_exact(p, consts)


def fc_batch1_rowpair_lean_serves(p: dict, consts: dict) -> bool:
    """Whether tg_fully_connected_batch1_rowpair_lean_s8_dsp does: also the depth a multiple of 4."""
    return p["in_features"] % 4 == 0 and fc_batch1_rowpair_serves(p, consts)


def fc_batch1_rowpair_packed(p: dict, consts: dict) -> np.ndarray:
    """The packed constant of the row-pair kernels, as many bytes as fc_batch1_packed's: per block of 4
    rows the accumulators' starts (256 b'_1 + b'_0, b'_0, 256 b'_3 + b'_2, b'_2: int32, wrapped), then
    per step the pairs' words P(h0, h2), P(h1, h3), Q(h0, h2), Q(h1, h3) (int16 h = 256 b + a, the
    low half first); the last out % 4 rows as fc_batch1_packed has them."""
    w, b = _rows(p, consts)
    full, steps = len(b) // ROWS * ROWS, w.shape[1] // 4
    parts = []
    for o in range(0, full, ROWS):
        bb = b[o:o + ROWS]
        starts = np.array([256 * bb[1] + bb[0], bb[0], 256 * bb[3] + bb[2], bb[2]], np.int64)
        parts.append((starts & 0xFFFFFFFF).astype("<u4").view(np.int8))
        ws = w[o:o + ROWS].astype(np.int64).reshape(2, 2, steps, 4)      # (pair, row in pair, step, k)
        h = 256 * ws[:, 1] + ws[:, 0]                                      # (pair, step, k)
        parts.append(h[..., [0, 2, 1, 3]].transpose(1, 0, 2).astype("<i2").ravel().view(np.int8))
    if full < len(b):
        parts += _int8_block(w[full:], b[full:])
    return np.concatenate(parts)


def fc_batch1_w16_packed(p: dict, consts: dict) -> np.ndarray:
    """The packed constant of tg_fully_connected_batch1_w16_s8_dsp, int8 bytes of the same blocks
    with each row's 4-byte word of a step widened to two int16 pair words, (w0, w2) then (w1, w3)
    (little-endian, the low half first): the pairs SXTB16 and SXTB16 ROR 8 would have made."""
    depth, cols = p["in_features"], p["out_features"]
    steps = -(-depth // 4)
    packed = fc_batch1_packed(p, consts)
    parts, at = [], 0
    for o in range(0, cols, ROWS):
        r = min(ROWS, cols - o)
        parts.append(packed[at:at + 4 * r])                         # the folded biases as they are
        at += 4 * r
        w = packed[at:at + 4 * r * steps].reshape(steps, r, 4).astype("<i2")
        parts.append(w[..., [0, 2, 1, 3]].ravel().view(np.int8))     # (w0, w2), (w1, w3) per row and step
        at += 4 * r * steps
    return np.concatenate(parts)


def fc_batch1_scratch(p: dict) -> int:
    """tg_fully_connected_batch1_s8_dsp_buffer_size: the widened row, 8 bytes per 4 values."""
    return 4 * -(-p["in_features"] // 4) * 2


__all__ = ["PAIR_SUM_LIMIT", "ROWS", "fc_batch1_lean_serves", "fc_batch1_packed", "fc_batch1_rowpair_exact",
           "fc_batch1_rowpair_lean_serves", "fc_batch1_rowpair_packed", "fc_batch1_rowpair_serves", "fc_batch1_scratch",
           "fc_batch1_serves", "fc_batch1_w16_packed"]
