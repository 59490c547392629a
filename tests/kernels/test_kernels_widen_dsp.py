"""The DSP convolutions with int8 weights widened at run time (firmware/kernels/conv/tg_conv2d_widen_s8_dsp.h).

tg_conv2d_widen_s8_dsp equals its numpy twin (conv2d_s8) layer by layer on the Cortex-M7
and M4 stand-ins, specialized and generic, over the shapes it serves (in_c a multiple of
4): 3x3 with padding, stride 2 (clipped runs), dilation 2 (a run per tap), unequal
padding, an even kernel, a temporal k x 1 kernel, output channel counts that are not
multiples of 4 (a last block of 1..3 channels), no bias, ReLU and ReLU6; seeded random
weights and inputs. (The fused-add kernel tg_conv2d_add_widen_s8_dsp, odd channel counts
included, is checked in tests/passes/test_fuse_residual.py.) The packed weights widen, word by
word with SXTB16 and SXTB16 ROR 8, into the direct kernel's int16 layout, and take half
its flash.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from e2e import assert_device_equals_reference
from standin_lib import needs_qemu
from e2e import conv_graph
from tinygen.board import get_board
from tinygen.compiler import build
from tinygen.kernels.direct_dsp import conv2d_direct_dsp_weights, conv2d_widen_dsp_weights
from tinygen.kernels.table import KERNELS_BY_NAME

WIDEN = "tg_conv2d_widen_s8_dsp"


class WidenConvs(nn.Module):
    """Every conv's input has a multiple of 4 channels; outputs 8, 12, 8, 5 and 16, 7, 4."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(4, 8, 3, padding=1)
        self.b = nn.Conv2d(8, 12, 3, stride=2, padding=1)
        self.c = nn.Conv2d(12, 8, 3, dilation=2, padding=2)
        self.d = nn.Conv2d(8, 5, (3, 5), padding=(1, 2), bias=False)
        self.t = nn.Conv2d(8, 16, (5, 1), padding=(2, 0))       # temporal k x 1
        self.e = nn.Conv2d(16, 7, 1, stride=2)
        self.f = nn.Conv2d(16, 4, 2)

    def forward(self, x):
        y = self.c(self.b(torch.relu(self.a(x))))
        z = nn.functional.relu6(self.d(y))
        t = torch.relu(self.t(y))
        return z, self.e(t), self.f(t)


def _widen(words: np.ndarray) -> np.ndarray:
    """What the kernel does to each packed word: SXTB16 (bytes 0, 2), then SXTB16 ROR 8 (bytes 1, 3)."""
    b = words.reshape(-1, 4).astype(np.int16)
    return b[:, [0, 2, 1, 3]].ravel()


@settings(max_examples=60, deadline=None)
@given(in_c=st.integers(1, 19), out_c=st.integers(1, 13), kh=st.integers(1, 5), kw=st.integers(1, 5),
       seed=st.integers(0, 2**32 - 1))
def test_conv2d_widen_weights_widen_to_the_direct_layout(in_c, out_c, kh, kw, seed):
    """Any shape (odd channel counts, k x 1 and 1 x k kernels): the int8 packed weights widen,
    word by word, into exactly the direct kernel's int16 weights, in half its bytes."""
    weight = np.random.default_rng(seed).integers(-128, 128, size=(out_c, kh, kw, in_c)).astype(np.int8)
    p = {"out_c": out_c, "kernel_h": kh, "kernel_w": kw, "in_c": in_c}
    packed = conv2d_widen_dsp_weights(p, {"weight": weight})
    direct = conv2d_direct_dsp_weights(p, {"weight": weight})
    assert packed.dtype == np.int8 and packed.nbytes * 2 == direct.nbytes
    assert np.array_equal(_widen(packed), direct)
    assert KERNELS_BY_NAME[WIDEN].scratch(p) == 8 * kh * kw * in_c     # one block: 4 * K values as int16


@needs_qemu
@pytest.mark.parametrize("board_name, specialize", [("f746zg", True), ("f746zg", False), ("f446re", True)])
def test_conv2d_widen_s8_dsp_standin(board_name, specialize, tmp_path):
    from tinygen.hil.target import open_device

    board = get_board(board_name)
    source, graph, inputs = conv_graph(WidenConvs, (1, 4, 11, 9), WIDEN, board, tmp_path, specialize, seed=5,
                                       lower_peak=False)
    convs = [n for n in graph.nodes if n.op == "conv2d"]
    assert len(convs) == 7 and {n.kernel for n in convs} == {WIDEN}
    project = build(source, graph, board, tmp_path / "fw").out_dir
    call = f"{WIDEN}_inline(" if specialize else f"{WIDEN}("
    assert (Path(project) / "model.c").read_text().count(call) == 7
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(inputs):
            assert_device_equals_reference(dev, graph, x, f"{board_name} input {i}")


