"""Every command takes an .onnx model: build (host and the f746zg firmware), inspect, flash
--emulate and sweep (its kernels and boards); `tinygen hil` on an .onnx is in
tests/e2e/test_onnx_e2e.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

from e2e import run_cli
from onnx_lib import onnx_inputs, onnx_model
from standin_lib import needs_qemu


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx_cli")


def test_onnx_build_host_float_needs_calibration(models, tmp_path):
    path = onnx_model(models, "kws", "float")
    np.save(tmp_path / "calib.npy", onnx_inputs("kws", 16, seed=1))
    rc, _, err = run_cli("build", path, "--board", "host", "--calib", tmp_path / "calib.npy", "--calib-method",
                         "percentile", "--percentile", "99.9", "-o", tmp_path / "out")
    assert rc == 0, err
    manifest = json.loads((tmp_path / "out" / "tinygen.json").read_text())
    assert manifest["model"] == "kws" and manifest["source_layout"] == "NCHW"
    rc, _, err = run_cli("build", path, "--board", "host", "-o", tmp_path / "none")
    assert rc == 1 and "--calib" in err and not (tmp_path / "none").exists()


@needs_qemu
def test_onnx_build_f746zg_quantized_and_flash_emulate(models, tmp_path):
    path = onnx_model(models, "mobilenet", "qoperator")
    # the preferred kernels: --kernels auto would measure its candidates on the stand-in first (its own tests)
    rc, _, err = run_cli("build", path, "--board", "f746zg", "-o", tmp_path / "fw", "-q", "--kernels", "tinygen")
    assert rc == 0, err
    assert (tmp_path / "fw" / "firmware.elf").is_file()
    assert "tg_lut_s8" in (tmp_path / "fw" / "model.c").read_text()
    rc, out, err = run_cli("flash", path, "--board", "f746zg", "--emulate", "-o", tmp_path / "fw", "-q",
                           "--kernels", "tinygen")
    assert rc == 0, err
    assert "tinygen runs mobilenet_qoperator" in out and "counting instructions" in out


def test_onnx_inspect(models):
    rc, out, err = run_cli("inspect", onnx_model(models, "mlp", "qdq"), "--memory")
    assert rc == 0, err
    assert "lut" in out and "fully_connected" in out


@pytest.mark.slow
@needs_qemu
def test_onnx_sweep_kernels_and_boards(models, tmp_path):
    path = onnx_model(models, "kws", "qdq")
    x = onnx_inputs("kws", 8, seed=2)
    np.savez(tmp_path / "data.npz", x=x, y=np.arange(8) % 12)
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"model: {path}\ndata: data.npz\nsearch: grid\nsamples: 2\n"
                    "space:\n  kernels: [tinygen, portable]\n  board: [f746zg]\n"
                    "objectives: [max accuracy, min instructions]\n")
    rc, out, err = run_cli("sweep", spec, "--workers", "1", "--out", tmp_path / "sweep")
    assert rc == 0, err
    rows = json.loads((tmp_path / "sweep" / "results.json").read_text())
    assert len(rows) == 2 and all(r["status"] == "ok" and r["bit_exact"] == "2/2" for r in rows), rows
    assert rows[0]["instructions"] != rows[1]["instructions"]
    spec.write_text(f"model: {path}\ndata: data.npz\nspace:\n  bits: {{'0': [8, 4]}}\n  board: [f746zg]\n")
    rc, _, err = run_cli("sweep", spec, "--workers", "1", "--out", tmp_path / "sweep2")
    assert rc == 2 and "is an ONNX model" in err
