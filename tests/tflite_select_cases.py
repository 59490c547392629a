"""The .tflite cases of comparisons and selection with bool tensors (registered in
tflite_op_cases.CASES, which imports this module): EQUAL .. GREATER_EQUAL on int8 (each operand
rescaled by TFLite Micro), int32 (a model of plain integers), float32 and bool, LOGICAL_AND / OR /
NOT, SELECT_V2 on int8, int16 and float32; constants and broadcasting on either side."""

from __future__ import annotations

import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType as Act

from tflite_op_cases import act, case, const
from tflite_op_cases_wide import f32, f32_const, s16


def flag(b, name: str, shape) -> int:
    return b.tensor(name, shape, "bool")


@case("cmp_greater_channel_const", "tg_compare_s8")
def _(b, rng):
    """x > a per-channel threshold on another grid: a bool output."""
    x, t = act(b, rng, "x", [1, 4, 5, 8]), const(b, rng, "threshold", [8])
    y = flag(b, "y", [1, 4, 5, 8])
    b.op("GREATER", [x, t], [y])
    return [x], [y]


@case("cmp_less_equal_two_grids", "tg_mul_s8", "tg_compare_s8")
def _(b, rng):
    """x <= x * k requantized onto a coarser grid: operands of two scales and zero points."""
    x = act(b, rng, "x", [1, 6, 10], scale=0.03, zp=5)
    m = act(b, rng, "scaled", [1, 6, 10], scale=0.07, zp=-9)
    b.op("MUL", [x, const(b, rng, "k", [])], [m], "MulOptions", FusedActivationFunction=Act.NONE)
    y = flag(b, "y", [1, 6, 10])
    b.op("LESS_EQUAL", [x, m], [y])
    return [x], [y]


@case("cmp_equal_scalar_first", "tg_clamp_s8", "tg_compare_s8", "tg_compare_s8")
def _(b, rng):
    """NOT_EQUAL of x and RELU(x) on the same grid; EQUAL of a constant first operand (one value on
    another grid) and x as a second output."""
    x = act(b, rng, "x", [2, 30], scale=0.02, zp=0)
    r = act(b, rng, "relu", [2, 30], scale=0.02, zp=0)
    b.op("RELU", [x], [r])
    v = b.tensor("value", [], scale=0.04, zero_point=1, data=np.int8(2))
    n, e = flag(b, "ne", [2, 30]), flag(b, "eq", [2, 30])
    b.op("NOT_EQUAL", [x, r], [n])
    b.op("EQUAL", [v, x], [e])
    return [x], [n, e]


@case("cmp_logical_band", "tg_compare_s8", "tg_compare_s8", "tg_logical_bool", "tg_logical_bool", "tg_logical_bool",
      "tg_compare_bool")
def _(b, rng):
    """lo < x < hi as LOGICAL_AND of two comparisons, its LOGICAL_NOT, their LOGICAL_OR with a
    broadcast row, and the bools' EQUAL to the first."""
    x = act(b, rng, "x", [1, 3, 4, 6], scale=0.05, zp=-4)
    above, below = flag(b, "above", [1, 3, 4, 6]), flag(b, "below", [1, 3, 4, 6])
    b.op("GREATER_EQUAL", [x, const(b, rng, "lo", [])], [above])
    b.op("LESS", [x, const(b, rng, "hi", [1, 1, 4, 1])], [below])
    inside, outside, either = (flag(b, n, [1, 3, 4, 6]) for n in ("inside", "outside", "either"))
    b.op("LOGICAL_AND", [above, below], [inside])
    b.op("LOGICAL_NOT", [inside], [outside])
    row = b.tensor("row", [6], "bool", data=np.array([1, 0, 0, 1, 0, 0], bool))
    b.op("LOGICAL_OR", [outside, row], [either])
    same = flag(b, "same", [1, 3, 4, 6])
    b.op("EQUAL", [either, above], [same])
    return [x], [same]


