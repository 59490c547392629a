"""Integer-exact numpy twins of the normalization and attention kernels: tg_layer_norm_s8,
tg_rms_norm_s8 (firmware/kernels/norm/tg_norm_s8.h: the integer layer norm), tg_rsqrt_s8,
tg_batch_matmul_s8, tg_sub_s8, tg_squared_difference_s8 and tg_softmax_causal_s8; and
inv_sqrt, TFLite's GetInvSqrtQuantizedMultiplierExp, which the norms and RSQRT share
(tg_inv_sqrt_s32 in firmware/kernels/norm/tg_inv_sqrt.h). Named like the C kernel minus the
``tg_`` prefix; arrays of int64 hold the C's int32 values."""

from __future__ import annotations

import numpy as np

from tinygen.quant import fixedpoint as fp
from tinygen.ref.activations import softmax_s8
from tinygen.ref.common import INT8_MAX, INT8_MIN, _clamp_to_int8, _i64
from tinygen.ref.gemmlowp import _rdbpot, _saturating_shift_left, _srdhm
from tinygen.ref.kernels import _broadcast_operand

_F3_ONE = 1 << 28                       # 1.0 in gemmlowp's FixedPoint<int32_t, 3>
_F3_HALF_THREE = (1 << 28) + (1 << 27)  # 1.5
_HALF_SQRT_2 = 1518500250               # sqrt(2) / 2 in Q0
NEWTON_STEPS = 5


def _bit_length(x: np.ndarray) -> np.ndarray:
    """Significant bits of non-negative int64 values."""
    x = _i64(x).copy()
    n = np.zeros_like(x)
    for s in (32, 16, 8, 4, 2, 1):
        big = x >= (np.int64(1) << s)
        n += np.where(big, s, 0)
        x = np.where(big, x >> s, x)
    return n + (x > 0)


