"""tg_conv2d_rows4_pair_s8_dsp and tg_conv2d_add_rows4_pair_s8_dsp: the rows4 kernels' 4-pixel
blocks with the weights as row-pair halfwords h = 256 b + a (tinygen/kernels/pair_halfwords.py,
firmware/kernels/conv/tg_rows4_loop_dsp.h), --kernels auto candidates where every channel pair is
exact.

On the host: the verdict (h fits int16, S_B in [-2^23, 2^23) over the inputs' range, with the
doubled bias and pixels) at its edges,
checked against the kernel's int32 arithmetic emulated in numpy (wrapping SMLAD sums, S_B =
(acc_H - S_A) >> 8): exact up to the bound, wrong past it; the packed order read back as the C
fallback reads it, odd channel counts completed by a zero channel. On the stand-ins (F446RE's
Cortex-M4, U585's Cortex-M33, F746ZG's Cortex-M7): the drawn conv chains and the residual net of
the int16 kernel's tests, specialized and generic, and a layer whose channel B sums sit at the
bound's edge, equal the reference on every layer.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_kernels_dsp_conv_rows4 import _consts, _draw, _params, check_two_passes

from rows3_lib import check_on_standin, check_seed, compile_chain, compile_with, served_after_preferred
from standin_lib import needs_qemu
from tinygen.kernels.pair_halfwords import LIMIT, halfwords, input_range, pair_exact, sums_range
from tinygen.kernels.rows4_dsp import rows4_pair_serves, rows4_pair_weights, rows4_serves
from tinygen.passes.choose_kernels import kernel_candidates

PAIR = "tg_conv2d_rows4_pair_s8_dsp"
ADD_PAIR = "tg_conv2d_add_rows4_pair_s8_dsp"


def _wrap(v) -> np.ndarray:
    return ((np.asarray(v, np.int64) + (1 << 31)) % (1 << 32)) - (1 << 31)


def _kernel_sums(a: np.ndarray, b: np.ndarray, x: np.ndarray, bias_a: int, bias_b: int) -> tuple[int, int]:
    """(S_A, S_B) as the kernel computes them from doubled pixels x: acc_H from 256 bias_B + bias_A
    plus h . x, acc_A from bias_A plus a . x, both wrapping in int32, S_B = (acc_H - acc_A) >> 8."""
    h = halfwords(np.stack([a, b])).astype(np.int64)[0]
    acc_h = _wrap(256 * bias_b + bias_a + int((h * x).sum()))
    acc_a = _wrap(bias_a + int((a * x).sum()))
    return int(acc_a), int(_wrap(acc_h - acc_a) >> 8)


def _edge(depth: int, over: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Channel B's weights all 127 and its doubled bias (even) such that S_B at the largest doubled
    pixels (510: input offset 128) is 2^23 - 2 + over; A's weights drawn."""
    a = np.random.default_rng(depth).integers(-128, 128, depth)
    b = np.full(depth, 127)
    return a, b, LIMIT - 2 + over - 127 * depth * 510


