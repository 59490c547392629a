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


@case("f32_softmax_logistic_tanh_concat", "tg_tanh_f32", "tg_logistic_f32", "tg_concat_f32", "tg_softmax_f32")
def _(b, rng):
    # inputs at many widths reach both of LOGISTIC's cutoffs (-9, 16.6) and tanh's saturation
    x, t, s = f32(b, "x", [1, 3, 10]), f32(b, "tanh", [1, 3, 10]), f32(b, "sigmoid", [1, 3, 10])
    c, y = f32(b, "joined", [1, 3, 20]), f32(b, "y", [1, 3, 20])
    b.op("TANH", [x], [t])
    b.op("LOGISTIC", [x], [s])
    b.op("CONCATENATION", [t, s], [c], "ConcatenationOptions", Axis=-1)
    b.op("SOFTMAX", [c], [y], "SoftmaxOptions", Beta=2.5)
    return [x], [y]


@case("f32_pad_transpose_slices", "tg_pad_f32", "tg_transpose_f32", "tg_strided_slice_f32", "tg_pad_f32",
      "tg_strided_slice_f32")
def _(b, rng):
    x, p = f32(b, "x", [1, 5, 6, 4]), f32(b, "padded", [1, 6, 8, 4])
    t, s = f32(b, "transposed", [1, 4, 6, 8]), f32(b, "strided", [1, 2, 6, 3])
    z, y = f32(b, "zero_padded", [1, 2, 7, 4]), f32(b, "y", [1, 2, 5, 4])
    b.op("PADV2", [x, int32s(b, "pads", [[0, 0], [1, 0], [0, 2], [0, 0]]),
                   b.tensor("value", [], "float32", data=np.float32(1.5))], [p])
    b.op("TRANSPOSE", [p, int32s(b, "perm", [0, 3, 1, 2])], [t])
    b.op("STRIDED_SLICE", [t, int32s(b, "begin", [0, 1, 0, 1]), int32s(b, "end", [1, 4, 6, 8]),
                           int32s(b, "strides", [1, 2, 1, 3])], [s], "StridedSliceOptions")
    b.op("PAD", [s, int32s(b, "zero_pads", [[0, 0], [0, 0], [1, 0], [0, 1]])], [z])
    b.op("SLICE", [z, int32s(b, "slice_begin", [0, 0, 1, 0]), int32s(b, "slice_size", [1, 2, 5, -1])], [y])
    return [x], [y]


def f32_lstm_model(rng, batches: int, steps: int, inputs: int, hidden: int, cell_clip: float = 0.0) -> bytes:
    """A float32 UNIDIRECTIONAL_SEQUENCE_LSTM over [B, T, I] (TFLite Micro's float lstm_eval),
    its hidden and cell states variable tensors."""
    b = ModelBuilder("tinygen test: float lstm")
    x, y = f32(b, "input", [batches, steps, inputs]), f32(b, "output", [batches, steps, hidden])
    weights = [f32_const(b, rng, f"w{k}", [hidden, inputs if k < 4 else hidden]) for k in range(8)]
    biases = [f32_const(b, rng, f"bias{k}", [hidden]) for k in range(4)]
    states = [b.tensor(name, [batches, hidden], "float32", variable=True) for name in ("hidden_state", "cell_state")]
    b.op("UNIDIRECTIONAL_SEQUENCE_LSTM", [x] + weights + [-1] * 3 + biases + [-1] * 2 + states + [-1] * 4, [y],
         "UnidirectionalSequenceLSTMOptions", FusedActivationFunction=Act.TANH, CellClip=float(cell_clip),
         ProjClip=0.0, TimeMajor=False, AsymmetricQuantizeInputs=False)
    return b.finish([x], [y])


@case("f32_activations_reduce", "tg_leaky_relu_f32", "tg_hard_swish_f32", "tg_prelu_f32",
      "tg_squared_difference_f32", "tg_reduce_f32", "tg_reduce_f32", "tg_rsqrt_f32")
def _(b, rng):
    x, l, h, p = (f32(b, n, [1, 4, 5, 6]) for n in ("x", "leaky", "hard_swish", "prelu"))
    d, m, s, y = f32(b, "squared", [1, 4, 5, 6]), f32(b, "mean", [1, 1, 1, 6]), f32(b, "sum", [6]), f32(b, "y", [6])
    b.op("LEAKY_RELU", [x], [l], "LeakyReluOptions", Alpha=0.3)
    b.op("HARD_SWISH", [l], [h])
    b.op("PRELU", [h, f32_const(b, rng, "alpha", [5, 6])], [p])
    b.op("SQUARED_DIFFERENCE", [p, x], [d])
    b.op("MEAN", [d, int32s(b, "hw", [1, 2])], [m], "ReducerOptions", KeepDims=True)
    b.op("SUM", [m, int32s(b, "nhw", [0, 1, 2])], [s], "ReducerOptions", KeepDims=False)
    b.op("RSQRT", [s], [y])
    return [x], [y]


