"""The synthetic .tflite operator cases beyond int8 (registered in tflite_op_cases.CASES, which
imports this module): int16 activations (TFLite's 16x8 quantization), quantized int32 ports,
and float32 models run as they are; with the helpers other tests build such models with
(s16, s16_weights, f32, f32_const)."""

from __future__ import annotations

import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType as Act
from tflite.Padding import Padding

from tflite_builder import ModelBuilder, random_scale
from tflite_op_cases import act, case, int32s


# -- int16 activations (TFLite's 16x8 quantization: symmetric int16, zero point 0) ------------

def s16(b: ModelBuilder, rng, name: str, shape, scale=None) -> int:
    """An int16 activation tensor: zero point 0, a random (or given) scale."""
    return b.tensor(name, shape, "int16", scale=random_scale(rng, 2e-5, 2e-3) if scale is None else scale,
                    zero_point=0)


@case("s16_add_relu", "tg_leaky_relu_s16", "tg_add_s16")
def _(b, rng):
    x = s16(b, rng, "x", [1, 2, 10, 8])
    r, s = s16(b, rng, "r", [1, 2, 10, 8]), s16(b, rng, "s", [1, 2, 10, 8])
    b.op("LEAKY_RELU", [x], [r], "LeakyReluOptions", Alpha=0.3)
    b.op("ADD", [x, r], [s], "AddOptions", FusedActivationFunction=Act.RELU)
    return [x], [s]


@case("s16_sub_broadcast_constant", "tg_sub_s16")
def _(b, rng):
    x, y = s16(b, rng, "x", [1, 3, 7, 16]), s16(b, rng, "y", [1, 3, 7, 16])
    c = b.tensor("c", [16], "int16", scale=random_scale(rng, 2e-5, 2e-3), zero_point=0,
                 data=rng.integers(-32768, 32768, 16))
    b.op("SUB", [x, c], [y], "SubOptions")
    return [x], [y]


@case("s16_mul_two_activations", "tg_leaky_relu_s16", "tg_mul_s16")
def _(b, rng):
    x, r = s16(b, rng, "x", [1, 3, 5, 8], scale=0.0004), s16(b, rng, "leaky", [1, 3, 5, 8], scale=0.0004)
    y = s16(b, rng, "y", [1, 3, 5, 8], scale=0.0004)
    b.op("LEAKY_RELU", [x], [r], "LeakyReluOptions", Alpha=0.5)
    b.op("MUL", [x, r], [y], "MulOptions", FusedActivationFunction=Act.RELU)
    return [x], [y]


@case("s16_mul_broadcast_constant", "tg_mul_s16")
def _(b, rng):
    x, y = s16(b, rng, "x", [1, 3, 5, 8], scale=0.0004), s16(b, rng, "y", [1, 3, 5, 8], scale=0.0003)
    c = b.tensor("c", [8], "int16", scale=4e-5, zero_point=0, data=rng.integers(-32768, 32768, 8))
    b.op("MUL", [x, c], [y], "MulOptions", FusedActivationFunction=Act.NONE)
    return [x], [y]


@case("s16_leaky_relu", "tg_leaky_relu_s16")
def _(b, rng):
    x, y = s16(b, rng, "x", [1, 4, 40, 8]), s16(b, rng, "y", [1, 4, 40, 8])
    b.op("LEAKY_RELU", [x], [y], "LeakyReluOptions", Alpha=0.2)
    return [x], [y]


@case("s16_leaky_relu_negative_slope", "tg_leaky_relu_s16")
def _(b, rng):
    x, y = s16(b, rng, "x", [1, 4, 40, 8]), s16(b, rng, "y", [1, 4, 40, 8])
    b.op("LEAKY_RELU", [x], [y], "LeakyReluOptions", Alpha=-1.3)
    return [x], [y]