def inv_sqrt(x) -> tuple[np.ndarray, np.ndarray]:
    """TFLite GetInvSqrtQuantizedMultiplierExp(x, kReverseShift = -1) for int32 x >= 0:
    (multiplier, shift) with 1 / sqrt(x) ~ multiplier * 2^(shift - 31), shift <= 0; x <= 1
    gives (INT32_MAX, 0). Mirrors tg_inv_sqrt_s32."""
    x = _i64(x)
    small = x <= 1
    v = np.where(small, 2, x)
    shift = np.full(v.shape, 11, np.int64)
    big = v >= (1 << 29)                     # v < 2^31: one division by 4 brings it below 2^29
    v = np.where(big, v // 4, v)
    shift += big
    left_pairs = (31 - _bit_length(v)) // 2 - 1        # (CountLeadingZeros - 1) / 2 - 1
    shift -= left_pairs
    v = v << (2 * left_pairs)                # now in [2^27, 2^29)
    half_input = _rdbpot(v >> 1, 1)
    y = np.full(v.shape, _F3_ONE, np.int64)
    for _ in range(NEWTON_STEPS):
        y3 = _saturating_shift_left(_srdhm(_srdhm(y, y), y), 6)
        y = _saturating_shift_left(_srdhm(_F3_HALF_THREE, y) - _srdhm(half_input, y3), 3)
    y = _srdhm(y, _HALF_SQRT_2)
    y = np.where(shift < 0, y << np.maximum(-shift, 0), y)
    shift = np.maximum(shift, 0)
    return np.where(small, fp.INT32_MAX, y), np.where(small, 0, -shift)


# -- the integer layer norm ----------------------------------------------------------------------


def _norm(p: dict, input, center: bool) -> np.ndarray:
    """The normalized rows n (Q norm_shift) of tg_norm_s8.h: int64 [rows, depth]."""
    depth = p["depth"]
    c = _i64(input).reshape(p["rows"], depth) - p["input_zero_point"]
    s1 = c.sum(axis=1, keepdims=True) if center else np.zeros((p["rows"], 1), np.int64)
    s2 = (c * c).sum(axis=1, keepdims=True)
    d = depth * c - s1
    w = depth * s2 - s1 * s1 + p["eps_term"]
    halvings = np.maximum(0, (_bit_length(w) - 30) // 2)   # w >> 2a below 2^31
    m, s = inv_sqrt(w >> (2 * halvings))
    shift = np.maximum(s - halvings + p["norm_shift"], -31)
    return fp.multiply_by_quantized_multiplier(d, m, shift)


def _affine(p: dict, n: np.ndarray, gamma, beta) -> np.ndarray:
    acc = n * _i64(gamma).reshape(1, -1)
    if beta is not None:
        acc = acc + _i64(beta).reshape(1, -1)
    out = fp.multiply_by_quantized_multiplier(acc, p["output_multiplier"], p["output_shift"])
    return _clamp_to_int8(out + p["output_zero_point"], INT8_MIN, INT8_MAX)


def layer_norm_s8(p: dict, input, gamma, beta) -> np.ndarray:
    """Mirrors tg_layer_norm_s8; returns int8 [rows, depth]."""
    return _affine(p, _norm(p, input, center=True), gamma, beta)


def rms_norm_s8(p: dict, input, gamma) -> np.ndarray:
    """Mirrors tg_rms_norm_s8; returns int8 [rows, depth]."""
    return _affine(p, _norm(p, input, center=False), gamma, None)


# -- TFLite's RSQRT, BATCH_MATMUL, SUB, SQUARED_DIFFERENCE -----------------------------------------

RSQRT_SHIFT = 20          # TFLM RsqrtEvalQuantized's kShift


def rsqrt_s8(p: dict, input, dtype=np.int8) -> np.ndarray:
    """Mirrors tg_rsqrt_s8 (TFLM RsqrtEvalQuantized, int8; tg_rsqrt_s16 with dtype int16);
    returns `dtype` [size]. An input at or below the zero point gives the type's maximum (TFLM:
    the maximum at the zero point, an error below it)."""
    v = _i64(input).reshape(p["size"]) - p["input_zero_point"]
    m, s = inv_sqrt(np.maximum(v, 0))
    data = fp.multiply_by_quantized_multiplier(np.ones_like(v), m, s + RSQRT_SHIFT)
    out = fp.multiply_by_quantized_multiplier(data, p["multiplier"], p["shift"] - RSQRT_SHIFT) + p["output_zero_point"]
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    return np.clip(np.where(v <= 0, hi, out), lo, hi).astype(dtype)


def _operand(x, base: int, stride_a: int, stride_b: int, n_a: int, n_b: int) -> np.ndarray:
    """The matrix [n_a, n_b] at element `base` of the flat x, with element strides stride_a, stride_b."""
    index = base + np.arange(n_a)[:, None] * stride_a + np.arange(n_b)[None, :] * stride_b
    return _i64(x).reshape(-1)[index]


def batch_matmul_sums(p: dict, lhs, rhs) -> np.ndarray:
    """The int64 sums of tg_batch_matmul_s8 and _s16 before requantization: [batches, rows, cols]."""
    sums = []
    for b0 in range(p["batch_shape"][0]):
        for b1 in range(p["batch_shape"][1]):
            for b2 in range(p["batch_shape"][2]):
                index = (b0, b1, b2)
                lbase = sum(i * s for i, s in zip(index, p["lhs_batch_strides"]))
                rbase = sum(i * s for i, s in zip(index, p["rhs_batch_strides"]))
                a = _operand(lhs, lbase, p["lhs_row_stride"], p["lhs_depth_stride"], p["rows"], p["depth"])
                b = _operand(rhs, rbase, p["rhs_col_stride"], p["rhs_depth_stride"], p["cols"], p["depth"])
                sums.append((a + p["lhs_offset"]) @ (b + p["rhs_offset"]).T)
    return np.stack(sums)


def batch_matmul_s8(p: dict, lhs, rhs) -> np.ndarray:
    """Mirrors tg_batch_matmul_s8 (TFLite reference_ops::BatchMatMul, int8); returns int8
    [batches, rows, cols]."""
    out = fp.multiply_by_quantized_multiplier(batch_matmul_sums(p, lhs, rhs), p["output_multiplier"],
                                              p["output_shift"])
    return _clamp_to_int8(out + p["output_offset"], p["act_min"], p["act_max"])


def _scaled(p: dict, k: int, x) -> np.ndarray:
    """Operand k's value shifted left and rescaled to the shared grid (TFLite's ADD / SUB / SQUARED_DIFFERENCE)."""
    return fp.multiply_by_quantized_multiplier_smaller_than_one_exp(
        (x + p[f"input{k}_offset"]) << p["left_shift"], p[f"input{k}_multiplier"], p[f"input{k}_shift"])


def sub_s8(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_sub_s8 (TFLite reference_ops::Sub / BroadcastQuantSubSlow, int8); returns int8 of p['shape']."""
    diff = _scaled(p, 1, _broadcast_operand(p, input1, 1)) - _scaled(p, 2, _broadcast_operand(p, input2, 2))
    out = fp.multiply_by_quantized_multiplier_smaller_than_one_exp(diff, p["output_multiplier"], p["output_shift"])
    return _clamp_to_int8(out + p["output_offset"], p["act_min"], p["act_max"])


def squared_difference_s8(p: dict, input1, input2, dtype=np.int8) -> np.ndarray:
    """Mirrors tg_squared_difference_s8 (TFLM SquaredDifference, int8; tg_squared_difference_s16
    with dtype int16); returns `dtype` of p['shape']."""
    diff = _scaled(p, 1, _broadcast_operand(p, input1, 1)) - _scaled(p, 2, _broadcast_operand(p, input2, 2))
    out = fp.multiply_by_quantized_multiplier(diff * diff, p["output_multiplier"], p["output_shift"])
    return np.clip(out + p["output_offset"], p["act_min"], p["act_max"]).astype(dtype)


# -- the causal softmax ---------------------------------------------------------------------------


def softmax_causal_s8(p: dict, input) -> np.ndarray:
    """Mirrors tg_softmax_causal_s8: row r (row i = r % block_rows of its matrix) is
    tg_softmax_s8 over its first min(i + 1, depth) values, -128 after them; returns int8
    [rows, depth]."""
    x = np.asarray(input, np.int8).reshape(p["rows"], p["depth"])
    out = np.full(x.shape, INT8_MIN, np.int8)
    row = {k: p[k] for k in ("input_multiplier", "input_left_shift", "diff_min")}
    for r in range(p["rows"]):
        live = min(r % p["block_rows"] + 1, p["depth"])
        out[r, :live] = softmax_s8({**row, "rows": 1, "depth": live}, x[r, :live]).reshape(-1)
    return out
