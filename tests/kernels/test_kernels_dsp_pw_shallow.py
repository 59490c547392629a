"""tg_conv2d_1x1_shallow_s8_dsp: the thin pointwise convolutions (depth 4, 8 or 16, e.g. MLPerf
VWW's 8 -> 16 and 16 -> 32) with run-time records, the input pixel widened once into registers
and the record read by LDM.

On the host: a numpy model of the kernel's arithmetic (the records it builds: 2 x bias, the
multiplier, R = (1 + 2 output_offset) 2^(n-1), n, the doubled weights as int16 pairs; per
output the SMLAD sums of the widened pixel from 2 x bias, SMMLAR, the sign correction, ASR,
SSAT) equals the reference convolution over drawn depths, channel counts (odd and even),
pixel counts, offsets and requantizations, extreme inputs and weights included; layers it
cannot serve are refused (depths 3, 5, 12, clamps inside the int8 range, left shifts), and
the table picks it for exactly the layers it serves. On the stand-ins (slow): chains of 1x1
layers of depths 4, 8, 12, 16 and others, odd and even channel and pixel counts, ReLU / ReLU6,
built for the F746ZG and F446RE, equal the reference on every layer.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn
from torch_models import compile_module

from e2e import assert_device_equals_reference
from standin_lib import needs_qemu
from tinygen.kernels.pw_shallow_dsp import DEPTHS, pw_shallow_scratch, pw_shallow_serves
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.passes import CompileOptions
from tinygen.ref import kernels as ref

SHALLOW = "tg_conv2d_1x1_shallow_s8_dsp"
DENSE = "tg_conv2d_1x1_s8_dsp"


def _pairs(v: np.ndarray) -> np.ndarray:
    """int16 lanes wrapped like the C's halfword arithmetic."""
    return ((v + 0x8000) & 0xFFFF) - 0x8000


def _kernel_model(p: dict, x: np.ndarray, consts: dict) -> np.ndarray:
    """The kernel's arithmetic on the records it builds, every intermediate checked in range."""
    depth, cols = p["in_c"], p["out_c"]
    w = np.asarray(consts["weight"], np.int64).reshape(cols, depth)
    n = -np.asarray(consts["shift"], np.int64)
    k = 2 * np.asarray(consts["bias"], np.int64)
    m = np.asarray(consts["multiplier"], np.int64)
    r = (1 + 2 * p["output_offset"]) * (np.int64(1) << (n - 1))
    assert (np.abs(r) < 1 << 31).all()
    w2 = _pairs(2 * w)                                          # SADD16 of the SXTB16 lanes
    assert np.array_equal(w2, 2 * w)                            # |2 w| <= 256 fits an int16
    xs = x.reshape(-1, depth).astype(np.int64) + p["input_offset"]     # SXTAB16 lanes
    assert np.array_equal(_pairs(xs), xs)
    a = k[None, :] + xs @ w2.T                                  # 2 SMLAD per 4 weights
    assert (np.abs(a) < 1 << 31).all()
    v = (a * m + (r << 32) + (1 << 31)) >> 32                   # SMMLAR
    assert (np.abs(v + (a >> 63)) < 1 << 31).all()
    y = np.clip((v + (a >> 63)) >> n, -128, 127)                # + (a >> 31), ASR, SSAT
    return y.astype(np.int8).reshape(p["out_h"], p["out_w"], cols)


@st.composite
def layer(draw):
    depth, cols = draw(st.sampled_from(DEPTHS)), draw(st.integers(1, 21))
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    return dict(in_h=h, in_w=w, in_c=depth, out_h=h, out_w=w, out_c=cols, kernel_h=1, kernel_w=1, stride_h=1,
                stride_w=1, dilation_h=1, dilation_w=1, pad_top=0, pad_left=0, depth_multiplier=1,
                input_offset=draw(st.integers(-127, 128)), output_offset=draw(st.integers(-128, 127)),
                act_min=-128, act_max=127)


