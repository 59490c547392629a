"""The transposed convolution's kernels on the stand-ins, called directly in one firmware per
board (benchmarks/standin_calls.py; benchmarks/transpose_conv_calls.py says how to call them):
tg_transpose_conv2d_s8_dsp on the f746zg (Cortex-M7) and f446re (Cortex-M4) stand-ins,
tg_transpose_conv2d_s8_rv32 on the esp32-c3's (RISC-V), and the portable kernel beside them,
each equal to the numpy twin byte for byte over drawn layers and named ones: the 2x
upsampling layers of autoencoders, input channels not a multiple of 4, odd output channels,
dilation, stride 3, kernels shorter than the stride, outputs past the last tap, clamps, the
requantization the DSP kernel cannot fold (left shifts, biases near 2^30), extreme values.
On each board the optimized kernel runs fewer instructions than the portable one. A decoder
model compiled for each board (the board's kernel chosen) equals the reference on its
stand-in, layer by layer.
"""

from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from e2e import ROOT, assert_device_equals_reference
from kernel_lib import assert_same
from standin_lib import needs_qemu
from transpose_conv_lib import tconv_case, tconv_geometry
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import quantize_input
from tinygen.kernels.transpose_conv import DSP_MAX_TAPS_H, phase_rv32_weights, phase_weights, phases
from tinygen.ref.transpose_conv import transpose_conv2d_s8

sys.path.insert(0, str(ROOT / "benchmarks"))
from standin_calls import Call, run_calls  # noqa: E402
import transpose_conv_calls  # noqa: E402,F401  (adds the kernels to the harness)

needs_riscv = pytest.mark.skipif(
    shutil.which("riscv64-unknown-elf-gcc") is None or shutil.which("qemu-system-riscv32") is None,
    reason="needs riscv64-unknown-elf-gcc and qemu-system-riscv32: sudo apt-get install -y "
           "--no-install-recommends gcc-riscv64-unknown-elf qemu-system-misc")
KERNEL = "tg_transpose_conv2d_s8"
OPTIMIZED = {"f746zg": KERNEL + "_dsp", "f446re": KERNEL + "_dsp", "esp32-c3": KERNEL + "_rv32"}
PACK = {"_dsp": phase_weights, "_rv32": phase_rv32_weights}


def layer(in_hw, in_c, out_c, k, s, pad, out_hw, d=(1, 1), **extra) -> dict:
    return {"in_h": in_hw[0], "in_w": in_hw[1], "in_c": in_c, "out_h": out_hw[0], "out_w": out_hw[1], "out_c": out_c,
            "kernel_h": k[0], "kernel_w": k[1], "stride_h": s[0], "stride_w": s[1], "dilation_h": d[0],
            "dilation_w": d[1], "pad_top": pad[0], "pad_left": pad[1], "input_offset": 13, "output_offset": -7,
            "act_min": -128, "act_max": 127, **extra}


# (params, how its arrays are drawn): "" random, "left" some left shifts and large biases (the DSP
# kernel's general requantization), "extreme" inputs and weights at the ends of int8
NAMED = [
    (layer((8, 8), 8, 8, (3, 3), (2, 2), (1, 1), (16, 16)), ""),          # PyTorch k3 s2 p1 op1
    (layer((4, 4), 32, 16, (4, 4), (2, 2), (1, 1), (8, 8)), ""),          # k4 s2 p1
    (layer((4, 4), 16, 16, (3, 3), (2, 2), (0, 0), (8, 8)), "left"),      # TFLite SAME, unfolded
    (layer((3, 5), 5, 7, (3, 2), (2, 3), (1, 0), (7, 14)), ""),           # in_c 5, odd out_c and pixels
    (layer((4, 3), 6, 3, (3, 3), (3, 2), (2, 1), (10, 8), (2, 2)), ""),   # stride 3, dilation 2
    (layer((3, 3), 4, 5, (1, 2), (3, 3), (0, 0), (9, 9)), ""),            # kernel shorter than the stride
    (layer((5, 4), 9, 6, (4, 3), (2, 2), (2, 1), (11, 9), act_min=-7, act_max=90), ""),
    (layer((3, 3), 8, 4, (3, 3), (2, 2), (1, 1), (6, 6), input_offset=128, output_offset=-128), "extreme"),
    (layer((2, 2), 3, 2, (9, 2), (1, 1), (0, 0), (10, 3)), ""),           # 9 taps along y: the DSP kernel's limit is 8
]


