"""The shared-weight (LUT) kernels (firmware/kernels/lut/: tg_conv2d_lut_s8,
tg_depthwise_conv2d_lut_s8, tg_fully_connected_lut_s8) equal their numpy twins (the int8
kernels' on the decoded weights) byte for byte: on the host over drawn shapes at 2..6 bits,
one table per tensor or per output channel; on the f746zg stand-in (Cortex-M7, QEMU) on the
MLPerf KWS and IC layer shapes and drawn ones; and they compile with the strict flags for the
Cortex-M cores. benchmarks/lut_kernels.py builds the cases and runs the stand-in calls."""

from __future__ import annotations

import ctypes
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_lib import KERNEL_INCLUDES, assert_same
from standin_lib import ARM_GCC, CORES, STRICT, needs_arm_gcc, needs_qemu
from test_kernels import conv_geometry

from e2e import ROOT
from tinygen.resources import kernel_paths

sys.path.insert(0, str(ROOT / "benchmarks"))
from lut_kernels import KERNELS, OPS, ROWS, lut_case  # noqa: E402
from standin_calls import Call, run_calls  # noqa: E402

SETTINGS = settings(derandomize=True, max_examples=60, deadline=None, database=None)
_FN = {"conv2d": "tg_conv2d_lut_s8", "depthwise_conv2d": "tg_depthwise_conv2d_lut_s8",
       "fully_connected": "tg_fully_connected_lut_s8"}


def _host(kernels, op: str, p: dict, args) -> np.ndarray:
    """The LUT kernel's output on the host build (ctypes)."""
    x, packed, b, m, s = args
    struct = "tg_fully_connected_params_t" if op == "fully_connected" else "tg_conv2d_params_t"
    params = kernels._params(struct, p)
    x, packed = np.ascontiguousarray(x, np.int8), np.ascontiguousarray(packed, np.uint32)
    b = None if b is None else np.ascontiguousarray(b, np.int32)
    m, s = np.ascontiguousarray(m, np.int32), np.ascontiguousarray(s, np.int8)
    out = np.zeros(KERNELS[_FN[op]].out_size(p), np.int8)

    def ptr(a, t):
        return None if a is None else a.ctypes.data_as(ctypes.POINTER(t))

    getattr(kernels.lib, _FN[op])(ctypes.byref(params), ptr(x, ctypes.c_int8), ptr(packed, ctypes.c_uint32),
                                  ptr(b, ctypes.c_int32), ptr(m, ctypes.c_int32), ptr(s, ctypes.c_int8),
                                  ptr(out, ctypes.c_int8))
    return out


def _check_host(kernels, op, p, bits, axis, seed, bias):
    args, w = lut_case(op, p, bits, axis, seed, bias)
    want = KERNELS[_FN[op]].twin(p, *args).reshape(-1)
    assert np.array_equal(want, getattr(__import__("tinygen.ref.kernels", fromlist=["x"]),
                                        OPS[op][2][len("tg_"):])(p, args[0], w, *args[2:]).reshape(-1))
    assert_same(want, _host(kernels, op, p, args), f"{_FN[op]} lut:{bits}:{axis} p={p}")


@SETTINGS
@given(p=conv_geometry(depthwise=False), bits=st.integers(2, 6), axis=st.sampled_from(["tensor", "channel"]),
       seed=st.integers(0, 2**32 - 1), bias=st.booleans())
def test_conv2d_lut_s8_host(kernels, p, bits, axis, seed, bias):
    _check_host(kernels, "conv2d", p, bits, axis, seed, bias)


@SETTINGS
@given(p=conv_geometry(depthwise=True), bits=st.integers(2, 6), axis=st.sampled_from(["tensor", "channel"]),
       seed=st.integers(0, 2**32 - 1), bias=st.booleans())
def test_depthwise_conv2d_lut_s8_host(kernels, p, bits, axis, seed, bias):
    _check_host(kernels, "depthwise_conv2d", p, bits, axis, seed, bias)


@SETTINGS
@given(rows=st.integers(1, 3), n_in=st.integers(1, 80), n_out=st.integers(1, 20), bits=st.integers(2, 6),
       axis=st.sampled_from(["tensor", "channel"]), seed=st.integers(0, 2**32 - 1), bias=st.booleans())
def test_fully_connected_lut_s8_host(kernels, rows, n_in, n_out, bits, axis, seed, bias):
    p = {"rows": rows, "in_features": n_in, "out_features": n_out, "input_offset": 128 - seed % 256,
         "output_offset": seed % 256 - 128, "act_min": -128, "act_max": 127}
    _check_host(kernels, "fully_connected", p, bits, axis, seed, bias)


@pytest.mark.parametrize("label", list(ROWS))
@pytest.mark.parametrize("bits", [2, 3, 5])
def test_lut_kernels_host_mlperf_layers(kernels, label, bits):
    op, p = ROWS[label]
    for axis in ("tensor", "channel"):
        _check_host(kernels, op, p, bits, axis, bits, True)


@needs_arm_gcc
@pytest.mark.parametrize("core", ["cortex-m7", "cortex-m4"])
@pytest.mark.parametrize("source", kernel_paths("tg_*_lut_s8.c"), ids=lambda p: p.stem)
def test_lut_kernel_compiles_strict(source, core, tmp_path):
    cmd = [ARM_GCC, f"-mcpu={core}", "-mthumb", "-mfloat-abi=hard", f"-mfpu={CORES[core]}", *STRICT,
           *KERNEL_INCLUDES, "-c", str(source), "-o", str(tmp_path / "k.o")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _drawn(n: int) -> list[tuple[str, dict, int, str, int]]:
    cases = []

    @settings(derandomize=True, max_examples=n, deadline=None, database=None)
    @given(data=st.data(), bits=st.integers(2, 6), axis=st.sampled_from(["tensor", "channel"]),
           seed=st.integers(0, 2**32 - 1))
    def draw(data, bits, axis, seed):
        op = data.draw(st.sampled_from(["conv2d", "depthwise_conv2d"]))
        cases.append((op, data.draw(conv_geometry(depthwise=op == "depthwise_conv2d")), bits, axis, seed))

    draw()
    return cases


@needs_qemu
def test_lut_kernels_f746zg_standin(tmp_path):
    """The KWS and IC layers at 2..6 bits (tables per tensor and per channel, alternately) and
    drawn shapes, in one firmware on the Cortex-M7 stand-in, against the twins."""
    cases = [(op, p, bits, ("tensor", "channel")[bits % 2], bits) for op, p in ROWS.values() for bits in range(2, 7)
             if op != "conv2d" or p["in_h"] * p["out_c"] <= 25 * 64]
    cases += _drawn(16)
    calls = []
    for op, p, bits, axis, seed in cases:
        args, _ = lut_case(op, p, bits, axis, seed)
        calls.append(Call(_FN[op], p, args, f"lut:{bits}:{axis}"))
    run_calls("f746zg", calls, tmp_path)
    for c in calls:
        assert_same(KERNELS[c.name].twin(c.p, *c.arrays).reshape(-1), c.result.view(np.int8),
                    f"{c.name} {c.label} on the f746zg stand-in, p={c.p}")
