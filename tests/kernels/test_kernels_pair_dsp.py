"""The pixel-pair 4-bit kernel (tg_conv2d_pair_u4_s4_s8, portable and _dsp) on the Cortex-M7
(mps2-an500, the F746ZG's stand-in) and Cortex-M4 (mps2-an386, the F446RE's) QEMU stand-ins,
against the numpy twin, byte for byte.

benchmarks/lowbit_kernels.py's run_calls builds one firmware holding the cases and reads each
output back over the UART. The cases: the host tests' extremes (every weight at the most
negative or the most positive code, every input at the top of its range, 3x3 stride 2 over
in_c 255: 32 blocks of fields, 1, 4, 6 and 9 output pixels, odd on and off, in_off 0 (packed
in place) and 128), the in-place packing's every count of values left after its 12-value
turns (in_c 1 .. 3, 12 .. 23, random and extreme inputs; padding on every side, dilation)
and, marked slow, shapes
drawn like the host tests (tests/kernels/test_kernels_pair.py). The kernels also compile with the
strict flags for both cores, and the assembly's written-out steps keep their size (the file
checks it with .error).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_lib import KERNEL_INCLUDES, assert_same
from standin_lib import ARM_GCC, CORES, STRICT, needs_arm_gcc, needs_qemu
from test_kernels_packed import packed_geometry
from test_kernels_pair import NAME, consts_of, extreme_params, pair_case

from e2e import ROOT
from tinygen.kernels.pair_u4 import pack_pair_u4, pair_scratch_bytes, pair_uses_ring
from tinygen.ref.subbyte import conv2d_u4_s4_s8
from tinygen.resources import firmware_path

sys.path.insert(0, str(ROOT / "benchmarks"))
from lowbit_kernels import Call, run_calls  # noqa: E402

BOARDS = {"cortex-m7": "f746zg", "cortex-m4": "f446re"}


@needs_arm_gcc
@pytest.mark.parametrize("core", list(BOARDS))
@pytest.mark.parametrize("variant", ["", "_dsp"])
def test_pair_kernel_compiles_strict(variant, core, tmp_path):
    cmd = [ARM_GCC, f"-mcpu={core}", "-mthumb", "-mfloat-abi=hard", f"-mfpu={CORES[core]}", *STRICT,
           *KERNEL_INCLUDES, "-c", str(firmware_path(f"kernels/{NAME}{variant}.c")), "-o", str(tmp_path / "k.o")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def extreme_cases(in_off: int) -> list[tuple[dict, tuple]]:
    cases = []
    for extreme in ("low_w_top_x", "high_w_top_x"):
        for odd in (0, 1):
            for in_c, k, out_h, out_w, stride in ((255, 3, 3, 3, 2), (64, 3, 3, 2, 2), (32, 3, 2, 2, 2),
                                                  (1, 1, 1, 1, 2), (64, 3, 3, 3, 1), (32, 3, 4, 4, 1)):
                if stride == 1 and in_off != 0:
                    continue                # (stride 1 for the ring, which in_off 0 takes; the M4's RAM)
                p = extreme_params(in_c, k, out_h, out_w, odd, in_off, stride)
                cases.append((p, pair_case(p, in_c + odd, True, extreme=extreme)))
    return cases


def tap_cases() -> list[tuple[dict, tuple]]:
    """In-place packing (in_off 0, 3x3 stride 2: tg_pair_walk_u4_dsp) for in_c 1 .. 3 and
    12 .. 23: every count of values the 12-value turns leave (0 .. 11: the 6-, 3-, 2- and
    1-value paths and their combinations), taps at every byte alignment, padded taps of 0 .. 7
    whole words, odd and even, with and without a last partial word; random inputs and codes,
    and every input at the top of its range with every weight at the most negative code.
    Out 3x2 with 'same' padding: padded taps at the top and left; one row and column of input
    less (padding at the bottom and right too), and dilation 2 (runs of taps 2 in_c apart,
    windows padded on every side); a 1x1 stride-2 layer whose padding leaves some windows
    without a tap inside."""
    cases = []
    for in_c in (1, 2, 3, *range(12, 24)):
        p = extreme_params(in_c, 3, 3, 2, 0, 0, 2)
        if in_c % 2:
            p = {**p, "in_h": p["in_h"] - 1, "in_w": p["in_w"] - 1}
        if in_c % 3 == 1:
            p = {**p, "dilation_h": 2, "dilation_w": 2, "pad_top": 2, "pad_left": 2}
        assert not pair_uses_ring(p)
        cases.append((p, pair_case(p, in_c, True)))
        cases.append((p, pair_case(p, in_c, True, extreme="low_w_top_x")))
    p = {**extreme_params(5, 1, 2, 2, 0, 0, 2), "pad_top": 1, "pad_left": 1}    # windows with no tap inside
    cases.append((p, pair_case(p, 5, True)))
    return cases


def drawn_cases(n: int) -> list[tuple[dict, tuple]]:
    cases = []

    @settings(derandomize=True, max_examples=n, deadline=None, database=None)
    @given(data=st.data(), s=st.integers(0, 2**32 - 1), with_bias=st.booleans())
    def draw(data, s, with_bias):
        p = data.draw(packed_geometry("u4"))
        weights = p["out_c"] * p["kernel_h"] * p["kernel_w"] * p["in_c"]
        if p["out_h"] * p["out_w"] * p["out_c"] <= 2048 and weights <= 8192:     # the F446RE's flash, all cases
            cases.append((p, pair_case(p, s, with_bias)))

    draw()
    return cases


def _check(core: str, cases, tmp_path) -> None:
    calls = []
    for p, (x, rows, b, m, s) in cases:
        args = (x, pack_pair_u4(p, consts_of(rows, b, m, s)))
        calls += [Call(NAME, p, args), Call(f"{NAME}_dsp", p, args)]
    run_calls(BOARDS[core], calls, tmp_path)
    for i, (p, args) in enumerate(cases):
        expected = conv2d_u4_s4_s8(p, *args).reshape(-1)
        for c in calls[2 * i:2 * i + 2]:
            assert_same(expected, c.result, f"{c.name} on {core}, p={p}")


@needs_qemu
@pytest.mark.parametrize("in_off", [0, 128])
@pytest.mark.parametrize("core", list(BOARDS))
def test_pair_extremes_standin(core, in_off, tmp_path):
    _check(core, extreme_cases(in_off), tmp_path)


@needs_qemu
@pytest.mark.parametrize("core", list(BOARDS))
def test_pair_tap_remainders_standin(core, tmp_path):
    _check(core, tap_cases(), tmp_path)


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("core", list(BOARDS))
def test_pair_drawn_shapes_standin(core, tmp_path):
    cases = drawn_cases(60)
    assert len(cases) >= 30, "the size filter left too few cases"
    assert sum(pair_scratch_bytes(p) for p, _ in cases) < 64 * 1024
    _check(core, cases, tmp_path)
