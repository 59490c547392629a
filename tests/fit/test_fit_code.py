"""The fit's lean-code image (tinygen/fit/code.py): where every layer's smallest constants do
not fit, the kernels' generic code, shared, fits; what is left of the part buys speed back."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from e2e import assert_device_equals_reference
from test_fit import BLOCK, F746, wide_choice
from tinygen.compiler import compile_source, load_source
from tinygen.fit import _candidates, fit_lines, fit_model, layer_options, predicted, smallest_options
from tinygen.fit.code import _most, faster_options, fusion_choice, kernel_move
from tinygen.fit.trade import LayerOptions, Option
from tinygen.ir import Graph, Node
from tinygen.kernels.specialize import INLINE
from tinygen.passes import CompileOptions


def test_kernel_move_takes_the_kernel_whose_layers_move_for_the_fewest_instructions():
    layers = [
        LayerOptions("a", "conv2d", (Option("k1", 100, 1000), Option("k2", 100, 1100))),
        LayerOptions("b", "conv2d", (Option("k2", 50, 500),)),
        LayerOptions("c", "conv2d", (Option("k3", 80, 800), Option("k2", 80, 2000), Option("k1", 80, 850))),
        # d's only alternative has more constants: k4 cannot go
        LayerOptions("d", "conv2d", (Option("k4", 10, 100), Option("k2", 20, 90))),
    ]
    pick = {layer.node: layer.options[0] for layer in layers}
    move = kernel_move(layers, pick)
    # k1 (a -> k2: +100) and k3 (c -> k1: +50) can go; k3's move adds fewer instructions
    assert move == {"c": Option("k1", 80, 850)}
    pick.update(move)
    # now k1 holds a and c, both movable to k2 (+100, +1200); k2 itself cannot go (b has no other)
    assert kernel_move(layers, pick) == {"a": Option("k2", 100, 1100), "c": Option("k2", 80, 2000)}
    pick.update(kernel_move(layers, pick))
    assert kernel_move(layers, pick) is None


def test_fusion_choice_unfuses_band_copies_by_their_origin_all_or_none():
    """A conv2d_add's band copies (attrs tile_of) are unfused as their original node, which the
    fuse pass (before tiling) knows; where only some copies chose the separate add, none is, and
    those copies are not pinned; a conv the graph was compiled with unfused stays so."""
    g = Graph("g")
    for name, origin in (("c_b0", "c"), ("c_b1", "c"), ("d_b0", "d"), ("d_b1", "d"), ("e", None)):
        g.nodes.append(Node(name, "conv2d_add", [], [], attrs={"tile_of": origin} if origin else {}))
    conv, fused = Option("conv", 10, 5, unfuse=True), Option("fused", 10, 4)
    pins, unfused = fusion_choice(g, {"c_b0": conv, "c_b1": conv, "d_b0": conv, "d_b1": fused, "e": fused})
    assert unfused == {"c"}
    assert pins == {"c_b0": "conv", "c_b1": "conv", "d_b1": "fused", "e": "fused"}
    g.meta["unfused"] = ["x"]
    assert fusion_choice(g, {"e": conv})[1] == {"e", "x"}


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.integers(0, 40), st.data())
def test_most_finds_the_largest_fitting_count(count, data):
    limit = data.draw(st.integers(0, count))
    probes = []

    def fits(k):
        probes.append(k)
        return k <= limit

    enough = max(1, count).bit_length() + 1
    assert _most(count, fits, enough) == limit
    assert len(probes) <= enough and 0 not in probes
    few = _most(count, lambda k: k <= limit, 2)     # fewer probes: never a count that does not fit
    assert few <= limit


def test_faster_options_rank_by_instructions_saved_per_byte():
    layers = [
        LayerOptions("a", "conv2d", (Option("slow", 100, 9000), Option("fast", 200, 1000), Option("mid", 110, 5000))),
        LayerOptions("b", "depthwise_conv2d", (Option("plain", 10, 50_000), Option("dsp", 40, 10_000))),
        LayerOptions("c", "conv2d_add", (Option("fused", 30, 900), Option("conv", 30, 500, unfuse=True))),
    ]
    pick = {"a": layers[0].options[0], "b": layers[1].options[0], "c": layers[2].options[0]}
    # b: 40,000 / 30 B; a: mid 4,000 / 10 B beats fast 8,000 / 100 B; c: an unfused option is no give-back
    assert faster_options(layers, pick) == [("b", Option("dsp", 40, 10_000)), ("a", Option("mid", 110, 5000))]


# test_fit's residual Block, six of them 32 channels wide at 8x8: 12 layers of the same
# kernels, whose specialized bodies (about 1 KiB each) outweigh the generic kernels' code.
DEEP = BLOCK.replace("nn.Conv2d(16, 144, 3, 1, 1), nn.ReLU(), Block(144)",
                     "nn.Conv2d(16, 32, 3, 1, 1), nn.ReLU(), *[Block(32) for _ in range(6)]").replace("144, 10", "32, 10")


@pytest.fixture(scope="module")
def block(tmp_path_factory):
    path = tmp_path_factory.mktemp("fitcode") / "deep.py"
    path.write_text(DEEP)
    return load_source(path)


def _wide_options(source, board):
    plain = compile_source(source, None, CompileOptions(features=board.isa_features, kernels="tinygen"))
    wide = wide_choice(plain, board.isa_features, "tinygen")
    return CompileOptions(features=board.isa_features, kernels="tinygen", kernel_choice=wide)


@pytest.fixture(scope="module")
def lean(block):
    """The block fitted to a flash budget one byte below its smallest constants' own linked image."""
    options = _wide_options(block, F746)
    graph = compile_source(block, None, options)
    layers = layer_options(graph, _candidates(options), {})
    pins, unfused = fusion_choice(graph, smallest_options(layers))
    smallest = compile_source(block, None, CompileOptions(features=F746.isa_features, kernels="tinygen",
                                                          fit_choice=pins, unfused=unfused))
    need = predicted(smallest, F746).regions["flash"].used
    board = F746.with_budget(flash=need - 1)
    return fit_model(block, None, options, board, graph), board, need


def test_lean_code_fits_below_the_smallest_constants(lean):
    graph, board, need = lean
    fit = graph.meta["fit"]
    assert fit["flash"]["used"] <= fit["flash"]["capacity"] == need - 1
    code = fit["code"]
    generic = [n.name for n in graph.nodes if n.attrs.get("specialize") is False]
    assert code["generic"] == len(generic) > 0, code
    assert code["specialized"] == sum(1 for n in graph.nodes if n.kernel in INLINE and "specialize" not in n.attrs)
    assert any(line.startswith("fit: lean code:") for line in fit_lines(fit))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="needs arm-none-eabi-gcc and qemu-system-arm (make toolchain installs them)")
def test_lean_code_image_links_within_the_budget_and_runs_bit_exact_f746zg_standin(block, lean, tmp_path):
    from tinygen.compiler import build
    from tinygen.hil.target import open_device

    graph, board, need = lean
    result = build(block, graph, board, tmp_path / "fw")
    linked = result.manifest["memory"]["firmware.elf"]["flash"]
    assert linked["used"] < need, linked
    rng = np.random.default_rng(7)
    size = graph.tensor(graph.inputs[0]).size
    with open_device(board, result.out_dir, emulate=True) as dev:
        for k in range(2):
            assert_device_equals_reference(dev, graph, rng.integers(-128, 128, size=size, dtype=np.int8), f"input {k}")
