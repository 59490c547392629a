"""The filter-bank half of TFLite Micro's signal library (firmware/kernels/signal/, numpy twins in
tinygen/ref/signal_bank.py): per op, on seeded random inputs that reach the wrap-arounds and the
edge cases, the numpy twin equals TFLite Micro (the tflite-micro package running a one-operator
model built by tests/tflite_builder.py) and the C kernel, built for the host with the strict
flags, equals the twin. Tolerance zero."""

from __future__ import annotations

import ctypes
import subprocess

import numpy as np
import pytest
from e2e import first_difference
from tflite_builder import ModelBuilder

from tinygen.ref import signal_bank as sb
from tinygen.resources import kernel_paths

runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime")

CFLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wconversion", "-Wdouble-promotion",
          "-shared", "-fPIC"]
KERNELS = ("tg_filter_bank_u32_u64", "tg_filter_bank_sqrt_u64_u32", "tg_noise_estimate_u32",
           "tg_noise_estimate_reset_u32", "tg_spectral_subtraction_u32", "tg_pcan_u32", "tg_filter_bank_log_u32_s16")

SUBTRACTION = [  # TFLite Micro's micro-speech front end's settings, and a clamping one with other odd channels
    {"smoothing": 655, "one_minus_smoothing": 15729, "alternate_smoothing": 393, "alternate_one_minus_smoothing": 15991,
     "min_signal_remaining": 819, "smoothing_bits": 10, "spectral_subtraction_bits": 14, "clamping": False},
    {"smoothing": 6000, "one_minus_smoothing": 10384, "alternate_smoothing": 9000, "alternate_one_minus_smoothing": 7384,
     "min_signal_remaining": 3000, "smoothing_bits": 3, "spectral_subtraction_bits": 14, "clamping": True},
]


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    out = tmp_path_factory.mktemp("signal_bank") / "libsignalbank.so"
    sources = [str(p) for name in KERNELS for p in kernel_paths(f"{name}.c")]
    assert len(sources) == len(KERNELS)
    include = f"-I{kernel_paths('tg_kernels_signal_bank.h')[0].parent}"
    subprocess.run(["gcc", *CFLAGS, include, *sources, "-o", str(out)], check=True, capture_output=True, text=True)
    return ctypes.CDLL(str(out))


def _ptr(a: np.ndarray):
    return a.ctypes.data_as(ctypes.c_void_p)


def _struct(*values: int):
    return (ctypes.c_int32 * len(values))(*[int(np.int64(v).astype(np.int32)) for v in values])


def _tflm(data: bytes, inputs, n_out: int = 1, interpreter=None):
    it = interpreter or runtime.Interpreter.from_bytes(data)
    for k, x in enumerate(inputs):
        it.set_input(x, k)
    it.invoke()
    return [it.get_output(k) for k in range(n_out)]


def _equal(got, want, what: str) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and np.array_equal(got, want), \
        f"{what}: first difference {first_difference(got, want)}"


def _u32(rng, n, hi=2 ** 32):
    return rng.integers(0, hi, n, dtype=np.uint64).astype(np.uint32)


def test_filter_bank_u32_u64_host(lib):
    rng = np.random.default_rng(45)
    bins, channels = 60, 9
    widths = rng.integers(1, 8, channels + 1).astype(np.int16)
    starts = np.array([rng.integers(0, bins - w) for w in widths], np.int16)
    weight_starts = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int16)
    weights = rng.integers(-4096, 4096, int(widths.sum())).astype(np.int16)       # negative ones wrap
    unweights = rng.integers(-4096, 4096, int(widths.sum())).astype(np.int16)
    tables = (weights, unweights, starts, weight_starts, widths)
    b = ModelBuilder()
    x_t = b.tensor("x", [bins], "uint32")
    consts = [b.tensor(f"t{k}", [t.size], "int16", data=t) for k, t in enumerate(tables)]
    out_t = b.tensor("y", [channels], "uint64")
    b.op("CUSTOM:SignalFilterBank", [x_t, *consts], [out_t], custom_options={"num_channels": channels})
    data = b.finish([x_t], [out_t])
    for hi in (2 ** 20, 2 ** 32):
        x = _u32(rng, bins, hi)
        want = sb.filter_bank_u32_u64({"num_channels": channels}, x, *tables)
        _equal(_tflm(data, [x])[0], want, "TFLite Micro")
        got = np.zeros(channels, np.uint64)
        lib.tg_filter_bank_u32_u64(_struct(channels), _ptr(x), *map(_ptr, tables), _ptr(got))
        _equal(got, want, "tg_filter_bank_u32_u64")


def test_filter_bank_sqrt_u64_u32_host(lib):
    rng = np.random.default_rng(46)
    x = np.concatenate([rng.integers(0, 2 ** 32, 16, dtype=np.uint64),
                        rng.integers(0, 2 ** 64 - 1, 16, dtype=np.uint64, endpoint=True),
                        np.array([0, 1, 2, 3, 4, 2 ** 32 - 1, 2 ** 32, 2 ** 64 - 1, 0xFFFFFFFE00000001,
                                  65535 ** 2 + 65535, 65536 ** 2 - 1], np.uint64),
                        rng.integers(0, 2 ** 20, 21, dtype=np.uint64) ** 2])
    b = ModelBuilder()
    x_t, s_t, out_t = b.tensor("x", [x.size], "uint64"), b.tensor("s", [], "int32"), b.tensor("y", [x.size], "uint32")
    b.op("CUSTOM:SignalFilterBankSquareRoot", [x_t, s_t], [out_t])
    data = b.finish([x_t, s_t], [out_t])
    for shift in (0, 3, 17):
        s = np.array(shift, np.int32)
        want = sb.filter_bank_sqrt_u64_u32({"size": x.size}, x, s)
        _equal(_tflm(data, [x, s])[0], want, f"TFLite Micro, shift {shift}")
        got = np.zeros(x.size, np.uint32)
        lib.tg_filter_bank_sqrt_u64_u32(_struct(x.size), _ptr(x), _ptr(s), _ptr(got))
        _equal(got, want, f"tg_filter_bank_sqrt_u64_u32, shift {shift}")


