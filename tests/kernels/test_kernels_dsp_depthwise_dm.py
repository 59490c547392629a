"""tg_depthwise_conv2d_3x3_dm_s8_dsp (firmware/kernels/depthwise): depthwise 3x3 with depth multiplier > 1
on the DSP 3x3 path, the input's channels repeated as its rows are widened into the ring.

Called directly on drawn layers (hypothesis, derandomized: multipliers 2..4, 1..13 input
channels, odd ones included, stride 1 and 2 along each axis, 'same', 'valid' and explicit
padding, odd sizes, asymmetric zero points, clamps, with and without bias) on the Cortex-M7
and M4 stand-ins, byte for byte equal to depthwise_conv2d_s8, in fewer instructions than the
portable kernel on the same calls. Chosen for such layers on DSP boards, with the records (one
per output channel) as its only constant; a layer whose records cannot be packed (a left
shift) keeps the portable kernel. (The compiled chain of tests/kernels/test_kernels_dsp_depthwise.py
runs it end to end too.)
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from e2e import ROOT
from kernel_lib import assert_same
from test_kernels import _axis, act_range
from standin_lib import needs_qemu
from tinygen.kernels.depthwise_dsp import RECORD_WORDS, depthwise_dsp_records, dw3_scratch, dw3_serves
from tinygen.kernels.table import KERNELS_BY_NAME, find_kernel
from tinygen.ref import kernels as ref

sys.path.insert(0, str(ROOT / "benchmarks"))
from lowbit_kernels import KERNELS, Call, Kernel, run_calls  # noqa: E402

DM = "tg_depthwise_conv2d_3x3_dm_s8_dsp"
PORTABLE = "tg_depthwise_conv2d_s8"


def _out(p: dict) -> int:
    return p["out_h"] * p["out_w"] * p["out_c"]


def _consts(p: dict, rng, with_bias: bool = True) -> dict:
    n = p["out_c"]
    return {"weight": rng.integers(-128, 128, (3, 3, n)).astype(np.int8),
            "bias": rng.integers(-5000, 5000, n).astype(np.int32) if with_bias else None,
            "multiplier": rng.integers(1 << 30, (1 << 31) - 1, n).astype(np.int32),
            "shift": rng.integers(-12, 0, n).astype(np.int32)}


_REQUANT = ("int8_t", "int8_t", "int32_t", "int32_t", "int8_t")     # ..., shift: int8 (KernelSpec.stored_dtype)
KERNELS[PORTABLE] = Kernel("tg_kernels.h", "tg_conv2d_params_t", _REQUANT, "int8_t", _out,
                           ref.depthwise_conv2d_s8, None)
KERNELS[DM] = Kernel("tg_kernels.h", "tg_conv2d_params_t", ("int8_t", "int32_t"), "int8_t", _out, None, None,
                     scratch=dw3_scratch)


@st.composite
def dm_geometry(draw) -> dict:
    padding = draw(st.sampled_from(["valid", "same", "1", "2"]))
    stride_h, stride_w = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    in_h, out_h, pad_top = _axis(draw(st.integers(1, 11)), 3, stride_h, 1, padding)
    in_w, out_w, pad_left = _axis(draw(st.integers(1, 11)), 3, stride_w, 1, padding)
    in_c, dm = draw(st.sampled_from([1, 2, 3, 4, 5, 7, 8, 13])), draw(st.integers(2, 4))
    act_min, act_max = draw(act_range())
    return {"in_h": in_h, "in_w": in_w, "in_c": in_c, "out_h": out_h, "out_w": out_w, "out_c": in_c * dm,
            "kernel_h": 3, "kernel_w": 3, "stride_h": stride_h, "stride_w": stride_w,
            "dilation_h": 1, "dilation_w": 1, "pad_top": pad_top, "pad_left": pad_left,
            "depth_multiplier": dm, "input_offset": draw(st.integers(-127, 128)),
            "output_offset": draw(st.integers(-128, 127)), "act_min": act_min, "act_max": act_max}


def drawn_cases(n: int) -> list[dict]:
    """n geometries the kernel's shape rule admits (out no larger than in, pads <= 2)."""
    cases = []

    @settings(derandomize=True, max_examples=n, deadline=None, database=None)
    @given(p=dm_geometry())
    def draw(p):
        if p["out_h"] <= p["in_h"] and p["out_w"] <= p["in_w"] and p["pad_top"] <= 2 and p["pad_left"] <= 2:
            cases.append(p)

    draw()
    return cases


def test_depthwise_dm_records_one_per_output_channel():
    """The records of a multiplier-2 layer: a header word out_c, then RECORD_WORDS (7) words
    per output channel; a left shift (no exact small requantization) packs none, and the kernel does
    not serve the layer."""
    p = drawn_cases(5)[0]
    consts = _consts(p, np.random.default_rng(0))
    rec = depthwise_dsp_records(p, consts)
    assert rec[0] == p["out_c"] and rec.size == 1 + RECORD_WORDS * p["out_c"] and dw3_serves(p, consts)
    assert rec[1] == 2 * consts["bias"][0]
    consts["shift"][-1] = 1
    assert depthwise_dsp_records(p, consts).tolist() == [0] and not dw3_serves(p, consts)


def test_depthwise_dm_kernel_chosen_for_multiplied_layers_on_dsp_boards():
    found = find_kernel("depthwise_conv2d", "int8", "int8", 8, {"dsp"}, ("depth_multiplier_n", None))
    assert found is KERNELS_BY_NAME[DM]
    assert find_kernel("depthwise_conv2d", "int8", "int8", 8, set(), ("depth_multiplier_n", None)).name == PORTABLE
    assert find_kernel("depthwise_conv2d", "int8", "int8", 8, {"dsp"}, ("depth_multiplier_1", None)).name != DM


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_depthwise_conv2d_3x3_dm_s8_dsp_drawn_shapes_standin(board_name, tmp_path):
    cases = drawn_cases(60)
    assert len(cases) >= 30, "the shape filter left too few cases"
    rng = np.random.default_rng(23)
    calls = []
    for i, p in enumerate(cases):
        consts = _consts(p, rng, with_bias=i % 4 != 3)
        assert dw3_serves(p, consts), p
        x = rng.integers(-128, 128, (p["in_h"], p["in_w"], p["in_c"])).astype(np.int8)
        args = (x, consts["weight"], consts["bias"], consts["multiplier"], consts["shift"])
        calls += [Call(DM, p, (x, depthwise_dsp_records(p, consts)), result=None),
                  Call(PORTABLE, p, args)]
    run_calls(board_name, calls, tmp_path)
    for dm, portable in zip(calls[::2], calls[1::2]):
        want = ref.depthwise_conv2d_s8(dm.p, *portable.arrays).reshape(-1)
        assert_same(want, dm.result, f"{DM} on {board_name}, p={dm.p}")
        assert_same(want, portable.result, f"{PORTABLE} on {board_name}, p={dm.p}")
    # fewer instructions wherever the setup (zeroing the ring's padding) is paid back: every
    # layer of 1,000 MACs or more (the smallest drawn layers have 18)
    timed = [(dm, portable) for dm, portable in zip(calls[::2], calls[1::2]) if 9 * _out(dm.p) >= 1000]
    assert len(timed) >= 10
    for dm, portable in timed:
        assert dm.instructions < portable.instructions, (dm.p, dm.instructions, portable.instructions)
