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
"""

from __future__ import annotations

import numpy as np

from tinygen.kernels.specialize import requant_bounded, requant_once, sums_bounded

ROWS = 4            # output rows per pass (the asm block's accumulators)


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


def fc_batch1_packed(p: dict, consts: dict) -> np.ndarray:
    """The packed constant (KernelSpec.pack), int8 [out_features * (4 + depth rounded up to 4)]."""
    depth, cols = p["in_features"], p["out_features"]
    steps = -(-depth // 4)
    w = np.zeros((cols, steps * 4), np.int8)
    w[:, :depth] = np.asarray(consts["weight"]).reshape(cols, depth)
    bias = consts.get("bias")
    b = np.zeros(cols, np.int64) if bias is None else np.asarray(bias, np.int64).reshape(cols)
    b = b + int(p["input_offset"]) * w.astype(np.int64).sum(axis=1)
    b = b.astype("<i4").view(np.int8).reshape(cols, 4)
    parts = []
    for o in range(0, cols, ROWS):
        r = min(ROWS, cols - o)
        parts += [b[o:o + r].ravel(), w[o:o + r].reshape(r, steps, 4).transpose(1, 0, 2).ravel()]
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


__all__ = ["ROWS", "fc_batch1_lean_serves", "fc_batch1_packed", "fc_batch1_scratch", "fc_batch1_serves",
           "fc_batch1_w16_packed"]
