"""Choosing quantization parameters (scales, zero points, quantized values).

The rounding follows TFLite: std::round, halves away from zero.
"""

from __future__ import annotations

import numpy as np

from tinygen.quant.fixedpoint import quantize_multiplier
from tinygen.quant.spec import (ACT16_QMAX, ACT_QMAX, ACT_QMIN, ACT_RANGE, INT32_MAX, INT32_MIN, INT64_MAX,
                                INT64_MIN, WEIGHT_QMAX)

# smallest scale we hand out: keeps 1/scale finite for all-zero tensors
MIN_SCALE = 1e-8


def round_half_away(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def activation_qparams(rmin: float, rmax: float) -> tuple[np.float32, int]:
    """TFLite ChooseQuantizationParams for int8: the range always contains 0."""
    rmin, rmax = min(float(rmin), 0.0), max(float(rmax), 0.0)
    if rmax == rmin:
        return np.float32(1.0), 0
    scale = np.float32((rmax - rmin) / (ACT_QMAX - ACT_QMIN))
    scale = max(scale, np.float32(MIN_SCALE))
    s = float(scale)
    zp_from_min = ACT_QMIN - rmin / s
    zp_from_max = ACT_QMAX - rmax / s
    err_min = abs(ACT_QMIN) + abs(rmin / s)
    err_max = abs(ACT_QMAX) + abs(rmax / s)
    zp = zp_from_min if err_min < err_max else zp_from_max
    zp = int(np.clip(round_half_away(zp), ACT_QMIN, ACT_QMAX))
    return scale, zp


def activation_qparams_s16(rmin: float, rmax: float) -> tuple[np.float32, int]:
    """TFLite's converter for 16x8 activations: symmetric, zero point 0, scale
    max(|min|, |max|) / 32767."""
    absmax = max(abs(float(rmin)), abs(float(rmax)))
    if absmax == 0.0:
        return np.float32(1.0), 0
    return max(np.float32(absmax / ACT16_QMAX), np.float32(MIN_SCALE)), 0


def weight_scales(w: np.ndarray, axis: int) -> np.ndarray:
    """Symmetric per-channel scales: max |w| over each channel / 127."""
    reduce = tuple(a for a in range(w.ndim) if a != axis)
    absmax = np.max(np.abs(w.astype(np.float64)), axis=reduce)
    scales = (absmax / WEIGHT_QMAX).astype(np.float32)
    return np.where(scales > 0, scales, np.float32(1.0)).astype(np.float32)


def quantize_weights(w: np.ndarray, scales: np.ndarray, axis: int) -> np.ndarray:
    shape = [1] * w.ndim
    shape[axis] = -1
    q = round_half_away(w.astype(np.float64) / scales.astype(np.float64).reshape(shape))
    return np.clip(q, -WEIGHT_QMAX, WEIGHT_QMAX).astype(np.int8)


def quantize_bias(b: np.ndarray, input_scale: np.float32, w_scales: np.ndarray, dtype: str = "int32") -> np.ndarray:
    """round(b / (input_scale * w_scale)): int32, or int64 (16x8: int16 activations)."""
    bias_scale = np.float64(input_scale) * w_scales.astype(np.float64)
    q = round_half_away(b.astype(np.float64) / bias_scale)
    if dtype == "int64":
        return np.clip(q, INT64_MIN, INT64_MAX).astype(np.int64)
    return np.clip(q, INT32_MIN, INT32_MAX).astype(np.int32)


def requant_multipliers(input_scale, w_scales, output_scale) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (multiplier, shift) for input_scale * w_scale[c] / output_scale.

    Scales are float32 promoted to double, as TFLite computes them.
    """
    mults, shifts = [], []
    for ws in np.atleast_1d(w_scales):
        real = float(np.float64(input_scale) * np.float64(ws) / np.float64(output_scale))
        m, s = quantize_multiplier(real)
        mults.append(m)
        shifts.append(s)
    return np.array(mults, dtype=np.int32), np.array(shifts, dtype=np.int32)


def quantize_value(x: float, scale: np.float32, zero_point: int) -> int:
    """A real value on the int8 grid, before clamping to the int8 range."""
    return int(zero_point + round_half_away(float(x) / float(scale)))


def activation_bounds(activation, scale: np.float32, zero_point: int, dtype: str = "int8") -> tuple[int, int]:
    """TFLite CalculateActivationRangeQuantized for a clamp (lo, hi) in real units, within
    the range of the output's dtype (int8, or int16)."""
    low, high = ACT_RANGE[dtype]
    if activation is None:
        return low, high
    lo, hi = activation
    qmin = low if lo == -np.inf else max(low, quantize_value(lo, scale, zero_point))
    qmax = high if hi == np.inf else min(high, quantize_value(hi, scale, zero_point))
    return qmin, qmax
