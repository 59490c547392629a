"""Kernel parameters from quantization parameters: TFLite Micro's "Prepare" step.

Each function returns the param dict of one C kernel (keys = the fields of its
struct in firmware/kernels/support/tg_kernels.h), computed exactly as TFLite Micro's
Prepare does it: scales are float32 tensor parameters promoted to double, the
arithmetic is done in double in the same order, and multipliers are quantized
with the same routines (tinygen.quant.fixedpoint). That is what makes the
softmax, logistic and add kernels bit-exact to TFLite Micro.

Sources: tensorflow/lite/micro/kernels/add_common.cc (CalculateOpDataAdd),
softmax_common.cc (CalculateSoftmaxParams), logistic_common.cc
(CalculateArithmeticOpDataLogistic), mul_common.cc (CalculateOpDataMul),
quantize_common.cc (PrepareQuantizeReference), activations_common.cc
(CalculateReluOpData, Relu6Prepare), reduce_common.cc (PrepareMeanOrSumHelper),
hard_swish_common.cc (HardSwishPrepare), tensorflow/lite/kernels/internal/
quantization_util.cc (PreprocessSoftmaxScaling, CalculateInputRadius),
reference/reduce.h (QuantizedMeanOrSum).
"""

from __future__ import annotations

import math

import numpy as np

from tinygen.quant.fixedpoint import _round_half_away as round_half_away
from tinygen.quant.fixedpoint import (
    quantize_multiplier,
    quantize_multiplier_greater_than_one,
    quantize_multiplier_smaller_than_one_exp,
)

# The int8 softmax and logistic kernels produce a fixed output quantization.
SOFTMAX_OUTPUT_SCALE = 1.0 / 256.0
SOFTMAX_OUTPUT_ZERO_POINT = -128
LOGISTIC_OUTPUT_SCALE = 1.0 / 256.0
LOGISTIC_OUTPUT_ZERO_POINT = -128

# int8 ADD shifts both inputs left by this much before rescaling (TFLite: 20 for int8).
ADD_LEFT_SHIFT = 20
# ... and of int16 operands (TFLite's 16x8 ADD and SUB: CalculateOpDataAdd / Sub)
ADD_LEFT_SHIFT_S16 = 15
# softmax exp() input format: Q5.26 (kScaledDiffIntegerBits)
SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5
# logistic input format: Q4.27 (kInputIntegerBits)
LOGISTIC_INPUT_INTEGER_BITS = 4


def _f32(x) -> float:
    """A float32 tensor parameter, promoted to double as TFLite's static_cast<double> does."""
    return float(np.float32(x))


def calculate_input_radius(input_integer_bits: int, input_left_shift: int,
                           total_signed_bits: int = 31) -> int:
    """TFLite CalculateInputRadius: the largest input difference that cannot overflow
    after scaling by 2^input_left_shift into Q(input_integer_bits)."""
    if input_left_shift < 0:
        raise ValueError(f"input_left_shift {input_left_shift} < 0")
    max_input_rescaled = (1.0 * ((1 << input_integer_bits) - 1)
                          * float(1 << (total_signed_bits - input_integer_bits))
                          / float(1 << input_left_shift))
    return int(math.floor(max_input_rescaled))


def add_params(size: int, in1_scale, in1_zp: int, in2_scale, in2_zp: int,
               out_scale, out_zp: int, act_min: int, act_max: int, left_shift: int = ADD_LEFT_SHIFT) -> dict:
    """tg_add_params_t for an int8 ADD (TFLite Micro CalculateOpDataAdd), or an int16 one with
    left_shift ADD_LEFT_SHIFT_S16."""
    s1, s2, so = _f32(in1_scale), _f32(in2_scale), _f32(out_scale)
    # std::max of the float scales, then promoted
    twice_max_input_scale = 2 * max(s1, s2)
    real_input1_multiplier = s1 / twice_max_input_scale
    real_input2_multiplier = s2 / twice_max_input_scale
    real_output_multiplier = twice_max_input_scale / ((1 << left_shift) * so)
    m1, sh1 = quantize_multiplier_smaller_than_one_exp(real_input1_multiplier)
    m2, sh2 = quantize_multiplier_smaller_than_one_exp(real_input2_multiplier)
    mo, sho = quantize_multiplier_smaller_than_one_exp(real_output_multiplier)
    return {
        "size": int(size),
        "left_shift": left_shift,
        "input1_offset": -int(in1_zp), "input1_multiplier": m1, "input1_shift": sh1,
        "input2_offset": -int(in2_zp), "input2_multiplier": m2, "input2_shift": sh2,
        "output_offset": int(out_zp), "output_multiplier": mo, "output_shift": sho,
        "act_min": int(act_min), "act_max": int(act_max),
    }


