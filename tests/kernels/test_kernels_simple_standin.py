"""The simpler operators' kernels on the stand-ins: tg_lut_s8, tg_tanh_s8, tg_prelu_s8,
tg_mean_s8 summing, tg_strided_slice_s8 and tg_mirror_pad_s8 on the f746zg (Cortex-M7,
mps2-an500), f446re (Cortex-M4, mps2-an386) and esp32-c3 (RV32IMC, QEMU virt) stand-ins, and
tg_mean_s8_dsp on the two Cortex-M ones: byte for byte their numpy twins on drawn cases
(hypothesis, derandomized; every case of a board in one firmware, benchmarks/standin_calls.py),
and the DSP sum executing fewer instructions than the portable one on every call."""

from __future__ import annotations

import math
import shutil
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from e2e import ROOT
from kernel_lib import assert_same
from standin_lib import needs_qemu
from test_kernels_simple import QUANT, node_params, slicing
from tinygen.kernels.params import struct_fields
from tinygen.quant import op_params
from tinygen.ref.slicing import MIRROR_PAD_MODES

sys.path.insert(0, str(ROOT / "benchmarks"))
from lowbit_kernels import Call, kernel, run_calls  # noqa: E402
import simple_ops  # noqa: E402,F401  (importing it adds the kernels to the harness)

needs_riscv = pytest.mark.skipif(
    shutil.which("riscv64-unknown-elf-gcc") is None or shutil.which("qemu-system-riscv32") is None,
    reason="needs riscv64-unknown-elf-gcc and qemu-system-riscv32")
BOARDS = [pytest.param("f746zg", marks=needs_qemu), pytest.param("f446re", marks=needs_qemu),
          pytest.param("esp32-c3", marks=needs_riscv)]


def drawn(strategy, n: int) -> list:
    """n examples of `strategy`, the same on every run."""
    out = []

    @settings(derandomize=True, max_examples=n, deadline=None, database=None)
    @given(strategy)
    def collect(value):
        out.append(value)

    collect()
    return out


@st.composite
def prelu_case(draw):
    shape = [1] + [draw(st.integers(1, 6)) for _ in range(draw(st.integers(1, 3)))]
    a_shape = [1] * (len(shape) - 1) + [shape[-1] if draw(st.booleans()) else 1]
    qa = (draw(st.floats(0.001, 0.05)), draw(st.integers(-128, 127)))
    p = struct_fields("tg_prelu_params_t", node_params("prelu", shape, shape, {}, {"alpha": (np.zeros(a_shape), qa)},
                                                       (draw(QUANT), draw(QUANT))))
    return p


@st.composite
def sum_case(draw):
    shape = [1] + [draw(st.integers(1, 9)) for _ in range(draw(st.integers(1, 3)))]
    start = draw(st.integers(1, len(shape) - 1))
    axes = tuple(range(start, draw(st.integers(start + 1, len(shape)))))
    out = tuple(1 if d in axes else n for d, n in enumerate(shape))
    return node_params("sum", shape, out, {"axes": axes, "keep_dims": True}, qs=(draw(QUANT), draw(QUANT)))


@st.composite
def pad_case(draw):
    shape = [1] + [draw(st.integers(1, 6)) for _ in range(draw(st.integers(1, 3)))]
    mode = draw(st.sampled_from(sorted(MIRROR_PAD_MODES)))
    room = {"reflect": -1, "symmetric": 0, "circular": 0}
    paddings = [(0, 0)] + [tuple(draw(st.integers(0, 3 if mode == "replicate" else max(0, n + room[mode])))
                                 for _ in range(2)) for n in shape[1:]]
    out = [n + b + a for n, (b, a) in zip(shape, paddings)]
    return node_params("mirror_pad", shape, out, {"paddings": tuple(paddings), "mode": mode})


def _calls(dsp: bool) -> list[Call]:
    rng = np.random.default_rng(23)
    calls = []
    for size in (1, 3, 4, 7, 64, 257):
        calls.append(Call("tg_lut_s8", {"size": size}, kernel("tg_lut_s8").case({"size": size}, rng)))
    for scale, zp in ((0.004, -7), (0.05, 12), (0.3, -128)):
        p = op_params.tanh_params(300, np.float32(scale), zp)
        calls.append(Call("tg_tanh_s8", p, (np.resize(np.arange(-128, 128), 300).astype(np.int8),)))
    for p in drawn(prelu_case(), 12):
        calls.append(Call("tg_prelu_s8", p, kernel("tg_prelu_s8").case(p, rng)))
    for p in drawn(sum_case(), 12) + [op_params.sum_params(3, 700, 5, 0.02, -5, 0.5, 3),
                                      op_params.sum_params(2, 301, 1, 0.02, 7, 0.9, -3),
                                      op_params.sum_params(1, 256, 16, 0.05, 3, 0.4, -2)]:
        x = kernel("tg_mean_s8").case(p, rng)
        calls.append(Call("tg_mean_s8", p, x))
        if dsp:
            calls.append(Call("tg_mean_s8_dsp", p, x))
    for shape, begins, strides, counts in drawn(slicing(), 12):
        p = node_params("strided_slice", shape, counts, {"begin": tuple(begins), "strides": tuple(strides)})
        calls.append(Call("tg_strided_slice_s8", p, (np.random.default_rng(1).integers(-128, 128, math.prod(shape))
                                                     .astype(np.int8),)))
    for p in drawn(pad_case(), 12):
        calls.append(Call("tg_mirror_pad_s8", p, kernel("tg_mirror_pad_s8").case(p, rng)))
    return calls


@pytest.mark.slow
@pytest.mark.parametrize("board_name", BOARDS)
def test_simple_ops_kernels_s8_standin(board_name, tmp_path):
    dsp = board_name != "esp32-c3"
    calls = run_calls(board_name, _calls(dsp), tmp_path)
    for c in calls:
        want = kernel(c.name).twin(c.p, *c.arrays)
        assert_same(np.asarray(want).reshape(-1), c.result, f"{c.name} on {board_name}, p={c.p}")
    if dsp:
        pairs = [(a, b) for a, b in zip(calls, calls[1:]) if b.name == "tg_mean_s8_dsp"]
        assert len(pairs) == 15
        # where the sum is long enough for the counter's resolution to tell (40 instructions)
        long = [(a, b) for a, b in pairs if a.p["outer"] * a.p["reduce"] * a.p["inner"] >= 256]
        assert len(long) >= 3
        for portable, fast in long:
            assert fast.instructions < portable.instructions, (fast.p, fast.instructions, portable.instructions)
