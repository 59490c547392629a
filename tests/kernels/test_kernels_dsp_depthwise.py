"""The ARMv7E-M depthwise, average pool, max pool and add kernels (tg_depthwise_conv2d_s8_dsp,
tg_depthwise_conv2d_3x3_s8_dsp, tg_avg_pool2d_s8_dsp, tg_max_pool2d_s8_dsp, tg_add_s8_dsp) on the
Cortex-M4/M7 stand-ins.

Chosen for every depthwise layer with depth multiplier 1 on boards with the "dsp"
feature (depth multiplier 2: tg_depthwise_conv2d_3x3_dm_s8_dsp; portable without DSP), with
the scratch its widened weights need; firmware built for the F746ZG and F446RE, run on
the QEMU stand-ins, equals the numpy reference byte for byte on every layer of a chain
of depthwise layers with awkward shapes: 3x3 stride 1 and 2, 5x5, dilation 2, padding
same and valid, 3, 4, 6, 7, 64 and 65 channels, odd widths, ReLU6 and ReLU, and the
asymmetric zero points that calibration gives. (A 1-channel depthwise layer is a plain
convolution to the importer; the kernel's channels beyond the last block of 4 are
covered by the 3-, 6-, 7- and 65-channel layers.) Same-shape adds (residual, with ReLU,
an odd element count) run tg_add_s8_dsp, also checked layer by layer, and so do
average pools (tg_avg_pool2d_s8_dsp: int16 lanes flushed to int32 sums, both padding
conventions, global pools of 100 and 400 pixels).
The 3x3 path's loop order (what in-place planning relies on) and its requantization
identity are checked in Python on every small shape and on edge values.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from torch import nn

from e2e import assert_device_equals_reference
from standin_lib import needs_qemu
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.kernels.depthwise_dsp import RECORD_WORDS
from tinygen.kernels.table import KERNELS_BY_NAME, const_bytes
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import quantize_input, run

DSP = "tg_depthwise_conv2d_s8_dsp"
DSP3 = "tg_depthwise_conv2d_3x3_s8_dsp"     # its 3x3 path alone, where the records serve
DM = "tg_depthwise_conv2d_3x3_dm_s8_dsp"     # depth multiplier > 1, where the 3x3 records serve
PORTABLE = "tg_depthwise_conv2d_s8"
KX1 = "tg_depthwise_conv2d_kx1_s8_dsp"     # k x 1 over width 1, 1 x k over height 1
KX1_RAW = "tg_depthwise_conv2d_kx1_raw_s8_dsp"  # its raw paths, where they serve
KX1_IMM = "tg_depthwise_conv2d_kx1_imm_s8_dsp"  # the layer's own loops, where they serve
WIDEN = "tg_depthwise_conv2d_widen_s8_dsp"  # DSP's any-window path alone: int8 weights in flash
SHAPE = (1, 3, 11, 13)      # odd height and width


def _dw(channels, kernel=3, stride=1, padding=1, dilation=1, multiplier=1, bias=True):
    return nn.Conv2d(channels, channels * multiplier, kernel, stride=stride, padding=padding,
                     dilation=dilation, groups=channels, bias=bias)


class Depthwise(nn.Module):
    """Depthwise layers between pointwise convolutions that set the channel counts."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            _dw(3), nn.ReLU6(),                                      # 3 ch, 11x13, same
            nn.Conv2d(3, 12, 1), _dw(12),                           # 12 ch: 3 blocks of 4
            nn.Conv2d(12, 7, 1), _dw(7, stride=2),                  # 7 ch, stride 2 -> 6x7
            nn.Conv2d(7, 4, 1), _dw(4, kernel=5, padding=2, bias=False), nn.ReLU(),    # 5x5
            nn.Conv2d(4, 65, 1), _dw(65, padding=2, dilation=2),   # 65 ch, dilation 2
            nn.Conv2d(65, 64, 1), _dw(64, stride=2, padding=0), nn.ReLU6(),            # valid -> 2x3
            nn.Conv2d(64, 3, 1), _dw(3, multiplier=2),             # depth multiplier 2 (DM)
            _dw(6, kernel=5, stride=2, padding=2))                  # 5x5 stride 2, 6 channels -> 1x2
        self.fc = nn.Linear(6 * 1 * 2, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.body(x), 1))


