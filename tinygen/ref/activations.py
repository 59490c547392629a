"""Integer-exact numpy twins of the int8 activation kernels: tg_softmax_s8 (and its exp,
which tinygen.kernels.lut tabulates for tg_softmax_s8_dsp), tg_softmax_scaled_s8, tg_logistic_s8 and
tg_hard_swish_s8 (with the 16-bit fixed point of its static helpers). Named like the C
kernel minus the ``tg_`` prefix; re-exported by tinygen.ref.kernels."""

from __future__ import annotations

import numpy as np

from tinygen.quant import fixedpoint as fp
from tinygen.ref.common import INT8_MAX, INT8_MIN, _clamp_to_int8, _i64
from tinygen.ref.gemmlowp import _exp_on_negative_values, _logistic_q0, _one_over_one_plus_x_for_x_in_0_1, _rdbpot, _srdhm

_SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5
_SOFTMAX_ACCUMULATION_INTEGER_BITS = 12
_LOGISTIC_INPUT_INTEGER_BITS = 4
_LOGISTIC_OUTPUT_INTEGER_BITS = 8


def _bit_length(x: np.ndarray) -> np.ndarray:
    """Number of significant bits of non-negative int64 values below 2^32."""
    x = x.copy()
    n = np.zeros_like(x)
    for s in (16, 8, 4, 2, 1):
        big = x >= (np.int64(1) << s)
        n += np.where(big, s, 0)
        x = np.where(big, x >> s, x)
    return n + (x > 0)


def softmax_exp_q0(p: dict, diff) -> np.ndarray:
    """tg_softmax_s8's exp of the differences x - row max (<= 0) in Q0: the difference scaled
    into Q5 and exponentiated; 0 for differences below diff_min, which contribute nothing
    (tinygen.kernels.lut.softmax_exp_table tabulates it for tg_softmax_s8_dsp)."""
    diff = np.asarray(diff, dtype=np.int64)
    scaled_diff = fp.multiply_by_quantized_multiplier(
        diff, p["input_multiplier"], p["input_left_shift"])
    exp_q0 = _exp_on_negative_values(scaled_diff, _SOFTMAX_SCALED_DIFF_INTEGER_BITS)
    return np.where(diff >= p["diff_min"], exp_q0, 0)


def _softmax_fixed(p: dict, input) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """tg_softmax_s8's fixed-point probabilities before the output step: (live, the product
    exp * 1 / (1 + x) in Q0 (the doubling high multiply), num_bits_over_unit), where the
    probability is product * 2^-(31 + num_bits_over_unit) and live marks the differences
    from the row maximum at or above diff_min."""
    x = np.asarray(input, dtype=np.int64).reshape(p["rows"], p["depth"])
    diff = x - x.max(axis=1, keepdims=True)
    live = diff >= p["diff_min"]
    exp_q0 = softmax_exp_q0(p, diff)
    exp_q12 = _rdbpot(exp_q0, _SOFTMAX_ACCUMULATION_INTEGER_BITS)
    sum_of_exps = np.where(live, exp_q12, 0).sum(axis=1, keepdims=True)
    # TFLite GetReciprocal
    headroom_plus_one = 32 - _bit_length(sum_of_exps)
    num_bits_over_unit = _SOFTMAX_ACCUMULATION_INTEGER_BITS - headroom_plus_one
    shifted_sum_minus_one = fp.wrap_int32((sum_of_exps << headroom_plus_one) - (1 << 31))
    reciprocal = _one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one)
    return live, _srdhm(reciprocal, exp_q0), num_bits_over_unit


def softmax_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_softmax_s8 (TFLite reference_ops::Softmax, int8 path); returns int8 [rows, depth]."""
    live, product, num_bits_over_unit = _softmax_fixed(p, input)
    out = _rdbpot(product, num_bits_over_unit + 31 - 8) + INT8_MIN
    out = np.where(live, np.clip(out, INT8_MIN, INT8_MAX), INT8_MIN)
    return out.astype(np.int8)


def softmax_scaled_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_softmax_scaled_s8: tg_softmax_s8's fixed-point probability times the integer
    output_multiplier, rounded once (half up) to an int8 code, plus output_zero_point; a
    difference below diff_min outputs the zero point (probability 0). Returns int8 [rows, depth]."""
    live, product, num_bits_over_unit = _softmax_fixed(p, input)
    shift = num_bits_over_unit + 31
    scaled = (product * np.int64(p["output_multiplier"]) + (np.int64(1) << (shift - 1))) >> shift
    out = np.where(live, scaled, 0) + p["output_zero_point"]
    return np.clip(out, INT8_MIN, INT8_MAX).astype(np.int8)


def logistic_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_logistic_s8 (TFLite reference_integer_ops::Logistic, int8); returns int8 [size]."""
    x = np.asarray(input, dtype=np.int64).reshape(p["size"]) - p["input_zero_point"]
    radius = p["input_range_radius"]
    x_q4 = fp.multiply_by_quantized_multiplier(x, p["input_multiplier"], p["input_left_shift"])
    y_q0 = _logistic_q0(x_q4, _LOGISTIC_INPUT_INTEGER_BITS)
    out = _rdbpot(y_q0, 31 - _LOGISTIC_OUTPUT_INTEGER_BITS) + INT8_MIN
    out = np.clip(out, INT8_MIN, INT8_MAX)
    out = np.where(x <= -radius, INT8_MIN, np.where(x >= radius, INT8_MAX, out))
    return out.astype(np.int8)


# -- 16-bit fixed point of the int8 hard swish (mirror the static helpers of tg_hard_swish_s8.c)

_INT16_MIN = -(1 << 15)
_INT16_MAX = (1 << 15) - 1


def _srdhm16(a, b) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul on int16 values."""
    a, b = _i64(a), _i64(b)
    ab = a * b
    s = ab + np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    high = np.where(s >= 0, s >> 15, -((-s) >> 15))       # truncating division by 2^15
    return np.where((a == _INT16_MIN) & (b == _INT16_MIN), _INT16_MAX, high)


def _sdhm16(a, b) -> np.ndarray:
    """TFLite SaturatingDoublingHighMul on int16 values: a * b / 2^15 truncated toward zero."""
    a, b = _i64(a), _i64(b)
    ab = a * b
    high = np.where(ab >= 0, ab >> 15, -((-ab) >> 15))
    return np.where((a == _INT16_MIN) & (b == _INT16_MIN), _INT16_MAX, high)


def _saturating_left_shift16(x, amount: int) -> np.ndarray:
    return np.clip(_i64(x) << amount, _INT16_MIN, _INT16_MAX)


def hard_swish_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_hard_swish_s8 (TFLite reference_ops::HardSwish, int8); returns int8 [size]."""
    hires = (np.asarray(input, dtype=np.int64).reshape(p["size"]) - p["input_zero_point"]) << 7
    preshift_output = _srdhm16(hires, p["output_multiplier"])
    exponent = p["reluish_exponent"]
    reluish = hires
    if exponent > 0:
        reluish = _saturating_left_shift16(reluish, exponent - 1)
    reluish = _srdhm16(reluish, p["reluish_multiplier"])
    if exponent > 0:
        reluish = _saturating_left_shift16(reluish, 1)
    if exponent < 0:
        reluish = _rdbpot(reluish, -exponent)
    reluish = (reluish + (1 << 15)) >> 1
    out = _rdbpot(_sdhm16(reluish, preshift_output), -p["output_exponent"]) + p["output_zero_point"]
    return _clamp_to_int8(out, INT8_MIN, INT8_MAX)
