"""numpy twins of tg_prelu_s8 and tg_prelu_s16 (firmware/kernels/elementwise/): TFLite's int8
and 16x8 PRELU, integer-exact."""

from __future__ import annotations

import numpy as np

from tinygen.quant import fixedpoint as fp
from tinygen.ref.kernels import _broadcast_operand


def prelu_s8(p: dict, input, alpha, dtype=np.int8) -> np.ndarray:
    """Mirrors tg_prelu_s8 (TFLite reference_ops::BroadcastPrelu4DSlow, int8): x = input +
    input_offset; x >= 0 takes x requantized by the positive multiplier, x < 0 takes x * (alpha +
    alpha_offset) requantized by the negative one; plus the output offset, clamped. `input` is
    read through input1_strides (the output's shape), `alpha` through input2_strides
    (broadcast); returns `dtype` of p['shape']."""
    x = _broadcast_operand(p, input, 1) + p["input_offset"]
    a = _broadcast_operand(p, alpha, 2) + p["alpha_offset"]
    positive = fp.multiply_by_quantized_multiplier(x, p["positive_multiplier"], p["positive_shift"])
    negative = fp.multiply_by_quantized_multiplier(x * a, p["negative_multiplier"], p["negative_shift"])
    out = np.where(x >= 0, positive, negative) + p["output_offset"]
    return np.clip(out, np.iinfo(dtype).min, np.iinfo(dtype).max).astype(dtype)


def prelu_s16(p: dict, input, alpha) -> np.ndarray:
    """Mirrors tg_prelu_s16 (BroadcastPrelu4DSlow<int16_t, int8_t>): prelu_s8 on int16 inputs;
    returns int16 of p['shape']."""
    return prelu_s8(p, input, alpha, np.int16)
