"""The float32 .tflite operator cases beyond the first ones (registered in tflite_op_cases.CASES,
which imports this module): TFLite Micro's float reference kernels for softmax, logistic, tanh,
concatenation, padding, transposing and slicing, the element-wise and reducing operators,
transposed convolution and batch matmul, division, minimum and maximum, mirror padding, and a
float model's int8 / int16 ports (DEQUANTIZE in, QUANTIZE out); and f32_lstm_model, a float
UNIDIRECTIONAL_SEQUENCE_LSTM for the tests that run a sequence."""

from __future__ import annotations

import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType as Act
from tflite.Padding import Padding

from tflite_builder import ModelBuilder
from tflite_op_cases import case, int32s
from tflite_op_cases_wide import f32, f32_const


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