@case("s16_pad_slice", "tg_pad_s16", "tg_strided_slice_s16")
def _(b, rng):
    x, p, y = s16(b, rng, "x", [1, 2, 9, 6]), s16(b, rng, "p", [1, 4, 12, 6]), s16(b, rng, "y", [1, 2, 11, 6])
    b.op("PAD", [x, int32s(b, "paddings", [[0, 0], [1, 1], [2, 1], [0, 0]])], [p])
    b.tensors[p].scale, b.tensors[p].zero_point = b.tensors[x].scale, b.tensors[x].zero_point
    b.tensors[y].scale, b.tensors[y].zero_point = b.tensors[x].scale, b.tensors[x].zero_point
    b.op("STRIDED_SLICE", [p, int32s(b, "begin", [0, 1, 0, 0]), int32s(b, "end", [1, 3, 11, 6]),
                           int32s(b, "strides", [1, 1, 1, 1])], [y], "StridedSliceOptions")
    return [x], [y]


@case("s16_padv2_reverse_slice", "tg_pad_s16", "tg_strided_slice_s16")
def _(b, rng):
    x = s16(b, rng, "x", [1, 5, 12], scale=0.001)
    p, y = s16(b, rng, "p", [1, 7, 12], scale=0.001), s16(b, rng, "y", [1, 3, 12], scale=0.001)
    value = b.tensor("value", [], "int16", scale=0.001, zero_point=0, data=np.int16(-1234))
    b.op("PADV2", [x, int32s(b, "paddings", [[0, 0], [2, 0], [0, 0]]), value], [p])
    b.op("STRIDED_SLICE", [p, int32s(b, "begin", [0, 6, 0]), int32s(b, "end", [1, 0, 12]),
                           int32s(b, "strides", [1, -2, 1])], [y], "StridedSliceOptions")
    return [x], [y]


@case("s16_quantize_s8_round_trip", "tg_requantize_s8_s16", "tg_requantize_s16", "tg_requantize_s16_s8")
def _(b, rng):
    x, w = act(b, rng, "x", [1, 6, 20]), s16(b, rng, "wide", [1, 6, 20])
    v, y = s16(b, rng, "rescaled", [1, 6, 20]), act(b, rng, "y", [1, 6, 20])
    b.op("QUANTIZE", [x], [w])
    b.op("QUANTIZE", [w], [v])
    b.op("QUANTIZE", [v], [y])
    return [x], [y]


S16_MAC_INPUT_SCALE = 1e-3


def s16_weights(b: ModelBuilder, rng, name: str, shape, axis: int) -> tuple[int, int]:
    """int8 weights quantized per channel along `axis` (zero point 0) and their int64 bias."""
    channels = shape[axis]
    w = b.tensor(name, shape, scale=rng.uniform(0.002, 0.02, channels), zero_point=[0] * channels, axis=axis,
                 data=rng.integers(-127, 128, shape))
    bias = b.tensor(f"{name}_bias", [channels], "int64", data=rng.integers(-2 ** 20, 2 ** 20, channels))
    return w, bias


def s16_mac(b: ModelBuilder, rng, in_shape, out_shape, taps: int) -> tuple[int, int]:
    """The int16 input (scale S16_MAC_INPUT_SCALE) and output of a MAC layer summing `taps`
    products: the output's scale spreads the sums over most of the int16 range."""
    x = s16(b, rng, "x", in_shape, scale=S16_MAC_INPUT_SCALE)
    return x, s16(b, rng, "y", out_shape, scale=float(np.sqrt(taps) * 1.3e-3))


@case("s16_conv_same_stride2_relu", "tg_conv2d_s16")
def _(b, rng):
    x, y = s16_mac(b, rng, [1, 9, 11, 6], [1, 5, 6, 10], 54)
    w, bias = s16_weights(b, rng, "w", [10, 3, 3, 6], 0)
    b.op("CONV_2D", [x, w, bias], [y], "Conv2DOptions", Padding=Padding.SAME, StrideH=2, StrideW=2,
         DilationHFactor=1, DilationWFactor=1, FusedActivationFunction=Act.RELU)
    return [x], [y]


