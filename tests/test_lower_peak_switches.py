"""lower_peak on a switchable image (tinygen/switches.py relax_lowering, the pass's floor):
a switch's arena lowered below another switch's saves no RAM on the device, so its
faster kernels stay; lowering still happens where it lowers the image's arena.

The switchable digits example's w1a8 switch with the binary-weight table kernel
(tg_conv2d_s8_b1lut_s8_dsp, scratch for its tables) on both middle convs, as
--kernels auto measures it fastest on the f746zg stand-in.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tinygen.board import get_board
from tinygen.compiler import compile_source, load_source, switch_sources
from tinygen.passes import CompileOptions
from tinygen.switches import arena_size, attach, lowering_bound, relax_lowering

LUT, MASKS = "tg_conv2d_s8_b1lut_s8_dsp", "tg_conv2d_s8_b1x8_s8_dsp"
SP_DIGITS = Path(__file__).resolve().parent.parent / "examples" / "switchable" / "sp_digits.py"


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
                                                               arena_floor=floor))
    return compile_one


def _kernels(graph) -> list[str]:
    return [n.kernel for n in graph.nodes if n.kernel in (LUT, MASKS) or "b1" in (n.kernel or "")]


def test_lower_peak_floor_keeps_the_table_kernel_above_the_floor(digits):
    """No floor: both table kernels swapped (arena 6,272 -> 3,072 B). Floor at w8a8's arena:
    lowered only until the arena is within it, one conv keeps the table kernel. Floor above
    the arena: nothing swapped."""
    w8a8 = digits("w8a8").meta["memory"].arena_size
    full = digits("w1a8")
    changes = full.meta["lower_peak"]
    assert len(changes) == 2 and LUT not in _kernels(full)
    top = changes[0]["arena_before"]                  # both table kernels' arena
    assert full.meta["memory"].arena_size < w8a8 < top
    floored = digits("w1a8", w8a8)
    assert len(floored.meta["lower_peak"]) == 1 and _kernels(floored).count(LUT) == 1
    assert floored.meta["memory"].arena_size <= w8a8 and floored.meta["lower_peak_floor"] == w8a8
    above = digits("w1a8", top)
    assert above.meta["lower_peak"] == [] and _kernels(above).count(LUT) == 2


def test_switchable_image_keeps_the_faster_kernel_where_another_switch_sets_the_arena(digits):
    """w8a8 sets the image's arena: w1a8 is compiled again with that floor and keeps a table
    kernel; the image's arena (the largest switch's) does not change, so whatever RAM budget
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
    assert LUT in _kernels(relaxed[1][1]) and LUT not in _kernels(compiled[1][1])
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
