"""Kernel parameters of the int16 (16x8) kernels whose TFLite Micro Prepare step is their own:
LOGISTIC and TANH (tensorflow/lite/micro/kernels/logistic_common.cc, tanh.cc: int16 inputs
rescaled onto the grid of a 256-entry sigmoid table, output Q0.15, zero points 0).

The kernels interpolate TFLite's sigmoid table, which the recurrent layers' gates read too
(tinygen.ref.recurrent.SIGMOID_TABLE, firmware/kernels/recurrent/tg_sigmoid_table_s16.c).
"""

from __future__ import annotations

import math

import numpy as np

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

