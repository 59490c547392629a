"""--kernels auto priced with the constants where the build puts them (issue 72, tinygen.fit.placed_choice):
--weights-in ram prices every candidate with its constants in RAM, --weights-in auto chooses again for
the layers place_weights moved, keeping the first choice where the second does not fit or is not
faster; both prices come from one logged run (tinygen.fit.standin.Placed), cached under their own keys."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from types import SimpleNamespace

import pytest

from e2e import example_source
from test_autotune import MODEL, FakeStandin, choices
from tinygen.board import get_board
from tinygen.build.memory import MemoryFitError
from tinygen.codegen.weights_ram import META, LayerWeights, WeightsPlacement
from tinygen.compiler import compile_source
from tinygen.fit import autotune
from tinygen.fit import compile as fit_compile
from tinygen.fit.autotune import SCREEN_RATIO, compile_auto
from tinygen.fit.measure_cache import MeasurementCache, key_digest, layer_key, sources_hash
from tinygen.fit.placed_choice import built_cycles, estimate, place_choice
from tinygen.cycles.weight_reads import graph_weight_reads
from tinygen.fit.standin import Placed, measure_standin_cycles, priced_in, unavailable
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.passes import CompileOptions
from tinygen.report.kernels import choice_table

U585 = get_board("b-u585i-iot02a")
SEED = 0        # FakeStandin's: its counts give the flip fixture a layer that flips


def _options() -> CompileOptions:
    return CompileOptions(features=U585.isa_features, kernels="auto", lower_peak=False, prefer="speed")


class PlacedStandin:
    """A logged run's estimate with both placements: in flash each kernel at FakeStandin's count; in RAM
    the same, except `cheaper` (layer -> kernel) at a quarter of it (its weight reads gone)."""

    def __init__(self, base: FakeStandin, cheaper: dict[str, str]):
        self.base, self.cheaper, self.calls = base, cheaper, 0

    def __call__(self, source, graph, board, timeout=None) -> dict[str, int]:
        self.calls += 1
        out = {}
        for n in graph.nodes:
            if n.kernel:
                flash = self.base.count(n, n.kernel)
                ram = flash // 4 if self.cheaper.get(n.name) == n.kernel else flash
                out[n.name] = Placed(flash, {"flash": flash, "ram": ram})
        return out


def _params(node) -> str:
    return json.dumps([node.op, node.attrs["kparams"]], sort_keys=True)


@pytest.fixture(scope="module")
def flip(tmp_path_factory):
    """A layer with weights whose flash winner W has a close runner-up R that wins with the constants in RAM."""
    source = example_source(MODEL)
    fake = FakeStandin(seed=SEED)
    graph = compile_auto(source, None, _options(), U585, measure=fake,
                         cache=MeasurementCache(tmp_path_factory.mktemp("flip") / "c.json"))
    # a layer no other shares its parameters with: the fakes and the cache know a layer by its parameters
    shared = Counter(_params(n) for n in graph.nodes if n.kernel)
    rows = {r["name"]: r["candidates"] for r in graph.meta["kernels"]["layers"]
            if r["name"] in choices(graph) and graph.node(r["name"]).param("weight")
            and shared[_params(graph.node(r["name"]))] == 1}
    layer = min(rows, key=lambda n: sorted(rows[n].values())[1] / sorted(rows[n].values())[0])
    winner = graph.node(layer).kernel
    runner_up = min((c, k) for k, c in rows[layer].items() if k != winner)[1]
    assert rows[layer][runner_up] < 4 * rows[layer][winner]       # a quarter of it in RAM beats W
    assert rows[layer][runner_up] <= SCREEN_RATIO * rows[layer][winner]     # and the screen keeps R to be priced
    return source, layer, winner, runner_up


def test_weights_in_ram_prices_every_candidate_in_ram(tmp_path, flip):
    source, layer, winner, runner_up = flip
    placed = PlacedStandin(FakeStandin(seed=SEED), {layer: runner_up})
    cache = MeasurementCache(tmp_path / "c.json")
    ram = compile_auto(source, None, _options(), U585, measure=placed, cache=cache, weights_in="ram")
    assert ram.node(layer).kernel == runner_up
    row = next(r for r in ram.meta["kernels"]["layers"] if r["name"] == layer)
    assert row["priced_with"] == "ram" and row["instructions"] == row["candidates"][runner_up]
    assert row["candidates"][winner] > row["candidates"][runner_up]
    table = choice_table(ram.meta["kernels"])
    assert "priced with" in table.splitlines()[0] and "constants in RAM" in table
    # the same logged runs priced the constants in flash too, cached under the board's own keys: the
    # build priced in flash (--weights-in flash) measures nothing and takes the flash winner
    calls = placed.calls
    flash = compile_auto(source, None, _options(), U585, measure=placed, cache=MeasurementCache(cache.path))
    assert placed.calls == calls and flash.meta["kernels"]["measured_variants"] == 0
    assert flash.node(layer).kernel == winner
    assert {r["priced_with"] for r in flash.meta["kernels"]["layers"]} == {"flash"}


def test_both_placements_cached_under_their_own_keys(tmp_path, flip):
    source, layer, _, runner_up = flip
    placed = PlacedStandin(FakeStandin(seed=SEED), {layer: runner_up})
    cache = MeasurementCache(tmp_path / "c.json")
    compile_auto(source, None, _options(), U585, measure=placed, cache=cache, weights_in="auto")
    # keyed as the measures were: by the preferred kernels' compile (a node's constants are packed for its kernel)
    graph = compile_source(source, None, _options())
    node = graph.node(layer)
    spec = KERNELS_BY_NAME[runner_up]
    in_flash = layer_key(graph, node, spec, U585, metric="cycles")
    in_ram = layer_key(graph, node, spec, priced_in(U585, "ram"), metric="cycles")
    assert in_ram["timing"]["weights_in"] == "ram" and key_digest(in_ram) != key_digest(in_flash)
    assert priced_in(U585, "flash") is U585 and "weights_in" not in U585.raw["timing"]
    assert cache.get(in_ram) * 4 <= cache.get(in_flash)


def test_weights_in_auto_chooses_again_where_place_weights_moved_the_constants(tmp_path, flip):
    """compile_model's path: the choice priced in flash, finished (the fit, place_weights), then the
    moved layers priced in RAM; R wins there and fits, so the build takes it and says so."""
    source, layer, winner, runner_up = flip
    placed = PlacedStandin(FakeStandin(seed=SEED), {layer: runner_up})
    messages = []

    def finish(graph):
        from tinygen.fit.weights_ram import place_weights
        return place_weights(graph, U585, "auto")

    graph = compile_auto(source, None, _options(), U585, messages.append, measure=placed,
                         cache=MeasurementCache(tmp_path / "c.json"), weights_in="auto", finish=finish)
    assert layer in graph.meta[META].layers
    assert graph.node(layer).kernel == runner_up
    report = graph.meta["kernels"]
    row = next(r for r in report["layers"] if r["name"] == layer)
    assert row["priced_with"] == "ram"
    assert "chosen again with the constants in RAM" in report["note"] and any(runner_up in m for m in messages)
    # without room for constants nothing moves: the choice priced in flash stands
    tight = compile_auto(source, None, _options(), U585, measure=placed, cache=MeasurementCache(tmp_path / "c.json"),
                         weights_in="auto", finish=lambda g: g)
    assert tight.node(layer).kernel == winner
    assert {r["priced_with"] for r in tight.meta["kernels"]["layers"]} == {"flash"}


def test_compile_model_weights_in_ram_prices_in_ram(monkeypatch, tmp_path, flip):
    """`tinygen build --weights-in ram`'s compile: the stand-in's measures (here fakes) priced with
    every constant in RAM; with --weights-in flash the flash winner."""
    source, layer, winner, runner_up = flip
    placed = PlacedStandin(FakeStandin(seed=SEED), {layer: runner_up})
    screen = FakeStandin(seed=SEED)
    asked = []

    def standin_measure(metric, layers, placements=()):
        asked.append(placements)
        return placed if metric == "cycles" else screen

    monkeypatch.setattr(autotune, "_standin_measure", standin_measure)
    monkeypatch.setattr(autotune, "unavailable", lambda board: None)
    monkeypatch.setenv("TINYGEN_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("CMSIS_NN_PATH", raising=False)     # the fixture's candidates: CMSIS-NN's are not among them
    kernels = {}
    for mode in ("ram", "flash"):
        request = fit_compile.CompileRequest(str(source.path), kernels="auto", lower_peak=False, prefer="speed",
                                             weights_in=mode)
        _, graph = fit_compile.compile_model(request, U585)
        kernels[mode] = graph.node(layer).kernel
        if mode == "ram":
            assert graph.meta[META].layers >= {layer}
            assert {r["priced_with"] for r in graph.meta["kernels"]["layers"]} == {"ram"}
    assert kernels == {"ram": runner_up, "flash": winner}
    assert ("flash", "ram") in asked


def _graph(kernels: dict[str, str], moved: dict[str, int], kept: dict[str, float] = ()) -> SimpleNamespace:
    nodes = [SimpleNamespace(name=n, kernel=k, attrs={}) for n, k in kernels.items()]
    placement = WeightsPlacement("auto", 1000, tuple(LayerWeights(n, (n,), b, 1.0) for n, b in moved.items()),
                                 tuple(LayerWeights(n, (n,), 10, c) for n, c in dict(kept).items()))
    return SimpleNamespace(nodes=nodes, meta={META: placement}, kernels=kernels)


COUNTS = {"flash": {"a": {"k8": 100, "w16": 120}, "b": {"k8": 50, "w16": 70}},
          "ram": {"a": {"k8": 80, "w16": 60}, "b": {"k8": 40, "w16": 30}}}


def _pick(by):
    return {n: min(c, key=lambda k: c[k]) for n, c in by.items()}


def _report(graph, choice, by, priced):
    graph.reported = (dict(choice), dict(priced))
    return graph


def test_rechoice_kept_only_where_it_fits_and_saves():
    built = []

    def build(choice, by, priced):
        built.append(dict(choice))
        return _report(SimpleNamespace(choice=dict(choice)), choice, by, priced)

    def finish_where(fits):
        def finish(g):
            if g.choice["a"] == "w16" and not fits:
                raise MemoryFitError("does not fit: 1 KB more RAM", "")
            return _graph(g.choice, {"a": 10} if g.choice["a"] == "k8" or fits else {})
        return finish

    graph, priced, note = place_choice(COUNTS, "auto", ["a", "b"], _pick, build, _report, finish_where(True), 1.0)
    assert graph.kernels == {"a": "w16", "b": "k8"} and priced == {"a": "ram", "b": "flash"}
    assert built == [{"a": "k8", "b": "k8"}, {"a": "w16", "b": "k8"}] and "130 -> 110" in note.replace(",", "")
    # the w16 constants do not fit: the first choice stays, its report priced where its constants are
    graph, priced, note = place_choice(COUNTS, "auto", ["a", "b"], _pick, build, _report, finish_where(False), 1.0)
    assert graph.kernels == {"a": "k8", "b": "k8"} and graph.reported == ({"a": "k8", "b": "k8"}, priced)
    assert priced["a"] == "ram" and "do not fit" in note
    # flash: no second choice at all
    built.clear()
    graph, priced, note = place_choice(COUNTS, "flash", ["a", "b"], _pick, build, _report, finish_where(True), 1.0)
    assert built == [{"a": "k8", "b": "k8"}] and set(priced.values()) == {"flash"} and note is None


def test_rechoice_compares_the_two_finished_builds_whole_where_it_can():
    """The layer saves what its prices say, but the other layers' code moved: the whole builds decide."""
    def build(choice, by, priced):
        return SimpleNamespace(choice=dict(choice))

    def finish(g):
        return _graph(g.choice, {"a": 10})

    def total(g):          # the build with w16 logged whole: its other layers' fetch stalls grew
        return 500 if g.kernels["a"] == "w16" else 480

    graph, priced, note = place_choice(COUNTS, "auto", ["a", "b"], _pick, build, _report, finish, 1.0, total)
    assert graph.kernels == {"a": "k8", "b": "k8"} and "480 -> 500 est. cycles of the whole build" in note
    graph, _, note = place_choice(COUNTS, "auto", ["a", "b"], _pick, build, _report, finish, 1.0,
                                  lambda g: 400 if g.kernels["a"] == "w16" else 480)
    assert graph.kernels == {"a": "w16", "b": "k8"} and "480 -> 400" in note
    # not known (no stand-in): by the layers' prices
    graph, _, _ = place_choice(COUNTS, "auto", ["a", "b"], _pick, build, _report, finish, 1.0, lambda g: None)
    assert graph.kernels == {"a": "w16", "b": "k8"}


