"""examples/faces: every model file loads through tinygen's loader, its stored weights are
small, its eval accuracy on the held-out and perturbed frames is the one RESULTS.md
reports, the shipped frame files are what the example writes, and the compiled model
(the integer reference, on the camera front end's input from the twin) agrees with the
PyTorch eval model on the held-out frames."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from tinygen.compiler import compile_source, load_source
from tinygen.nn import set_switch
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import run
from tinygen.switches import switch_graphs
from tinygen.ref import camera as twin
from tinygen.ref.frame_formats import frame_format
from tinygen.passes.camera_input import CameraSpec

FACES = Path(__file__).resolve().parents[2] / "examples" / "faces"
MODELS = {"faces_int8": ("int8",), "faces_w4a4": ("4-bit",), "faces_bnn": ("binary",),
          "sp_faces": ("switchable w8a8", "switchable w4a4", "switchable w2a2", "switchable w1a1")}


def reported() -> dict[str, tuple[float, float]]:
    rows = re.findall(r"^\| ([\w -]+?) \| \S+ \|.*\| ([\d.]+)% \| ([\d.]+)% \|$", (FACES / "RESULTS.md").read_text(),
                      re.M)
    return {name: (float(a) / 100, float(b) / 100) for name, a, b in rows}


@pytest.fixture(scope="module")
def faces(request):
    import sys

    sys.path.insert(0, str(FACES))
    request.addfinalizer(lambda: sys.path.remove(str(FACES)))
    return importlib.import_module("_faces")


def test_faces_frame_files_are_what_the_example_writes(faces, tmp_path, monkeypatch):
    monkeypatch.setattr(faces, "FRAMES_FILE", tmp_path / "t.npz")
    monkeypatch.setattr(faces, "PERTURBED_FILE", tmp_path / "p.npz")
    faces.write_frames()
    for shipped, made in (("faces_test.npz", "t.npz"), ("faces_perturbed.npz", "p.npz")):
        a, b = np.load(FACES / shipped), np.load(tmp_path / made)
        assert sorted(a.files) == sorted(b.files) == ["frames", "names", "y"]
        assert all(np.array_equal(a[k], b[k]) for k in a.files), shipped
    assert np.load(FACES / "faces_test.npz")["frames"].shape == (60, 625)
    assert np.bincount(np.load(FACES / "faces_test.npz")["y"]).tolist() == [30, 30]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
def test_faces_example_matches_results_and_compiles(faces, name):
    path = FACES / f"{name}.py"
    assert path.with_suffix(".pt").stat().st_size < 100 * 1024
    module = importlib.import_module(name)
    net = module.model()
    results = reported()
    switches = [None] if name != "sp_faces" else ["w8a8", "w4a4", "w2a2", "w1a1"]
    for label, switch in zip(MODELS[name], switches):
        if switch:
            set_switch(net, switch)
        assert (faces.accuracy(net), faces.accuracy(net, hard=True)) == pytest.approx(results[label], abs=5e-5)
    # the compiled model on the device's input (the camera front end's, from the twin)
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(camera=CameraSpec()))
    frames = np.load(FACES / "faces_test.npz")["frames"]
    x = torch.from_numpy(faces.model_input(frames.reshape(-1, 25, 25)))
    for (sw_name, g), switch in zip(switch_graphs(graph), switches):
        plan = g.meta["camera"]
        target = twin.Target(24, 24, 1, plan.lut, 320, 240)
        q = [twin.preprocess(f.tobytes(), frame_format("gray"), 25, 25, target) for f in frames]
        compiled = np.array([int(np.argmax(run(g, qi)[g.outputs[0]])) for qi in q])
        if switch:
            set_switch(net, switch)
        with torch.no_grad():
            eager = net(x).argmax(1).numpy()
        assert np.mean(compiled == eager) >= 0.98, (name, sw_name)