@case("select_relu_like", "tg_compare_s8", "tg_select")
def _(b, rng):
    """SELECT_V2(x > 0, x, fill per channel): the bytes of x or of a constant, no requantizing."""
    x = act(b, rng, "x", [1, 5, 4, 6])
    q = b.tensors[x]
    cond = flag(b, "positive", [1, 5, 4, 6])
    zero = b.tensor("zero", [], scale=q.scale, zero_point=q.zero_point, data=np.int8(q.zero_point[0]))
    b.op("GREATER", [x, zero], [cond])
    fill = b.tensor("fill", [6], scale=q.scale, zero_point=q.zero_point, data=rng.integers(-128, 128, 6))
    y = b.tensor("y", [1, 5, 4, 6], scale=q.scale, zero_point=q.zero_point)
    b.op("SELECT_V2", [cond, x, fill], [y])
    return [x], [y]


@case("select_broadcast_condition", "tg_mul_s8", "tg_strided_slice_s8", "tg_compare_s8", "tg_select")
def _(b, rng):
    """A condition of one row [1, 1, W, 1] (sliced from x) choosing between x and x * k."""
    x = act(b, rng, "x", [1, 3, 4, 5])
    q = b.tensors[x]
    m = b.tensor("scaled", [1, 3, 4, 5], scale=q.scale, zero_point=q.zero_point)
    b.op("MUL", [x, const(b, rng, "k", [])], [m], "MulOptions", FusedActivationFunction=Act.NONE)
    row = act(b, rng, "row", [1, 1, 4, 1], scale=q.scale, zp=q.zero_point[0])
    b.op("STRIDED_SLICE", [x, *(b.tensor(n, [4], "int32", data=v) for n, v in
                                (("begin", [0, 2, 0, 3]), ("end", [1, 3, 4, 4]), ("strides", [1, 1, 1, 1])))],
         [row], "StridedSliceOptions")
    cond = flag(b, "cond", [1, 1, 4, 1])
    b.op("LESS", [row, const(b, rng, "t", [])], [cond])
    y = b.tensor("y", [1, 3, 4, 5], scale=q.scale, zero_point=q.zero_point)
    b.op("SELECT_V2", [cond, m, x], [y])
    return [x], [y]


@case("s16_select_constant_condition", "tg_select")
def _(b, rng):
    """int16 SELECT_V2 whose condition is a constant mask over channels, the other side a constant."""
    x = s16(b, rng, "x", [1, 4, 4, 8])
    q = b.tensors[x]
    mask = b.tensor("mask", [8], "bool", data=rng.random(8) < 0.5)
    other = b.tensor("other", [1, 4, 1, 8], "int16", scale=q.scale, zero_point=0,
                     data=rng.integers(-32768, 32768, (1, 4, 1, 8)))
    y = b.tensor("y", [1, 4, 4, 8], "int16", scale=q.scale, zero_point=0)
    b.op("SELECT_V2", [mask, other, x], [y])
    return [x], [y]


@case("f32_compare_select", "tg_compare_f32", "tg_select", "tg_compare_f32")
def _(b, rng):
    """A float model: SELECT_V2(x < t, x, c) and x == 0 as a second (bool) output."""
    x = f32(b, "x", [1, 3, 4, 5])
    cond, zero = flag(b, "cond", [1, 3, 4, 5]), flag(b, "is_zero", [1, 3, 4, 5])
    b.op("LESS", [x, f32_const(b, rng, "t", [5], 2.0)], [cond])
    b.op("EQUAL", [x, b.tensor("zero", [], "float32", data=np.float32(0))], [zero])
    y = f32(b, "y", [1, 3, 4, 5])
    b.op("SELECT_V2", [cond, x, f32_const(b, rng, "c", [1, 3, 1, 1])], [y])
    return [x], [y, zero]


@case("s32_plain_compare", "tg_compare_s32", "tg_compare_s32", "tg_logical_bool")
def _(b, rng):
    """Plain int32 (no quantization): x > -5e8 or x == 7, as a stateful front end's threshold test."""
    x = b.tensor("x", [2, 16], "int32")
    g, e, y = flag(b, "g", [2, 16]), flag(b, "e", [2, 16]), flag(b, "y", [2, 16])
    b.op("GREATER", [x, b.tensor("t", [], "int32", data=np.int32(-500_000_000))], [g])
    b.op("EQUAL", [b.tensor("seven", [16], "int32", data=np.full(16, 7)), x], [e])
    b.op("LOGICAL_OR", [g, e], [y])
    return [x], [y]
