"""The tiling choice (passes/tile_choice.py, tinygen/fit/ram.py): the pruned search finds
what re-planning every candidate finds, each candidate's estimate is a lower bound on its
re-planned arena; `inspect --memory --tile auto` prints the arena before and after; the fit
step tiles a model whose RAM does not fit a --ram-budget otherwise, and names the tiled RAM
where even that does not fit."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from pass_lib import Builder
from test_tile import _compile, stacks
from tinygen.board import get_board
from tinygen.build.memory import MemoryFitError
from tinygen.cli import main
from tinygen.compiler import compile_source, load_source
from tinygen.fit import fit_model, predicted
from tinygen.fit.ram import ram_fit_lines
from tinygen.report.inspect import memory_report
from tinygen.passes import CompileOptions, tile_choice
from tinygen.passes.choose_kernels import choose_kernels
from tinygen.passes.plan_memory import plan_memory
from tinygen.passes.reorder import reorder
from tinygen.passes.tile import rewrite
from tinygen.passes.tile_choice import candidates, exhaustive, search
from tinygen.passes.tile_geometry import stage_of

ROOT = Path(__file__).resolve().parents[2]
CNN = ROOT / "examples" / "models" / "cnn.py"       # 28x28 digits: its peak is in the first conv's maps
F746 = get_board("f746zg")
SETTINGS = settings(max_examples=15, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _replan(graph):
    return plan_memory(reorder(choose_kernels(graph)))


@SETTINGS
@given(stacks())
def test_tile_choice_pruned_equals_exhaustive_s8_host(monkeypatch, case):
    monkeypatch.setattr(tile_choice, "MAX_GRID", 3)          # grids up to 3x3: small graphs to re-plan
    monkeypatch.setattr(tile_choice, "BAND_COUNTS", (2, 3, 5))  # and 2, 3, 5 row bands
    graph, _, _ = case
    graph = _compile(graph)
    splits = [n.outputs[0] for n in graph.nodes if not isinstance(stage_of(graph, n.outputs[0]), str)]
    if not splits:
        return                                              # every layer was too small: no stage
    ctx, cands = candidates(graph, splits, rewrite)
    assert cands
    for c in cands:                                         # the estimate is a lower bound
        planned = _replan(c.build())
        arena = planned.meta["memory"].arena_size
        assert c.estimate <= arena, f"{c.setting}: estimate {c.estimate} B above the re-planned {arena} B"
        c.build = lambda planned=planned: planned           # re-planned once: the searches below reuse it
    # every limit, including one no candidate meets, and an arena every one lowers
    for limit in (0.0, 0.05 * ctx.macs, 10.0 * ctx.macs):
        for before in (graph.meta["memory"].arena_size, 10**9):
            want = exhaustive(cands, lambda g: g, limit, before)
            got, _, planned = search(cands, lambda g: g, limit, before, max_replans=None)
            assert (got is None) == (want is None)
            if want is not None:
                assert got[0] == want[0] and got[2].setting == want[2].setting
                assert got[1].meta["memory"].arena_size == want[1].meta["memory"].arena_size
            assert planned <= sum(c.extra_macs <= limit for c in cands)


def _inspect(capsys, *extra) -> str:
    """`tinygen inspect CNN --board f746zg --memory` with the preferred kernels (--kernels auto would
    measure its candidates on the stand-in first; the test below accepts tiles or row bands, whichever
    the kernels make win)."""
    assert main(["inspect", str(CNN), "--board", "f746zg", "--memory", "--kernels", "tinygen", *extra]) == 0
    return capsys.readouterr().out


def test_tile_choice_inspect_memory_before_after_cnn(capsys):
    untiled = compile_source(load_source(CNN), None, CompileOptions(features=F746.isa_features))
    out = _inspect(capsys, "--tile", "auto")
    line = next(x for x in out.splitlines() if x.startswith("tiling:"))
    # tiles recompute their halos; row bands that cache them recompute nothing (which one wins follows
    # the kernels: the preferred ones here, _inspect)
    m = re.search(r"stage up to (\S+) in (?:(\d+)x(\d+) tiles|(\d+) row bands, halos cached).*: "
                  r"arena (\d+) B -> (\d+) B, \+(\d+) MACs", line)
    assert m, line
    split, gh, gw, bands, before, after, extra = m.groups()
    if bands is None:
        assert int(gh) * int(gw) > 1 and int(extra) > 0
    else:
        assert int(bands) > 1 and int(extra) == 0
    assert int(before) == untiled.meta["memory"].arena_size      # the untiled model's plan (before lower_peak)
    assert int(after) < int(before)
    assert split in {n.outputs[0] for n in untiled.nodes}
    assert not any(x.startswith("tiling:") for x in _inspect(capsys, "--tile", "off").splitlines())


def test_tile_choice_inspect_says_why_untiled_peak_in_last_layers():
    b = Builder("tail_heavy")
    conv = {"stride": (1, 1), "dilation": (1, 1), "padding": (0, 0, 0, 0)}
    x = b.input((1, 4, 4, 1))
    x = b.op("conv2d", [x], (1, 4, 4, 2), name="c1", attrs=conv, weight=b.rand(2, 1, 1, 1), bias=b.rand(2))
    x = b.op("conv2d", [x], (1, 4, 4, 64), name="c2", attrs=conv, weight=b.rand(64, 1, 1, 2), bias=b.rand(64))
    x = b.op("conv2d", [x], (1, 4, 4, 64), name="head", attrs=conv, weight=b.rand(64, 1, 1, 64), bias=b.rand(64))
    graph = _compile(b.output(x), CompileOptions(tile="auto"))
    assert not any(n.attrs.get("tile_of") for n in graph.nodes)
    report = memory_report(graph)
    assert "tiling: not applied: the peak is in the last layers: at head (conv2d)" in report, report


@pytest.fixture(scope="module")
def cnn():
    source = load_source(CNN)
    options = CompileOptions(features=F746.isa_features)
    graph = compile_source(source, None, options)
    from tinygen.fit.ram import lean_options, tiled_options

    lean = compile_source(source, None, lean_options(options))
    tiled = compile_source(source, None, tiled_options(options, True))
    return source, options, graph, lean, tiled


def _ram(graph, board=F746) -> int:
    return predicted(graph, board).regions["ram"].used


def test_tile_choice_fit_tiles_to_meet_a_ram_budget_f746zg(cnn):
    source, options, graph, lean, tiled = cnn
    assert tiled.meta["tile"]["applied"]
    budget = F746.with_budget(ram=_ram(tiled))
    assert _ram(lean, budget) > budget.region("ram")["size"]     # the lean kernels alone do not fit it
    fitted = fit_model(source, None, options, budget, graph)
    record = fitted.meta["fit_ram"]
    assert record["tile"] and record["tile"]["split"] == tiled.meta["tile"]["split"]
    assert record["ram"] == [_ram(graph), _ram(tiled)] and record["ram"][1] <= record["capacity"]
    assert sum(1 for n in fitted.nodes if n.attrs.get("tile_of")) > 0
    assert any("tiling turned on to fit" in line for line in ram_fit_lines(record))
    # the part itself has room: untouched, untiled
    assert "fit_ram" not in fit_model(source, None, options, F746, graph).meta
    # --tile off: never tiled, so the budget is refused
    with pytest.raises(MemoryFitError) as e:
        fit_model(source, None, CompileOptions(features=F746.isa_features, tile="off"), budget, graph)
    assert "tiled" not in e.value.message


def test_tile_choice_ram_budget_below_the_tiled_is_refused_f746zg(cnn):
    source, options, graph, lean, tiled = cnn
    budget = F746.with_budget(ram=_ram(tiled) - 1)
    with pytest.raises(MemoryFitError) as e:
        fit_model(source, None, options, budget, graph)
    message = e.value.message
    split = tiled.meta["tile"]["split"]
    gh, gw = tiled.meta["tile"]["grid"]
    assert "RAM needs" in message and f"(arena {lean.meta['memory'].arena_size:,} B" in message, message
    assert f"tiled (the stage up to {split} in {gh}x{gw} tiles) RAM {_ram(tiled):,} B" in message, message
    np.testing.assert_array_less(_ram(tiled), _ram(lean))


def test_tile_choice_within_a_budget_takes_the_cheapest_that_fits_cnn():
    """("auto", budget), the fit's RAM trade: the tiling with the fewest extra MACs, then the
    fewest tiles or bands, whose re-planned arena is within the budget: every cheaper candidate
    re-planned is over it (or over the MAC limit); a budget the untiled arena meets: untiled."""
    from dataclasses import replace

    from tinygen.passes.analysis import total_macs
    from tinygen.passes.tile import MAX_EXTRA_MACS, auto_splits, tiles_of

    source = load_source(CNN)
    options = CompileOptions(lower_peak=False)
    plain = compile_source(source, None, options)
    smallest = compile_source(source, None, replace(options, tile="auto"))
    before, lowest = plain.meta["memory"].arena_size, smallest.meta["memory"].arena_size
    assert lowest < before
    budget = (3 * lowest + before) // 4            # some cheaper candidates are over it (5 here)
    within = compile_source(source, None, replace(options, tile=("auto", budget)))
    info = within.meta["tile"]
    assert info["applied"] and within.meta["memory"].arena_size <= budget, info
    setting = (info["split"], "bands", info["grid"][0]) if info["mode"] == "bands" else (info["split"], tuple(info["grid"]))
    key = (info["extra_macs"], tiles_of(setting))
    _, cands = candidates(plain, auto_splits(plain)[0], rewrite)
    cheaper = [c for c in cands if (c.extra_macs, tiles_of(c.setting)) < key
               and c.extra_macs <= MAX_EXTRA_MACS * total_macs(plain)]
    assert cheaper
    for c in cheaper:
        assert _replan(c.build()).meta["memory"].arena_size > budget, c.setting
    untiled = compile_source(source, None, replace(options, tile=("auto", before)))
    assert not untiled.meta["tile"]["applied"] and "within the budget" in untiled.meta["tile"]["why"]
