"""ARMv7E-M DSP kernels (firmware/kernels/*/tg_*_dsp.c) for the Cortex-M4/M7 boards.

They compile with the strict flags for both cores; the kernel table picks them only
for boards listing the "dsp" feature (portable kernels elsewhere); and firmware built
for the F746ZG and F446RE, run on the QEMU stand-ins, equals the numpy reference
byte for byte over chains of layers with awkward shapes (1 channel, odd counts,
counts not a multiple of 4, odd and even pixel counts).
"""

from __future__ import annotations

import dataclasses
import subprocess

import numpy as np
import pytest
import torch
from torch import nn

from e2e import assert_device_equals_reference
from kernel_lib import KERNEL_INCLUDES
from standin_lib import ARM_GCC, CORES, STRICT, needs_arm_gcc, needs_qemu
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.kernels.table import KERNELS, KERNELS_BY_NAME
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import quantize_input
from tinygen.resources import kernel_paths

DSP_SOURCES = kernel_paths("tg_*_dsp.c")


def test_every_dsp_kernel_is_in_the_table_and_requires_dsp():
    specs = {s.name: s for s in KERNELS if s.name.endswith("_dsp")}
    assert sorted(f"kernels/{p.name}" for p in DSP_SOURCES) == sorted(s.source for s in specs.values())
    for spec in specs.values():
        assert spec.requires == frozenset({"dsp"})
        assert not spec.ref_name.endswith("_dsp"), f"{spec.name} must name its portable numpy twin"


