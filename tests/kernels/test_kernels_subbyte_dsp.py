"""The ARMv7E-M sub-byte and power-of-two weight kernels (tg_conv2d_s8_{s4,s2,p4}_s8_dsp)
on the Cortex-M7 (mps2-an500, the F746ZG's stand-in) and Cortex-M4 (mps2-an386, the
F446RE's) QEMU stand-ins, against the numpy twins (tinygen.ref.subbyte), byte for byte.

benchmarks/lowbit_kernels.py's run_calls builds one firmware holding the cases as
constant arrays (geometry drawn like the host tests: odd sizes, K odd and not a multiple
of the 8 or 16 codes of a weight word, channels 1, 3, 5, 17, 64, stride 2, dilation,
every padding, asymmetric zero points, left shifts, odd / zero_code on and off, odd and
even pixel counts), runs every kernel call in turn on the stand-in and reads each output
back over the UART. The kernels also compile with the strict flags for both cores, and
the C scratch formula equals tinygen.quant.pack_subbyte's.
"""

from __future__ import annotations

import ctypes
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_lib import KERNEL_INCLUDES, assert_same, parse_structs
from standin_lib import ARM_GCC, CORES, STRICT, needs_arm_gcc, needs_qemu
from test_kernels_subbyte import KINDS, TWINS, subbyte_case, subbyte_geometry

from e2e import ROOT
from tinygen.quant.pack_subbyte import dsp_scratch_bytes
from tinygen.resources import firmware_path, kernel_paths

sys.path.insert(0, str(ROOT / "benchmarks"))
from lowbit_kernels import Call, run_calls  # noqa: E402

BOARDS = {"cortex-m7": "f746zg", "cortex-m4": "f446re"}
SUBBYTE_SOURCES = [p for p in kernel_paths("tg_conv2d_s8_[sp][42]_s8*.c") if not p.stem.endswith("_mve")]  # (M55: test_kernels_mve.py)
MAX_SCRATCH = 24 * 1024     # drawn cases above it are left out (the F446RE has 128 KB of RAM)


# -- tests ------------------------------------------------------------------------------------

