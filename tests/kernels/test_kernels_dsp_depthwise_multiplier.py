"""tg_depthwise_conv2d_dm_s8_dsp (firmware/kernels/depthwise): depthwise with depth multiplier > 1 and
any window, stride, dilation, padding and input channel count, for the DSP extension.

Host: the packed constant (the header saying whether the small requantization serves, then the
weights as int16 pairs in the band's (kx, ky) order, per input channel and block of 4 / 2 / 1
output channels) and the kernel's place in the choice: chosen for multiplied layers the 3x3
multiplier kernel does not serve (those took the portable kernel before), never where it serves.

Stand-ins (slow): called directly on named layers (micro-speech's 1 channel x 8 with a 10x8
window at stride 2, SAME; 1 channel x 2 and x 4; odd sizes; explicit and valid padding; a clamp;
dilation; no bias; left shifts and large biases, which take the general requantization) and on
drawn ones (hypothesis, derandomized), on the Cortex-M7 and M4 stand-ins, byte for byte equal to
depthwise_conv2d_s8. tests/e2e/test_micro_speech_standin.py runs whole models with it.
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
from test_kernels import _axis, act_range
from tinygen.kernels.depthwise_dm_dsp import HEADER_WORDS, dm_blocks, dm_scratch, dm_weights
from tinygen.kernels.lut_table import LUT_NAMES
from tinygen.kernels.table import KERNELS_BY_NAME, find_kernels
from tinygen.ref import kernels as ref

sys.path.insert(0, str(ROOT / "benchmarks"))
from lowbit_kernels import KERNELS, Call, Kernel, run_calls  # noqa: E402

DM = "tg_depthwise_conv2d_dm_s8_dsp"
DM3 = "tg_depthwise_conv2d_3x3_dm_s8_dsp"
PORTABLE = "tg_depthwise_conv2d_s8"


def _out(p: dict) -> int:
    return p["out_h"] * p["out_w"] * p["out_c"]


KERNELS[DM] = Kernel("tg_kernels.h", "tg_conv2d_params_t", ("int8_t", "int32_t", "int32_t", "int32_t", "int8_t"),
                     "int8_t", _out, None, None, scratch=dm_scratch)


def layer(in_hw, in_c, dm, kernel, stride=(1, 1), padding="same", dilation=(1, 1), act=(-128, 127),
          input_offset=37, output_offset=-9) -> dict:
    """A layer's params: in_hw, kernel, stride, dilation as (h, w); padding as _axis takes it."""
    in_h, out_h, pad_top = _axis(in_hw[0], kernel[0], stride[0], dilation[0], padding)
    in_w, out_w, pad_left = _axis(in_hw[1], kernel[1], stride[1], dilation[1], padding)
    return {"in_h": in_h, "in_w": in_w, "in_c": in_c, "out_h": out_h, "out_w": out_w, "out_c": in_c * dm,
            "kernel_h": kernel[0], "kernel_w": kernel[1], "stride_h": stride[0], "stride_w": stride[1],
            "dilation_h": dilation[0], "dilation_w": dilation[1], "pad_top": pad_top, "pad_left": pad_left,
            "depth_multiplier": dm, "input_offset": input_offset, "output_offset": output_offset,
            "act_min": act[0], "act_max": act[1]}


def consts(p: dict, rng, with_bias: bool = True, shift=(-12, 0), bias: int | None = None) -> dict:
    """Random constants; `bias`: every bias +-bias (alternating) instead of random ones below 5000."""
    n = p["out_c"]
    b = rng.integers(-5000, 5000, n) if bias is None else np.where(np.arange(n) % 2, bias, -bias)
    return {"weight": rng.integers(-128, 128, (p["kernel_h"], p["kernel_w"], n)).astype(np.int8),
            "bias": b.astype(np.int32) if with_bias else None,
            "multiplier": rng.integers(1 << 30, (1 << 31) - 1, n).astype(np.int32),
            "shift": rng.integers(*shift, n).astype(np.int32)}


