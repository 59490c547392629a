"""The DSP convolutions with int8 weights widened at run time (firmware/kernels/tg_conv2d_widen_s8_dsp.h).

tg_conv2d_widen_s8_dsp equals its numpy twin (conv2d_s8) layer by layer on the Cortex-M7
and M4 stand-ins, specialized and generic, over the shapes it serves (in_c a multiple of
4): 3x3 with padding, stride 2 (clipped runs), dilation 2 (a run per tap), unequal
padding, an even kernel, a temporal k x 1 kernel, output channel counts that are not
multiples of 4 (a last block of 1..3 channels), no bias, ReLU and ReLU6; seeded random
weights and inputs. (The fused-add kernel tg_conv2d_add_widen_s8_dsp, odd channel counts
included, is checked in tests/test_fuse_residual.py.) The packed weights widen, word by
word with SXTB16 and SXTB16 ROR 8, into the direct kernel's int16 layout, and take half
its flash.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from e2e import assert_device_equals_reference
from test_kernels_dsp import needs_qemu
from test_lower_peak import conv_graph
from tinygen.board import get_board
from tinygen.compiler import build
from tinygen.kernels.params import conv2d_direct_dsp_weights, conv2d_widen_dsp_weights
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


@pytest.mark.parametrize("in_c, out_c, kh, kw", [(4, 8, 3, 3), (8, 5, 3, 5), (12, 7, 1, 1), (3, 6, 2, 2)])
def test_conv2d_widen_weights_widen_to_the_direct_layout(in_c, out_c, kh, kw):
    rng = np.random.default_rng(in_c)
    weight = rng.integers(-128, 128, size=(out_c, kh, kw, in_c)).astype(np.int8)
    p = {"out_c": out_c, "kernel_h": kh, "kernel_w": kw, "in_c": in_c}
    packed = conv2d_widen_dsp_weights(p, {"weight": weight})
    assert packed.dtype == np.int8
    assert np.array_equal(_widen(packed), conv2d_direct_dsp_weights(p, {"weight": weight}))
    assert packed.nbytes * 2 == conv2d_direct_dsp_weights(p, {"weight": weight}).nbytes
    assert KERNELS_BY_NAME[WIDEN].scratch(p) == 8 * kh * kw * in_c


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
    layers 40 bytes per channel (+ a header word) on the 3x3 path alone, 61 + those on the
    kernel with both paths (its records beside the weights, bias and requantization)."""
    from mlperf_models import mlperf_model
    from tinygen.compiler import compile_source, load_source
    from tinygen.kernels.table import const_bytes
    from tinygen.passes import CompileOptions

    board = get_board("f746zg")
    graph = compile_source(load_source(mlperf_model("kws_dscnn")), None, CompileOptions(features=board.isa_features))
    requant = 3 * 4 * 64            # bias, multiplier, shift: int32 per channel
    pointwise = [n for n in graph.nodes if n.op == "conv2d" and graph.weight_shape(n)[1:3] == (1, 1)]
    assert len(pointwise) == 4
    for node in pointwise:
        assert const_bytes(KERNELS_BY_NAME[WIDEN], graph, node) == 4096 + requant
        assert const_bytes(KERNELS_BY_NAME["tg_conv2d_direct_s8_dsp"], graph, node) == 2 * 4096 + requant
        assert const_bytes(KERNELS_BY_NAME["tg_conv2d_1x1_s8_dsp"], graph, node) == 4096 + requant
    for node in (n for n in graph.nodes if n.op == "depthwise_conv2d"):
        assert node.kernel == "tg_depthwise_conv2d_3x3_s8_dsp"
        assert const_bytes(KERNELS_BY_NAME[node.kernel], graph, node) == 4 + 40 * 64
        assert const_bytes(KERNELS_BY_NAME["tg_depthwise_conv2d_s8_dsp"], graph, node) == 4 + 40 * 64 + 9 * 64 + requant
