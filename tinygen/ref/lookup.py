"""numpy twins of the int8 kernel that computes an elementwise function by a 256-entry table
(tg_lut_s8), of tg_tanh_s8 (TFLite Micro's fixed-point TANH), and the
tables of the functions that exist only as tables: GELU (TFLite's GELU Prepare) and the hard
sigmoid (exact).

A table holds the int8 output for every int8 input q at index (uint8_t)q, TFLite's order
(0, 1, .., 127, -128, .., -1): `by_uint8` puts a function's outputs for -128..127 there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from fractions import Fraction
from functools import lru_cache

import numpy as np

from tinygen.quant import fixedpoint as fp
from tinygen.ref.common import INT8_MAX, INT8_MIN, _clamp_to_int8
from tinygen.ref.gemmlowp import _rdbpot, _tanh_q0

INT8_INPUTS = np.arange(INT8_MIN, INT8_MAX + 1, dtype=np.int64)     # -128 .. 127
TABLE_SIZE = 256

_TANH_INPUT_INTEGER_BITS = 4        # the input in Q4 (kInputIntegerBits)
_TANH_OUTPUT_FRACTION_BITS = 7      # the output in units of 1/128 (kOutputScale)


def by_uint8(values) -> np.ndarray:
    """A function's int8 outputs for the inputs -128..127 as the table tg_lut_s8 reads:
    entry (uint8_t)q holds the output for q."""
    values = np.asarray(values).reshape(TABLE_SIZE)
    return np.ascontiguousarray(np.roll(values, -128).astype(np.int8))


def lut_s8(p: dict, input, table) -> np.ndarray:
    """Mirrors tg_lut_s8: output[i] = table[(uint8_t)input[i]];
    returns int8 [size]."""
    x = np.asarray(input, dtype=np.int8).reshape(p["size"])
    return np.asarray(table, dtype=np.int8).reshape(TABLE_SIZE)[x.view(np.uint8)]


def tanh_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_tanh_s8 (TFLite reference_integer_ops::Tanh, int8): inputs beyond
    +-input_range_radius saturate, the rest go into Q4, through gemmlowp's tanh, and its Q0
    result is rounded to units of 1/128; returns int8 [size]."""
    x = np.asarray(input, dtype=np.int64).reshape(p["size"]) - p["input_zero_point"]
    radius = p["input_range_radius"]
    x_q4 = fp.multiply_by_quantized_multiplier(x, p["input_multiplier"], p["input_left_shift"])
    y_q0 = _tanh_q0(x_q4, _TANH_INPUT_INTEGER_BITS)
    out = np.clip(_rdbpot(y_q0, 31 - _TANH_OUTPUT_FRACTION_BITS), INT8_MIN, INT8_MAX)
    out = np.where(x <= -radius, INT8_MIN, np.where(x >= radius, INT8_MAX, out))
    return out.astype(np.int8)


# -- GELU: TFLite's GELU Prepare (gelu.cc: LUTPopulate of GeluTransform / ...Approximate) ------

_SQRT1_2 = 0.70710678118654752440           # M_SQRT1_2
_SQRT_2_OVER_PI = np.float32(1.12837916709551257390 * _SQRT1_2)     # kSqrt2dPi, a float constant


@lru_cache(maxsize=1)
def libm():
    """The C library's single-precision erfc, tanh and exp: the functions TFLite's float GELU
    and int8 ELU tables call (std::erfc, std::tanh, std::exp of a float), whose last bit a double
    computation does not always reproduce."""
    lib = ctypes.CDLL(ctypes.util.find_library("m") or ctypes.util.find_library("c"))
    for name in ("erfcf", "tanhf", "expf"):
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
    return lib


def gelu_float(x, approximate: bool) -> np.ndarray:
    """TFLite's GeluTransform (0.5 x erfc(-x / sqrt 2)) or GeluTransformApproximate
    (0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))), in float32 as TFLite evaluates them."""
    x = np.asarray(x, dtype=np.float32)
    half_x = np.float32(0.5) * x
    if approximate:
        inner = x + np.float32(0.044715) * x * x * x
        t = np.array([libm().tanhf(float(v)) for v in (_SQRT_2_OVER_PI * inner).ravel()], np.float32)
        return half_x * (np.float32(1.0) + t.reshape(x.shape))
    e = np.array([libm().erfcf(float(v)) for v in (x * np.float32(-_SQRT1_2)).ravel()], np.float32)
    return half_x * e.reshape(x.shape)


def lut_populate(values: np.ndarray, out_scale, out_zp: int) -> np.ndarray:
    """TFLite LUTPopulateInt8's quantization of the transformed float32 values (one per input
    -128..127): round(v * (1 / output_scale)) + output_zero_point, in float32, halves away from
    zero, converted as x86 converts (out of int32's range: INT32_MIN), clamped; the table."""
    scaled = np.asarray(values, np.float32) * (np.float32(1.0) / np.float32(out_scale))
    rounded = np.sign(scaled) * np.floor(np.abs(scaled.astype(np.float64)) + 0.5)
    shifted = (rounded.astype(np.float32) + np.float32(out_zp)).astype(np.float64)
    q = np.where(np.abs(shifted) < 2.0**31, np.trunc(np.nan_to_num(shifted)), fp.INT32_MIN).astype(np.int64)
    return by_uint8(np.clip(q, INT8_MIN, INT8_MAX))


def gelu_table(in_scale, in_zp: int, out_scale, out_zp: int, approximate: bool) -> np.ndarray:
    """The table TFLite's int8 GELU builds at Prepare (LUTPopulate): each input dequantized in
    float32, transformed, quantized to the output's grid."""
    dequantized = np.float32(in_scale) * (INT8_INPUTS - int(in_zp)).astype(np.float32)
    return lut_populate(gelu_float(dequantized, approximate), out_scale, out_zp)


# -- the hard sigmoid, exactly --------------------------------------------------------------

def hard_sigmoid_table(in_scale, in_zp: int, out_scale, out_zp: int) -> np.ndarray:
    """relu6(x + 3) / 6 = clamp(x / 6 + 1 / 2, 0, 1) for x = in_scale (q - in_zp), rounded to the
    output's grid (halves away from zero) and clamped to int8: computed in exact fractions of
    the float32 scales, so every entry is the int8 nearest the true value."""
    si, so = Fraction(float(np.float32(in_scale))), Fraction(float(np.float32(out_scale)))
    out = []
    for q in INT8_INPUTS:
        y = min(max(si * (int(q) - int(in_zp)) / 6 + Fraction(1, 2), Fraction(0)), Fraction(1))
        t = y / so
        whole = t.numerator // t.denominator
        rounded = whole + (1 if t - whole >= Fraction(1, 2) else 0)     # t >= 0: halves go up
        out.append(rounded + int(out_zp))
    return by_uint8(_clamp_to_int8(np.asarray(out, np.int64), INT8_MIN, INT8_MAX))

