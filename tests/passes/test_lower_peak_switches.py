"""lower_peak on a switchable image (tinygen/switches.py relax_lowering, the pass's floor):
a switch's arena lowered below another switch's saves no RAM on the device, so its
faster kernels stay; lowering still happens where it lowers the image's arena.

The switchable digits example's w1a8 switch with the binary-weight table kernel
(tg_conv2d_s8_b1lut_s8_dsp, scratch for its tables) on both middle convs, as
--kernels auto measures it fastest on the f746zg stand-in. The floor is tested with the pass
weighing no instructions (CompileOptions.lower_peak_instructions None, as the RAM trade
compiles): by default the swaps below add far more instructions per byte than
INSTRUCTIONS_PER_RAM_BYTE and are refused (tests/passes/test_lower_peak_cost.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tinygen.board import get_board
from tinygen.compiler import compile_source, load_source, switch_sources
from tinygen.passes import CompileOptions
from tinygen.switches import arena_size, attach, lowering_bound, relax_lowering

LUT, MASKS = "tg_conv2d_s8_b1lut_s8_dsp", "tg_conv2d_s8_b1x8_s8_dsp"
SP_DIGITS = Path(__file__).resolve().parents[2] / "examples" / "switchable" / "sp_digits.py"


@pytest.fixture(scope="module")
def digits():
    """(switch sources by name, the w1a8 table-kernel choice, compile(name, floor))."""
    features = get_board("f746zg").isa_features
    ones = dict(switch_sources(load_source(SP_DIGITS)))
    plain = compile_source(ones["w1a8"], None, CompileOptions(features=features))
    choice = {n.name: LUT for n in plain.nodes if n.kernel == MASKS}
    assert len(choice) == 2, [n.kernel for n in plain.nodes]

    def compile_one(name: str, floor: int = 0):
        pick = choice if name == "w1a8" else None
        return compile_source(ones[name], None, CompileOptions(features=features, kernel_choice=pick,
                                                               arena_floor=floor, lower_peak_instructions=None))
    return compile_one


def _kernels(graph) -> list[str]:
    return [n.kernel for n in graph.nodes if n.kernel in (LUT, MASKS) or "b1" in (n.kernel or "")]


def test_lower_peak_floor_keeps_the_table_kernel_above_the_floor(digits):
    """No floor: both table kernels swapped (two steps down). Floor at the first step's arena:
    lowered only that far, the other conv keeps the table kernel. Floor at the arena with
    both table kernels: nothing swapped."""
    full = digits("w1a8")
    changes = full.meta["lower_peak"]
    assert len(changes) == 2 and LUT not in _kernels(full)
    top, step = changes[0]["arena_before"], changes[0]["arena_after"]
    assert full.meta["memory"].arena_size < step < top
    floored = digits("w1a8", step)
    assert floored.meta["lower_peak"] == changes[:1] and _kernels(floored).count(LUT) == 1
    assert floored.meta["memory"].arena_size == step and floored.meta["lower_peak_floor"] == step
    above = digits("w1a8", top)
    assert above.meta["lower_peak"] == [] and _kernels(above).count(LUT) == 2
    assert above.meta["memory"].arena_size == top


def test_switchable_image_keeps_the_faster_kernel_where_another_switch_sets_the_arena(digits):
    """w8a8 sets the image's arena: w1a8 is compiled again with that floor and keeps both table
    kernels; the image's arena (the largest switch's) does not change, so whatever RAM budget
    the fully lowered image fitted, the relaxed one fits."""
    compiled = [("w8a8", digits("w8a8")), ("w1a8", digits("w1a8"))]
    before = arena_size(attach(list(compiled)))
    assert lowering_bound(compiled, 1) == compiled[0][1].meta["memory"].arena_size == before
    asked = []

    def recompile(k, bound):
        asked.append((k, bound))
        return digits(compiled[k][0], bound)
    relaxed = relax_lowering(compiled, recompile)
    assert asked == [(1, before)]                     # w8a8 had nothing to relax
    assert relaxed[0][1] is compiled[0][1]
    assert _kernels(relaxed[1][1]).count(LUT) == 2 and LUT not in _kernels(compiled[1][1])
    assert arena_size(attach(list(relaxed))) == before


def test_switchable_image_lowers_where_the_switch_sets_the_arena(digits):
    """Beside w1a1 (a smaller arena) w1a8 sets the image's arena: every swap lowers it, kept."""
    compiled = [("w1a8", digits("w1a8")), ("w1a1", digits("w1a1"))]
    bound = lowering_bound(compiled, 0)
    assert bound < compiled[0][1].meta["memory"].arena_size

    def recompile(k, floor):
        raise AssertionError(f"switch {k} recompiled with floor {floor}: its lowering all counts")
    relaxed = relax_lowering(compiled, recompile)
    assert [g for _, g in relaxed] == [g for _, g in compiled]
    assert LUT not in _kernels(relaxed[0][1])


def test_kernels_auto_switchable_keeps_the_measured_faster_kernel(tmp_path):
    """--kernels auto on the switchable digits (a stand-in of counts: the table kernel the
    fastest): measured under full lowering, lower_peak swaps w1a8's table kernels back (their
    scratch is below w8a8's arena); the switch is chosen again with the floor and keeps them,
    and the image's arena is the one the fully lowered switches needed."""
    from tinygen.fit.autotune import compile_auto
    from tinygen.fit.measure_cache import MeasurementCache
    from tinygen.switches import find, switch_graphs

    board = get_board("f746zg")
    asked = []

    def fake(source, variant, board, wait):
        asked.append(sorted(n.kernel for n in variant.nodes if n.kernel))
        return {n.name: 1 if n.kernel == LUT else 1000 for n in variant.nodes if n.kernel}
    source = load_source(SP_DIGITS)
    opts = CompileOptions(features=board.isa_features)
    graph = compile_auto(source, None, opts, board, measure=fake, cache=MeasurementCache(tmp_path / "c.json"))
    _, _, w1a8 = find(graph, "w1a8")
    assert _kernels(w1a8).count(LUT) == 2 and not w1a8.meta["lower_peak"]
    lowered = compile_source(switch_sources(source)[3][1], None,
                             CompileOptions(features=board.isa_features, kernels="auto", lower_peak_instructions=None,
                                            kernel_choice={n.name: LUT for n in w1a8.nodes if n.kernel == LUT}))
    assert LUT not in _kernels(lowered)              # what full lowering would have done
    # the image's arena is still w8a8's: w1a8's tables fit under it
    assert arena_size(graph) == find(graph, "w8a8")[2].meta["memory"].arena_size \
        == lowering_bound(switch_graphs(graph), 3) > w1a8.meta["memory"].arena_size
    assert any(LUT in kernels for kernels in asked)  # measured where the floor let it apply
