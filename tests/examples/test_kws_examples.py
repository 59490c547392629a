"""examples/kws: the shipped keyword-spotting models load through tinygen's model loader from
their small .pt files (no corpus needed), and their accuracy on the synthesized test clips is
the one examples/kws/RESULTS.md reports: in PyTorch (eval mode) and, for the int8 DS-CNN,
compiled by tinygen (the numpy reference, bit-exact with the generated C). The accuracy
tests need the corpus's test split, synthesized with espeak-ng (cached in build/kws-corpus)."""

from __future__ import annotations

import importlib
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tinygen.frontend import torch_loader

KWS = Path(__file__).resolve().parents[2] / "examples" / "kws"
MODELS = {"dscnn": 0, "w4a4": 6, "sp": 6}      # name: tinygen ops in the exported program (per switch)
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed: the test clips are synthesized with it")


def _section(title: str | None) -> str:
    """RESULTS.md's first part (title None), or its section `## title...`."""
    text = (KWS / "RESULTS.md").read_text()
    if title is None:
        return text.split("\n## ")[0]
    return next(part for part in text.split("\n## ")[1:] if part.startswith(title))


def _results() -> dict[str, float]:
    """The eval accuracy per model (| name | file | eval acc | ...)."""
    rows = re.findall(r"^\| ([\w-]+) \| \S+ \| ([\d.]+)% \|", _section(None), re.M)
    return {name: float(acc) / 100 for name, acc in rows}


def _compiled_results() -> dict[str, float]:
    """The compiled int8 accuracy per model (| name | compiled acc | ...)."""
    rows = re.findall(r"^\| ([\w-]+) \| ([\d.]+)% \|", _section("Compiled"), re.M)
    return {name: float(acc) / 100 for name, acc in rows}


@pytest.fixture(scope="module")
def module(request):
    sys.path.insert(0, str(KWS))
    yield lambda name: importlib.import_module(f"{name}_kws")
    sys.path.remove(str(KWS))


@pytest.fixture(scope="module")
def test_split():
    from tinygen.audio import corpus

    return corpus.load_split("test")


@pytest.mark.parametrize("name", list(MODELS))
def test_kws_example_loads_small_and_self_contained(name):
    path = KWS / f"{name}_kws.py"
    assert path.with_suffix(".pt").stat().st_size < 300 * 1024
    loaded = torch_loader.load(path)
    programs = [p for _, p in loaded.switches] or [loaded.program]
    for program in programs:
        targets = [str(n.target) for n in program.graph.nodes if n.op == "call_function"]
        assert sum(t.startswith("tinygen.") for t in targets) == MODELS[name]
    assert loaded.calibration is not None and loaded.calibration.shape == (64, 1, 49, 10)
    assert loaded.example_input.shape == (1, 1, 49, 10)


@needs_espeak
@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
def test_kws_example_accuracy_matches_results(name, module, test_split):
    from tinygen.nn import set_switch, switches

    mod = module(name)
    net = mod.model()
    x = torch.from_numpy(test_split.features()[:, None])
    want = _results()
    names = [f"sp-{s}" for s in switches(net)] if name == "sp" else [name]
    for row in names:
        if name == "sp":
            set_switch(net, row[3:])
        with torch.no_grad():
            pred = net(x).argmax(1).numpy()
        # the same weights, features and torch give the same predictions; one clip is 0.15 points
        assert np.mean(pred == test_split.labels) == pytest.approx(want[row], abs=5e-5), row


@needs_espeak
@pytest.mark.slow
def test_kws_dscnn_compiled_accuracy_matches_results(test_split):
    from tinygen.audio import evaluate
    from tinygen.compiler import compile_source, load_source

    graph = compile_source(load_source(KWS / "dscnn_kws.py"))
    pred = evaluate.predict(graph, evaluate.clip_inputs(graph, test_split.clips))
    assert np.mean(pred == test_split.labels) == pytest.approx(_compiled_results()["dscnn"], abs=5e-5)
