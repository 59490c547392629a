"""Which pointwise convolutions tg_conv2d_1x1_shallow_s8_dsp (firmware/kernels/conv) serves, and
its scratch.

A 1x1 stride-1 convolution (the "1x1" variant) of depth in_c 4, 8 or 16 (DEPTHS), the full int8
output range (no clamp inside it), whose requantization the folded form computes exactly
(tinygen.kernels.depthwise_dsp.requant_small_ok, as for tg_fully_connected_shallow_s8_dsp).
The kernel builds its records at run time in scratch: the weights stay int8 in flash beside
the bias, multiplier and shift, so it costs no flash beyond its code. Other thin layers
(other depths, clamped outputs) stay on tg_conv2d_1x1_s8_dsp.
"""

from __future__ import annotations

from tinygen.kernels.depthwise_dsp import requant_small_ok

DEPTHS = (4, 8, 16)     # the kernel's depths (4 * words, words = 1, 2 or 4 weight-word pairs)
HEAD = 4                # TG_PW_SHALLOW_HEAD: 2 bias, multiplier, R, n before the weight words


def pw_shallow_serves(p: dict, consts: dict) -> bool:
    """Whether tg_conv2d_1x1_shallow_s8_dsp computes a 1x1 layer of these parameters and
    constants (weight, bias or None, multiplier, shift) exactly."""
    return (p["in_c"] in DEPTHS and p["act_min"] == -128 and p["act_max"] == 127
            and requant_small_ok(p, consts, p["out_c"], p["in_c"]) is not None)


def pw_shallow_scratch(p: dict) -> int:
    """tg_conv2d_1x1_shallow_s8_dsp's scratch: out_c records of HEAD + 2 * words int32."""
    return 4 * p["out_c"] * (HEAD + 2 * (p["in_c"] // 4))


__all__ = ["DEPTHS", "HEAD", "pw_shallow_scratch", "pw_shallow_serves"]