EXPECTED_KERNELS = [DSP] * 6 + [DM, DSP]     # DSP3 instead of DSP where the 3x3 records serve
DEPTHWISE_CHANNELS = [3, 12, 7, 4, 65, 64, 3, 6]       # in_c of each depthwise layer


class Temporal(nn.Module):
    """Streaming-audio shapes: k x 1 windows over width 1 (k 3, 5 dilated 2, 9, 3 at stride 2,
    4 without padding), 7 channels (a block of 4 and 3 single) then 12."""

    shape = (1, 7, 23, 1)

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            _dw(7, kernel=(3, 1), padding=(1, 0)), nn.ReLU(),
            _dw(7, kernel=(5, 1), padding=(4, 0), dilation=(2, 1)),
            nn.Conv2d(7, 12, 1), _dw(12, kernel=(9, 1), padding=(4, 0)),
            _dw(12, kernel=(3, 1), stride=(2, 1), padding=(1, 0)), nn.ReLU6(),
            _dw(12, kernel=(4, 1), padding=0, bias=False))
        self.fc = nn.Linear(12 * 9, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.body(x), 1))


class Rows(nn.Module):
    """1 x k windows over height 1: k 5, 3 dilated 3, 3 at stride 2; 10 channels."""

    shape = (1, 10, 1, 19)

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            _dw(10, kernel=(1, 5), padding=(0, 2)),
            _dw(10, kernel=(1, 3), padding=(0, 3), dilation=(1, 3)), nn.ReLU(),
            _dw(10, kernel=(1, 3), stride=(1, 2), padding=(0, 1)))
        self.fc = nn.Linear(10 * 10, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.body(x), 1))


