"""numpy twins of TFLite Micro's int8 operators that add or normalize quantized values
(firmware/kernels/math/, tg_kernels_math.h): ADD_N, CUMSUM and LOG_SOFTMAX, with the
parameters their Prepare computes. Twins are named like the C kernel minus ``tg_``.

ADD_N and CUMSUM scale each input value as TFLite's ADD does one operand (x - zero point,
shifted left 20 bits, times 1/2 by MultiplyByQuantizedMultiplierSmallerThanOneExp), add them in
int32 and requantize the sum to the output. Their accumulator does not start at 0, as the
reference kernels' comments say, but at the scaled input offset (the scaling of a stored 0);
tinygen mirrors that, since TFLite Micro computes it. LOG_SOFTMAX is TFLite's
LogSoftmaxQuantized: exp of the differences to the row maximum in Q5.26, their sum in Q12, its
log (gemmlowp's log_x_for_x_greater_than_or_equal_to_1) subtracted, the output on the grid TFLite
Micro requires (scale 16/256, zero point 127)."""

from __future__ import annotations

import math

import numpy as np

from tinygen.quant import fixedpoint as fp
from tinygen.quant.op_params import ADD_LEFT_SHIFT, calculate_input_radius
from tinygen.ref.gemmlowp import _exp_on_negative_values, _log_x_ge_1

SUM_LEFT_SHIFT = ADD_LEFT_SHIFT     # TFLite Micro's kAddNIntegerShift, kCumSumIntegerShift (TG_SUM_LEFT_SHIFT)


# -- ADD_N, CUMSUM: int8 values scaled onto one int32 grid and added ------------------------------

def sum_scale(si: float, zi: int, so: float, zo: int) -> dict:
    """The scaling fields ADD_N's and CUMSUM's Prepare compute (in double from the float32
    scales): the input times 1/2 after its 20-bit shift, the sum times 2 si / (2^20 so)."""
    twice = 2 * float(np.float32(si))
    mi, shi = fp.quantize_multiplier_smaller_than_one_exp(float(np.float32(si)) / twice)
    mo, sho = fp.quantize_multiplier_smaller_than_one_exp(twice / ((1 << SUM_LEFT_SHIFT) * float(np.float32(so))))
    return {"input_offset": -int(zi), "input_multiplier": mi, "input_shift": shi,
            "output_multiplier": mo, "output_shift": sho, "output_offset": int(zo)}


def _scaled(p: dict, q) -> np.ndarray:
    """tg_sum_scaled: (q + input offset) << 20, times the input multiplier."""
    shifted = (np.asarray(q, np.int64) + p["input_offset"]) << SUM_LEFT_SHIFT
    return fp.multiply_by_quantized_multiplier_smaller_than_one_exp(shifted, p["input_multiplier"],
                                                                    p["input_shift"])


def _output(p: dict, acc) -> np.ndarray:
    """tg_sum_output: the int32 sum requantized, plus the output zero point, saturated to int8."""
    out = fp.multiply_by_quantized_multiplier_smaller_than_one_exp(fp.wrap_int32(acc), p["output_multiplier"],
                                                                   p["output_shift"])
    return np.clip(out + p["output_offset"], -128, 127).astype(np.int8)


def add_n_s8(p: dict, inputs) -> np.ndarray:
    """Mirrors tg_add_n_s8: per element, the scaled input offset plus every input's scaled value
    (int32, wrapping), requantized."""
    acc = _scaled(p, 0)
    for x in inputs:
        acc = fp.wrap_int32(acc + _scaled(p, np.asarray(x).reshape(-1)))
    return _output(p, acc * np.ones(p["size"], np.int64))


def cumsum_s8(p: dict, x) -> np.ndarray:
    """Mirrors tg_cumsum_s8: along the axis of [outer][depth][inner] (backwards when reverse),
    the running sum from the scaled input offset, each output before (exclusive) or after its
    own value is added."""
    v = _scaled(p, np.asarray(x, np.int64).reshape(p["outer"], p["depth"], p["inner"]))
    if p["reverse"]:
        v = v[:, ::-1]
    running = fp.wrap_int32(_scaled(p, 0) + np.cumsum(v, axis=1))     # wraps as the C's int32 does
    if p["exclusive"]:
        running = np.concatenate([np.broadcast_to(_scaled(p, 0), v[:, :1].shape), running[:, :-1]], axis=1)
    if p["reverse"]:
        running = running[:, ::-1]
    return _output(p, running).reshape(-1)


# -- LOG_SOFTMAX ---------------------------------------------------------------------------------

LOG_SOFTMAX_OUTPUT_SCALE = 16.0 / 256     # TFLite Micro requires the output on this grid
LOG_SOFTMAX_OUTPUT_ZERO_POINT = 127
_INPUT_BITS, _ACCUM_BITS, _OUTPUT_BITS = 5, 12, 4      # Q5.26 differences, Q12 sums, Q4 output


def log_softmax_params(rows: int, depth: int, si: float) -> dict:
    """tg_log_softmax_params_t as TFLite Micro's Prepare computes it (PreprocessLogSoftmaxScalingExp
    with beta 1, in double): the input multiplier into Q5.26, its reverse, and diff_min."""
    real = min(float(np.float32(si)) * float(1 << (31 - _INPUT_BITS)), float((1 << 31) - 1))
    multiplier, left_shift = fp.quantize_multiplier_greater_than_one(real)
    reverse, reverse_shift = fp.quantize_multiplier_smaller_than_one_exp((1 << (31 - left_shift)) / float(multiplier))
    return {"rows": int(rows), "depth": int(depth), "input_multiplier": multiplier, "input_left_shift": left_shift,
            "reverse_multiplier": reverse, "reverse_shift": reverse_shift,
            "diff_min": -calculate_input_radius(_INPUT_BITS, left_shift)}


def log_softmax_s8(p: dict, x) -> np.ndarray:
    """Mirrors tg_log_softmax_s8: per row, the differences to its maximum in Q5.26, the sum of
    their exps (those at or above diff_min) in Q12, its log in Q5; each output the difference
    minus that log in Q4 plus 127, or -128 at or below the adjusted diff_min."""
    v = np.asarray(x, np.int64).reshape(p["rows"], p["depth"])
    diff = v - v.max(axis=1, keepdims=True)
    d5 = fp.multiply_by_quantized_multiplier(diff, p["input_multiplier"], p["input_left_shift"])
    exps = fp.rounding_divide_by_pot(_exp_on_negative_values(d5, _INPUT_BITS), _ACCUM_BITS)
    sums = fp.wrap_int32(np.where(diff >= p["diff_min"], exps, 0).sum(axis=1))
    log_sum = _log_x_ge_1(sums, _ACCUM_BITS, _INPUT_BITS)[:, None]
    bound = fp.multiply_by_quantized_multiplier(log_sum + fp.INT32_MIN, p["reverse_multiplier"], p["reverse_shift"])
    adjusted = np.maximum(p["diff_min"] - 1, bound)
    out = fp.rounding_divide_by_pot(fp.wrap_int32(d5 - log_sum), 31 - _INPUT_BITS - _OUTPUT_BITS) + 127
    return np.where(diff > adjusted, np.clip(out, -128, 127), -128).astype(np.int8).reshape(-1)


def axis_layout(shape, axis: int) -> tuple[int, int, int]:
    """(outer, depth, inner) of a walk along `axis` of a row-major shape."""
    return math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:])
