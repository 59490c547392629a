"""tinygen.hil.mlperf_runner without hand work: `dataset` writes the MLPerf Tiny runner's
data set for a build from an .npz (the files read back, with the runner's own datasets.py
where the runner is here, equal what `tinygen hil --data` sends), and the launcher says in
one line what is missing before the runner starts (its Python packages; a power board for
--mode e) instead of ending in the runner's traceback.

The runner: $MLPERF_TINY_RUNNER, else the unmodified copy beside the checkout
(../shared/third_party/mlperf-tiny-runner).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from e2e import example_source
from tinygen.board import get_board
from tinygen.compiler import build, compile_source
from tinygen.hil import mlperf_runner
from tinygen.hil.mlperf_dataset import read_dataset
from tinygen.cli import main
from tinygen.hil.mlperf_runner import attached_power_boards, missing_packages
from tinygen.hil.session import input_bytes, load_inputs

ROOT = Path(__file__).resolve().parents[2]
SHARED_RUNNER = ROOT.parent / "shared" / "third_party" / "mlperf-tiny-runner"
RUNNER = Path(os.environ.get("MLPERF_TINY_RUNNER") or SHARED_RUNNER)
needs_runner = pytest.mark.skipif(not (RUNNER / "main.py").is_file(),
                                  reason=f"no MLPerf Tiny runner at {RUNNER} (set MLPERF_TINY_RUNNER to its "
                                         f"benchmark/runner folder)")


@pytest.fixture(scope="module")
def resnet8(tmp_path_factory):
    """resnet8 (NCHW, 3 channels: the layout change matters) built for the host."""
    source = example_source("resnet8")
    graph = compile_source(source)
    out = tmp_path_factory.mktemp("mlperf-dataset") / "resnet8"
    build(source, graph, get_board("host"), out)
    return source, graph, out


def test_mlperf_dataset_files_equal_what_hil_sends_resnet8_host(resnet8, tmp_path):
    source, graph, project = resnet8
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1.5, (7, 3, 32, 32)).astype(np.float32)          # some beyond the input's range: clamped
    y = rng.integers(0, 10, 7)
    np.savez(tmp_path / "test.npz", x=x, y=y)
    rc = main(["mlperf", "dataset", "--project", str(project), "--data", str(tmp_path / "test.npz"),
               "--out", str(tmp_path / "datasets"), "--runner", ""])
    assert rc == 0
    folder = tmp_path / "datasets" / "resnet8"                        # the model id (no --model-id: its name)
    rows = read_dataset(folder)
    inputs, labels = load_inputs(tmp_path / "test.npz", None, source, graph)
    assert [r["data"] for r in rows] == [input_bytes(q) for q in inputs]
    assert [int(r["class"]) for r in rows] == labels.tolist() == y.tolist()
    size = int(np.prod(graph.tensor(graph.inputs[0]).shape))
    assert all(int(r["bytes_to_send"]) == int(r["stride"]) == size == len(r["data"]) for r in rows)
    assert {int(r["classes"]) for r in rows} == {10}
    assert sorted(p.name for p in folder.iterdir()) == [f"sample{i:05d}.bin" for i in range(7)] + ["y_labels.csv"]


@needs_runner
def test_mlperf_dataset_read_by_the_runners_datasets_py(resnet8, tmp_path):
    """The runner's own DataSet (datasets.py) reads the files back; with the runner, the folder
    is the one its test script names (ic02's data set is ic01's)."""
    _, _, project = resnet8
    np.savez(tmp_path / "t.npz", x=np.zeros((3, 3, 32, 32), np.float32), y=np.array([4, 0, 9]))
    folder = mlperf_runner.dataset_folder("ic02", str(RUNNER))
    assert folder == "ic01"
    assert main(["mlperf", "dataset", "--project", str(project), "--data", str(tmp_path / "t.npz"),
                 "--out", str(tmp_path / "d"), "--runner", str(RUNNER)]) == 0
    sys.path.insert(0, str(RUNNER))
    try:
        from datasets import DataSet
    finally:
        sys.path.remove(str(RUNNER))
    ours = read_dataset(tmp_path / "d" / "resnet8")
    theirs = DataSet(str(tmp_path / "d" / "resnet8"), "y_labels.csv")
    assert theirs.get_num_files() == 3
    for i, row in enumerate(ours):
        truth, data = theirs.get_file_by_index(i)
        assert data == row["data"] and int(truth["class"]) == [4, 0, 9][i]


def test_mlperf_dataset_refuses_bad_input_in_one_line(resnet8, tmp_path, capsys):
    _, _, project = resnet8
    out = tmp_path / "datasets"
    cases = [({"x": np.zeros((2, 3, 32, 32), np.float32)}, "has no labels (array y)"),
             ({"x": np.zeros((2, 3, 16, 16), np.float32), "y": np.zeros(2)}, "has samples of shape [3, 16, 16]"),
             ({"x": np.zeros((2, 3, 32, 32), np.float32), "y": np.zeros(3)}, "has 3 labels for 2 samples"),
             ({"x": np.zeros((2, 3, 32, 32), np.int8), "y": np.zeros(2)}, "x must be finite floats")]
    for arrays, message in cases:
        np.savez(tmp_path / "bad.npz", **arrays)
        assert main(["mlperf", "dataset", "--project", str(project), "--data", str(tmp_path / "bad.npz"),
                     "--out", str(out), "--runner", ""]) == 2
        err = capsys.readouterr().err
        assert err.startswith("tinygen mlperf dataset: error: ") and message in err.splitlines()[0], err
        assert len(err.splitlines()) == 2 and "Traceback" not in err
        assert not out.exists()                                       # nothing half-written
    assert main(["mlperf", "dataset", "--project", str(tmp_path), "--data", str(tmp_path / "bad.npz"), "--out", str(out)]) == 2
    assert "has no tinygen.json" in capsys.readouterr().err
    (out / "resnet8").mkdir(parents=True)
    (out / "resnet8" / "mine.txt").write_text("a user's file")
    np.savez(tmp_path / "ok.npz", x=np.zeros((1, 3, 32, 32), np.float32), y=np.zeros(1))
    assert main(["mlperf", "dataset", "--project", str(project), "--data", str(tmp_path / "ok.npz"), "--out", str(out),
                 "--runner", ""]) == 2
    assert "already exists and is not empty" in capsys.readouterr().err
    assert sorted(p.name for p in (out / "resnet8").iterdir()) == ["mine.txt"]


@needs_runner
def test_mlperf_launcher_names_missing_packages(monkeypatch, capsys):
    """The runner's main.py imports scikit-learn (in none of its requirements): missing, the
    launcher says so and where to install it, before it opens the device."""
    monkeypatch.setitem(sys.modules, "sklearn", None)          # find_spec: not importable
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert missing_packages() == ["matplotlib", "scikit-learn"]
    rc = main(["mlperf", "run", "--runner", str(RUNNER), "--port", "/nonexistent/tty", "--", "--mode", "a"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.splitlines()) == 2, err
    assert err.startswith(f"tinygen mlperf run: error: the runner needs Python packages that {sys.executable} lacks: "
                          f"matplotlib, scikit-learn"), err
    assert f"{sys.executable} -m pip install matplotlib scikit-learn" in err


def test_mlperf_runner_packages_are_here():
    """tinygen's own interpreter has what the runner imports (requirements.txt lists them)."""
    assert missing_packages() == []


