"""numpy twin of tg_prelu_s8 (firmware/kernels/elementwise/tg_prelu_s8.c): TFLite's int8 PRELU,
integer-exact."""

from __future__ import annotations

import numpy as np

from tinygen.quant import fixedpoint as fp
from tinygen.ref.common import INT8_MAX, INT8_MIN, _clamp_to_int8
from tinygen.ref.kernels import _broadcast_operand


def prelu_s8(p: dict, input, alpha) -> np.ndarray:
    """Mirrors tg_prelu_s8 (TFLite reference_ops::BroadcastPrelu4DSlow, int8): x = input +
    input_offset; x >= 0 takes x requantized by the positive multiplier, x < 0 takes x * (alpha +
    alpha_offset) requantized by the negative one; plus the output offset, clamped. `input` is
    read through input1_strides (the output's shape), `alpha` through input2_strides
    (broadcast); returns int8 of p['shape']."""
    x = _broadcast_operand(p, input, 1) + p["input_offset"]
    a = _broadcast_operand(p, alpha, 2) + p["alpha_offset"]
    positive = fp.multiply_by_quantized_multiplier(x, p["positive_multiplier"], p["positive_shift"])
    negative = fp.multiply_by_quantized_multiplier(x * a, p["negative_multiplier"], p["negative_shift"])
    out = np.where(x >= 0, positive, negative) + p["output_offset"]
    return _clamp_to_int8(out, INT8_MIN, INT8_MAX)