@pytest.mark.parametrize("options", SUBTRACTION, ids=["micro_speech", "clamping"])
def test_spectral_subtraction_u32_host(lib, options):
    """Six invocations in a row: the noise estimate carries over in TFLite Micro, in the twin's
    state and in the C kernel's; a reset puts all three back to zeros."""
    rng = np.random.default_rng(47)
    n = 10
    b = ModelBuilder()
    x_t, out_t, noise_t = (b.tensor(name, [n], "uint32") for name in ("x", "y", "noise"))
    b.op("CUSTOM:SignalFilterBankSpectralSubtraction", [x_t], [out_t, noise_t],
         custom_options={**options, "num_channels": n})
    it = runtime.Interpreter.from_bytes(b.finish([x_t], [out_t, noise_t]))
    p = {**options, "num_channels": n, "clamping": int(options["clamping"])}
    params = _struct(n, *(p[k] for k in ("smoothing", "one_minus_smoothing", "alternate_smoothing",
                                         "alternate_one_minus_smoothing", "min_signal_remaining", "smoothing_bits",
                                         "spectral_subtraction_bits", "clamping")))
    state, c_state = np.zeros(n, np.uint32), np.zeros(n, np.uint32)
    for step in range(8):
        if step == 6:
            it.reset()
            state[:] = 0
            lib.tg_noise_estimate_reset_u32(params, _ptr(c_state))
        x = _u32(rng, n, [2 ** 12, 2 ** 20, 2 ** 32][step % 3])
        estimate = sb.noise_estimate_u32(p, x, state)
        want = sb.spectral_subtraction_u32(p, x, estimate)
        got_out, got_noise = _tflm(b"", [x], 2, it)
        _equal(got_out, want, f"TFLite Micro output, invocation {step}")
        _equal(got_noise, estimate, f"TFLite Micro noise estimate, invocation {step}")
        c_estimate, c_out = np.zeros(n, np.uint32), np.zeros(n, np.uint32)
        lib.tg_noise_estimate_u32(params, _ptr(x), _ptr(c_state), _ptr(c_estimate))
        lib.tg_spectral_subtraction_u32(params, _ptr(x), _ptr(c_estimate), _ptr(c_out))
        _equal(c_estimate, estimate, f"tg_noise_estimate_u32, invocation {step}")
        _equal(c_state, state, f"state, invocation {step}")
        _equal(c_out, want, f"tg_spectral_subtraction_u32, invocation {step}")


def test_pcan_u32_host(lib):
    rng = np.random.default_rng(48)
    n = 40
    lut = rng.integers(-32768, 32767, 4 * 32 - 3).astype(np.int16)   # negative gains convert to uint32
    b = ModelBuilder()
    x_t, noise_t = b.tensor("x", [n], "uint32"), b.tensor("noise", [n], "uint32")
    lut_t, out_t = b.tensor("lut", [lut.size], "int16", data=lut), b.tensor("y", [n], "uint32")
    for shift in (6, 12, 20):
        b.ops.clear()
        b.op("CUSTOM:SignalPCAN", [x_t, noise_t, lut_t], [out_t], custom_options={"snr_shift": shift})
        data = b.finish([x_t, noise_t], [out_t])
        x = np.concatenate([_u32(rng, 20), _u32(rng, 20, 2 ** 12)])
        noise = np.concatenate([_u32(rng, 30), np.array([0, 1, 2, 3, 4, 2047, 2048, 2 ** 31, 2 ** 32 - 1, 1024],
                                                        np.uint32)])
        want = sb.pcan_u32({"num_channels": n, "snr_shift": shift}, x, noise, lut)
        _equal(_tflm(data, [x, noise])[0], want, f"TFLite Micro, shift {shift}")
        got = np.zeros(n, np.uint32)
        lib.tg_pcan_u32(_struct(n, shift), _ptr(x), _ptr(noise), _ptr(lut), _ptr(got))
        _equal(got, want, f"tg_pcan_u32, shift {shift}")


def test_filter_bank_log_u32_s16_host(lib):
    rng = np.random.default_rng(49)
    x = np.concatenate([_u32(rng, 40), _u32(rng, 20, 300),
                        np.array([0, 1, 2, 3, 2 ** 31, 2 ** 32 - 1, 65536, 65535], np.uint32)])
    b = ModelBuilder()
    x_t, out_t = b.tensor("x", [x.size], "uint32"), b.tensor("y", [x.size], "int16")
    for scale, bits in ((1600, 3), (65535, 0), (1 << 20, 5), (-7, 1)):    # the last two wrap in uint32
        b.ops.clear()
        b.op("CUSTOM:SignalFilterBankLog", [x_t], [out_t],
             custom_options={"input_correction_bits": bits, "output_scale": scale})
        p = {"num_channels": x.size, "output_scale": scale, "correction_bits": bits}
        want = sb.filter_bank_log_u32_s16(p, x, sb.LOG_LUT)
        _equal(_tflm(b.finish([x_t], [out_t]), [x])[0], want, f"TFLite Micro, scale {scale}")
        got = np.zeros(x.size, np.int16)
        lib.tg_filter_bank_log_u32_s16(_struct(x.size, scale, bits), _ptr(x), _ptr(sb.LOG_LUT), _ptr(got))
        _equal(got, want, f"tg_filter_bank_log_u32_s16, scale {scale}")

