"""The .tflite cases of an explicit PAD before a convolution (registered in tflite_op_cases.CASES,
which imports this module): PyTorch's padding exported as PAD + a VALID convolution.
tinygen/passes/fold_pad.py folds the pad into the convolution's padding where that is exact
(the kernels list has no tg_pad_*), and keeps it where it is not: a value other than the zero
point, a padded tensor read twice, channels padded."""

from __future__ import annotations

import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType as Act
from tflite.Padding import Padding

from tflite_op_cases import act, case, int32s
from tflite_op_cases_wide import s16_mac, s16_weights


def padded(b, x: int, name: str, paddings, value: int | None = None, dtype: str = "int8") -> int:
    """PAD (PADV2 with `value`) of x (of `dtype`) on x's quantization."""
    q = b.tensors[x]
    shape = [n + lo + hi for n, (lo, hi) in zip(q.shape, paddings)]
    y = b.tensor(name, shape, dtype, scale=q.scale, zero_point=q.zero_point)
    pads = int32s(b, f"{name}_paddings", paddings)
    if value is None:
        b.op("PAD", [x, pads], [y], "PadOptions")
    else:
        v = b.tensor(f"{name}_value", [], dtype, scale=q.scale, zero_point=q.zero_point, data=np.int8(value))
        b.op("PADV2", [x, pads, v], [y], "PadV2Options")
    return y


def weights(b, rng, name: str, shape, axis: int) -> int:
    """int8 weights quantized per channel along `axis`, zero point 0 (TFLite's int8 scheme)."""
    channels = shape[axis]
    return b.tensor(name, shape, scale=rng.uniform(0.002, 0.02, channels), zero_point=[0] * channels, axis=axis,
                    data=rng.integers(-127, 128, shape))


def conv(b, rng, x: int, y: int, kernel, stride: int, padding=Padding.VALID, act_fn=Act.RELU6) -> None:
    in_c, out_c = b.tensors[x].shape[-1], b.tensors[y].shape[-1]
    w = weights(b, rng, f"{b.tensors[y].name}_w", [out_c, *kernel, in_c], 0)
    bias = b.tensor(f"{b.tensors[y].name}_bias", [out_c], "int32", data=rng.integers(-3000, 3000, out_c))
    b.op("CONV_2D", [x, w, bias], [y], "Conv2DOptions", Padding=padding, StrideH=stride, StrideW=stride,
         DilationHFactor=1, DilationWFactor=1, FusedActivationFunction=act_fn)


def depthwise(b, rng, x: int, y: int, stride: int, padding=Padding.VALID) -> None:
    c = b.tensors[y].shape[-1]
    w = weights(b, rng, f"{b.tensors[y].name}_w", [1, 3, 3, c], 3)
    bias = b.tensor(f"{b.tensors[y].name}_bias", [c], "int32", data=rng.integers(-3000, 3000, c))
    b.op("DEPTHWISE_CONV_2D", [x, w, bias], [y], "DepthwiseConv2DOptions", Padding=padding, StrideH=stride,
         StrideW=stride, DepthMultiplier=1, DilationHFactor=1, DilationWFactor=1, FusedActivationFunction=Act.RELU)


def pad_then_conv(b, rng, in_shape, paddings, out_shape, kernel, stride: int, value: int | None = None):
    """x -> PAD (PADV2 with value - x's zero point) -> a VALID conv."""
    x = act(b, rng, "x", in_shape)
    zp = int(b.tensors[x].zero_point[0])
    p = padded(b, x, "padded", paddings, None if value is None else zp + value)
    y = act(b, rng, "y", out_shape, scale=0.05)
    conv(b, rng, p, y, kernel, stride)
    return [x], [y]


@case("pad_fold_conv_stride2_asymmetric", "tg_conv2d_s8")
def _(b, rng):
    """Top 2 / bottom 0, left 0 / right 1 (top > bottom), stride 2: one conv with that padding."""
    return pad_then_conv(b, rng, [1, 9, 8, 3], [[0, 0], [2, 0], [0, 1], [0, 0]], [1, 5, 4, 8], (3, 3), 2)


