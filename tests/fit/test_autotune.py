"""--kernels auto: the per-layer choice by measured instructions, its cache and its fallback."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading

import numpy as np
import pytest

from e2e import example_source
from tinygen.fit import autotune, standin
from tinygen.fit import compile as fit_compile
from tinygen.fit.autotune import compile_auto, default_kernels, pick_fastest, unavailable
from tinygen.board import get_board
from tinygen.cli import main
from tinygen.build.memory import MemoryFitError
from tinygen.errors import TinygenError, ToolchainError
from tinygen.hil.link import LinkTimeout
from tinygen.fit import measure_cache
from tinygen.fit.measure_cache import MeasurementCache
from tinygen.kernels.auto_pick import INSTRUCTIONS_PER_FLASH_BYTE
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.passes import CompileOptions
from tinygen.passes.choose_kernels import kernel_candidates

F746 = get_board("f746zg")
MODEL = "dscnn"          # 1x1 convolutions and a fully connected layer: DSP and portable candidates


class FakeStandin:
    """A measurement function with made-up counts: per layer and kernel a number drawn
    from a seeded generator, so the DSP kernel wins on some layers and loses on others.
    Like real counts, they depend on the layer's parameters, not on its name."""

    def __init__(self, seed: int = 0):
        self.seed = seed
        self.drawn: dict[str, int] = {}
        self.table: dict[tuple[str, str], int] = {}     # (node name, kernel) -> count given
        self.calls = 0

    def count(self, node, kernel: str) -> int:
        layer = json.dumps([node.op, node.attrs["kparams"], kernel], sort_keys=True)
        if layer not in self.drawn:      # drawn from the layer itself, not from the order it was asked in
            digest = int.from_bytes(hashlib.sha256(layer.encode()).digest()[:8], "little")
            self.drawn[layer] = int(np.random.default_rng([self.seed, digest]).integers(1_000, 100_000))
        count = self.drawn[layer]
        self.table[(node.name, kernel)] = count
        return count

    def __call__(self, source, graph, board, timeout=None) -> dict[str, int]:
        self.calls += 1
        return {n.name: self.count(n, n.kernel) for n in graph.nodes if n.kernel}


def options() -> CompileOptions:
    # auto's own choice: no memory-driven swap at the arena's peak (tests/passes/test_lower_peak.py)
    return CompileOptions(features=F746.isa_features, kernels="auto", lower_peak=False)


def choices(graph) -> dict[str, list[str]]:
    """Node -> its candidates under auto, for nodes with a choice."""
    found = {n.name: [k.name for k in kernel_candidates(graph, n, F746.isa_features, "auto")]
             for n in graph.nodes if n.kernel}
    return {n: names for n, names in found.items() if len(names) > 1}


def test_pick_fastest_fewest_instructions_then_preference():
    assert pick_fastest(["dsp", "portable"], {"dsp": 500, "portable": 400}) == "portable"
    assert pick_fastest(["dsp", "portable"], {"dsp": 400, "portable": 400}) == "dsp"       # tie: preferred
    assert pick_fastest(["dsp", "portable"], {"dsp": None, "portable": 900}) == "portable"  # measured wins
    assert pick_fastest(["dsp", "portable"], {}) == "dsp"


def test_default_kernels_auto_on_cortex_m_only():
    assert default_kernels(F746) == "auto" and default_kernels(get_board("f446re")) == "auto"
    for name in ("host", "esp32-c3", "esp32-devkitc"):
        assert default_kernels(get_board(name)) == "tinygen"
    assert default_kernels(None) == "tinygen"


