"""Integer-exact numpy twins of the kernels on int16 activations (TFLite's 16x8
quantization: symmetric int16 activations, int8 weights): tg_requantize_s16, tg_requantize_s8_s16,
tg_requantize_s16_s8 (QUANTIZE between the two types), tg_add_s16, tg_sub_s16, tg_mul_s16, tg_pad_s16,
tg_strided_slice_s16 and tg_leaky_relu_s16; and leaky_relu_values, TFLite Micro's
QuantizeLeakyRelu, which the int8 LEAKY_RELU's table holds. The arithmetic is the int8
kernels' with the int16 range (ADD and SUB shift their operands left by 15, not 20: 32768
<< 15 still fits in int32; SQUARED_DIFFERENCE by 0). So are tg_concat_s16, tg_transpose_s16,
tg_mean_s16 (MEAN and SUM), tg_squared_difference_s16 and tg_rsqrt_s16. LOGISTIC and TANH
(tg_logistic_lut_s16, tg_tanh_lut_s16) interpolate TFLite's sigmoid table as the recurrent
layers' gates do; SOFTMAX from int16 (tg_softmax_s16) looks up TFLite's two 513-entry LUTs.

The multiply-accumulate kernels (tg_conv2d_s16, tg_depthwise_conv2d_s16,
tg_fully_connected_s16, tg_transpose_conv2d_s16, tg_batch_matmul_s16) sum int16 x int8 products in int64, add an
int64 bias and requantize as TFLite's MultiplyByQuantizedMultiplier for int64 does: the
multiplier rounded to 16 bits, one rounding shift (requantize_s64). Named like the C kernel
minus the ``tg_`` prefix."""

from __future__ import annotations

import numpy as np

from tinygen.quant import fixedpoint as fp
from tinygen.quant.fixedpoint import requantize_s64
from tinygen.ref.activations import _softmax_fixed
from tinygen.ref.attention import _scaled, batch_matmul_sums, rsqrt_s8, squared_difference_s8
from tinygen.ref.common import _conv_windows
from tinygen.ref.gemmlowp import _rdbpot
from tinygen.ref.kernels import (_add_func, _broadcast_operand, avg_pool2d_s8, clamp_s8, concat_s8, max_pool2d_s8,
                                 mean_s8, mul_s8, pad_s8)
from tinygen.ref.layout import slice_s8
from tinygen.ref.recurrent import sigmoid_scaled_s16, tanh_s16 as recurrent_tanh_s16
from tinygen.ref.slicing import strided_slice_s8
from tinygen.ref.transpose_conv import transpose_conv_sums


def _i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def _requantize(p: dict, input, dtype) -> np.ndarray:
    x = fp.wrap_int32(_i64(input).reshape(p["size"]) + p["input_offset"])     # an int32 input wraps as in C
    out = fp.multiply_by_quantized_multiplier(x, p["multiplier"], p["shift"]) + p["output_offset"]
    return np.clip(out, p["act_min"], p["act_max"]).astype(dtype)


def _requantizer(name: str, dtype):
    """The twin of tg_<name>: TFLite's Requantize into `dtype` (QUANTIZE between int8, int16
    and a quantized int32 tensor); returns `dtype` [size]."""
    def twin(p: dict, input) -> np.ndarray:
        return _requantize(p, input, dtype)
    twin.__name__ = twin.__qualname__ = name
    twin.__doc__ = f"Mirrors tg_{name} (TFLite Requantize); returns {np.dtype(dtype).name} [size]."
    return twin


requantize_s16 = _requantizer("requantize_s16", np.int16)
requantize_s8_s16 = _requantizer("requantize_s8_s16", np.int16)
requantize_s16_s8 = _requantizer("requantize_s16_s8", np.int8)
requantize_s16_s32 = _requantizer("requantize_s16_s32", np.int32)
requantize_s32_s16 = _requantizer("requantize_s32_s16", np.int16)
requantize_s8_s32 = _requantizer("requantize_s8_s32", np.int32)
requantize_s32_s8 = _requantizer("requantize_s32_s8", np.int8)


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


