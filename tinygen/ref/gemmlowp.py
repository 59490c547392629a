"""The gemmlowp fixed-point functions the int8 softmax, logistic and tanh twins need (exp on
negative values, 1 / (1 + x), (1 - x) / (1 + x), logistic, tanh), int32 in Q formats, integer-exact to the C in
firmware/kernels/support/tg_requant.h (tests/quant/test_fixedpoint.py compares them)."""

from __future__ import annotations

import numpy as np

from tinygen.quant import fixedpoint as fp
from tinygen.ref.common import _i64


def _srdhm(a, b) -> np.ndarray:
    return fp.saturating_rounding_doubling_high_mul(a, b)


def _rdbpot(x, exponent) -> np.ndarray:
    return fp.rounding_divide_by_pot(x, exponent)


def _saturating_shift_left(x, exponent: int) -> np.ndarray:
    """tg_saturating_shift_left (gemmlowp SaturatingRoundingMultiplyByPOT, exponent > 0)."""
    threshold = (1 << (31 - exponent)) - 1
    x = _i64(x)
    return np.where(x > threshold, fp.INT32_MAX,
                    np.where(x < -threshold, fp.INT32_MIN, x << exponent))


def _exp_on_interval_neg_quarter_to_0(a) -> np.ndarray:
    """tg_exp_on_interval_neg_quarter_to_0: exp(a), a in [-1/4, 0), Q0 -> Q0."""
    exp_minus_one_eighth = 1895147668
    one_third = 715827883
    x = _i64(a) + (1 << 28)
    x2 = _srdhm(x, x)
    x3 = _srdhm(x2, x)
    x4 = _srdhm(x2, x2)
    x4_over_4 = _rdbpot(x4, 2)
    poly = _rdbpot(_srdhm(x4_over_4 + x3, one_third) + x2, 1)
    return exp_minus_one_eighth + _srdhm(exp_minus_one_eighth, x + poly)


_EXP_OF_MINUS_POT = {-2: 1672461947, -1: 1302514674, 0: 790015084, 1: 290630308,
                     2: 39332535, 3: 720401, 4: 242}


def _exp_on_negative_values(a, integer_bits: int) -> np.ndarray:
    """tg_exp_on_negative_values: exp(a) for a <= 0 in Q(integer_bits), result Q0."""
    a = _i64(a)
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    mask = one_quarter - 1
    a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter
    result = _exp_on_interval_neg_quarter_to_0(
        _saturating_shift_left(a_mod_quarter_minus_one_quarter, integer_bits))
    remainder = a_mod_quarter_minus_one_quarter - a
    for e, multiplier in _EXP_OF_MINUS_POT.items():
        if integer_bits > e:
            bit = 1 << (fractional_bits + e)
            result = np.where(remainder & bit, _srdhm(result, multiplier), result)
    if integer_bits > 5:
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return np.where(a == 0, fp.INT32_MAX, result)


def _two_over_one_plus_x_q2(a) -> np.ndarray:
    """tg_two_over_one_plus_x_q2: 2 / (1 + a) in Q2 for a in [0, 1) in Q0, by gemmlowp's
    Newton-Raphson division (three steps), as its 1 / (1 + x) and (1 - x) / (1 + x) share it."""
    s = _i64(a) + fp.INT32_MAX
    # gemmlowp RoundingHalfSum: (s + sign(s)) / 2 truncated toward zero
    half_denominator = np.where(s >= 0, (s + 1) // 2, -((-s + 1) // 2))
    x = 1515870810 + _srdhm(half_denominator, -1010580540)
    for _ in range(3):
        one_minus_half_denominator_times_x = (1 << 29) - _srdhm(half_denominator, x)
        x = x + _saturating_shift_left(_srdhm(x, one_minus_half_denominator_times_x), 2)
    return x


def _one_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    """tg_one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a), a in [0, 1), Q0 -> Q0."""
    return _saturating_shift_left(_two_over_one_plus_x_q2(a), 1)


def _logistic_q0(a, integer_bits: int) -> np.ndarray:
    """tg_logistic_q0: 1 / (1 + exp(-a)), a in Q(integer_bits), result Q0."""
    a = _i64(a)
    abs_a = np.where(a > 0, a, fp.wrap_int32(-a))
    result_if_positive = _one_over_one_plus_x_for_x_in_0_1(
        _exp_on_negative_values(fp.wrap_int32(-abs_a), integer_bits))
    result = np.where(a > 0, result_if_positive, fp.INT32_MAX - result_if_positive)
    return np.where(a == 0, 1 << 30, result)


def _one_minus_x_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    """tg_one_minus_x_over_one_plus_x_for_x_in_0_1: (1 - a) / (1 + a), a in [0, 1), Q0 -> Q0."""
    return _saturating_shift_left(_two_over_one_plus_x_q2(a) - (1 << 29), 2)


def _tanh_q0(a, integer_bits: int) -> np.ndarray:
    """tg_tanh_q0: tanh(a), a in Q(integer_bits), result Q0: (1 - exp(-2|a|)) / (1 + exp(-2|a|))
    with the sign of a, exp(-2|a|) taken on the raw -|a| read with one more integer bit."""
    a = _i64(a)
    negative_abs = np.where(a < 0, a, fp.wrap_int32(-a))
    t = _one_minus_x_over_one_plus_x_for_x_in_0_1(_exp_on_negative_values(negative_abs, integer_bits + 1))
    return np.where(a == 0, 0, np.where(a < 0, -t, t))
