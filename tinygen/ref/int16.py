"""Integer-exact numpy twins of the kernels on int16 activations (TFLite's 16x8
quantization: symmetric int16 activations, int8 weights): tg_requantize_s16, tg_requantize_s8_s16,
tg_requantize_s16_s8 (QUANTIZE between the two types), tg_add_s16, tg_sub_s16, tg_pad_s16,
tg_strided_slice_s16 and tg_leaky_relu_s16; and leaky_relu_values, TFLite Micro's
QuantizeLeakyRelu, which the int8 LEAKY_RELU's table holds. The arithmetic is the int8
kernels' with the int16 range (ADD and SUB shift their operands left by 15, not 20: 32768
<< 15 still fits in int32). Named like the C kernel minus the ``tg_`` prefix."""

from __future__ import annotations

import numpy as np

from tinygen.quant import fixedpoint as fp
from tinygen.ref.attention import _scaled
from tinygen.ref.kernels import _add_func, _broadcast_operand, pad_s8
from tinygen.ref.slicing import strided_slice_s8


def _i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def _requantize(p: dict, input, dtype) -> np.ndarray:
    x = _i64(input).reshape(p["size"]) + p["input_offset"]
    out = fp.multiply_by_quantized_multiplier(x, p["multiplier"], p["shift"]) + p["output_offset"]
    return np.clip(out, p["act_min"], p["act_max"]).astype(dtype)


def requantize_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_requantize_s16 (TFLite Requantize, int16 -> int16); returns int16 [size]."""
    return _requantize(p, input, np.int16)


def requantize_s8_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_requantize_s8_s16 (QUANTIZE int8 -> int16); returns int16 [size]."""
    return _requantize(p, input, np.int16)


def requantize_s16_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_requantize_s16_s8 (QUANTIZE int16 -> int8); returns int8 [size]."""
    return _requantize(p, input, np.int8)


def add_s16(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_add_s16 (TFLite reference_ops::AddGeneralParamScale, int16); returns int16 [size]."""
    size = p["size"]
    return _add_func(p, _i64(input1).reshape(size), _i64(input2).reshape(size), np.int16)


def sub_s16(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_sub_s16 (TFLite reference_ops::Sub / BroadcastQuantSubSlow, int16); returns
    int16 of p['shape']."""
    diff = _scaled(p, 1, _broadcast_operand(p, input1, 1)) - _scaled(p, 2, _broadcast_operand(p, input2, 2))
    out = fp.multiply_by_quantized_multiplier_smaller_than_one_exp(diff, p["output_multiplier"], p["output_shift"])
    return np.clip(out + p["output_offset"], p["act_min"], p["act_max"]).astype(np.int16)


def pad_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_pad_s16; returns int16 of p['out_shape']."""
    return pad_s8(p, input, np.int16)


def strided_slice_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_strided_slice_s16; returns int16 of p['out_shape']."""
    return strided_slice_s8(p, input, np.int16)


def leaky_relu_values(p: dict, x) -> np.ndarray:
    """TFLite Micro's QuantizeLeakyRelu on int64 values, clamped to act_min..act_max."""
    v = _i64(x) + p["input_offset"]
    negative = fp.multiply_by_quantized_multiplier(v, p["alpha_multiplier"], p["alpha_shift"]) * p["alpha_sign"]
    out = np.where(v >= 0, fp.multiply_by_quantized_multiplier(v, p["identity_multiplier"], p["identity_shift"]),
                   negative)
    return np.clip(out + p["output_offset"], p["act_min"], p["act_max"])


def leaky_relu_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_leaky_relu_s16; returns int16 [size]."""
    return leaky_relu_values(p, _i64(input).reshape(p["size"])).astype(np.int16)
