"""numpy twins of the float32 kernels of TFLite Micro's elementwise, reducing and summing math
operators (a float .tflite run as it is; firmware/kernels/math/*_f32.c, declared in
tg_kernels_math.h): the unary functions (ABS, NEG, SQUARE, SQRT, FLOOR, CEIL, ROUND; EXP, LOG,
COS, SIN, ELU through the C library), FLOOR_DIV, FLOOR_MOD, ADD_N, CUMSUM, REDUCE_MAX /
REDUCE_MIN, ARG_MAX / ARG_MIN, LOG_SOFTMAX, L2_NORMALIZATION, L2_POOL_2D, RESIZE_BILINEAR, each
in TFLite Micro's order of float32 operations. Named like the C kernel minus ``tg_``.

fabsf, sqrtf, floorf, ceilf and fmodf are exact (or correctly rounded) in every C library, so
numpy's equal them; expf, logf, cosf, sinf and expm1f (LOG_SOFTMAX's expf and logf too) differ between libms and are the host's
here (tinygen.ref.float32_nonlinear.LIBM; a stand-in test puts the device's values in)."""

from __future__ import annotations

import numpy as np

from tinygen.ref.float32 import _pool_taps, clamp_values
from tinygen.ref.float32_nonlinear import LIBM
from tinygen.ref.kernels import _broadcast_operand

F32 = np.float32
FLT_MAX = F32(np.finfo(np.float32).max)


def _flat(p: dict, x) -> np.ndarray:
    return np.asarray(x, F32).reshape(p["size"])


# -- unary functions -------------------------------------------------------------------------

def abs_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_abs_f32 (fabsf)."""
    return np.abs(_flat(p, x))


def neg_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_neg_f32."""
    return -_flat(p, x)


def square_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_square_f32 (x * x)."""
    v = _flat(p, x)
    with np.errstate(over="ignore"):
        return (v * v).astype(F32)


def sqrt_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_sqrt_f32 (sqrtf, correctly rounded as numpy's)."""
    with np.errstate(invalid="ignore"):
        return np.sqrt(_flat(p, x))


def floor_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_floor_f32."""
    return np.floor(_flat(p, x))


def ceil_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_ceil_f32."""
    return np.ceil(_flat(p, x))


