"""examples/lowbit: every model file loads through tinygen's model loader (one custom op
per quantized layer in the exported program), its stored weights are small, and its
eval accuracy is the one RESULTS.md reports."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from tinygen.frontend import torch_loader

LOWBIT = Path(__file__).resolve().parents[2] / "examples" / "lowbit"
MODELS = {"bnn": 4, "binaryconnect": 4, "pow2": 4, "w4a4": 4, "float": 0}   # name: tinygen ops


def _results() -> dict[str, float]:
    rows = re.findall(r"^\| (\w+) \| \S+ \| [\d.]+% \| ([\d.]+)% \|", (LOWBIT / "RESULTS.md").read_text(), re.M)
    return {name: float(acc) / 100 for name, acc in rows}


@pytest.mark.parametrize("name", list(MODELS))
def test_lowbit_example_loads_exports_and_matches_results(name, monkeypatch):
    path = LOWBIT / f"{name}_digits.py"
    assert path.with_suffix(".pt").stat().st_size < 200 * 1024
    loaded = torch_loader.load(path)
    targets = [str(n.target) for n in loaded.program.graph.nodes if n.op == "call_function"]
    assert sum(t.startswith("tinygen.") for t in targets) == MODELS[name]
    assert loaded.calibration is not None and loaded.calibration.shape[1:] == (1, 8, 8)

    monkeypatch.syspath_prepend(str(LOWBIT))
    module = importlib.import_module(f"{name}_digits")
    _, (x, y) = importlib.import_module("_digits").dataset()
    net = module.model()
    with torch.no_grad():
        pred = net(torch.from_numpy(x)).argmax(1).numpy()
        first = torch.from_numpy(x[:1])
        assert torch.equal(loaded.program.module()(first), net(first))
    assert np.mean(pred == y) == pytest.approx(_results()[name], abs=5e-5)
