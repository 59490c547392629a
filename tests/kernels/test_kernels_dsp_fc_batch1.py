"""tg_fully_connected_batch1_s8_dsp, tg_fully_connected_batch1_lean_s8_dsp and
tg_fully_connected_batch1_w16_s8_dsp: a fully connected layer of one row, 4 outputs per pass, the
weights (int8, or widened to int16 pairs) and the input-offset-folded biases in blocks of 4 rows
laid out at build time (tinygen/kernels/fc_batch1_dsp.py).

On the host: a numpy model of the kernels' arithmetic from the packed constant (each block's
folded biases, SMLAD of the input pairs (x0, x2), (x1, x3) against SXTB16 / SXTB16 ROR 8 of the
weight words, the folded requantization of 2 acc) equals the reference fully connected layer over
drawn depths (tails of 1..3 after the groups of 4), widths (a last block of 1..3 rows), offsets,
clamps and requantizations; unbounded layers and batches are refused, the lean kernel takes only
depths that are multiples of 4. On the stand-ins (slow): a chain with the lean kernel on the
layers whose depth it takes and the scratch kernel on the others, specialized and generic, equals
the reference on every layer.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from e2e import assert_device_equals_reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn
from single_rounding import once_pairs, to_single_rounding
from torch_models import compile_module

from tinygen.kernels import fc_batch1_dsp
from tinygen.kernels.depthwise_dsp import folded_round
from tinygen.kernels.fc_batch1_dsp import (ROWS, fc_batch1_lean_serves, fc_batch1_packed, fc_batch1_serves,
                                          fc_batch1_w16_packed)
from tinygen.passes import CompileOptions
from tinygen.ref import kernels as ref

BATCH1 = "tg_fully_connected_batch1_s8_dsp"
LEAN = "tg_fully_connected_batch1_lean_s8_dsp"
W16 = "tg_fully_connected_batch1_w16_s8_dsp"


def _sxtb16(words: np.ndarray, odd: bool) -> tuple[np.ndarray, np.ndarray]:
    """SXTB16 (odd: with ROR 8) of int8 words given as [..., 4] bytes: the (low, high) int16."""
    return (words[..., 1], words[..., 3]) if odd else (words[..., 0], words[..., 2])


def _kernel_model(p: dict, x: np.ndarray, packed: np.ndarray, multiplier, shift, w16: bool = False) -> np.ndarray:
    """The kernels' arithmetic on the packed constant: int8 weight words split by SXTB16, or
    (w16) each row's two int16 pair words (w0, w2), (w1, w3) per step."""
    depth, cols = p["in_features"], p["out_features"]
    steps = -(-depth // 4)
    xs = np.zeros(4 * steps, np.int64)
    xs[:depth] = x                                          # widened without the offset
    data = packed.astype(np.int64)
    out = np.zeros(cols, np.int64)
    pos = 0
    for o in range(0, cols, ROWS):
        r = min(ROWS, cols - o)
        a = packed[pos:pos + 4 * r].view("<i4").astype(np.int64)             # folded biases
        pos += 4 * r
        if w16:
            w = packed[pos:pos + 8 * r * steps].view("<i2").astype(np.int64).reshape(steps, r, 4)
            pos += 8 * r * steps
        else:
            w = data[pos:pos + 4 * r * steps].reshape(steps, r, 4)
            pos += 4 * r * steps
        for s in range(steps):
            g = xs[4 * s:4 * s + 4]
            if w16:     # the pair words as they are: (w0, w2) meets (x0, x2), (w1, w3) meets (x1, x3)
                lo, hi = (w[s][..., 0], w[s][..., 1]), (w[s][..., 2], w[s][..., 3])
            else:
                lo, hi = _sxtb16(w[s], False), _sxtb16(w[s], True)
            a = a + lo[0] * g[0] + lo[1] * g[2] + hi[0] * g[1] + hi[1] * g[3]     # 2 SMLAD
        assert (np.abs(a) < 1 << 30).all()
        out[o:o + r] = folded_outputs(p, a, multiplier[o:o + r], shift[o:o + r])
    assert pos == packed.size
    return out.astype(np.int8)


def folded_outputs(p: dict, a: np.ndarray, multiplier, shift) -> np.ndarray:
    """tg_fc_b1_out's folded requantization of the sums a (int64)."""
    m, n = np.asarray(multiplier, np.int64), -np.asarray(shift, np.int64)
    rr = folded_round(p["output_offset"], n)     # the zero point where the pairs round once (n = 0)
    v = (2 * a * m + (rr << 32) + (1 << 31)) >> 32                        # SMMLAR of 2 acc
    y = np.clip((v + np.where(n == 0, 0, a >> 63)) >> n, -128, 127)       # + (acc >> 31) but once, ASR, SSAT
    return np.clip(y, p["act_min"], p["act_max"]).astype(np.int8)


def draw_requant(rng, cols: int, once: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Biases, multipliers and shifts of a bounded layer (once: single-rounding pairs)."""
    bias = rng.integers(-(1 << 20), 1 << 20, size=cols)
    multiplier = rng.integers(1 << 30, 1 << 31, size=cols)
    shift = -rng.integers(1, 14, size=cols)
    if once:
        multiplier, shift = once_pairs(rng, cols)
    return bias, multiplier, shift


@st.composite
def layer(draw):
    depth, cols = draw(st.integers(1, 70)), draw(st.integers(1, 13))
    lo = draw(st.integers(-128, 0))
    act = draw(st.sampled_from([(-128, 127), (lo, draw(st.integers(lo, 127)))]))
    return dict(rows=1, in_features=depth, out_features=cols, input_offset=draw(st.integers(-127, 128)),
                output_offset=draw(st.integers(-128, 127)), act_min=act[0], act_max=act[1])


@settings(derandomize=True, max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=layer(), seed=st.integers(0, 2**32 - 1), once=st.booleans())
def test_fully_connected_batch1_s8_packed_model_equals_reference(p, seed, once):
    """once: an ONNX model's single-rounding pairs (the folded form with R the zero point, n = 0)."""
    rng = np.random.default_rng(seed)
    depth, cols = p["in_features"], p["out_features"]
    x = rng.integers(-128, 128, size=depth).astype(np.int8)
    x[0] = rng.choice([-128, 127])                                          # extreme inputs
    w = rng.integers(-128, 128, size=(cols, depth)).astype(np.int8)
    w[:, 0] = rng.choice([-128, 127], size=cols)                            # extreme weights
    bias, multiplier, shift = draw_requant(rng, cols, once)
    consts = dict(weight=w, bias=bias, multiplier=multiplier, shift=shift)
    assert fc_batch1_serves(p, consts)
    assert fc_batch1_lean_serves(p, consts) == (depth % 4 == 0)
    packed = fc_batch1_packed(p, consts)
    assert packed.dtype == np.int8 and packed.size == cols * (4 + 4 * -(-depth // 4))
    want = ref.fully_connected_s8(p, x[None], w, bias, multiplier, shift).reshape(cols)
    got = _kernel_model(p, x, packed, multiplier, shift)
    diff = np.flatnonzero(got != want)
    assert diff.size == 0, f"first differing outputs: {diff[:5].tolist()}"
    wide = fc_batch1_w16_packed(p, consts)
    assert wide.dtype == np.int8 and wide.size == cols * (4 + 8 * -(-depth // 4))
    diff = np.flatnonzero(_kernel_model(p, x, wide, multiplier, shift, w16=True) != want)
    assert diff.size == 0, f"int16 weights: first differing outputs: {diff[:5].tolist()}"


def test_fully_connected_batch1_s8_refuses_what_it_cannot_serve():
    p = dict(rows=1, in_features=20, out_features=3, input_offset=0, output_offset=0, act_min=-128, act_max=127)
    consts = dict(weight=np.ones((3, 20), np.int8), bias=np.zeros(3, np.int64), multiplier=np.full(3, 1 << 30),
                  shift=np.full(3, -3))
    assert fc_batch1_serves(p, consts) and fc_batch1_lean_serves(p, consts)
    assert not fc_batch1_serves(dict(p, rows=2), consts)                                   # a batch
    assert not fc_batch1_serves(p, dict(consts, bias=np.full(3, 1 << 30)))                 # sums past 2^30
    assert not fc_batch1_serves(p, dict(consts, multiplier=np.full(3, 1 << 29)))           # not bounded
    assert not fc_batch1_lean_serves(dict(p, in_features=21), dict(consts, weight=np.ones((3, 21), np.int8)))


class Chain(nn.Module):
    """Linear layers 128 -> 37 -> 23 -> 64 -> 19 -> 130 -> 11: depth tails of 1..3 and last
    blocks of 1..3 rows."""

    sizes = (128, 37, 23, 64, 19, 130, 11)

    def __init__(self, sizes: tuple = sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))

    def forward(self, x):
        for i, lin in enumerate(self.layers):
            x = lin(x)
            x = torch.relu(x) if i % 2 == 0 else x
        return x


# depths multiples of 4 (the lean kernel takes them) whose steps of 4 values leave the remainders of
# the loop unrolled by 8 (steps % 8: 7 = one turn of 4 and 3 single steps, 7, 3, 1, 2, 0), and a
# last block of 3 rows; the stand-in test puts the lean kernel on every other layer
LEAN_SIZES = (92, 28, 44, 36, 40, 128, 15)


def _chain(seed: int, sizes: tuple = Chain.sizes) -> nn.Module:
    torch.manual_seed(seed)
    return Chain(sizes).eval()


def test_fully_connected_batch1_s8_dsp_chosen_for_one_row(monkeypatch):
    """Where the row-pair kernels' verdict refuses (here every layer: its bound at 0,
    tests/kernels/test_kernels_dsp_fc_rowpair.py), every layer of the chain takes an int8 batch-1
    kernel (the scratch one unless the arena's lowering took the lean one), not tg_fully_connected_s8_dsp."""
    monkeypatch.setattr(fc_batch1_dsp, "PAIR_SUM_LIMIT", 0)
    calib = np.random.default_rng(0).standard_normal((16, 128)).astype(np.float32)
    _, graph = compile_module(_chain(0), calib, options=CompileOptions(features=frozenset({"dsp"})))
    kernels = [n.kernel for n in graph.nodes if n.op == "fully_connected"]
    assert len(kernels) == 6 and BATCH1 in kernels and set(kernels) <= {BATCH1, LEAN}, kernels


# (seed, specialize, once, sizes, parity) of standin_chains' chains
CHAINS = ((1, True, False, Chain.sizes, None), (2, False, False, Chain.sizes, None), (5, True, True, Chain.sizes, None),
          (6, True, False, LEAN_SIZES, 0), (7, False, False, LEAN_SIZES, 1))


def standin_chains(board_name: str, tmp_path, scratch: str, lean: str, seed: int, chains: tuple = CHAINS,
                   mode_note: str = ""):
    """The chain, specialized (the shared bodies per requantization mode) and generic (the .c
    entry points), and specialized with an ONNX model's single-rounding pairs (the rounds-once
    bodies), with `lean` on the depths it takes and `scratch` on the others, on the board's
    stand-in: every layer equals the reference for 3 inputs. A second chain (LEAN_SIZES) takes both
    kernels through every remainder of the steps unrolled by 8. mode_note: a comment every
    specialized layer's call must carry (its requantization mode, tinygen/codegen/emit.py)."""
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device
    from tinygen.ref.interpreter import quantize_input

    board = get_board(board_name)
    options = CompileOptions(features=frozenset(board.isa_features))
    rng = np.random.default_rng(seed)
    # parity: the lean kernel on the layers of that parity only (LEAN_SIZES: both kernels over the
    # remainders of the unrolled loop), None: on every depth it takes
    for seed, specialize, once, sizes, parity in chains:
        calib = rng.standard_normal((16, sizes[0])).astype(np.float32)
        _, first = compile_module(_chain(seed, sizes), calib, options=options)
        fcs = [n for n in first.nodes if n.op == "fully_connected"]
        # the lean kernel on the depths it takes (of the parity), chosen before the arena is planned
        # (the arena's lowering off: it would take the lean kernel at the peak)
        choice = {n.name: lean if n.attrs["kparams"]["in_features"] % 4 == 0 and parity in (None, i % 2)
                  else scratch for i, n in enumerate(fcs)}
        source, graph = compile_module(_chain(seed, sizes), calib, options=CompileOptions(
            features=frozenset(board.isa_features), kernel_choice=choice, lower_peak=False))
        graph.meta["specialize"] = specialize
        fcs = [n for n in graph.nodes if n.op == "fully_connected"]
        assert [n.kernel for n in fcs] == list(choice.values()) and len(fcs) == 6
        if once:
            assert len(to_single_rounding(graph, {scratch, lean})) == 6
        project = build(source, graph, board, tmp_path / f"s{seed}").out_dir
        code = (project / "model.c").read_text()
        assert (f"{scratch}_inline(" in code and f"{lean}_inline(" in code) == specialize
        assert code.count("rounded once") == (6 if once else 0)
        assert not mode_note or code.count(mode_note) == (6 if specialize else 0)
        with open_device(board, project, emulate=True) as dev:
            for i in range(3):
                x = quantize_input(graph, source.to_graph_layout(calib[i:i + 1] * 1.5))
                assert_device_equals_reference(dev, graph, x, f"{board_name} {scratch} specialize {specialize} "
                                                               f"input {i}")


@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_fully_connected_batch1_s8_dsp_standin(board_name, tmp_path):
    """standin_chains with the int8 kernels."""
    if shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("the stand-in needs qemu-system-arm and arm-none-eabi-gcc")
    standin_chains(board_name, tmp_path, BATCH1, LEAN, 1)


@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_fully_connected_batch1_w16_s8_dsp_standin(board_name, tmp_path):
    """The chain with every layer on the int16-weight kernel (chosen per layer, as --kernels auto
    or the fit would), specialized and generic, and LEAN_SIZES' chain (the other remainders of the
    unrolled loop), on the stand-in: every layer equals the reference."""
    if shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("the stand-in needs qemu-system-arm and arm-none-eabi-gcc")
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device
    from tinygen.ref.interpreter import quantize_input

    board = get_board(board_name)
    rng = np.random.default_rng(3)
    for seed, specialize, sizes in ((3, True, Chain.sizes), (4, False, Chain.sizes), (8, True, LEAN_SIZES)):
        calib = rng.standard_normal((16, sizes[0])).astype(np.float32)
        plain = CompileOptions(features=frozenset(board.isa_features))
        _, first = compile_module(_chain(seed, sizes), calib, options=plain)
        choice = {n.name: W16 for n in first.nodes if n.op == "fully_connected"}
        source, graph = compile_module(_chain(seed, sizes), calib, options=CompileOptions(
            features=frozenset(board.isa_features), kernel_choice=choice, lower_peak=False))
        graph.meta["specialize"] = specialize
        assert [n.kernel for n in graph.nodes if n.op == "fully_connected"] == [W16] * 6
        project = build(source, graph, board, tmp_path / f"s{seed}").out_dir
        assert (f"{W16}_inline(" in (project / "model.c").read_text()) == specialize
        with open_device(board, project, emulate=True) as dev:
            for i in range(3):
                x = quantize_input(graph, source.to_graph_layout(calib[i:i + 1] * 1.5))
                assert_device_equals_reference(dev, graph, x, f"{board_name} w16 specialize {specialize} input {i}")
