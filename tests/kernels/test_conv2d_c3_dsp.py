"""tg_conv2d_s8_dsp's specialized 3x3 layers over 3 input channels (a first conv over RGB):
their fields widened straight from the input (firmware/kernels/conv/tg_conv2d_s8_c3_dsp.h), edge
pixels from an im2col copy. Firmware built for the F746ZG and F446RE, run on the QEMU
stand-ins, equals the numpy reference byte for byte, layer by layer: stride 1 and 2, padding
1 and 0 (fields inside the input and fields with padded taps), odd and even pixel counts,
odd output channel counts (the pairs' odd last channel), a dilated 3x3 (the general path),
and inputs at the int8 extremes. Beside them, a specialized im2col layer of a single output
pixel (5 channels, 3x3 on 3x3): its pair records are written too (they were not before).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from torch import nn

from e2e import first_difference
from tinygen.board import get_board
from tinygen.codegen.emit import project_data
from tinygen.compiler import build, compile_source, load_source
from tinygen.kernels import specialize
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import quantize_input, run

needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                reason="the Cortex-M stand-ins need qemu-system-arm and arm-none-eabi-gcc")



class FirstConvs(nn.Module):
    """3x3 convs that all take 3 channels: 13x11 (143 pixels, odd) at stride 1 padding 1,
    out 3 (odd); stride 2 padding 0, 6x5 (30 pixels), out 3; dilation 2 padding 2 (not the
    c3 path); stride 2 padding 1, 3x3 (9 pixels), out 8; then 3 -> 4 channels on 3x3."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 3, 3, padding=1), nn.ReLU(),
            nn.Conv2d(3, 3, 3, stride=2),
            nn.Conv2d(3, 3, 3, dilation=2, padding=2), nn.ReLU6(),
            nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False))

    def forward(self, x):
        return self.body(x)


class OnePixel(nn.Module):
    """5x5 input: a c3 conv to 3x3 x 5 channels, then a 3x3 conv to a single pixel of 6
    channels (tg_conv2d_s8_dsp's im2col path, its one pixel as a block of it twice)."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 5, 3), nn.ReLU(), nn.Conv2d(5, 6, 3))

    def forward(self, x):
        return self.body(x)


# model: (factory, input shape, which convs take the c3 path)
MODELS = {
    "first_convs": (FirstConvs, (1, 3, 13, 11), [True, True, False, True]),
    "one_pixel": (OnePixel, (1, 3, 5, 5), [True, False]),
}


def _compiled(board, model, tmp_path_factory):
    factory, shape, _ = MODELS[model]
    torch.manual_seed(3)
    net = factory()
    for p in net.parameters():
        torch.nn.init.uniform_(p, -1.0, 1.0)
    net.eval()
    tmp = tmp_path_factory.mktemp("c3")
    torch.export.save(torch.export.export(net, (torch.randn(shape),)), tmp / "m.pt2")
    rng = np.random.default_rng(5)
    np.save(tmp / "calib.npy", rng.standard_normal((32,) + shape[1:]).astype(np.float32))
    source = load_source(tmp / "m.pt2")
    graph = compile_source(source, str(tmp / "calib.npy"),
                           CompileOptions(features=frozenset(board.isa_features), lower_peak=False))
    inputs = [quantize_input(graph, source.to_graph_layout(rng.standard_normal(shape).astype(np.float32) * 1.5))
              for _ in range(3)]
    # the int8 extremes: every value -128, then every value 127
    inputs += [np.full_like(inputs[0], -128), np.full_like(inputs[0], 127)]
    return source, graph, inputs, tmp


def _c3_calls(graph) -> list[str]:
    """The specialized calls of tg_conv2d_s8_dsp on 3x3 layers over 3 channels, dilation 1."""
    layers = [layer for layer in project_data(graph, "m", "0", "test")["layers"]
              if layer.kernel == "tg_conv2d_s8_dsp"]
    return [line for layer in layers for line in layer.body if line.startswith("tg_conv2d_s8_dsp_inline(")]


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_conv2d_c3_s8_dsp_standin(board_name, model, tmp_path_factory):
    from tinygen.hil.target import open_device

    board = get_board(board_name)
    source, graph, inputs, tmp = _compiled(board, model, tmp_path_factory)
    convs = [n for n in graph.nodes if n.op == "conv2d"]
    assert [n.kernel for n in convs] == ["tg_conv2d_s8_dsp"] * len(convs)
    kp = [n.attrs["kparams"] for n in convs]
    c3 = [k["in_c"] == 3 and k["kernel_h"] == 3 and k["kernel_w"] == 3 and k["dilation_h"] == 1 for k in kp]
    assert c3 == MODELS[model][2]
    # the pair path (and c3 blocks) run where the output offset folds (bounded argument 2, with
    # specialize.POS where act_min >= the output zero point): on all here
    calls = _c3_calls(graph)
    assert [int(call.split(", ")[1]) & ~specialize.POS for call in calls] == [specialize.FOLDED] * len(convs)
    project = build(source, graph, board, tmp / "fw").out_dir
    nodes = [n for n in graph.nodes if n.kernel]
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(inputs):
            want = run(graph, x, keep_all=True)
            dev.run(x.tobytes())
            for j, node in enumerate(nodes):
                got = np.frombuffer(dev.layer_out(j), dtype=np.int8)
                ref = want[node.outputs[0]].ravel()
                assert np.array_equal(got, ref), f"{board.name} input {i}, {node.name}: {first_difference(ref, got)}"