# (name, params, constants' options): the brief's shapes, then the general paths
NAMED = [
    ("micro_speech", layer((49, 40), 1, 8, (10, 8), (2, 2), act=(-128, 127), output_offset=-128), {}),
    ("micro_speech_valid_x4", layer((49, 40), 1, 4, (10, 8), (2, 2), "valid"), {}),
    ("c1_x2_5x3_odd", layer((13, 11), 1, 2, (5, 3)), {}),
    ("c1_x2_7x1_s2", layer((21, 3), 1, 2, (7, 1), (2, 1), "2"), {}),
    ("c1_x4_1x5_relu6", layer((1, 17), 1, 4, (1, 5), act=(-9, 90)), {}),
    ("c1_x8_4x4_s3_pad1", layer((15, 14), 1, 8, (4, 4), (3, 3), "1"), {"with_bias": False}),
    ("c1_x3_3x5_dilated", layer((12, 15), 1, 3, (3, 5), padding="2", dilation=(2, 2)), {}),
    ("c1_x5_2x6_clamp", layer((9, 23), 1, 5, (2, 6), (1, 2), act=(-20, 30)), {}),
    ("c3_x2_3x4", layer((7, 9), 3, 2, (3, 4), (1, 2)), {}),
    ("c2_x4_5x5_s2_dilw2", layer((11, 12), 2, 4, (5, 5), (2, 2), dilation=(1, 2)), {}),
    ("c1_x8_left_shift", layer((10, 11), 1, 8, (3, 4), (2, 2)), {"shift": (-2, 3)}),
    ("c1_x6_large_bias", layer((8, 9), 1, 6, (4, 3)), {"bias": (1 << 30) - 1000}),
]


@st.composite
def geometry(draw) -> dict:
    kernel = (draw(st.sampled_from([1, 2, 3, 4, 5, 7, 8, 10])), draw(st.sampled_from([1, 2, 3, 4, 5, 6, 8, 9])))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.sampled_from([1, 1, 2])), draw(st.sampled_from([1, 1, 1, 2, 3])))
    return layer((draw(st.integers(1, 16)), draw(st.integers(1, 16))), draw(st.sampled_from([1, 1, 1, 2, 3])),
                 draw(st.sampled_from([2, 3, 4, 5, 6, 8])), kernel, stride,
                 draw(st.sampled_from(["valid", "same", "1", "2"])), dilation, draw(act_range()),
                 draw(st.integers(-127, 128)), draw(st.integers(-128, 127)))


def drawn_cases(n: int) -> list[dict]:
    cases = []

    @settings(derandomize=True, max_examples=n, deadline=None, database=None)
    @given(p=geometry())
    def draw(p):
        cases.append(p)

    draw()
    return cases


def _unpack(words) -> np.ndarray:
    """int32 words of two int16 -> int16 [words, 2]."""
    return np.asarray(words, dtype=np.int32).view(np.int16).reshape(-1, 2)


def test_depthwise_dm_packs_pairs_in_band_order_per_block():
    """2 input channels x 6 (blocks 4 and 2), a 3x3 window (9 taps: 5 pairs, the last with 0):
    the word of channel oc's pair i holds its taps 2i, 2i + 1 of the column-major (kx, ky) order."""
    p = layer((6, 6), 2, 6, (3, 3))
    c = consts(p, np.random.default_rng(0))
    packed = dm_weights(p, c)
    assert dm_blocks(6) == [4, 2] and dm_blocks(5) == [4, 1] and dm_blocks(3) == [2, 1]
    assert packed[:HEADER_WORDS].tolist() == [1, 0]
    halves = _unpack(packed[HEADER_WORDS:])
    assert len(halves) == 2 * 6 * 5
    flat = np.zeros((10, 12), dtype=np.int64)
    flat[:9] = c["weight"].astype(np.int64).transpose(1, 0, 2).reshape(9, 12)     # tap kx * 3 + ky
    i = 0
    for ic in range(2):
        start = ic * 6
        for width in (4, 2):
            for pair in range(5):
                for oc in range(start, start + width):
                    assert halves[i].tolist() == [flat[2 * pair, oc], flat[2 * pair + 1, oc]], (ic, pair, oc)
                    i += 1
            start += width


