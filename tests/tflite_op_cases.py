"""The synthetic int8 .tflite operator cases of test_tflite_ops.py, one builder per case
(tests/tflite_builder.py, no TensorFlow needed), registered in CASES with the kernels
tinygen must choose for them, and LITERT_DIFFERS: the cases where LiteRT's reference kernels
differ from TFLM's, and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType as Act

from tflite_builder import ModelBuilder, random_scale, random_zero_point

@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[ModelBuilder, np.random.Generator], tuple[list[int], list[int]]]
    kernels: tuple[str, ...]          # the kernels tinygen must choose, in order


CASES: dict[str, Case] = {}


def case(name: str, *kernels: str):
    def register(fn):
        CASES[name] = Case(name, fn, kernels)
        return fn
    return register


def act(b: ModelBuilder, rng, name: str, shape, scale=None, zp=None) -> int:
    """An int8 activation tensor with random (or given) quantization."""
    return b.tensor(name, shape, scale=random_scale(rng) if scale is None else scale,
                    zero_point=random_zero_point(rng) if zp is None else zp)


def const(b: ModelBuilder, rng, name: str, shape) -> int:
    return b.tensor(name, shape, scale=random_scale(rng, 0.002, 0.05), zero_point=random_zero_point(rng, -20, 20),
                    data=rng.integers(-128, 128, size=shape))


def int32s(b: ModelBuilder, name: str, values) -> int:
    values = np.asarray(values, np.int32)
    return b.tensor(name, values.shape, "int32", data=values)


# -- MUL --------------------------------------------------------------------------------

@case("mul_channel_const_relu", "tg_mul_s8")
def _(b, rng):
    x, c = act(b, rng, "x", [1, 5, 6, 8]), const(b, rng, "scale", [8])
    y = act(b, rng, "y", [1, 5, 6, 8])
    b.op("MUL", [x, c], [y], "MulOptions", FusedActivationFunction=Act.RELU)
    return [x], [y]


@case("mul_scalar_const_first", "tg_mul_s8")
def _(b, rng):
    x, c = act(b, rng, "x", [1, 3, 4, 5]), const(b, rng, "k", [])
    y = act(b, rng, "y", [1, 3, 4, 5], scale=0.02, zp=0)
    b.op("MUL", [c, x], [y], "MulOptions", FusedActivationFunction=Act.NONE)
    return [x], [y]


@case("mul_squeeze_excite_relu6", "tg_mean_s8", "tg_mul_s8")
def _(b, rng):
    """x * mean(x over H, W): a [1, 1, 1, C] activation broadcast over H and W."""
    x = act(b, rng, "x", [1, 6, 5, 12])
    m = act(b, rng, "pooled", [1, 1, 1, 12])
    y = act(b, rng, "y", [1, 6, 5, 12], scale=0.01, zp=-128)
    b.op("MEAN", [x, int32s(b, "axes", [1, 2])], [m], "ReducerOptions", KeepDims=True)
    b.op("MUL", [x, m], [y], "MulOptions", FusedActivationFunction=Act.RELU6)
    return [x], [y]


@case("mul_same_shape", "tg_requantize_s8", "tg_mul_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 4, 4, 6])
    r = act(b, rng, "relu", [1, 4, 4, 6])
    y = act(b, rng, "y", [1, 4, 4, 6])
    b.op("RELU", [x], [r])
    b.op("MUL", [r, x], [y], "MulOptions", FusedActivationFunction=Act.NONE)
    return [x], [y]


# -- ADD with broadcasting ----------------------------------------------------------------

@case("add_broadcast_const_relu", "tg_add_broadcast_s8")
def _(b, rng):
    """A constant [W, 1] broadcast over H and C: strides in the middle of the shape."""
    x, c = act(b, rng, "x", [1, 4, 6, 8]), const(b, rng, "bias", [6, 1])
    y = act(b, rng, "y", [1, 4, 6, 8])
    b.op("ADD", [x, c], [y], "AddOptions", FusedActivationFunction=Act.RELU)
    return [x], [y]


@case("add_broadcast_first_operand", "tg_mean_s8", "tg_add_broadcast_s8")
def _(b, rng):
    """mean over W (keep_dims) + x: the first operand is the one broadcast."""
    x = act(b, rng, "x", [1, 5, 7, 4])
    m = act(b, rng, "row_mean", [1, 5, 1, 4])
    y = act(b, rng, "y", [1, 5, 7, 4])
    b.op("MEAN", [x, int32s(b, "axes", [2])], [m], "ReducerOptions", KeepDims=True)
    b.op("ADD", [m, x], [y], "AddOptions", FusedActivationFunction=Act.NONE)
    return [x], [y]


@case("add_same_shape_const", "tg_add_s8")
def _(b, rng):
    x, c = act(b, rng, "x", [1, 3, 3, 4]), const(b, rng, "offset", [1, 3, 3, 4])
    y = act(b, rng, "y", [1, 3, 3, 4])
    b.op("ADD", [c, x], [y], "AddOptions", FusedActivationFunction=Act.RELU6)
    return [x], [y]


# -- CONCATENATION --------------------------------------------------------------------------

@case("concatenation_channels", "tg_clamp_s8", "tg_hard_swish_lut_s8", "tg_concat_s8")
def _(b, rng):
    """Three inputs (one of them twice) sharing the output's quantization, along the last axis."""
    scale, zp = random_scale(rng), random_zero_point(rng)
    x = act(b, rng, "x", [1, 4, 5, 3], scale, zp)
    r = act(b, rng, "relu6", [1, 4, 5, 3], scale, zp)
    h = act(b, rng, "hswish", [1, 4, 5, 3], scale, zp)
    y = act(b, rng, "y", [1, 4, 5, 9], scale, zp)
    b.op("RELU6", [x], [r])
    b.op("HARD_SWISH", [x], [h])
    b.op("CONCATENATION", [r, h, x], [y], "ConcatenationOptions", Axis=-1)
    return [x], [y]


