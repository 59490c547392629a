"""numpy twins of the float32 kernels (a float .tflite run as it is), each the float32
arithmetic of TFLite Micro's float reference kernel in the same order, every operation
rounded to float32 as C does it without contraction (no fused multiply-add: the kernels are
compiled as ISO C99, where GCC keeps a * b + c two roundings): a sum of products runs over
the taps one at a time, exactly as the reference's loop does, vectorised across outputs only.
So the device's float32 results equal these bit for bit, and TFLM's on the same inputs.

The clamp is TFLite's ActivationFunctionWithMinMax: min(max(x, act_min), act_max) with
std::max / std::min's comparisons. Named like the C kernel minus the ``tg_`` prefix."""

from __future__ import annotations

import numpy as np

from tinygen.ref.kernels import _broadcast_operand

F32 = np.float32
FLT_MAX = F32(np.finfo(F32).max)


def clamp_values(p: dict, x) -> np.ndarray:
    """TFLite's ActivationFunctionWithMinMax: std::max(x, lo) is (x < lo ? lo : x), std::min(y, hi)
    is (hi < y ? hi : y)."""
    x = np.asarray(x, F32)
    lo, hi = F32(p["act_min"]), F32(p["act_max"])
    y = np.where(x < lo, lo, x)
    return np.where(hi < y, hi, y).astype(F32)


def fully_connected_f32(p: dict, input, weights, bias) -> np.ndarray:
    """Mirrors tg_fully_connected_f32 (TFLite reference_ops::FullyConnected, float): per output,
    total = 0; total += x[d] * w[o][d] for d in order; total + bias (0 without); the clamp.
    Returns float32 [rows, out_features]."""
    x = np.asarray(input, F32).reshape(p["rows"], p["in_features"])
    w = np.asarray(weights, F32).reshape(p["out_features"], p["in_features"])
    total = np.zeros((p["rows"], p["out_features"]), F32)
    for d in range(p["in_features"]):
        total = total + x[:, d:d + 1] * w[:, d]
    return clamp_values(p, total + _bias(bias, p["out_features"]))


def _bias(bias, n: int) -> np.ndarray:
    return np.zeros(n, F32) if bias is None else np.asarray(bias, F32).reshape(n)


def _taps(p: dict):
    """(ky, kx, rows, cols, valid): per filter tap, the input row and column each output pixel
    reads and whether it lies inside the input (outside: the tap is skipped, as TFLite does)."""
    oy = np.arange(p["out_h"]) * p["stride_h"] - p["pad_top"]
    ox = np.arange(p["out_w"]) * p["stride_w"] - p["pad_left"]
    for ky in range(p["kernel_h"]):
        iy = oy + ky * p["dilation_h"]
        for kx in range(p["kernel_w"]):
            ix = ox + kx * p["dilation_w"]
            valid = ((iy >= 0) & (iy < p["in_h"]))[:, None] & ((ix >= 0) & (ix < p["in_w"]))[None, :]
            yield ky, kx, np.clip(iy, 0, p["in_h"] - 1), np.clip(ix, 0, p["in_w"] - 1), valid


