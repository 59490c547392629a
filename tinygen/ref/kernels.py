"""Integer-exact numpy twins of the portable C kernels in firmware/kernels/.

One function per C kernel, named like it minus the ``tg_`` prefix. Each takes
``p``, a dict whose keys are exactly the fields of the C kernel's params struct
(the code generator renders the same dict as the struct initializer), and the
same arrays the C function takes; it returns the int8 output the C kernel
writes, byte for byte.

Requantization goes through tinygen.quant.fixedpoint. The activation twins
(softmax, logistic, hard swish) and the gemmlowp fixed-point functions they need
live in tinygen.ref.activations and tinygen.ref.gemmlowp; the activations are
re-exported here, so that every twin of an int8 kernel is found in this module.
The pieces the twins share (window views, the requantization tail) are in
tinygen.ref.common.

Convolutions run as one matrix product over an im2col view. The product is
taken in float64, which is exact here: every product of an int8 weight and an
offset input is below 2^15 in magnitude, so every partial sum of any summation
order is an integer far below 2^53.
"""

from __future__ import annotations

import numpy as np

from tinygen.quant import fixedpoint as fp
from tinygen.ref.activations import hard_swish_s8, logistic_s8, softmax_exp_q0, softmax_s8, softmax_scaled_s8  # noqa: F401
from tinygen.ref.common import (INT8_MAX, INT8_MIN, _clamp_to_int8, _conv_windows, _pool_windows,  # noqa: F401
                                _requantize_per_channel, _windows)