@needs_arm_gcc
@pytest.mark.parametrize("core", list(CORES))
@pytest.mark.parametrize("source", DSP_SOURCES, ids=lambda p: p.stem)
def test_dsp_kernel_compiles_strict(source, core, tmp_path):
    cmd = [ARM_GCC, f"-mcpu={core}", "-mthumb", "-mfloat-abi=hard", f"-mfpu={CORES[core]}", *STRICT,
           *KERNEL_INCLUDES, "-c", str(source), "-o", str(tmp_path / "k.o")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@needs_arm_gcc
@pytest.mark.parametrize("board, core, define", [("f746zg", "cortex-m7", "-DTG_DUAL_ISSUE=1"),
                                                 ("f446re", "cortex-m4", "-DTG_PAIRS_WHOLE=4")])
@pytest.mark.parametrize("source", DSP_SOURCES, ids=lambda p: p.stem)
def test_dsp_kernel_compiles_strict_with_the_boards_defines(source, board, core, define, tmp_path):
    """The boards' own -D switches take other code paths: the Cortex-M7's TG_DUAL_ISSUE (the loops
    scheduled for dual issue), the F446's TG_PAIRS_WHOLE (the pair loop kept a loop where its 1 KB
    ART would not hold it unrolled); those compile with the strict flags too."""
    defines = [f for f in get_board(board).cflags if f.startswith("-D")]
    assert define in defines
    cmd = [ARM_GCC, f"-mcpu={core}", "-mthumb", "-mfloat-abi=hard", f"-mfpu={CORES[core]}", *STRICT,
           *defines, *KERNEL_INCLUDES, "-c", str(source), "-o", str(tmp_path / "k.o")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# -- models around the kernels ------------------------------------------------------------

class Pointwise(nn.Module):
    """1x1 convolutions through awkward channel counts, a strided 1x1 (portable), then
    fully connected layers through awkward sizes."""

    def __init__(self, channels, hw, features):
        super().__init__()
        convs = [nn.Conv2d(a, b, 1, bias=i % 2 == 0) for i, (a, b) in enumerate(zip(channels, channels[1:]))]
        layers = []
        for i, conv in enumerate(convs):
            layers += [conv, nn.ReLU()] if i % 3 == 1 else [conv]
        self.convs = nn.Sequential(*layers)
        self.strided = nn.Conv2d(channels[-1], 3, 1, stride=2)
        flat = 3 * ((hw[0] + 1) // 2) * ((hw[1] + 1) // 2)
        sizes = [flat, *features]
        self.fcs = nn.Sequential(*[nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])

    def forward(self, x):
        return self.fcs(torch.flatten(self.strided(self.convs(x)), 1))


class Convs(nn.Module):
    """General convolutions: a KWS-like 10x4 stride-2 first conv on 1 channel, 3x3 stride 2
    with ReLU6, dilation 2, unequal padding along H and W, an even kernel without padding,
    a strided 1x1; odd channel counts and odd pixel counts (65, 21, 21, 21, 12, 3 pixels)."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 5, (10, 4), stride=2, padding=(4, 1)), nn.ReLU(),
            nn.Conv2d(5, 7, 3, stride=2, padding=1), nn.ReLU6(),
            nn.Conv2d(7, 6, 3, dilation=2, padding=2),
            nn.Conv2d(6, 9, (3, 5), padding=(1, 2), bias=False),
            nn.Conv2d(9, 4, 2),
            nn.Conv2d(4, 3, 1, stride=2))
        self.fc = nn.Linear(3 * 3, 5)

    def forward(self, x):
        return self.fc(torch.flatten(self.body(x), 1))


MODELS = {
    # 35 pixels (odd: the last row alone), channel counts 1, odd, not multiples of 4
    "odd": (lambda: Pointwise((3, 1, 5, 7, 8, 13, 64, 33), (5, 7), (37, 1, 6, 9)), (1, 3, 5, 7)),
    # 16 pixels (even), depths that are multiples of 4 and one large product
    "even": (lambda: Pointwise((4, 16, 96, 4, 2), (4, 4), (12, 12, 2)), (1, 4, 4, 4)),
    "convs": (Convs, (1, 1, 27, 11)),
}
ODD_POINTWISE = 7       # pointwise convs of the "odd" model
# of them, the 8 -> 13 one (depth 8, no clamp) takes tg_conv2d_1x1_shallow_s8_dsp
# (tests/kernels/test_kernels_dsp_pw_shallow.py), the others tg_conv2d_1x1_s8_dsp (pinned: by
# default those whose 3-row blocks serve take tg_conv2d_1x1_rows3_s8_dsp, tests/kernels/test_kernels_dsp_pw_rows3.py)
ODD_SHALLOW = 1
DENSE, ROWS3 = "tg_conv2d_1x1_s8_dsp", "tg_conv2d_1x1_rows3_s8_dsp"


def compiled(name: str, features, tmp_path_factory, dense: bool = True):
    """(source, graph, inputs, folder); `dense`: tg_conv2d_1x1_s8_dsp pinned where the 3-row
    pointwise kernel comes first (this file tests the dense kernel)."""
    factory, shape = MODELS[name]
    torch.manual_seed(1)
    net = factory()
    for p in net.parameters():
        torch.nn.init.uniform_(p, -1.0, 1.0)
    net.eval()
    tmp = tmp_path_factory.mktemp(name)
    torch.export.save(torch.export.export(net, (torch.randn(shape),)), tmp / "m.pt2")
    rng = np.random.default_rng(0)
    np.save(tmp / "calib.npy", rng.standard_normal((32,) + shape[1:]).astype(np.float32))
    source = load_source(tmp / "m.pt2")
    # the preferred kernels everywhere: no scratch-free swap at the peak (tests/passes/test_lower_peak.py)
    options = CompileOptions(features=frozenset(features), lower_peak=False)
    graph = compile_source(source, str(tmp / "calib.npy"), options)
    pinned = {n.name: DENSE for n in graph.nodes if n.kernel == ROWS3}
    if dense and pinned:
        graph = compile_source(source, str(tmp / "calib.npy"), dataclasses.replace(options, kernel_choice=pinned))
    inputs = [quantize_input(graph, source.to_graph_layout(rng.standard_normal(shape).astype(np.float32) * 1.5))
              for _ in range(4)]
    return source, graph, inputs, tmp


def kernels_by_op(graph) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for node in graph.nodes:
        if node.kernel:
            found.setdefault(node.op, []).append(node.kernel)
    return found


@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_dsp_kernels_chosen_for_dsp_boards(board, tmp_path_factory):
    _, graph, _, _ = compiled("odd", get_board(board).isa_features, tmp_path_factory, dense=False)
    k = kernels_by_op(graph)
    # every pointwise conv but the strided one, which the general DSP conv serves; the 3-row
    # kernel first where its blocks serve (3 rows or more), the dense one elsewhere
    pointwise = [n for n in graph.nodes if n.op == "conv2d" and n.kernel != "tg_conv2d_s8_dsp"]
    assert k["conv2d"] == [n.kernel for n in pointwise] + ["tg_conv2d_s8_dsp"]
    assert k["conv2d"].count("tg_conv2d_1x1_shallow_s8_dsp") == ODD_SHALLOW
    dense = [n for n in pointwise if n.kernel != "tg_conv2d_1x1_shallow_s8_dsp"]
    assert [n.kernel for n in dense] == [ROWS3 if KERNELS_BY_NAME[ROWS3].accepts(graph, n) else DENSE for n in dense]
    assert ROWS3 in k["conv2d"]
    # depth <= 16 (in_features 1 and 6 here): the shallow kernel (tests/kernels/test_kernels_dsp_fc_shallow.py);
    # deeper ones of one row: the batch-1 kernels (tests/kernels/test_kernels_dsp_fc_batch1.py)
    # (the row-pair ones where their verdict serves: tests/kernels/test_kernels_dsp_fc_rowpair.py)
    fcs = [n for n in graph.nodes if n.op == "fully_connected"]
    assert {n.attrs["kparams"]["in_features"] for n in fcs} == {36, 37, 1, 6}
    pairs = ("tg_fully_connected_batch1_rowpair_s8_dsp", "tg_fully_connected_batch1_rowpair_lean_s8_dsp")
    batch1 = ("tg_fully_connected_batch1_s8_dsp", "tg_fully_connected_batch1_lean_s8_dsp")
    assert all(n.kernel == "tg_fully_connected_shallow_s8_dsp" if n.attrs["kparams"]["in_features"] <= 16 else
               n.kernel in (pairs if KERNELS_BY_NAME[pairs[0]].accepts(graph, n) else batch1) for n in fcs), \
        [n.kernel for n in fcs]
    assert any(n.kernel in pairs for n in fcs)


@pytest.mark.parametrize("board, conv", [("host", "tg_conv2d_s8"), ("esp32-c3", "tg_conv2d_s8_rv32")])
def test_portable_kernels_chosen_without_dsp(board, conv, tmp_path_factory):
    """No DSP kernel without the feature: the portable C on the host, the RV32IM kernels on the ESP32-C3."""
    _, graph, _, _ = compiled("odd", get_board(board).isa_features, tmp_path_factory)
    assert not [n.kernel for n in graph.nodes if n.kernel and n.kernel.endswith("_dsp")]
    assert set(kernels_by_op(graph)["conv2d"]) == {conv}


def _check_on_standin(model: str, board_name: str, tmp_path_factory) -> None:
    from tinygen.hil.target import open_device

    board = get_board(board_name)
    source, graph, inputs, tmp = compiled(model, board.isa_features, tmp_path_factory)
    assert "tg_conv2d_s8_dsp" in {n.kernel for n in graph.nodes}
    fcs = {n.kernel for n in graph.nodes if n.op == "fully_connected"}      # depth <= 16: the shallow kernel
    assert fcs and fcs <= {"tg_fully_connected_s8_dsp", "tg_fully_connected_shallow_s8_dsp",
                           "tg_fully_connected_batch1_s8_dsp", "tg_fully_connected_batch1_lean_s8_dsp",
                           "tg_fully_connected_batch1_rowpair_s8_dsp",
                           "tg_fully_connected_batch1_rowpair_lean_s8_dsp"}, fcs
    project = build(source, graph, board, tmp / "fw").out_dir
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(inputs):
            assert_device_equals_reference(dev, graph, x, f"{board.name} input {i}")


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_pointwise_and_fc_s8_dsp_standin(board, tmp_path_factory):
    _check_on_standin("odd", board, tmp_path_factory)


def test_pointwise_s8_dsp_folds_output_offsets(tmp_path_factory):
    """The "odd" model's specialized pointwise convs fold their output offsets into the
    rounding (TG_REQUANT_FOLDED; bit-exact on the stand-ins in the test above)."""
    from tinygen.codegen.emit import project_data

    _, graph, _, _ = compiled("odd", get_board("f746zg").isa_features, tmp_path_factory)
    layers = [layer for layer in project_data(graph, "m", "0", "test")["layers"]
              if layer.kernel == "tg_conv2d_1x1_s8_dsp"]
    calls = [line for layer in layers for line in layer.body if line.startswith("tg_conv2d_1x1_s8_dsp_inline(")]
    assert len(calls) == ODD_POINTWISE - ODD_SHALLOW
    assert sum(call.split(", ")[1] == "2" for call in calls) >= ODD_POINTWISE - ODD_SHALLOW - 1


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_pointwise_and_fc_even_s8_dsp_standin(board, tmp_path_factory):
    _check_on_standin("even", board, tmp_path_factory)


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_conv2d_s8_dsp_standin(board, tmp_path_factory):
    _check_on_standin("convs", board, tmp_path_factory)


def test_conv2d_s8_dsp_chosen_for_every_general_conv_but_whole_groups(tmp_path_factory):
    """tg_conv2d_s8_dsp on every general conv whose in_c is not a multiple of 4; the last
    (in_c 4) takes tg_conv2d_widen_s8_dsp (tests/kernels/test_kernels_widen_dsp.py)."""
    _, graph, _, _ = compiled("convs", get_board("f746zg").isa_features, tmp_path_factory)
    assert kernels_by_op(graph)["conv2d"] == ["tg_conv2d_s8_dsp"] * 5 + ["tg_conv2d_widen_s8_dsp"]
    sizes = [n.scratch_bytes for n in graph.nodes if n.op == "conv2d"]
    # two int8 receptive fields (rounded up to 8) + two int16 rows (depth rounded up to 4)
    # + 16 bytes per output channel (two rows of int32 sums, or the channel pairs' requantization
    # records, tg_mat_mult_pairs_s8_dsp.h); the widening kernel: one block of 4 channels' int16 weights
    depths = [10 * 4 * 1, 3 * 3 * 5, 3 * 3 * 7, 3 * 5 * 6, 2 * 2 * 9]
    out_c = [5, 7, 6, 9, 4]
    assert sizes == [(2 * d + 7) // 8 * 8 + 4 * ((d + 3) // 4 * 4) + 16 * c for d, c in zip(depths, out_c)] + [8 * 4]


def test_pair_path_cases_are_in_the_standin_models(tmp_path_factory):
    """The models the stand-in tests above run take the channel-pair path of the specialized
    products (firmware/kernels/support/tg_mat_mult_pairs_s8_dsp.h: folded requantization, depth >= 4)
    through each of its cases: depth % 4 of 0 to 3 (the tail group), an odd output channel
    count, an odd row or pixel count (the row twice), the asm loop (full int8 activation),
    a depth over 4 steps (the asm step loop). The C loop (an activation clipped inside int8)
    runs in test_pair_path_clipped_activation_s8_dsp_standin."""
    from tinygen.kernels import specialize

    cases = set()
    for name in ("odd", "convs", "even"):
        _, graph, _, _ = compiled(name, get_board("f746zg").isa_features, tmp_path_factory)
        for node in graph.nodes:
            inline = specialize.INLINE.get(node.kernel or "")
            if inline is None or not inline.folds:
                continue
            kp = node.attrs["kparams"]
            consts = {r: graph.tensor(node.param(r)).data if node.param(r) else None
                      for r in ("bias", "multiplier", "shift")}
            depth = specialize.depth(inline, kp)
            rows = kp["rows"] if "rows" in kp else kp["out_h"] * kp["out_w"]
            cols = kp["out_features"] if "out_features" in kp else kp["out_c"]
            if specialize.requant_mode(inline, kp, **consts) & ~specialize.POS != specialize.FOLDED or depth < 4 \
                    or rows < 2:
                continue
            full = kp["act_min"] == -128 and kp["act_max"] == 127
            cases |= {("tail", depth % 4), ("odd cols", cols % 2 == 1), ("odd rows", rows % 2 == 1),
                      ("asm", full), ("loop", full and depth // 4 > 4)}
    want = {("tail", t) for t in range(4)} | {("odd cols", True), ("odd rows", True), ("asm", True),
                                               ("loop", True)}
    assert want <= cases, sorted(want - cases)


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
@pytest.mark.parametrize("bounds", [(-100, 90), (0, 15), (0, 127)])
def test_pair_path_clipped_activation_s8_dsp_standin(board, bounds, tmp_path_factory):
    """The channel-pair path with the "odd" model's pointwise layers' activation bounds pulled
    inside int8 (the reference clamps to the same kparams): (-100, 90) runs the C loop, a k-bit
    range [0, 2^k - 1] the asm loop with USAT #k; equal to the reference on the stand-in, layer
    by layer."""
    from tinygen.hil.target import open_device

    board = get_board(board)
    source, graph, inputs, tmp = compiled("odd", board.isa_features, tmp_path_factory)
    # the dense kernel's layers (the shallow kernel serves the full int8 range only)
    clipped = [n for n in graph.nodes if n.kernel == "tg_conv2d_1x1_s8_dsp"]
    assert len(clipped) == ODD_POINTWISE - ODD_SHALLOW
    for node in clipped:
        node.attrs["kparams"]["act_min"], node.attrs["kparams"]["act_max"] = bounds
    project = build(source, graph, board, tmp / f"clipped_{bounds[0]}_{bounds[1]}").out_dir
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(inputs):
            assert_device_equals_reference(dev, graph, x, f"{board.name} clipped, input {i}")
