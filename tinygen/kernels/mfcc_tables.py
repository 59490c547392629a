"""The constant tables of the C front end (firmware/audio/tg_audio.h), computed here from
the numpy twin (tinygen.ref.mfcc) at build time and written into flash as const
arrays (tinygen.codegen.audio renders them).

    t = tables_f32(input_scale, input_zero_point)   # float front end (cores with an FPU)
    t = tables_q31(input_scale, input_zero_point)   # fixed point (cores without)
    t = tables_q31(input_scale, input_zero_point, gains)   # a model's feature_gains(): a step per coefficient

Each is a dict of numpy arrays and scalars named like the fields of tg_mfcc_tables_f32 /
tg_mfcc_tables_q31. The fixed-point formats are tg_audio.h's TG_MFCC_Q_* (mirrored in Q
below and checked against the header by the tests).
"""

from __future__ import annotations

import math

import numpy as np

from tinygen.ref import mfcc as fe

FFT_HALF = fe.FFT_LENGTH // 2          # the complex FFT of sample pairs
LOG2_TABLE_INTERVALS = 256             # tg_log_q31's table: log2(1 + i / 256), i = 0..256
C0_PER_LN = math.sqrt(2.0 * fe.NUM_MEL)
INV_SCALE_SHIFT_MAX = 40

# tg_audio.h's fixed-point formats (fractional bits)
Q = {"window": 30, "twiddle": 31, "mag": 2, "mel": 28, "energy": 30, "log": 24, "dct": 28, "mfcc": 20,
     "log2_table": 30, "eps": 62, "c0_per_ln": 27}


def bit_reversal(n: int = FFT_HALF) -> np.ndarray:
    """The bit-reversed order of 0..n-1 (n a power of two)."""
    bits = n.bit_length() - 1
    return np.array([int(format(i, f"0{bits}b")[::-1], 2) for i in range(n)], np.int64)


def twiddles(n: int = FFT_HALF) -> np.ndarray:
    """exp(-2 pi i j / n), j < n/2, as [n/2, 2] (re, im)."""
    j = np.arange(n // 2)
    return np.stack([np.cos(2 * np.pi * j / n), -np.sin(2 * np.pi * j / n)], axis=1)


def split_twiddles(last_bin: int, n: int = fe.FFT_LENGTH) -> np.ndarray:
    """exp(-2 pi i k / n), k = 0..last_bin, as [last_bin + 1, 2]: the real FFT's split step."""
    k = np.arange(last_bin + 1)
    return np.stack([np.cos(2 * np.pi * k / n), -np.sin(2 * np.pi * k / n)], axis=1)


def bin_range(runs: fe.MelRuns) -> tuple[int, int]:
    """The first and last bin any mel filter weighs."""
    return int(runs.start.min()), int((runs.start + runs.length - 1).max())


def _common(runs: fe.MelRuns) -> dict:
    first, last = bin_range(runs)
    if runs.start.max() > 255 or runs.length.max() > 255 or last >= fe.FFT_LENGTH // 4 + 1:
        raise ValueError("the mel filters do not fit the C front end's uint8 runs and 129 bins")
    return {"bitrev": bit_reversal().astype(np.uint8), "bin_first": first, "bin_last": last,
            "mel_start": runs.start.astype(np.uint8), "mel_length": runs.length.astype(np.uint8)}


def tables_f32(input_scale: float, input_zero_point: int, gains=None) -> dict:
    """tg_mfcc_tables_f32's contents: input_scale per coefficient (fe.coefficient_scales)."""
    runs = fe.mel_runs()
    t = _common(runs)
    return {**t, "window": fe.hann_window().astype(np.float32),
            "twiddles": twiddles().astype(np.float32).ravel(),
            "split": split_twiddles(t["bin_last"]).astype(np.float32).ravel(),
            "mel_weights": runs.weights.astype(np.float32),
            "dct": fe.dct_matrix().astype(np.float32),
            "input_scale": fe.coefficient_scales(input_scale, gains).astype(np.float32),
            "input_zero_point": int(input_zero_point)}


def to_fixed(x: np.ndarray, bits: int, dtype) -> np.ndarray:
    """round(x * 2^bits), saturated to dtype."""
    info = np.iinfo(dtype)
    return np.clip(np.round(np.asarray(x, np.float64) * 2.0 ** bits), info.min, info.max).astype(dtype)


def inverse_scale(scale: float) -> tuple[int, int]:
    """(round(2^shift / scale), shift) with the largest shift <= 40 that keeps it an int32."""
    for shift in range(INV_SCALE_SHIFT_MAX, -1, -1):
        inv = round(2.0 ** shift / scale)
        if inv < 2 ** 31:
            return inv, shift
    raise ValueError(f"input scale {scale} is too small for the fixed-point front end")


def log2_table() -> np.ndarray:
    i = np.arange(LOG2_TABLE_INTERVALS + 1)
    return to_fixed(np.log2(1.0 + i / LOG2_TABLE_INTERVALS), Q["log2_table"], np.uint32)


def tables_q31(input_scale: float, input_zero_point: int, gains=None) -> dict:
    """tg_mfcc_tables_q31's contents: inv_scale and its shift per coefficient (fe.coefficient_scales)."""
    runs = fe.mel_runs()
    t = _common(runs)
    inv, shift = (np.array(v, np.int32) for v in zip(*(inverse_scale(s)
                                                        for s in fe.coefficient_scales(input_scale, gains))))
    return {**t, "window": to_fixed(fe.hann_window(), Q["window"], np.uint32),
            "twiddles": to_fixed(twiddles(), Q["twiddle"], np.int32).ravel(),
            "split": to_fixed(split_twiddles(t["bin_last"]), Q["twiddle"], np.int32).ravel(),
            "mel_weights": to_fixed(runs.weights, Q["mel"], np.uint32),
            "dct": to_fixed(fe.dct_matrix(), Q["dct"], np.int32),
            "log2_table": log2_table(),
            "eps_q62": int(round(fe.LOG_OFFSET * 2.0 ** Q["eps"])),
            "c0_per_ln_q27": int(round(C0_PER_LN * 2.0 ** Q["c0_per_ln"])),
            "inv_scale": inv, "inv_scale_shift": shift, "input_zero_point": int(input_zero_point)}


__all__ = ["C0_PER_LN", "FFT_HALF", "Q", "bin_range", "bit_reversal", "inverse_scale", "log2_table",
           "split_twiddles", "tables_f32", "tables_q31", "to_fixed", "twiddles"]