def test_auto_chooses_per_layer_minimum(tmp_path):
    source = example_source(MODEL)
    fake = FakeStandin(seed=3)
    cache = MeasurementCache(tmp_path / "cache.json")
    # --prefer speed: the fewest instructions whatever the flash (balanced: tests/fit/test_auto_pick.py)
    graph = compile_auto(source, None, dataclasses.replace(options(), prefer="speed"), F746, measure=fake, cache=cache)
    open_nodes = choices(graph)
    assert len(open_nodes) >= 3, "the model must offer choices for the test to mean anything"
    assert fake.calls == max(len(names) for names in open_nodes.values())
    chosen = {n.name: n.kernel for n in graph.nodes if n.kernel}
    for node, names in open_nodes.items():
        want = min(names, key=lambda k: fake.table[(node, k)])
        assert chosen[node] == want, (node, {k: fake.table[(node, k)] for k in names})
    assert len({chosen[n] for n in open_nodes}) > 1, "seed should make both kinds of kernel win somewhere"
    report = graph.meta["kernels"]
    assert report["mode"] == "auto" and report["note"] is None and report["measured_variants"] == fake.calls
    for layer in report["layers"]:
        assert layer["kernel"] == chosen[layer["name"]]
        assert layer["instructions"] == fake.table[(layer["name"], layer["kernel"])]
    assert "tg_conv2d_1x1_s8_dsp" in autotune.choice_table(report)
    # no CMSIS-NN tree configured: only tinygen's kernels are candidates
    assert all(KERNELS_BY_NAME[k].backend == "tinygen" for layer in report["layers"] for k in layer["candidates"])


@pytest.mark.skipif(not os.environ.get("CMSIS_NN_PATH"),
                    reason="CMSIS_NN_PATH is not set: no CMSIS-NN tree to add its kernels to the candidates")
def test_auto_with_cmsis_nn_candidates(tmp_path):
    source = example_source(MODEL)
    fake = FakeStandin(seed=11)
    opts = dataclasses.replace(options(), cmsis_nn=os.environ["CMSIS_NN_PATH"])
    graph = compile_auto(source, None, opts, F746, measure=fake, cache=MeasurementCache(tmp_path / "c.json"))
    report = graph.meta["kernels"]
    backends = {KERNELS_BY_NAME[k].backend for layer in report["layers"] for k in layer["candidates"]}
    assert backends == {"tinygen", "cmsis-nn"}
    for layer in report["layers"]:
        if layer["candidates"]:
            assert layer["kernel"] == min(layer["candidates"], key=lambda k: fake.table[(layer["name"], k)])


def test_cache_hit_miss_and_invalidation(tmp_path, monkeypatch):
    source = example_source(MODEL)
    path = tmp_path / "cache.json"
    fake = FakeStandin(seed=5)
    first = compile_auto(source, None, options(), F746, measure=fake, cache=MeasurementCache(path))
    measured = fake.calls
    assert measured > 0 and json.loads(path.read_text())["entries"]

    # a second build (new process: a fresh cache object on the same file) measures nothing
    again = MeasurementCache(path)
    second = compile_auto(source, None, options(), F746, measure=fake, cache=again)
    assert fake.calls == measured and again.misses == 0 and again.hits > 0
    assert [n.kernel for n in second.nodes] == [n.kernel for n in first.nodes]
    assert second.meta["kernels"]["layers"] == first.meta["kernels"]["layers"]

    # changed kernel sources, compiler or tinygen version: measured again
    for name, value in (("sources_hash", lambda spec: "edited"), ("compiler_version", lambda cc: "gcc 99"),
                        ("__version__", "9.9.9")):
        with monkeypatch.context() as m:
            m.setattr(measure_cache, name, value)
            calls = fake.calls
            compile_auto(source, None, options(), F746, measure=fake, cache=MeasurementCache(path))
            assert fake.calls > calls, f"a changed {name} must miss the cache"

    # an unreadable cache file is no error: everything is measured again
    path.write_text("{not json")
    calls = fake.calls
    compile_auto(source, None, options(), F746, measure=fake, cache=MeasurementCache(path))
    assert fake.calls == calls + measured