def test_built_cycles_prices_every_layer_as_built_and_caches_it(tmp_path):
    g = _graph({"a": "w16", "b": "k8"}, {"a": 10})
    g.name = "g"
    runs = []

    def measure(graph):
        runs.append(graph)
        return {"a": Placed(120, {"flash": 120, "ram": 60}), "b": 50}

    keys = lambda graph: [{"layer": n.name, "kernel": n.kernel} for n in graph.nodes]      # noqa: E731
    cache = MeasurementCache(tmp_path / "c.json")
    assert built_cycles(measure, g, keys, cache) == 60 + 50
    assert built_cycles(measure, g, keys, MeasurementCache(cache.path)) == 110 and len(runs) == 1
    flash = _graph({"a": "w16", "b": "k8"}, {})
    flash.name = "g"
    assert built_cycles(measure, flash, keys, cache) == 170 and len(runs) == 2


def test_ram_mode_falls_back_to_the_flash_choice_where_it_does_not_fit():
    def build(choice, by, priced):
        return SimpleNamespace(choice=dict(choice))

    def finish(g):
        if "w16" in g.choice.values():
            raise MemoryFitError("does not fit: --weights-in ram needs 2 KB", "")
        return _graph(g.choice, {n: 10 for n in g.choice})

    graph, priced, note = place_choice(COUNTS, "ram", ["a", "b"], _pick, build, _report, finish, 1.0)
    assert graph.kernels == {"a": "k8", "b": "k8"} and set(priced.values()) == {"flash"} and "does not fit" in note
    with pytest.raises(MemoryFitError):        # nothing else to build: refused as before
        place_choice({"ram": COUNTS["ram"]}, "ram", ["a", "b"], _pick, build, _report, finish, 1.0)


