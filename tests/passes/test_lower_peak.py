"""The scratch-free DSP convolution and the memory-aware kernel choice (passes/lower_peak.py).

tg_conv2d_direct_s8_dsp equals its numpy twin (conv2d_s8) layer by layer on the Cortex-M
stand-ins, specialized and generic, over odd sizes, channel counts that are not multiples
of 4 (the one-value-at-a-time path) and that are (the whole-group paths, clipped and
dilated), stride 2, padding, dilation and no bias. The pass gives the MLPerf IC model an
arena within 60% of TFLM's, overriding a per-node kernel choice only on the layer it
changes, and changes a layer's kernel only where that lowers the arena.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from torch import nn

from e2e import assert_device_equals_reference, conv_graph
from mlperf_models import mlperf_model
from standin_lib import needs_qemu
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.passes import CompileOptions
from tinygen.passes.lower_peak import FLASH_PER_RAM_BYTE

DIRECT = "tg_conv2d_direct_s8_dsp"
# ../shared/notes/anchors.md: TFLM's arena for IC on the Cortex-M7 stand-in; the target is 60% of it
TFLM_IC_ARENA = 54_996


class DirectConvs(nn.Module):
    """in_c 3 (odd sizes, padding clipped one value at a time), in_c 8 stride 2 (clipped runs of
    whole groups), in_c 12 dilated (a run of groups per tap) to 5 channels (not a multiple of 4),
    in_c 5 with unequal padding and no bias, a strided 1x1 with ReLU, an even kernel."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
            nn.Conv2d(8, 12, 3, stride=2, padding=1),
            nn.Conv2d(12, 5, 3, dilation=2, padding=2),
            nn.Conv2d(5, 7, (3, 5), padding=(1, 2), bias=False), nn.ReLU6(),
            nn.Conv2d(7, 16, 1, stride=2), nn.ReLU(),
            nn.Conv2d(16, 6, 2))

    def forward(self, x):
        return self.body(x)


@needs_qemu
@pytest.mark.parametrize("board_name, specialize", [("f746zg", True), ("f746zg", False), ("f446re", True)])
def test_conv2d_direct_s8_dsp_standin(board_name, specialize, tmp_path):
    from tinygen.hil.target import open_device

    board = get_board(board_name)
    source, graph, inputs = conv_graph(DirectConvs, (1, 3, 11, 9), DIRECT, board, tmp_path, specialize)
    convs = [n for n in graph.nodes if n.op == "conv2d"]
    assert len(convs) == 6 and {n.kernel for n in convs} == {DIRECT}
    assert all(n.scratch_bytes == 0 for n in convs)
    project = build(source, graph, board, tmp_path / "fw").out_dir
    call = "tg_conv2d_direct_s8_dsp_inline(" if specialize else "tg_conv2d_direct_s8_dsp("
    assert (Path(project) / "model.c").read_text().count(call) == 6
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(inputs):
            assert_device_equals_reference(dev, graph, x, f"{board_name} input {i}")


def _mlperf(name: str, **options):
    board = get_board("f746zg")
    return compile_source(load_source(mlperf_model(name)), None,
                          CompileOptions(features=board.isa_features, **options))


@pytest.mark.parametrize("fuse", [None, True])
def test_ic_arena_within_60_percent_of_tflm_f746zg(fuse):
    before = _mlperf("ic_resnet8", fuse_residual=fuse, lower_peak=False)
    graph = _mlperf("ic_resnet8", fuse_residual=fuse)
    arena = graph.meta["memory"].arena_size
    assert arena <= 0.60 * TFLM_IC_ARENA and arena < before.meta["memory"].arena_size
    changes = graph.meta["lower_peak"]
    assert changes and all(c["arena_after"] < c["arena_before"] for c in changes)
    assert changes[-1]["arena_after"] == arena and changes[0]["arena_before"] == before.meta["memory"].arena_size
    # only the layers changed for memory differ from the plan without the pass
    changed = {c["node"]: c["kernel"] for c in changes}
    kernels = {n.name: n.kernel for n in graph.nodes}
    assert {n: k for n, k in kernels.items() if k != {m.name: m.kernel for m in before.nodes}[n]} == changed
    # the scratch-free kernels with int16 weights: the direct conv, the fused conv + add (the
    # peak's two layers share it, swapped together where one alone lowers nothing)
    assert DIRECT in set(changed.values()) <= {DIRECT, "tg_conv2d_add_s8_dsp"}


def test_lower_peak_overrides_a_kernel_choice_only_where_it_lowers_the_arena():
    """A per-node choice (as --kernels auto's) naming the im2col conv on every conv: the pass
    still swaps the peak's layer, and keeps the choice everywhere else (flash no object: the
    direct kernel's int16 weights cost more flash per arena byte than the default weighs)."""
    plain = _mlperf("ic_resnet8")
    choice = {n.name: "tg_conv2d_s8_dsp" for n in plain.nodes if n.op == "conv2d"}
    graph = _mlperf("ic_resnet8", kernel_choice=choice, lower_peak_flash=None)
    changed = {c["node"] for c in graph.meta["lower_peak"]}
    assert changed and graph.meta["memory"].arena_size <= 0.60 * TFLM_IC_ARENA
    for name in choice:
        kernel = next(n.kernel for n in graph.nodes if n.name == name)
        assert kernel == (DIRECT if name in changed else "tg_conv2d_s8_dsp"), name