class Residual(nn.Module):
    """Same-shape adds of differently scaled operands: 3 x 5 x 7 = 105 elements (not a
    multiple of 4), one followed by ReLU. No operand is a convolution read by the add
    alone (passes/fuse_residual would fuse the add into it): a is read twice, b and c are
    depthwise."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 3, 3, padding=1)
        self.b = nn.Conv2d(3, 3, 1, groups=3)
        self.c = nn.Conv2d(3, 3, 3, padding=1, groups=3)

    def forward(self, x):
        a = self.a(x)
        s = torch.relu(a + self.b(x))
        return self.c(s) + a


def _export(net, name, tmp_path_factory):
    torch.manual_seed(3)
    net = net()
    for p in net.parameters():
        torch.nn.init.uniform_(p, -1.0, 1.0)
    net.eval()
    shape = getattr(net, "shape", SHAPE)
    tmp = tmp_path_factory.mktemp(name)
    torch.export.save(torch.export.export(net, (torch.randn(shape),)), tmp / "m.pt2")
    rng = np.random.default_rng(0)
    np.save(tmp / "calib.npy", rng.standard_normal((32,) + shape[1:]).astype(np.float32))
    return load_source(tmp / "m.pt2"), tmp


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return _export(Depthwise, "depthwise", tmp_path_factory)


@pytest.fixture(scope="module")
def residual(tmp_path_factory):
    return _export(Residual, "residual", tmp_path_factory)


class Pools(nn.Module):
    """Average pools for tg_avg_pool2d_s8_dsp: a 17x17 window (289 pixels, beyond the int16
    lanes: summed in int32), TFLite-style padding (count_include_pad=False) on 7 channels
    (a block of 4 and 3 after it), PyTorch's count_include_pad with stride 2 on 65 channels
    (4 blocks of 16 and 1 after them)."""

    shape = (1, 3, 20, 20)

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 12, 1), nn.AvgPool2d(17, stride=1),                                  # -> 4x4x12
            nn.Conv2d(12, 7, 1), nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
            nn.Conv2d(7, 65, 1), nn.AvgPool2d(3, stride=2, padding=1))                        # -> 2x2x65
        self.fc = nn.Linear(65 * 2 * 2, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.body(x), 1))


class GlobalPools(nn.Module):
    """Global average pools (x.mean over H, W: the gated layers' predictors) for
    tg_avg_pool2d_s8_dsp: 20x20 pixels (400, one run: the int16 lanes flushed to int32 sums
    mid-run) on 31 channels (a block of 16, three of 4 and 3 after them), 10x10 on 16, and 17x17
    (289: flushed after 256, then an odd 33) on 32 (two blocks of 16, word-aligned: the
    LDRD runs, an odd pixel first); 8x8 on 32 and 16x16 on 16 (powers of two on multiples of
    16 channels: tg_avg_pool2d_global_pow2_s8_dsp, the division a shift; 256 pixels fill the
    int16 lanes)."""

    shape = (1, 3, 20, 20)

    def __init__(self):
        super().__init__()
        self.wide = nn.Conv2d(3, 31, 1)
        self.narrow = nn.Conv2d(31, 16, 1, stride=2)
        self.odd = nn.Conv2d(31, 32, 4)
        self.pow8 = nn.Conv2d(31, 32, 5, stride=2)
        self.pow16 = nn.Conv2d(31, 16, 5)
        self.fc = nn.Linear(31 + 16 + 32 + 32 + 16, 3)

    def forward(self, x):
        y = self.wide(x)
        return self.fc(torch.cat([y.mean(dim=(2, 3)), self.narrow(y).mean(dim=(2, 3)), self.odd(y).mean(dim=(2, 3)),
                                  self.pow8(y).mean(dim=(2, 3)), self.pow16(y).mean(dim=(2, 3))], 1))


class MaxPools(nn.Module):
    """Max pools for tg_max_pool2d_s8_dsp: 2x2 stride 2 on 8 channels, 3x3 stride 2 padding 1
    on 7 channels (a block of 4 and 3 after it; padding never wins), 3x3 stride 1 padding 1
    on 65 channels after a ReLU6 (the clamp), a 4x3 window on an odd width."""

    shape = (1, 3, 21, 19)

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 8, 1), nn.MaxPool2d(2, stride=2),                               # -> 10x9x8
            nn.Conv2d(8, 7, 1), nn.MaxPool2d(3, stride=2, padding=1),                    # -> 5x5x7
            nn.Conv2d(7, 65, 1), nn.ReLU6(), nn.MaxPool2d(3, stride=1, padding=1),       # -> 5x5x65
            nn.MaxPool2d((4, 3), stride=1))                                                # -> 2x3x65
        self.fc = nn.Linear(65 * 2 * 3, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.body(x), 1))


@pytest.fixture(scope="module")
def pools(tmp_path_factory):
    return _export(Pools, "pools", tmp_path_factory)


def _compile(model, board_name: str):
    source, tmp = model
    graph = compile_source(source, str(tmp / "calib.npy"),
                           CompileOptions(features=frozenset(get_board(board_name).isa_features)))
    return graph


def _depthwise(graph):
    return [n for n in graph.nodes if n.op == "depthwise_conv2d"]


def _takes_3x3_path(k: dict) -> bool:
    """The shapes of the kernel's 3x3 path: 3x3 window, dilation 1, stride_w 1 or 2, at most
    2 padded rows on top and columns on the left, an output no larger than the input."""
    return (k["kernel_h"], k["kernel_w"], k["dilation_h"], k["dilation_w"]) == (3, 3, 1, 1) \
        and k["stride_w"] <= 2 and k["pad_top"] <= 2 and k["pad_left"] <= 2 \
        and k["out_h"] <= k["in_h"] and k["out_w"] <= k["in_w"]


def _scratch(k: dict, only_3x3: bool = False) -> int:
    """The larger of the two paths' scratch: any window, per whole block of 4 channels (none
    below 4 channels) 8 bytes of widened weights per tap, then 4 biases, multipliers and
    shifts; the 3x3 path, 3 rows of widened column pairs (4 bytes per pair and channel)
    reaching the padded row's end and the last window's 4th column (only that for DSP3)."""
    general = 0 if only_3x3 else k["in_c"] // 4 * (8 * k["kernel_h"] * k["kernel_w"] + 48)
    if not _takes_3x3_path(k):
        return general
    columns = max(k["pad_left"] + k["in_w"], (k["out_w"] - 1) * k["stride_w"] + 4)
    return max(general, 3 * 4 * k["out_c"] * ((columns + 1) // 2))


@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_dsp_depthwise_chosen_for_depth_multiplier_1(model, board):
    graph = _compile(model, board)
    nodes = _depthwise(graph)
    # the 3x3 path's records are packed at build time: a header word (the channel count
    # where the path serves the layer: its shape, and right shifts only), then 8 words per
    # channel; the layers they serve take DSP3 (the records are all its constants), the
    # others DSP. The chain has both: a 3x3 layer with a left shift takes the other path.
    dsp = [n for n in nodes if n.kernel in (DSP, DSP3, DM)]
    right_shifts = [bool((graph.tensor(n.param("shift")).data < 0).all()) for n in dsp]
    takes = [_takes_3x3_path(n.attrs["kparams"]) and right for n, right in zip(dsp, right_shifts)]
    multiplied = [n.attrs["kparams"]["depth_multiplier"] > 1 for n in dsp]
    assert [n.kernel for n in dsp] == [DM if m else DSP3 if t else DSP for t, m in zip(takes, multiplied)]
    assert [n.kernel if n.kernel in (PORTABLE, DM) else DSP for n in nodes] == EXPECTED_KERNELS
    assert [n.attrs["kparams"]["in_c"] for n in nodes] == DEPTHWISE_CHANNELS
    assert [n.scratch_bytes for n in nodes] == [
        0 if n.kernel == PORTABLE else _scratch(n.attrs["kparams"], n.kernel in (DSP3, DM)) for n in nodes]
    packed = [graph.tensor(n.param("packed")).data for n in dsp]
    assert [int(w[0]) for w in packed] == [n.attrs["kparams"]["out_c"] if t else 0 for n, t in zip(dsp, takes)]
    assert [w.size for w in packed] == [1 + RECORD_WORDS * int(w[0]) for w in packed]
    assert sum(takes) >= 3 and not all(right_shifts)
    # DSP3 takes only its records: the layer's weights, bias and requantization stay out of flash
    assert KERNELS_BY_NAME[DSP3].const_roles == ("packed",)
    assert KERNELS_BY_NAME[DSP].ref_name == KERNELS_BY_NAME[DSP3].ref_name == "depthwise_conv2d_s8"
    # DM likewise: its records, one per output channel, are its flash (what the fit pass counts)
    dm = next(n for n in dsp if n.kernel == DM)
    assert const_bytes(KERNELS_BY_NAME[DM], graph, dm) == 4 + 4 * RECORD_WORDS * dm.attrs["kparams"]["out_c"]


def test_portable_depthwise_without_dsp(model):
    assert {n.kernel for n in _depthwise(_compile(model, "host"))} == {PORTABLE}


def test_dsp_add_chosen_for_same_shape_adds(residual):
    adds = [n for n in _compile(residual, "f746zg").nodes if n.op == "add"]
    assert [n.kernel for n in adds] == ["tg_add_s8_dsp"] * 2
    assert {n.kernel for n in _compile(residual, "host").nodes if n.op == "add"} == {"tg_add_s8"}


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_depthwise_s8_dsp_standin(model, board, tmp_path):
    graph = _compile(model, board)
    zero_points = {int(graph.tensor(n.inputs[0]).qparams.zero_point[0]) for n in _depthwise(graph)}
    assert len(zero_points - {-128, 0}) >= 2, f"want asymmetric input zero points, got {zero_points}"
    _check_every_layer(model, graph, board, tmp_path)


@needs_qemu
@pytest.mark.parametrize("net", [Temporal, Rows])
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_depthwise_s8_dsp_temporal_and_row_standin(net, board, tmp_path_factory, tmp_path):
    """k x 1 and 1 x k windows, dilated, strided: tg_depthwise_conv2d_kx1_s8_dsp where its
    records pack (tests/kernels/test_kernels_dsp_depthwise_kx1.py), the any-window path of DSP
    (the one-column path and clipped rows) where they do not."""
    model = _export(net, net.__name__.lower(), tmp_path_factory)
    graph = _compile(model, board)
    kernels = [n.kernel for n in _depthwise(graph)]
    assert set(kernels) <= {KX1, KX1_RAW, KX1_IMM, DSP} and KX1 in kernels, kernels
    _check_every_layer(model, graph, board, tmp_path)
    # and the any-window path on the same layers (compiled again with a per-node choice)
    source, tmp = model
    graph = compile_source(source, str(tmp / "calib.npy"), CompileOptions(
        features=frozenset(get_board(board).isa_features), kernel_choice={n.name: DSP for n in _depthwise(graph)}))
    assert {n.kernel for n in _depthwise(graph)} == {DSP}
    _check_every_layer(model, graph, board, tmp_path / "dsp")


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_depthwise_widen_s8_dsp_standin(model, board, tmp_path):
    """tg_depthwise_conv2d_widen_s8_dsp (the any-window path, weights int8 in flash) on every
    depth-multiplier-1 layer, the 3x3 ones the records would serve included: equal to the
    reference layer by layer; its flash is the weights, bias, multiplier and int8 shift (18 bytes
    a channel plus the weights beyond 9 taps), below the 3x3 path's 32-byte records; its scratch the
    any-window path's."""
    source, tmp = model
    plain = _compile(model, board)
    pick = {n.name: WIDEN for n in _depthwise(plain) if n.attrs["kparams"]["depth_multiplier"] == 1}
    graph = compile_source(source, str(tmp / "calib.npy"), CompileOptions(
        features=frozenset(get_board(board).isa_features), kernel_choice=pick, lower_peak=False))
    nodes = [n for n in _depthwise(graph) if n.name in pick]
    assert {n.kernel for n in nodes} == {WIDEN} and len(nodes) == len(EXPECTED_KERNELS) - 1
    for n in nodes:
        k = n.attrs["kparams"]
        taps, c = k["kernel_h"] * k["kernel_w"], k["out_c"]
        assert const_bytes(KERNELS_BY_NAME[WIDEN], graph, n) == taps * c + (4 if n.param("bias") else 0) * c + 5 * c
        assert n.scratch_bytes == k["in_c"] // 4 * (8 * taps + 48)
    was = {n.name: n.kernel for n in _depthwise(plain)}
    assert any(was[n.name] == DSP3 for n in nodes)      # 3x3 layers the records serve, now widened
    _check_every_layer(model, graph, board, tmp_path)


