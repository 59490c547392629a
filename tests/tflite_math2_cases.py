"""The .tflite cases of the int8 operators that add or normalize quantized values (registered
in tflite_op_cases.CASES, which imports this module): ADD_N (three inputs on one grid), CUMSUM
(inclusive, exclusive, reversed, along inner and outer axes), LOG_SOFTMAX (its output on
TFLite's grid 16/256, zero point 127). Each is checked against TFLite Micro by
tests/frontend/test_tflite_ops.py."""

from __future__ import annotations

from tflite_op_cases import LITERT_DIFFERS, act, case, int32s


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