def test_auto_without_choices_measures_nothing(tmp_path):
    source = example_source(MODEL)
    fake = FakeStandin()
    host = get_board("host")
    graph = compile_auto(source, None, CompileOptions(kernels="auto"), host, measure=fake,
                         cache=MeasurementCache(tmp_path / "c.json"))
    assert fake.calls == 0 and not (tmp_path / "c.json").exists()
    assert "no layer has more than one candidate" in graph.meta["kernels"]["note"]


def test_cache_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGEN_CACHE_DIR", str(tmp_path / "tg"))
    assert measure_cache.cache_dir() == tmp_path / "tg"
    monkeypatch.delenv("TINYGEN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert MeasurementCache.default().path == tmp_path / "xdg" / "tinygen" / measure_cache.CACHE_FILE


def test_fallback_without_standin_keeps_preference(tmp_path, monkeypatch):
    source = example_source(MODEL)
    no_standin = dataclasses.replace(F746, emulator=None)
    assert "no emulated stand-in" in unavailable(no_standin)
    graph = compile_auto(source, None, options(), no_standin, cache=MeasurementCache(tmp_path / "c.json"))
    note = graph.meta["kernels"]["note"]
    assert note.startswith("kernels auto: ") and "\n" not in note
    for node, names in choices(graph).items():
        assert graph.node(node).kernel == names[0]

    # no QEMU on PATH: the CLI says so in one line and builds with the preferred kernels
    real_which = standin.shutil.which
    monkeypatch.setattr(standin.shutil, "which", lambda tool: None if tool.startswith("qemu") else real_which(tool))
    monkeypatch.setenv("TINYGEN_CACHE_DIR", str(tmp_path / "empty"))
    out = tmp_path / "inspect.json"
    assert main(["inspect", str(source.path), "--board", "f746zg", "--json", str(out)]) == 0
    report = json.loads(out.read_text())["kernels"]
    assert report["mode"] == "auto" and "qemu-system-arm not found" in report["note"]


class SlowStandin(FakeStandin):
    """Times out the first `fails` times it is asked (as a stand-in on a loaded machine would
    with too short a deadline), then answers; records the timeouts it was given."""

    def __init__(self, fails: int):
        super().__init__(seed=4)
        self.fails = fails
        self.timeouts: list[float] = []

    def __call__(self, source, graph, board, timeout=None):
        self.timeouts.append(timeout)
        if len(self.timeouts) <= self.fails:
            raise LinkTimeout(f"timed out after {timeout:g} s of QEMU's own time on socket://x waiting for "
                              "the answer to `tg layers`", "hint")
        return super().__call__(source, graph, board, timeout)


def test_auto_measures_again_after_a_timeout_and_chooses_the_same(tmp_path):
    source = example_source(MODEL)
    steady = compile_auto(source, None, options(), F746, measure=FakeStandin(seed=4),
                          cache=MeasurementCache(tmp_path / "a.json"), timeout=5)
    slow = SlowStandin(fails=2)
    messages = []
    graph = compile_auto(source, None, options(), F746, messages.append, measure=slow,
                         cache=MeasurementCache(tmp_path / "b.json"), timeout=5)
    assert slow.timeouts[:3] == [5, 10, 20], "each retry doubles the time"
    assert sum("measuring again with --timeout" in m for m in messages) == 2
    assert [n.kernel for n in graph.nodes] == [n.kernel for n in steady.nodes]
    assert graph.meta["kernels"]["layers"] == steady.meta["kernels"]["layers"]


def test_auto_fails_loudly_when_measuring_keeps_timing_out(tmp_path):
    source = example_source(MODEL)
    slow = SlowStandin(fails=99)
    cache = MeasurementCache(tmp_path / "c.json")
    with pytest.raises(TinygenError, match=r"kernels auto: measuring on nucleo-f746zg's stand-in failed "
                                           rf"{autotune.MEASURE_ATTEMPTS} times: timed out after") as err:
        compile_auto(source, None, options(), F746, measure=slow, cache=cache, timeout=3)
    assert len(slow.timeouts) == autotune.MEASURE_ATTEMPTS
    assert "--timeout (it was 3 s" in err.value.hint and "--kernels tinygen" in err.value.hint
    assert "\n" not in err.value.message


def test_auto_fails_loudly_when_a_variant_does_not_build(tmp_path):
    """Not a note and other kernels: the build stops, naming --kernels tinygen."""
    source = example_source(MODEL)

    def broken(src, g, board, timeout=None):
        raise ToolchainError("building firmware-emu.elf failed:\nsome compiler output", "a hint")

    with pytest.raises(TinygenError) as err:
        compile_auto(source, None, options(), F746, measure=broken, cache=MeasurementCache(tmp_path / "b.json"))
    assert err.value.message == ("kernels auto: measuring on nucleo-f746zg's stand-in failed: building "
                                 "firmware-emu.elf failed:\nsome compiler output")
    assert "--kernels tinygen" in err.value.hint


def test_auto_refuses_a_model_too_big_before_measuring(tmp_path, monkeypatch, capsys):
    """The fit is checked on the compiled graph first: no variant is built or measured."""
    from test_memory_fit import WIDE_CONV

    from tinygen.compiler import load_source

    model = tmp_path / "wide_conv.py"
    model.write_text(WIDE_CONV)
    source = load_source(model)
    f446 = get_board("f446re")
    fake = FakeStandin()
    with pytest.raises(MemoryFitError, match="does not fit nucleo-f446re: RAM needs"):
        # --tile off: by default the fit step would tile this model to fit (tests/passes/test_tile_choice.py)
        compile_auto(source, None, dataclasses.replace(options(), features=f446.isa_features, tile="off"), f446,
                     measure=fake,
                     cache=MeasurementCache(tmp_path / "c.json"))
    assert fake.calls == 0

    def never(*args, **kwargs):
        raise AssertionError("measured a model that cannot fit the board")

    monkeypatch.setattr(autotune, "measure_standin", never)
    monkeypatch.setattr(autotune, "measure_standin_cycles", never)
    monkeypatch.setattr(autotune, "compile_source", _counting(autotune.compile_source))
    monkeypatch.setenv("TINYGEN_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["build", str(model), "--board", "f446re", "-o", str(tmp_path / "out"), "-q", "--tile", "off"]) == 1
    assert "error: does not fit nucleo-f446re: RAM needs" in capsys.readouterr().err
    # the model itself and, its RAM over the part, the RAM trade's leaner compile (tinygen/fit/ram.py); no variant
    assert autotune.compile_source.calls == 2, "only the model and its RAM trade were compiled, no variant"


def test_build_and_inspect_pass_timeout_to_measuring(tmp_path, monkeypatch):
    seen = []

    def spy(source, calib, opts, board, progress=None, measure=None, cache=None, timeout=None, **placed):
        seen.append(timeout)
        return compile_auto(source, calib, opts, board, progress, measure=FakeStandin(),
                            cache=MeasurementCache(tmp_path / "c.json"), timeout=timeout, **placed)

    monkeypatch.setattr(fit_compile, "compile_auto", spy)     # the commands' compile calls it
    model = str(example_source("mlp").path)
    assert main(["inspect", model, "--board", "f746zg", "--timeout", "42"]) == 0
    assert main(["inspect", model, "--board", "f746zg"]) == 0
    assert seen == [42.0, autotune.DEFAULT_TIMEOUT]


def _counting(fn):
    def counted(*args, **kwargs):
        counted.calls += 1
        return fn(*args, **kwargs)

    counted.calls = 0
    return counted


@pytest.mark.skipif(unavailable(F746) is not None, reason=f"cannot measure on the f746zg stand-in: {unavailable(F746)}")
def test_standin_variants_measured_at_once_count_as_one_at_a_time(tmp_path, monkeypatch):
    """The stand-in's variants, two measured at once (tinygen.fit.variants.measured_variants), give
    every count the variants give one at a time, and so the same choice."""
    source = example_source("cnn")
    running, most, lock = [0], [0], threading.Lock()
    real = autotune.measure_standin

    def tracked(*args, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(autotune, "measure_standin", tracked)
    built = {}
    for jobs in (1, 2):
        monkeypatch.setattr(autotune, "measure_jobs", lambda count, jobs=jobs: min(count, jobs))
        most[0] = 0
        built[jobs] = compile_auto(source, None, options(), F746, cache=MeasurementCache(tmp_path / f"{jobs}.json"),
                                   metric="instructions")
        assert most[0] == jobs, f"{jobs} job(s): {most[0]} variants measured at once"
    one, two = (built[j].meta["kernels"] for j in (1, 2))
    assert one["measured_variants"] == two["measured_variants"] > 1
    assert one["layers"] == two["layers"]
    assert [n.kernel for n in built[1].nodes] == [n.kernel for n in built[2].nodes]


@pytest.mark.skipif(unavailable(F746) is not None, reason=f"cannot measure on the f746zg stand-in: {unavailable(F746)}")
def test_auto_measured_on_f746zg_standin_bit_exact(tmp_path):
    from tinygen.compiler import build
    from tinygen.hil.target import open_device
    from tinygen.ref.interpreter import run

    source = example_source(MODEL)
    cache = MeasurementCache(tmp_path / "cache.json")
    calls = []

    def measure(src, graph, board, timeout):
        calls.append(1)
        return autotune.measure_standin(src, graph, board, timeout)

    # by instructions (a timing model's cycles: tests/fit/test_autotune_cycles.py)
    graph = compile_auto(source, None, options(), F746, measure=measure, cache=cache, metric="instructions")
    report = graph.meta["kernels"]
    assert report["metric"] == "instructions"
    open_nodes = choices(graph)
    assert len(calls) == max(len(v) for v in open_nodes.values())
    refused = {r["layer"]: r for r in report["flash_refused"]}
    for layer in report["layers"]:
        assert layer["instructions"] and layer["instructions"] > 0, layer
        if layer["name"] in open_nodes:
            counts = layer["candidates"]
            assert set(counts) == set(open_nodes[layer["name"]]) and all(counts.values())
            if counts[layer["kernel"]] != min(counts.values()):
                # the fastest adds flash that --prefer balanced refuses (the int16-weight FC kernel)
                r = refused[layer["name"]]
                assert counts[r["fastest"]] == min(counts.values()) and r["flash_refused"] > 0, (layer, r)
                assert r["instructions_kept"] < INSTRUCTIONS_PER_FLASH_BYTE * r["flash_refused"], (layer, r)
    # a DSP convolution (a 1x1 one, the direct, the widening or the 4-pixel one) beats portable C on this model's
    # pointwise layers
    assert any(layer["kernel"] in ("tg_conv2d_1x1_s8_dsp", "tg_conv2d_1x1_rows3_s8_dsp", "tg_conv2d_direct_s8_dsp",
                                   "tg_conv2d_widen_s8_dsp", "tg_conv2d_rows4_w16_s8_dsp")
               for layer in report["layers"])
    assert compile_auto(source, None, options(), F746, measure=measure, cache=MeasurementCache(cache.path),
                        metric="instructions") \
        and len(calls) == max(len(v) for v in open_nodes.values()), "the second build must measure nothing"

    result = build(source, graph, F746, tmp_path / "fw")
    assert result.manifest["kernels"] == report
    rng = np.random.default_rng(7)
    size = graph.tensor(graph.inputs[0]).size
    with open_device(F746, result.out_dir, emulate=True) as dev:
        for _ in range(3):
            x = rng.integers(-128, 128, size=size, dtype=np.int8)
            raw, _ = dev.run(x.tobytes())
            want = np.concatenate([v.ravel() for v in run(graph, x).values()])
            got = np.frombuffer(raw, np.int8)
            assert np.array_equal(got, want), f"{np.flatnonzero(got != want)[:5]} differ"
