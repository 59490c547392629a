"""Which pointwise convolutions tg_conv2d_1x1_rows3_s8_dsp (firmware/kernels/conv) runs in
3-row blocks, and its scratch.

The kernel's specialized body (firmware/kernels/support/tg_mat_mult_rows3_s8_dsp.h,
tg_rows3_on) takes the 3-row blocks where the layer's requantization folds its output offset
(tinygen.kernels.specialize.folded_serves: TFLite's pairs or an ONNX model's single-rounding
ones), with at least 3 output pixels (rows), depth
4..1999 and 2..2047 output channels; elsewhere it runs tg_conv2d_1x1_s8_dsp's product, so it is
a --kernels auto candidate only where the blocks run (the same constants in flash: the
candidate adds none).
"""

from __future__ import annotations

from tinygen.kernels import specialize

MIN_ROWS, MIN_DEPTH, MAX_DEPTH, MIN_COLS, MAX_COLS = 3, 4, 1999, 2, 2047


def _round_up(n: int, m: int) -> int:
    return (n + m - 1) // m * m


def rows3_serves(p: dict, consts: dict) -> bool:
    """Whether tg_conv2d_1x1_rows3_s8_dsp's 3-row blocks serve a 1x1 layer of these parameters
    and constants (weight, bias or None, multiplier, shift): tg_rows3_on at build time."""
    rows, depth, cols = p["out_h"] * p["out_w"], p["in_c"], p["out_c"]
    if not (rows >= MIN_ROWS and MIN_DEPTH <= depth <= MAX_DEPTH and MIN_COLS <= cols <= MAX_COLS):
        return False
    return specialize.folded_serves(depth, consts.get("bias"), consts["multiplier"], consts["shift"],
                                    p["output_offset"])


def rows3_scratch(p: dict) -> int:
    """tg_conv2d_1x1_rows3_s8_dsp_buffer_size: three rows widened to int16 (depth rounded up to
    4), then the channel pairs' records (16 bytes per channel)."""
    return 3 * 2 * _round_up(p["in_c"], 4) + 16 * p["out_c"]


__all__ = ["rows3_scratch", "rows3_serves"]
