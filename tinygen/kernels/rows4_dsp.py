"""Which convolutions tg_conv2d_rows4_w16_s8_dsp (firmware/kernels/conv) runs in 4-pixel blocks,
its scratch and its packed int16 weights.

The kernel's specialized body (firmware/kernels/conv/tg_conv2d_rows4_w16_s8_dsp.h) copies the
receptive fields of 4 output pixels, widens them once, and multiplies them 4 pixels x 2 output
channels at a time with weights widened to int16 at build time (11 instructions per 16 MACs in
its steps; twice the int8 weights' bytes). It serves where tg_rows4_on holds at build time: the
folded requantization (tinygen.kernels.specialize.folded_serves), at least 4 output pixels, a
depth (kernel_h * kernel_w * in_c) in 4..1999 (the blocks round it up to 4: a first layer's
3x3x3 = 27 runs as 28, its fields' last bytes zero against zero weights), an even channel count of
2..1364; elsewhere it would compute every output alone, so it is a --kernels auto candidate only
where the blocks run. Its fused-add form tg_conv2d_add_rows4_w16_s8_dsp adds each block's conv
bytes to the skip bytes (the add's fast arithmetic, tg_conv2d_add_s8_dsp.h's, each input's term
tabulated for its 256 byte values at the layer's start: tg_conv_add_tables), with the same
conditions and weights and 4 blocks' outputs (added at once: ADD_BLOCKS) and the two tables (2 KiB)
more scratch.

tg_conv2d_rows4_pair_s8_dsp and tg_conv2d_add_rows4_pair_s8_dsp run the same blocks with the weights
as row-pair halfwords (tinygen.kernels.pair_halfwords: h = 256 b + a per channel pair, the int8
weights' bytes, 12 instructions per 16 MACs; rows4_pair_weights), where rows4_pair_serves holds:
rows4_serves and every pair exact (pair_halfwords.pair_exact, the kernel's sums doubled).
"""

from __future__ import annotations

import numpy as np

from tinygen.kernels import specialize
from tinygen.kernels.pair_halfwords import halfwords, pair_exact

MIN_PIXELS, MIN_DEPTH, MAX_DEPTH, MIN_COLS, MAX_COLS = 4, 4, 1999, 2, 1364


def _round_up(n: int, m: int) -> int:
    return (n + m - 1) // m * m


def _depth(p: dict) -> int:
    return p["kernel_h"] * p["kernel_w"] * p["in_c"]


def rows4_serves(p: dict, consts: dict) -> bool:
    """Whether tg_conv2d_rows4_w16_s8_dsp's 4-pixel blocks serve a conv layer of these parameters
    and constants (weight, bias or None, multiplier, shift): tg_rows4_on at build time."""
    pixels, depth, cols = p["out_h"] * p["out_w"], _depth(p), p["out_c"]
    if not (pixels >= MIN_PIXELS and MIN_DEPTH <= depth <= MAX_DEPTH
            and MIN_COLS <= cols <= MAX_COLS and cols % 2 == 0):
        return False
    return specialize.folded_serves(depth, consts.get("bias"), consts["multiplier"], consts["shift"],
                                    p["output_offset"])


def rows4_scratch(p: dict) -> int:
    """tg_conv2d_rows4_w16_s8_dsp_buffer_size: four int8 receptive fields of the depth rounded up to 4
    (rounded up to 8 bytes), the four widened to int16, the channel pairs' records (16 bytes a
    channel, the count rounded up to even)."""
    depth = _round_up(_depth(p), 4)
    return _round_up(4 * depth, 8) + 4 * 2 * depth + 16 * _round_up(p["out_c"], 2)


# the fused add holds this many blocks' conv outputs before adding them (TG_ROWS4_ADD_BLOCKS)
ADD_BLOCKS = 4
# the fused add's terms per byte value, tabulated at the layer's start in its scratch
# (tg_conv_add_tables, firmware/kernels/conv/tg_conv2d_add_s8_dsp.h): 256 int32 per input
ADD_TABLES_BYTES = 2 * 256 * 4


def add_rows4_scratch(p: dict) -> int:
    """tg_conv2d_add_rows4_w16_s8_dsp_buffer_size: the plain kernel's, then ADD_BLOCKS blocks' conv
    outputs (4 out_c bytes each, out_c rounded up to even), then the add's two tables (ADD_TABLES_BYTES)."""
    return rows4_scratch(p) + ADD_BLOCKS * 4 * _round_up(p["out_c"], 2) + ADD_TABLES_BYTES


def rows4_w16_weights(p: dict, consts: dict) -> np.ndarray:
    """The packed weights (KernelSpec.pack): int16, per pair of output channels (a zero channel
    completing an odd count), per group of 4 values (v0..v3) of the depth (zeros completing the
    last), the pair's first channel's (v0, v2), its second's, then the first's (v1, v3) and the
    second's: the order in which the kernel's steps read them, beside the widened pixels."""
    out_c, depth = p["out_c"], _depth(p)
    w = np.zeros((_round_up(out_c, 2), _round_up(depth, 4)), dtype=np.int16)
    w[:out_c, :depth] = np.asarray(consts["weight"]).reshape(out_c, depth)
    # value k = 4 g + j sits at [pair, channel, g, j >> 1, j & 1]: j & 1 picks the half, j >> 1 the slot
    groups = w.reshape(-1, 2, w.shape[1] // 4, 2, 2)
    halves = groups.transpose(0, 2, 4, 1, 3)                # [pair, group, half, channel, slot]
    return np.ascontiguousarray(halves).ravel()


def rows4_pair_serves(p: dict, consts: dict) -> bool:
    """Whether tg_conv2d_rows4_pair_s8_dsp serves the layer: rows4_serves, and every channel pair's
    row-pair halfwords exact (the blocks' sums doubled, the pixels with the input offset added)."""
    if not rows4_serves(p, consts):
        return False
    weight = np.asarray(consts["weight"]).reshape(p["out_c"], _depth(p))
    return pair_exact(weight, consts.get("bias"), p["input_offset"], doubled=True)


def rows4_pair_weights(p: dict, consts: dict) -> np.ndarray:
    """The packed weights (KernelSpec.pack): int16 row-pair halfwords h = 256 b + a (a the pair's
    first channel's weight, b its second's; a zero channel completing an odd count), per pair, per
    group of 4 values of depth (zeros completing the last), (h0, h2, h1, h3): a step's word holds
    the (v0, v2) or (v1, v3) values, beside the widened pixels' pairs."""
    out_c, depth = p["out_c"], _depth(p)
    w = np.zeros((out_c, _round_up(depth, 4)), dtype=np.int64)
    w[:, :depth] = np.asarray(consts["weight"]).reshape(out_c, depth)
    h = halfwords(w)                                            # [pair, depth]
    # value k = 4 g + j at [pair, g, j & 1, j >> 1]
    groups = h.reshape(h.shape[0], -1, 2, 2).transpose(0, 1, 3, 2)
    return np.ascontiguousarray(groups).ravel()


__all__ = ["ADD_BLOCKS", "ADD_TABLES_BYTES", "add_rows4_scratch", "rows4_pair_serves", "rows4_pair_weights",
           "rows4_scratch", "rows4_serves", "rows4_w16_weights"]