def conv2d_f32(p: dict, input, weights, bias) -> np.ndarray:
    """Mirrors tg_conv2d_f32 (TFLite reference_ops::Conv, float): per output, the products
    summed over (filter_y, filter_x, in_channel) in that order, taps outside the input
    skipped; + bias; the clamp. weights [out_c, kh, kw, in_c]; returns float32 [out_h, out_w, out_c]."""
    x = np.asarray(input, F32).reshape(p["in_h"], p["in_w"], p["in_c"])
    w = np.asarray(weights, F32).reshape(p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"])
    total = np.zeros((p["out_h"], p["out_w"], p["out_c"]), F32)
    for ky, kx, rows, cols, valid in _taps(p):
        window = x[rows][:, cols]                           # [out_h, out_w, in_c]
        for ic in range(p["in_c"]):
            added = total + window[:, :, ic:ic + 1] * w[:, ky, kx, ic]
            total = np.where(valid[:, :, None], added, total)
    return clamp_values(p, total + _bias(bias, p["out_c"]))


def depthwise_conv2d_f32(p: dict, input, weights, bias) -> np.ndarray:
    """Mirrors tg_depthwise_conv2d_f32 (TFLite reference_ops::DepthwiseConv, float): output
    channel ic * depth_multiplier + m sums input channel ic's products over (filter_y,
    filter_x); + bias; the clamp. weights [1, kh, kw, out_c]; returns float32 [out_h, out_w, out_c]."""
    x = np.asarray(input, F32).reshape(p["in_h"], p["in_w"], p["in_c"])
    w = np.asarray(weights, F32).reshape(p["kernel_h"], p["kernel_w"], p["out_c"])
    total = np.zeros((p["out_h"], p["out_w"], p["out_c"]), F32)
    for ky, kx, rows, cols, valid in _taps(p):
        window = np.repeat(x[rows][:, cols], p["depth_multiplier"], axis=2)      # [out_h, out_w, out_c]
        total = np.where(valid[:, :, None], total + window * w[ky, kx], total)
    return clamp_values(p, total + _bias(bias, p["out_c"]))


def _binary(p: dict, input1, input2, fn) -> np.ndarray:
    a = _broadcast_operand(p, input1, 1, F32)
    b = _broadcast_operand(p, input2, 2, F32)
    return clamp_values(p, fn(a, b))


def add_f32(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_add_f32 (TFLite Add / BroadcastAdd4DSlow, float); float32 of p['shape']."""
    return _binary(p, input1, input2, np.add)


def sub_f32(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_sub_f32 (TFLite Sub, float); float32 of p['shape']."""
    return _binary(p, input1, input2, np.subtract)


def mul_f32(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_mul_f32 (TFLite Mul, float); float32 of p['shape']."""
    return _binary(p, input1, input2, np.multiply)


def clamp_f32(p: dict, input) -> np.ndarray:
    """Mirrors tg_clamp_f32 (TFLite RELU / RELU6 on float: the clamp alone); float32 [size]."""
    return clamp_values(p, np.asarray(input, F32).reshape(p["size"]))


def _pool_taps(p: dict):
    geometry = {**p, "in_c": p["channels"], "dilation_h": 1, "dilation_w": 1}
    return _taps(geometry)


def max_pool2d_f32(p: dict, input) -> np.ndarray:
    """Mirrors tg_max_pool2d_f32 (TFLite MaxPool, float): from the lowest float, max =
    std::max(max, x) over the window's taps inside the input; the clamp. float32 [out_h, out_w, channels]."""
    x = np.asarray(input, F32).reshape(p["in_h"], p["in_w"], p["channels"])
    best = np.full((p["out_h"], p["out_w"], p["channels"]), np.finfo(F32).min, F32)
    for _, _, rows, cols, valid in _pool_taps(p):
        window = x[rows][:, cols]
        best = np.where(valid[:, :, None] & (best < window), window, best)
    return clamp_values(p, best)


def avg_pool2d_f32(p: dict, input) -> np.ndarray:
    """Mirrors tg_avg_pool2d_f32 (TFLite AveragePool, float): the window's taps inside the input
    summed in order, divided by their count (a float); the clamp. float32 [out_h, out_w, channels]."""
    x = np.asarray(input, F32).reshape(p["in_h"], p["in_w"], p["channels"])
    total = np.zeros((p["out_h"], p["out_w"], p["channels"]), F32)
    count = np.zeros((p["out_h"], p["out_w"], 1), F32)
    for _, _, rows, cols, valid in _pool_taps(p):
        total = np.where(valid[:, :, None], total + x[rows][:, cols], total)
        count = count + valid[:, :, None].astype(F32)
    return clamp_values(p, total / count)
