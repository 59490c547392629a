"""tg_fully_connected_shallow_s8_dsp: a fully connected layer of depth <= 16 (a low-rank gate
predictor's r -> out layer, issue 23) with the widened input row in registers and one
build-time record per output.

On the host: a numpy model of the kernel's arithmetic from the packed records (the doubled
input as int16 pairs, SMLAD with the records' weight pairs from 2 x bias, SMMLAR with the
folded rounding, the sign correction, ASR by n, SSAT, the clamp) equals the reference fully
connected layer over drawn depths, widths, offsets, clamps and requantizations; layers the
records cannot serve are refused; the kernel table picks it for shallow layers only. On the
stand-ins (slow): chains of shallow layers (depths 1..16: tails of 1..3 after the groups of
4), specialized and generic, equal the reference on every layer.
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
from single_rounding import once_pairs
from torch_models import compile_module

from tinygen.kernels.fc_shallow_dsp import HEAD, MAX_DEPTH, fc_shallow_records, fc_shallow_serves
from tinygen.passes import CompileOptions
from tinygen.ref import kernels as ref

SHALLOW = "tg_fully_connected_shallow_s8_dsp"


def _halves(words: np.ndarray) -> np.ndarray:
    """int32 words as their (low, high) int16 halves."""
    w = words.astype(np.int64) & 0xFFFFFFFF
    lo, hi = w & 0xFFFF, w >> 16
    return np.stack([lo - ((lo & 0x8000) << 1), hi - ((hi & 0x8000) << 1)], axis=-1)


def _kernel_model(p: dict, x: np.ndarray, packed: np.ndarray) -> np.ndarray:
    depth, cols = p["in_features"], p["out_features"]
    words = (depth + 3) // 4
    rec = packed.astype(np.int64).reshape(cols, HEAD + 2 * words)
    xs = np.zeros((x.shape[0], 4 * words), np.int64)
    xs[:, :depth] = 2 * (x.astype(np.int64) + p["input_offset"])
    out = np.zeros((x.shape[0], cols), np.int64)
    for r in range(x.shape[0]):
        a = rec[:, 0].copy()
        for j in range(words):
            wa, wb = _halves(rec[:, HEAD + 2 * j]), _halves(rec[:, HEAD + 2 * j + 1])
            g = xs[r, 4 * j:4 * j + 4]
            a += wa[:, 0] * g[0] + wa[:, 1] * g[2] + wb[:, 0] * g[1] + wb[:, 1] * g[3]    # 2 SMLAD
        assert (np.abs(a) < 1 << 31).all()
        v = (a * rec[:, 1] + (rec[:, 2] << 32) + (1 << 31)) >> 32       # SMMLAR
        y = np.clip((v + (a >> 63)) >> rec[:, 3], -128, 127)            # + (a >> 31), ASR, SSAT
        out[r] = np.clip(y, p["act_min"], p["act_max"])
    return out.astype(np.int8)


@st.composite
def layer(draw):
    depth, cols, rows = draw(st.integers(1, MAX_DEPTH)), draw(st.integers(1, 20)), draw(st.integers(1, 3))
    lo = draw(st.integers(-128, 0))
    act = draw(st.sampled_from([(-128, 127), (lo, draw(st.integers(lo, 127)))]))
    return dict(rows=rows, in_features=depth, out_features=cols, input_offset=draw(st.integers(-127, 128)),
                output_offset=draw(st.integers(-128, 127)), act_min=act[0], act_max=act[1])


@settings(derandomize=True, max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=layer(), seed=st.integers(0, 2**32 - 1), once=st.booleans())
def test_fully_connected_shallow_s8_records_model_equals_reference(p, seed, once):
    """once: an ONNX model's single-rounding pairs (records with R the zero point, n = 0), served
    where the layer needs no sign's ADD (act_min >= the zero point), refused otherwise."""
    rng = np.random.default_rng(seed)
    depth, cols = p["in_features"], p["out_features"]
    x = rng.integers(-128, 128, size=(p["rows"], depth)).astype(np.int8)
    w = rng.integers(-128, 128, size=(cols, depth)).astype(np.int8)
    w[:, 0] = rng.choice([-128, 127], size=cols)                   # extreme weights
    bias = rng.integers(-(1 << 20), 1 << 20, size=cols)
    multiplier = rng.integers(1 << 30, 1 << 31, size=cols)
    shift = -rng.integers(1, 14, size=cols)
    if once:
        multiplier, shift = once_pairs(rng, cols)
    consts = dict(weight=w, bias=bias, multiplier=multiplier, shift=shift)
    if once and p["act_min"] < p["output_offset"]:
        assert not fc_shallow_serves(p, consts)
        return
    assert fc_shallow_serves(p, consts)
    packed = fc_shallow_records(p, consts)
    assert packed.dtype == np.int32 and packed.size == cols * (HEAD + 2 * ((depth + 3) // 4))
    want = ref.fully_connected_s8(p, x, w, bias, multiplier, shift).reshape(p["rows"], cols)
    got = _kernel_model(p, x, packed)
    diff = np.argwhere(got != want)
    assert diff.size == 0, f"first differences (row, output): {diff[:5].tolist()}"


def test_fully_connected_shallow_s8_refuses_what_it_cannot_serve():
    p = dict(rows=1, in_features=4, out_features=3, input_offset=0, output_offset=0, act_min=-128, act_max=127)
    consts = dict(weight=np.ones((3, 4), np.int8), bias=np.zeros(3, np.int64), multiplier=np.full(3, 1 << 30),
                  shift=np.full(3, -3))
    assert fc_shallow_serves(p, consts)
    assert not fc_shallow_serves(dict(p, in_features=MAX_DEPTH + 1), dict(consts, weight=np.ones((3, 17), np.int8)))
    assert not fc_shallow_serves(p, dict(consts, shift=np.array([-3, 1, -3])))                  # a left shift
    assert not fc_shallow_serves(p, dict(consts, bias=np.full(3, 1 << 30)))                     # accumulator bound
    with pytest.raises(ValueError, match="fc_shallow_serves"):
        fc_shallow_records(p, dict(consts, multiplier=np.array([1 << 30, -5, 1 << 30])))


class Shallow(nn.Module):
    """Linear layers of depth 16, 5 (a tail of 1), 3, 8, 13 (a tail of 1), 4, then a deep one
    (20: not shallow), with and without ReLU."""

    def __init__(self):
        super().__init__()
        sizes = (16, 5, 3, 8, 13, 4, 20, 6)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))

    def forward(self, x):
        for i, lin in enumerate(self.layers):
            x = lin(x)
            x = torch.relu(x) if i % 2 == 0 else x
        return x