@needs_qemu
def test_depthwise_s8_dsp_activation_clamp_standin(model, tmp_path):
    """A fused activation narrower than the output's int8 range (as a TFLite model whose
    ReLU6 output is quantized over more than [0, 6] has): every depthwise layer clamped to
    [-100, 90], both paths, equal to the reference."""
    graph = _compile(model, "f746zg")
    for node in _depthwise(graph):
        node.attrs["act_min"] = node.attrs["kparams"]["act_min"] = -100
        node.attrs["act_max"] = node.attrs["kparams"]["act_max"] = 90
    source, _ = model
    x = quantize_input(graph, source.to_graph_layout(
        np.random.default_rng(7).standard_normal(SHAPE).astype(np.float32) * 1.5))
    want = run(graph, x, keep_all=True)
    clamped = [n.name for n in _depthwise(graph) if n.kernel in (DSP, DSP3)
               and {-100, 90} <= set(np.unique(want[n.outputs[0]]).tolist())]
    assert len(clamped) >= 3, f"the clamp should bind on both sides in several layers: {clamped}"
    _check_every_layer(model, graph, "f746zg", tmp_path)


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_avg_pool2d_s8_dsp_standin(pools, board, tmp_path):
    graph = _compile(pools, board)
    pool_nodes = [n for n in graph.nodes if n.op == "avg_pool2d"]
    assert [n.kernel for n in pool_nodes] == ["tg_avg_pool2d_s8_dsp"] * 3
    assert [n.attrs["kparams"]["count_include_pad"] for n in pool_nodes] == [1, 0, 1]
    assert {n.kernel for n in _compile(pools, "host").nodes if n.op == "avg_pool2d"} == {"tg_avg_pool2d_s8"}
    _check_every_layer(pools, graph, board, tmp_path)


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_global_avg_pool2d_s8_dsp_standin(board, tmp_path_factory, tmp_path):
    model = _export(GlobalPools, "globalpools", tmp_path_factory)
    graph = _compile(model, board)
    pool_nodes = [n for n in graph.nodes if n.op == "avg_pool2d"]
    by_pixels = {n.attrs["kparams"]["kernel_h"] * n.attrs["kparams"]["kernel_w"]: n.kernel for n in pool_nodes}
    # the powers of two (on 32 and 16 channels) take the shift kernel; 100, 289 and 400 pixels do not
    pow2, avg = "tg_avg_pool2d_global_pow2_s8_dsp", "tg_avg_pool2d_s8_dsp"
    assert by_pixels == {64: pow2, 256: pow2, 100: avg, 289: avg, 400: avg}, by_pixels
    _check_every_layer(model, graph, board, tmp_path)


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_max_pool2d_s8_dsp_standin(board, tmp_path_factory, tmp_path):
    model = _export(MaxPools, "maxpools", tmp_path_factory)
    graph = _compile(model, board)
    assert [n.kernel for n in graph.nodes if n.op == "max_pool2d"] == ["tg_max_pool2d_s8_dsp"] * 4
    assert {n.kernel for n in _compile(model, "host").nodes if n.op == "max_pool2d"} == {"tg_max_pool2d_s8"}
    _check_every_layer(model, graph, board, tmp_path)


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_add_s8_dsp_standin(residual, board, tmp_path):
    graph = _compile(residual, board)
    assert "tg_add_s8_dsp" in {n.kernel for n in graph.nodes}
    _check_every_layer(residual, graph, board, tmp_path)