@pytest.mark.parametrize("name, flash", [("kws_dscnn", None), ("kws_dscnn", FLASH_PER_RAM_BYTE),
                                         ("vww_mobilenet", FLASH_PER_RAM_BYTE), ("ad_autoencoder", None)])
def test_lower_peak_changes_kernels_only_where_the_arena_drops(name, flash):
    """KWS's pointwise convs take the direct kernel (no scratch, in place like tg_conv2d_s8)
    when flash is no object: 10,880 -> 10,624 B; by default they do not (4 KB more flash each,
    int16 weights, for 64 B of arena); VWW keeps every kernel; AD's batch-1 fully connected layers
    take the row-pair lean variant (no widened row in scratch) where the row would set the arena's peak."""
    off, on = _mlperf(name, lower_peak=False), _mlperf(name, lower_peak_flash=flash)
    changes = on.meta["lower_peak"]
    assert all(c["arena_after"] < c["arena_before"] for c in changes)
    assert on.meta["memory"].arena_size == (changes[-1]["arena_after"] if changes else off.meta["memory"].arena_size)
    before = {n.name: n.kernel for n in off.nodes}
    assert {n.name: n.kernel for n in on.nodes if n.kernel != before[n.name]} == \
        {c["node"]: c["kernel"] for c in changes}
    assert bool(changes) == ((name == "kws_dscnn" and flash is None) or name == "ad_autoencoder")
    if name == "kws_dscnn" and changes:
        assert {c["kernel"] for c in changes} == {DIRECT} and on.meta["memory"].arena_size == 10_624
    if name == "ad_autoencoder":        # the batch-1 FC's widened row would set the peak: the lean kernel
        assert {c["kernel"] for c in changes} == {"tg_fully_connected_batch1_rowpair_lean_s8_dsp"}
        assert on.meta["memory"].arena_size < off.meta["memory"].arena_size


def test_lower_peak_weighs_the_flash_it_adds():
    """Each KWS swap adds 4,096 B of constants (int16 weights) for 64 B of arena: taken at 64
    flash bytes per arena byte, refused at 63; the weighing counts constants exactly."""
    from tinygen.kernels.table import KERNELS_BY_NAME, const_bytes

    graph = _mlperf("kws_dscnn", lower_peak=False)
    node = graph.node("conv2d_2")
    added = const_bytes(KERNELS_BY_NAME[DIRECT], graph, node) - const_bytes(KERNELS_BY_NAME[node.kernel], graph, node)
    assert added == 64 * 64
    assert _mlperf("kws_dscnn", lower_peak_flash=64.0).meta["lower_peak"]
    assert not _mlperf("kws_dscnn", lower_peak_flash=63.0).meta["lower_peak"]


def test_lower_peak_respects_fuse_residual_false():
    graph = _mlperf("ic_resnet8", fuse_residual=False)
    assert not [n for n in graph.nodes if n.op == "conv2d_add"]
    assert sum(n.op == "add" for n in graph.nodes) == 3


def test_lower_peak_reverts_auto_choices_that_raised_a_peak_elsewhere():
    """A per-node choice (as --kernels auto's by estimated cycles) of the widening kernel on KWS's pointwise
    layers, which cannot write over their input: the arena's peak moves to the depthwise layers, which have
    no alternative. The pass puts the pointwise layers back on their preferred 3-row kernel (in place) and
    only them: the arena is the one without the choice, and the other layers keep theirs."""
    plain = _mlperf("kws_dscnn")
    pointwise = [n.name for n in plain.nodes if n.op == "conv2d" and n.name != "conv2d_0"]
    choice = {name: "tg_conv2d_widen_s8_dsp" for name in pointwise}
    choice["conv2d_0"] = "tg_conv2d_s8_dsp"
    # est. cycles as auto measured them on the f746zg (the scratch-free direct kernel: too slow for 64 B a layer)
    counts = {name: {"tg_conv2d_widen_s8_dsp": 442_336, "tg_conv2d_1x1_rows3_s8_dsp": 472_482,
                     "tg_conv2d_direct_s8_dsp": 687_159} for name in pointwise}
    raised = _mlperf("kws_dscnn", kernel_choice=choice, kernel_counts=counts, lower_peak=False)
    assert raised.meta["memory"].arena_size > plain.meta["memory"].arena_size
    graph = _mlperf("kws_dscnn", kernel_choice=choice, kernel_counts=counts)
    assert graph.meta["memory"].arena_size == plain.meta["memory"].arena_size
    changed = {c["node"]: c["kernel"] for c in graph.meta["lower_peak"]}
    assert changed == {name: "tg_conv2d_1x1_rows3_s8_dsp" for name in pointwise}
    assert graph.node("conv2d_0").kernel == "tg_conv2d_s8_dsp"