@case("concatenation_rows", "tg_hard_swish_lut_s8", "tg_concat_s8")
def _(b, rng):
    scale, zp = random_scale(rng), random_zero_point(rng)
    x = act(b, rng, "x", [1, 3, 4, 2], scale, zp)
    h = act(b, rng, "hswish", [1, 3, 4, 2], scale, zp)
    y = act(b, rng, "y", [1, 6, 4, 2], scale, zp)
    b.op("HARD_SWISH", [x], [h])
    b.op("CONCATENATION", [h, x], [y], "ConcatenationOptions", Axis=1)
    return [x], [y]


# -- PAD, PADV2 -------------------------------------------------------------------------------

@case("pad_height_width", "tg_pad_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 5, 6, 3])
    q = b.tensors[x]
    y = b.tensor("y", [1, 8, 8, 3], scale=q.scale, zero_point=q.zero_point)
    b.op("PAD", [x, int32s(b, "paddings", [[0, 0], [1, 2], [2, 0], [0, 0]])], [y], "PadOptions")
    return [x], [y]


@case("padv2_channels_value", "tg_pad_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 4, 3, 5])
    q = b.tensors[x]
    value = b.tensor("value", [], scale=q.scale, zero_point=q.zero_point, data=np.int8(rng.integers(-128, 128)))
    y = b.tensor("y", [1, 5, 3, 9], scale=q.scale, zero_point=q.zero_point)
    b.op("PADV2", [x, int32s(b, "paddings", [[0, 0], [0, 1], [0, 0], [3, 1]]), value], [y], "PadV2Options")
    return [x], [y]


# -- MEAN --------------------------------------------------------------------------------------

@case("mean_hw_keep_dims", "tg_mean_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 7, 6, 10])
    y = act(b, rng, "y", [1, 1, 1, 10], scale=random_scale(rng, 0.002, 0.05))
    b.op("MEAN", [x, int32s(b, "axes", [1, 2])], [y], "ReducerOptions", KeepDims=True)
    return [x], [y]


@case("mean_hw_drop_dims", "tg_mean_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 9, 9, 6])
    y = act(b, rng, "y", [1, 6])
    b.op("MEAN", [x, int32s(b, "axes", [2, -3])], [y], "ReducerOptions", KeepDims=False)
    return [x], [y]


@case("mean_channels", "tg_mean_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 4, 5, 16])
    y = act(b, rng, "y", [1, 4, 5, 1])
    b.op("MEAN", [x, int32s(b, "axes", [3])], [y], "ReducerOptions", KeepDims=True)
    return [x], [y]


# -- LOGISTIC, HARD_SWISH ----------------------------------------------------------------------

@case("logistic", "tg_lut_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 6, 6, 4], scale=random_scale(rng, 0.01, 0.3))
    y = act(b, rng, "y", [1, 6, 6, 4], scale=1 / 256, zp=-128)
    b.op("LOGISTIC", [x], [y])
    return [x], [y]


@case("hard_swish", "tg_hard_swish_lut_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 6, 6, 4], scale=random_scale(rng, 0.01, 0.1))
    y = act(b, rng, "y", [1, 6, 6, 4], scale=random_scale(rng, 0.01, 0.1))
    b.op("HARD_SWISH", [x], [y])
    return [x], [y]


@case("hard_swish_small_scale", "tg_hard_swish_lut_s8")
def _(b, rng):
    """An input scale below 1/85: the relu-ish multiplier shifts right."""
    x = act(b, rng, "x", [1, 5, 5, 5], scale=random_scale(rng, 0.002, 0.008))
    y = act(b, rng, "y", [1, 5, 5, 5], scale=random_scale(rng, 0.002, 0.008))
    b.op("HARD_SWISH", [x], [y])
    return [x], [y]


# -- RELU, RELU6, QUANTIZE ---------------------------------------------------------------------

@case("relu_requantize", "tg_requantize_s8")
def _(b, rng):
    x, y = act(b, rng, "x", [1, 4, 4, 8]), act(b, rng, "y", [1, 4, 4, 8])
    b.op("RELU", [x], [y])
    return [x], [y]


@case("relu_same_quantization", "tg_clamp_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 4, 4, 8])
    y = b.tensor("y", [1, 4, 4, 8], scale=b.tensors[x].scale, zero_point=b.tensors[x].zero_point)
    b.op("RELU", [x], [y])
    return [x], [y]


@case("relu6", "tg_clamp_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 4, 4, 8], scale=random_scale(rng, 0.02, 0.1))
    y = b.tensor("y", [1, 4, 4, 8], scale=b.tensors[x].scale, zero_point=b.tensors[x].zero_point)
    b.op("RELU6", [x], [y])
    return [x], [y]


@case("relu6_requantizing_output", "tg_clamp_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 4, 4, 8], scale=random_scale(rng, 0.02, 0.1))
    y = act(b, rng, "y", [1, 4, 4, 8], scale=6 / 255, zp=-128)
    b.op("RELU6", [x], [y])
    return [x], [y]


@case("quantize_int8_to_int8", "tg_requantize_s8")
def _(b, rng):
    x, y = act(b, rng, "x", [1, 3, 5, 7]), act(b, rng, "y", [1, 3, 5, 7])
    b.op("QUANTIZE", [x], [y])
    return [x], [y]


# -- a float32 boundary: QUANTIZE at the input, DEQUANTIZE at the output ----------------------

@case("float_boundary_mul", "tg_mul_s8")
def _(b, rng):
    f = b.tensor("x_float", [1, 4, 4, 6], "float32")
    x = act(b, rng, "x", [1, 4, 4, 6])
    c = const(b, rng, "k", [6])
    y = act(b, rng, "y", [1, 4, 4, 6])
    g = b.tensor("y_float", [1, 4, 4, 6], "float32")
    b.op("QUANTIZE", [f], [x])
    b.op("MUL", [x, c], [y], "MulOptions", FusedActivationFunction=Act.NONE)
    b.op("DEQUANTIZE", [y], [g])
    return [f], [g]


# -- the simpler operators users' models bring: TANH, PRELU, SUM, SLICE, STRIDED_SLICE, MIRROR_PAD -------
# (tests/frontend/test_tflite_simple.py draws their shapes; GELU, which TFLite Micro lacks, is
# checked against LiteRT there)

@case("tanh", "tg_lut_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 5, 6, 4], scale=random_scale(rng, 0.01, 0.3))
    y = act(b, rng, "y", [1, 5, 6, 4], scale=1 / 128, zp=0)
    b.op("TANH", [x], [y])
    return [x], [y]


@case("prelu_per_channel", "tg_prelu_s8")
def _(b, rng):
    x, y = act(b, rng, "x", [1, 4, 5, 6]), act(b, rng, "y", [1, 4, 5, 6])
    b.op("PRELU", [x, const(b, rng, "alpha", [1, 1, 6])], [y])
    return [x], [y]


# LEAKY_RELU: TFLite Micro's two multipliers, tabulated (a slope below one, above one, negative)
def _leaky_relu(alpha: float):
    def build(b, rng):
        x = act(b, rng, "x", [1, 4, 5, 6], scale=random_scale(rng, 0.01, 0.2))
        y = act(b, rng, "y", [1, 4, 5, 6], scale=random_scale(rng, 0.01, 0.2))
        b.op("LEAKY_RELU", [x], [y], "LeakyReluOptions", Alpha=alpha)
        return [x], [y]
    return build


for _alpha, _name in ((0.2, "leaky_relu"), (1.7, "leaky_relu_steep"), (-0.4, "leaky_relu_negative_slope")):
    case(_name, "tg_lut_s8")(_leaky_relu(_alpha))


@case("prelu_one_slope", "tg_lut_s8")
def _(b, rng):
    x, y = act(b, rng, "x", [1, 4, 5, 6]), act(b, rng, "y", [1, 4, 5, 6])
    b.op("PRELU", [x, const(b, rng, "alpha", [1])], [y])
    return [x], [y]


@case("sum_channels", "tg_mean_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 4, 5, 16])
    y = act(b, rng, "y", [1, 4, 5, 1], scale=random_scale(rng, 0.2, 1.0))
    b.op("SUM", [x, int32s(b, "axes", [-1])], [y], "ReducerOptions", KeepDims=True)
    return [x], [y]


@case("sum_hw_drop_dims", "tg_mean_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 6, 5, 7])
    y = act(b, rng, "y", [1, 7], scale=random_scale(rng, 0.5, 2.0))
    b.op("SUM", [x, int32s(b, "axes", [1, 2])], [y], "ReducerOptions", KeepDims=False)
    return [x], [y]


@case("slice_two_axes", "tg_strided_slice_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 6, 7, 5])
    q = b.tensors[x]
    y = b.tensor("y", [1, 3, 7, 2], scale=q.scale, zero_point=q.zero_point)
    b.op("SLICE", [x, int32s(b, "begin", [0, 2, 0, 1]), int32s(b, "size", [1, 3, -1, 2])], [y], "SliceOptions")
    return [x], [y]


@case("strided_slice_shrink_reverse", "tg_strided_slice_s8")
def _(b, rng):
    """x[:, -2, ::-2, 1::3] with a begin mask on the reversed axis: a shrunk axis, a negative stride."""
    x = act(b, rng, "x", [1, 5, 7, 8])
    q = b.tensors[x]
    y = b.tensor("y", [1, 4, 3], scale=q.scale, zero_point=q.zero_point)
    b.op("STRIDED_SLICE", [x, int32s(b, "begin", [0, -2, 0, 1]), int32s(b, "end", [1, -1, 0, 8]),
                           int32s(b, "strides", [1, 1, -2, 3])], [y], "StridedSliceOptions",
         BeginMask=4, EndMask=4, ShrinkAxisMask=2)
    return [x], [y]


@case("mirror_pad_reflect", "tg_mirror_pad_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 5, 6, 3])
    q = b.tensors[x]
    y = b.tensor("y", [1, 8, 8, 3], scale=q.scale, zero_point=q.zero_point)
    b.op("MIRROR_PAD", [x, int32s(b, "paddings", [[0, 0], [1, 2], [2, 0], [0, 0]])], [y], "MirrorPadOptions", Mode=0)
    return [x], [y]


@case("mirror_pad_symmetric", "tg_mirror_pad_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 4, 3, 5])
    q = b.tensors[x]
    y = b.tensor("y", [1, 6, 6, 5], scale=q.scale, zero_point=q.zero_point)
    b.op("MIRROR_PAD", [x, int32s(b, "paddings", [[0, 0], [2, 0], [3, 0], [0, 0]])], [y], "MirrorPadOptions", Mode=1)
    return [x], [y]


# LiteRT's reference kernels differ from TFLite Micro's here, by design of one or the other.
LITERT_DIFFERS = {
    # TFLM clamps on the input's grid and copies the bytes (Relu6Quantized); LiteRT
    # requantizes to the output's grid first (QuantizedReluX).
    "relu6_requantizing_output": "litert_relu6",
    # LiteRT 2.3's reference int8 SUM gives values far from the sum (most outputs off by tens of
    # steps); TFLM's (and tinygen's) equal the sum within the requantization's rounding
    # (tests/kernels/test_kernels_simple.py)
    "sum_channels": "litert_sum",
    "sum_hw_drop_dims": "litert_sum",
    # LiteRT takes LEAKY_RELU's multipliers from float32 products, the tflite-micro package in
    # double (tinygen.quant.op_params.leaky_relu_params): int16 outputs near a half differ by one
    "s16_leaky_relu": "litert_leaky_relu_s16",
    "s16_leaky_relu_negative_slope": "litert_leaky_relu_s16",
    # LiteRT's reference 16x8 FULLY_CONNECTED requantizes its sums otherwise than TFLite Micro's
    # int64 MultiplyByQuantizedMultiplier (tinygen.ref.int16.requantize_s64): outputs near a
    # half differ by one
    "s16_fully_connected": "litert_fully_connected_s16",
    # LiteRT's reference 16x8 MUL takes the product through gemmlowp's fixed point, TFLite
    # Micro's through MultiplyByQuantizedMultiplier: outputs near a half differ by one
    "s16_mul_two_activations": "litert_mul_s16",
    "s16_mul_broadcast_constant": "litert_mul_s16",
    # LiteRT's QUANTIZE has no int32 output (TFLite Micro's has)
    "s32_quantize_round_trip": "litert_quantize_s32",
    # LiteRT's RELU takes its multiplier from the float32 quotient of the scales, the tflite-micro
    # package from the double one (tinygen.quant.op_params.relu_params): int16 outputs near a half
    # differ by one
    "s16_concat_transpose": "litert_relu_s16",
    # LiteRT's reference int16 SOFTMAX is one step off TFLite Micro's on a few outputs
    # (2 of 7400 here); tinygen's equals TFLite Micro's, LUTs included (tinygen.quant.s16_params)
    "s16_softmax": "litert_softmax_s16",
    # LiteRT's SQUARED_DIFFERENCE has no int16 kernel (TFLite Micro's has)
    "s16_squared_difference": "litert_squared_difference_s16",
    "s16_rsqrt": "litert_squared_difference_s16",
    # LiteRT's reference int16 SUM gives values unrelated to the sum (its int16 MEAN agrees)
    "s16_slice_mean_sum": "litert_sum",
}


# the cases beyond int8 (int16, int32 ports, float32 models), and their helpers for other tests
from tflite_op_cases_wide import f32, f32_const, s16, s16_weights  # noqa: E402,F401
# PAD before a convolution: folded into its padding where exact (tinygen/passes/fold_pad.py)
import tflite_pad_fold_cases  # noqa: E402,F401
# comparisons and selection with bool tensors
import tflite_select_cases  # noqa: E402,F401
# MAXIMUM/MINIMUM, REDUCE_MAX/MIN, ARG_MAX/MIN, ABS, ELU on quantized integers (tinygen/frontend/tflite/ops_math.py)
import tflite_math_cases  # noqa: E402,F401
# data movement: strided copies and gathers on any element type, shape arithmetic folded at import
import tflite_shape_cases  # noqa: E402,F401
# float32 models beyond the first cases (softmax .. mirror pad, integer ports)
import tflite_float_cases  # noqa: E402,F401
# ADD_N, CUMSUM, LOG_SOFTMAX of int8 (tinygen/frontend/tflite/ops_math.py, tinygen/ref/mathsums.py)
import tflite_math2_cases  # noqa: E402,F401
# int8 / int16 models with float32 sections (DEQUANTIZE -> float32 operators -> QUANTIZE)
import tflite_mixed_cases  # noqa: E402,F401
# float32 LOG_SOFTMAX, L2_NORMALIZATION, RESIZE_BILINEAR, L2_POOL_2D (tinygen/ref/mathops_f32.py)
import tflite_float_norm_cases  # noqa: E402,F401
