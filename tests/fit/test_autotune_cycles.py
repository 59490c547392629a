"""--kernels auto by estimated cycles on the boards with a timing model (issue 72): the metric
per board, its cache keys, the screening by instructions and a pick that differs by metric."""

from __future__ import annotations

import dataclasses

import pytest

from e2e import example_source
from test_autotune import F746, MODEL, FakeStandin, choices, options
from tinygen.board import get_board
from tinygen.fit import measure_cache
from tinygen.fit.autotune import SCREEN_RATIO, compile_auto, metric_for, unavailable
from tinygen.fit.measure_cache import MeasurementCache, key_digest, layer_key
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.report.kernels import choice_table

NANO = get_board("nano33ble")       # a Cortex-M4F without [timing] in its board file


def _speed():
    return dataclasses.replace(options(), prefer="speed")


class Scaled:
    """Another metric of FakeStandin's layers: its count times a factor per kernel (default 1),
    and which (layer, kernel) pairs each variant ran."""

    def __init__(self, base: FakeStandin, factor: dict[str, float] | None = None):
        self.base, self.factor, self.ran = base, factor or {}, []

    def __call__(self, source, graph, board, timeout=None) -> dict[str, int]:
        self.ran.append({n.name: n.kernel for n in graph.nodes if n.kernel})
        return {n.name: int(self.base.count(n, n.kernel) * self.factor.get(n.kernel, 1.0))
                for n in graph.nodes if n.kernel}


def test_metric_is_cycles_where_the_board_has_a_timing_model():
    assert "timing" in F746.raw and metric_for(F746) == "cycles"
    assert metric_for(get_board("f446re")) == "cycles"
    assert "timing" not in NANO.raw and metric_for(NANO) == "instructions"
    assert metric_for(dataclasses.replace(F746, raw={k: v for k, v in F746.raw.items() if k != "timing"})) \
        == "instructions"


def test_report_names_the_metric(tmp_path):
    source = example_source(MODEL)
    timed = compile_auto(source, None, _speed(), F746, measure=FakeStandin(), cache=MeasurementCache(tmp_path / "a"))
    assert timed.meta["kernels"]["metric"] == "cycles"
    assert choice_table(timed.meta["kernels"]).splitlines()[0].split()[2:4] == ["est.", "cycles"]
    nano_opts = dataclasses.replace(_speed(), features=NANO.isa_features)
    untimed = compile_auto(source, None, nano_opts, NANO, measure=FakeStandin(), cache=MeasurementCache(tmp_path / "b"))
    assert untimed.meta["kernels"]["metric"] == "instructions"
    assert "other candidates (instructions)" in choice_table(untimed.meta["kernels"]).splitlines()[0]


def test_cache_key_changes_with_the_metric_and_the_timing_model(tmp_path, monkeypatch):
    graph = compile_auto(example_source(MODEL), None, _speed(), F746, measure=FakeStandin(),
                         cache=MeasurementCache(tmp_path / "c.json"))
    node = next(n for n in graph.nodes if n.name in choices(graph))
    spec = KERNELS_BY_NAME[node.kernel]
    by_instructions = layer_key(graph, node, spec, F746)
    by_cycles = layer_key(graph, node, spec, F746, metric="cycles")
    assert "metric" not in by_instructions and by_cycles["metric"] == "cycles"
    assert key_digest(by_instructions) != key_digest(by_cycles)
    assert by_cycles["timing"] == F746.raw["timing"]

    cache = MeasurementCache(tmp_path / "k.json")
    cache.put(by_cycles, 1234)
    assert cache.get(by_cycles) == 1234 and cache.get(by_instructions) is None
    cache.save()
    assert MeasurementCache(cache.path).get(by_cycles) == 1234
    entry = MeasurementCache(cache.path).entries[key_digest(by_cycles)]
    assert entry == {"cycles": 1234}

    # another board timing (the same stand-in machine and core) or a changed model: priced again
    slower = dataclasses.replace(F746, raw={**F746.raw, "timing": {**F746.raw["timing"], "flash_wait_states": 9}})
    assert key_digest(layer_key(graph, node, spec, slower, metric="cycles")) != key_digest(by_cycles)
    assert layer_key(graph, node, spec, slower) == by_instructions       # the instructions do not depend on it
    monkeypatch.setattr(measure_cache, "cycles_model_hash", lambda: "another model")
    assert key_digest(layer_key(graph, node, spec, F746, metric="cycles")) != key_digest(by_cycles)