def test_estimate_prices_each_layer_where_its_constants_ended():
    g = _graph({"a": "w16", "b": "k8"}, {"a": 10}, kept={"c": 7.0})
    assert estimate(g, COUNTS, ["a", "b"], 2.0) == 60 + 50 + 2.0 * 7.0
    assert estimate(_graph({"a": "other", "b": "k8"}, {}), COUNTS, ["a", "b"], 1.0) is None


def test_kernel_sources_hash_leaves_out_the_fit_package(monkeypatch):
    """The measured counts' key hashes the kernels' Python, not tinygen/fit's: editing auto's own code
    does not throw away every measurement."""
    hashed = []
    monkeypatch.setattr("tinygen.fit.measure_cache._hash_files", lambda paths: hashed.extend(paths) or "h")
    sources_hash(KERNELS_BY_NAME["tg_fully_connected_s8"])
    python = [p for p in hashed if p.suffix == ".py"]
    assert python and all(p.parent.name == "kernels" for p in python)
    assert not any(p.parent.name == "fit" for p in hashed)


def test_placed_counts_are_plain_ints_where_one_price_is_read():
    c = Placed(120, {"flash": 120, "ram": 70})
    assert c == 120 and int(c) + 1 == 121 and c.by_placement["ram"] == 70
    assert dataclasses.is_dataclass(U585) and priced_in(U585, "ram").raw["timing"]["weights_in"] == "ram"


@pytest.mark.skipif(unavailable(U585) is not None, reason=f"cannot measure on the u585 stand-in: {unavailable(U585)}")
def test_one_logged_run_prices_both_placements_on_the_u585_standin(tmp_path):
    """The stand-in's own measure: each layer's price in flash is the board's own estimate, its price in
    RAM lower by the flash reads of the layers that read constants, the same elsewhere."""
    source = example_source(MODEL)
    graph = compile_auto(source, None, _options(), U585, measure=FakeStandin(), cache=MeasurementCache(tmp_path / "c"))
    got = measure_standin_cycles(source, graph, U585, placements=("flash", "ram"))
    reads = graph_weight_reads(graph, U585.raw["timing"])
    assert got and all(isinstance(c, Placed) and c.by_placement["flash"] == c for c in got.values())
    assert all(c.by_placement["ram"] <= c for c in got.values())
    assert all(got[n].by_placement["ram"] < got[n] for n, r in reads.items() if r.cycles > 0)
    assert all(got[n].by_placement["ram"] == got[n] for n in got if n not in reads)
