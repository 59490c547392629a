"""The .tflite cases of the comparing and magnitude operators (registered in
tflite_op_cases.CASES, which imports this module): MAXIMUM / MINIMUM of int8 and int16 (stored
integers compared, broadcast, a constant operand either side), REDUCE_MAX / REDUCE_MIN, ARG_MAX /
ARG_MIN (int32 indices), ABS (int8 table, int16 kernel; same and different grids), ELU (int8
table). Each is checked against TFLite Micro by tests/frontend/test_tflite_ops.py."""

from __future__ import annotations


from tflite_op_cases import LITERT_DIFFERS, act, case, int32s
from tflite_op_cases_wide import s16


@case("math_abs_elu_max_min_s8", "tg_lut_s8", "tg_lut_s8", "tg_maximum_s8", "tg_minimum_s8")
def _(b, rng):
    """|x| and elu(x) on their own grids, their larger stored value, then the smaller of that
    and a per-channel constant given first."""
    x = act(b, rng, "x", [1, 4, 5, 6])
    a = act(b, rng, "abs", [1, 4, 5, 6])
    e = act(b, rng, "elu", [1, 4, 5, 6])
    m = act(b, rng, "larger", [1, 4, 5, 6])
    c = b.tensor("bound", [6], scale=0.05, zero_point=0, data=rng.integers(-60, 60, 6))
    y = act(b, rng, "y", [1, 4, 5, 6])
    b.op("ABS", [x], [a], "AbsOptions")
    b.op("ELU", [x], [e])
    b.op("MAXIMUM", [a, e], [m], "MaximumMinimumOptions")
    b.op("MINIMUM", [c, m], [y], "MaximumMinimumOptions")
    return [x], [y]


@case("math_abs_one_grid_s8", "tg_lut_s8")
def _(b, rng):
    """ABS with input and output scales equal (no multiplication), zero points apart."""
    x = act(b, rng, "x", [1, 3, 7, 4], scale=0.04, zp=-20)
    y = act(b, rng, "y", [1, 3, 7, 4], scale=0.04, zp=-128)
    b.op("ABS", [x], [y], "AbsOptions")
    return [x], [y]


@case("math_elu_wide_s8", "tg_lut_s8")
def _(b, rng):
    """ELU whose negative side reaches -1 (an input scale of 0.1)."""
    x = act(b, rng, "x", [1, 2, 8, 8], scale=0.1, zp=10)
    y = act(b, rng, "y", [1, 2, 8, 8], scale=0.06, zp=-60)
    b.op("ELU", [x], [y])
    return [x], [y]


@case("math_reduce_max_hw_s8", "tg_reduce_max_s8")
def _(b, rng):
    """A global max pool: REDUCE_MAX over H and W, dimensions kept."""
    x = act(b, rng, "x", [1, 5, 6, 7])
    q = b.tensors[x]
    y = b.tensor("y", [1, 1, 1, 7], scale=q.scale, zero_point=q.zero_point)
    b.op("REDUCE_MAX", [x, int32s(b, "axes", [1, 2])], [y], "ReducerOptions", KeepDims=True)
    return [x], [y]


@case("math_reduce_min_channels_s8", "tg_reduce_min_s8")
def _(b, rng):
    """REDUCE_MIN over the channels (axis -1), dimensions dropped."""
    x = act(b, rng, "x", [1, 4, 6, 9])
    q = b.tensors[x]
    y = b.tensor("y", [1, 4, 6], scale=q.scale, zero_point=q.zero_point)
    b.op("REDUCE_MIN", [x, int32s(b, "axes", [-1])], [y], "ReducerOptions", KeepDims=False)
    return [x], [y]


@case("math_arg_max_channels_s8", "tg_arg_max_s8_s32")
def _(b, rng):
    """A classifier's ARG_MAX over the classes, int32 output; few distinct values, so ties."""
    x = act(b, rng, "x", [1, 3, 4, 10])
    y = b.tensor("y", [1, 3, 4], "int32")
    b.op("ARG_MAX", [x, int32s(b, "axis", [3])], [y], "ArgMaxOptions", OutputType=2)
    return [x], [y]