def _shallow(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return Shallow().eval()


def test_fully_connected_shallow_s8_dsp_chosen_for_shallow_layers_only():
    options = CompileOptions(features=frozenset({"dsp"}))
    calib = np.random.default_rng(0).standard_normal((16, 16)).astype(np.float32)
    _, graph = compile_module(_shallow(), calib, options=options)
    kernels = [(n.attrs["kparams"]["in_features"], n.kernel) for n in graph.nodes if n.op == "fully_connected"]
    assert kernels and all((k == SHALLOW) == (depth <= MAX_DEPTH) for depth, k in kernels), kernels
    assert [d for d, _ in kernels].count(20) == 1


@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_fully_connected_shallow_s8_dsp_standin(board_name, tmp_path):
    """The chain, specialized (the inline body) and generic (the .c entry point), on the
    stand-in: every layer equals the reference for 3 inputs (one row each: the importer takes
    Linear on flat inputs; the host model above covers several rows)."""
    if shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("the stand-in needs qemu-system-arm and arm-none-eabi-gcc")
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device
    from tinygen.ref.interpreter import quantize_input

    board = get_board(board_name)
    options = CompileOptions(features=frozenset(board.isa_features))
    rng = np.random.default_rng(1)
    for seed, specialize in ((1, True), (2, False)):
        calib = rng.standard_normal((16, 16)).astype(np.float32)
        source, graph = compile_module(_shallow(seed), calib, options=options)
        graph.meta["specialize"] = specialize
        assert [n.kernel for n in graph.nodes].count(SHALLOW) == 6
        project = build(source, graph, board, tmp_path / f"s{seed}").out_dir
        assert (f"{SHALLOW}_inline(" in (project / "model.c").read_text()) == specialize
        with open_device(board, project, emulate=True) as dev:
            for i in range(3):
                x = quantize_input(graph, source.to_graph_layout(calib[i:i + 1] * 1.5))
                assert_device_equals_reference(dev, graph, x, f"{board_name} specialize {specialize} input {i}")