def _consts(rng, depth: int, cols: int, extreme: bool) -> dict:
    w = rng.integers(-128, 128, size=(cols, 1, 1, depth)).astype(np.int8)
    if extreme:
        w[...] = rng.choice([-128, 127], size=w.shape)
    return dict(weight=w, bias=rng.integers(-(1 << 20), 1 << 20, size=cols),
                multiplier=rng.integers(1 << 30, 1 << 31, size=cols), shift=-rng.integers(1, 20, size=cols))


@settings(derandomize=True, max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=layer(), seed=st.integers(0, 2**32 - 1), extreme=st.booleans())
def test_conv2d_1x1_shallow_s8_model_equals_reference(p, seed, extreme):
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, size=(p["in_h"], p["in_w"], p["in_c"])).astype(np.int8)
    if extreme:
        x[...] = rng.choice([-128, 127], size=x.shape)
    consts = _consts(rng, p["in_c"], p["out_c"], extreme)
    assert pw_shallow_serves(p, consts)
    want = ref.conv2d_s8(p, x, consts["weight"], consts["bias"], consts["multiplier"], consts["shift"])
    got = _kernel_model(p, x, consts)
    diff = np.argwhere(got != want.reshape(got.shape))
    assert diff.size == 0, f"first differences (y, x, channel): {diff[:5].tolist()}"


def test_conv2d_1x1_shallow_s8_refuses_what_it_cannot_serve():
    p = dict(in_h=2, in_w=2, in_c=8, out_h=2, out_w=2, out_c=3, input_offset=128, output_offset=-128,
             act_min=-128, act_max=127)
    consts = _consts(np.random.default_rng(0), 8, 3, False)
    assert pw_shallow_serves(p, consts)
    assert pw_shallow_serves(dict(p, in_c=4), dict(consts, weight=consts["weight"][..., :4]))
    assert pw_shallow_serves(dict(p, in_c=16), _consts(np.random.default_rng(1), 16, 3, False))
    for depth in (3, 5, 12, 32):
        assert not pw_shallow_serves(dict(p, in_c=depth), _consts(np.random.default_rng(1), depth, 3, False))
    assert not pw_shallow_serves(dict(p, act_min=-100), consts)                      # a clamp inside int8
    assert not pw_shallow_serves(dict(p, act_max=100), consts)
    assert not pw_shallow_serves(p, dict(consts, shift=np.array([-3, 1, -3])))       # a left shift
    assert not pw_shallow_serves(p, dict(consts, bias=np.full(3, 1 << 30)))          # accumulator bound
    assert pw_shallow_scratch(p) == 4 * 3 * (4 + 4) and pw_shallow_scratch(dict(p, in_c=4)) == 4 * 3 * (4 + 2)


class Pointwise(nn.Module):
    """1x1 layers of depths 8, 13, 4, 7, 8, 3, 16, 8, 12 (out_c 13, 4, 7, 8, 3, 16, 8, 12, 6:
    odd and even), with ReLU, ReLU6 or nothing after them (ReLU6 clamps inside the int8 range
    where the calibration reaches 6: those layers stay on the dense kernel)."""

    SIZES = (8, 13, 4, 7, 8, 3, 16, 8, 12, 6)
    ACTS = ("relu", "relu6", "none", "relu6", "relu", "none", "none", "none", "relu6")

    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 1) for a, b in zip(self.SIZES, self.SIZES[1:]))

    def forward(self, x):
        for i, conv in enumerate(self.convs):
            x = conv(x)
            x = {"relu": torch.relu, "relu6": torch.nn.functional.relu6, "none": lambda t: t}[self.ACTS[i]](x)
        return x


class PointwiseQuads(Pointwise):
    """1x1 layers of depths 4, 8, 16, 4 with out_c 8, 16, 4, 12: every channel count a multiple of 4."""

    SIZES = (4, 8, 16, 4, 12)
    ACTS = ("relu", "none", "relu", "none")


def _pointwise(seed: int, net_class=Pointwise) -> nn.Module:
    torch.manual_seed(seed)
    net = net_class()
    for prm in net.parameters():
        torch.nn.init.uniform_(prm, -1.0, 1.0)
    return net.eval()


