"""Integer-exact numpy twins of the portable C kernels in firmware/kernels/.

One function per C kernel, named like it minus the ``tg_`` prefix. Each takes
``p``, a dict whose keys are exactly the fields of the C kernel's params struct
(the code generator renders the same dict as the struct initializer), and the
same arrays the C function takes; it returns the int8 output the C kernel
writes, byte for byte.

Requantization goes through tinygen.quant.fixedpoint. The gemmlowp fixed-point
functions that softmax and logistic need (exp, 1/(1+x), logistic) are private
helpers here, mirroring the ones in firmware/kernels/tg_requant.h.

Convolutions run as one matrix product over an im2col view. The product is
taken in float64, which is exact here: every product of an int8 weight and an
offset input is below 2^15 in magnitude, so every partial sum of any summation
order is an integer far below 2^53.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from tinygen.quant import fixedpoint as fp

INT8_MIN = -128
INT8_MAX = 127

_SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5
_SOFTMAX_ACCUMULATION_INTEGER_BITS = 12
_LOGISTIC_INPUT_INTEGER_BITS = 4
_LOGISTIC_OUTPUT_INTEGER_BITS = 8


# ----------------------------------------------------------------------------
# shared helpers
# ----------------------------------------------------------------------------

def _i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def _clamp_to_int8(x, act_min: int, act_max: int) -> np.ndarray:
    return np.clip(x, act_min, act_max).astype(np.int8)


def _requantize_per_channel(acc, bias, multiplier, shift, p) -> np.ndarray:
    """acc [..., C] int64 -> int8, as the tail of tg_conv2d_s8 / tg_fully_connected_s8."""
    if bias is not None:
        acc = acc + _i64(bias)
    out = fp.multiply_by_quantized_multiplier(acc, _i64(multiplier), _i64(shift))
    return _clamp_to_int8(out + p["output_offset"], p["act_min"], p["act_max"])


def _windows(x: np.ndarray, out_h: int, out_w: int, kernel_h: int, kernel_w: int,
             stride_h: int, stride_w: int, dilation_h: int, dilation_w: int,
             pad_top: int, pad_left: int, pad_value) -> np.ndarray:
    """Window view [out_h, out_w, kernel_h, kernel_w, C] of x [H, W, C], padded with pad_value."""
    in_h, in_w, c = x.shape
    need_h = (out_h - 1) * stride_h + (kernel_h - 1) * dilation_h + 1
    need_w = (out_w - 1) * stride_w + (kernel_w - 1) * dilation_w + 1
    pad_bottom = max(need_h - pad_top - in_h, 0)
    pad_right = max(need_w - pad_left - in_w, 0)
    xp = np.pad(x, ((pad_top, pad_bottom), (pad_left, pad_right), (0, 0)),
                constant_values=pad_value)
    sh, sw, sc = xp.strides
    return as_strided(xp, shape=(out_h, out_w, kernel_h, kernel_w, c),
                      strides=(stride_h * sh, stride_w * sw, dilation_h * sh, dilation_w * sw, sc),
                      writeable=False)


def _conv_windows(p, input, pad_value) -> np.ndarray:
    x = np.asarray(input).reshape(p["in_h"], p["in_w"], p["in_c"])
    return _windows(x, p["out_h"], p["out_w"], p["kernel_h"], p["kernel_w"],
                    p["stride_h"], p["stride_w"], p["dilation_h"], p["dilation_w"],
                    p["pad_top"], p["pad_left"], pad_value)


def _pool_windows(p, input, pad_value) -> np.ndarray:
    x = np.asarray(input).reshape(p["in_h"], p["in_w"], p["channels"])
    return _windows(x, p["out_h"], p["out_w"], p["kernel_h"], p["kernel_w"],
                    p["stride_h"], p["stride_w"], 1, 1, p["pad_top"], p["pad_left"], pad_value)


def _bit_length(x: np.ndarray) -> np.ndarray:
    """Number of significant bits of non-negative int64 values below 2^32."""
    x = x.copy()
    n = np.zeros_like(x)
    for s in (16, 8, 4, 2, 1):
        big = x >= (np.int64(1) << s)
        n += np.where(big, s, 0)
        x = np.where(big, x >> s, x)
    return n + (x > 0)


# ----------------------------------------------------------------------------
# gemmlowp fixed-point functions (mirror firmware/kernels/tg_requant.h)
# ----------------------------------------------------------------------------

def _srdhm(a, b) -> np.ndarray:
    return fp.saturating_rounding_doubling_high_mul(a, b)


def _rdbpot(x, exponent) -> np.ndarray:
    return fp.rounding_divide_by_pot(x, exponent)


def _saturating_shift_left(x, exponent: int) -> np.ndarray:
    """tg_saturating_shift_left (gemmlowp SaturatingRoundingMultiplyByPOT, exponent > 0)."""
    threshold = (1 << (31 - exponent)) - 1
    x = _i64(x)
    return np.where(x > threshold, fp.INT32_MAX,
                    np.where(x < -threshold, fp.INT32_MIN, x << exponent))


def _exp_on_interval_neg_quarter_to_0(a) -> np.ndarray:
    """tg_exp_on_interval_neg_quarter_to_0: exp(a), a in [-1/4, 0), Q0 -> Q0."""
    exp_minus_one_eighth = 1895147668
    one_third = 715827883
    x = _i64(a) + (1 << 28)
    x2 = _srdhm(x, x)
    x3 = _srdhm(x2, x)
    x4 = _srdhm(x2, x2)
    x4_over_4 = _rdbpot(x4, 2)
    poly = _rdbpot(_srdhm(x4_over_4 + x3, one_third) + x2, 1)
    return exp_minus_one_eighth + _srdhm(exp_minus_one_eighth, x + poly)


_EXP_OF_MINUS_POT = {-2: 1672461947, -1: 1302514674, 0: 790015084, 1: 290630308,
                     2: 39332535, 3: 720401, 4: 242}


def _exp_on_negative_values(a, integer_bits: int) -> np.ndarray:
    """tg_exp_on_negative_values: exp(a) for a <= 0 in Q(integer_bits), result Q0."""
    a = _i64(a)
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    mask = one_quarter - 1
    a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter
    result = _exp_on_interval_neg_quarter_to_0(
        _saturating_shift_left(a_mod_quarter_minus_one_quarter, integer_bits))
    remainder = a_mod_quarter_minus_one_quarter - a
    for e, multiplier in _EXP_OF_MINUS_POT.items():
        if integer_bits > e:
            bit = 1 << (fractional_bits + e)
            result = np.where(remainder & bit, _srdhm(result, multiplier), result)
    if integer_bits > 5:
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return np.where(a == 0, fp.INT32_MAX, result)


def _one_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    """tg_one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a), a in [0, 1), Q0 -> Q0."""
    s = _i64(a) + fp.INT32_MAX
    # gemmlowp RoundingHalfSum: (s + sign(s)) / 2 truncated toward zero
    half_denominator = np.where(s >= 0, (s + 1) // 2, -((-s + 1) // 2))
    x = 1515870810 + _srdhm(half_denominator, -1010580540)
    for _ in range(3):
        one_minus_half_denominator_times_x = (1 << 29) - _srdhm(half_denominator, x)
        x = x + _saturating_shift_left(_srdhm(x, one_minus_half_denominator_times_x), 2)
    return _saturating_shift_left(x, 1)


def _logistic_q0(a, integer_bits: int) -> np.ndarray:
    """tg_logistic_q0: 1 / (1 + exp(-a)), a in Q(integer_bits), result Q0."""
    a = _i64(a)
    abs_a = np.where(a > 0, a, fp.wrap_int32(-a))
    result_if_positive = _one_over_one_plus_x_for_x_in_0_1(
        _exp_on_negative_values(fp.wrap_int32(-abs_a), integer_bits))
    result = np.where(a > 0, result_if_positive, fp.INT32_MAX - result_if_positive)
    return np.where(a == 0, 1 << 30, result)


# ----------------------------------------------------------------------------
# kernels
# ----------------------------------------------------------------------------

def conv2d_s8(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_conv2d_s8. weights [out_c, kh, kw, in_c]; returns int8 [out_h, out_w, out_c]."""
    win = _conv_windows(p, np.asarray(input, dtype=np.float64) + p["input_offset"], 0.0)
    cols = win.reshape(p["out_h"] * p["out_w"], -1)  # im2col: one copy
    w = np.asarray(weights, dtype=np.float64).reshape(p["out_c"], -1)
    acc = (cols @ w.T).astype(np.int64)
    out = _requantize_per_channel(acc, bias, multiplier, shift, p)
    return out.reshape(p["out_h"], p["out_w"], p["out_c"])