@pytest.mark.parametrize("depth", [64, 128])
def test_the_verdict_holds_up_to_the_edge_where_the_kernels_sums_are_exact(depth):
    """At S_B = 2^23 - 2 (the largest even sum below 2^23) the verdict accepts and the emulated sums
    equal the true ones; at 2^23 it refuses, and there 256 S_B wraps and the emulated S_B is wrong:
    removing the bound check fails this test."""
    x = np.full(depth, 510)             # every pixel 127 with offset 128, doubled
    for over, exact in ((0, True), (2, False)):
        a, b, bias_b2 = _edge(depth, over)
        assert pair_exact(np.stack([a, b]), np.array([7, bias_b2 // 2]), 128, doubled=True) == exact, over
        s_a, s_b = _kernel_sums(a, b, x, 14, bias_b2)
        assert s_a == 14 + int((a * x).sum())
        assert (s_b == bias_b2 + int((b * x).sum())) == exact, (over, s_b)


@pytest.mark.parametrize("depth", [64, 128])
def test_the_verdict_takes_the_negative_edge_minus_2_to_the_23(depth):
    """S_B = -2^23 (256 S_B = -2^31 still fits int32) is accepted and exact; 2 less is refused and wrong."""
    x = np.full(depth, 510)
    a = np.random.default_rng(depth).integers(-128, 128, depth)
    b = np.full(depth, -127)
    for under, exact in ((0, True), (2, False)):
        bias_b2 = -LIMIT - under + 127 * depth * 510
        assert pair_exact(np.stack([a, b]), np.array([0, bias_b2 // 2]), 128, doubled=True) == exact, under
        s_b = _kernel_sums(a, b, x, 0, bias_b2)[1]
        assert (s_b == bias_b2 + int((b * x).sum())) == exact, (under, s_b)


def test_the_verdict_bounds_the_sums_over_the_inputs_range():
    """The doubled bias counts twice (the kernel's records hold 2 bias); the sums' exact range over the
    inputs' (input offset 128, after a ReLU: x in [0, 510]; 0: x in [-256, 254]), half the naive
    sum |b| max |x| where the weights' signs are mixed."""
    assert input_range(128, True) == (0, 510) and input_range(0, True) == (-256, 254)
    assert input_range(-127, False) == (-255, 0)
    w = np.stack([np.zeros(4, int), np.full(4, 100)])
    base = 4 * 100 * 510
    assert pair_exact(w, np.array([0, (LIMIT - 2 - base) // 2]), 128, doubled=True)
    assert not pair_exact(w, np.array([0, (LIMIT - base) // 2]), 128, doubled=True)
    assert pair_exact(w, np.array([0, -LIMIT // 2]), 128, doubled=True)          # least: -2^23, with x = 0
    assert not pair_exact(w, np.array([0, -LIMIT // 2 - 1]), 128, doubled=True)
    half = LIMIT // 510 // 127 * 127                  # 127s summing to just under 2^23 / 510, each sign
    n = half // 127
    mixed = np.stack([np.zeros(2 * n, int), np.r_[np.full(n, 127), np.full(n, -127)]])
    assert np.abs(mixed[1]).sum() * 510 > LIMIT and pair_exact(mixed, None, 128, doubled=True)
    assert pair_exact(mixed, None, 0, doubled=True)
    assert sums_range(mixed[1:], 0, 0, 510) == (-half * 510, half * 510)
    one_signed = np.stack([np.zeros(2 * n, int), np.full(2 * n, 127)])      # 2 half 510 > 2^23 > 2 half 256
    assert not pair_exact(one_signed, None, 128, doubled=True)
    assert pair_exact(one_signed, None, 0, doubled=True)


def test_the_verdict_refuses_halfwords_outside_int16():
    """b = -128 with a < 0 makes 256 b + a < -2^15: refused; with a >= 0, or a = -128 with b > -128, fine."""
    assert not pair_exact(np.array([[-1, 0], [-128, 0]]), None, 0, doubled=True)
    assert pair_exact(np.array([[0, 5], [-128, -128]]), None, 0, doubled=True)
    assert pair_exact(np.array([[-128, 127], [-127, 127]]), None, 0, doubled=True)
    with pytest.raises(ValueError):
        halfwords(np.array([[-1], [-128]]))
    assert halfwords(np.array([[127], [127]]))[0, 0] == 256 * 127 + 127


def test_rows4_pair_serves_where_rows4_does_and_every_pair_is_exact():
    p = _params(3, 3, 16, 32, 32, 16, input_offset=128)
    w = np.random.default_rng(0).integers(-127, 128, (16, 3, 3, 16)).astype(np.int8)
    assert rows4_serves(p, _consts(16, weight=w)) and rows4_pair_serves(p, _consts(16, weight=w))
    w[5, 0, 0, 0] = -128                # channel B of pair 2 at -128 over A's negative weight
    w[4, 0, 0, 0] = -3
    assert rows4_serves(p, _consts(16, weight=w)) and not rows4_pair_serves(p, _consts(16, weight=w))
    big = np.full((16, 3, 3, 16), 127, np.int8)      # 144 x 127 x 510 > 2^23 on bright inputs
    assert not rows4_pair_serves(p, _consts(16, weight=big))
    assert not rows4_pair_serves(_params(3, 3, 3, 4, 4, 16, input_offset=128), _consts(16, weight=w[:, :, :, :3]))


@pytest.mark.parametrize("out_c, depth", [(4, 8), (3, 6), (5, 144), (16, 36)])
def test_rows4_pair_weights_are_read_back_by_the_kernels_index(out_c, depth):
    """Every weight at tg_rows4_weight's pair index (pair * dp + group * 4 + half * 2 + slot, half =
    k & 1, slot = (k & 3) >> 1), a = h's low byte, b = (h - a) >> 8; an odd count's last channel with
    a zero partner; zeros elsewhere; the int8 weights' bytes."""
    w = np.random.default_rng(out_c).integers(-127, 128, (out_c, 1, 1, depth)).astype(np.int8)
    packed = rows4_pair_weights(dict(out_c=out_c, kernel_h=1, kernel_w=1, in_c=depth), dict(weight=w))
    dp = -(-depth // 4) * 4
    assert packed.dtype == np.int16 and packed.size == (out_c + out_c % 2) // 2 * dp
    seen = np.zeros(packed.size, bool)
    for o in range(out_c + out_c % 2):
        for k in range(dp):
            i = (o >> 1) * dp + (k >> 2) * 4 + (k & 1) * 2 + ((k & 3) >> 1)
            h = int(packed[i])
            a = ((h & 255) ^ 128) - 128
            got = (h - a) >> 8 if o & 1 else a
            assert got == (w[o, 0, 0, k] if o < out_c and k < depth else 0), (o, k)
            seen[i] = True
    assert seen.all()


def _compile(seed: int, features, specialize: bool = True):
    return compile_chain(PAIR, *_draw(seed), seed, features, specialize)


def test_rows4_pair_is_an_auto_candidate_after_the_preferred_kernel():
    assert served_after_preferred(PAIR, _compile, range(4)) >= 8


@needs_qemu
@pytest.mark.parametrize("board", ["f446re", "u585", "f746zg"])
@pytest.mark.parametrize("seed", [0, 1])
def test_conv_rows4_pair_s8_dsp_standin(board, seed, tmp_path):
    check_seed(PAIR, _compile, board, seed, tmp_path)


@needs_qemu
@pytest.mark.parametrize("board, bounds, seed", [("f446re", (-100, 90), 5), ("u585", (0, 15), 6)])
def test_conv_rows4_pair_s8_dsp_clamped_standin(board, bounds, seed, tmp_path):
    check_seed(PAIR, _compile, board, seed, tmp_path, bounds=bounds)


@needs_qemu
def test_conv_rows4_pair_s8_dsp_generic_standin(tmp_path):
    """Specialization off: each output alone, every weight read back from its halfword."""
    check_seed(PAIR, _compile, "u585", 7, tmp_path, specialize=False)


@needs_qemu
def test_conv_rows4_pair_s8_dsp_once_standin(tmp_path):
    check_seed(PAIR, _compile, "u585", 0, tmp_path, once=True)


def _set(graph, node, role: str, values) -> None:
    graph.tensors[node.param(role)].data = np.asarray(values).astype(graph.const(node, role).dtype)


def _compile_edge(features):
    """The kernel at the verdict's edge: a chain whose last layer (3x3x16 -> 16, no bias, after a ReLU6: input offset 128) gets channel B
    weights of 127 or -127 on 129 of its 144 values and 65 or -65 on one more, so that on a pixel whose
    inputs are all 127 every odd channel's |S_B| (doubled) is 127 * 129 * 510 + 65 * 510 = 2^23 - 128,
    the verdict's edge (the next step of 510 would pass 2^23); the layer before saturates at 127 on
    every pixel (its biases raised), and the multipliers scale S / 2^16 into int8."""
    from tinygen.kernels.params import kernel_params

    layers = [(3, 16, (3, 3), (1, 1), (1, 1)), (16, 16, (1, 1), (1, 1), (0, 0)), (16, 16, (1, 1), (1, 1), (0, 0)),
              (16, 16, (3, 3), (1, 1), (1, 1))]
    compiled = compile_chain(PAIR, layers, (8, 8), 11, features)
    _, graph, _, choice = compiled
    before, node = [n for n in graph.nodes if n.op == "conv2d"][2:4]
    assert node.name in choice and graph.const(node, "bias") is None
    _set(graph, before, "bias", np.full(16, 1 << 20))
    kp = kernel_params(graph, node)
    assert kp["input_offset"] == 128
    w = np.random.default_rng(3).integers(-127, 128, (16, 144))
    sign = np.where(np.arange(1, 16, 2) % 4 == 1, -1, 1)[:, None]
    w[1::2] = 0
    w[1::2, :129] = 127 * sign
    w[1::2, 129:130] = 65 * sign
    assert 127 * 129 * 510 + 65 * 510 == LIMIT - 128
    _set(graph, node, "weight", w.reshape(graph.const(node, "weight").shape))
    _set(graph, node, "multiplier", np.full(16, 1 << 30))
    _set(graph, node, "shift", np.full(16, -15))
    consts = {r: graph.const(node, r) for r in ("weight", "bias", "multiplier", "shift")}
    assert rows4_pair_serves(kp, consts)
    _set(graph, node, "packed", rows4_pair_weights(node.attrs["kparams"], consts))     # packed again
    w[3, 130] = 1                       # one more step of channel 3 (weights 127): past the edge
    assert not rows4_pair_serves(kp, dict(consts, weight=w))
    return compiled


@needs_qemu
@pytest.mark.parametrize("board", ["f446re", "u585", "f746zg"])
def test_conv_rows4_pair_s8_dsp_at_the_bounds_edge_standin(board, tmp_path):
    """Channel B's sums as far from 0 as the verdict allows (|S_B| up to 2^23 - 1 on bright inputs):
    the outputs equal the reference."""
    from tinygen.board import get_board

    b = get_board(board)
    check_on_standin(PAIR, b, _compile_edge(b.isa_features), tmp_path, f"{board} edge")


def test_add_rows4_pair_is_a_candidate_of_the_fused_adds():
    _, graph, _, _ = compile_with(ADD_PAIR, *_residual_net(0), frozenset({"dsp"}))
    adds = [n for n in graph.nodes if n.op == "conv2d_add"]
    assert len(adds) == 2
    for n in adds:
        names = [c.name for c in kernel_candidates(graph, n, frozenset({"dsp"}))]
        assert n.kernel == ADD_PAIR and names.index(ADD_PAIR) > 0, names


def _residual_net(seed: int):
    import torch

    from test_kernels_dsp_conv_rows4 import Residual

    torch.manual_seed(seed)
    net = Residual(8)
    for p in net.parameters():
        torch.nn.init.uniform_(p, -0.4, 0.4)
    net.eval()
    return net, np.random.default_rng(seed).standard_normal((16, 3, 13, 9)).astype(np.float32)


@needs_qemu
@pytest.mark.parametrize("board, seed, specialize", [("u585", 0, True), ("f446re", 1, True), ("f746zg", 3, True),
                                                     ("u585", 2, False)])
def test_conv2d_add_rows4_pair_s8_dsp_standin(board, seed, specialize, tmp_path):
    from tinygen.board import get_board

    b = get_board(board)
    compiled = compile_with(ADD_PAIR, *_residual_net(seed), b.isa_features, specialize)
    check_on_standin(ADD_PAIR, b, compiled, tmp_path, f"{board} residual seed {seed}", specialize)


def _compile_ic(features):
    """MLPerf IC with the pair kernels on every conv they serve (its trained weights: conv2d_9's channel B
    sums reach 0.69 of 2^23 after its ReLU), as check_on_standin takes it: drawn inputs in [-1, 1)."""
    from mlperf_models import mlperf_model

    from tinygen.compiler import compile_source, load_source
    from tinygen.passes import CompileOptions

    source = load_source(str(mlperf_model("ic_resnet8")))
    first = compile_source(source, None, CompileOptions(features=features))
    choice = {n.name: k for n in first.nodes for k in (PAIR, ADD_PAIR)
              if k in [c.name for c in kernel_candidates(first, n, features)]}
    graph = compile_source(source, None, CompileOptions(features=features, kernel_choice=choice, lower_peak=False))
    calib = np.random.default_rng(0).uniform(-1, 1, (3, *source.input_shape[1:])).astype(np.float32)
    return source, graph, calib, choice


@needs_qemu
@pytest.mark.parametrize("board", ["f446re", "u585", "f746zg"])
def test_ic_resnet8_with_the_pair_kernels_standin(board, tmp_path):
    """Every conv of MLPerf IC (6 plain: the first layer's 3x3x3, depth 27, run as 28; 3 fused adds) on the
    pair kernels equals the reference, layer by layer."""
    from tinygen.board import get_board

    b = get_board(board)
    compiled = _compile_ic(b.isa_features)
    assert sorted(compiled[3].values()).count(PAIR) == 6 and sorted(compiled[3].values()).count(ADD_PAIR) == 3
    check_on_standin(PAIR, b, compiled, tmp_path, f"{board} IC")


@needs_qemu
@pytest.mark.parametrize("board", ["f446re", "u585"])
def test_conv_rows4_pair_s8_dsp_two_passes_standin(board, tmp_path):
    """The row-pair halfwords over TWO_PASS_LAYERS (test_kernels_dsp_conv_rows4.check_two_passes)."""
    check_two_passes(PAIR, board, tmp_path)


# Depths (kernel_h * kernel_w * in_c) for each shape the Cortex-M7's row-pair loop takes
# (tg_rows4_loop_dsp.h: TG_ROWS4_AHEAD, TG_ROWS4_LONG = 24 steps a pass). A step is 2 values of depth.
AHEAD_LAYERS = [
    (3, 28, (1, 1), (1, 1), (0, 0)),    # the first layer (3 channels): not the pair kernel's
    (28, 48, (1, 1), (1, 1), (0, 0)),   # depth 28, 14 steps: 7 passes of 2, the last after the loop
    (48, 96, (1, 1), (1, 1), (0, 0)),   # 48, 24 steps: one pass of 24, no loop, only the straight last pass
    (96, 16, (1, 1), (1, 1), (0, 0)),   # 96, 48 steps: a loop of one pass (no branch) then the last
    (16, 8, (3, 3), (1, 1), (1, 1)),    # 144, 72 steps: a loop of 2 passes of 24 (a branch) then the last
    (8, 6, (1, 1), (1, 1), (0, 0)),     # 8, 4 steps: all unrolled, no loop
]


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "u585"])
def test_conv_rows4_pair_s8_dsp_each_loop_shape_standin(board, tmp_path):
    """A chain whose layers take every shape of the row-pair loop on the Cortex-M7 (each word loaded a
    step ahead, passes of 24 steps, the last pass straight without the load past the pair's weights)
    and on the M33 (loaded in its step, passes of 8, 6, 4 or 2): every layer on the pair kernel equals
    the reference."""
    from tinygen.board import get_board

    b = get_board(board)
    compiled = compile_chain(PAIR, AHEAD_LAYERS, (6, 5), 4, b.isa_features)
    _, graph, _, choice = compiled
    convs = [n for n in graph.nodes if n.op == "conv2d"]
    assert [n.name in choice for n in convs] == [False] + [True] * 5, choice
    check_on_standin(PAIR, b, compiled, tmp_path, f"{board} loop shapes")