@needs_arm_gcc
@pytest.mark.parametrize("core", list(BOARDS))
@pytest.mark.parametrize("source", SUBBYTE_SOURCES, ids=lambda p: p.stem)
def test_subbyte_kernel_compiles_strict(source, core, tmp_path):
    cmd = [ARM_GCC, f"-mcpu={core}", "-mthumb", "-mfloat-abi=hard", f"-mfpu={CORES[core]}", *STRICT,
           *KERNEL_INCLUDES, "-c", str(source), "-o", str(tmp_path / "k.o")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_dsp_scratch_formula_matches_c(tmp_path):
    shim = tmp_path / "size.c"
    shim.write_text('#include "tg_kernels_subbyte.h"\n'
                    "int32_t tgt_size(const tg_conv2d_subbyte_params_t *p, int32_t bits, int32_t table)\n"
                    "{ return tg_conv2d_subbyte_dsp_buffer_size(p, bits, table); }\n")
    so = tmp_path / "size.so"
    subprocess.run(["gcc", *STRICT, "-shared", "-fPIC", *KERNEL_INCLUDES, str(shim), "-o", str(so)], check=True)
    lib = ctypes.CDLL(str(so))
    fields = dict(parse_structs(firmware_path("kernels/tg_kernels_subbyte.h").read_text()))
    cls = type("P", (ctypes.Structure,), {"_fields_": fields["tg_conv2d_subbyte_params_t"]})
    for kind in KINDS:
        bits = KINDS[kind][0]
        for kh, kw, c in [(1, 1, 1), (1, 1, 7), (3, 3, 3), (5, 3, 17), (1, 1, 64), (3, 3, 64)]:
            s = cls(kernel_h=kh, kernel_w=kw, in_c=c)
            p = {"kernel_h": kh, "kernel_w": kw, "in_c": c}
            assert lib.tgt_size(ctypes.byref(s), bits, int(kind == "p4")) == dsp_scratch_bytes(p, kind)


def drawn_cases(n: int, seed: int) -> list[tuple[str, dict, tuple]]:
    """n cases, the kinds in turn, drawn by hypothesis (derandomized) from the host tests' geometry."""
    cases = []

    @settings(derandomize=True, max_examples=n, deadline=None, database=None)
    @given(data=st.data(), s=st.integers(0, 2**32 - 1), with_bias=st.booleans())
    def draw(data, s, with_bias):
        kind = list(KINDS)[len(cases) % len(KINDS)]     # each kind in turn
        p = data.draw(subbyte_geometry(kind))
        if p["out_h"] * p["out_w"] * p["out_c"] <= 2048 and dsp_scratch_bytes(p, kind) <= MAX_SCRATCH:
            cases.append((kind, p, subbyte_case(kind, p, s ^ seed, with_bias)))

    draw()
    return cases


def _check(core: str, cases, tmp_path) -> None:
    calls = [Call(f"tg_conv2d_s8_{kind}_s8_dsp", p, args) for kind, p, args in cases]
    run_calls(BOARDS[core], calls, tmp_path)
    for (kind, p, args), c in zip(cases, calls):
        expected = TWINS[kind](p, *args).reshape(-1)
        assert_same(expected, c.result, f"tg_conv2d_s8_{kind}_s8_dsp on {core}, p={p}")


def fixed_cases() -> list[tuple[str, dict, tuple]]:
    """Every kind x flag on shapes that reach each path: 1 and 64 channels, K = 1, 9, 75,
    576, an odd pixel count (the last pixel alone), stride 2 with padding, a 1x1 image (FC)."""
    base = {"stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1, "input_offset": 5,
            "output_offset": -7, "act_min": -128, "act_max": 127}
    shapes = [
        dict(in_h=1, in_w=1, in_c=1, out_h=1, out_w=1, out_c=3, kernel_h=1, kernel_w=1, pad_top=0, pad_left=0),
        dict(in_h=1, in_w=1, in_c=75, out_h=1, out_w=1, out_c=17, kernel_h=1, kernel_w=1, pad_top=0, pad_left=0),
        dict(in_h=5, in_w=3, in_c=3, out_h=5, out_w=3, out_c=5, kernel_h=3, kernel_w=3, pad_top=1, pad_left=1),
        dict(in_h=6, in_w=6, in_c=64, out_h=3, out_w=3, out_c=64, kernel_h=3, kernel_w=3, pad_top=1,
             pad_left=1, stride_h=2, stride_w=2),
        dict(in_h=7, in_w=5, in_c=5, out_h=4, out_w=5, out_c=7, kernel_h=5, kernel_w=3, pad_top=2, pad_left=1,
             stride_h=2, input_offset=-100, output_offset=50, act_min=0, act_max=100),
    ]
    cases = []
    for i, shape in enumerate(shapes):
        for kind in KINDS:
            for flag in (0, 1):
                p = {**base, **shape, "odd": flag if kind != "p4" else 0, "zero_code": flag if kind == "p4" else 0}
                p = {k: p[k] for k in ("in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "kernel_h", "kernel_w",
                                       "stride_h", "stride_w", "dilation_h", "dilation_w", "pad_top", "pad_left",
                                       "input_offset", "output_offset", "act_min", "act_max", "odd", "zero_code")}
                cases.append((kind, p, subbyte_case(kind, p, 100 * i + flag, i % 2 == 0)))
    return cases


@needs_qemu
@pytest.mark.parametrize("core", list(BOARDS))
def test_subbyte_dsp_fixed_shapes_standin(core, tmp_path):
    _check(core, fixed_cases(), tmp_path)


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("core", list(BOARDS))
def test_subbyte_dsp_drawn_shapes_standin(core, tmp_path):
    cases = drawn_cases(60, 7)
    assert len(cases) >= 40, "the size filter left too few cases"
    _check(core, cases, tmp_path)
