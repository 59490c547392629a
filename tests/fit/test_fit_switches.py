"""Fit first for a switchable model (tinygen/fit/switches.py): the RAM trade over the image's
one arena (the largest switch's), and the mixed storage's choice of the nested layers whose top
switch keeps its int8 codes where the flash allows. On the switchable digits example (two
nested middle convs) for the f746zg, tinygen's kernels (nothing measured: deterministic).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from tinygen.board import get_board
from tinygen.build.memory import MemoryFitError
from tinygen.compiler import compile_source, load_source
from tinygen.fit import predicted
from tinygen.fit.ram import lean_options
from tinygen.fit.switches import compile_switches, fit_switches, mixed_lines, switch_choices
from tinygen.passes import CompileOptions
from tinygen.switches import arena_size, switch_graphs

SP_DIGITS = Path(__file__).resolve().parents[2] / "examples" / "switchable" / "sp_digits.py"
PLANES = "tg_conv2d_s8_planes_s8_dsp"


@pytest.fixture(scope="module")
def digits():
    board = get_board("f746zg")
    return load_source(SP_DIGITS), board, CompileOptions(features=board.isa_features)


def _kernels(graph) -> dict[str, list[str]]:
    return {name: [n.kernel for n in g.nodes if n.kernel] for name, g in switch_graphs(graph)}


def test_switchable_ram_budget_met_only_by_the_lean_lowering(digits):
    """Separate storage: w8a8's widening kernels set the image's arena; the lean lowering takes
    w8a8 to the direct kernels and the image's arena falls to the next switch's. A --ram-budget
    that only the lean image meets is met (before: refused), one byte less is refused naming
    the leanest RAM, and a budget the fast image meets changes nothing."""
    source, board, opts = digits
    fast = compile_source(source, None, opts)
    lean = compile_switches(source, None, lean_options(opts), switch_choices(fast))
    ram_fast, ram_lean = (predicted(g, board).regions["ram"].used for g in (fast, lean))
    assert arena_size(lean) < arena_size(fast) and ram_lean < ram_fast
    same = fit_switches(source, None, opts, board.with_budget(ram=ram_fast), fast)
    assert same is fast and "fit_ram" not in same.meta
    fitted = fit_switches(source, None, opts, board.with_budget(ram=ram_lean), fast)
    record = fitted.meta["fit_ram"]
    assert record["ram"] == [ram_fast, ram_lean] and record["arena"] == [arena_size(fast), arena_size(lean)]
    assert record["layers"] and all("/" in layer for layer in record["layers"])
    assert _kernels(fitted) == _kernels(lean) and arena_size(fitted) == arena_size(lean)
    # no switch lowered below the image's arena kept a slower kernel for nothing: the others as fast
    for (name, g), (_, f) in zip(switch_graphs(fitted), switch_graphs(fast)):
        if not g.meta.get("lower_peak"):
            assert _kernels(fitted)[name] == [n.kernel for n in f.nodes if n.kernel]
    with pytest.raises(MemoryFitError, match="even with the kernels that lower the arena most"):
        fit_switches(source, None, opts, board.with_budget(ram=ram_lean - 1), fast)


@pytest.fixture(scope="module")
def nested(digits):
    source, board, opts = digits
    opts = replace(opts, storage="mixed")
    graph = compile_source(source, None, opts)
    return source, board, opts, graph, predicted(graph, board).regions["flash"].used


def test_mixed_storage_takes_the_best_layers_per_flash_byte_within_the_flash(nested):
    """The part's flash: both nested layers keep int8 codes at the top switch, best ratio first
    (qconv_3: half the weights of qconv_6, half its MACs); the other switches still read the
    planes. A budget with room for the first only: qconv_3 alone. No room: none, the nested
    image as it was. Every choice's predicted flash within the budget; same input, same choice."""
    source, board, opts, graph, flash = nested
    both = fit_switches(source, None, opts, board, graph)
    record = both.meta["nested_mixed"]
    assert [r["layer"] for r in record["taken"]] == ["qconv_3", "qconv_6"] and not record["refused"]
    ratios = [r["instructions_saved"] / r["flash_added"] for r in record["taken"]]
    assert ratios == sorted(ratios, reverse=True) and all(r > 0 for r in ratios)
    kernels = _kernels(both)
    assert PLANES not in kernels["w8a8"]
    assert all(kernels[name].count(PLANES) == 2 for name in ("w4a4", "w2a2", "w1a8"))
    first = record["taken"][0]["flash_added"]
    budget = flash + first + record["taken"][1]["flash_added"] // 2
    part = fit_switches(source, None, opts, board.with_budget(flash=budget), graph)
    got = part.meta["nested_mixed"]
    assert [r["layer"] for r in got["taken"]] == ["qconv_3"] and [r["layer"] for r in got["refused"]] == ["qconv_6"]
    assert _kernels(part)["w8a8"].count(PLANES) == 1
    assert predicted(part, board.with_budget(flash=budget)).regions["flash"].used <= budget
    again = fit_switches(source, None, opts, board.with_budget(flash=budget), graph)
    assert again.meta["nested_mixed"] == got and _kernels(again) == _kernels(part)
    none = fit_switches(source, None, opts, board.with_budget(flash=flash + first // 2), graph)
    assert none is graph and none.meta["nested_mixed"]["taken"] == []
    lines = mixed_lines(got)
    assert "1 of 2 nested layers" in lines[0] and "qconv_6" in lines[2] and "planes kept" in lines[2]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                    reason="the Cortex-M7 stand-in needs qemu-system-arm and arm-none-eabi-gcc")
def test_mixed_storage_bit_exact_on_the_f746zg_standin(tmp_path):
    """tests/test_switches.py's switchable net (negated channels at the top switch) with --storage
    mixed on the f746zg: the fit keeps the nested layer's int8 codes at the top switch (room in
    1 MB), the other switches read the planes; one image, every switch bit-exact on the stand-in."""
    from test_switches import MODEL
    from tinygen.compiler import build
    from tinygen.hil.session import run_samples, sample_inputs
    from tinygen.hil.target import open_device

    (tmp_path / "sw_net.py").write_text(MODEL)
    source = load_source(tmp_path / "sw_net.py")
    board = get_board("f746zg")
    opts = CompileOptions(features=board.isa_features, storage="mixed")
    graph = fit_switches(source, None, opts, board, compile_source(source, None, opts))
    assert [r["layer"] for r in graph.meta["nested_mixed"]["taken"]] == ["qconv_3"]
    kernels = _kernels(graph)
    assert not any("planes" in k for k in kernels["w8a8"]) and any("planes" in k for k in kernels["w4a4"])
    result = build(source, graph, board, tmp_path / "fw")
    with open_device(board, result.out_dir, emulate=True) as dev:
        for k, (name, g) in enumerate(switch_graphs(graph)):
            assert dev.switch(k) == (k, name, 4)
            run = run_samples(dev, g, sample_inputs(source, g, 6, seed=k))
            assert run.exact == run.samples == 6, (name, run.mismatches[:1])
