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
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.kernels.params import conv2d_direct_dsp_weights, conv2d_widen_dsp_weights
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import quantize_input

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


def _graph(board, tmp: Path, specialize: bool):
    torch.manual_seed(5)
    net = WidenConvs()
    for p in net.parameters():
        torch.nn.init.uniform_(p, -1.0, 1.0)
    net.eval()
    shape = (1, 4, 11, 9)
    torch.export.save(torch.export.export(net, (torch.randn(shape),)), tmp / "m.pt2")
    rng = np.random.default_rng(1)
    np.save(tmp / "calib.npy", rng.standard_normal((16,) + shape[1:]).astype(np.float32))
    source = load_source(tmp / "m.pt2")
    first = compile_source(source, str(tmp / "calib.npy"), CompileOptions(features=board.isa_features))
    choice = {n.name: WIDEN for n in first.nodes if n.op == "conv2d"}
    graph = compile_source(source, str(tmp / "calib.npy"),
                           CompileOptions(features=board.isa_features, kernel_choice=choice, lower_peak=False))
    graph.meta["specialize"] = specialize
    inputs = [quantize_input(graph, source.to_graph_layout(rng.standard_normal(shape).astype(np.float32) * 1.5))
              for _ in range(3)]
    return source, graph, inputs


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
    source, graph, inputs = _graph(board, tmp_path, specialize)
    convs = [n for n in graph.nodes if n.op == "conv2d"]
    assert len(convs) == 7 and {n.kernel for n in convs} == {WIDEN}
    project = build(source, graph, board, tmp_path / "fw").out_dir
    call = f"{WIDEN}_inline(" if specialize else f"{WIDEN}("
    assert (Path(project) / "model.c").read_text().count(call) == 7
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(inputs):
            assert_device_equals_reference(dev, graph, x, f"{board_name} input {i}")
