"""Kernel parameters of the normalization and attention ops from quantization parameters.

TFLite's operators follow TFLite Micro's Prepare step exactly, float32 where it computes in
float32 (tensorflow/lite/micro/kernels/sub_common.cc CalculateOpDataSub,
squared_difference.cc PrepareQuantized, elementwise.cc SetRsqrtOutputMultiplier,
batch_matmul.cc BatchMatMulPrepare with kernel_util.cc GetQuantizedConvolutionMultipler).

The integer layer norm (tg_layer_norm_s8, tg_rms_norm_s8) is tinygen's own; its constants
are chosen here (the arithmetic is in firmware/kernels/norm/tg_norm_s8.h):

- gamma as int16 with one scale, s_g = max |gamma| / 32767 (GAMMA_MAX);
- the normalized values in Q(norm_shift): the largest k <= NORM_SHIFT_MAX with
  2^k * 32767 * (sqrt(depth) + 1) <= 2^29, so that n * gamma + beta stays in int32
  (|(x - mean) / sigma| <= sqrt(depth - 1) for any row);
- beta on the grid s_g * 2^-k as int32, clamped to +-2^30;
- the output requantization s_g * 2^-k / s_out;
- eps as the integer term depth^2 * eps / s_in^2 (in the units of the variance sum).
"""

from __future__ import annotations

import math

import numpy as np

from tinygen.quant.fixedpoint import (quantize_multiplier, quantize_multiplier_smaller_than_one_exp,
                                      _round_half_away as round_half_away)

SUB_LEFT_SHIFT = 20                  # TFLite's int8 SUB, as ADD
SQUARED_DIFFERENCE_LEFT_SHIFT = 7    # TFLite's int8 SQUARED_DIFFERENCE: 255^2 * 2^14 fits int32
GAMMA_MAX = 32767
NORM_SHIFT_MAX = 16
BETA_LIMIT = 1 << 30
EPS_TERM_LIMIT = (1 << 31) - 1


def _f32(x) -> np.float32:
    return np.float32(x)


def sub_params(in1_scale, in1_zp: int, in2_scale, in2_zp: int, out_scale, out_zp: int,
               act_min: int, act_max: int, left_shift: int = SUB_LEFT_SHIFT) -> dict:
    """The quantization fields of tg_add_broadcast_params_t for an int8 SUB (TFLM
    CalculateOpDataSub), or an int16 one with left_shift op_params.ADD_LEFT_SHIFT_S16: the
    scales' ratios in double from the float32 scales, as the tflite-micro package's interpreter
    computes them (TFLite Micro's source takes them in float32; on int16 operands that differs
    in outputs near a half, and the package agrees with double on int8 and int16 alike)."""
    s1_, s2_, so_ = float(_f32(in1_scale)), float(_f32(in2_scale)), float(_f32(out_scale))
    twice_max = 2 * max(s1_, s2_)
    r1, r2, ro = s1_ / twice_max, s2_ / twice_max, twice_max / ((1 << left_shift) * so_)
    m1, s1 = quantize_multiplier_smaller_than_one_exp(r1)
    m2, s2 = quantize_multiplier_smaller_than_one_exp(r2)
    mo, so = quantize_multiplier_smaller_than_one_exp(ro)
    return {"left_shift": left_shift,
            "input1_offset": -int(in1_zp), "input1_multiplier": m1, "input1_shift": s1,
            "input2_offset": -int(in2_zp), "input2_multiplier": m2, "input2_shift": s2,
            "output_offset": int(out_zp), "output_multiplier": mo, "output_shift": so,
            "act_min": int(act_min), "act_max": int(act_max)}