def _check_every_layer(model, graph, board: str, tmp_path) -> None:
    from tinygen.hil.target import open_device

    source, _ = model
    project = build(source, graph, get_board(board), tmp_path / "fw").out_dir
    rng = np.random.default_rng(7)
    with open_device(get_board(board), project, emulate=True) as dev:
        for i in range(3):
            x = quantize_input(graph, source.to_graph_layout(
                rng.standard_normal(source.input_shape).astype(np.float32) * 1.5))
            assert_device_equals_reference(dev, graph, x, f"{board} input {i}")


def _dw3_row_order_violations(k: dict) -> list[int]:
    """Output rows of the 3x3 path (tg_dw3_run) whose writes could destroy an input byte a
    later row still reads, with the output at the input's own address (the closest
    placement; any placement further below only moves the destroyed bytes down). Per
    output row, every input row its windows need is read (copied to the ring) before any of
    the row's outputs is written."""
    c, top = k["in_c"], [y * k["stride_h"] - k["pad_top"] for y in range(k["out_h"])]
    bad = []
    for y in range(k["out_h"]):
        later = [max(top[y] + 3, top[z]) for z in range(y + 1, k["out_h"])]
        later = [r for r in later if r < k["in_h"]]
        last_write = (y + 1) * k["out_w"] * c - 1
        if later and last_write >= max(min(later), 0) * k["in_w"] * c:
            bad.append(y)
    return bad