@case("s16_conv_pointwise", "tg_conv2d_s16")
def _(b, rng):
    x, y = s16_mac(b, rng, [1, 4, 7, 16], [1, 4, 7, 8], 16)
    w, bias = s16_weights(b, rng, "w", [8, 1, 1, 16], 0)
    b.op("CONV_2D", [x, w, bias], [y], "Conv2DOptions", Padding=Padding.VALID, StrideH=1, StrideW=1,
         DilationHFactor=1, DilationWFactor=1)
    return [x], [y]


@case("s16_depthwise_multiplier2_dilated", "tg_depthwise_conv2d_s16")
def _(b, rng):
    x, y = s16_mac(b, rng, [1, 10, 9, 4], [1, 10, 9, 8], 9)
    w, bias = s16_weights(b, rng, "w", [1, 3, 3, 8], 3)
    b.op("DEPTHWISE_CONV_2D", [x, w, bias], [y], "DepthwiseConv2DOptions", Padding=Padding.SAME, StrideH=1,
         StrideW=1, DepthMultiplier=2, DilationHFactor=2, DilationWFactor=1, FusedActivationFunction=Act.RELU6)
    return [x], [y]


@case("s16_fully_connected", "tg_fully_connected_s16")
def _(b, rng):
    x, y = s16_mac(b, rng, [1, 40], [1, 12], 40)
    w, bias = s16_weights(b, rng, "w", [12, 40], 0)
    b.op("FULLY_CONNECTED", [x, w, bias], [y], "FullyConnectedOptions")
    return [x], [y]


@case("s16_transpose_conv_stride2", "tg_transpose_conv2d_s16")
def _(b, rng):
    x, y = s16_mac(b, rng, [1, 2, 9, 8], [1, 5, 20, 6], 24)
    w, bias = s16_weights(b, rng, "w", [6, 3, 4, 8], 0)
    shape = int32s(b, "output_shape", [1, 5, 20, 6])
    b.op("TRANSPOSE_CONV", [shape, w, x, bias], [y], "TransposeConvOptions", Padding=Padding.VALID, StrideH=2,
         StrideW=2)
    return [x], [y]


@case("s16_softmax_from_s8", "tg_softmax_s8_s16")
def _(b, rng):
    """int8 scores into an int16 softmax (1/65536 within TFLite Micro's 0.1%, zero point -32768)."""
    x = act(b, rng, "x", [1, 3, 10], scale=random_scale(rng, 0.02, 0.2))
    y = b.tensor("y", [1, 3, 10], "int16", scale=1.5259022e-05, zero_point=-32768)
    b.op("SOFTMAX", [x], [y], "SoftmaxOptions", Beta=1.0)
    return [x], [y]


@case("s16_softmax", "tg_softmax_s16")
def _(b, rng):
    """int16 in and out (TFLite's SoftmaxInt16: 1/32768, zero points 0), beta 1 and a wide row."""
    x = s16(b, rng, "x", [1, 4, 37], scale=random_scale(rng, 1e-4, 6e-4))
    y = b.tensor("y", [1, 4, 37], "int16", scale=1 / 32768, zero_point=0)
    b.op("SOFTMAX", [x], [y], "SoftmaxOptions", Beta=1.0)
    return [x], [y]


@case("s16_softmax_beta", "tg_softmax_s16")
def _(b, rng):
    x = s16(b, rng, "x", [3, 10], scale=2e-4)
    y = b.tensor("y", [3, 10], "int16", scale=1 / 32768, zero_point=0)
    b.op("SOFTMAX", [x], [y], "SoftmaxOptions", Beta=0.37)
    return [x], [y]


