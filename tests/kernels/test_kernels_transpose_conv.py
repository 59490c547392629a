"""The transposed convolution's kernels on the host, and the constants and scratch they are
built with (tinygen.kernels.transpose_conv, firmware/kernels/conv/tg_transpose_conv2d*.c).

The numpy twin (tinygen.ref.transpose_conv) equals TFLite Micro's reference loops written out
(tests/transpose_conv_lib.py); the portable C kernel and the RV32IM kernel (plain C, built for
the host) equal the twin byte for byte over drawn layers: strides 1 to 3, dilation, kernels
of 1 to 5 taps, padding before the output, outputs cropped before the last tap's row or
reaching past it, odd channel counts, clamps, left and right shifts. The phases' taps equal
a search over every tap; the packed constants hold every weight once; the DSP kernel's
scratch formula equals its C twin. The DSP kernel runs on the stand-ins
(test_kernels_transpose_conv_standin.py), the frontends in tests/frontend.
"""

from __future__ import annotations

import ctypes
import subprocess

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel_lib import KERNEL_INCLUDES, assert_same, header_text, parse_structs
from standin_lib import STRICT
from transpose_conv_lib import tconv_case, tconv_geometry, tflm_loops
from tinygen.kernels.rv32 import BLOCK
from tinygen.kernels.transpose_conv import (dsp_rows, dsp_scratch, phase_axis, phase_rv32_weights, phase_weights,
                                            phases)
from tinygen.ref.transpose_conv import transpose_conv2d_s8
from tinygen.resources import firmware_path

