"""The ARMv7E-M binary kernels (tg_conv2d_b1_b1_s8_dsp, tg_conv2d_b1_b1_b1_dsp,
tg_conv2d_s8_b1_s8_dsp, tg_conv2d_s8_s8_b1_dsp) on the Cortex-M7 (mps2-an500) and Cortex-M4 (mps2-an386)
stand-ins == their numpy twins (tinygen.ref.binary), byte for byte.

They compile with the strict flags for both cores. One firmware per board
runs up to 30 calls (benchmarks/lowbit_kernels.py's harness: inputs as flash constants, the
outputs back over the UART). Shapes are drawn from a seeded generator like the host
tests' (tests/kernels/test_kernels_b1.py builds the arrays): odd sizes, channel counts 1, 5, 31,
32, 33, 64, 100, stride 1 and 2, kernels 1x1 / 3x3 / 5x3 / 3x1 / 2x2, dilation (the
tap-by-tap path), padding 0 / 1 / 2 with pad value 0 / +1 / -1, asymmetric zero points,
thresholds negative, INT32_MIN and INT32_MAX, and a 17-row kernel (beyond the span
path's 16 rows).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from kernel_lib import KERNEL_INCLUDES, assert_same
from test_kernels_b1 import CHANNELS, KERNELS, _axis, binary_input_case, int8_input_case, with_bias_shift
from standin_lib import ARM_GCC, CORES, STRICT, needs_arm_gcc, needs_qemu

from e2e import ROOT

from tinygen.quant import fixedpoint as fp
from tinygen.quant.pack_b1 import pack_binary_weights, pack_bits
from tinygen.resources import firmware_path

sys.path.insert(0, str(ROOT / "benchmarks"))
from lowbit_kernels import Call, kernel, run_calls  # noqa: E402

DSP_KERNELS = ["tg_conv2d_b1_b1_s8_dsp", "tg_conv2d_b1_b1_b1_dsp", "tg_conv2d_s8_b1_s8_dsp",
               "tg_conv2d_s8_s8_b1_dsp"]
BOARDS = ["f746zg", "f446re"]


@needs_arm_gcc
@pytest.mark.parametrize("core", list(CORES))
@pytest.mark.parametrize("name", DSP_KERNELS)
def test_b1_dsp_kernel_compiles_strict(name, core, tmp_path):
    cmd = [ARM_GCC, f"-mcpu={core}", "-mthumb", "-mfloat-abi=hard", f"-mfpu={CORES[core]}", *STRICT,
           *KERNEL_INCLUDES, "-c", str(firmware_path(f"kernels/{name}.c")), "-o", str(tmp_path / "k.o")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _geometry(rng, binary_input: bool) -> dict:
    kernel_h, kernel_w = KERNELS[rng.integers(len(KERNELS))]
    stride_h, stride_w = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    dilation_h, dilation_w = int(rng.choice([1, 1, 2])), int(rng.choice([1, 1, 1, 2]))
    pad = int(rng.integers(0, 3))
    in_h, out_h, pad_top = _axis(int(rng.integers(1, 10)), kernel_h, stride_h, dilation_h, pad)
    in_w, out_w, pad_left = _axis(int(rng.integers(1, 10)), kernel_w, stride_w, dilation_w, pad)
    p = {"in_h": in_h, "in_w": in_w, "in_c": int(rng.choice(CHANNELS)), "out_h": out_h, "out_w": out_w,
         "out_c": int(rng.choice(CHANNELS)), "kernel_h": kernel_h, "kernel_w": kernel_w,
         "stride_h": stride_h, "stride_w": stride_w, "dilation_h": dilation_h, "dilation_w": dilation_w,
         "pad_top": pad_top, "pad_left": pad_left}
    if binary_input:
        p["pad_value"] = int(rng.choice([0, 1, -1]))
    else:
        p.update(depth_multiplier=1, input_offset=int(rng.integers(-127, 129)))
    lo = int(rng.integers(-128, 128))
    hi = int(rng.integers(lo, 128))
    act = (-128, 127) if rng.random() < 0.5 else (lo, hi)
    p.update(output_offset=int(rng.integers(-128, 128)), act_min=act[0], act_max=act[1])
    return p


def _tall(binary_input: bool) -> dict:
    """A 17x1 kernel: more rows than the binary span path holds (tap by tap instead)."""
    p = {"in_h": 19, "in_w": 3, "in_c": 33, "out_h": 3, "out_w": 3, "out_c": 5, "kernel_h": 17, "kernel_w": 1,
         "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1, "pad_top": 0, "pad_left": 0,
         "output_offset": 3, "act_min": -128, "act_max": 127}
    return {**p, "pad_value": -1} if binary_input else {**p, "depth_multiplier": 1, "input_offset": 7}


def _calls(n: int, seed: int, names: list[str] = DSP_KERNELS) -> list[Call]:
    rng = np.random.default_rng(seed)
    calls = []
    for i in range(n):
        for name in names:
            binary_input = name.startswith("tg_conv2d_b1")
            p = _geometry(rng, binary_input) if i else _tall(binary_input)
            build = binary_input_case if binary_input else int8_input_case
            threshold = name.rsplit("_", 1)[0].endswith("_b1")      # packed-bit output
            args = build(p, int(rng.integers(2**32)), threshold=threshold)
            if binary_input and not threshold and i % 2:            # a finer bias: bias_shift k > 0
                p, args = with_bias_shift(p, 1 + i % 12, args)
            calls.append(Call(name, p, args))
    return calls


def _check(board: str, n: int, seed: int, tmp_path, per_firmware: int = 30) -> None:
    calls = _calls(n, seed)
    for k in range(0, len(calls), per_firmware):     # each firmware within the F446RE's 512 KB flash
        run_calls(board, calls[k:k + per_firmware], tmp_path / f"{board}-{k}")
    kinds = {(c.p.get("pad_value"), c.p["dilation_w"] > 1, c.p["in_c"] % 32 != 0) for c in calls}
    assert len(kinds) >= 8, f"too few kinds of case: {kinds}"
    for i, c in enumerate(calls):
        want = np.asarray(kernel(c.name).twin(c.p, *c.arrays)).reshape(-1)
        assert_same(want, c.result.astype(want.dtype), f"{c.name} case {i} on {board} ({c.p})")


@needs_qemu
@pytest.mark.parametrize("board", BOARDS)
def test_b1_dsp_kernels_standin(board, tmp_path):
    _check(board, 16, 1, tmp_path)


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS)
def test_b1_dsp_kernels_many_shapes_standin(board, tmp_path):
    _check(board, 80, 2, tmp_path)


# -- the field path's runs with a length known at compile time (tg_b1_field_counts) ------

FIELD_CHANNELS = [(17, 9), (32, 9), (33, 18), (64, 18), (100, 36)]    # in_c, words per 3x3 field


def _field_case(in_c: int, out_c: int, stride: int, pad_value: int, extreme: str, seed: int,
                isa: str = "_dsp") -> list[Call]:
    """3x3 convolution, padding 1, on a 5x6 image: every field is 9 * words_for(in_c) words."""
    in_h, in_w = 5, 6
    p = {"in_h": in_h, "in_w": in_w, "in_c": in_c, "out_h": (in_h - 1) // stride + 1,
         "out_w": (in_w - 1) // stride + 1, "out_c": out_c, "kernel_h": 3, "kernel_w": 3,
         "stride_h": stride, "stride_w": stride, "dilation_h": 1, "dilation_w": 1, "pad_top": 1, "pad_left": 1,
         "pad_value": pad_value, "output_offset": -3, "act_min": -128, "act_max": 127}
    calls = []
    for name, threshold in ((f"tg_conv2d_b1_b1_s8{isa}", False), (f"tg_conv2d_b1_b1_b1{isa}", True)):
        x, w, *rest = binary_input_case(p, seed, threshold=threshold)
        if extreme != "random":     # every input -1; weights all +1 (every bit counts) or all -1 (none)
            sign = 1 if extreme == "all_count" else -1
            x = pack_bits(-np.ones((in_h, in_w, in_c), np.int8))
            w = pack_binary_weights(np.full((out_c, 3, 3, in_c), sign, np.int8))
            if threshold:           # thresholds around the accumulators the layer reaches
                n = 9 * in_c
                rest = [np.resize(np.array([-n, -n + 1, n, n + 1, 0, fp.INT32_MIN, fp.INT32_MAX], np.int32),
                                  out_c)]
        calls.append(Call(name, p, (x, w, *rest)))
    return calls


def field_calls(seed: int, isa: str = "_dsp") -> list[Call]:
    """Every FIELD_CHANNELS field against out_c 64, 33, 70, 5 (pad value +1, -1, 0, +1),
    stride 1 and 2 in turn, the first two with every bit counted or none in turn."""
    rng = np.random.default_rng(seed)
    calls = []
    for i, (in_c, _words) in enumerate(FIELD_CHANNELS):
        for j, (out_c, pad_value) in enumerate(((64, 1), (33, -1), (70, 0), (5, 1))):
            stride = 1 + (i + j) % 2
            extreme = ("random", "all_count", "none_count")[(i + j) % 3] if j < 2 else "random"
            calls += _field_case(in_c, out_c, stride, pad_value, extreme, int(rng.integers(2**32)), isa)
    return calls


@needs_qemu
@pytest.mark.parametrize("board", BOARDS)
def test_b1_dsp_field_runs_standin(board, tmp_path):
    """Fields of 9, 18 and 36 words (the compile-time runs and the generic one), output channels
    in groups of 32 and a partial group, stride 1 and 2, pad value 0 / +1 / -1, extremes."""
    calls = field_calls(20)
    for k in range(0, len(calls), 20):
        run_calls(board, calls[k:k + 20], tmp_path / f"{board}-{k}")
    for i, c in enumerate(calls):
        want = np.asarray(kernel(c.name.rsplit("_", 1)[0]).twin(c.p, *c.arrays)).reshape(-1)
        assert_same(want, c.result.astype(want.dtype), f"{c.name} case {i} on {board} ({c.p})")


def _s8_s8_b1_case(in_c: int, k: int, out_c: int, in_hw: tuple, extreme: bool, seed: int) -> Call:
    """tg_conv2d_s8_s8_b1_dsp, k x k, padding k // 2, stride 1 (depth k * k * in_c)."""
    in_h, in_w = in_hw
    p = {"in_h": in_h, "in_w": in_w, "in_c": in_c, "out_h": in_h, "out_w": in_w, "out_c": out_c,
         "kernel_h": k, "kernel_w": k, "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1,
         "pad_top": k // 2, "pad_left": k // 2, "depth_multiplier": 1, "input_offset": 128 if extreme else 5,
         "output_offset": 0, "act_min": -128, "act_max": 127}
    x, w, t = int8_input_case(p, seed, threshold=True)
    if extreme:                 # (x + offset) = 255 everywhere, every weight -127: the deepest sums
        x = np.full_like(x, 127)
        w = np.full_like(w, -127)
        full = -255 * 127 * k * k * in_c       # an inner pixel's accumulator
        t = np.resize(np.array([full, full + 1, full - 1, 0, fp.INT32_MIN, fp.INT32_MAX, full], np.int32), out_c)
    return Call("tg_conv2d_s8_s8_b1_dsp", p, (x, w, t))


@needs_qemu
@pytest.mark.parametrize("board", BOARDS)
def test_s8_s8_b1_dsp_pairs_standin(board, tmp_path):
    """The pair path's literal depths 9 and 27, a generic depth (45), the fallback below 4;
    output channels 1, 31, 33, 64, 70 (odd last channel, partial words); odd pixel counts;
    the deepest sums with thresholds at the accumulator and one off."""
    rng = np.random.default_rng(7)
    calls = []
    for in_c, k in ((1, 3), (3, 3), (5, 3), (3, 1)):
        for j, out_c in enumerate((1, 31, 33, 64, 70)):
            in_hw = ((5, 3), (4, 4), (3, 7))[j % 3]
            calls.append(_s8_s8_b1_case(in_c, k, out_c, in_hw, j in (2, 3), int(rng.integers(2**32))))
    run_calls(board, calls, tmp_path / board)
    for i, c in enumerate(calls):
        want = np.asarray(kernel(c.name).twin(c.p, *c.arrays)).reshape(-1)
        assert_same(want, c.result.astype(want.dtype), f"{c.name} case {i} on {board} ({c.p})")
