"""The float32 .tflite cases of the normalizing, resizing and L2-pooling operators TFLite Micro
runs on float (registered in tflite_op_cases.CASES, which imports this module): LOG_SOFTMAX
(expf, logf), L2_NORMALIZATION (sqrtf; all-zero rows reach TFLite Micro's 1e-6 epsilon),
RESIZE_BILINEAR (plain, align_corners, half_pixel_centers; two images), L2_POOL_2D (SAME and
VALID windows, a fused RELU6). Each is checked against TFLite Micro by
tests/frontend/test_tflite_ops.py; the numpy twins are tinygen/ref/mathops_f32.py."""

from __future__ import annotations

import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType as Act
from tflite.Padding import Padding
from tflite_op_cases import case, int32s
from tflite_op_cases_wide import f32


@case("f32_math_log_softmax_l2_norm", "tg_mul_f32", "tg_log_softmax_f32", "tg_l2_norm_f32", "tg_add_f32")
def _(b, rng):
    """x times a mask zeroing one row in three (LOG_SOFTMAX of equal values; L2_NORMALIZATION's
    epsilon), LOG_SOFTMAX and L2_NORMALIZATION over 10 classes, summed by ADD."""
    shape = [1, 4, 3, 10]
    x, m, s, n, y = (f32(b, name, shape) for name in ("x", "masked", "log_softmax", "l2_norm", "y"))
    mask = b.tensor("mask", [1, 1, 3, 1], "float32", data=np.array([1, 0, 3], np.float32).reshape(1, 1, 3, 1))
    b.op("MUL", [x, mask], [m], "MulOptions")
    b.op("LOG_SOFTMAX", [m], [s], "LogSoftmaxOptions")
    b.op("L2_NORMALIZATION", [m], [n], "L2NormOptions")
    b.op("ADD", [s, n], [y], "AddOptions")
    return [x], [y]


@case("f32_math_resize_bilinear_half_pixel_align_corners", "tg_resize_bilinear_f32", "tg_resize_bilinear_f32")
def _(b, rng):
    """Half-pixel centers up to 7x9, then align_corners down to 4x6."""
    x, h, y = f32(b, "x", [1, 3, 5, 4]), f32(b, "half_pixel", [1, 7, 9, 4]), f32(b, "y", [1, 4, 6, 4])
    b.op("RESIZE_BILINEAR", [x, int32s(b, "size", [7, 9])], [h], "ResizeBilinearOptions", HalfPixelCenters=True)
    b.op("RESIZE_BILINEAR", [h, int32s(b, "size2", [4, 6])], [y], "ResizeBilinearOptions", AlignCorners=True)
    return [x], [y]


@case("f32_math_resize_bilinear_plain_two_images", "tg_resize_bilinear_f32")
def _(b, rng):
    """Neither option, a downscale on one axis, a batch of two."""
    x, y = f32(b, "x", [2, 6, 4, 5]), f32(b, "y", [2, 4, 10, 5])
    b.op("RESIZE_BILINEAR", [x, int32s(b, "size", [4, 10])], [y], "ResizeBilinearOptions")
    return [x], [y]


@case("f32_math_l2_pool", "tg_l2_pool2d_f32", "tg_l2_pool2d_f32")
def _(b, rng):
    """3x2 windows, stride 2, SAME padding (edge windows shorter), fused RELU6; then 2x2 VALID."""
    x, p, y = f32(b, "x", [1, 7, 9, 5]), f32(b, "pooled", [1, 4, 5, 5]), f32(b, "y", [1, 3, 4, 5])
    b.op("L2_POOL_2D", [x], [p], "Pool2DOptions", Padding=Padding.SAME, StrideH=2, StrideW=2, FilterHeight=3,
         FilterWidth=2, FusedActivationFunction=Act.RELU6)
    b.op("L2_POOL_2D", [p], [y], "Pool2DOptions", Padding=Padding.VALID, StrideH=1, StrideW=1, FilterHeight=2,
         FilterWidth=2)
    return [x], [y]