SETTINGS = settings(derandomize=True, max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(derandomize=True, max_examples=60, deadline=None)
@given(p=tconv_geometry(max_in=4, channels=st.integers(1, 4)), seed=st.integers(0, 2**32 - 1),
       with_bias=st.booleans())
def test_transpose_conv2d_s8_twin_equals_tflm_loops(p, seed, with_bias):
    args = tconv_case(p, seed, with_bias)
    assert_same(tflm_loops(p, *args), transpose_conv2d_s8(p, *args), "transpose_conv2d_s8 twin")


def test_transpose_conv2d_s8_twin_named_layer():
    """A named vector: 2x upsampling, 3x3, PyTorch padding 1 and output_padding 1 (TFLite SAME
    has padding 0 and 1), 4x4x3 -> 8x8x2; a meaningful spread of outputs."""
    p = {"in_h": 4, "in_w": 4, "in_c": 3, "out_h": 8, "out_w": 8, "out_c": 2, "kernel_h": 3, "kernel_w": 3,
         "stride_h": 2, "stride_w": 2, "dilation_h": 1, "dilation_w": 1, "pad_top": 1, "pad_left": 1,
         "input_offset": 17, "output_offset": -5, "act_min": -128, "act_max": 127}
    x, w, b, m, _ = tconv_case(p, 7)
    s = np.full(2, -9, np.int32)
    want = tflm_loops(p, x, w, b, m, s)
    assert len(np.unique(want)) > 40
    assert_same(want, transpose_conv2d_s8(p, x, w, b, m, s), "transpose_conv2d_s8 8x8x2")


@SETTINGS
@given(p=tconv_geometry(), seed=st.integers(0, 2**32 - 1), with_bias=st.booleans())
def test_transpose_conv2d_s8_host(kernels, p, seed, with_bias):
    args = tconv_case(p, seed, with_bias)
    assert_same(transpose_conv2d_s8(p, *args), kernels.transpose_conv2d_s8(p, *args), "tg_transpose_conv2d_s8")


@SETTINGS
@given(p=tconv_geometry(channels=st.integers(1, 11)), seed=st.integers(0, 2**32 - 1), with_bias=st.booleans())
def test_transpose_conv2d_s8_rv32_host(kernels, p, seed, with_bias):
    x, w, b, m, s = tconv_case(p, seed, with_bias)
    packed = phase_rv32_weights(p, {"weight": w, "bias": b})
    assert_same(transpose_conv2d_s8(p, x, w, b, m, s), kernels.transpose_conv2d_s8_rv32(p, x, packed, b, m, s),
                "tg_transpose_conv2d_s8_rv32 (host build)")


@pytest.mark.parametrize("s", [1, 2, 3, 4])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_phase_axis_lists_the_taps_reaching_each_phase(s, d):
    """Every (k, padding, phase): the taps the phase lists are those that reach its outputs,
    and its tap j reads input (o + pad - first * d) / s + j * in_step for each output o."""
    for k in range(1, 7):
        for pad in range(0, d * (k - 1) + 2):
            for a in range(s):
                ax = phase_axis(a, k, s, d, pad)
                for o in range(a, a + 3 * s, s):
                    reach = sorted((t for t in range(k) if (o + pad - t * d) % s == 0), reverse=True)
                    assert ax.taps == reach
                    assert [(o + pad - t * d) // s for t in ax.taps] == \
                           [(o + pad - ax.first * d) // s + j * ax.in_step for j in range(ax.count)]


@settings(derandomize=True, max_examples=40, deadline=None)
@given(p=tconv_geometry(), seed=st.integers(0, 2**32 - 1))
def test_packed_weights_hold_every_weight_once(p, seed):
    """The DSP kernel's phases: every weight once, the channels completed to 4 with zeros; the
    RV32IM kernel's: per block of 4 channels the folded biases, then every weight once."""
    x, w, b, *_ = tconv_case(p, seed)
    c4 = -(-p["in_c"] // 4) * 4
    packed = phase_weights(p, {"weight": w})
    assert packed.dtype == np.int8 and packed.size == w.size // p["in_c"] * c4
    assert sorted(packed.tolist()) == sorted(w.ravel().tolist() + [0] * (packed.size - w.size))
    words = phase_rv32_weights(p, {"weight": w, "bias": b})
    blocks = -(-p["out_c"] // BLOCK)
    start, seen = 0, []
    for y, xa in phases(p):
        depth = y.count * xa.count * p["in_c"]
        part = words[start:start + blocks * (BLOCK + depth)].reshape(blocks, BLOCK + depth)
        start += blocks * (BLOCK + depth)
        bytes_ = part[:, BLOCK:].copy().view(np.int8).reshape(blocks, depth, BLOCK).transpose(0, 2, 1)
        real = bytes_.reshape(blocks * BLOCK, depth)[:p["out_c"]]
        sub = w[:, y.taps][:, :, xa.taps].reshape(p["out_c"], -1)
        assert np.array_equal(real, sub)
        bias = b.astype(np.int64) + p["input_offset"] * sub.astype(np.int64).sum(axis=1)
        assert np.array_equal(part[:, :BLOCK].ravel()[:p["out_c"]], bias.astype(np.int32))
        seen += sub.ravel().tolist()
    assert start == words.size and sorted(seen) == sorted(w.ravel().tolist())


def test_dsp_scratch_formula_matches_c(tmp_path):
    """tinygen.kernels.transpose_conv.dsp_scratch (the planner's) == tg_transpose_conv2d_s8_dsp_buffer_size."""
    shim = tmp_path / "size.c"
    shim.write_text('#include "tg_transpose_conv2d.h"\n'
                    "int32_t tgt_size(const tg_transpose_conv2d_params_t *p)\n"
                    "{ return tg_transpose_conv2d_s8_dsp_buffer_size(p); }\n"
                    "int32_t tgt_slots(const tg_transpose_conv2d_params_t *p) { return tg_tconv_rows(p).slots; }\n"
                    "int32_t tgt_width(const tg_transpose_conv2d_params_t *p) { return tg_tconv_rows(p).width; }\n"
                    "int32_t tgt_left(const tg_transpose_conv2d_params_t *p) { return tg_tconv_rows(p).left; }\n")
    so = tmp_path / "size.so"
    subprocess.run(["gcc", *STRICT, "-shared", "-fPIC", *KERNEL_INCLUDES, str(shim), "-o", str(so)], check=True)
    lib = ctypes.CDLL(str(so))
    fields = dict(parse_structs(header_text(firmware_path("kernels/tg_kernels.h"))))
    cls = type("P", (ctypes.Structure,), {"_fields_": fields["tg_transpose_conv2d_params_t"]})
    geometries = []

    @settings(derandomize=True, max_examples=300, deadline=None)
    @given(p=tconv_geometry(dilations=(1, 2, 3), max_in=12, channels=st.integers(1, 40)))
    def draw(p):
        geometries.append(p)

    draw()
    for p in geometries:
        c = cls(**p)
        r = dsp_rows(p)
        got = tuple(fn(ctypes.byref(c)) for fn in (lib.tgt_slots, lib.tgt_width, lib.tgt_left))
        assert got == (r.slots, r.width, r.left), p
        assert lib.tgt_size(ctypes.byref(c)) == dsp_scratch(p), p
    # the 2x upsampling layers: a few rows of the input, widened, not the output
    up = {**geometries[0], "in_h": 8, "in_w": 8, "in_c": 16, "out_h": 16, "out_w": 16, "out_c": 8, "kernel_h": 3,
          "kernel_w": 3, "stride_h": 2, "stride_w": 2, "dilation_h": 1, "dilation_w": 1, "pad_top": 1, "pad_left": 1}
    assert dsp_rows(up).slots == 2 and dsp_rows(up).width == 9
    assert dsp_scratch(up) == 4 * 32 + 8 + 16 * 2 * 2 * 4 + 2 * 9 * 4 * 16