def _arrays(p: dict, seed: int, how: str):
    x, w, b, m, s = tconv_case(p, seed, left_shifts=how == "left")
    if how == "left":
        b = np.where(np.arange(p["out_c"]) % 2 == 0, (1 << 29) - 1, -(1 << 29)).astype(np.int32)
    if how == "extreme":
        rng = np.random.default_rng(seed)
        x = np.where(rng.random(x.shape) < 0.5, -128, 127).astype(np.int8)
        w = np.where(rng.random(w.shape) < 0.5, -127, 127).astype(np.int8)
        s = np.full(p["out_c"], -10, np.int32)
    return x, w, b, m, s


def _cases() -> list[tuple[dict, int, str]]:
    """(params, seed, how drawn, label): the named layers, then drawn ones."""
    cases = [(p, 100 + i, how, f"named {i}") for i, (p, how) in enumerate(NAMED)]

    @settings(derandomize=True, max_examples=40, deadline=None, database=None)
    @given(p=tconv_geometry(channels=st.integers(1, 13)), seed=st.integers(0, 2**32 - 1))
    def draw(p, seed):
        if p["out_h"] * p["out_w"] * p["out_c"] <= 1500 and p["kernel_h"] <= 5:
            cases.append((p, seed, "", ""))

    draw()
    return cases


def _run(board: str, tmp_path) -> None:
    optimized = OPTIMIZED[board]
    suffix = optimized[len(KERNEL):]
    calls, wants = [], []
    for p, seed, how, label in _cases():
        x, w, b, m, s = _arrays(p, seed, how)
        want = transpose_conv2d_s8(p, x, w, b, m, s).reshape(-1)
        # the DSP kernel takes at most DSP_MAX_TAPS_H taps a phase along y (the table gives it no other layer)
        if suffix != "_dsp" or max(y.count for y, _ in phases(p)) <= DSP_MAX_TAPS_H:
            calls.append(Call(optimized, p, (x, PACK[suffix](p, {"weight": w, "bias": b}), b, m, s), label))
            wants.append(want)
        if label:       # the portable kernel beside it on the named layers
            calls.append(Call(KERNEL, p, (x, w, b, m, s), label))
            wants.append(want)
    run_calls(board, calls, tmp_path)
    for c, want in zip(calls, wants):
        assert_same(want, c.result, f"{c.name} on the {board} stand-in ({c.label or 'drawn'}), p={c.p}")
    pairs = [(a, b) for a, b in zip(calls, calls[1:]) if a.name == optimized and b.name == KERNEL and a.p is b.p]
    assert pairs and all(a.instructions < b.instructions for a, b in pairs), \
        [(a.p["in_c"], a.instructions, b.instructions) for a, b in pairs]


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_transpose_conv2d_s8_dsp_standin(board, tmp_path):
    _run(board, tmp_path)


@needs_riscv
def test_transpose_conv2d_s8_rv32_standin(tmp_path):
    _run("esp32-c3", tmp_path)


class Decoder(nn.Module):
    """2x upsampling (k3 s2 p1 op1, 12 channels), 4x4 (k4 s2 p1, 5 channels: an odd count), then a
    transposed convolution over 3 channels with stride (1, 2) and dilation."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.ConvTranspose2d(6, 12, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                                  nn.ConvTranspose2d(12, 5, 4, stride=2, padding=1), nn.ReLU6(),
                                  nn.ConvTranspose2d(5, 3, 3, stride=(1, 2), padding=1, dilation=(2, 1)))

    def forward(self, x):
        return self.body(x)


@pytest.mark.parametrize("board_name", [
    pytest.param("f746zg", marks=needs_qemu), pytest.param("f446re", marks=needs_qemu),
    pytest.param("esp32-c3", marks=needs_riscv)])
def test_transpose_conv_model_standin(board_name, tmp_path):
    from tinygen.hil.target import open_device

    board = get_board(board_name)
    torch.manual_seed(5)
    shape = (1, 6, 3, 4)
    torch.export.save(torch.export.export(Decoder().eval(), (torch.randn(shape),)), tmp_path / "m.pt2")
    rng = np.random.default_rng(5)
    np.save(tmp_path / "calib.npy", rng.standard_normal((32,) + shape[1:]).astype(np.float32))
    source = load_source(tmp_path / "m.pt2")
    graph = compile_source(source, str(tmp_path / "calib.npy"), CompileOptions(features=board.isa_features))
    assert {n.kernel for n in graph.nodes} == {OPTIMIZED[board_name]}
    project = build(source, graph, board, tmp_path / "fw").out_dir
    with open_device(board, project, emulate=True) as dev:
        for i in range(3):
            x = quantize_input(graph, source.to_graph_layout(rng.standard_normal(shape).astype(np.float32)))
            assert_device_equals_reference(dev, graph, x, f"{board_name} input {i}")