def softmax_params(rows: int, depth: int, in_scale, beta) -> dict:
    """tg_softmax_params_t for an int8 SOFTMAX with int8 output of scale 1/256, zero
    point -128 (TFLite Micro CalculateSoftmaxParams, PreprocessSoftmaxScaling)."""
    # PreprocessSoftmaxScaling(double beta, double input_scale, 5): double-rounding build
    max_real_multiplier = float((1 << 31) - 1)
    input_beta_real_multiplier = min(
        _f32(beta) * _f32(in_scale) * float(1 << (31 - SOFTMAX_SCALED_DIFF_INTEGER_BITS)),
        max_real_multiplier)
    multiplier, left_shift = quantize_multiplier_greater_than_one(input_beta_real_multiplier)
    # diff_min = -1.0 * CalculateInputRadius(...), stored in an int
    diff_min = int(-1.0 * calculate_input_radius(SOFTMAX_SCALED_DIFF_INTEGER_BITS, left_shift))
    return {
        "rows": int(rows), "depth": int(depth),
        "input_multiplier": multiplier, "input_left_shift": left_shift,
        "diff_min": diff_min,
    }


def logistic_params(size: int, in_scale, in_zp: int) -> dict:
    """tg_logistic_params_t for an int8 LOGISTIC with int8 output of scale 1/256, zero
    point -128 (TFLite Micro CalculateArithmeticOpDataLogistic).

    TFLite Micro takes frexp of in_scale * 2^(31 - 4) and rounds the mantissa
    itself; for a float32 scale that equals QuantizeMultiplier (the mantissa of
    a float32 can never round up to 2^31), so the shared routine is used.
    """
    input_real_multiplier = _f32(in_scale) * float(1 << (31 - LOGISTIC_INPUT_INTEGER_BITS))
    multiplier, left_shift = quantize_multiplier(input_real_multiplier)
    if left_shift < 0:
        raise ValueError(f"logistic input scale {in_scale!r} is too small (below 2^-28)")
    return {
        "size": int(size),
        "input_zero_point": int(in_zp),
        "input_range_radius": calculate_input_radius(LOGISTIC_INPUT_INTEGER_BITS, left_shift),
        "input_multiplier": multiplier,
        "input_left_shift": left_shift,
    }


def _clamped_int8(x: int) -> int:
    return max(-128, min(127, int(x)))


def mul_params(in1_scale, in1_zp: int, in2_scale, in2_zp: int, out_scale, out_zp: int,
               act_min: int, act_max: int) -> dict:
    """The quantization fields of tg_mul_params_t (TFLite Micro CalculateOpDataMul):
    one multiplier for input1_scale * input2_scale / output_scale, in double."""
    multiplier, shift = quantize_multiplier(_f32(in1_scale) * _f32(in2_scale) / _f32(out_scale))
    return {
        "input1_offset": -int(in1_zp), "input2_offset": -int(in2_zp), "output_offset": int(out_zp),
        "output_multiplier": multiplier, "output_shift": shift,
        "act_min": int(act_min), "act_max": int(act_max),
    }


def requantize_params(size: int, in_scale, in_zp: int, out_scale, out_zp: int,
                      act_min: int = -128, act_max: int = 127) -> dict:
    """tg_requantize_params_t for a QUANTIZE between int8 and int16 (TFLite Micro
    PrepareQuantizeReference: input_scale / output_scale in double), clamped to the output
    type's range act_min..act_max."""
    multiplier, shift = quantize_multiplier(_f32(in_scale) / _f32(out_scale))
    return {"size": int(size), "input_offset": -int(in_zp), "output_offset": int(out_zp),
            "multiplier": multiplier, "shift": shift, "act_min": int(act_min), "act_max": int(act_max)}