def round_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_round_f32: TFLite's RoundToNearest, the floor plus one where the rest is above a
    half, or a half above an odd floor (halves to even; -0.3 and -0.5 give +0, not numpy rint's -0)."""
    v = _flat(p, x)
    floor = np.floor(v)
    with np.errstate(invalid="ignore"):
        rest = v - floor
        keep = (rest < 0.5) | ((rest == 0.5) & (np.fmod(floor, 2) == 0))
    return np.where(keep, floor, floor + F32(1)).astype(F32)


def _libm(name: str, p: dict, x) -> np.ndarray:
    return LIBM[name](_flat(p, x))


def exp_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_exp_f32 (the C library's expf)."""
    return _libm("expf", p, x)


def log_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_log_f32 (logf)."""
    return _libm("logf", p, x)


def cos_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_cos_f32 (cosf)."""
    return _libm("cosf", p, x)


def sin_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_sin_f32 (sinf)."""
    return _libm("sinf", p, x)


def elu_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_elu_f32: x < 0 ? expm1f(x) : x (TFLite's reference Elu)."""
    v = _flat(p, x)
    return np.where(v < 0, LIBM["expm1f"](v), v).astype(F32)


# -- FLOOR_DIV, FLOOR_MOD -----------------------------------------------------------------------

def floor_div_f32(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_floor_div_f32: floor of the quotient computed in double (TFLite's FloorDiv
    divides static_cast<double> operands), rounded to float32; broadcast."""
    a, b = _broadcast_operand(p, input1, 1, F32), _broadcast_operand(p, input2, 2, F32)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.floor(a.astype(np.float64) / b.astype(np.float64)).astype(F32)


def floor_mod_f32(p: dict, input1, input2) -> np.ndarray:
    """Mirrors tg_floor_mod_f32: fmodf (exact), moved into the divisor's sign by adding it where
    the signs differ (TFLite's FloorMod); broadcast."""
    a, b = _broadcast_operand(p, input1, 1, F32), _broadcast_operand(p, input2, 2, F32)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t = np.fmod(a, b)
        return np.where((t != 0) & ((b < 0) != (t < 0)), t + b, t).astype(F32)


# -- ADD_N, CUMSUM --------------------------------------------------------------------------------

def add_n_f32(p: dict, inputs) -> np.ndarray:
    """Mirrors tg_add_n_f32: 0.0f plus each input in order."""
    total = np.zeros(p["size"], F32)
    with np.errstate(over="ignore", invalid="ignore"):
        for x in inputs:
            total = (total + _flat(p, x)).astype(F32)
    return total


def cumsum_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_cumsum_f32: along the axis of [outer][depth][inner] (from its end when
    reverse), running float32 sums from 0.0f, each output before (exclusive) or after its value."""
    v = np.asarray(x, F32).reshape(p["outer"], p["depth"], p["inner"])
    order = range(p["depth"] - 1, -1, -1) if p["reverse"] else range(p["depth"])
    out = np.empty_like(v)
    acc = np.zeros((p["outer"], p["inner"]), F32)
    with np.errstate(over="ignore", invalid="ignore"):
        for d in order:
            if p["exclusive"]:
                out[:, d] = acc
                acc = (acc + v[:, d]).astype(F32)
            else:
                acc = (acc + v[:, d]).astype(F32)
                out[:, d] = acc
    return out.reshape(-1)


# -- REDUCE_MAX / REDUCE_MIN, ARG_MAX / ARG_MIN ------------------------------------------------------

def _axis(p: dict, x) -> np.ndarray:
    return np.asarray(x, F32).reshape(p["outer"], p["size"], p["inner"])


def _reduce(p: dict, x, start, better) -> np.ndarray:
    v = _axis(p, x)
    best = np.full((p["outer"], p["inner"]), start, F32)
    for k in range(p["size"]):
        best = np.where(better(v[:, k], best), v[:, k], best)
    return best.reshape(-1)


def reduce_max_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_reduce_max_f32: from -FLT_MAX, each value taken where it is greater (TFLite's
    MinMaxReducerCompare: an all -inf axis gives -FLT_MAX)."""
    return _reduce(p, x, -FLT_MAX, np.greater)


def reduce_min_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_reduce_min_f32: from FLT_MAX, each value taken where it is less."""
    return _reduce(p, x, FLT_MAX, np.less)


def _arg(p: dict, x, better) -> np.ndarray:
    v = _axis(p, x)
    best, at = v[:, 0], np.zeros((p["outer"], p["inner"]), np.int32)
    for k in range(1, p["size"]):
        take = better(v[:, k], best)
        best, at = np.where(take, v[:, k], best), np.where(take, k, at)
    return at.reshape(-1).astype(np.int32)


def arg_max_f32_s32(p: dict, x) -> np.ndarray:
    """Mirrors tg_arg_max_f32_s32: the first value, then each one greater (TFLite's ArgMinMax:
    ties and NaN keep the earlier index)."""
    return _arg(p, x, np.greater)


def arg_min_f32_s32(p: dict, x) -> np.ndarray:
    """Mirrors tg_arg_min_f32_s32."""
    return _arg(p, x, np.less)


# -- LOG_SOFTMAX, L2_NORMALIZATION (over the last dimension) ------------------------------------------

def _rows(p: dict, x) -> np.ndarray:
    return np.asarray(x, F32).reshape(p["rows"], p["depth"])


def log_softmax_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_log_softmax_f32 (TFLite's reference LogSoftmax on float): per row, its maximum
    from the lowest float (std::max), sum = 0.f plus expf(x - max) in order, then (x - max) -
    logf(sum)."""
    v = _rows(p, x)
    top = np.full((p["rows"], 1), np.finfo(F32).min, F32)
    total = np.zeros((p["rows"], 1), F32)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for c in range(p["depth"]):
            top = np.where(top < v[:, c:c + 1], v[:, c:c + 1], top)
        for c in range(p["depth"]):
            total = (total + LIBM["expf"](v[:, c:c + 1] - top)).astype(F32)
        return ((v - top) - LIBM["logf"](total)).astype(F32).reshape(-1)


L2_NORM_EPSILON = F32(1e-6)     # TFLite Micro's float epsilon (l2norm.cc)


def l2_norm_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_l2_norm_f32 (TFLite's reference L2Normalization on float): per row, 0 plus
    each x * x in order, sqrtf (correctly rounded), at least 1e-6f (std::max), each x divided by it."""
    v = _rows(p, x)
    total = np.zeros((p["rows"], 1), F32)
    with np.errstate(over="ignore", invalid="ignore"):
        for c in range(p["depth"]):
            total = (total + v[:, c:c + 1] * v[:, c:c + 1]).astype(F32)
        norm = np.sqrt(total)
        norm = np.where(norm < L2_NORM_EPSILON, L2_NORM_EPSILON, norm)
        return (v / norm).astype(F32).reshape(-1)


# -- L2_POOL_2D, RESIZE_BILINEAR ---------------------------------------------------------------------

def l2_pool2d_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_l2_pool2d_f32 (TFLite's reference L2Pool): over the window's taps inside the
    input, 0.f plus each x * x in order, divided by their count (an int made float), sqrtf, the
    clamp. float32 [out_h, out_w, channels]."""
    v = np.asarray(x, F32).reshape(p["in_h"], p["in_w"], p["channels"])
    total = np.zeros((p["out_h"], p["out_w"], p["channels"]), F32)
    count = np.zeros((p["out_h"], p["out_w"], 1), F32)
    with np.errstate(over="ignore", invalid="ignore"):
        for _, _, rows, cols, valid in _pool_taps(p):
            window = v[rows][:, cols]
            total = np.where(valid[:, :, None], total + window * window, total).astype(F32)
            count = count + valid[:, :, None].astype(F32)
        return clamp_values(p, np.sqrt(total / count))


def _bilinear_f32(n_out: int, scale, half_pixel: int, size: int):
    """TFLite's ComputeInterpolationValues on float for every output index: the source
    coordinate ((i + 0.5f) * scale - 0.5f, or i * scale), its floor (at least 0) and ceiling (at
    most size - 1) as int32."""
    i = np.arange(n_out).astype(F32)
    at = ((i + F32(0.5)) * F32(scale) - F32(0.5)).astype(F32) if half_pixel else (i * F32(scale)).astype(F32)
    lo = np.maximum(np.floor(at).astype(np.int64), 0)
    hi = np.minimum(np.ceil(at).astype(np.int64), size - 1)
    return at, lo, hi


def resize_bilinear_f32(p: dict, x) -> np.ndarray:
    """Mirrors tg_resize_bilinear_f32 (TFLite's reference ResizeBilinear on float): per output
    pixel, with dy = y - y0 and dx = x - x0, v00 * (1 - dy) * (1 - dx) + v10 * dy * (1 - dx) +
    v01 * (1 - dy) * dx + v11 * dy * dx + 0.0f, left to right. float32 [batches, out_h, out_w, channels]."""
    v = np.asarray(x, F32).reshape(p["batches"], p["in_h"], p["in_w"], p["channels"])
    sy, y0, y1 = _bilinear_f32(p["out_h"], p["scale_h"], p["half_pixel_centers"], p["in_h"])
    sx, x0, x1 = _bilinear_f32(p["out_w"], p["scale_w"], p["half_pixel_centers"], p["in_w"])
    dy = (sy - y0.astype(F32)).astype(F32)[None, :, None, None]
    dx = (sx - x0.astype(F32)).astype(F32)[None, None, :, None]
    one = F32(1)
    ry, rx = (one - dy).astype(F32), (one - dx).astype(F32)
    with np.errstate(over="ignore", invalid="ignore"):
        total = v[:, y0][:, :, x0] * ry * rx
        total = total + v[:, y1][:, :, x0] * dy * rx
        total = total + v[:, y0][:, :, x1] * ry * dx
        total = total + v[:, y1][:, :, x1] * dy * dx
        return (total + F32(0)).astype(F32).reshape(-1)
