"""numpy twins of the kernels for TFLite Micro's comparing and magnitude operators on quantized
integers (firmware/kernels/math/, tg_kernels_math.h): MAXIMUM / MINIMUM, REDUCE_MAX /
REDUCE_MIN, ARG_MAX / ARG_MIN, the int16 ABS; and the 256-entry tables tg_lut_s8 reads for the
int8 ABS and ELU. Twins are named like the C kernel minus ``tg_`` and take the kernel's
parameter struct as a dict (tinygen.kernels.params_math).

TFLite Micro compares stored integers: MAXIMUM / MINIMUM ignore the tensors' quantization, and
REDUCE_MAX / REDUCE_MIN require input and output on one grid. ABS (AbsEvalQuantized) takes
|x - input zero point| and requantizes it only where the two scales differ (as float32). The
int8 ELU is a table TFLite Micro's Prepare fills in float32 (elu.cc PopulateLookupTable) with the
C library's expf: the host's here, which is the C library the table is computed with at build
time on the host, as the tflite-micro package computes it."""

from __future__ import annotations

import numpy as np

from tinygen.quant import fixedpoint as fp
from tinygen.ref.attention import inv_sqrt
from tinygen.ref.lookup import by_uint8, libm

INT8_INPUTS = np.arange(-128, 128, dtype=np.int64)
_INT32_MIN = -(1 << 31)


# -- MAXIMUM / MINIMUM ---------------------------------------------------------------------------

def _walk(shape, strides) -> np.ndarray:
    """The element each output element of a rank-4 broadcast walk reads, as an index array."""
    index = np.zeros(shape, np.int64)
    for d in range(4):
        axis = [1] * 4
        axis[d] = shape[d]
        index = index + (np.arange(shape[d], dtype=np.int64) * strides[d]).reshape(axis)
    return index.reshape(-1)


def _pair(p: dict, x, y, pick, dtype) -> np.ndarray:
    a = np.asarray(x, dtype).reshape(-1)[_walk(p["shape"], p["input1_strides"])]
    b = np.asarray(y, dtype).reshape(-1)[_walk(p["shape"], p["input2_strides"])]
    return pick(a, b).astype(dtype)


def maximum_s8(p: dict, x, y) -> np.ndarray:
    """Mirrors tg_maximum_s8: the larger stored int8 of each broadcast pair."""
    return _pair(p, x, y, np.maximum, np.int8)


def minimum_s8(p: dict, x, y) -> np.ndarray:
    """Mirrors tg_minimum_s8."""
    return _pair(p, x, y, np.minimum, np.int8)


def maximum_s16(p: dict, x, y) -> np.ndarray:
    """Mirrors tg_maximum_s16."""
    return _pair(p, x, y, np.maximum, np.int16)


def minimum_s16(p: dict, x, y) -> np.ndarray:
    """Mirrors tg_minimum_s16."""
    return _pair(p, x, y, np.minimum, np.int16)


# -- REDUCE_MAX / REDUCE_MIN, ARG_MAX / ARG_MIN: along one (collapsed) axis -----------------------

def _axis(p: dict, x) -> np.ndarray:
    return np.asarray(x, np.int8).reshape(p["outer"], p["size"], p["inner"])


def reduce_max_s8(p: dict, x) -> np.ndarray:
    """Mirrors tg_reduce_max_s8: the largest value over the axis, [outer * inner]."""
    return _axis(p, x).max(axis=1).reshape(-1)


def reduce_min_s8(p: dict, x) -> np.ndarray:
    """Mirrors tg_reduce_min_s8."""
    return _axis(p, x).min(axis=1).reshape(-1)


def arg_max_s8_s32(p: dict, x) -> np.ndarray:
    """Mirrors tg_arg_max_s8_s32: the index of the first largest value (numpy's argmax takes the
    first too), int32."""
    return _axis(p, x).argmax(axis=1).reshape(-1).astype(np.int32)


