"""The normalization and attention kernels on the stand-ins == their numpy twins, byte for
byte: the Cortex-M7 (f746zg, mps2-an500) and Cortex-M4 (f446re, mps2-an386) with the DSP batch
matmul beside the portable one and the causal softmax's table variant, and the ESP32-C3's
RV32 (QEMU virt) with the RV32 batch matmul. Every case of a board in one firmware (benchmarks/standin_calls.py); the shapes and
quantizations drawn by hypothesis (derandomized), the parameters the compiler's
(tests/attention_lib.py), the contents seeded. The optimized batch matmuls execute fewer
instructions than the portable kernel on every call of the shapes they are chosen for
(tinygen.kernels.attention.batch_matmul_dsp_pays, batch_matmul_rv32_pays).
"""

from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attention_lib import matmul_case, matmul_shapes, op_node
from e2e import ROOT
from kernel_lib import assert_same
from standin_lib import needs_qemu
from tinygen.board import get_board
from tinygen.kernels.attention import batch_matmul_dsp_pays, batch_matmul_rv32_pays

sys.path.insert(0, str(ROOT / "benchmarks"))
from attention_kernels import matmul_operands  # noqa: E402  (adds the kernels to the harness)
from lowbit_kernels import KERNELS, Call, run_calls  # noqa: E402

needs_riscv = pytest.mark.skipif(
    shutil.which("riscv64-unknown-elf-gcc") is None or shutil.which("qemu-system-riscv32") is None,
    reason="needs riscv64-unknown-elf-gcc and qemu-system-riscv32")

scales = st.floats(0.003, 0.3)
zero_points = st.integers(-80, 80)
qparams = st.tuples(scales, zero_points)


def _drawn(strategy, n: int) -> list:
    """n distinct values drawn by hypothesis (derandomized)."""
    found: dict[str, object] = {}

    @settings(derandomize=True, max_examples=4 * n, deadline=None, database=None)
    @given(strategy)
    def draw(value):
        found.setdefault(repr(value), value)

    draw()
    return list(found.values())[:n]


@st.composite
def matmul_params(draw):
    batch_a, batch_b, (rows, cols, depth), adj_x, adj_y = draw(matmul_case(max_dim=20))
    lhs, rhs, out = matmul_shapes(batch_a, batch_b, rows, cols, depth, adj_x, adj_y)
    qs = [draw(qparams) for _ in range(3)]
    return op_node("batch_matmul", [lhs, rhs], out, qs, {"adj_x": adj_x, "adj_y": adj_y})[1].attrs["kparams"]


@st.composite
def norm_params(draw):
    rows, depth = draw(st.integers(1, 6)), draw(st.integers(1, 96))
    op = draw(st.sampled_from(["layer_norm", "rms_norm"]))
    rng = np.random.default_rng(draw(st.integers(0, 1000)))
    params = {"gamma": rng.normal(1, 0.5, depth)} | ({"beta": rng.normal(0, 0.5, depth)} if op == "layer_norm" else {})
    node = op_node(op, [(1, rows, depth)], (1, rows, depth), [draw(qparams), draw(qparams)],
                   {"eps": draw(st.sampled_from([1e-5, 1e-3]))}, params)[1]
    return node.kernel, node.attrs["kparams"]


@st.composite
def pair_params(draw):
    shape = [draw(st.integers(1, 6)) for _ in range(draw(st.integers(1, 4)))]
    other = [1 if draw(st.booleans()) else n for n in shape]
    op = draw(st.sampled_from(["sub", "squared_difference"]))
    attrs = {"act_min": -128, "act_max": 127} if op == "sub" else {}
    node = op_node(op, [shape, other], shape, [draw(qparams) for _ in range(3)], attrs)[1]
    return node.kernel, node.attrs["kparams"]


@st.composite
def causal_params(draw):
    batch, rows, cols = draw(st.integers(1, 3)), draw(st.integers(1, 10)), draw(st.integers(1, 24))
    node = op_node("softmax", [(1, batch, rows, cols)], (1, batch, rows, cols),
                   [(draw(st.floats(0.01, 0.5)), 0), (1 / 256, -128)], {"axis": 3, "beta": 1.0, "causal": True})[1]
    return node.kernel, node.attrs["kparams"]


@st.composite
def rsqrt_params(draw):
    node = op_node("rsqrt", [(64,)], (64,), [(draw(st.floats(0.002, 0.05)), draw(zero_points)),
                                              (draw(st.floats(0.01, 0.5)), draw(zero_points))])[1]
    return node.kernel, node.attrs["kparams"]


def _calls(optimized: str) -> tuple[list[Call], list[tuple[Call, Call]]]:
    """Every drawn case as a call; the batch matmuls as (optimized, portable) pairs on the same arrays."""
    rng = np.random.default_rng(23)
    calls, pairs = [], []
    for p in _drawn(matmul_params(), 24):
        arrays = matmul_operands(p, rng)
        pair = (Call(optimized, p, arrays), Call("tg_batch_matmul_s8", p, arrays))
        pairs.append(pair)
        calls += pair
    for strategy, n in ((norm_params(), 16), (pair_params(), 12), (causal_params(), 8), (rsqrt_params(), 4)):
        for name, p in _drawn(strategy, n):
            calls.append(Call(name, p, KERNELS[name].case(p, rng)))
            if name == "tg_softmax_causal_s8" and optimized.endswith("_dsp"):       # its table variant too
                calls.append(Call("tg_softmax_causal_s8_dsp", p, KERNELS["tg_softmax_causal_s8_dsp"].case(p, rng)))
    return calls, pairs


def _check(board: str, optimized: str, tmp_path, pays) -> None:
    calls, pairs = _calls(optimized)
    run_calls(board, calls, tmp_path)
    for c in calls:
        want = np.asarray(KERNELS[c.name if c.name in KERNELS else "tg_batch_matmul_s8"].twin(c.p, *c.arrays))
        assert_same(want.reshape(-1).astype(np.int8), c.result, f"{c.name} on {board}, p={c.p}")
    for fast, portable in pairs:
        if pays(fast.p):        # (a kernel chosen only where it pays)
            assert fast.instructions < portable.instructions, (fast.p, fast.instructions, portable.instructions)


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_attention_kernels_s8_dsp_standin(board, tmp_path):
    assert "dsp" in get_board(board).isa_features
    _check(board, "tg_batch_matmul_s8_dsp", tmp_path, batch_matmul_dsp_pays)


@needs_riscv
def test_attention_kernels_s8_rv32_standin(tmp_path):
    assert "rv32im" in get_board("esp32-c3").isa_features
    _check("esp32-c3", "tg_batch_matmul_s8_rv32", tmp_path, batch_matmul_rv32_pays)
