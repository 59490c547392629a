"""Which convolutions tg_conv2d_slide_pair_s8_dsp (firmware/kernels/conv) runs over its ring of widened
input rows, its scratch and its packed weights.

The kernel's specialized body (firmware/kernels/conv/tg_conv2d_slide_pair_s8_dsp.h) widens each input row
once into a ring of rows (planes of the row's pixels' int16 pairs side by side), where the 4-pixel blocks
(tinygen.kernels.rows4_dsp) widen each block's windows: 9 times each input value for a 3x3 layer. Its blocks
are 2 output pixels x one channel pair (3 on the cores that load by LDR, slide_row_blocks), per kernel row and plane one LDM of 4 words and one of the 3 taps'
weight words: 18 instructions and 2 loads per 24 multiply-accumulates (on the Cortex-M7 and M33 each word by
its own LDR instead, software pipelined: 23 instructions, fewer cycles). It serves 3x3 stride-1 layers with
padding 1 whose output has the input's size, in_c a multiple of 4, an even output width, the 3 kernel rows'
widened planes within 4 KiB (6 in_c (in_w + 2) bytes: the block loop's end is an ADDW immediate), and
rows4_pair_serves (the folded requantization, every channel pair's row-pair halfwords exact).

The output is written a row at a time after the input row below it is widened, and that input row is
read nowhere else: the output may start a row's margin below its input (tinygen/passes/inplace.py, SLIDE).
"""

from __future__ import annotations

import numpy as np

from tinygen.kernels.pair_halfwords import halfwords
from tinygen.kernels.rows4_dsp import ADD_TABLES_BYTES, rows4_pair_serves


def slide_serves(p: dict, consts: dict) -> bool:
    """tg_slide_on at build time (with rows4_pair_serves)."""
    shape = (p["kernel_h"] == 3 and p["kernel_w"] == 3 and p["stride_h"] == 1 and p["stride_w"] == 1
             and p.get("dilation_h", 1) == 1 and p.get("dilation_w", 1) == 1 and p["pad_top"] == 1
             and p["pad_left"] == 1 and p["out_h"] == p["in_h"] and p["out_w"] == p["in_w"]
             and p["in_c"] % 4 == 0 and p["out_w"] % 2 == 0 and 6 * p["in_c"] * (p["in_w"] + 2) < 4096)
    return shape and rows4_pair_serves(p, consts)


def slide_row_blocks(out_w: int, in_c: int, triples: bool) -> tuple[int, int]:
    """(3-pixel blocks, 2-pixel blocks) of an output row: the 3-pixel blocks (tg_slide3_pixels) only where
    `triples` (the cores that load by LDR, TG_SLIDE_LDR) and in_c >= 8, the last 2 or 4 pixels in 2-pixel
    blocks where out_w is not a multiple of 3."""
    if not triples or in_c < 8:
        return 0, out_w // 2
    threes = out_w if out_w % 3 == 0 else out_w - 4 if out_w % 3 == 1 else out_w - 2
    return threes // 3, (out_w - threes) // 2


def _ring_bytes(p: dict) -> int:
    return 5 * 4 * (p["in_c"] // 2) * (p["in_w"] + 2)


def slide_scratch(p: dict) -> int:
    """tg_conv2d_slide_pair_s8_dsp_buffer_size: the ring (5 rows: each input row once, rows 0 and 1 again after row 2), the records (16 bytes a channel)."""
    return _ring_bytes(p) + 16 * p["out_c"]


def add_slide_scratch(p: dict) -> int:
    """The fused add's: the plain kernel's, one output row of conv bytes (rounded up to 8), the tables."""
    return slide_scratch(p) + (p["out_w"] * p["out_c"] + 7) // 8 * 8 + ADD_TABLES_BYTES


def slide_pair_weights(p: dict, consts: dict) -> np.ndarray:
    """The packed weights (KernelSpec.pack): int16 row-pair halfwords h = 256 b + a (a the pair's first
    channel's weight, b its second's), per pair, per kernel row ky, per plane (channels 4m..4m+3: eo 0 the
    (c0, c2) halves, eo 1 the (c1, c3)), per tap kx, the plane's 2 halves: the order the blocks read them."""
    out_c, in_c = p["out_c"], p["in_c"]
    w = np.asarray(consts["weight"]).reshape(out_c, 3, 3, in_c)
    h = halfwords(w.reshape(out_c, -1).astype(np.int64))             # [pair, ky * kx * c]
    # channel c = 4 m + 2 half + eo
    h = h.reshape(h.shape[0], 3, 3, in_c // 4, 2, 2)                 # [pair, ky, kx, m, half, eo]
    return np.ascontiguousarray(h.transpose(0, 1, 3, 5, 2, 4)).ravel()   # [pair, ky, m, eo, kx, half]


__all__ = ["add_slide_scratch", "slide_pair_weights", "slide_row_blocks", "slide_scratch", "slide_serves"]
