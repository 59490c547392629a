"""Which convolutions tg_conv2d_rows3_s8_dsp (firmware/kernels/conv) runs in 3-pixel blocks, and
its scratch.

The kernel's specialized body (firmware/kernels/conv/tg_conv2d_rows3_s8_dsp.h) copies the
receptive fields of 3 output pixels and multiplies them in the pointwise kernel's 3-row block
(tinygen/kernels/pw_rows3_dsp.py) where its conditions hold for the product pixels x
(kernel_h * kernel_w * in_c) by out_c; elsewhere it runs tg_conv2d_s8_dsp's body, so it is a
--kernels auto candidate only where the blocks run, and not on pointwise layers (1x1, stride 1,
unpadded: tg_conv2d_1x1_rows3_s8_dsp needs no copy).
"""

from __future__ import annotations

from tinygen.kernels.pw_rows3_dsp import rows3_serves
from tinygen.kernels.scratch import conv2d_dsp_scratch


def _round_up(n: int, m: int) -> int:
    return (n + m - 1) // m * m


def _depth(p: dict) -> int:
    return p["kernel_h"] * p["kernel_w"] * p["in_c"]


def conv_rows3_serves(p: dict, consts: dict) -> bool:
    """Whether tg_conv2d_rows3_s8_dsp's 3-pixel blocks serve a conv layer of these parameters and
    constants (weight, bias or None, multiplier, shift): tg_rows3_on at build time, pointwise
    layers left to the pointwise kernel."""
    pointwise = ((p["kernel_h"], p["kernel_w"], p["stride_h"], p["stride_w"], p["pad_top"], p["pad_left"])
                 == (1, 1, 1, 1, 0, 0) and (p["in_h"], p["in_w"]) == (p["out_h"], p["out_w"]))
    flat = dict(p, out_h=1, out_w=p["out_h"] * p["out_w"], in_c=_depth(p))
    return not pointwise and rows3_serves(flat, consts)


def conv_rows3_scratch(p: dict) -> int:
    """tg_conv2d_rows3_s8_dsp's scratch: three int8 receptive fields (rounded up to 8 bytes), three
    of them widened to int16 (depth rounded up to 4), the channel pairs' records (16 bytes a
    channel); at least tg_conv2d_s8_dsp's, which its 2-row body takes."""
    depth = _depth(p)
    return max(_round_up(3 * depth, 8) + 3 * 2 * _round_up(depth, 4) + 16 * p["out_c"], conv2d_dsp_scratch(p))


__all__ = ["conv_rows3_scratch", "conv_rows3_serves"]
