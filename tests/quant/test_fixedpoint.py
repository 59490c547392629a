"""tg_requant.h (C) == tinygen.quant.fixedpoint / tinygen.ref.gemmlowp helpers (numpy),
plus independent properties of the fixed-point math and of the TFLM Prepare
computations in tinygen.quant.op_params."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from kernel_lib import assert_same

from tinygen.quant import fixedpoint as fp
from tinygen.quant import op_params
from tinygen.ref import gemmlowp as ref

I32_MIN, I32_MAX = fp.INT32_MIN, fp.INT32_MAX
EDGES = np.array([I32_MIN, I32_MIN + 1, -(1 << 30), -65536, -255, -2, -1, 0, 1, 2, 255, 65536,
                  (1 << 30) - 1, 1 << 30, I32_MAX - 1, I32_MAX], dtype=np.int64)


def _random_int32(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    wide = rng.integers(I32_MIN, I32_MAX, n, endpoint=True)
    small = rng.integers(-70000, 70000, n)  # accumulator-sized values
    return np.concatenate([EDGES, wide, small])


def _round_half_away(q: Fraction) -> int:
    return int(math.copysign(math.floor(abs(q) + Fraction(1, 2)), q))


def test_srdhm_int32_host(kernels):
    a, b = np.meshgrid(_random_int32(300, 1), _random_int32(300, 2))
    a, b = a.ravel(), b.ravel()
    expected = fp.saturating_rounding_doubling_high_mul(a, b)
    assert_same(expected, kernels.srdhm(a, b), "tg_saturating_rounding_doubling_high_mul")
    # independent oracle: floor(a * b / 2^31 + 1/2) (halves round up, like ARM
    # VQRDMULH), saturated
    for x, y, r in list(zip(a.tolist(), b.tolist(), expected.tolist()))[::37]:
        exact = min(math.floor(Fraction(x * y, 1 << 31) + Fraction(1, 2)), I32_MAX)
        assert r == exact, (x, y, r, exact)


def test_rounding_divide_by_pot_int32_host(kernels):
    x = np.repeat(_random_int32(400, 3), 32)
    e = np.tile(np.arange(32), x.size // 32)
    expected = fp.rounding_divide_by_pot(x, e)
    assert_same(expected, kernels.rdbpot(x, e), "tg_rounding_divide_by_pot")
    for v, k, r in list(zip(x.tolist(), e.tolist(), expected.tolist()))[::7]:
        assert r == _round_half_away(Fraction(v, 1 << k)), (v, k, r)


def _multipliers(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([[0, 1, 1 << 30, (1 << 30) + 1, I32_MAX - 1, I32_MAX],
                           rng.integers(1 << 30, I32_MAX, 40, endpoint=True)])


def test_requantize_int32_host(kernels):
    x = _random_int32(60, 4)
    m = _multipliers(5)
    s = np.arange(-31, 31)  # -31 .. +30
    xx, mm, ss = (a.ravel() for a in np.meshgrid(x, m, s, indexing="ij"))
    assert_same(fp.multiply_by_quantized_multiplier(xx, mm, ss),
                kernels.requantize(xx, mm, ss), "tg_requantize")


def test_requantize_fast_equals_requantize_host(kernels):
    """tg_requantize_fast (multiplier >= 0) == tg_requantize: every edge accumulator with
    every multiplier edge and every shift, then 4 M random triples."""
    m = np.concatenate([_multipliers(12), [2, 3, (1 << 30) - 1]])
    s = np.arange(-31, 32)
    xx, mm, ss = (a.ravel() for a in np.meshgrid(_random_int32(200, 13), m, s, indexing="ij"))
    assert_same(kernels.requantize(xx, mm, ss), kernels.requantize_fast(xx, mm, ss), "tg_requantize_fast")
    rng = np.random.default_rng(14)
    n = 4_000_000
    x = np.where(rng.random(n) < 0.5, rng.integers(I32_MIN, I32_MAX, n, endpoint=True),
                 rng.integers(-(1 << 20), 1 << 20, n))
    m = rng.integers(0, I32_MAX, n, endpoint=True)
    s = np.where(rng.random(n) < 0.8, rng.integers(-12, 1, n), rng.integers(-31, 32, n))
    assert_same(kernels.requantize(x, m, s), kernels.requantize_fast(x, m, s), "tg_requantize_fast")
    assert_same(fp.multiply_by_quantized_multiplier(x[:200_000], m[:200_000], s[:200_000]),
                kernels.requantize_fast(x[:200_000], m[:200_000], s[:200_000]), "tg_requantize_fast vs numpy")


def test_requantize_fast_negative_multipliers_host(kernels):
    """tg_requantize_fast with a negated multiplier (passes/nested.py's negated channels):
    equal to tg_requantize, and requantize(acc, -M) == requantize(-acc, M) bit for bit (both
    take the same 64-bit product) wherever acc << shift does not wrap to INT32_MIN."""
    rng = np.random.default_rng(15)
    n = 1_000_000
    x = np.where(rng.random(n) < 0.5, rng.integers(I32_MIN + 1, I32_MAX, n, endpoint=True),
                 rng.integers(-(1 << 20), 1 << 20, n))
    m = rng.integers(1 << 30, I32_MAX, n, endpoint=True)
    s = np.where(rng.random(n) < 0.8, rng.integers(-12, 1, n), rng.integers(-31, 32, n))
    fast = kernels.requantize_fast(x, -m, s)
    assert_same(kernels.requantize(x, -m, s), fast, "tg_requantize_fast, negative multipliers")
    # the negation commutes with the wrapping left shift unless acc << shift wraps to INT32_MIN
    keep = ((x.astype(np.int64) << np.maximum(s, 0)) & 0xFFFFFFFF) != 0x80000000
    assert keep.mean() > 0.99
    assert_same(kernels.requantize_fast(-x[keep], m[keep], s[keep]), fast[keep],
                "tg_requantize_fast(acc, -M) vs (-acc, M)")


def test_requantize_bounded_equals_requantize_host(kernels):
    """tg_requantize_bounded == tg_requantize on its domain (multiplier in [2^30, 2^31),
    shift in [-31, -1], |acc| < 2^30): edge values crossed with every shift, then 4 M random."""
    edges = np.array([-(1 << 30) + 1, -(1 << 30) + 2, -(1 << 29), -65536, -255, -2, -1, 0, 1, 2, 255,
                      65536, 1 << 29, (1 << 30) - 2, (1 << 30) - 1], dtype=np.int64)
    rng = np.random.default_rng(15)
    x = np.concatenate([edges, rng.integers(-(1 << 30) + 1, 1 << 30, 300), rng.integers(-70000, 70000, 300)])
    m = np.concatenate([[1 << 30, (1 << 30) + 1, I32_MAX - 1, I32_MAX], rng.integers(1 << 30, I32_MAX, 30)])
    xx, mm, ss = (a.ravel() for a in np.meshgrid(x, m, np.arange(-31, 0), indexing="ij"))
    assert_same(kernels.requantize(xx, mm, ss), kernels.requantize_bounded(xx, mm, ss), "tg_requantize_bounded")
    n = 4_000_000
    x = np.where(rng.random(n) < 0.5, rng.integers(-(1 << 30) + 1, 1 << 30, n), rng.integers(-(1 << 20), 1 << 20, n))
    m = rng.integers(1 << 30, I32_MAX, n, endpoint=True)
    s = np.where(rng.random(n) < 0.8, rng.integers(-12, 0, n), rng.integers(-31, 0, n))
    assert_same(kernels.requantize(x, m, s), kernels.requantize_bounded(x, m, s), "tg_requantize_bounded")


def test_requantize_smaller_than_one_exp_int32_host(kernels):
    x = _random_int32(60, 6)
    m = _multipliers(7)
    s = np.arange(-31, 1)
    xx, mm, ss = (a.ravel() for a in np.meshgrid(x, m, s, indexing="ij"))
    expected = fp.multiply_by_quantized_multiplier_smaller_than_one_exp(xx, mm, ss)
    assert_same(expected, kernels.requantize_smaller_than_one_exp(xx, mm, ss),
                "tg_requantize_smaller_than_one_exp")
    # with no left shift the two variants agree
    assert_same(expected, fp.multiply_by_quantized_multiplier(xx, mm, ss))


@pytest.mark.parametrize("integer_bits", [1, 2, 3, 4, 5, 6, 8, 12])
def test_exp_on_negative_values_int32_host(kernels, integer_bits):
    rng = np.random.default_rng(integer_bits)
    a = np.concatenate([[I32_MIN, I32_MIN + 1, -(1 << 30), -1, 0],
                        -rng.integers(0, 1 << 31, 20000),
                        -rng.integers(0, 1 << (32 - integer_bits), 5000)])  # a >= -16
    expected = ref._exp_on_negative_values(a, integer_bits)
    assert_same(expected, kernels.exp_on_negative_values(a, integer_bits),
                "tg_exp_on_negative_values")
    real = np.exp(a / 2.0 ** (31 - integer_bits))
    assert np.max(np.abs(expected / 2.0**31 - real)) < 1e-6


def test_one_over_one_plus_x_int32_host(kernels):
    rng = np.random.default_rng(9)
    a = np.concatenate([[0, 1, 1 << 30, I32_MAX - 1, I32_MAX], rng.integers(0, I32_MAX, 20000)])
    expected = ref._one_over_one_plus_x_for_x_in_0_1(a)
    assert_same(expected, kernels.one_over_one_plus_x(a), "tg_one_over_one_plus_x_for_x_in_0_1")
    real = 1.0 / (1.0 + a / 2.0**31)
    assert np.max(np.abs(expected / 2.0**31 - real)) < 1e-8


@pytest.mark.parametrize("integer_bits", [2, 4, 5])
def test_logistic_q0_int32_host(kernels, integer_bits):
    rng = np.random.default_rng(10 + integer_bits)
    a = np.concatenate([EDGES, rng.integers(I32_MIN, I32_MAX, 20000)])
    expected = ref._logistic_q0(a, integer_bits)
    assert_same(expected, kernels.logistic_q0(a, integer_bits), "tg_logistic_q0")
    ok = a != I32_MIN  # -INT32_MIN wraps, as in gemmlowp
    real = 1.0 / (1.0 + np.exp(-a[ok] / 2.0 ** (31 - integer_bits)))
    assert np.max(np.abs(expected[ok] / 2.0**31 - real)) < 1e-7


# -- quantize_multiplier ------------------------------------------------------

def test_quantize_multiplier_properties():
    rng = np.random.default_rng(11)
    reals = np.concatenate([10.0 ** rng.uniform(-9, 4, 5000), [0.5, 1.0, 2.0, 0.25, 1e-9]])
    for r in reals.tolist():
        m, shift = fp.quantize_multiplier(r)
        assert (1 << 30) <= m < (1 << 31)
        # m * 2^(shift - 31) approximates r to within half an LSB of m
        assert abs(m * 2.0 ** (shift - 31) - r) <= 2.0 ** (shift - 32) * (1 + 1e-12)
    assert fp.quantize_multiplier(0.0) == (0, 0)
    assert fp.quantize_multiplier(1.0) == (1 << 30, 1)
    assert fp.quantize_multiplier(0.5) == (1 << 30, 0)
    # a mantissa that rounds up to 2^31 is renormalized
    assert fp.quantize_multiplier(1.0 - 2.0**-40) == (1 << 30, 1)
    # below 2^-31 flushes to zero
    assert fp.quantize_multiplier(2.0**-40) == (0, 0)
    with pytest.raises(ValueError):
        fp.quantize_multiplier(-1.0)


def test_quantize_multiplier_range_variants():
    assert fp.quantize_multiplier_smaller_than_one_exp(0.3)[1] <= 0
    assert fp.quantize_multiplier_greater_than_one(3.5)[1] >= 0
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError):
            fp.quantize_multiplier_smaller_than_one_exp(bad)
    for bad in (1.0, 0.5):
        with pytest.raises(ValueError):
            fp.quantize_multiplier_greater_than_one(bad)


# -- op_params (TFLM Prepare) --------------------------------------------------

def test_softmax_params_values():
    # float32(0.1) * 2^26 = 6710886.5 = 0.80000001192... * 2^23
    p = op_params.softmax_params(1, 10, 0.1, 1.0)
    assert p == {"rows": 1, "depth": 10, "input_multiplier": 1717986944,
                 "input_left_shift": 23, "diff_min": -248}
    # diff_min = -floor(31 * 2^26 / 2^left_shift) keeps diff * 2^left_shift in int32
    for scale in (0.003, 0.02, 0.1, 0.5, 1.7):
        p = op_params.softmax_params(1, 4, scale, 1.0)
        assert -p["diff_min"] * (1 << p["input_left_shift"]) < 2**31
    # a huge beta caps the real multiplier at 2^31 - 1
    p = op_params.softmax_params(1, 4, 1.0, 1e6)
    assert (p["input_multiplier"], p["input_left_shift"]) == (I32_MAX, 31)


def test_logistic_params_values():
    p = op_params.logistic_params(8, 0.1, -3)
    # float32(0.1) * 2^27 = 13421773 = 0.80000001192... * 2^24; radius floor(15 * 2^27 / 2^24)
    assert p == {"size": 8, "input_zero_point": -3, "input_range_radius": 120,
                 "input_multiplier": 1717986944, "input_left_shift": 24}


def test_add_params_values():
    p = op_params.add_params(5, 0.5, 1, 0.25, -2, 0.5, 3, -128, 127)
    # twice_max = 1.0: input multipliers 1/2 and 1/4, output 1 / (2^20 * 0.5) = 2^-19
    assert (p["input1_multiplier"], p["input1_shift"]) == (1 << 30, 0)
    assert (p["input2_multiplier"], p["input2_shift"]) == (1 << 30, -1)
    assert (p["output_multiplier"], p["output_shift"]) == (1 << 30, -18)
    assert (p["input1_offset"], p["input2_offset"], p["output_offset"]) == (-1, 2, 3)
    assert p["left_shift"] == 20