@case("f32_transpose_conv_batch_matmul", "tg_transpose_conv2d_f32", "tg_batch_matmul_f32", "tg_batch_matmul_f32")
def _(b, rng):
    x, t = f32(b, "x", [1, 3, 4, 5]), f32(b, "upsampled", [1, 6, 8, 4])
    g, y = f32(b, "gram", [1, 6, 4, 4]), f32(b, "y", [1, 6, 4, 8])
    b.op("TRANSPOSE_CONV", [int32s(b, "out_shape", [1, 6, 8, 4]), f32_const(b, rng, "w", [4, 3, 3, 5]), x,
                            f32_const(b, rng, "bias", [4])], [t], "TransposeConvOptions", Padding=Padding.SAME,
         StrideH=2, StrideW=2, FusedActivationFunction=Act.RELU)
    b.op("BATCH_MATMUL", [t, t], [g], "BatchMatMulOptions", AdjX=True, AdjY=False)
    b.op("BATCH_MATMUL", [g, t], [y], "BatchMatMulOptions", AdjX=False, AdjY=True)
    return [x], [y]


# a float model with integer ports: DEQUANTIZE from its int8 / int16 input, QUANTIZE into its output
@case("s8_ends_f32_body", "tg_dequantize_s8_f32", "tg_fully_connected_f32", "tg_quantize_f32_s8")
def _(b, rng):
    x, y = b.tensor("x", [1, 12], scale=0.05, zero_point=3), b.tensor("y", [1, 8], scale=0.03, zero_point=-10)
    f, h = f32(b, "x_float", [1, 12]), f32(b, "h", [1, 8])
    b.op("DEQUANTIZE", [x], [f])
    b.op("FULLY_CONNECTED", [f, f32_const(b, rng, "w", [8, 12]), f32_const(b, rng, "bias", [8])], [h],
         "FullyConnectedOptions", FusedActivationFunction=Act.RELU)
    b.op("QUANTIZE", [h], [y])
    return [x], [y]


@case("s16_ends_f32_body", "tg_dequantize_s16_f32", "tg_mul_f32", "tg_quantize_f32_s16")
def _(b, rng):
    x, y = b.tensor("x", [1, 4, 6], "int16", scale=1e-3), b.tensor("y", [1, 4, 6], "int16", scale=7e-4)
    f, m = f32(b, "x_float", [1, 4, 6]), f32(b, "scaled", [1, 4, 6])
    b.op("DEQUANTIZE", [x], [f])
    b.op("MUL", [f, f32_const(b, rng, "gain", [6], 1.0)], [m], "MulOptions")
    b.op("QUANTIZE", [m], [y])
    return [x], [y]


@case("s8_ends_f32_ties", "tg_dequantize_s8_f32", "tg_quantize_f32_s8")
def _(b, rng):
    # every odd input lands on a half step of the output's grid: TFLite rounds it away from zero
    x, y = b.tensor("x", [1, 64], scale=0.5, zero_point=0), b.tensor("y", [1, 64], scale=1.0, zero_point=1)
    f = f32(b, "x_float", [1, 64])
    b.op("DEQUANTIZE", [x], [f])
    b.op("QUANTIZE", [f], [y])
    return [x], [y]


@case("f32_div_minimum_maximum", "tg_div_f32", "tg_minimum_f32", "tg_maximum_f32", "tg_div_f32")
def _(b, rng):
    x, d, m = f32(b, "x", [1, 4, 6]), f32(b, "divided", [1, 4, 6]), f32(b, "capped", [1, 4, 6])
    h, y = f32(b, "floored", [1, 4, 6]), f32(b, "y", [1, 4, 6])
    b.op("DIV", [x, f32_const(b, rng, "divisor", [6])], [d], "DivOptions", FusedActivationFunction=Act.RELU_N1_TO_1)
    b.op("MINIMUM", [d, b.tensor("cap", [1], "float32", data=np.float32([0.25]))], [m])
    b.op("MAXIMUM", [m, x], [h])
    b.op("DIV", [h, d], [y], "DivOptions")       # two activations
    return [x], [y]


@case("f32_mirror_pads", "tg_mirror_pad_f32", "tg_mirror_pad_f32")
def _(b, rng):
    x, r, y = f32(b, "x", [1, 4, 5, 3]), f32(b, "reflected", [1, 6, 8, 3]), f32(b, "y", [1, 8, 9, 3])
    b.op("MIRROR_PAD", [x, int32s(b, "reflect_pads", [[0, 0], [1, 1], [2, 1], [0, 0]])], [r], "MirrorPadOptions",
         Mode=0)
    b.op("MIRROR_PAD", [r, int32s(b, "symmetric_pads", [[0, 0], [2, 0], [0, 1], [0, 0]])], [y], "MirrorPadOptions",
         Mode=1)
    return [x], [y]
