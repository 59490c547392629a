"""numpy twins of the float32 kernels of TFLite's element-wise and reducing operators beyond
the basic ones (a float .tflite run as it is): LEAKY_RELU, HARD_SWISH, RSQRT, PRELU, DIV, MINIMUM, MAXIMUM,
SQUARED_DIFFERENCE, MEAN and SUM, and a float model's integer ports (DEQUANTIZE, QUANTIZE), each
TFLite Micro's float reference arithmetic in the same order of float32 operations. Named like the C kernel minus the ``tg_`` prefix."""

from __future__ import annotations

import numpy as np

from tinygen.ref.float32 import clamp_values
from tinygen.ref.kernels import _broadcast_operand

F32 = np.float32


def _flat(p: dict, x) -> np.ndarray:
    return np.asarray(x, F32).reshape(p["size"])


def leaky_relu_f32(p: dict, input) -> np.ndarray:
    """Mirrors tg_leaky_relu_f32 (x > 0 ? x : x * alpha); float32 [size]."""
    x = _flat(p, input)
    return np.where(x > 0, x, x * F32(p["alpha"])).astype(F32)


def hard_swish_f32(p: dict, input) -> np.ndarray:
    """Mirrors tg_hard_swish_f32 (x * min(6, max(0, x + 3)) / 6, the product rounded first); float32 [size]."""
    x = _flat(p, input)
    shifted = x + F32(3)
    relu6 = np.where(F32(0) < shifted, shifted, F32(0))
    relu6 = np.where(relu6 < F32(6), relu6, F32(6))
    return ((x * relu6) / F32(6)).astype(F32)


def rsqrt_f32(p: dict, input) -> np.ndarray:
    """Mirrors tg_rsqrt_f32 (1 / sqrtf(x): numpy's float32 sqrt is the correctly rounded one too); float32 [size]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (F32(1) / np.sqrt(_flat(p, input))).astype(F32)


def squared_difference_f32(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_squared_difference_f32 ((a - b)^2, broadcast, no clamp); float32 of p['shape']."""
    difference = _broadcast_operand(p, input1, 1, F32) - _broadcast_operand(p, input2, 2, F32)
    with np.errstate(over="ignore"):
        return (difference * difference).astype(F32)


def prelu_f32(p: dict, input, alpha) -> np.ndarray:
    """Mirrors tg_prelu_f32 (x >= 0 ? x : x * alpha, alpha broadcast); float32 of p['shape']."""
    x, a = _broadcast_operand(p, input, 1, F32), _broadcast_operand(p, alpha, 2, F32)
    return np.where(x >= 0, x, x * a).astype(F32)


def reduce_f32(p: dict, input) -> np.ndarray:
    """Mirrors tg_reduce_f32 (MEAN, SUM: the reduced elements summed in order from 0, MEAN then
    divided by their count); float32 [outer, inner]."""
    x = np.asarray(input, F32).reshape(p["outer"], p["reduce"], p["inner"])
    total = np.zeros((p["outer"], p["inner"]), F32)
    for r in range(p["reduce"]):
        total = total + x[:, r]
    return (total / F32(p["reduce"])).astype(F32) if p["mean"] else total


def _dequantize(p: dict, input) -> np.ndarray:
    """TFLite's Dequantize: (v - zero point) * scale, one rounding (the float32 product of an exact
    difference, as TFLite's double product rounded to float)."""
    return (np.asarray(input, np.int64).reshape(p["size"]) - p["zero_point"]).astype(F32) * F32(p["scale"])


def dequantize_s8_f32(p: dict, input) -> np.ndarray:
    """Mirrors tg_dequantize_s8_f32; float32 [size]."""
    return _dequantize(p, input)


def dequantize_s16_f32(p: dict, input) -> np.ndarray:
    """Mirrors tg_dequantize_s16_f32; float32 [size]."""
    return _dequantize(p, input)


def _quantize(p: dict, input, dtype) -> np.ndarray:
    """TFLite's AffineQuantize: x / scale in float32, rounded half away from zero, + zero point,
    clamped; NaN and quotients below int32 as INT32_MIN, above as INT32_MAX (tg_quantize_f32.h)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        q = (np.asarray(input, F32).reshape(p["size"]) / F32(p["scale"])).astype(np.float64)
    rounded = np.sign(q) * np.floor(np.abs(q) + 0.5)
    rounded = np.where(np.isnan(q), -2.0 ** 31, np.clip(rounded, -2.0 ** 31, 2.0 ** 31 - 1))
    info = np.iinfo(dtype)
    return np.clip(rounded.astype(np.int64) + p["zero_point"], info.min, info.max).astype(dtype)


def quantize_f32_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_quantize_f32_s8; int8 [size]."""
    return _quantize(p, input, np.int8)


def quantize_f32_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_quantize_f32_s16; int16 [size]."""
    return _quantize(p, input, np.int16)


def _operands(p: dict, input1, input2) -> tuple[np.ndarray, np.ndarray]:
    return _broadcast_operand(p, input1, 1, F32), _broadcast_operand(p, input2, 2, F32)


def div_f32(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_div_f32 (a / b, broadcast, then the clamp); float32 of p['shape']."""
    a, b = _operands(p, input1, input2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return clamp_values(p, a / b)


def minimum_f32(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_minimum_f32 (a < b ? a : b, broadcast); float32 of p['shape']."""
    a, b = _operands(p, input1, input2)
    return np.where(a < b, a, b).astype(F32)


def maximum_f32(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_maximum_f32 (a > b ? a : b, broadcast); float32 of p['shape']."""
    a, b = _operands(p, input1, input2)
    return np.where(a > b, a, b).astype(F32)
