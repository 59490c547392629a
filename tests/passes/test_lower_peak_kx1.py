"""lower_peak trades the temporal depthwise kernel with a padded copy for the widened one (KernelSpec.leaner).

tg_depthwise_conv2d_kx1_imm_s8_dsp is preferred on these temporal k3 ReLU layers (faster; the
raw kernel, the same kind of copy, after it), its scratch a padded copy of the whole input;
tg_depthwise_conv2d_kx1_s8_dsp serves the same layers with one block of 4 channels widened
(49 steps x 128 channels: 6,544 B against 432 B). Where the raw
layer sets the arena's peak the pass swaps it for the widened kernel, by the estimates a few
instructions per byte saved (tinygen/passes/footprint.py); where another layer sets the peak the raw
kernel stays. --kernels auto sees all three kernels on such a layer. The copy is rounded up to
the arena's alignment, 16: lower_peak finds the layers at the peak by their buffers' unaligned
sizes, and with the raw kernel's 6,660 it missed this one alone at the peak.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from e2e import assert_device_equals_reference
from standin_lib import needs_qemu
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.kernels.depthwise_kx1_dsp import kx1_scratch
from tinygen.kernels.depthwise_kx1_imm import imm_scratch
from tinygen.passes import CompileOptions
from tinygen.passes.choose_kernels import kernel_candidates
from tinygen.passes.lower_peak import INSTRUCTIONS_PER_RAM_BYTE
from tinygen.passes.plan_memory import align
from tinygen.ref.interpreter import quantize_input

RAW, WIDENED = "tg_depthwise_conv2d_kx1_raw_s8_dsp", "tg_depthwise_conv2d_kx1_s8_dsp"
IMM = "tg_depthwise_conv2d_kx1_imm_s8_dsp"
CHANNELS, STEPS = 128, 49
SHAPE = (1, CHANNELS, STEPS, 1)


class Temporal(nn.Module):
    """Temporal k3 depthwise layers (stride 1, padding 1, ReLU: tg_depthwise_conv2d_kx1_imm_s8_dsp),
    then a pointwise conv to `wide` channels: 512 makes the pointwise layer's output the arena's peak, 8 leaves it at
    the depthwise layers."""

    def __init__(self, layers: int, wide: int):
        super().__init__()
        mods: list[nn.Module] = []
        for _ in range(layers):
            mods += [nn.Conv2d(CHANNELS, CHANNELS, (3, 1), padding=(1, 0), groups=CHANNELS), nn.ReLU()]
        self.body = nn.Sequential(*mods, nn.Conv2d(CHANNELS, wide, 1))

    def forward(self, x):
        return self.body(x)


def _source(layers: int, wide: int, tmp: Path):
    torch.manual_seed(layers * 7 + wide)
    net = Temporal(layers, wide)
    for p in net.parameters():
        torch.nn.init.uniform_(p, -1.0, 1.0)
    net.eval()
    torch.export.save(torch.export.export(net, (torch.randn(SHAPE),)), tmp / "m.pt2")
    np.save(tmp / "calib.npy", np.random.default_rng(0).standard_normal((8,) + SHAPE[1:]).astype(np.float32))
    return load_source(tmp / "m.pt2")


def _compile(source, tmp: Path, **options):
    features = frozenset(get_board("f746zg").isa_features)
    return compile_source(source, str(tmp / "calib.npy"), CompileOptions(features=features, **options))


def _depthwise(graph):
    return [n for n in graph.nodes if n.op == "depthwise_conv2d"]


@pytest.mark.parametrize("layers", [1, 2])
def test_copying_layer_at_the_peak_takes_the_widened_kernel(layers, tmp_path):
    """One raw layer at the peak: swapped alone; two (both at the peak): swapped together. The
    arena drops by the scratch the copy took beyond the widened block, each swap within the
    instruction bound."""
    source = _source(layers, 8, tmp_path)
    before = _compile(source, tmp_path, lower_peak=False)
    nodes = _depthwise(before)
    assert [n.kernel for n in nodes] == [IMM] * layers
    k = nodes[0].attrs["kparams"]
    assert nodes[0].scratch_bytes == imm_scratch(k) > kx1_scratch(k) > 0
    features = frozenset(get_board("f746zg").isa_features)
    for kernels in ("tinygen", "auto"):
        names = [s.name for s in kernel_candidates(before, nodes[0], features, kernels)]
        assert names.index(IMM) < names.index(RAW) < names.index(WIDENED), names
    after = _compile(source, tmp_path)
    assert [n.kernel for n in _depthwise(after)] == [WIDENED] * layers
    changes = after.meta["lower_peak"]
    assert sorted(c["node"] for c in changes) == sorted(n.name for n in nodes)
    assert all(c["kernel"] == WIDENED and c["instead_of"] == IMM for c in changes)
    saved = before.meta["memory"].arena_size - after.meta["memory"].arena_size
    assert saved == imm_scratch(k) - kx1_scratch(k) and imm_scratch(k) == align(imm_scratch(k))
    assert 0 < sum(c["instructions_added"] for c in changes) <= INSTRUCTIONS_PER_RAM_BYTE * saved


def test_copying_layer_off_the_peak_keeps_its_kernel(tmp_path):
    """The pointwise conv's 512-channel output sets the peak: the copying kernels stay."""
    source = _source(2, 512, tmp_path)
    graph = _compile(source, tmp_path)
    assert [n.kernel for n in _depthwise(graph)] == [IMM, IMM]
    assert all(c["node"] not in {n.name for n in _depthwise(graph)} for c in graph.meta["lower_peak"])
    plan = graph.meta["memory"]
    timeline = plan.timeline(len(graph.nodes))
    at_peak = {n.name for n, live in zip(graph.nodes, timeline) if live >= plan.arena_size}
    assert not at_peak & {n.name for n in _depthwise(graph)}, at_peak


@pytest.mark.slow
@needs_qemu
def test_swapped_model_equals_reference_standin(tmp_path):
    """The model after the swap (widened kernels on both layers) on the M7 stand-in."""
    from tinygen.hil.target import open_device

    board = get_board("f746zg")
    source = _source(2, 8, tmp_path)
    graph = _compile(source, tmp_path)
    assert [n.kernel for n in _depthwise(graph)] == [WIDENED, WIDENED]
    project = build(source, graph, board, tmp_path / "fw").out_dir
    rng = np.random.default_rng(3)
    with open_device(board, project, emulate=True) as dev:
        x = quantize_input(graph, source.to_graph_layout(rng.standard_normal(SHAPE).astype(np.float32) * 1.5))
        assert_device_equals_reference(dev, graph, x, "lowered temporal k3")