def squared_difference_params(in1_scale, in1_zp: int, in2_scale, in2_zp: int, out_scale, out_zp: int,
                              left_shift: int = SQUARED_DIFFERENCE_LEFT_SHIFT, lo: int = -128, hi: int = 127) -> dict:
    """The quantization fields of tg_add_broadcast_params_t for an int8 SQUARED_DIFFERENCE (TFLM
    PrepareQuantized, left shift 7, in double but for the float32 product 2^14 * output scale),
    or an int16 one (left shift 0, the range lo..hi)."""
    twice_max = 2.0 * float(max(_f32(in1_scale), _f32(in2_scale)))
    r1 = float(_f32(in1_scale)) / twice_max
    r2 = float(_f32(in2_scale)) / twice_max
    ro = (twice_max * twice_max) / float(_f32(1 << (2 * left_shift)) * _f32(out_scale))
    m1, s1 = quantize_multiplier_smaller_than_one_exp(r1)
    m2, s2 = quantize_multiplier_smaller_than_one_exp(r2)
    mo, so = quantize_multiplier(ro)
    return {"left_shift": left_shift,
            "input1_offset": -int(in1_zp), "input1_multiplier": m1, "input1_shift": s1,
            "input2_offset": -int(in2_zp), "input2_multiplier": m2, "input2_shift": s2,
            "output_offset": int(out_zp), "output_multiplier": mo, "output_shift": so,
            "act_min": int(lo), "act_max": int(hi)}


def rsqrt_params(size: int, in_scale, in_zp: int, out_scale, out_zp: int) -> dict:
    """tg_rsqrt_params_t for an int8 RSQRT (TFLM SetRsqrtOutputMultiplier: 1 / (sqrtf(s_in) * s_out),
    the square root and the product in float32)."""
    multiplier, shift = quantize_multiplier(1.0 / float(np.sqrt(_f32(in_scale)) * _f32(out_scale)))
    return {"size": int(size), "input_zero_point": int(in_zp), "output_zero_point": int(out_zp),
            "multiplier": multiplier, "shift": shift}


def batch_matmul_multiplier(lhs_scale, rhs_scale, out_scale, alpha: float = 1.0) -> tuple[int, int]:
    """(multiplier, shift) of an int8 BATCH_MATMUL: TFLM's (the product of the two scales in
    float32, then double); with a factor alpha != 1 (PyTorch's attention scale, tinygen's own)
    s_lhs * s_rhs * alpha / s_out in double."""
    if alpha == 1.0:
        return quantize_multiplier(float(_f32(lhs_scale) * _f32(rhs_scale)) / float(_f32(out_scale)))
    return quantize_multiplier(float(_f32(lhs_scale)) * float(_f32(rhs_scale)) * alpha / float(_f32(out_scale)))


# -- the integer layer norm ----------------------------------------------------------------------


def norm_shift(depth: int) -> int:
    """k: the fraction bits of the normalized values."""
    k = NORM_SHIFT_MAX
    while k > 0 and (1 << k) * GAMMA_MAX * (math.sqrt(depth) + 1) > (1 << 29):
        k -= 1
    return k


def quantize_gamma(gamma: np.ndarray) -> tuple[np.ndarray, np.float32]:
    """(int16 gamma, its scale s_g)."""
    top = float(np.max(np.abs(gamma.astype(np.float64)))) if gamma.size else 0.0
    scale = np.float32(top / GAMMA_MAX) if top > 0 else np.float32(1.0)
    q = np.array([round_half_away(float(g) / float(scale)) for g in gamma.ravel()], np.int64)
    return np.clip(q, -GAMMA_MAX, GAMMA_MAX).astype(np.int16), scale


def quantize_beta(beta: np.ndarray, gamma_scale, shift: int) -> np.ndarray:
    """int32 beta on the grid gamma_scale * 2^-shift, clamped to +-BETA_LIMIT."""
    unit = float(gamma_scale) / float(1 << shift)
    q = np.array([round_half_away(float(b) / unit) for b in beta.ravel()], np.int64)
    return np.clip(q, -BETA_LIMIT, BETA_LIMIT).astype(np.int32)


def eps_term(depth: int, eps: float, in_scale) -> int:
    """round(depth^2 * eps / s_in^2); ValueError where it does not fit int32."""
    term = round_half_away(float(depth) ** 2 * float(eps) / float(_f32(in_scale)) ** 2)
    if term > EPS_TERM_LIMIT:
        raise ValueError(f"eps {eps:g} is {term:.3g} in the units of the variance sum (depth^2 * eps / "
                         f"input scale^2), above 2^31")
    return int(term)


def norm_output_multiplier(gamma_scale, shift: int, out_scale) -> tuple[int, int]:
    """(multiplier, shift) of the norm's output: s_g * 2^-k / s_out."""
    return quantize_multiplier(float(gamma_scale) / float(1 << shift) / float(_f32(out_scale)))
