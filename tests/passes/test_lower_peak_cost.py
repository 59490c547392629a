"""lower_peak weighs instructions (passes/lower_peak.py INSTRUCTIONS_PER_RAM_BYTE): a swap at the
arena's peak may add at most that many executed instructions per arena byte it saves; among
the swaps within the bounds the one adding the fewest per byte wins; the fit-first RAM trade
(tinygen/fit/ram.py) still takes a swap beyond the bound when the RAM budget needs it.

The switchable digits example's w1a8 switch with the binary-weight table kernel
(tg_conv2d_s8_b1lut_s8_dsp: tables in scratch, 0.63 instructions per MAC) on both middle
convs: the scratch-free alternatives are the byte masks (0.81) and the add-only kernel (3.05).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tinygen.board import get_board
from tinygen.compiler import compile_source, load_source, switch_sources
from tinygen.passes import CompileOptions
from tinygen.passes.lower_peak import INSTRUCTIONS_PER_RAM_BYTE, instructions_added, lower_peak_lines

LUT, MASKS, ADDS = "tg_conv2d_s8_b1lut_s8_dsp", "tg_conv2d_s8_b1x8_s8_dsp", "tg_conv2d_s8_b1_s8_dsp"
SP_DIGITS = Path(__file__).resolve().parents[2] / "examples" / "switchable" / "sp_digits.py"


@pytest.fixture(scope="module")
def w1a8():
    """(the w1a8 switch as a plain source, options with the table kernel on both middle convs)."""
    features = get_board("f746zg").isa_features
    one = dict(switch_sources(load_source(SP_DIGITS)))["w1a8"]
    plain = compile_source(one, None, CompileOptions(features=features, lower_peak=False))
    choice = {n.name: LUT for n in plain.nodes if n.kernel == MASKS}
    assert len(choice) == 2, [n.kernel for n in plain.nodes]
    return one, CompileOptions(features=features, kernel_choice=choice)


def _kernels(graph) -> dict[str, str]:
    return {n.name: n.kernel for n in graph.nodes if n.kernel in (LUT, MASKS, ADDS)}


def test_swap_beyond_the_bound_is_refused(w1a8):
    """By default no swap: each costs hundreds of instructions per arena byte it saves (an
    estimate: nothing measured). Without the bound the first swap is taken; at exactly its
    cost per byte it is taken, one instruction per byte below it is refused."""
    one, opts = w1a8
    kept = compile_source(one, None, opts)
    assert kept.meta["lower_peak"] == [] and set(_kernels(kept).values()) == {LUT}
    free = compile_source(one, None, replace(opts, lower_peak_instructions=None))
    first = free.meta["lower_peak"][0]
    assert free.meta["memory"].arena_size < kept.meta["memory"].arena_size
    saved = first["arena_before"] - first["arena_after"]
    added, measured = instructions_added(kept, {first["node"]: first["kernel"]})
    assert added == first["instructions_added"] and not measured
    assert added / saved > INSTRUCTIONS_PER_RAM_BYTE
    at = compile_source(one, None, replace(opts, lower_peak_instructions=added / saved))
    assert at.meta["lower_peak"][:1] == [first]
    below = compile_source(one, None, replace(opts, lower_peak_instructions=added / saved - 1))
    assert [c["node"] for c in below.meta["lower_peak"]] != [first["node"]] or \
        below.meta["lower_peak"][0]["kernel"] != first["kernel"]


def test_the_cheapest_swap_per_byte_wins_measured_counts_first(w1a8):
    """With both bounds wide open both scratch-free kernels are acceptable (the byte masks
    add flash: 8 bits per weight against the tables' 2): the estimate makes the byte masks
    the cheaper; measured counts saying the add-only kernel is cheaper make it the choice,
    and the change records them as measured."""
    one, opts = w1a8
    wide = replace(opts, lower_peak_instructions=1e9, lower_peak_flash=1e9)
    by_estimate = compile_source(one, None, wide).meta["lower_peak"]
    assert by_estimate and by_estimate[0]["kernel"] == MASKS and not by_estimate[0]["measured"]
    node = by_estimate[0]["node"]
    counts = {node: {LUT: 100_000, MASKS: 400_000, ADDS: 150_000}}
    by_count = compile_source(one, None, replace(wide, kernel_counts=counts)).meta["lower_peak"]
    assert by_count[0]["node"] == node and by_count[0]["kernel"] == ADDS
    assert by_count[0]["instructions_added"] == 50_000 and by_count[0]["measured"]


def test_same_input_same_choice(w1a8):
    one, opts = w1a8
    for bound in (None, INSTRUCTIONS_PER_RAM_BYTE, 1e9):
        a, b = (compile_source(one, None, replace(opts, lower_peak_instructions=bound)) for _ in range(2))
        assert a.meta["lower_peak"] == b.meta["lower_peak"] and _kernels(a) == _kernels(b)
        assert a.meta["memory"].arena_size == b.meta["memory"].arena_size


def test_inspect_prints_what_each_swap_cost(w1a8):
    one, opts = w1a8
    graph = compile_source(one, None, replace(opts, lower_peak_instructions=None))
    lines = lower_peak_lines(graph)
    assert len(lines) == len(graph.meta["lower_peak"]) >= 1
    for line, change in zip(lines, graph.meta["lower_peak"]):
        assert f"{change['instructions_added']:+,} instructions (estimated)" in line, line


def test_a_swap_beyond_the_bound_is_taken_when_the_ram_budget_needs_it(w1a8):
    """--ram-budget between the lean arena's RAM and the fast one's: the fit-first RAM trade
    compiles again with no bound and takes the swaps (tinygen.fit.fit_model)."""
    from tinygen.fit import fit_model, predicted

    one, opts = w1a8
    board = get_board("f746zg")
    fast = compile_source(one, None, opts)
    lean = compile_source(one, None, replace(opts, lower_peak_flash=None, lower_peak_instructions=None))
    ram_fast = predicted(fast, board).regions["ram"].used
    ram_lean = predicted(lean, board).regions["ram"].used
    assert ram_lean < ram_fast
    loose = fit_model(one, None, opts, board.with_budget(ram=ram_fast), fast)
    assert loose.meta["lower_peak"] == [] and "fit_ram" not in loose.meta
    tight = fit_model(one, None, opts, board.with_budget(ram=ram_lean), fast)
    assert tight.meta["fit_ram"]["ram"] == [ram_fast, ram_lean]
    assert tight.meta["lower_peak"] == lean.meta["lower_peak"] and _kernels(tight) == _kernels(lean)
    assert tight.meta["memory"].arena_size == lean.meta["memory"].arena_size


def test_peak_nodes_found_where_alignment_gaps_put_the_arena_above_every_live_set():
    """lower_peak looks for its swaps at the nodes where the arena peaks. Buffers are placed
    at 16-byte alignment, so a live set of odd-sized buffers can need more arena than the sum
    of its sizes: where no live set reaches the arena, the peak nodes are those whose aligned
    live bytes are largest, never none."""
    from tinygen.ir import Graph, Node
    from tinygen.passes.lower_peak import _peak_nodes
    from tinygen.passes.plan_memory import Buffer, MemoryPlan

    graph = Graph("g", nodes=[Node(name=f"n{i}", op="relu", inputs=[], outputs=[]) for i in range(3)])
    # n1 holds 5 + 9 bytes (two 16-byte slots: 32 aligned), n2 9 + 3 (32), n0 10 (16):
    # the arena (48, e.g. a placement gap) is above every live set
    buffers = [Buffer("a", 10, 0, 0), Buffer("b", 5, 1, 1), Buffer("c", 9, 1, 2), Buffer("d", 3, 2, 2)]
    plan = MemoryPlan(arena_size=48, buffers=buffers, offsets={}, scratch={}, peak_live=20)
    graph.meta["memory"] = plan
    assert [n.name for n in _peak_nodes(graph)] == ["n1", "n2"]
    plan.arena_size = 32          # the aligned live set of n1 and n2 fills the arena exactly
    assert [n.name for n in _peak_nodes(graph)] == ["n1", "n2"]
    buffers[0].size = 33          # n0's 48 aligned bytes are now the peak
    plan.arena_size = 48
    assert [n.name for n in _peak_nodes(graph)] == ["n0"]
    buffers[0].size = 10          # where a live set reaches the arena, those nodes alone
    plan.arena_size = 14
    assert [n.name for n in _peak_nodes(graph)] == ["n1"]
