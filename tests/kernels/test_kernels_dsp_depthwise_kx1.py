"""tg_depthwise_conv2d_kx1_s8_dsp and tg_depthwise_conv2d_kx1_raw_s8_dsp: depthwise along one
axis (temporal k x 1 over width 1, 1 x k over height 1) on the Cortex-M7 and M4 stand-ins, and
their build-time records (the same for both).

On the host: a numpy model of the kernel's arithmetic (the sequence split into dilation
phases, the records' W / W' pairs read from the even word at or before each output's first
tap, the small requantization) equals the reference depthwise convolution over drawn
geometries and constants, so the records and the formulas are checked without an emulator.
On the stand-ins (slow): chains of drawn k x 1 / 1 x k layers (kernel 1..11, stride 1..3,
dilation 1..4, any padding, 2..13 channels: tails of 1..3 after the blocks of 4, ReLU /
ReLU6 clamps) built for the F746ZG and F446RE equal the reference on every layer; chains
of the raw kernel's layers equal it with the raw kernel and with the widened one. Compiled
without lower_peak, which may take the widened kernel for a raw layer at the arena's peak
(tests/passes/test_lower_peak_kx1.py): each layer gets its preferred kernel.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from e2e import assert_device_equals_reference
from standin_lib import needs_qemu
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.kernels.depthwise_kx1_dsp import (HEAD, kx1_geometry, kx1_phase_words, kx1_raw_scratch, kx1_records,
                                               kx1_scratch, raw_path, raw_rows)
from tinygen.kernels.depthwise_kx1_imm import imm_scratch, imm_serves
from tinygen.kernels.table import KERNELS_BY_NAME, const_bytes
from tinygen.passes import CompileOptions
from tinygen.ref import kernels as ref
from tinygen.ref.interpreter import quantize_input

KX1 = "tg_depthwise_conv2d_kx1_s8_dsp"
KX1_RAW = "tg_depthwise_conv2d_kx1_raw_s8_dsp"
KX1_IMM = "tg_depthwise_conv2d_kx1_imm_s8_dsp"
DSP = "tg_depthwise_conv2d_s8_dsp"


@st.composite
def sequence_layer(draw, channels=None):
    """Kernel parameters of a one-axis depthwise layer (either orientation) with >= 1 output."""
    k = draw(st.integers(1, 11))
    s, d = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    pad = draw(st.integers(0, (k - 1) * d))
    length = draw(st.integers(max(1, (k - 1) * d + 1 - 2 * pad), 40))
    out = (length + 2 * pad - (k - 1) * d - 1) // s + 1
    c = channels or draw(st.integers(1, 13))
    axis = dict(in_h=length, kernel_h=k, stride_h=s, dilation_h=d, pad_top=pad, out_h=out,
                in_w=1, kernel_w=1, stride_w=1, dilation_w=1, pad_left=0, out_w=1)
    if draw(st.booleans()):     # 1 x k over height 1: the same sequence along W
        axis = dict(in_w=length, kernel_w=k, stride_w=s, dilation_w=d, pad_left=pad, out_w=out,
                    in_h=1, kernel_h=1, stride_h=1, dilation_h=1, pad_top=0, out_h=1)
    lo = draw(st.integers(-128, 0))
    act = draw(st.sampled_from([(-128, 127), (lo, draw(st.integers(lo, 127)))]))
    return dict(axis, in_c=c, out_c=c, depth_multiplier=1, input_offset=draw(st.integers(-127, 128)),
                output_offset=draw(st.integers(-128, 127)), act_min=act[0], act_max=act[1])


def _kernel_model(p: dict, x: np.ndarray, words: np.ndarray) -> np.ndarray:
    """What tg_depthwise_conv2d_kx1_s8_dsp computes from the packed records: per channel the
    padded sequence (input + offset, 0 outside) split into dilation phases, each output the
    SMLADs of its phase's int16 pairs from the even position at or before its first tap with
    W (even) or W' (odd), then SMMLAR with the folded rounding term, ASR by n and SSAT."""
    g = kx1_geometry(p)
    c, k, s, d = p["in_c"], g["kernel"], g["stride"], g["dilation"]
    pairs = k // 2 + 1
    rec = words[1:].astype(np.int64).reshape(c, HEAD + 2 * pairs + 1)
    halves = lambda w: np.stack([(w & 0xFFFF) - ((w & 0x8000) << 1), w >> 16], axis=-1).reshape(c, -1)
    weights = [halves(rec[:, HEAD:-1:2]), halves(rec[:, HEAD + 1:-1:2])]    # W, W' as int16 [C, 2 * pairs]
    words_per_phase = kx1_phase_words(g)
    padded = np.zeros((d * 2 * words_per_phase, c), np.int64)
    seq = x.reshape(g["len"], c).astype(np.int64) + p["input_offset"]
    padded[g["pad"]:g["pad"] + g["len"]] = seq[:max(0, len(padded) - g["pad"])]
    phases = [padded[r::d][:2 * words_per_phase] for r in range(d)]
    # the raw paths' sums: the raw input, padded with the zero point, from the folded bias (every layer's)
    raw = np.full((s * g["out"] + k * d + g["pad"] + g["len"], c), -p["input_offset"], np.int64)
    raw[g["pad"]:g["pad"] + g["len"]] = x.reshape(g["len"], c)
    out = np.zeros((g["out"], c), np.int64)
    for t in range(g["out"]):
        pos = t * s // d
        first = pos & ~1
        taps = phases[t * s % d][first:first + 2 * pairs]
        acc2 = rec[:, 0] + np.einsum("ic,ci->c", taps, weights[pos & 1])
        folded = rec[:, -1] + np.einsum("ic,ci->c", raw[t * s:t * s + k * d:d], weights[0][:, :k])
        assert (acc2 == folded).all()
        xr = (acc2 * rec[:, 1] + (rec[:, 3] << 32) + (1 << 31)) >> 32        # SMMLAR
        assert (np.abs(acc2) < 1 << 31).all() and (np.abs(xr + (acc2 >> 63)) < 1 << 31).all()    # int32
        out[t] = np.clip((xr + (acc2 >> 63)) >> rec[:, 2], -128, 127)
    return np.clip(out, p["act_min"], p["act_max"]).astype(np.int8)