@case("math_arg_min_rows_s8", "tg_arg_min_s8_s32")
def _(b, rng):
    x = act(b, rng, "x", [1, 6, 4, 3])
    y = b.tensor("y", [1, 4, 3], "int32")
    b.op("ARG_MIN", [x, int32s(b, "axis", [1])], [y], "ArgMinOptions", OutputType=2)
    return [x], [y]


@case("math_s16_abs_max_min", "tg_abs_s16", "tg_maximum_s16", "tg_abs_s16", "tg_minimum_s16")
def _(b, rng):
    """int16: |x| on another grid, the larger of it and x, |x| on x's grid, the smaller of that
    and a broadcast constant row."""
    x = s16(b, rng, "x", [1, 3, 4, 5])
    a = s16(b, rng, "abs", [1, 3, 4, 5])
    m = s16(b, rng, "larger", [1, 3, 4, 5])
    a2 = b.tensor("abs_same", [1, 3, 4, 5], "int16", scale=b.tensors[x].scale, zero_point=0)
    c = b.tensor("row", [1, 1, 4, 1], "int16", scale=0.001, zero_point=0, data=rng.integers(-3000, 3000, 4))
    y = s16(b, rng, "y", [1, 3, 4, 5])
    b.op("ABS", [x], [a], "AbsOptions")
    b.op("MAXIMUM", [x, a], [m], "MaximumMinimumOptions")
    b.op("ABS", [m], [a2], "AbsOptions")
    b.op("MINIMUM", [a2, c], [y], "MaximumMinimumOptions")
    return [x], [y]


# LiteRT's reference resolver has ELU only from operator version 2 (its int8 form); the test
# builder writes version 1 for every operator and TFLite Micro reads no versions
LITERT_DIFFERS.update({"math_abs_elu_max_min_s8": "litert_elu_version", "math_elu_wide_s8": "litert_elu_version"})


def _resize(b, rng, in_shape, size, **options):
    x = act(b, rng, "x", in_shape)
    q = b.tensors[x]
    y = b.tensor("y", [1, *size, in_shape[3]], scale=q.scale, zero_point=q.zero_point)
    b.op("RESIZE_BILINEAR", [x, int32s(b, "size", size)], [y], "ResizeBilinearOptions", **options)
    return [x], [y]


@case("math_resize_bilinear_half_pixel_s8", "tg_resize_bilinear_s8")
def _(b, rng):
    return _resize(b, rng, [1, 3, 5, 4], [7, 9], HalfPixelCenters=True)


@case("math_resize_bilinear_align_corners_s8", "tg_resize_bilinear_s8")
def _(b, rng):
    return _resize(b, rng, [1, 4, 3, 3], [9, 8], AlignCorners=True)


@case("math_resize_bilinear_plain_down_s8", "tg_resize_bilinear_s8")
def _(b, rng):
    """Neither option, and a downscale on one axis."""
    return _resize(b, rng, [1, 6, 4, 5], [4, 10])


@case("math_l2_norm_s8", "tg_l2_norm_s8")
def _(b, rng):
    """L2_NORMALIZATION over 24 channels; the output on TFLite's grid 1/128, zero point 0."""
    x = act(b, rng, "x", [1, 3, 2, 24])
    y = b.tensor("y", [1, 3, 2, 24], scale=1 / 128, zero_point=0)
    b.op("L2_NORMALIZATION", [x], [y], "L2NormOptions")
    return [x], [y]


@case("math_l2_norm_rows_s8", "tg_l2_norm_s8")
def _(b, rng):
    """Rows of 3 (large multipliers) of a 2-D tensor."""
    x = act(b, rng, "x", [40, 3], scale=0.02, zp=-5)
    y = b.tensor("y", [40, 3], scale=1 / 128, zero_point=0)
    b.op("L2_NORMALIZATION", [x], [y], "L2NormOptions")
    return [x], [y]