def test_depthwise_dm_header_says_where_the_small_requantization_serves():
    """A left shift, or a bias that could take the sum past 2^30, sets the header to 0."""
    p = layer((6, 6), 1, 4, (2, 3))
    rng = np.random.default_rng(1)
    assert dm_weights(p, consts(p, rng))[0] == 1
    assert dm_weights(p, consts(p, rng, shift=(1, 2)))[0] == 0
    assert dm_weights(p, consts(p, rng, bias=(1 << 30) - 1000))[0] == 0


def test_depthwise_dm_scratch_is_the_column_major_band():
    """kernel_h int16 per band column, the span of columns an output row's windows cover, one more
    int16 rounded up to a word: micro-speech's row spans 46 columns, 10 rows each."""
    assert dm_scratch(NAMED[0][1]) == 2 * (46 * 10 + 2)
    p = layer((12, 15), 1, 3, (3, 5), padding="2", dilation=(2, 2))     # span 10 + 9 = 19: 2 phases of 10
    assert p["out_w"] == 11 and dm_scratch(p) == 2 * (2 * 10 * 3 + 1 + 1)


def test_depthwise_dm_kernel_order_leaves_the_3x3_kernel_its_layers():
    """For multiplied layers on DSP boards: the 3x3 multiplier kernel first, then this one, then the
    portable kernel; without the DSP extension the portable kernel alone."""
    # the shared-weight (LUT) kernels are left out: they accept only weights with a codebook
    names = [k.name for k in find_kernels("depthwise_conv2d", "int8", "int8", 8, {"dsp"}, ("depth_multiplier_n", None))
             if k.name not in LUT_NAMES]
    assert names == [DM3, DM, PORTABLE]
    assert [k.name for k in find_kernels("depthwise_conv2d", "int8", "int8", 8, set(),
                                         ("depth_multiplier_n", None)) if k.name not in LUT_NAMES] == [PORTABLE]
    assert DM not in [k.name for k in find_kernels("depthwise_conv2d", "int8", "int8", 8, {"dsp"},
                                                   ("depth_multiplier_1", None))]
    assert KERNELS_BY_NAME[DM].accepts is not None


def _calls(cases, rng) -> tuple[list[Call], list[np.ndarray]]:
    """The kernel's calls on the cases (params, constants' options) and the reference's outputs."""
    calls, wants = [], []
    for p, options in cases:
        c = consts(p, rng, **options)
        x = rng.integers(-128, 128, (p["in_h"], p["in_w"], p["in_c"])).astype(np.int8)
        calls.append(Call(DM, p, (x, dm_weights(p, c), c["bias"], c["multiplier"], c["shift"].astype(np.int8))))
        wants.append(ref.depthwise_conv2d_s8(p, x, c["weight"], c["bias"], c["multiplier"], c["shift"]).reshape(-1))
    return calls, wants


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_depthwise_conv2d_dm_s8_dsp_named_shapes_standin(board_name, tmp_path):
    calls, wants = _calls([(p, options) for _, p, options in NAMED], np.random.default_rng(7))
    assert [int(call.arrays[1][0]) for call in calls][-3:] == [1, 0, 0], "the general requantization's cases"
    run_calls(board_name, calls, tmp_path)
    for (name, _, _), call, want in zip(NAMED, calls, wants):
        assert_same(want, call.result, f"{DM} on {board_name}, {name}, p={call.p}")


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_depthwise_conv2d_dm_s8_dsp_drawn_shapes_standin(board_name, tmp_path):
    rng = np.random.default_rng(29)
    cases = drawn_cases(60)
    assert len(cases) == 60 and len({(p["kernel_h"], p["kernel_w"]) for p in cases}) >= 15
    calls, wants = _calls([(p, {"with_bias": i % 5 != 4}) for i, p in enumerate(cases)], rng)
    run_calls(board_name, calls, tmp_path)
    for call, want in zip(calls, wants):
        assert_same(want, call.result, f"{DM} on {board_name}, p={call.p}")