@case("s16_prelu_batch_matmul", "tg_prelu_s16", "tg_batch_matmul_s16")
def _(b, rng):
    """PRELU with per-channel int8 slopes (TFLite Micro takes int8 alpha on int16), then the
    product of the input with it, adj_y (int64 sums, zero points 0)."""
    x, pr = s16(b, rng, "x", [1, 2, 6, 16], scale=1e-3), s16(b, rng, "prelu", [1, 2, 6, 16], scale=8e-4)
    alpha = b.tensor("alpha", [16], scale=0.01, zero_point=int(rng.integers(-20, 20)),
                     data=rng.integers(-128, 128, 16))
    y = s16(b, rng, "y", [1, 2, 6, 6], scale=0.15)
    b.op("PRELU", [x, alpha], [pr])
    b.op("BATCH_MATMUL", [x, pr], [y], "BatchMatMulOptions", AdjX=False, AdjY=True)
    return [x], [y]


@case("s16_squared_difference", "tg_leaky_relu_s16", "tg_squared_difference_s16", "tg_squared_difference_s16")
def _(b, rng):
    """Two activations of different scales, then one and a broadcast constant (zero points 0)."""
    x, r = s16(b, rng, "x", [1, 3, 5, 8], scale=1e-3), s16(b, rng, "leaky", [1, 3, 5, 8], scale=4e-4)
    d, y = s16(b, rng, "squared", [1, 3, 5, 8], scale=3e-2), s16(b, rng, "y", [1, 3, 5, 8], scale=0.4)
    c = b.tensor("c", [8], "int16", scale=2e-3, zero_point=0, data=rng.integers(-32768, 32768, 8))
    b.op("LEAKY_RELU", [x], [r], "LeakyReluOptions", Alpha=0.2)
    b.op("SQUARED_DIFFERENCE", [x, r], [d])
    b.op("SQUARED_DIFFERENCE", [d, c], [y])
    return [x], [y]


@case("s16_rsqrt", "tg_squared_difference_s16", "tg_rsqrt_s16")
def _(b, rng):
    """RSQRT of a squared difference (a layer norm's variance: never negative, which TFLite Micro
    refuses to run), some of it 0."""
    x, d = s16(b, rng, "x", [1, 4, 24], scale=1e-3), s16(b, rng, "squared", [1, 4, 24], scale=2e-3)
    y = s16(b, rng, "y", [1, 4, 24], scale=4e-3)
    c = b.tensor("c", [24], "int16", scale=1e-3, zero_point=0, data=rng.integers(-3000, 3000, 24))
    b.op("SQUARED_DIFFERENCE", [x, c], [d])
    b.op("RSQRT", [d], [y])
    return [x], [y]


@case("s32_quantize_round_trip", "tg_requantize_s32_s16", "tg_requantize_s16_s8", "tg_requantize_s8_s32")
def _(b, rng):
    """A quantized int32 input and output (TFLite Micro's QUANTIZE to and from int32)."""
    x = b.tensor("x", [1, 4, 9], "int32", scale=2e-9, zero_point=0)
    w, n = s16(b, rng, "wide", [1, 4, 9], scale=4e-5), act(b, rng, "narrow", [1, 4, 9], scale=0.01)
    y = b.tensor("y", [1, 4, 9], "int32", scale=1e-6, zero_point=3)
    b.op("QUANTIZE", [x], [w])
    b.op("QUANTIZE", [w], [n])
    b.op("QUANTIZE", [n], [y])
    return [x], [y]


@case("s16_relu_relu6_pools", "tg_requantize_s16", "tg_clamp_s16", "tg_max_pool2d_s16", "tg_avg_pool2d_s16")
def _(b, rng):
    x, r = s16(b, rng, "x", [1, 7, 9, 5], scale=3e-4), s16(b, rng, "relu", [1, 7, 9, 5], scale=2e-4)
    r6, m = s16(b, rng, "relu6", [1, 7, 9, 5], scale=2e-4), s16(b, rng, "max", [1, 4, 5, 5], scale=2e-4)
    y = s16(b, rng, "avg", [1, 3, 4, 5], scale=2e-4)
    b.op("RELU", [x], [r])
    b.op("RELU6", [r], [r6])
    b.op("MAX_POOL_2D", [r6], [m], "Pool2DOptions", Padding=Padding.SAME, StrideH=2, StrideW=2, FilterHeight=3,
         FilterWidth=2)
    b.op("AVERAGE_POOL_2D", [m], [y], "Pool2DOptions", Padding=Padding.VALID, StrideH=1, StrideW=1, FilterHeight=2,
         FilterWidth=2)
    return [x], [y]


