"""TFLite Micro's signal library ops in single-operator .tflite models (tests/tflite_builder.py)
and the frames to feed them: the cases tests/frontend/test_tflite_signal.py checks against TFLite
Micro, and a ctypes call of a signal kernel (tests/kernel_lib.py's library) by its struct."""

from __future__ import annotations

import ctypes

import numpy as np

from tflite_builder import ModelBuilder

RFFT_INT16, RFFT_INT32, RFFT_FLOAT32 = 7, 2, 0      # TensorType.INT16, INT32, FLOAT32: SignalRfft's "T" option
FFT_TYPES = {"int16": RFFT_INT16, "int32": RFFT_INT32, "float32": RFFT_FLOAT32}


def window(b: ModelBuilder, rng, frames: int, size: int, shift: int):
    x, y = b.tensor("x", [frames, size], "int16"), b.tensor("y", [frames, size], "int16")
    w = b.tensor("w", [size], "int16", data=rng.integers(-32768, 32768, size))
    b.op("CUSTOM:SignalWindow", [x, w], [y], custom_options={"shift": shift})
    return [x], [y]


def auto_scale(b: ModelBuilder, rng, size: int):
    x, y, shift = b.tensor("x", [size], "int16"), b.tensor("y", [size], "int16"), b.tensor("shift", [], "int32")
    b.op("CUSTOM:SignalFftAutoScale", [x], [y, shift])
    return [x], [y, shift]


def rfft(b: ModelBuilder, rng, frames: int, length: int, fft_length: int, dtype: str = "int16"):
    shape = [frames, length] if frames > 1 else [length]
    x = b.tensor("x", shape, dtype)
    y = b.tensor("y", shape[:-1] + [fft_length + 2], dtype)
    b.op("CUSTOM:SignalRfft", [x], [y], custom_options={"T": FFT_TYPES[dtype], "fft_length": fft_length})
    return [x], [y]


def irfft(b: ModelBuilder, rng, frames: int, fft_length: int, dtype: str = "int16"):
    """fft_length / 2 + 1 (real, imag) pairs per frame -> fft_length samples (SignalIrfft)."""
    lead = [frames] if frames > 1 else []
    x, y = b.tensor("x", lead + [fft_length + 2], dtype), b.tensor("y", lead + [fft_length], dtype)
    b.op("CUSTOM:SignalIrfft", [x], [y], custom_options={"T": FFT_TYPES[dtype], "fft_length": fft_length})
    return [x], [y]


def energy(b: ModelBuilder, rng, bins: int, start: int, end: int):
    x, y = b.tensor("x", [2 * bins], "int16"), b.tensor("y", [bins], "uint32")
    b.op("CUSTOM:SignalEnergy", [x], [y], custom_options={"start_index": start, "end_index": end})
    return [x], [y]


def front_end(b: ModelBuilder, rng, size: int = 200, fft_length: int = 256):
    """The first ops of TFLite Micro's audio preprocessor: window, reshape, auto scale, real FFT,
    energy (all bins); outputs: the energies and the auto scale's shift."""
    x = b.tensor("x", [1, size], "int16")
    hann = np.round(32767 * np.sin(np.pi * (np.arange(size) + 0.5) / size) ** 2)
    w = b.tensor("w", [size], "int16", data=hann)
    y, r = b.tensor("y", [1, size], "int16"), b.tensor("r", [size], "int16")
    s, shift = b.tensor("s", [size], "int16"), b.tensor("shift", [], "int32")
    f, e = b.tensor("f", [fft_length + 2], "int16"), b.tensor("e", [fft_length // 2 + 1], "uint32")
    b.op("CUSTOM:SignalWindow", [x, w], [y], custom_options={"shift": 12})
    b.op("RESHAPE", [y, b.tensor("shape", [1], "int32", data=[size])], [r])
    b.op("CUSTOM:SignalFftAutoScale", [r], [s, shift])
    b.op("CUSTOM:SignalRfft", [s], [f], custom_options={"T": RFFT_INT16, "fft_length": fft_length})
    b.op("CUSTOM:SignalEnergy", [f], [e], custom_options={"start_index": 0, "end_index": fft_length // 2 + 1})
    return [x], [e, shift]


def frames(rng, shape, count: int = 12, dtype=np.int16) -> list[np.ndarray]:
    """int16 (int32) frames: silence, full scale of either sign, alternating full scale, a lone
    minimum in quiet noise (TFLite Micro's peak quirk), then noise of many widths. float32
    frames: silence, then noise of widths from 1e-3 to 1e4 (some with a large offset)."""
    shape = tuple(shape)
    if np.dtype(dtype) == np.float32:
        widths = 10.0 ** rng.uniform(-3, 4, count)
        return [np.zeros(shape, np.float32)] + [
            (rng.normal(0, w, shape) + (w * 3 if k % 4 == 0 else 0)).astype(np.float32)
            for k, w in enumerate(widths[1:])]
    info = np.iinfo(dtype)
    n = int(np.prod(shape))
    lone = rng.integers(-40, 40, n)
    lone[rng.integers(n)] = info.min
    xs = [np.zeros(n), np.full(n, info.max), np.full(n, info.min), np.where(np.arange(n) % 2, info.min, info.max),
          lone]
    while len(xs) < count:
        width = 2.0 ** rng.uniform(0, info.bits)
        xs.append(rng.integers(info.min, info.max + 1, n) if len(xs) % 3 == 0 else rng.normal(0, width, n))
    return [np.clip(np.rint(x), info.min, info.max).astype(dtype).reshape(shape) for x in xs]


def call_signal_kernel(kernels, name: str, struct: str, p: dict, arrays, out: np.ndarray) -> np.ndarray:
    """Call C kernel `name` of kernels (a tests/kernel_lib.KernelLib) with its parameter struct,
    the input and constant arrays in order, and `out` (filled in place, returned)."""
    params = kernels._params(struct, p)
    held = [np.ascontiguousarray(a) for a in arrays]
    getattr(kernels.lib, name)(ctypes.byref(params), *[ctypes.c_void_p(a.ctypes.data) for a in held],
                               ctypes.c_void_p(out.ctypes.data))
    return out