@needs_runner
def test_mlperf_launcher_energy_mode_without_power_board(capsys):
    """--mode e with no power board: one line before the device is opened (the port does not
    exist), where the runner ends in 'RuntimeError: ERROR: Energy mode selected but no power
    board was found.'"""
    rc = main(["mlperf", "run", "--runner", str(RUNNER), "--port", "/nonexistent/tty", "--", "--mode", "e"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.splitlines()) == 2 and "Traceback" not in err, err
    assert err.startswith("tinygen mlperf run: error: --mode e needs a power board attached; none of "
                          "devices_kws_ic_vww.yaml's is: lpm01a (0483:5740), js220 (16d0:10ba)"), err


def test_mlperf_power_board_matching():
    """As the runner's DeviceManager.scan matches them: serial ports by USB id, a direct_usb
    entry (JS220) through pyusb's find."""
    devices = [{"name": "lpm01a", "type": "power", "usb": {0x0483: 0x5740}},
               {"name": "l4r5zi", "type": "dut", "usb": {0x0483: 0x374B}},
               {"name": "js220", "type": "power", "interface": "direct_usb", "usb": {0x16D0: [0x10BA]}}]
    port = SimpleNamespace
    dut_only = [port(vid=0x0483, pid=0x374B), port(vid=None, pid=None)]
    assert attached_power_boards(devices, dut_only) == []
    assert attached_power_boards(devices, dut_only + [port(vid=0x0483, pid=0x5740)]) == ["lpm01a"]
    js = {(0x16D0, 0x10BA)}
    found = attached_power_boards(devices, dut_only, lambda idVendor, idProduct: (idVendor, idProduct) in js or None)
    assert found == ["js220"]
    assert attached_power_boards(devices, dut_only, lambda **ids: None) == []


def test_mlperf_dataset_command_line(resnet8, tmp_path):
    """As a user runs it: tinygen mlperf dataset ..."""
    _, _, project = resnet8
    np.savez(tmp_path / "t.npz", x=np.ones((2, 3, 32, 32), np.float32), y=np.array([1, 2]))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    env.pop("MLPERF_TINY_RUNNER", None)
    proc = subprocess.run([sys.executable, "-m", "tinygen", "mlperf", "dataset", "--project", str(project),
                           "--data", str(tmp_path / "t.npz"), "--out", str(tmp_path / "d")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (f"{tmp_path / 'd' / 'resnet8'}: y_labels.csv and 2 input files; run the runner "
                                   f"with --dataset_path {tmp_path / 'd'}")