@case("s16_concat_transpose", "tg_requantize_s16", "tg_concat_s16", "tg_transpose_s16")
def _(b, rng):
    """TFLite Micro's int16 CONCATENATION copies the values whatever the scales (zero points 0)."""
    x, r = s16(b, rng, "x", [1, 4, 6, 5]), s16(b, rng, "relu", [1, 4, 6, 5])
    c, y = s16(b, rng, "joined", [1, 4, 6, 10]), s16(b, rng, "y", [1, 10, 4, 6])
    b.op("RELU", [x], [r])
    b.op("CONCATENATION", [r, x], [c], "ConcatenationOptions", Axis=-1)
    b.op("TRANSPOSE", [c, int32s(b, "perm", [0, 3, 1, 2])], [y])
    return [x], [y]


@case("s16_transpose_5d", "tg_transpose_s16")
def _(b, rng):
    """Five dimensions, two of which move together: merged down to the kernel's four."""
    x = s16(b, rng, "x", [1, 3, 2, 4, 5], scale=0.001)
    y = s16(b, rng, "y", [1, 5, 3, 2, 4], scale=0.001)
    b.op("TRANSPOSE", [x, int32s(b, "perm", [0, 4, 1, 2, 3])], [y])
    return [x], [y]


@case("s16_slice_mean_sum", "tg_strided_slice_s16", "tg_mean_s16", "tg_mean_s16")
def _(b, rng):
    x, sl = s16(b, rng, "x", [1, 6, 10, 8]), s16(b, rng, "sliced", [1, 4, 8, 8])
    m = s16(b, rng, "mean", [1, 1, 1, 8], scale=3e-4)
    y = s16(b, rng, "y", [1, 1], scale=1.1e-3)     # a sum of 8: some saturate
    b.tensors[sl].scale = b.tensors[x].scale
    b.op("SLICE", [x, int32s(b, "begin", [0, 1, 2, 0]), int32s(b, "size", [1, 4, -1, 8])], [sl])
    b.op("MEAN", [sl, int32s(b, "axes", [1, 2])], [m], "ReducerOptions", KeepDims=True)
    b.op("SUM", [m, int32s(b, "channels", [2, 3])], [y], "ReducerOptions", KeepDims=False)
    return [x], [y]


def s16_sigmoid(b: ModelBuilder, rng, opname: str, in_scale: float) -> tuple[list[int], list[int]]:
    """An int16 LOGISTIC or TANH: input at `in_scale`, output Q0.15 (zero points 0)."""
    x, y = s16(b, rng, "x", [1, 6, 40], scale=in_scale), s16(b, rng, "y", [1, 6, 40], scale=1 / 32768)
    b.op(opname, [x], [y])
    return [x], [y]


@case("s16_logistic_pot", "tg_logistic_lut_s16")
def _(b, rng):
    return s16_sigmoid(b, rng, "LOGISTIC", 2.0 ** -12)


@case("s16_logistic_scale", "tg_logistic_lut_s16")
def _(b, rng):
    return s16_sigmoid(b, rng, "LOGISTIC", random_scale(rng, 1e-4, 1.2e-3))


@case("s16_tanh_pot", "tg_tanh_lut_s16")
def _(b, rng):
    return s16_sigmoid(b, rng, "TANH", 2.0 ** -11)


@case("s16_tanh_scale", "tg_tanh_lut_s16")
def _(b, rng):
    return s16_sigmoid(b, rng, "TANH", random_scale(rng, 2e-5, 3e-4))


