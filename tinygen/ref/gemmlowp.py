"""The gemmlowp fixed-point functions the int8 softmax, logistic and tanh twins need (exp on
negative values, 1 / (1 + x), (1 - x) / (1 + x), logistic, tanh), and the int8 log-softmax's log, int32 in Q formats, integer-exact to the C in
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


# -- log (the int8 LOG_SOFTMAX, tg_log_softmax_s8) ------------------------------------------------

_LOG_2, _SQRT_SQRT_HALF, _SQRT_HALF, _ONE_QUARTER = 1488522236, 1805811301, 1518500250, 536870912
_ALPHA_N, _ALPHA_D, _ALPHA_I, _ALPHA_F = 117049297, 127690142, 1057819769, 638450708


def _clz32(x) -> np.ndarray:
    """Leading zero bits of x as a uint32 (x != 0)."""
    u = _i64(x) & 0xFFFFFFFF
    n = np.zeros(u.shape, np.int64)
    for bits in (16, 8, 4, 2, 1):
        small = u < (1 << (32 - bits))
        n = np.where(small, n + bits, n)
        u = np.where(small, u << bits, u)
    return n


def _shift_pot(x, exponent) -> np.ndarray:
    """TFLite SaturatingRoundingMultiplyByPOTParam for exponent >= 0 (0: x itself)."""
    x, exponent = _i64(x), _i64(exponent)
    threshold = (np.int64(1) << (31 - exponent)) - 1
    return np.where(exponent == 0, x, np.where(x > threshold, fp.INT32_MAX,
                                               np.where(x < -threshold, fp.INT32_MIN, x << exponent)))


def _saturate32(x) -> np.ndarray:
    return np.clip(_i64(x), fp.INT32_MIN, fp.INT32_MAX)


def _log_x_ge_1(a, input_bits: int, output_bits: int) -> np.ndarray:
    """tg_log_x_for_x_ge_1 (TFLite's log_x_for_x_greater_than_or_equal_to_1): log(a), a >= 1 in
    Q(input_bits), the result in Q(output_bits). log2 of a's leading bit (two candidates, a and
    a * sqrt(1/2), the closer kept), then a rational approximation of the rest."""
    w = fp.wrap_int32
    accum_bits = output_bits + 1
    shifted_quarter = _rdbpot(_ONE_QUARTER, accum_bits)
    z_a = _i64(a)
    z_a_headroom_plus_1 = _clz32(z_a)
    r_a_raw = _shift_pot(_srdhm(_shift_pot(z_a, z_a_headroom_plus_1 - 1), _SQRT_HALF), 1)
    z_a_pow_2_adj = _saturate32(_shift_pot(input_bits - z_a_headroom_plus_1, 31 - accum_bits) + shifted_quarter)
    z_b = _srdhm(z_a, _SQRT_HALF)
    z_b_headroom = _clz32(z_b) - 1
    r_b_raw = _shift_pot(z_a, z_b_headroom)
    z_b_pow_2_adj = _saturate32(_shift_pot(input_bits - z_b_headroom, 31 - accum_bits) - shifted_quarter)
    r = np.minimum(r_a_raw, r_b_raw)
    z_pow_2_adj = np.maximum(z_a_pow_2_adj, z_b_pow_2_adj)
    s = r + _SQRT_SQRT_HALF              # RoundingHalfSum: (s + sign(s)) / 2 truncated toward zero
    p = np.where(s >= 0, (s + 1) // 2, -((-s + 1) // 2))
    q = w(2 * w(r - _SQRT_SQRT_HALF))
    common_sq = _srdhm(q, q)
    num = w(_srdhm(q, r) + _srdhm(_srdhm(q, common_sq), _ALPHA_N))
    denom_minus_one = w(_srdhm(p, w(w(_ALPHA_I + q) + _srdhm(_ALPHA_D, common_sq))) + _srdhm(_ALPHA_F, q))
    recip_denom = _one_over_one_plus_x_for_x_in_0_1(denom_minus_one)
    num_scaled = _rdbpot(num, accum_bits)
    result = w(_srdhm(z_pow_2_adj, _LOG_2) + _srdhm(num_scaled, recip_denom))
    return _saturating_shift_left(result, accum_bits - output_bits)