def leaky_relu_params(size: int, in_scale, in_zp: int, out_scale, out_zp: int, alpha,
                      act_min: int, act_max: int) -> dict:
    """tg_leaky_relu_params_t for a LEAKY_RELU (TFLite Micro CalculateOpDataLeakyRelu): one
    multiplier for x >= 0 (input_scale / output_scale) and one for x < 0 (input_scale * alpha /
    output_scale), in double from the float32 scales and alpha (what the tflite-micro package's
    interpreter computes: the float32 product differs in the last bit of the multiplier, and
    then in outputs that fall near a half); a negative alpha's multiplier by its magnitude,
    its product negated (alpha_sign -1), as QuantizeLeakyRelu does."""
    in_scale, out_scale, alpha = _f32(in_scale), _f32(out_scale), _f32(alpha)
    m_alpha, s_alpha = quantize_multiplier(abs(in_scale * alpha / out_scale))
    m_one, s_one = quantize_multiplier(in_scale / out_scale)
    return {"size": int(size), "input_offset": -int(in_zp), "output_offset": int(out_zp),
            "identity_multiplier": m_one, "identity_shift": s_one,
            "alpha_multiplier": m_alpha, "alpha_shift": s_alpha, "alpha_sign": -1 if alpha < 0 else 1,
            "act_min": int(act_min), "act_max": int(act_max)}


def relu_params(size: int, in_scale, in_zp: int, out_scale, out_zp: int, lo: int = -128, hi: int = 127) -> dict:
    """tg_requantize_params_t for an int8 RELU (TFLite Micro CalculateReluOpData), or an
    int16 one with the type's range lo..hi: the scale ratio is a double division of the
    float32 scales; the output is clamped to [output zero point, hi].

    TFLite Micro's source writes static_cast<double>(input scale / output scale), a float32
    division, but the tflite-micro package (the arbiter) divides in double: on an int16 RELU
    from scale 2.1626189e-04 to 8.0786915e-05 the float32 quotient's multiplier (1437172352)
    rounds 3 of the 65536 inputs up where the package rounds them down; the double quotient's
    (1437172335) gives the package's bytes on all of them. int8 inputs never tell them apart."""
    ratio = _f32(in_scale) / _f32(out_scale)
    multiplier, shift = quantize_multiplier(ratio)
    return {"size": int(size), "input_offset": -int(in_zp), "output_offset": int(out_zp),
            "multiplier": multiplier, "shift": shift, "act_min": max(lo, int(out_zp)), "act_max": hi}


def relu6_bounds(in_scale, in_zp: int, lo: int = -128, hi: int = 127) -> tuple[int, int]:
    """TFLite Micro Relu6Prepare: the int8 (int16: lo..hi) RELU6 clamps to [zero point,
    quantized 6.0] on the INPUT's grid (FloatToQuantizedType: round(6.0f / scale) + zero point,
    clamped) and does not requantize."""
    six = round_half_away(float(np.float32(6.0) / np.float32(in_scale))) + int(in_zp)
    return int(in_zp), int(min(max(six, lo), hi))


def mean_params(outer: int, reduce: int, inner: int, in_scale, in_zp: int, out_scale, out_zp: int) -> dict:
    """tg_mean_params_t for an int8 MEAN (TFLite Micro PrepareMeanOrSumHelper, then the
    1/num_elements folding of reference_ops::QuantizedMeanOrSum)."""
    multiplier, shift = quantize_multiplier(_f32(in_scale) / _f32(out_scale))
    # fold 1/reduce into the multiplier: shift by floor(log2(reduce)), at most 32 and
    # so that the final shift stays >= -31
    fold = min(int(reduce).bit_length() - 1, 32, 31 + shift)
    multiplier = (multiplier << fold) // int(reduce)
    return {"outer": int(outer), "reduce": int(reduce), "inner": int(inner),
            "input_zero_point": int(in_zp), "output_zero_point": int(out_zp),
            "multiplier": int(multiplier), "shift": int(shift - fold)}


