"""Scratch bytes of the DSP int8 kernels (what their *_buffer_size functions in
firmware/kernels return), shared by the kernel tables."""

from __future__ import annotations


def _round_up(n: int, m: int) -> int:
    return (n + m - 1) // m * m


def mat_mult_dsp_scratch(rows: int, depth: int, cols: int) -> int:
    """tg_mat_mult_s8_dsp_buffer_size: two rows of `depth` widened to int16 (rows padded to
    4 values), then two rows of `cols` int32 sums or the channel pairs' requantization
    records (4 words per channel, tg_mat_mult_pairs_s8_dsp.h); a single row needs none."""
    return 2 * 2 * _round_up(depth, 4) + 4 * 4 * cols if rows >= 2 else 0


def conv2d_dsp_scratch(p: dict) -> int:
    """tg_conv2d_s8_dsp's scratch: two int8 receptive fields (rounded up to 8 bytes), then
    the mat-mult buffers."""
    depth = p["kernel_h"] * p["kernel_w"] * p["in_c"]
    return _round_up(2 * depth, 8) + mat_mult_dsp_scratch(2, depth, p["out_c"])


__all__ = ["conv2d_dsp_scratch", "mat_mult_dsp_scratch"]
