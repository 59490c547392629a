"""A float32 .tflite through the command line: without --calib it runs in float32 (TFLite
Micro's float reference kernels, bit for bit: `tinygen hil` on the host equals the reference
and its TFLite Micro check equals TFLM); with --calib tinygen quantizes it to int8 as it does
a PyTorch model, and hil's check reports the quantized outputs against TFLM's float ones (the
largest difference, the same top-1). The per-operator cases against TFLM: tests/
frontend/test_tflite_ops.py's f32_*; on the stand-ins: tests/e2e/test_tflite_f32_standin.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

from e2e import run_cli
from tflite_builder import ModelBuilder
from tflite_op_cases import CASES, f32, f32_const

import tflite_refs  # noqa: F401  (skips the module when TFLM or LiteRT is absent)

SAMPLES = 10


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    """The f32_fully_connected_chain case: [1, 2, 3, 4] -> 5 scores."""
    folder = tmp_path_factory.mktemp("tflite_float")
    b = ModelBuilder("float chain")
    path = folder / "chain.tflite"
    path.write_bytes(b.finish(*CASES["f32_fully_connected_chain"].build(b, np.random.default_rng(3))))
    rng = np.random.default_rng(4)
    np.savez(folder / "data.npz", x=rng.normal(0, 1, (SAMPLES, 2, 3, 4)).astype(np.float32))
    np.save(folder / "calib.npy", rng.normal(0, 1, (64, 2, 3, 4)).astype(np.float32))
    return folder, path


def _hil(folder, path, *extra) -> dict:
    out = folder / ("host_q" if extra else "host")
    rc, stdout, stderr = run_cli("hil", path, "--board", "host", "--data", folder / "data.npz", "-q", "-o", out,
                                 "--json", out.with_suffix(".json"), *extra)
    assert rc == 0, stderr
    return json.loads(out.with_suffix(".json").read_text()), stdout


def test_float_tflite_runs_in_float32(classifier):
    folder, path = classifier
    rc, stdout, stderr = run_cli("build", path, "--board", "host", "-o", folder / "build", "-q")
    assert rc == 0, stderr
    assert "inputs: x0 1x2x3x4 → input (96 B)" in stdout, stdout
    report, stdout = _hil(folder, path)
    assert report["samples"] == report["bit_exact"] == SAMPLES
    assert report["outputs"][0]["dtype"] == "float32"
    assert report["tflite_micro"]["status"] == "compared" and report["tflite_micro"]["equal"]
    assert "vs TFLite Micro                  equal: 10/10 samples, every byte" in stdout


def test_float_tflite_quantized_by_tinygen_with_calib(classifier):
    folder, path = classifier
    report, stdout = _hil(folder, path, "--calib", folder / "calib.npy")
    assert report["samples"] == report["bit_exact"] == SAMPLES
    assert report["outputs"][0]["dtype"] == "int8"
    checked = report["tflite_micro"]
    assert checked["status"] == "quantized", checked
    out = checked["outputs"][0]
    # int8 follows the float model: most samples keep their top-1, the scores stay close
    assert out["same_top1"] >= SAMPLES * 7 // 10 and 0 < out["max_abs_diff"] < 0.5, out
    assert "vs TFLite Micro (float model)    quantized by tinygen: largest difference" in stdout


def test_float_tflite_with_a_float_op_tinygen_lacks_is_refused(tmp_path, capsys):
    b = ModelBuilder()
    x, y = f32(b, "x", [1, 10]), f32(b, "y", [1, 10])
    h = f32(b, "h", [1, 10])
    b.op("FULLY_CONNECTED", [x, f32_const(b, np.random.default_rng(1), "w", [10, 10]), -1], [h],
         "FullyConnectedOptions")
    b.op("SVDF", [h, f32_const(b, np.random.default_rng(2), "wf", [4, 10]),
                  f32_const(b, np.random.default_rng(3), "wt", [4, 3]), -1, f32(b, "state", [1, 12])], [y], "SVDFOptions",
         Rank=1)
    path = tmp_path / "svdf.tflite"
    path.write_bytes(b.finish([x], [y]))
    rc, _, stderr = run_cli("build", path, "--board", "host", "-o", tmp_path / "out")
    assert rc == 1 and "Traceback" not in stderr
    assert "is a float model with operators tinygen does not run in float32 yet: SVDF (operator 1)" in stderr
    assert not (tmp_path / "out").exists()
