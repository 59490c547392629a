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
from lut_kernels import KERNELS, OPS, ROWS, dsp_pair, lut_case  # noqa: E402
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
@pytest.mark.parametrize("source", [p for p in kernel_paths("tg_*_lut_*.c") if not p.stem.endswith("_mve")],
                         ids=lambda p: p.stem)     # the Helium ones: tests/kernels/test_kernels_mve.py
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


def _standin(cases, work, extra=()) -> None:
    """The cases' portable and DSP (decoding into scratch; depthwise: depth multiplier 1) LUT
    kernels in one firmware on the Cortex-M7 stand-in, against the twins."""
    calls = []
    for op, p, bits, axis, seed in cases:
        args, _ = lut_case(op, p, bits, axis, seed)
        calls.append(Call(_FN[op], p, args, f"lut:{bits}:{axis}"))
        if op != "depthwise_conv2d" or p["depth_multiplier"] == 1:
            calls.append(Call(dsp_pair(op, p)[0], p, args, f"lut:{bits}:{axis}"))
        calls += [Call(name, p, args, f"lut:{bits}:{axis}") for name in extra]
    run_calls("f746zg", calls, work)
    for c in calls:
        assert_same(KERNELS[c.name].twin(c.p, *c.arrays).reshape(-1), c.result.view(np.int8),
                    f"{c.name} {c.label} on the f746zg stand-in, p={c.p}")


@needs_qemu
@pytest.mark.parametrize("label", [k for k in ROWS if k.startswith("kws")])
def test_lut_kws_layers_f746zg_standin(label, tmp_path):
    """The KWS layers at 2..6 bits, tables per tensor and per channel alternately (the pointwise
    layer also through the 3-row block kernel, which serves it)."""
    op, p = ROWS[label]
    extra = ("tg_conv2d_1x1_rows3_lut_decode_s8_dsp",) if "pointwise" in label else ()
    _standin([(op, p, bits, ("tensor", "channel")[bits % 2], bits) for bits in range(2, 7)], tmp_path, extra)


@needs_qemu
def test_lut_drawn_shapes_f746zg_standin(tmp_path):
    fc = {"rows": 3, "in_features": 37, "out_features": 9, "input_offset": 5, "output_offset": -7, "act_min": -100,
          "act_max": 127}
    _standin(_drawn(16) + [("fully_connected", fc, 3, "channel", 9)], tmp_path)


def test_report_tells_lut_kernels_by_name():
    """tinygen.report.weights.reads_lut (below the kernels' layer) tells a LUT kernel by its name:
    every LUT kernel of a MAC op matches, and no other kernel of a MAC op does."""
    from tinygen.ir import Node
    from tinygen.kernels.lut_table import LUT_KERNELS, LUT_NAMES
    from tinygen.kernels.table import KERNELS as ALL
    from tinygen.report.weights import reads_lut

    for spec in ALL:
        node = Node("n", spec.op, [], [], kernel=spec.name)
        assert reads_lut(node) == (spec.name in LUT_NAMES), spec.name
    assert LUT_KERNELS