def test_const_bytes_per_kernel_variant_kws():
    """The flash a fit-aware choice weighs per kernel: KWS's pointwise convs (64 -> 64) take
    4,096 weight bytes widened at run time, 8,192 widened at build time; its 3x3 depthwise
    layers (rows of 5 pixels: the narrow kernel's) 40 bytes per channel (+ a header word), 28 on
    the 3x3 path alone (7 words a channel), 18 + those on the kernel with both paths (its records beside the weights,
    bias and requantization)."""
    from mlperf_models import mlperf_model
    from tinygen.compiler import compile_source, load_source
    from tinygen.kernels.table import const_bytes
    from tinygen.passes import CompileOptions

    board = get_board("f746zg")
    graph = compile_source(load_source(mlperf_model("kws_dscnn")), None, CompileOptions(features=board.isa_features))
    requant = (4 + 4 + 1) * 64      # bias, multiplier int32, shift int8 per channel (KernelSpec.stored_dtype)
    pointwise = [n for n in graph.nodes if n.op == "conv2d" and graph.weight_shape(n)[1:3] == (1, 1)]
    assert len(pointwise) == 4
    for node in pointwise:
        assert const_bytes(KERNELS_BY_NAME[WIDEN], graph, node) == 4096 + requant
        assert const_bytes(KERNELS_BY_NAME["tg_conv2d_direct_s8_dsp"], graph, node) == 2 * 4096 + requant
        assert const_bytes(KERNELS_BY_NAME["tg_conv2d_1x1_s8_dsp"], graph, node) == 4096 + requant
    for node in (n for n in graph.nodes if n.op == "depthwise_conv2d"):
        assert node.kernel == "tg_depthwise_conv2d_3x3_narrow_s8_dsp"
        assert const_bytes(KERNELS_BY_NAME[node.kernel], graph, node) == 4 + 40 * 64
        assert const_bytes(KERNELS_BY_NAME["tg_depthwise_conv2d_3x3_s8_dsp"], graph, node) == 4 + 28 * 64
        assert const_bytes(KERNELS_BY_NAME["tg_depthwise_conv2d_s8_dsp"], graph, node) == 4 + 28 * 64 + 9 * 64 + requant


def _drawn_widen_cases(n: int) -> list[dict]:
    """n conv geometries drawn by hypothesis (derandomized) like the sub-byte kernels' host
    tests: odd sizes, channels 1 .. 64 (odd ones: the one-value-at-a-time runs), k x 1 and
    1 x k kernels, stride 2, dilation, every padding, asymmetric zero points, clamps."""
    from test_kernels_subbyte import subbyte_geometry

    fields = ("in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "kernel_h", "kernel_w", "stride_h", "stride_w",
              "dilation_h", "dilation_w", "pad_top", "pad_left", "input_offset", "output_offset", "act_min",
              "act_max")
    cases = []

    @settings(derandomize=True, max_examples=n, deadline=None, database=None)
    @given(data=st.data())
    def draw(data):
        p = data.draw(subbyte_geometry("s4"))
        if p["out_h"] * p["out_w"] * p["out_c"] <= 2048:
            cases.append({**{k: p[k] for k in fields}, "depth_multiplier": 1})

    draw()
    return cases


@needs_qemu
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_conv2d_widen_s8_dsp_drawn_shapes_standin(board_name, tmp_path):
    """The generic kernel called directly on 40 drawn geometries (one firmware), byte for byte
    equal to conv2d_s8 on the M7 and M4 stand-ins."""
    import sys

    from e2e import ROOT
    from kernel_lib import assert_same

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from lowbit_kernels import Call, kernel, run_calls

    cases = _drawn_widen_cases(40)
    assert len(cases) >= 25, "the size filter left too few cases"
    rng = np.random.default_rng(11)
    calls = [Call(f"{WIDEN}", p, kernel(WIDEN).case(p, rng)) for p in cases]
    run_calls(board_name, calls, tmp_path)
    for c in calls:
        assert_same(kernel(WIDEN).twin(c.p, *c.arrays).reshape(-1), c.result, f"{WIDEN} on {board_name}, p={c.p}")


@pytest.mark.parametrize("name", ["kws_dscnn", "vww_mobilenet"])
def test_layer_stats_count_the_flash_the_kernels_read(name):
    """inspect's flash total (tinygen.passes.analysis.layer_stats) is the constants codegen emits:
    a 3x3 depthwise layer's records (the 3x3 path's on VWW, the narrow kernel's on KWS), not also
    the weights and requantization they were packed from (KWS counted 5,376 B twice)."""
    from mlperf_models import mlperf_model
    from tinygen.passes.analysis import layer_stats
    from tinygen.codegen.emit import project_data
    from tinygen.compiler import compile_source, load_source
    from tinygen.passes import CompileOptions

    board = get_board("f746zg")
    graph = compile_source(load_source(mlperf_model(name)), None, CompileOptions(features=board.isa_features))
    records = {"tg_depthwise_conv2d_3x3_s8_dsp", "tg_depthwise_conv2d_3x3_narrow_s8_dsp"}
    assert records & {n.kernel for n in graph.nodes}
    assert sum(s.param_bytes for s in layer_stats(graph)) == project_data(graph, "m", "0", "test")["weight_bytes"]
