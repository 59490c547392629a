"""The .tflite cases of the int8 operators that add or normalize quantized values (registered
in tflite_op_cases.CASES, which imports this module): ADD_N (three inputs on one grid), CUMSUM
(inclusive, exclusive, reversed, along inner and outer axes), LOG_SOFTMAX (its output on
TFLite's grid 16/256, zero point 127). Each is checked against TFLite Micro by
tests/frontend/test_tflite_ops.py."""

from __future__ import annotations

import numpy as np
from tflite_op_cases import LITERT_DIFFERS, act, case, int32s
from tflite_op_cases_wide import f32


def on_grid(b, like: int, name: str, shape) -> int:
    q = b.tensors[like]
    return b.tensor(name, shape, scale=q.scale, zero_point=q.zero_point)


@case("math_add_n_three_s8", "tg_maximum_s8", "tg_minimum_s8", "tg_add_n_s8")
def _(b, rng):
    """x, its larger and its smaller value against constants (on x's grid), summed by ADD_N."""
    shape = [1, 4, 5, 6]
    x = act(b, rng, "x", shape)
    q = b.tensors[x]
    lo = b.tensor("lo", [6], scale=q.scale, zero_point=q.zero_point, data=rng.integers(-128, 0, 6))
    hi = b.tensor("hi", [6], scale=q.scale, zero_point=q.zero_point, data=rng.integers(0, 128, 6))
    a, m = on_grid(b, x, "above", shape), on_grid(b, x, "below", shape)
    y = act(b, rng, "y", shape)
    b.op("MAXIMUM", [x, lo], [a], "MaximumMinimumOptions")
    b.op("MINIMUM", [x, hi], [m], "MaximumMinimumOptions")
    b.op("ADD_N", [x, a, m], [y], "AddNOptions")
    return [x], [y]


@case("math_cumsum_rows_exclusive_s8", "tg_cumsum_s8")
def _(b, rng):
    """Along axis 1 of 4 (values before and after it), each output the sum before its value."""
    x = act(b, rng, "x", [2, 7, 3, 4])
    y = act(b, rng, "y", [2, 7, 3, 4], scale=0.3)
    b.op("CUMSUM", [x, int32s(b, "axis", [1])], [y], "CumsumOptions", Exclusive=True)
    return [x], [y]


@case("math_cumsum_last_reverse_s8", "tg_cumsum_s8")
def _(b, rng):
    """Along the last axis (given as -1), from its end, inclusive; long enough to saturate."""
    x = act(b, rng, "x", [3, 40])
    y = act(b, rng, "y", [3, 40])
    b.op("CUMSUM", [x, int32s(b, "axis", [-1])], [y], "CumsumOptions", Reverse=True)
    return [x], [y]


@case("math_cumsum_first_both_s8", "tg_cumsum_s8")
def _(b, rng):
    """Along the first axis, reversed and exclusive."""
    x = act(b, rng, "x", [5, 3, 6])
    y = act(b, rng, "y", [5, 3, 6], scale=0.2)
    b.op("CUMSUM", [x, int32s(b, "axis", [0])], [y], "CumsumOptions", Exclusive=True, Reverse=True)
    return [x], [y]


@case("math_log_softmax_s8", "tg_log_softmax_s8")
def _(b, rng):
    """Rows of 10 classes."""
    x = act(b, rng, "x", [1, 4, 3, 10])
    y = b.tensor("y", [1, 4, 3, 10], scale=16 / 256, zero_point=127)
    b.op("LOG_SOFTMAX", [x], [y], "LogSoftmaxOptions")
    return [x], [y]


@case("math_log_softmax_wide_s8", "tg_log_softmax_s8")
def _(b, rng):
    """A large input scale (differences beyond diff_min) and long rows."""
    x = act(b, rng, "x", [6, 100], scale=0.5, zp=3)
    y = b.tensor("y", [6, 100], scale=16 / 256, zero_point=127)
    b.op("LOG_SOFTMAX", [x], [y], "LogSoftmaxOptions")
    return [x], [y]


# LiteRT's ADD_N takes float32 and int32 only ("AddN only supports FLOAT32|INT32"); TFLite Micro has an int8 one
LITERT_DIFFERS["math_add_n_three_s8"] = "litert_no_int8_add_n"
# ... and its CUMSUM int32, int64 and float32 only
LITERT_DIFFERS.update({name: "litert_no_int8_cumsum" for name in
                       ("math_cumsum_rows_exclusive_s8", "math_cumsum_last_reverse_s8", "math_cumsum_first_both_s8")})


# -- float32 (a float model run as it is: tinygen/ref/mathops_f32.py) -------------------------------

def _f32_scalar(b, name: str, value: float) -> int:
    return b.tensor(name, [1], "float32", data=np.array([value], np.float32))


@case("f32_math_exact_unary_add_n", "tg_mul_f32", "tg_floor_f32", "tg_mul_f32", "tg_round_f32", "tg_ceil_f32",
      "tg_neg_f32", "tg_abs_f32", "tg_sqrt_f32", "tg_square_f32", "tg_add_n_f32")
