"""Kernel parameters of the int16 (16x8) kernels whose TFLite Micro Prepare step is their own:
LOGISTIC and TANH (tensorflow/lite/micro/kernels/logistic_common.cc, tanh.cc: int16 inputs
rescaled onto the grid of a 256-entry sigmoid table, output Q0.15, zero points 0) and SOFTMAX
from int16 to int16 (softmax_common.cc: two 513-entry LUTs TFLite builds at Prepare with
LUTPopulateInt16, rebuilt here the same way).

The kernels interpolate TFLite's sigmoid table, which the recurrent layers' gates read too
(tinygen.ref.recurrent.SIGMOID_TABLE, firmware/kernels/recurrent/tg_sigmoid_table_s16.c).
"""

from __future__ import annotations

import math

import numpy as np

from tinygen.quant.fixedpoint import quantize_multiplier

# the int16 LOGISTIC and TANH outputs: Q0.15, zero point 0 (TFLite Micro checks log2(scale) = -15)
SIGMOID_OUTPUT_LOG2 = -15
_INPUT_INTEGER_BITS = 3


def checked_log2(x: float) -> tuple[bool, int]:
    """TFLite CheckedLog2 (float32 arithmetic): (whether x is a power of two within 1e-3 of
    its log2, that log2 rounded half away from zero)."""
    log2 = np.float32(np.log(np.float32(x))) * (np.float32(1.0) / np.float32(np.log(np.float32(2.0))))
    rounded = np.float32(math.copysign(math.floor(abs(float(log2)) + 0.5), float(log2)))
    return bool(abs(np.float32(log2 - rounded)) < np.float32(1e-3)), int(rounded)


def sigmoid_s16_params(size: int, in_scale, op: str) -> dict:
    """tg_sigmoid_s16_params_t of an int16 LOGISTIC (op "logistic") or TANH ("tanh"), as
    TFLite Micro's Prepare computes it: a power-of-two input scale of 2^-12 (LOGISTIC; TANH
    also 2^-11) multiplies by 3 << shift; any other takes multiplier = scale * 3 * 4096 doubled
    (the shift counting the doublings) until it exceeds 32767 / 2, truncated. The kernels take
    the power-of-two case's multiplier as it is used (3 << shift, no shift)."""
    pot, log2 = checked_log2(in_scale)
    shift = (15 - _INPUT_INTEGER_BITS) + log2
    if pot and (shift == 0 or (op == "tanh" and shift == 1)):
        return {"size": int(size), "input_multiplier": 3 << shift, "input_left_shift": 0}
    multiplier, shift = float(np.float32(in_scale)) * 4096.0 * 3.0, 0
    while multiplier <= 32767.0 / 2.0 and shift <= 30:
        shift += 1
        multiplier *= 2.0
    if multiplier > 32767:
        raise ValueError(f"int16 {op} input scale {float(in_scale):g} is too large: TFLite Micro's kernel "
                         "takes scales up to 32767 / 12288")
    return {"size": int(size), "input_multiplier": int(multiplier), "input_left_shift": shift}


def sigmoid_output_ok(scale, zero_point: int) -> bool:
    """Whether an int16 LOGISTIC / TANH output grid is the one TFLite Micro requires: Q0.15
    (log2 of the scale -15 within 1e-3), zero point 0."""
    pot, log2 = checked_log2(scale)
    return pot and log2 == SIGMOID_OUTPUT_LOG2 and int(zero_point) == 0



# -- SOFTMAX from int16 to int16 (softmax_common.cc, reference_ops::SoftmaxInt16) -------------------

INT16_RANGE = 65535          # int16 max - min, as TFLite Micro's Prepare names it
LUT_STEPS = 512              # a 513-entry LUT: 512 intervals over the int16 inputs (LUTLookup)


def _round(x: np.float32) -> np.float32:
    """TfLiteRound on float32: half away from zero."""
    return np.float32(math.copysign(math.floor(abs(float(x)) + 0.5), float(x)))


def lut_populate_s16(transform, in_scale: np.float32, in_zp: int, out_scale: np.float32, out_zp: int) -> np.ndarray:
    """TFLite's LUTPopulateInt16<float>: `transform` (float64 in, float64 out, rounded to
    float32 once: a correctly rounded float32 function) sampled at the 513 ends of 512 steps
    over the int16 inputs, in float32 arithmetic in TFLite's order; each sample moved by half
    the error of linear interpolation at its step's midpoint. Returns int16 [513]."""
    f32 = np.float32
    t = lambda v: f32(transform(float(v)))        # noqa: E731
    input_min, input_max = in_scale * f32(-32768 - in_zp), in_scale * f32(32767 - in_zp)
    output_min, output_max = out_scale * f32(-32768 - out_zp), out_scale * f32(32767 - out_zp)
    step = (input_max - input_min) / f32(LUT_STEPS)
    half_step = step / f32(2)
    inv = f32(65536) / (output_max - output_min)
    lut = np.zeros(LUT_STEPS + 1, np.int16)
    for i in range(LUT_STEPS):
        val = t(input_min + f32(i) * step)
        midpoint = t(input_min + f32(i) * step + half_step)
        after = t(input_min + f32(i + 1) * step)
        sample = _round(val * inv)
        interpolated = _round((after * inv + _round(val * inv)) / f32(2))
        bias = _round((interpolated - _round(midpoint * inv)) / f32(2))
        lut[i] = int(min(max(sample - bias, f32(-32768)), f32(32767)))
    lut[LUT_STEPS] = int(min(max(_round(t(input_max) * inv), f32(-32768)), f32(32767)))
    return lut


def softmax_s16_tables(kparams: dict, consts: dict) -> np.ndarray:
    """tg_softmax_s16's constant (KernelSpec.pack): TFLite Micro's two int16 LUTs, exp(x) for x
    in [-10, 0] then 1 / (1 + x) for x in [0, 1], each 513 entries in Q0.15 (the same for every
    layer)."""
    f32 = np.float32
    exp_lut = lut_populate_s16(math.exp, f32(10.0) / f32(INT16_RANGE), 32767, f32(2.0) / f32(INT16_RANGE), 0)
    reciprocal_lut = lut_populate_s16(lambda v: 1.0 / (1.0 + v), f32(1.0) / f32(INT16_RANGE), -32768,
                                      f32(2.0) / f32(INT16_RANGE), 0)
    return np.concatenate([exp_lut, reciprocal_lut])


def softmax_s16_params(rows: int, depth: int, in_scale, beta: float) -> dict:
    """tg_softmax_s16_params_t (TFLite Micro CalculateSoftmaxParams, int16 input): the input
    differences scaled so that [-65535, 0] is [-10, 0] (input_scale * beta / (10 / 65535) in
    double, QuantizeMultiplier)."""
    multiplier, shift = quantize_multiplier(float(np.float32(in_scale)) * float(np.float32(beta)) / (10.0 / 65535.0))
    return {"rows": int(rows), "depth": int(depth), "input_multiplier": multiplier, "input_shift": shift}
