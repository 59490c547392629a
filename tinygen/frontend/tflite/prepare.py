"""TFLite Micro's Prepare-step arithmetic the importer reproduces byte for byte:
fused activation bounds (CalculateActivationRangeQuantized) and SAME/VALID padding
(ComputeOutSize, ComputePaddingWithOffset)."""

from __future__ import annotations

import math

import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.Padding import Padding

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.quant.spec import ACT_QMAX, ACT_QMIN


def _round(x: np.float32) -> int:
    """std::round on a float: halves away from zero."""
    return int(np.sign(x) * np.floor(np.abs(np.float64(x)) + 0.5))


def activation_range(fused: int, scale, zero_point: int, dtype: str = "int8", where: str = "") -> tuple[int, int]:
    """TFLM CalculateActivationRangeQuantized for int8 or int16: zp + round(f / scale), in
    float32, within the type's range. `where` begins an error's message (the operator)."""
    def q(f: float) -> int:
        return zero_point + _round(np.float32(f) / np.float32(scale))

    lo, hi = (ACT_QMIN, ACT_QMAX) if dtype == "int8" else (-32768, 32767)
    if fused == ActivationFunctionType.NONE:
        return lo, hi
    if fused == ActivationFunctionType.RELU:
        return max(lo, q(0.0)), hi
    if fused == ActivationFunctionType.RELU6:
        return max(lo, q(0.0)), min(hi, q(6.0))
    if fused == ActivationFunctionType.RELU_N1_TO_1:
        return max(lo, q(-1.0)), min(hi, q(1.0))
    raise UnsupportedOpError(f"{where}fused activation {fused} is not supported")


def float_activation(fused: int, where: str = "") -> tuple[float, float] | None:
    """A fused activation on a float32 output as the float IR holds it: (lo, hi) in real units,
    None for none (TFLM CalculateActivationRange: RELU [0, max], RELU6 [0, 6], RELU_N1_TO_1 [-1, 1])."""
    ranges = {ActivationFunctionType.NONE: None, ActivationFunctionType.RELU: (0.0, math.inf),
              ActivationFunctionType.RELU6: (0.0, 6.0), ActivationFunctionType.RELU_N1_TO_1: (-1.0, 1.0)}
    if fused not in ranges:
        raise UnsupportedOpError(f"{where}fused activation {fused} is not supported")
    return ranges[fused]


def padding(kind: int, stride: int, dilation: int, in_size: int, filter_size: int) -> tuple[int, int, int]:
    """TFLM ComputeOutSize and ComputePaddingWithOffset: (out_size, pad_before, pad_after)."""
    effective = (filter_size - 1) * dilation + 1
    if kind == Padding.SAME:
        out = (in_size + stride - 1) // stride
    elif kind == Padding.VALID:
        out = (in_size + stride - effective) // stride
    else:
        raise ModelError(f"unknown padding type {kind}")
    total = max((out - 1) * stride + effective - in_size, 0)
    return out, total // 2, total // 2 + total % 2