@case("float_boundary_s16", "tg_leaky_relu_s16")
def _(b, rng):
    f, x = b.tensor("f", [1, 30], "float32"), s16(b, rng, "x", [1, 30], scale=0.0005)
    y, out = s16(b, rng, "y", [1, 30], scale=0.0004), b.tensor("out", [1, 30], "float32")
    b.op("QUANTIZE", [f], [x])
    b.op("LEAKY_RELU", [x], [y], "LeakyReluOptions", Alpha=0.1)
    b.op("DEQUANTIZE", [y], [out])
    return [f], [out]


# -- float32 models run as they are (TFLite Micro's float reference kernels, bit for bit) ------

def f32(b: ModelBuilder, name: str, shape) -> int:
    return b.tensor(name, shape, "float32")


def f32_const(b: ModelBuilder, rng, name: str, shape, scale: float = 0.5) -> int:
    return b.tensor(name, shape, "float32", data=rng.normal(0, scale, shape).astype(np.float32))


@case("f32_conv_relu6_pools", "tg_conv2d_f32", "tg_max_pool2d_f32", "tg_avg_pool2d_f32")
def _(b, rng):
    x, c = f32(b, "x", [1, 9, 9, 3]), f32(b, "conv", [1, 9, 9, 6])
    m, y = f32(b, "max", [1, 5, 5, 6]), f32(b, "avg", [1, 4, 4, 6])
    b.op("CONV_2D", [x, f32_const(b, rng, "w", [6, 3, 3, 3]), f32_const(b, rng, "bias", [6])], [c], "Conv2DOptions",
         Padding=Padding.SAME, StrideH=1, StrideW=1, DilationHFactor=1, DilationWFactor=1,
         FusedActivationFunction=Act.RELU6)
    b.op("MAX_POOL_2D", [c], [m], "Pool2DOptions", Padding=Padding.SAME, StrideH=2, StrideW=2, FilterHeight=2,
         FilterWidth=2)
    b.op("AVERAGE_POOL_2D", [m], [y], "Pool2DOptions", Padding=Padding.VALID, StrideH=1, StrideW=1, FilterHeight=2,
         FilterWidth=2, FusedActivationFunction=Act.RELU)
    return [x], [y]


@case("f32_depthwise_binary_relu", "tg_depthwise_conv2d_f32", "tg_add_f32", "tg_mul_f32", "tg_sub_f32",
      "tg_clamp_f32")
def _(b, rng):
    x, d = f32(b, "x", [1, 8, 7, 4]), f32(b, "dw", [1, 4, 4, 8])
    a, m, s, y = (f32(b, n, [1, 4, 4, 8]) for n in ("added", "squared", "shifted", "y"))
    b.op("DEPTHWISE_CONV_2D", [x, f32_const(b, rng, "w", [1, 3, 3, 8]), f32_const(b, rng, "bias", [8])], [d],
         "DepthwiseConv2DOptions", Padding=Padding.SAME, StrideH=2, StrideW=2, DepthMultiplier=2,
         DilationHFactor=1, DilationWFactor=1)
    b.op("ADD", [d, f32_const(b, rng, "offset", [8])], [a], "AddOptions", FusedActivationFunction=Act.RELU_N1_TO_1)
    b.op("MUL", [a, d], [m], "MulOptions")
    b.op("SUB", [m, f32_const(b, rng, "shift", [8])], [s], "SubOptions")
    b.op("RELU", [s], [y])
    return [x], [y]


@case("f32_fully_connected_chain", "tg_fully_connected_f32", "tg_fully_connected_f32")
def _(b, rng):
    x, r, h, y = f32(b, "x", [1, 2, 3, 4]), f32(b, "flat", [1, 24]), f32(b, "h", [1, 16]), f32(b, "y", [1, 5])
    b.op("RESHAPE", [x, int32s(b, "shape", [1, 24])], [r])
    b.op("FULLY_CONNECTED", [r, f32_const(b, rng, "w1", [16, 24]), f32_const(b, rng, "b1", [16])], [h],
         "FullyConnectedOptions", FusedActivationFunction=Act.RELU)
    b.op("FULLY_CONNECTED", [h, f32_const(b, rng, "w2", [5, 16]), -1], [y], "FullyConnectedOptions")
    return [x], [y]