def _(b, rng):
    """The libm-exact functions: ROUND of floor(4x) / 2 (exact halves: ties to even), CEIL, SQRT
    of |-x|, SQUARE, summed by ADD_N."""
    shape = [1, 4, 5, 6]
    x, m, f, h, r, c, n, a, s, q, y = (f32(b, name, shape) for name in
                                       ("x", "x4", "floor", "halves", "round", "ceil", "neg", "abs", "sqrt", "square",
                                        "y"))
    b.op("MUL", [x, _f32_scalar(b, "four", 4.0)], [m], "MulOptions")
    b.op("FLOOR", [m], [f])
    b.op("MUL", [f, _f32_scalar(b, "half", 0.5)], [h], "MulOptions")
    b.op("ROUND", [h], [r])
    b.op("CEIL", [x], [c])
    b.op("NEG", [x], [n])
    b.op("ABS", [n], [a], "AbsOptions")
    b.op("SQRT", [a], [s])
    b.op("SQUARE", [x], [q], "SquareOptions")
    b.op("ADD_N", [r, c, s, q], [y], "AddNOptions")
    return [x], [y]


@case("f32_math_floor_div_mod", "tg_floor_div_f32", "tg_floor_mod_f32", "tg_floor_div_f32", "tg_add_n_f32")
def _(b, rng):
    """FLOOR_DIV by a broadcast constant row, FLOOR_MOD by constants of both signs, FLOOR_DIV of two
    activations; summed."""
    shape = [1, 4, 5, 6]
    x, d, m, e, y = (f32(b, name, shape) for name in ("x", "div", "mod", "div2", "y"))
    divisors = rng.choice([-1, 1], 6) * rng.uniform(0.3, 2.5, 6)
    c1 = b.tensor("divisor", [6], "float32", data=divisors.astype(np.float32))
    c2 = b.tensor("modulus", [1, 1, 5, 1], "float32", data=(rng.choice([-1, 1], 5) * rng.uniform(0.2, 1.5, 5))
                  .reshape(1, 1, 5, 1).astype(np.float32))
    b.op("FLOOR_DIV", [x, c1], [d], "FloorDivOptions")
    b.op("FLOOR_MOD", [x, c2], [m], "FloorModOptions")
    b.op("FLOOR_DIV", [m, x], [e], "FloorDivOptions")
    b.op("ADD_N", [d, m, e], [y], "AddNOptions")
    return [x], [y]


@case("f32_math_reduce_max_hw", "tg_reduce_max_f32")
def _(b, rng):
    x, y = f32(b, "x", [1, 5, 6, 7]), f32(b, "y", [1, 1, 1, 7])
    b.op("REDUCE_MAX", [x, int32s(b, "axes", [1, 2])], [y], "ReducerOptions", KeepDims=True)
    return [x], [y]


@case("f32_math_reduce_min_channels", "tg_reduce_min_f32")
def _(b, rng):
    x, y = f32(b, "x", [1, 4, 6, 9]), f32(b, "y", [1, 4, 6])
    b.op("REDUCE_MIN", [x, int32s(b, "axes", [-1])], [y], "ReducerOptions", KeepDims=False)
    return [x], [y]


@case("f32_math_arg_max", "tg_floor_f32", "tg_arg_max_f32_s32")
def _(b, rng):
    """ARG_MAX over the channels of floor(x): ties keep the first index."""
    x, f, y = f32(b, "x", [1, 3, 4, 10]), f32(b, "floor", [1, 3, 4, 10]), b.tensor("y", [1, 3, 4], "int32")
    b.op("FLOOR", [x], [f])
    b.op("ARG_MAX", [f, int32s(b, "axis", [3])], [y], "ArgMaxOptions", OutputType=2)
    return [x], [y]


@case("f32_math_arg_min", "tg_arg_min_f32_s32")
def _(b, rng):
    x, y = f32(b, "x", [1, 6, 4, 3]), b.tensor("y", [1, 4, 3], "int32")
    b.op("ARG_MIN", [x, int32s(b, "axis", [1])], [y], "ArgMinOptions", OutputType=2)
    return [x], [y]


@case("f32_math_cumsum", "tg_cumsum_f32", "tg_cumsum_f32")
def _(b, rng):
    """CUMSUM along axis 1, reversed and exclusive, then along the last axis."""
    x, c, y = f32(b, "x", [2, 7, 3, 4]), f32(b, "rows", [2, 7, 3, 4]), f32(b, "y", [2, 7, 3, 4])
    b.op("CUMSUM", [x, int32s(b, "axis1", [1])], [c], "CumsumOptions", Exclusive=True, Reverse=True)
    b.op("CUMSUM", [c, int32s(b, "axis3", [-1])], [y], "CumsumOptions")
    return [x], [y]


@case("f32_math_libm", "tg_exp_f32", "tg_log_f32", "tg_cos_f32", "tg_sin_f32", "tg_elu_f32", "tg_add_n_f32")
def _(b, rng):
    """The functions calling the C library: log(exp(x)), cos, sin, elu (expm1f), summed."""
    shape = [1, 4, 5, 6]
    x, e, lg, c, s, u, y = (f32(b, name, shape) for name in ("x", "exp", "log", "cos", "sin", "elu", "y"))
    b.op("EXP", [x], [e], "ExpOptions")
    b.op("LOG", [e], [lg])
    b.op("COS", [x], [c], "CosOptions")
    b.op("SIN", [lg], [s])
    b.op("ELU", [x], [u])
    b.op("ADD_N", [c, s, u], [y], "AddNOptions")
    return [x], [y]

# LiteRT's reference resolver has ROUND and ELU from operator version 2 only (the test builder writes 1)
LITERT_DIFFERS.update({"f32_math_exact_unary_add_n": "litert_round_version", "f32_math_libm": "litert_elu_version"})