def arg_min_s8_s32(p: dict, x) -> np.ndarray:
    """Mirrors tg_arg_min_s8_s32."""
    return _axis(p, x).argmin(axis=1).reshape(-1).astype(np.int32)


# -- ABS -----------------------------------------------------------------------------------------

def abs_params(size: int, si: float, zi: int, so: float, zo: int) -> dict:
    """tg_abs_params_t as TFLite Micro's PrepareAbsRsqrt sets it: a multiplier only where the
    float32 scales differ, QuantizeMultiplier of their float32 quotient."""
    si, so = np.float32(si), np.float32(so)
    rescale = bool(si != so)
    multiplier, shift = fp.quantize_multiplier(float(si / so)) if rescale else (0, 0)
    return {"size": int(size), "input_offset": -int(zi), "output_offset": int(zo), "rescale": int(rescale),
            "multiplier": multiplier, "shift": shift}


def _abs(p: dict, x, lo: int, hi: int) -> np.ndarray:
    v = np.abs(np.asarray(x, np.int64).reshape(-1) + p["input_offset"])
    if p["rescale"]:
        v = fp.multiply_by_quantized_multiplier(v, p["multiplier"], p["shift"])
    return np.clip(v + p["output_offset"], lo, hi)


def abs_s16(p: dict, x) -> np.ndarray:
    """Mirrors tg_abs_s16: |x - zero point|, requantized where the scales differ, saturated."""
    return _abs(p, x, -32768, 32767).astype(np.int16)


def abs_table(si: float, zi: int, so: float, zo: int) -> np.ndarray:
    """tg_lut_s8's table of TFLite Micro's int8 ABS (AbsEvalQuantized at every int8 input)."""
    return by_uint8(_abs(abs_params(256, si, zi, so, zo), INT8_INPUTS, -128, 127))


# -- ELU -----------------------------------------------------------------------------------------

def elu_table(si: float, zi: int, so: float, zo: int) -> np.ndarray:
    """tg_lut_s8's table of TFLite Micro's int8 ELU, as its Prepare (PopulateLookupTable) fills
    it in float32: x = scale * (q - zero point); x < 0 ? expf(x) - 1 : x; times 1 / output
    scale, rounded half away from zero (TfLiteRound), plus the output zero point in float32,
    converted to int32 (x86's conversion: INT32_MIN beyond the range) and saturated."""
    x = np.float32(si) * (INT8_INPUTS - zi).astype(np.float32)
    exp = np.array([libm().expf(float(v)) for v in x], np.float32)
    y = np.where(x < 0, exp - np.float32(1.0), x).astype(np.float32)
    scaled = (y * (np.float32(1.0) / np.float32(so))).astype(np.float32)
    wide = scaled.astype(np.float64)      # |x| + 1/2 exact in double: roundf's halves away from zero
    rounded = (np.sign(wide) * np.floor(np.abs(wide) + 0.5)).astype(np.float32)
    shifted = (rounded + np.float32(zo)).astype(np.float32)
    inside = np.abs(shifted.astype(np.float64)) < 2.0 ** 31
    q = np.where(inside, np.trunc(np.where(inside, shifted, 0)).astype(np.int64), _INT32_MIN)
    return by_uint8(np.clip(q, -128, 127))


# -- L2_NORMALIZATION ----------------------------------------------------------------------------

L2_NORM_OUTPUT_BITS = 7         # the output in units of 1/128 (TG_L2_NORM_OUTPUT_BITS)


def l2_norm_s8(p: dict, x) -> np.ndarray:
    """Mirrors tg_l2_norm_s8: each row's sum of squares, its inverse square root (inv_sqrt), every
    element times it in units of 1/128, saturated to int8."""
    v = np.asarray(x, np.int64).reshape(p["outer"], p["depth"]) + p["input_offset"]
    m, s = inv_sqrt((v * v).sum(axis=1))
    out = fp.multiply_by_quantized_multiplier(v, m[:, None], s[:, None] + L2_NORM_OUTPUT_BITS)
    return np.clip(out, -128, 127).astype(np.int8).reshape(-1)
