"""examples/digits_demo.py (make demo): the shipped weights load only with their recorded sha256
and are the network the README's figure shows; --train's training is real and its saved
weights load back."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "digits_demo.py"


def _demo():
    spec = importlib.util.spec_from_file_location("digits_demo", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _accuracy(net, x, y) -> float:
    with torch.no_grad():
        return float(np.mean(net(torch.from_numpy(x)).argmax(1).numpy() == y))


def test_digits_demo_damaged_weights_refused_in_one_line(tmp_path):
    bad = tmp_path / "digits_demo.npz"
    data = bytearray(EXAMPLE.with_suffix(".npz").read_bytes())
    data[len(data) // 2] ^= 0x01
    bad.write_bytes(bytes(data))
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(EXAMPLE), "--weights", str(bad), "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("digits_demo: error: ") and "sha256" in lines[0], lines
    assert "Traceback" not in done.stderr and not out.exists()       # refused before any work


def test_digits_demo_shipped_weights_are_the_figures_network():
    demo = _demo()
    _, (x, y) = demo.dataset()
    stored = json.loads((ROOT / "benchmarks" / "results" / "demo-digits.json").read_text())["data"]
    assert f"{_accuracy(demo.load_weights(), x, y):.2%}" == f"{stored['float_accuracy']:.2%}"   # as printed


def test_digits_demo_train_learns_and_its_saved_weights_load_back(tmp_path):
    demo = _demo()
    (x, y), (xt, yt) = demo.dataset()
    net = demo.train(x, y, epochs=3)
    assert _accuracy(net, xt, yt) > 0.5                  # ten classes: chance is 0.1
    path = tmp_path / "w.npz"
    digest = demo.save_weights(net, path)
    back = demo.load_weights(path, digest)
    for (k, a), b in zip(net.state_dict().items(), back.state_dict().values()):
        assert torch.equal(a, b), k