@case("pad_fold_depthwise_chain", "tg_conv2d_s8", "tg_depthwise_conv2d_s8", "tg_depthwise_conv2d_s8")
def _(b, rng):
    """MobileNetV2's shapes: PAD 1 all round before a VALID 3x3 depthwise, stride 1 and 2, and
    PADV2 whose value is the zero point (folded as PAD is); the second pad meets a SAME conv."""
    x = act(b, rng, "x", [1, 10, 9, 4])
    e = act(b, rng, "expanded", [1, 10, 9, 8], scale=0.04)
    conv(b, rng, x, e, (1, 1), 1, Padding.SAME)
    d1 = act(b, rng, "dw1", [1, 10, 9, 8], scale=0.05)
    depthwise(b, rng, padded(b, e, "padded1", [[0, 0], [1, 1], [1, 1], [0, 0]]), d1, 1)
    d2 = act(b, rng, "dw2", [1, 6, 5, 8], scale=0.05)
    zp = int(b.tensors[d1].zero_point[0])
    depthwise(b, rng, padded(b, d1, "padded2", [[0, 0], [1, 0], [0, 1], [0, 0]], value=zp), d2, 2,
              Padding.SAME)
    return [x], [d2]


@case("s16_pad_fold_conv", "tg_conv2d_s16")
def _(b, rng):
    x, y = s16_mac(b, rng, [1, 7, 6, 5], [1, 4, 3, 6], 45)
    p = padded(b, x, "padded", [[0, 0], [1, 1], [0, 1], [0, 0]], dtype="int16")
    w, bias = s16_weights(b, rng, "w", [6, 3, 3, 5], 0)
    b.op("CONV_2D", [p, w, bias], [y], "Conv2DOptions", Padding=Padding.VALID, StrideH=2, StrideW=2,
         DilationHFactor=1, DilationWFactor=1, FusedActivationFunction=Act.NONE)
    return [x], [y]


@case("pad_kept_value_not_zero_point", "tg_pad_s8", "tg_conv2d_s8")
def _(b, rng):
    return pad_then_conv(b, rng, [1, 6, 6, 3], [[0, 0], [1, 1], [1, 1], [0, 0]], [1, 6, 6, 4], (3, 3), 1, value=7)


@case("pad_kept_read_twice", "tg_pad_s8", "tg_depthwise_conv2d_s8", "tg_conv2d_add_s8")
def _(b, rng):
    """One padded tensor read by a conv and a depthwise (the conv then fused with the add)."""
    x = act(b, rng, "x", [1, 5, 7, 4])
    p = padded(b, x, "padded", [[0, 0], [1, 1], [1, 1], [0, 0]])
    c, d = act(b, rng, "conv", [1, 5, 7, 4], scale=0.05), act(b, rng, "dw", [1, 5, 7, 4], scale=0.05)
    conv(b, rng, p, c, (3, 3), 1)
    depthwise(b, rng, p, d, 1)
    y = act(b, rng, "y", [1, 5, 7, 4], scale=0.08)
    b.op("ADD", [c, d], [y], "AddOptions", FusedActivationFunction=Act.NONE)
    return [x], [y]


@case("pad_kept_channels", "tg_pad_s8", "tg_conv2d_s8")
def _(b, rng):
    """Channels padded (and height): the 1x1 conv's padding cannot hold it."""
    return pad_then_conv(b, rng, [1, 4, 5, 3], [[0, 0], [1, 0], [0, 0], [0, 2]], [1, 5, 5, 6], (1, 1), 1)


@case("pad_fold_depthwise_libraries", "tg_depthwise_conv2d_s8", "tg_depthwise_conv2d_s8")
def _(b, rng):
    """Two folded depthwise layers: padding 1 all round (CMSIS-NN and ESP-NN take it), then 0 above
    / 2 below, 1 left / 2 right (neither does: tests/kernels/test_fold_pad_libraries.py)."""
    x = act(b, rng, "x", [1, 6, 7, 4])
    d1 = act(b, rng, "dw1", [1, 6, 7, 4], scale=0.05)
    depthwise(b, rng, padded(b, x, "padded1", [[0, 0], [1, 1], [1, 1], [0, 0]]), d1, 1)
    d2 = act(b, rng, "dw2", [1, 6, 8, 4], scale=0.05)
    depthwise(b, rng, padded(b, d1, "padded2", [[0, 0], [0, 2], [1, 2], [0, 0]]), d2, 1)
    return [x], [d2]