@settings(derandomize=True, max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=sequence_layer(), seed=st.integers(0, 2**32 - 1))
def test_depthwise_kx1_s8_records_model_equals_reference(p, seed):
    rng = np.random.default_rng(seed)
    g = kx1_geometry(p)
    c = p["in_c"]
    x = rng.integers(-128, 128, size=g["len"] * c).astype(np.int8)
    w = rng.integers(-128, 128, size=(1, p["kernel_h"], p["kernel_w"], c)).astype(np.int8)
    w[..., 0] = rng.choice([-128, 127], size=w[..., 0].shape)         # extreme weights
    bias = rng.integers(-(1 << 20), 1 << 20, size=c)
    multiplier = rng.integers(1 << 30, 1 << 31, size=c)
    shift = -rng.integers(1, 14, size=c)
    consts = dict(weight=w, bias=bias, multiplier=multiplier, shift=shift)
    words = kx1_records(p, consts)
    assert int(words[0]) == c and words.size == 1 + c * (HEAD + 2 * (g["kernel"] // 2 + 1) + 1)
    want = ref.depthwise_conv2d_s8(p, x, w, bias, multiplier, shift).reshape(g["out"], c)
    got = _kernel_model(p, x, words)
    diff = np.argwhere(got != want)
    assert diff.size == 0, f"first differences (output, channel): {diff[:5].tolist()}"


def test_depthwise_kx1_s8_refuses_what_it_cannot_serve():
    p = dict(in_h=9, in_w=1, in_c=4, out_h=9, out_w=1, out_c=4, kernel_h=3, kernel_w=1, stride_h=1, stride_w=1,
             dilation_h=1, dilation_w=1, pad_top=1, pad_left=0, depth_multiplier=1, input_offset=0,
             output_offset=0, act_min=-128, act_max=127)
    consts = dict(weight=np.ones((1, 3, 1, 4), np.int8), bias=np.zeros(4, np.int64),
                  multiplier=np.full(4, 1 << 30), shift=np.full(4, -3))
    assert int(kx1_records(p, consts)[0]) == 4
    assert int(kx1_records(p, dict(consts, shift=np.array([-3, -3, 1, -3])))[0]) == 0    # a left shift
    assert int(kx1_records(p, dict(consts, bias=np.full(4, 1 << 30)))[0]) == 0           # accumulator bound
    assert kx1_geometry(dict(p, in_w=2, out_w=2)) is None                                # two columns
    assert kx1_geometry(dict(p, pad_left=1, out_w=3)) is None                            # padded columns
    assert kx1_geometry(dict(p, depth_multiplier=2)) is None
    # the widened kernel's scratch, every layer: 4 channels x dilation phases x phase words x 4 bytes
    relu6 = dict(p, act_max=100)
    widened = 4 * 1 * ((8 + 2 + 1 + 3) // 2) * 4      # 11 padded positions
    assert kx1_scratch(relu6) == kx1_scratch(p) == widened and kx1_raw_scratch(relu6) == 0     # no raw path
    assert kx1_scratch(dict(relu6, dilation_h=3, pad_top=3)) == 4 * 3 * ((-(-(8 * 1 + 2 * 3 + 1) // 3) + 3) // 2) * 4
    # the raw kernel's: the stride-1 path of 2 and 3 taps without an upper clamp, the input copied
    # with its padding rows (+ up to 3 bytes to align them), rounded up to 16 bytes
    assert raw_path(p, kx1_geometry(p)) == 1 and kx1_raw_scratch(p) == (max(9 + 3, 1 + 9) * 4 + 18) // 16 * 16
    assert raw_rows(kx1_geometry(dict(p, dilation_h=3, pad_top=3, out_h=5))) == max(5 + 9, 3 + 9)
    assert kx1_raw_scratch(dict(p, stride_h=2, out_h=5)) == 0
    assert kx1_scratch(dict(p, stride_h=2, out_h=5)) == 4 * 1 * ((8 + 2 + 1 + 3) // 2) * 4
    # stride 2 with 5 taps and no clamp: the copy reaches X_{t+2} of the last output
    k5 = dict(p, kernel_h=5, pad_top=4, dilation_h=2, out_h=9)
    assert raw_path(k5, kx1_geometry(k5)) == 3 and kx1_raw_scratch(k5) == (max(9 + 5 * 2, 4 + 9) * 4 + 18) // 16 * 16
    s2 = dict(p, kernel_h=5, stride_h=2, pad_top=2, out_h=5)
    assert raw_path(s2, kx1_geometry(s2)) == 2 and raw_path(dict(s2, act_min=-100), kx1_geometry(s2)) == 0
    assert kx1_raw_scratch(s2) == (max(2 * 5 + 4, 2 + 9) * 4 + 18) // 16 * 16
    assert kx1_raw_scratch(dict(s2, act_min=-100)) == 0
    # a temporal k3 layer of 49 steps x 128 channels: the copy against one widened block
    t = dict(p, in_h=49, out_h=49, in_c=128, out_c=128)
    assert (kx1_raw_scratch(t), kx1_scratch(t)) == (52 * 128 + 16, 4 * ((51 + 3) // 2) * 4)


class _Chain(nn.Module):
    def __init__(self, layers, channels, temporal):
        super().__init__()
        mods = []
        for k, s, d, pad, act in layers:
            kernel, stride, dil, padding = ((k, 1), (s, 1), (d, 1), (pad, 0)) if temporal else \
                ((1, k), (1, s), (1, d), (0, pad))
            mods.append(nn.Conv2d(channels, channels, kernel, stride=stride, dilation=dil, padding=padding,
                                  groups=channels))
            mods += {"relu": [nn.ReLU()], "relu6": [nn.ReLU6()], "none": []}[act]
        self.body = nn.Sequential(*mods)

    def forward(self, x):
        return self.body(x)


@st.composite
def chain(draw):
    """A few one-axis depthwise layers, each leaving at least one output."""
    length = start = draw(st.integers(6, 40))
    layers = []
    for _ in range(draw(st.integers(2, 4))):
        k, s, d = draw(st.integers(1, 16)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
        pad = draw(st.integers(0, (k - 1) * d))
        out = (length + 2 * pad - (k - 1) * d - 1) // s + 1
        if out < 1:
            continue
        layers.append((k, s, d, pad, draw(st.sampled_from(["none", "relu", "relu6"]))))
        length = out
    channels = draw(st.sampled_from([2, 3, 5, 8, 13]))
    return layers or [(3, 1, 1, 1, "none")], channels, draw(st.booleans()), start


def _export(layers, channels, temporal, length, tmp):
    torch.manual_seed(len(layers) * 31 + channels)
    net = _Chain(layers, channels, temporal)
    for prm in net.parameters():
        torch.nn.init.uniform_(prm, -1.0, 1.0)
    net.eval()
    shape = (1, channels, length, 1) if temporal else (1, channels, 1, length)
    torch.export.save(torch.export.export(net, (torch.randn(shape),)), tmp / "m.pt2")
    np.save(tmp / "calib.npy", np.random.default_rng(0).standard_normal((16,) + shape[1:]).astype(np.float32))
    return load_source(tmp / "m.pt2")


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_depthwise_kx1_s8_dsp_standin(board, tmp_path_factory):
    from tinygen.hil.target import open_device

    @settings(derandomize=True, max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
    @given(drawn=chain())
    def check(drawn):
        layers, channels, temporal, start = drawn
        length = max(start, _length(layers))
        tmp = tmp_path_factory.mktemp("kx1")
        source = _export(layers, channels, temporal, length, tmp)
        graph = compile_source(source, str(tmp / "calib.npy"),
                               CompileOptions(features=frozenset(get_board(board).isa_features), lower_peak=False))
        nodes = [n for n in graph.nodes if n.op == "depthwise_conv2d"]
        assert len(nodes) == len(layers)
        served = [n for n in nodes if n.kernel in (KX1, KX1_RAW, KX1_IMM)]
        assert {n.kernel for n in nodes} <= {KX1, KX1_RAW, KX1_IMM, DSP} and served, [n.kernel for n in nodes]
        for n in served:      # its records are all its constants, counted as its flash
            k = n.attrs["kparams"]
            taps = k["kernel_h"] * k["kernel_w"]
            raw = raw_path(k, kx1_geometry(k)) != 0
            if imm_serves(k, {role: graph.const(n, role) for role in ("weight", "bias", "multiplier", "shift")}):
                assert n.kernel == KX1_IMM and n.scratch_bytes == imm_scratch(k)     # preferred where it serves
                continue
            assert n.kernel == (KX1_RAW if raw else KX1)      # then the raw kernel where it serves
            assert const_bytes(KERNELS_BY_NAME[n.kernel], graph, n) == \
                4 * (1 + channels * (HEAD + 2 * (taps // 2 + 1) + 1))
            assert n.scratch_bytes == (kx1_raw_scratch(k) if raw else kx1_scratch(k))
        project = build(source, graph, get_board(board), tmp / "fw").out_dir
        rng = np.random.default_rng(7)
        with open_device(get_board(board), project, emulate=True) as dev:
            for i in range(2):
                x = quantize_input(graph, source.to_graph_layout(
                    rng.standard_normal(source.input_shape).astype(np.float32) * 1.5))
                assert_device_equals_reference(dev, graph, x, f"{board} {layers} c={channels} input {i}")

    check()


# The long kernels' unrolled paths (6 to 8 tap pairs: 10 to 15 taps at stride 1), stride 2 with
# as many taps and a kernel of 16 taps (one output at a time): the streaming wake word network's
# temporal layers (10 taps over 24 frames, 15 taps over 15 frames: one output), odd and even
# counts of outputs, a clamp (relu) and none, as one chain per case.
LONG_CHAINS = {
    "sww": ([(10, 1, 1, 0, "relu"), (15, 1, 1, 0, "none")], 13, True, 24),
    "pairs7": ([(12, 1, 1, 2, "relu6"), (13, 2, 1, 6, "none"), (13, 1, 2, 12, "relu")], 8, False, 31),
    "pairs8": ([(14, 1, 1, 0, "none"), (15, 2, 1, 7, "relu"), (16, 1, 1, 8, "none")], 5, True, 40),
}


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("case", list(LONG_CHAINS))
def test_depthwise_kx1_s8_dsp_long_kernels_standin(case, tmp_path):
    layers, channels, temporal, length = LONG_CHAINS[case]
    board = get_board("f746zg")
    source = _export(layers, channels, temporal, length, tmp_path)
    graph = compile_source(source, str(tmp_path / "calib.npy"),
                           CompileOptions(features=frozenset(board.isa_features), lower_peak=False))
    nodes = [n for n in graph.nodes if n.op == "depthwise_conv2d"]
    assert [n.kernel for n in nodes] == [KX1] * len(layers)
    project = build(source, graph, board, tmp_path / "fw").out_dir
    device_equals_reference(source, graph, board, project, 11, case)


def device_equals_reference(source, graph, board, project, seed: int, what: str) -> None:
    """The firmware in `project` equals the reference on two drawn inputs."""
    from tinygen.hil.target import open_device

    rng = np.random.default_rng(seed)
    with open_device(board, project, emulate=True) as dev:
        for i in range(2):
            x = quantize_input(graph, source.to_graph_layout(
                rng.standard_normal(source.input_shape).astype(np.float32) * 1.5))
            assert_device_equals_reference(dev, graph, x, f"{what} input {i}")


def _length(layers) -> int:
    """An input length that leaves every layer of the chain at least one output."""
    length = 1
    for k, s, d, pad, _ in reversed(layers):
        length = max(1, (length - 1) * s + (k - 1) * d + 1 - 2 * pad)
    return length + 5


# The raw kernel's paths (no widening: the padded input copy, the folded bias): stride 1 with
# 2 or 3 taps (raw_path 1), stride 2 with 4 or 5 taps (2), stride 1 with 4 or 5 taps (3).
# Each case a chain over the layers (k, stride, dilation, pad, activation), a clamp forced on
# layers after compiling, kernel and reference alike, and the raw_path expected per layer:
# "lower" (act_min -40 where below, act_max 127: the stride-1 loop's SSUB8 / SEL),
# "upper" on layer 1 (act_max 90: no raw path, the widened kernel takes it). Odd and even
# output counts per phase, dilations 1..4, no padding and more padding than taps, 3 to 13
# channels. Each chain runs with the raw kernel where it serves, and with the widened kernel
# on every layer (what lower_peak may choose for them).
RAW_CHAINS = [
    ([(3, 1, 1, 1, "none"), (2, 1, 1, 0, "relu"), (3, 1, 1, 2, "relu")], 13, True, 17, None, [1, 1, 1]),
    ([(3, 1, 4, 4, "none"), (3, 1, 2, 0, "relu"), (2, 1, 3, 3, "none")], 5, True, 30, "lower", [1, 1, 1]),
    ([(3, 1, 1, 0, "relu"), (3, 1, 3, 3, "relu6"), (2, 1, 2, 1, "relu")], 13, False, 24, "upper", [1, 0, 1]),
    ([(2, 1, 1, 1, "none"), (3, 1, 1, 1, "none")], 3, False, 6, "lower", [1, 1]),
    ([(5, 2, 1, 2, "none"), (4, 2, 1, 1, "relu"), (5, 2, 1, 0, "none")], 13, True, 40, None, [2, 2, 2]),
    ([(5, 2, 1, 4, "none"), (4, 2, 1, 3, "none"), (5, 2, 1, 2, "none")], 13, False, 60, "upper", [2, 0, 2]),
    ([(5, 1, 1, 2, "none"), (4, 1, 2, 3, "none"), (5, 1, 3, 0, "none"), (4, 1, 1, 0, "none")], 13, False, 30, None,
     [3, 3, 3, 3]),
    ([(5, 1, 4, 8, "none"), (4, 1, 1, 1, "none"), (5, 1, 1, 4, "none")], 13, True, 21, "upper", [3, 0, 3]),
]


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
@pytest.mark.parametrize("kernel", [KX1_RAW, KX1])
@pytest.mark.parametrize("case", range(len(RAW_CHAINS)))
def test_depthwise_kx1_s8_dsp_raw_paths_standin(board, case, kernel, tmp_path):
    from tinygen.hil.target import open_device

    layers, channels, temporal, length, clamp, expect = RAW_CHAINS[case]
    source = _export(layers, channels, temporal, length, tmp_path)
    options = CompileOptions(features=frozenset(get_board(board).isa_features), lower_peak=False)
    graph = compile_source(source, str(tmp_path / "calib.npy"), options)
    nodes = [n for n in graph.nodes if n.op == "depthwise_conv2d"]
    assert all(n.kernel in (KX1_IMM, KX1_RAW) for n in nodes)
    # the raw kernel (preferred after tg_depthwise_conv2d_kx1_imm_s8_dsp, which serves some of
    # these layers: tests/kernels/test_kernels_dsp_depthwise_kx1_imm.py) or the widened one on the same
    # layers, by a per-node choice
    graph = compile_source(source, str(tmp_path / "calib.npy"), replace(
        options, kernel_choice={n.name: kernel for n in nodes}))
    nodes = [n for n in graph.nodes if n.op == "depthwise_conv2d"]
    assert [n.kernel for n in nodes] == [kernel] * len(layers)
    if kernel == KX1:
        assert all(n.scratch_bytes == kx1_scratch(n.attrs["kparams"]) for n in nodes)
    for i, n in enumerate(nodes):
        k = n.attrs["kparams"]
        if clamp == "lower":
            n.attrs["act_min"] = k["act_min"] = max(k["act_min"], -40)
        elif clamp == "upper" and i == 1:
            n.attrs["act_max"] = k["act_max"] = 90
            if n.kernel == KX1_RAW:     # no raw path now: the widened kernel, its scratch within the copy's
                assert kx1_scratch(k) <= n.scratch_bytes
                n.kernel = KX1
    on_path = [raw_path(n.attrs["kparams"], kx1_geometry(n.attrs["kparams"])) for n in nodes]
    assert on_path == expect, on_path
    assert [n.kernel for n in nodes] == [KX1 if kernel == KX1 or not r else KX1_RAW for r in expect]
    project = build(source, graph, get_board(board), tmp_path / "fw").out_dir
    rng = np.random.default_rng(case)
    with open_device(get_board(board), project, emulate=True) as dev:
        for scale in (1.0, 8.0):      # 8: most inputs saturate at -128 / 127
            x = quantize_input(graph, source.to_graph_layout(
                rng.standard_normal(source.input_shape).astype(np.float32) * scale))
            assert_device_equals_reference(dev, graph, x, f"{board} {layers} c={channels} scale {scale}")


def test_raw_k3_sign_add_left_out_only_where_act_min_reaches_the_zero_point():
    """tg_dw_kx1_k3_phase*_pos (the raw path, stride 1, 2 or 3 taps) requantize without the
    sign's ADD where act_min >= the output zero point: SSAT(SMMLAR(acc2, m, R) >> n) then the
    clamp. Exhaustively over accumulators around 0 (where the ADD matters: ties below zero),
    that equals TFLite's requantization then the clamp for every multiplier, shift and zero
    point drawn; and with act_min one below the zero point it does not (the loops need the ADD)."""
    from tinygen.quant.fixedpoint import multiply_by_quantized_multiplier

    rng = np.random.default_rng(5)
    acc = np.arange(-(1 << 16), 1 << 16, dtype=np.int64)
    differs = 0
    for _ in range(60):
        m, n = int(rng.integers(1 << 30, 1 << 31)), int(rng.integers(1, 12))
        zp = int(rng.integers(-128, 128))
        want = np.clip(multiply_by_quantized_multiplier(acc, m, -n) + zp, -128, 127)
        r = (1 + 2 * zp) << (n - 1)
        xr = (2 * acc * m + (r << 32) + (1 << 31)) >> 32                     # SMMLAR(acc2, m, R)
        assert np.array_equal(np.clip((xr + (acc >> 63)) >> n, -128, 127), want)   # with the ADD
        dropped = np.clip(xr >> n, -128, 127)
        for act_min in (zp, min(zp + 7, 127)):
            assert np.array_equal(np.clip(dropped, act_min, 127), np.clip(want, act_min, 127)), (m, n, zp)
        if zp > -128:
            differs += not np.array_equal(np.clip(dropped, zp - 1, 127), np.clip(want, zp - 1, 127))
    assert differs > 0