def squared_difference_s16(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_squared_difference_s16 (TFLite Micro's SquaredDifference on int16: left shift 0);
    returns int16 of p['shape']."""
    return squared_difference_s8(p, input1, input2, np.int16)


def rsqrt_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_rsqrt_s16 (TFLite Micro's RsqrtEvalQuantized on int16); returns int16 [size]."""
    return rsqrt_s8(p, input, np.int16)


def mul_s16(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_mul_s16 (TFLite reference_integer_ops::Mul, int16); returns int16 of p['shape']."""
    return mul_s8(p, input1, input2, np.int16)


def max_pool2d_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_max_pool2d_s16 (TFLite MaxPool, int16); int16 [out_h, out_w, channels]."""
    return max_pool2d_s8(p, input, np.int16)


def avg_pool2d_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_avg_pool2d_s16 (TFLite AveragePool, int16); int16 [out_h, out_w, channels]."""
    return avg_pool2d_s8(p, input, np.int16)


def clamp_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_clamp_s16 (TFLite RELU6 on int16: the clamp on the input's grid); int16 [size]."""
    return clamp_s8(p, input, np.int16)


def pad_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_pad_s16; returns int16 of p['out_shape']."""
    return pad_s8(p, input, np.int16)


def strided_slice_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_strided_slice_s16; returns int16 of p['out_shape']."""
    return strided_slice_s8(p, input, np.int16)


def softmax_s8_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_softmax_s8_s16 (TFLite reference_ops::Softmax, int8 in, int16 out: units of
    1/65536 minus 32768); returns int16 [rows, depth]."""
    live, product, num_bits_over_unit = _softmax_fixed(p, input)
    out = _rdbpot(product, num_bits_over_unit + 31 - 16) - 32768
    return np.where(live, np.clip(out, -32768, 32767), -32768).astype(np.int16)


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


# -- multiply-accumulate: int16 x int8 products summed in int64 ------------------------------------

def _requantize_s16(acc, bias, multiplier, shift, p) -> np.ndarray:
    """acc [..., C] int64 plus the int64 bias -> int16 (the tail of the MAC kernels)."""
    if bias is not None:
        acc = acc + _i64(bias)
    out = requantize_s64(acc, multiplier, shift) + p["output_offset"]
    return np.clip(out, p["act_min"], p["act_max"]).astype(np.int16)


def conv2d_s16(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_conv2d_s16 (TFLite's 16x8 ConvPerChannel). weights [out_c, kh, kw, in_c];
    returns int16 [out_h, out_w, out_c]."""
    win = _conv_windows(p, _i64(input), 0)
    cols = win.reshape(p["out_h"] * p["out_w"], -1)
    acc = cols @ _i64(weights).reshape(p["out_c"], -1).T
    return _requantize_s16(acc, bias, multiplier, shift, p).reshape(p["out_h"], p["out_w"], p["out_c"])


def depthwise_conv2d_s16(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_depthwise_conv2d_s16 (TFLite's 16x8 DepthwiseConvPerChannel); output channel
    oc reads input channel oc // depth_multiplier. Returns int16 [out_h, out_w, out_c]."""
    win = np.repeat(_conv_windows(p, _i64(input), 0), p["depth_multiplier"], axis=4)
    w = _i64(weights).reshape(p["kernel_h"], p["kernel_w"], p["out_c"])
    return _requantize_s16(np.einsum("yxhwc,hwc->yxc", win, w), bias, multiplier, shift, p)


def fully_connected_s16(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_fully_connected_s16 (TFLite's 16x8 FullyConnected). weights [out_features,
    in_features]; returns int16 [rows, out_features]."""
    x = _i64(input).reshape(p["rows"], p["in_features"])
    acc = x @ _i64(weights).reshape(p["out_features"], p["in_features"]).T
    return _requantize_s16(acc, bias, multiplier, shift, p)


def batch_matmul_s16(p: dict, lhs, rhs) -> np.ndarray:
    """Mirrors tg_batch_matmul_s16 (TFLite reference_ops::BatchMatMul<int16_t, int64_t>): int64
    sums requantized by requantize_s64; returns int16 [batches, rows, cols]."""
    out = requantize_s64(batch_matmul_sums(p, lhs, rhs), p["output_multiplier"], p["output_shift"])
    return np.clip(out + p["output_offset"], p["act_min"], p["act_max"]).astype(np.int16)


def transpose_conv2d_s16(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_transpose_conv2d_s16 (TFLite's 16x8 TransposeConv: int64 sums). weights
    [out_c, kh, kw, in_c]; returns int16 [out_h, out_w, out_c]."""
    x = _i64(input).reshape(1, p["in_h"], p["in_w"], p["in_c"])
    w = _i64(weights).reshape(p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"])
    acc = transpose_conv_sums(x, w, (p["stride_h"], p["stride_w"]), (p["dilation_h"], p["dilation_w"]),
                              p["pad_top"], p["pad_left"], p["out_h"], p["out_w"])[0]
    return _requantize_s16(acc, bias, multiplier, shift, p)


# -- data movement and reductions: the int8 kernels' arithmetic on int16 values ----------------------

def concat_s16(p: dict, inputs) -> np.ndarray:
    """Mirrors tg_concat_s16: tg_concat_s8's byte copy (p['copy_sizes'] in bytes); returns flat int16."""
    return concat_s8(p, [np.ascontiguousarray(x, dtype=np.int16).view(np.int8) for x in inputs]).view(np.int16)


def slice_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_slice_s16: tg_slice_s8's byte copy (p in bytes); returns int16 [outer, size / 2]."""
    return slice_s8(p, np.ascontiguousarray(input, dtype=np.int16).view(np.int8)).view(np.int16)


def transpose_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_transpose_s16; returns int16 of shape in_shape[perm]."""
    x = np.asarray(input, dtype=np.int16).reshape(tuple(p["in_shape"]))
    return np.ascontiguousarray(x.transpose(tuple(p["perm"])))


def mean_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_mean_s16 (TFLite reference_ops::QuantizedMeanOrSum, int16 MEAN and SUM);
    returns int16 [outer, inner]."""
    return mean_s8(p, input, np.int16)


# -- LOGISTIC and TANH: TFLite Micro's 16x8 interpolation of its sigmoid table ---------------------

def logistic_lut_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_logistic_lut_s16 (TFLite reference_integer_ops::Logistic, int16): the recurrent
    gates' sigmoid on the input rescaled by the layer's multiplier and rounding shift; returns
    int16 [size]."""
    shift = p["input_left_shift"]
    rounding = (1 << (shift - 1)) if shift > 0 else 0
    return sigmoid_scaled_s16((_i64(input).reshape(p["size"]) * p["input_multiplier"] + rounding) >> shift)


def tanh_lut_s16(p: dict, input) -> np.ndarray:
    """Mirrors tg_tanh_lut_s16 (TFLite reference_integer_ops::Tanh, int16): the recurrent gates'
    tanh_s16 of every element; returns int16 [size]."""
    return recurrent_tanh_s16(_i64(input).reshape(p["size"]), p["input_multiplier"], p["input_left_shift"])


# -- SOFTMAX from int16 to int16: TFLite's 513-entry LUTs ---------------------------------------------

def lut_lookup_s16(value, lut) -> np.ndarray:
    """TFLite's LUTLookup on int16: the top 9 bits index `lut` (513 int16), the low 7
    interpolate, rounded; the sum wraps to int16 as the C cast does."""
    v, t = _i64(value), _i64(lut)
    index = 256 + (v >> 7)
    delta = ((t[index + 1] - t[index]) * (v & 0x7F) + 64) >> 7
    return (t[index] + delta).astype(np.int16).astype(np.int64)


def softmax_s16(p: dict, input, packed) -> np.ndarray:
    """Mirrors tg_softmax_s16 (TFLite reference_ops::SoftmaxInt16): exp of each input's
    difference from its row's maximum by the exp LUT, 1 / sum by the 1 / (1 + x) LUT after
    normalizing the sum, the product rounded to Q0.15. packed: the exp LUT, then the reciprocal
    one (513 int16 each); returns int16 [rows, depth]."""
    exp_lut, reciprocal_lut = np.split(_i64(packed), 2)
    x = _i64(input).reshape(p["rows"], p["depth"])
    diff = x - x.max(axis=1, keepdims=True)
    scaled = fp.multiply_by_quantized_multiplier(diff, p["input_multiplier"], p["input_shift"])
    exps = lut_lookup_s16(np.clip(scaled + 32767, -32768, 32767), exp_lut)
    total = exps.sum(axis=1, keepdims=True)
    headroom = 32 - np.floor(np.log2(total)).astype(np.int64) - 1          # CountLeadingZeros(total)
    shifted = ((total << (headroom - 1)) + (1 << 13)) >> 14
    reciprocal = lut_lookup_s16(np.clip(shifted - ((1 << 15) + (1 << 16)), -32768, 32767), reciprocal_lut)
    shift = 31 - headroom
    out = (exps * reciprocal + (np.int64(1) << (shift - 1))) >> shift
    return np.clip(out, 0, 32767).astype(np.int16)