def depthwise_conv2d_s8(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_depthwise_conv2d_s8. weights [1, kh, kw, out_c] or [kh, kw, out_c];
    output channel oc reads input channel oc // depth_multiplier. Returns int8 [out_h, out_w, out_c].
    """
    win = _conv_windows(p, np.asarray(input, dtype=np.int64) + p["input_offset"], 0)
    win = np.repeat(win, p["depth_multiplier"], axis=4)  # [oh, ow, kh, kw, out_c]
    w = np.asarray(weights, dtype=np.int64).reshape(p["kernel_h"], p["kernel_w"], p["out_c"])
    acc = np.einsum("yxhwc,hwc->yxc", win, w)
    return _requantize_per_channel(acc, bias, multiplier, shift, p)


def fully_connected_s8(p: dict, input, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_fully_connected_s8. weights [out_features, in_features];
    returns int8 [rows, out_features]."""
    x = np.asarray(input, dtype=np.float64).reshape(p["rows"], p["in_features"]) + p["input_offset"]
    w = np.asarray(weights, dtype=np.float64).reshape(p["out_features"], p["in_features"])
    acc = (x @ w.T).astype(np.int64)
    return _requantize_per_channel(acc, bias, multiplier, shift, p)


def max_pool2d_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_max_pool2d_s8; returns int8 [out_h, out_w, channels].

    Out-of-bounds positions hold -128, the value the C kernel's maximum starts from.
    """
    win = _pool_windows(p, np.asarray(input, dtype=np.int8), INT8_MIN)
    return _clamp_to_int8(win.max(axis=(2, 3)), p["act_min"], p["act_max"])


def avg_pool2d_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_avg_pool2d_s8; returns int8 [out_h, out_w, channels]."""
    x = np.asarray(input, dtype=np.int64)
    sums = _pool_windows(p, x, 0).sum(axis=(2, 3))
    ones = np.ones((p["in_h"], p["in_w"], 1), dtype=np.int64)
    counts = _windows(ones, p["out_h"], p["out_w"], p["kernel_h"], p["kernel_w"],
                      p["stride_h"], p["stride_w"], 1, 1, p["pad_top"], p["pad_left"],
                      0).sum(axis=(2, 3))  # in-bounds elements, [oh, ow, 1]
    if p["count_include_pad"]:
        window = p["kernel_h"] * p["kernel_w"]
        sums = sums + (window - counts) * p["zero_point"]
        counts = np.full_like(counts, window)
    safe = np.maximum(counts, 1)
    half = safe // 2
    # C integer division truncates toward zero; halves go away from zero
    avg = np.where(sums > 0, (sums + half) // safe, -((-sums + half) // safe))
    avg = np.where(counts == 0, 0, avg)
    return _clamp_to_int8(avg, p["act_min"], p["act_max"])


def _add_func(p: dict, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """TFLite's int8 AddFunc on int64 arrays of raw operand values (tg_add_s8's loop body)."""
    scaled1 = fp.multiply_by_quantized_multiplier_smaller_than_one_exp(
        (a + p["input1_offset"]) << p["left_shift"], p["input1_multiplier"], p["input1_shift"])
    scaled2 = fp.multiply_by_quantized_multiplier_smaller_than_one_exp(
        (b + p["input2_offset"]) << p["left_shift"], p["input2_multiplier"], p["input2_shift"])
    out = fp.multiply_by_quantized_multiplier_smaller_than_one_exp(
        scaled1 + scaled2, p["output_multiplier"], p["output_shift"]) + p["output_offset"]
    return _clamp_to_int8(out, p["act_min"], p["act_max"])


def add_s8(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_add_s8; returns int8 [size]."""
    size = p["size"]
    return _add_func(p, np.asarray(input1, dtype=np.int64).reshape(size),
                     np.asarray(input2, dtype=np.int64).reshape(size))


def conv2d_add_s8(p: dict, input, skip, weights, bias, multiplier, shift) -> np.ndarray:
    """Mirrors tg_conv2d_add_s8: conv2d_s8's int8 result c, then add_s8(c, skip) with the
    add's parameters (the conv_* operand and the skip_* one). Returns int8 [out_h, out_w, out_c]."""
    conv = conv2d_s8(p, input, weights, bias, multiplier, shift)
    add = {"size": conv.size, "left_shift": p["add_left_shift"],
           **{f"input1_{f}": p[f"conv_{f}"] for f in ("offset", "multiplier", "shift")},
           **{f"input2_{f}": p[f"skip_{f}"] for f in ("offset", "multiplier", "shift")},
           **{k: p[f"add_{k}"] for k in ("output_offset", "output_multiplier", "output_shift",
                                         "act_min", "act_max")}}
    return add_s8(add, conv, skip).reshape(conv.shape)


def softmax_exp_q0(p: dict, diff) -> np.ndarray:
    """tg_softmax_s8's exp of the differences x - row max (<= 0) in Q0: the difference scaled
    into Q5 and exponentiated; 0 for differences below diff_min, which contribute nothing
    (tinygen.kernels.lut.softmax_exp_table tabulates it for tg_softmax_s8_dsp)."""
    diff = np.asarray(diff, dtype=np.int64)
    scaled_diff = fp.multiply_by_quantized_multiplier(
        diff, p["input_multiplier"], p["input_left_shift"])
    exp_q0 = _exp_on_negative_values(scaled_diff, _SOFTMAX_SCALED_DIFF_INTEGER_BITS)
    return np.where(diff >= p["diff_min"], exp_q0, 0)


def softmax_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_softmax_s8 (TFLite reference_ops::Softmax, int8 path); returns int8 [rows, depth]."""
    x = np.asarray(input, dtype=np.int64).reshape(p["rows"], p["depth"])
    diff = x - x.max(axis=1, keepdims=True)
    live = diff >= p["diff_min"]
    exp_q0 = softmax_exp_q0(p, diff)
    exp_q12 = _rdbpot(exp_q0, _SOFTMAX_ACCUMULATION_INTEGER_BITS)
    sum_of_exps = np.where(live, exp_q12, 0).sum(axis=1, keepdims=True)
    # TFLite GetReciprocal
    headroom_plus_one = 32 - _bit_length(sum_of_exps)
    num_bits_over_unit = _SOFTMAX_ACCUMULATION_INTEGER_BITS - headroom_plus_one
    shifted_sum_minus_one = fp.wrap_int32((sum_of_exps << headroom_plus_one) - (1 << 31))
    reciprocal = _one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one)
    exponent = num_bits_over_unit + 31 - 8
    out = _rdbpot(_srdhm(reciprocal, exp_q0), exponent) + INT8_MIN
    out = np.where(live, np.clip(out, INT8_MIN, INT8_MAX), INT8_MIN)
    return out.astype(np.int8)


def logistic_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_logistic_s8 (TFLite reference_integer_ops::Logistic, int8); returns int8 [size]."""
    x = np.asarray(input, dtype=np.int64).reshape(p["size"]) - p["input_zero_point"]
    radius = p["input_range_radius"]
    x_q4 = fp.multiply_by_quantized_multiplier(x, p["input_multiplier"], p["input_left_shift"])
    y_q0 = _logistic_q0(x_q4, _LOGISTIC_INPUT_INTEGER_BITS)
    out = _rdbpot(y_q0, 31 - _LOGISTIC_OUTPUT_INTEGER_BITS) + INT8_MIN
    out = np.clip(out, INT8_MIN, INT8_MAX)
    out = np.where(x <= -radius, INT8_MIN, np.where(x >= radius, INT8_MAX, out))
    return out.astype(np.int8)


def concat_s8(p: dict, inputs) -> np.ndarray:
    """Mirrors tg_concat_s8. p['copy_sizes'] is a list of ints; returns flat int8."""
    outer = p["outer"]
    parts = [np.asarray(x, dtype=np.int8).reshape(outer, n)
             for x, n in zip(inputs, p["copy_sizes"], strict=True)]
    return np.concatenate(parts, axis=1).reshape(-1)


def transpose_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_transpose_s8; returns int8 of shape in_shape[perm]."""
    x = np.asarray(input, dtype=np.int8).reshape(tuple(p["in_shape"]))
    return np.ascontiguousarray(x.transpose(tuple(p["perm"])))


def clamp_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_clamp_s8; returns int8 [size]."""
    x = np.asarray(input, dtype=np.int64).reshape(p["size"])
    return _clamp_to_int8(x, p["act_min"], p["act_max"])


def _broadcast_operand(p: dict, x, k: int) -> np.ndarray:
    """Operand k (1 or 2) of a broadcasting kernel, read through its strides: int64 of p['shape']."""
    x = np.asarray(x, dtype=np.int64).reshape(-1)
    strides = np.asarray(p[f"input{k}_strides"], dtype=np.int64)
    index = sum(np.arange(n).reshape([-1 if d == axis else 1 for d in range(4)]) * s
                for axis, (n, s) in enumerate(zip(p["shape"], strides)))
    return x[index]


def add_broadcast_s8(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_add_broadcast_s8; returns int8 of p['shape']."""
    return _add_func(p, _broadcast_operand(p, input1, 1), _broadcast_operand(p, input2, 2))


def mul_s8(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_mul_s8 (TFLite reference_integer_ops::Mul, int8); returns int8 of p['shape']."""
    product = ((_broadcast_operand(p, input1, 1) + p["input1_offset"])
               * (_broadcast_operand(p, input2, 2) + p["input2_offset"]))
    out = fp.multiply_by_quantized_multiplier(product, p["output_multiplier"], p["output_shift"])
    return _clamp_to_int8(out + p["output_offset"], p["act_min"], p["act_max"])


def pad_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_pad_s8; returns int8 of p['out_shape']."""
    x = np.asarray(input, dtype=np.int8).reshape(tuple(p["in_shape"]))
    widths = [(b, o - i - b) for i, o, b in zip(p["in_shape"], p["out_shape"], p["pad_before"])]
    return np.pad(x, widths, constant_values=np.int8(p["pad_value"]))


def mean_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_mean_s8 (TFLite reference_ops::QuantizedMeanOrSum, int8 MEAN);
    returns int8 [outer, inner]."""
    x = np.asarray(input, dtype=np.int64).reshape(p["outer"], p["reduce"], p["inner"])
    shifted = x.sum(axis=1) - p["input_zero_point"] * p["reduce"]
    out = fp.multiply_by_quantized_multiplier(shifted, p["multiplier"], p["shift"])
    return _clamp_to_int8(out + p["output_zero_point"], INT8_MIN, INT8_MAX)


def requantize_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_requantize_s8 (TFLite Requantize / ReluQuantized); returns int8 [size]."""
    x = np.asarray(input, dtype=np.int64).reshape(p["size"]) + p["input_offset"]
    out = fp.multiply_by_quantized_multiplier(x, p["multiplier"], p["shift"]) + p["output_offset"]
    return _clamp_to_int8(out, p["act_min"], p["act_max"])


# -- 16-bit fixed point of the int8 hard swish (mirror the static helpers of tg_hard_swish_s8.c)

_INT16_MIN = -(1 << 15)
_INT16_MAX = (1 << 15) - 1


def _srdhm16(a, b) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul on int16 values."""
    a, b = _i64(a), _i64(b)
    ab = a * b
    s = ab + np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    high = np.where(s >= 0, s >> 15, -((-s) >> 15))       # truncating division by 2^15
    return np.where((a == _INT16_MIN) & (b == _INT16_MIN), _INT16_MAX, high)


def _sdhm16(a, b) -> np.ndarray:
    """TFLite SaturatingDoublingHighMul on int16 values: a * b / 2^15 truncated toward zero."""
    a, b = _i64(a), _i64(b)
    ab = a * b
    high = np.where(ab >= 0, ab >> 15, -((-ab) >> 15))
    return np.where((a == _INT16_MIN) & (b == _INT16_MIN), _INT16_MAX, high)


def _saturating_left_shift16(x, amount: int) -> np.ndarray:
    return np.clip(_i64(x) << amount, _INT16_MIN, _INT16_MAX)


def hard_swish_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_hard_swish_s8 (TFLite reference_ops::HardSwish, int8); returns int8 [size]."""
    hires = (np.asarray(input, dtype=np.int64).reshape(p["size"]) - p["input_zero_point"]) << 7
    preshift_output = _srdhm16(hires, p["output_multiplier"])
    exponent = p["reluish_exponent"]
    reluish = hires
    if exponent > 0:
        reluish = _saturating_left_shift16(reluish, exponent - 1)
    reluish = _srdhm16(reluish, p["reluish_multiplier"])
    if exponent > 0:
        reluish = _saturating_left_shift16(reluish, 1)
    if exponent < 0:
        reluish = _rdbpot(reluish, -exponent)
    reluish = (reluish + (1 << 15)) >> 1
    out = _rdbpot(_sdhm16(reluish, preshift_output), -p["output_exponent"]) + p["output_zero_point"]
    return _clamp_to_int8(out, INT8_MIN, INT8_MAX)