def test_dw3_path_writes_only_input_rows_already_read():
    """The loop order in tg_depthwise_conv2d_s8_dsp.c's header: on every shape the 3x3 path
    takes, the output may overlap its input at any distance the in-place planner picks."""
    shapes = 0
    for in_h, in_w, c, stride_h, stride_w, pad_top, pad_left, pad_bottom, pad_right in itertools.product(
            range(1, 8), range(1, 8), (1, 3, 4), (1, 2, 3), (1, 2), (0, 1, 2), (0, 1, 2), (0, 1, 2), (0, 1, 2)):
        out_h = (in_h + pad_top + pad_bottom - 3) // stride_h + 1
        out_w = (in_w + pad_left + pad_right - 3) // stride_w + 1
        if not (1 <= out_h <= in_h and 1 <= out_w <= in_w):
            continue        # not the 3x3 path's shapes
        k = dict(in_h=in_h, in_w=in_w, in_c=c, out_h=out_h, out_w=out_w, stride_h=stride_h, pad_top=pad_top)
        assert _dw3_row_order_violations(k) == [], k
        shapes += 1
    assert shapes > 1000
    # without the shape rule (here an output row wider than the input's) the order is not safe
    assert _dw3_row_order_violations(dict(in_h=3, in_w=1, in_c=1, out_h=3, out_w=3, stride_h=1, pad_top=1))


