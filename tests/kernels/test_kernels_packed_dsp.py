"""The packed-multiply kernels (tg_conv2d_u4_s4_s8, tg_conv2d_u2_s2_s8, portable and _dsp) and
binary weights as byte masks (tg_conv2d_s8_b1x8_s8_dsp) on
the Cortex-M7 (mps2-an500, the F746ZG's stand-in) and Cortex-M4 (mps2-an386, the F446RE's)
QEMU stand-ins, against the numpy twins, byte for byte.

benchmarks/lowbit_kernels.py's run_calls builds one firmware holding the cases (geometry drawn
like the host tests in tests/kernels/test_kernels_packed.py: odd sizes, in_c not a multiple of the
lanes, out_c not a multiple of 4, stride 2, dilation, every padding, asymmetric activations,
odd on and off; plus the extremes: every weight at the most negative code, every input at the
top of its range, the padding's value at the top too, fields of several blocks) and reads
each output back over the UART. The kernels also compile with the strict flags for both cores.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_lib import KERNEL_INCLUDES, assert_same
from standin_lib import ARM_GCC, CORES, STRICT, needs_arm_gcc, needs_qemu
from test_kernels_b1 import with_bias_shift
from test_kernels_packed import KINDS, TWINS, name, packed_case, packed_geometry

from e2e import ROOT
from tinygen.quant.pack_b1 import B1X8_FIELD_BYTES, byte_masks_fit, pack_binary_weights, pack_byte_masks
from tinygen.quant.pack_mul import pack_mul_weights, packed_scratch_bytes
from tinygen.ref.binary import conv2d_s8_b1_s8
from tinygen.resources import firmware_path, kernel_paths

sys.path.insert(0, str(ROOT / "benchmarks"))
from lowbit_kernels import Call, run_calls  # noqa: E402

BOARDS = {"cortex-m7": "f746zg", "cortex-m4": "f446re"}
SOURCES = kernel_paths("tg_conv2d_u[42]_s[42]_s8*.c") + [firmware_path("kernels/tg_conv2d_s8_b1x8_s8_dsp.c")]


@needs_arm_gcc
@pytest.mark.parametrize("core", list(BOARDS))
@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_packed_kernel_compiles_strict(source, core, tmp_path):
    cmd = [ARM_GCC, f"-mcpu={core}", "-mthumb", "-mfloat-abi=hard", f"-mfpu={CORES[core]}", *STRICT,
           *KERNEL_INCLUDES, "-c", str(source), "-o", str(tmp_path / "k.o")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def drawn_cases(n: int) -> list[tuple[str, dict, tuple]]:
    cases = []

    @settings(derandomize=True, max_examples=n, deadline=None, database=None)
    @given(data=st.data(), s=st.integers(0, 2**32 - 1), with_bias=st.booleans())
    def draw(data, s, with_bias):
        kind = data.draw(st.sampled_from(list(KINDS)))
        p = data.draw(packed_geometry(kind))
        if p["out_h"] * p["out_w"] * p["out_c"] <= 2048:
            cases.append((kind, p, packed_case(kind, p, s, with_bias)))

    draw()
    return cases


def extreme_cases() -> list[tuple[str, dict, tuple]]:
    """Most negative weights, inputs and padding at the top of the range, 3x3 stride 2 over
    in_c 255 (u2: 27 blocks of fields; u4: 33), odd on and off."""
    cases = []
    for kind, bits in KINDS.items():
        for odd in (0, 1):
            p = {"in_h": 5, "in_w": 3, "in_c": 255, "out_h": 3, "out_w": 2, "out_c": 5, "kernel_h": 3,
                 "kernel_w": 3, "stride_h": 2, "stride_w": 2, "dilation_h": 1, "dilation_w": 1, "pad_top": 1,
                 "pad_left": 1, "input_offset": 128 - (1 << bits) + 1, "in_off": 128, "output_offset": 3,
                 "act_min": -128, "act_max": 127, "odd": odd}
            x, rows, b, _, _ = packed_case(kind, p, odd, True, extreme="low_w_top_x")
            cases.append((kind, p, (x, rows, b, np.full(5, 1 << 30), np.full(5, -12))))
    return cases


def _check(core: str, cases, tmp_path) -> None:
    calls = []
    for kind, p, (x, rows, b, m, s) in cases:
        args = (x.astype(np.int8), pack_mul_weights(p, rows, kind), b, m, s)
        calls += [Call(name(kind), p, args), Call(f"{name(kind)}_dsp", p, args)]
    run_calls(BOARDS[core], calls, tmp_path)
    for i, (kind, p, args) in enumerate(cases):
        expected = TWINS[kind](p, *args).reshape(-1)
        for c in calls[2 * i:2 * i + 2]:
            assert_same(expected, c.result, f"{c.name} on {core}, p={p}")


@needs_qemu
@pytest.mark.parametrize("core", list(BOARDS))
def test_packed_extremes_standin(core, tmp_path):
    _check(core, extreme_cases(), tmp_path)


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("core", list(BOARDS))
def test_packed_drawn_shapes_standin(core, tmp_path):
    cases = drawn_cases(40)
    assert len(cases) >= 25, "the size filter left too few cases"
    assert max(packed_scratch_bytes(p, k) for k, p, _ in cases) < 24 * 1024
    _check(core, cases, tmp_path)


# -- binary weights as byte masks (tg_conv2d_s8_b1x8_s8_dsp) ---------------------------------

def b1x8_case(p: dict, seed: int, extreme: bool = False):
    """(input, byte-mask constant, bias, multiplier, shift) on random or extreme values: every
    weight -1 (the most negative code), every input 127 with the zero point at -128."""
    rng = np.random.default_rng(seed)
    w = np.where(rng.random((p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"])) < 0.5, -1, 1)
    x = rng.integers(-128, 128, (p["in_h"], p["in_w"], p["in_c"]))
    if extreme:
        w[:], x[:] = -1, 127
    m, s = np.full(p["out_c"], 1 << 30), np.full(p["out_c"], -14)
    b = rng.integers(-20000, 20000, p["out_c"])
    return x.astype(np.int8), pack_byte_masks(p, pack_binary_weights(w)), b, m, s, w


def _b1x8_p(g: dict, zp: int) -> dict:
    keep = ("in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "kernel_h", "kernel_w", "stride_h", "stride_w",
            "dilation_h", "dilation_w", "pad_top", "pad_left", "output_offset", "act_min", "act_max")
    return {**{k: g[k] for k in keep}, "depth_multiplier": 1, "input_offset": -zp}


@needs_qemu
@pytest.mark.parametrize("core", list(BOARDS))
def test_b1x8_standin(core, tmp_path):
    """Drawn shapes (odd sizes, K not a multiple of 4, out_c not of 4, stride, dilation,
    padding, any zero point) and the extremes (the largest field), against conv2d_s8_b1_s8
    byte for byte."""
    cases = []

    @settings(derandomize=True, max_examples=30, deadline=None, database=None)
    @given(data=st.data(), s=st.integers(0, 2**32 - 1), zp=st.integers(-128, 127))
    def draw(data, s, zp):
        g = data.draw(packed_geometry("u4"))
        if g["out_h"] * g["out_w"] * g["out_c"] <= 2048:
            cases.append((_b1x8_p(g, zp), s, False))

    draw()
    # K = 1152: the largest field the stack buffer takes
    big = {"in_h": 5, "in_w": 3, "in_c": 128, "out_h": 3, "out_w": 2, "out_c": 5, "kernel_h": 3, "kernel_w": 3,
           "stride_h": 2, "stride_w": 2, "dilation_h": 1, "dilation_w": 1, "pad_top": 1, "pad_left": 1,
           "output_offset": 3, "act_min": -128, "act_max": 127, "depth_multiplier": 1, "input_offset": 128}
    cases.append((big, 1, True))
    calls, wants = [], []
    for p, s, extreme in cases:
        x, packed, b, m, sh, w = b1x8_case(p, s, extreme)
        calls.append(Call("tg_conv2d_s8_b1x8_s8_dsp", p, (x, packed, b, m, sh)))
        wants.append(conv2d_s8_b1_s8(p, x, pack_binary_weights(w), b, m, sh).reshape(-1))
    run_calls(BOARDS[core], calls, tmp_path)
    for c, want in zip(calls, wants):
        assert_same(want, c.result, f"tg_conv2d_s8_b1x8_s8_dsp on {core}, p={c.p}")


def test_b1x8_field_limit_matches_c():
    text = firmware_path("kernels/tg_kernels_b1.h").read_text()
    assert f"#define TG_B1X8_FIELD_BYTES {B1X8_FIELD_BYTES}" in text
    assert byte_masks_fit({"kernel_h": 3, "kernel_w": 3, "in_c": 128})
    assert not byte_masks_fit({"kernel_h": 3, "kernel_w": 3, "in_c": 129})


@needs_qemu
@pytest.mark.parametrize("core", list(BOARDS))
def test_packed_u4_bias_shift_standin(core, tmp_path):
    """bias_shift k > 0 (a float bias finer than one unit): tg_conv2d_u4_s4_s8_dsp takes it as the
    portable kernel does (the u2 DSP kernel does not: lowbit_table refuses it such layers)."""
    cases = []
    for i, (kind, p, args) in enumerate(extreme_cases() + drawn_cases(12)):
        if kind == "u4":
            q, fine = with_bias_shift(p, 1 + i % 8, args)
            cases.append((kind, q, fine))
    assert len(cases) >= 4
    _check(core, cases, tmp_path)
