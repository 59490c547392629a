"""`tinygen hil BUILD_DIR`: an existing build (the -o folder of `tinygen build`) runs as it is:
the model file is not read again, nothing is quantized or compiled, the folder's files are left
as they were; what the folder cannot honour is refused in one line."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from tinygen.build.saved import SAVED
from tinygen.cli import main

from e2e import EXAMPLES

ROOT = EXAMPLES.parents[1]
KWS = ROOT / "examples" / "mlperf-tiny" / "kws_dscnn_int8.tflite"
SAMPLES = 8


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")}


@pytest.fixture(scope="module")
def built_mlp(tmp_path_factory):
    """mlp.py built for the host from a copy, the copy then deleted: hil cannot read it again."""
    tmp = tmp_path_factory.mktemp("mlp")
    model = tmp / "mlp.py"
    for name in ("mlp.py", "_untrained.py"):
        shutil.copy(EXAMPLES / name, tmp / name)
    out = tmp / "build"
    assert main(["build", str(model), "--board", "host", "-q", "-o", str(out)]) == 0
    model.unlink()
    rng = np.random.default_rng(0)
    np.savez(tmp / "data.npz", x=rng.standard_normal((SAMPLES, 64)).astype(np.float32),
             y=rng.integers(0, 10, SAMPLES))
    return out, tmp / "data.npz"


def test_hil_build_dir_runs_without_the_model_and_changes_nothing(built_mlp, tmp_path):
    out, data = built_mlp
    before = snapshot(out)
    report = tmp_path / "r.json"
    assert main(["hil", str(out), "--board", "host", "--data", str(data), "-q", "--json", str(report)]) == 0
    summary = json.loads(report.read_text())
    assert summary["samples"] == SAMPLES and summary["bit_exact"] == SAMPLES
    assert summary["model"] == json.loads((out / "tinygen.json").read_text())["model"]
    assert snapshot(out) == before          # not rebuilt: every file's bytes and time as they were


@pytest.mark.parametrize("extra, said", [
    (["--kernels", "tinygen"], "--kernels: "),
    (["--calib", "random", "--tile", "auto"], "--calib, --tile: "),
    (["-o", "elsewhere"], "-o: "),
    (["--sweep", "density=1,0.5"], "--sweep: "),
])
def test_hil_build_dir_refuses_build_options(built_mlp, capsys, extra, said):
    out, data = built_mlp
    assert main(["hil", str(out), "--board", "host", "--data", str(data), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tinygen hil: error: {said}{out} is a build folder") and len(err.splitlines()) == 2


def test_hil_build_dir_for_another_board(built_mlp, capsys):
    out, data = built_mlp
    assert main(["hil", str(out), "--board", "f746zg", "--emulate", "--data", str(data)]) == 1
    assert f"{out} was built for host" in capsys.readouterr().err


def test_hil_build_dir_without_the_saved_model(built_mlp, tmp_path, capsys):
    out, data = built_mlp
    copy = tmp_path / "old"
    shutil.copytree(out, copy)
    (copy / SAVED).unlink()
    assert main(["hil", str(copy), "--board", "host", "--data", str(data)]) == 1
    err = capsys.readouterr().err
    assert f"{copy} holds no compiled model ({SAVED})" in err and "tinygen build MODEL --board host" in err
    (copy / SAVED).write_bytes(b"not a pickle")
    assert main(["hil", str(copy), "--board", "host", "--data", str(data)]) == 1
    assert "the build folder is damaged" in capsys.readouterr().err


def test_hil_build_dir_tflite_checks_against_tflm(tmp_path, capsys):
    """A .tflite build is checked against TFLite Micro, which runs the model file: while it is
    there; once it is gone, refused in one line, or run with --no-tflm."""
    pytest.importorskip("tflite_micro", reason="tflite_micro is not installed (pip install 'tinygen[tflite]')")
    model = tmp_path / "kws.tflite"
    shutil.copy(KWS, model)
    out = tmp_path / "kws"
    assert main(["build", str(model), "--board", "host", "-q", "-o", str(out)]) == 0
    rng = np.random.default_rng(1)
    data = tmp_path / "kws.npz"
    np.savez(data, x=rng.normal(0, 10, (4, 49, 10, 1)).astype(np.float32))
    report = tmp_path / "r.json"
    run = ["hil", str(out), "--board", "host", "--data", str(data), "-q", "--json", str(report)]
    assert main(run) == 0
    summary = json.loads(report.read_text())
    assert summary["bit_exact"] == 4 and summary["tflite_micro"]["status"] == "compared"
    assert summary["tflite_micro"]["equal"] is True
    model.unlink()
    capsys.readouterr()
    assert main(run) == 1
    err = capsys.readouterr().err
    assert f"was built from {model}, which is gone: the check against TFLite Micro runs that file" in err
    assert main(run + ["--no-tflm"]) == 0
    summary = json.loads(report.read_text())
    assert summary["bit_exact"] == 4 and "tflite_micro" not in summary