def test_dw3_requantization_equals_tflite():
    """The 3x3 path's requantization (TG_DW3_REQUANT in the kernel, constants from
    depthwise_dsp_records): SSAT8(((SMMLAR(2 acc, m, R) + (2 acc >> 31)) >> (n - 1)) >> 1)
    with R = (1 + 2 * output_offset) << (n - 1) (LSL by word 5, whose bottom byte is n - 1)
    equals TFLite's MultiplyByQuantizedMultiplier + output_offset saturated to int8, wherever
    the records' bound admits the channel; only the last channel's record has LAST."""
    from tinygen.kernels.depthwise_dsp import LAST, RECORD_WORDS, depthwise_dsp_records
    from tinygen.quant.fixedpoint import multiply_by_quantized_multiplier

    rng = np.random.default_rng(5)
    p = dict(kernel_h=3, kernel_w=3, dilation_h=1, dilation_w=1, stride_h=1, stride_w=1, pad_top=1,
             pad_left=1, in_h=4, in_w=4, out_h=4, out_w=4, depth_multiplier=1)
    checked = 0
    for n in range(1, 32):
        for offset in (-128, -1, 0, 5, 127):
            c = 64
            multiplier = rng.integers(0, 1 << 31, size=c)
            multiplier[:4] = [0, 1, (1 << 30), (1 << 31) - 1]
            bias = rng.integers(-(1 << 29), 1 << 29, size=c) >> rng.integers(0, 30, size=c)
            bias[:2] = [(1 << 30) - 9 * 255 * 128 - 1, -(1 << 30) + 9 * 255 * 128 + 1]    # the largest
            consts = dict(weight=np.zeros((1, 3, 3, c), np.int8), bias=bias, multiplier=multiplier,
                          shift=np.full(c, -n))
            words = depthwise_dsp_records(dict(p, in_c=c, out_c=c, output_offset=offset), consts)
            if words[0] == 0:
                assert n >= 22      # the bound: |x| + |R| + 1 < 2^31
                continue
            rec = words[1:].reshape(c, RECORD_WORDS).astype(np.int64)
            n1 = rec[:, 5] & 0xFF          # shifts by register read the bottom byte of word 5
            assert (n1 == n - 1).all()
            assert ((rec[:, 5] & LAST) != 0).tolist() == [False] * (c - 1) + [True]
            r = (1 + 2 * offset) << n1          # LSL of k by word 5
            bound = np.abs(bias) + 9 * 255 * 128      # the sums the records admit
            acc = rng.integers(-bound, bound + 1)
            acc[:8] = [bound[0], -bound[1], 0, -1, 1, bound[5], -bound[6], -bound[7] // 2]
            acc2 = 2 * acc
            x = (acc2 * rec[:, 6] + (r << 32) + (1 << 31)) >> 32        # SMMLAR
            assert (np.abs(acc2) < 1 << 31).all() and (np.abs(x + (acc2 >> 31)) < 1 << 31).all()    # int32
            got = np.clip(((x + (acc2 >> 31)) >> n1) >> 1, -128, 127)     # ASR, SSAT with ASR #1
            want = np.clip(multiply_by_quantized_multiplier(acc, multiplier, np.full(c, -n)) + offset,
                           -128, 127)
            np.testing.assert_array_equal(got, want, err_msg=f"n={n} offset={offset}")
            checked += 1
    assert checked > 100