def conv2d_s8(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_conv2d_s8. weights [out_c, kh, kw, in_c]; returns int8 [out_h, out_w, out_c]."""
    win = _conv_windows(p, np.asarray(input, dtype=np.float64) + p["input_offset"], 0.0)
    cols = win.reshape(p["out_h"] * p["out_w"], -1)  # im2col: one copy
    w = np.asarray(weights, dtype=np.float64).reshape(p["out_c"], -1)
    acc = (cols @ w.T).astype(np.int64)
    out = _requantize_per_channel(acc, bias, multiplier, shift, p)
    return out.reshape(p["out_h"], p["out_w"], p["out_c"])


def depthwise_conv2d_s8(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_depthwise_conv2d_s8. weights [1, kh, kw, out_c] or [kh, kw, out_c];
    output channel oc reads input channel oc // depth_multiplier. Returns int8 [out_h, out_w, out_c].
    """
    win = _conv_windows(p, np.asarray(input, dtype=np.int64) + p["input_offset"], 0)
    win = np.repeat(win, p["depth_multiplier"], axis=4)  # [oh, ow, kh, kw, out_c]
    w = np.asarray(weights, dtype=np.int64).reshape(p["kernel_h"], p["kernel_w"], p["out_c"])
    acc = np.einsum("yxhwc,hwc->yxc", win, w)
    return _requantize_per_channel(acc, bias, multiplier, shift, p)


def fully_connected_s8(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_fully_connected_s8. weights [out_features, in_features];
    returns int8 [rows, out_features]."""
    x = np.asarray(input, dtype=np.float64).reshape(p["rows"], p["in_features"]) + p["input_offset"]
    w = np.asarray(weights, dtype=np.float64).reshape(p["out_features"], p["in_features"])
    acc = (x @ w.T).astype(np.int64)
    return _requantize_per_channel(acc, bias, multiplier, shift, p)


def max_pool2d_s8(p: dict, input, dtype=np.int8) -> np.ndarray:
    """Mirrors tg_max_pool2d_s8 (tg_max_pool2d_s16 with dtype int16); returns `dtype`
    [out_h, out_w, channels].

    Out-of-bounds positions hold the type's minimum, the value the C kernel's maximum starts from.
    """
    win = _pool_windows(p, np.asarray(input, dtype=dtype), np.iinfo(dtype).min)
    return np.clip(win.max(axis=(2, 3)), p["act_min"], p["act_max"]).astype(dtype)


def avg_pool2d_s8(p: dict, input, dtype=np.int8) -> np.ndarray:
    """Mirrors tg_avg_pool2d_s8 (tg_avg_pool2d_s16 with dtype int16); returns `dtype`
    [out_h, out_w, channels]."""
    x = np.asarray(input, dtype=np.int64)
    sums = _pool_windows(p, x, 0).sum(axis=(2, 3))
    ones = np.ones((p["in_h"], p["in_w"], 1), dtype=np.int64)
    counts = _windows(ones, p["out_h"], p["out_w"], p["kernel_h"], p["kernel_w"],
                      p["stride_h"], p["stride_w"], 1, 1, p["pad_top"], p["pad_left"],
                      0).sum(axis=(2, 3))  # in-bounds elements, [oh, ow, 1]
    if p["count_include_pad"]:
        window = p["kernel_h"] * p["kernel_w"]
        sums = sums + (window - counts) * p["zero_point"]
        counts = np.full_like(counts, window)
    safe = np.maximum(counts, 1)
    half = safe // 2
    # C integer division truncates toward zero; halves go away from zero
    avg = np.where(sums > 0, (sums + half) // safe, -((-sums + half) // safe))
    avg = np.where(counts == 0, 0, avg)
    return np.clip(avg, p["act_min"], p["act_max"]).astype(dtype)


def _add_func(p: dict, a: np.ndarray, b: np.ndarray, dtype=np.int8) -> np.ndarray:
    """TFLite's int8 AddFunc on int64 arrays of raw operand values (tg_add_s8's loop body);
    int16 operands (tg_add_s16) the same with their left shift, as `dtype`."""
    scaled1 = fp.multiply_by_quantized_multiplier_smaller_than_one_exp(
        (a + p["input1_offset"]) << p["left_shift"], p["input1_multiplier"], p["input1_shift"])
    scaled2 = fp.multiply_by_quantized_multiplier_smaller_than_one_exp(
        (b + p["input2_offset"]) << p["left_shift"], p["input2_multiplier"], p["input2_shift"])
    out = fp.multiply_by_quantized_multiplier_smaller_than_one_exp(
        scaled1 + scaled2, p["output_multiplier"], p["output_shift"]) + p["output_offset"]
    return np.clip(out, p["act_min"], p["act_max"]).astype(dtype)


def add_s8(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_add_s8; returns int8 [size]."""
    size = p["size"]
    return _add_func(p, np.asarray(input1, dtype=np.int64).reshape(size),
                     np.asarray(input2, dtype=np.int64).reshape(size))


def conv2d_add_s8(p: dict, input, skip, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_conv2d_add_s8: conv2d_s8's int8 result c, then add_s8(c, skip) with the
    add's parameters (the conv_* operand and the skip_* one). Returns int8 [out_h, out_w, out_c]."""
    conv = conv2d_s8(p, input, weights, bias, multiplier, shift)
    add = {"size": conv.size, "left_shift": p["add_left_shift"],
           **{f"input1_{f}": p[f"conv_{f}"] for f in ("offset", "multiplier", "shift")},
           **{f"input2_{f}": p[f"skip_{f}"] for f in ("offset", "multiplier", "shift")},
           **{k: p[f"add_{k}"] for k in ("output_offset", "output_multiplier", "output_shift",
                                         "act_min", "act_max")}}
    return add_s8(add, conv, skip).reshape(conv.shape)


def concat_s8(p: dict, inputs) -> np.ndarray:
    """Mirrors tg_concat_s8. p['copy_sizes'] is a list of ints; returns flat int8."""
    outer = p["outer"]
    parts = [np.asarray(x, dtype=np.int8).reshape(outer, n)
             for x, n in zip(inputs, p["copy_sizes"], strict=True)]
    return np.concatenate(parts, axis=1).reshape(-1)


def transpose_s8(p: dict, input, dtype=np.int8) -> np.ndarray:
    """Mirrors tg_transpose_s8 (tg_transpose_f32 with dtype float32); returns `dtype` of shape in_shape[perm]."""
    x = np.asarray(input, dtype=dtype).reshape(tuple(p["in_shape"]))
    return np.ascontiguousarray(x.transpose(tuple(p["perm"])))


def clamp_s8(p: dict, input, dtype=np.int8) -> np.ndarray:
    """Mirrors tg_clamp_s8 (tg_clamp_s16 with dtype int16); returns `dtype` [size]."""
    x = np.asarray(input, dtype=np.int64).reshape(p["size"])
    return np.clip(x, p["act_min"], p["act_max"]).astype(dtype)


def _broadcast_operand(p: dict, x, k: int, dtype=np.int64) -> np.ndarray:
    """Operand k (1 or 2) of a broadcasting kernel, read through its strides: int64 (`dtype`)
    of p['shape']."""
    x = np.asarray(x, dtype=dtype).reshape(-1)
    strides = np.asarray(p[f"input{k}_strides"], dtype=np.int64)
    index = sum(np.arange(n).reshape([-1 if d == axis else 1 for d in range(4)]) * s
                for axis, (n, s) in enumerate(zip(p["shape"], strides)))
    return x[index]


def add_broadcast_s8(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_add_broadcast_s8; returns int8 of p['shape']."""
    return _add_func(p, _broadcast_operand(p, input1, 1), _broadcast_operand(p, input2, 2))


def mul_s8(p: dict, input1, input2, dtype=np.int8) -> np.ndarray:
    """Mirrors tg_mul_s8 (TFLite reference_integer_ops::Mul, int8; tg_mul_s16 with dtype
    int16); returns `dtype` of p['shape']."""
    product = ((_broadcast_operand(p, input1, 1) + p["input1_offset"])
               * (_broadcast_operand(p, input2, 2) + p["input2_offset"]))
    out = fp.multiply_by_quantized_multiplier(product, p["output_multiplier"], p["output_shift"])
    return np.clip(out + p["output_offset"], p["act_min"], p["act_max"]).astype(dtype)


def pad_s8(p: dict, input, dtype=np.int8) -> np.ndarray:
    """Mirrors tg_pad_s8 (tg_pad_s16 with dtype int16); returns `dtype` of p['out_shape']."""
    x = np.asarray(input, dtype=dtype).reshape(tuple(p["in_shape"]))
    widths = [(b, o - i - b) for i, o, b in zip(p["in_shape"], p["out_shape"], p["pad_before"])]
    return np.pad(x, widths, constant_values=dtype(p["pad_value"]))


def mean_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_mean_s8 (TFLite reference_ops::QuantizedMeanOrSum, int8 MEAN);
    returns int8 [outer, inner]."""
    x = np.asarray(input, dtype=np.int64).reshape(p["outer"], p["reduce"], p["inner"])
    shifted = x.sum(axis=1) - p["input_zero_point"] * p["reduce"]
    out = fp.multiply_by_quantized_multiplier(shifted, p["multiplier"], p["shift"])
    return _clamp_to_int8(out + p["output_zero_point"], INT8_MIN, INT8_MAX)


def requantize_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_requantize_s8 (TFLite Requantize / ReluQuantized); returns int8 [size]."""
    x = np.asarray(input, dtype=np.int64).reshape(p["size"]) + p["input_offset"]
    out = fp.multiply_by_quantized_multiplier(x, p["multiplier"], p["shift"]) + p["output_offset"]
    return _clamp_to_int8(out, p["act_min"], p["act_max"])


# -- average pooling as onnxruntime rounds it (ONNX front end: QLinearAveragePool) --

def avg_pool2d_requant_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_avg_pool2d_requant_s8: each window's sum S of (x - input_zero_point) over its
    in-bounds elements (count_include_pad: the kernel's area is the count), round(S * multiplier
    * 2^shift / (count * 2^31)) halves to even, plus output_zero_point. Returns int8 [out_h, out_w, channels]."""
    x = np.asarray(input, dtype=np.int64).reshape(p["in_h"], p["in_w"], p["channels"]) - p["input_zero_point"]
    sums = _pool_windows(p, x, 0).sum(axis=(2, 3))
    ones = np.ones((p["in_h"], p["in_w"], 1), dtype=np.int64)
    counts = _windows(ones, p["out_h"], p["out_w"], p["kernel_h"], p["kernel_w"],
                      p["stride_h"], p["stride_w"], 1, 1, p["pad_top"], p["pad_left"], 0).sum(axis=(2, 3))
    if p["count_include_pad"]:
        counts = np.full_like(counts, p["kernel_h"] * p["kernel_w"])
    num = sums * np.int64(p["multiplier"])
    den = np.maximum(counts, 1) << np.int64(31 - p["shift"])
    q = num // den                  # floor
    twice = 2 * (num - q * den)
    q = q + ((twice > den) | ((twice == den) & (q % 2 == 1)))
    out = np.where(counts == 0, 0, np.clip(q, INT8_MIN - 256, INT8_MAX + 256)) + p["output_zero_point"]
    return _clamp_to_int8(out, p["act_min"], p["act_max"])