def _compiled(seed: int, hw: tuple[int, int], features, net_class=Pointwise):
    """Without lower_peak, which may take a scratch-free kernel where the records' scratch sets
    the arena's peak (the first layer here): each layer gets its preferred kernel."""
    calib = np.random.default_rng(seed).standard_normal((16, net_class.SIZES[0], *hw)).astype(np.float32)
    options = CompileOptions(features=frozenset(features), lower_peak=False)
    source, graph = compile_module(_pointwise(seed, net_class), calib, options=options)
    return source, graph, calib


def test_conv2d_1x1_shallow_s8_dsp_chosen_where_it_serves():
    _, graph, _ = _compiled(0, (5, 7), {"dsp"})
    convs = [n for n in graph.nodes if n.op == "conv2d"]
    assert len(convs) == len(Pointwise.SIZES) - 1
    for n in convs:
        k = n.attrs["kparams"]
        consts = {role: graph.const(n, role) for role in ("weight", "bias", "multiplier", "shift")}
        assert (n.kernel == SHALLOW) == pw_shallow_serves(k, consts), (n.name, k["in_c"], n.kernel)
        if n.kernel == SHALLOW:
            assert n.scratch_bytes == pw_shallow_scratch(k)
        else:       # the 3-row kernel before the dense one where its blocks serve
            rows3 = KERNELS_BY_NAME["tg_conv2d_1x1_rows3_s8_dsp"]
            assert n.kernel == (rows3.name if rows3.accepts(graph, n) else DENSE), (n.name, n.kernel)
    served = [n.attrs["kparams"]["in_c"] for n in convs if n.kernel == SHALLOW]
    assert sorted(set(served)) == [4, 8, 16], served       # every depth in the chain
    assert KERNELS_BY_NAME[SHALLOW].const_roles == ("weight", "bias", "multiplier", "shift")


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_conv2d_1x1_shallow_s8_dsp_standin(board_name, tmp_path):
    """The chain over 5x7 (35 pixels, odd) and 4x6 (24, even) inputs: every layer equals the
    reference for 3 inputs, saturating ones included."""
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device
    from tinygen.ref.interpreter import quantize_input

    board = get_board(board_name)
    for seed, hw in ((1, (5, 7)), (2, (4, 6))):
        source, graph, calib = _compiled(seed, hw, board.isa_features)
        depths = {n.attrs["kparams"]["in_c"] for n in graph.nodes if n.kernel == SHALLOW}
        assert depths == {4, 8, 16}, [n.kernel for n in graph.nodes]
        project = build(source, graph, board, tmp_path / f"s{seed}").out_dir
        with open_device(board, project, emulate=True) as dev:
            for i, scale in enumerate((1.0, 1.5, 8.0)):      # 8x: inputs pinned at -128 / 127
                x = quantize_input(graph, source.to_graph_layout(calib[i:i + 1] * scale))
                assert_device_equals_reference(dev, graph, x, f"{board_name} {hw} input {i}")


@needs_qemu
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_conv2d_1x1_shallow_s8_dsp_quads_standin(board_name, tmp_path):
    """Channel counts that are multiples of 8 (8, 16) and of 4 only (4, 12) at depths 4, 8 and 16, over 5x7
    pixels: on the F446 the loops of 8 and 4 outputs a pass (its board file's -DTG_PW_SHALLOW_QUADS=1), on
    the F746 of 2; every layer equals the reference for 3 inputs, saturating ones included."""
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device
    from tinygen.ref.interpreter import quantize_input

    board = get_board(board_name)
    assert ("-DTG_PW_SHALLOW_QUADS=1" in board.cflags) == (board_name == "f446re")
    source, graph, calib = _compiled(3, (5, 7), board.isa_features, PointwiseQuads)
    served = [(n.attrs["kparams"]["in_c"], n.attrs["kparams"]["out_c"]) for n in graph.nodes if n.kernel == SHALLOW]
    assert served == [(4, 8), (8, 16), (16, 4), (4, 12)], [n.kernel for n in graph.nodes]
    project = build(source, graph, board, tmp_path / "q").out_dir
    with open_device(board, project, emulate=True) as dev:
        for i, scale in enumerate((1.0, 1.5, 8.0)):
            x = quantize_input(graph, source.to_graph_layout(calib[i:i + 1] * scale))
            assert_device_equals_reference(dev, graph, x, f"{board_name} quads input {i}")