# int8 HARD_SWISH works on int16 fixed point: the input is first put on a "hires"
# scale of input_scale / 128, the relu-ish factor on a scale where 3.0 is 32768.
HARD_SWISH_HIRES_SHIFT = 7
HARD_SWISH_RELUISH_SCALE = np.float32(3.0) / np.float32(32768.0)


def downscale_multiplier_to_int16(multiplier: int) -> int:
    """TFLite DownScaleInt32ToInt16Multiplier: round a Q31 multiplier to Q15."""
    rounding = 1 << 15
    if multiplier >= (1 << 31) - 1 - rounding:
        return (1 << 15) - 1
    return (multiplier + rounding) >> 16


def hard_swish_params(size: int, in_scale, in_zp: int, out_scale, out_zp: int) -> dict:
    """tg_hard_swish_params_t for an int8 HARD_SWISH (TFLite Micro HardSwishPrepare:
    float32 arithmetic on the scales, then QuantizeMultiplier and a rounding down to
    16-bit multipliers)."""
    hires_input_scale = np.float32(1.0 / (1 << HARD_SWISH_HIRES_SHIFT)) * np.float32(in_scale)
    out_m, out_e = quantize_multiplier(float(hires_input_scale / np.float32(out_scale)))
    relu_m, relu_e = quantize_multiplier(float(hires_input_scale / HARD_SWISH_RELUISH_SCALE))
    return {
        "size": int(size), "input_zero_point": int(in_zp), "output_zero_point": int(out_zp),
        "reluish_multiplier": downscale_multiplier_to_int16(relu_m), "reluish_exponent": relu_e,
        "output_multiplier": downscale_multiplier_to_int16(out_m), "output_exponent": out_e,
    }


# -- TANH, PRELU, SUM (the simpler operators users' models bring) -------------------------------
# Sources: tensorflow/lite/micro/kernels/tanh.cc (CalculateArithmeticOpData), prelu_common.cc
# (CalculatePreluParams), reduce_common.cc (PrepareMeanOrSumHelper) and reference/reduce.h
# (QuantizedMeanOrSum with compute_sum).

# The int8 tanh kernel produces a fixed output quantization: Q7 (reference_integer_ops::Tanh)
TANH_OUTPUT_SCALE = 1.0 / 128.0
TANH_OUTPUT_ZERO_POINT = 0


def tanh_params(size: int, in_scale, in_zp: int) -> dict:
    """tg_tanh_params_t for an int8 TANH with int8 output of scale 1/128, zero point 0 (TFLite
    Micro's tanh Prepare: the input into Q4, the same arithmetic as LOGISTIC's)."""
    try:
        return logistic_params(size, in_scale, in_zp)
    except ValueError:
        raise ValueError(f"tanh input scale {in_scale!r} is too small (below 2^-28)") from None


def prelu_params(in_scale, in_zp: int, alpha_scale, alpha_zp: int, out_scale, out_zp: int) -> dict:
    """The quantization fields of tg_prelu_params_t (TFLite Micro CalculatePreluParams): one
    multiplier for x >= 0 (input_scale / output_scale) and one for x < 0 (input_scale *
    alpha_scale / output_scale), each in double."""
    m1, s1 = quantize_multiplier(_f32(in_scale) / _f32(out_scale))
    m2, s2 = quantize_multiplier(_f32(in_scale) * _f32(alpha_scale) / _f32(out_scale))
    return {"input_offset": -int(in_zp), "alpha_offset": -int(alpha_zp), "output_offset": int(out_zp),
            "positive_multiplier": m1, "positive_shift": s1, "negative_multiplier": m2, "negative_shift": s2}


def sum_params(outer: int, reduce: int, inner: int, in_scale, in_zp: int, out_scale, out_zp: int) -> dict:
    """tg_mean_params_t for an int8 SUM (TFLite Micro PrepareMeanOrSumHelper, then
    reference_ops::QuantizedMeanOrSum with compute_sum: the sum minus input_zero_point times
    the count, requantized by input_scale / output_scale, nothing folded)."""
    multiplier, shift = quantize_multiplier(_f32(in_scale) / _f32(out_scale))
    return {"outer": int(outer), "reduce": int(reduce), "inner": int(inner),
            "input_zero_point": int(in_zp), "output_zero_point": int(out_zp),
            "multiplier": int(multiplier), "shift": int(shift)}