def test_pick_by_cycles_can_differ_from_the_pick_by_instructions(tmp_path):
    """The same layers, the fewest instructions on one kernel and the fewest cycles on another:
    each metric picks its own."""
    source = example_source(MODEL)
    fake = FakeStandin(seed=3)
    by_instructions = compile_auto(source, None, _speed(), F746, measure=fake, metric="instructions",
                                   cache=MeasurementCache(tmp_path / "i.json"))
    picked = {n.name: n.kernel for n in by_instructions.nodes if n.name in choices(by_instructions)}
    counts = {layer["name"]: layer["candidates"] for layer in by_instructions.meta["kernels"]["layers"]
              if layer["name"] in picked}
    # the layer whose runner-up is closest: its winner costs 2x in cycles (dual issue lost, say)
    layer = min(picked, key=lambda n: sorted(counts[n].values())[1] / sorted(counts[n].values())[0])
    winner = picked[layer]
    runner_up = sorted((c, k) for k, c in counts[layer].items() if k != winner)[0][1]
    assert counts[layer][runner_up] < 2 * counts[layer][winner]
    cycles = Scaled(fake, {winner: 2.0})
    by_cycles = compile_auto(source, None, _speed(), F746, measure=cycles, screen=fake,
                             cache=MeasurementCache(tmp_path / "c.json"))
    report = by_cycles.meta["kernels"]
    assert report["metric"] == "cycles"
    assert by_cycles.node(layer).kernel != winner
    row = next(r for r in report["layers"] if r["name"] == layer)
    assert row["candidates"][winner] == 2 * counts[layer][winner]
    assert row["instructions"] == min(v for v in row["candidates"].values() if v is not None)
    # the cycles are cached under their own keys: the same build by cycles measures nothing again
    ran = len(cycles.ran)
    compile_auto(source, None, _speed(), F746, measure=cycles, screen=fake, cache=MeasurementCache(tmp_path / "c.json"))
    assert len(cycles.ran) == ran


def test_only_candidates_within_the_screen_are_priced(tmp_path):
    """A candidate executing over SCREEN_RATIO times its layer's fewest instructions is never
    logged (no variant asks for it), stays unpriced and is not chosen; the note says so."""
    source = example_source(MODEL)
    fake = FakeStandin(seed=5)
    screen = Scaled(fake, {"tg_conv2d_s8": 10.0, "tg_fully_connected_s8": 10.0})     # portable C: slow
    cycles = Scaled(fake, {"tg_conv2d_s8": 0.01, "tg_fully_connected_s8": 0.01})    # cheap if it were priced
    graph = compile_auto(source, None, _speed(), F746, measure=cycles, screen=screen,
                         cache=MeasurementCache(tmp_path / "c.json"))
    report = graph.meta["kernels"]
    slow = {"tg_conv2d_s8", "tg_fully_connected_s8"}
    open_nodes = choices(graph)
    assert any(slow & set(names) for names in open_nodes.values())
    assert cycles.ran and not any(v[n] in slow for v in cycles.ran for n in v if n in open_nodes)
    for row in report["layers"]:
        if row["name"] in open_nodes:
            assert row["kernel"] not in slow
            assert all(row["candidates"][k] is None for k in slow & set(row["candidates"]))
    assert f"over {SCREEN_RATIO:g}x" in report["note"] and "not priced" in report["note"]


@pytest.mark.skipif(unavailable(F746) is not None, reason=f"cannot measure on the f746zg stand-in: {unavailable(F746)}")
def test_auto_by_cycles_on_f746zg_standin(tmp_path):
    """The stand-in's own measures: instructions screened, then one logged run per variant
    priced by the Cortex-M7 model; a second build prices nothing."""
    source = example_source(MODEL)
    path = tmp_path / "cache.json"
    graph = compile_auto(source, None, _speed(), F746, cache=MeasurementCache(path))
    report = graph.meta["kernels"]
    assert report["metric"] == "cycles" and report["measured_variants"] > 0
    open_nodes = choices(graph)
    for row in report["layers"]:
        if row["name"] in open_nodes and any(v is not None for v in row["candidates"].values()):
            priced = {k: v for k, v in row["candidates"].items() if v is not None}
            assert all(v > 0 for v in priced.values())
            assert row["kernel"] in priced and priced[row["kernel"]] == min(priced.values()), row
    entries = MeasurementCache(path).entries.values()
    assert any("cycles" in e for e in entries) and any("instructions" in e for e in entries)
    again = MeasurementCache(path)
    second = compile_auto(source, None, _speed(), F746, cache=again)
    assert second.meta["kernels"]["measured_variants"] == 0 and again.misses == 0
    assert {n.name: n.kernel for n in second.nodes} == {n.name: n.kernel for n in graph.nodes}
