"""tg_softmax_s8_dsp (firmware/kernels/elementwise/tg_softmax_s8_dsp.c): softmax with the exp of each
difference from the row maximum tabulated at build time.

The table (tinygen.kernels.lut.softmax_exp_table) is the numpy twin's own exp, so it is exact
by construction; on the Cortex-M7 and M4 stand-ins the kernel equals softmax_s8 byte for byte
on drawn shapes (hypothesis, derandomized: 1..40 rows of 1..300 classes, odd counts included,
input scales and betas from narrow to wide, so that rows have differences below diff_min and
exps that underflow to 0), and executes fewer instructions than tg_softmax_s8 on the same calls.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from e2e import ROOT
from kernel_lib import assert_same
from standin_lib import needs_qemu
from tinygen.kernels.lut import softmax_exp_table
from tinygen.quant.op_params import softmax_params
from tinygen.ref import kernels as ref

sys.path.insert(0, str(ROOT / "benchmarks"))
from lowbit_kernels import Call, run_calls  # noqa: E402
from softmax_dsp import DSP, KERNELS, PORTABLE  # noqa: E402

def drawn_params(n: int) -> list[dict]:
    """n softmax layers drawn by hypothesis (derandomized)."""
    cases = []

    @settings(derandomize=True, max_examples=n, deadline=None, database=None)
    @given(rows=st.integers(1, 40), depth=st.integers(1, 300), scale=st.floats(0.005, 0.5),
           beta=st.sampled_from([1.0, 0.5, 2.0]))
    def draw(rows, depth, scale, beta):
        if rows * depth <= 4096:
            cases.append(softmax_params(rows, depth, np.float32(scale), beta))

    draw()
    return cases


@settings(max_examples=40, deadline=None, derandomize=True)
@given(scale=st.floats(0.001, 2.0), beta=st.floats(0.25, 4.0))
def test_softmax_exp_table_is_the_twins_exp(scale, beta):
    """Entry d is softmax_s8's exp of the difference -d; the entries cut off are all 0."""
    p = softmax_params(1, 256, np.float32(scale), beta)
    table = softmax_exp_table(p, {})
    kept = table[1:]
    assert int(table[0]) == kept.size           # word 0 counts the entries that follow
    exp = ref.softmax_exp_q0(p, -np.arange(256))
    assert (kept == exp[:kept.size]).all()
    assert kept[-1] != 0 and not exp[kept.size:].any()   # cut right after the last nonzero exp
    assert table[1] == 2**31 - 1          # exp(0)


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_softmax_s8_dsp_drawn_shapes_standin(board_name, tmp_path):
    """Both kernels on 30 drawn layers (one firmware): byte for byte softmax_s8, and the DSP
    kernel executes fewer instructions on every call."""
    cases = drawn_params(30)
    assert len(cases) >= 20, "the size filter left too few cases"
    rng = np.random.default_rng(17)
    calls = []
    for p in cases:
        x, table = KERNELS[DSP].case(p, rng)
        calls += [Call(DSP, p, (x, table)), Call(PORTABLE, p, (x,))]
    run_calls(board_name, calls, tmp_path)
    for c in calls:
        assert_same(ref.softmax_s8(c.p, c.arrays[0]).reshape(-1), c.result, f"{c.name} on {board_name}, p={c.p}")
    for dsp, portable in zip(calls[::2], calls[1::2]):
        assert dsp.instructions < portable.instructions, (dsp.p, dsp.instructions, portable.instructions)
