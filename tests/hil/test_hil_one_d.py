"""A model whose input is 1-D ([480] audio, no batch axis: TFLite Micro's signal library takes
such frames) fed from a data file: `tinygen hil` takes one sample per row of a 2-D array (or one
sample alone), runs every row and compares with TFLite Micro; a row of another length is refused
in one line saying the input is 1-D; --calib on such a model is refused in one line, as
tinygen's calibration runs a batch along the first axis (tinygen.calib.sample_shape)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from signal_lib import auto_scale
from tflite_builder import ModelBuilder

from tinygen.calib import load_calibration, sample_shape, with_sample_axis
from tinygen.cli import main
from tinygen.errors import ModelError

needs_tflm = pytest.mark.skipif(importlib.util.find_spec("tflite_micro") is None,
                                reason="tflite_micro is not installed (pip install tflite-micro)")
LENGTH, SAMPLES = 480, 6


def float_frame_model() -> bytes:
    """float32 [480] -> MUL by a Hann window -> L2_NORMALIZATION."""
    b = ModelBuilder("a 1-D float input")
    x, m, y = (b.tensor(name, [LENGTH], "float32") for name in ("x", "windowed", "y"))
    hann = np.hanning(LENGTH).astype(np.float32)
    b.op("MUL", [x, b.tensor("hann", [LENGTH], "float32", data=hann)], [m], "MulOptions")
    b.op("L2_NORMALIZATION", [m], [y], "L2NormOptions")
    return b.finish([x], [y])


def int16_frame_model() -> bytes:
    """int16 [480] -> SignalFftAutoScale (plain integers: no calibration)."""
    b = ModelBuilder("a 1-D int16 input")
    inputs, outputs = auto_scale(b, np.random.default_rng(1), LENGTH)
    return b.finish(inputs, outputs)


def hil(tmp_path, model: bytes, x: np.ndarray, *extra: str):
    path, data, report = tmp_path / "frame.tflite", tmp_path / "data.npz", tmp_path / "report.json"
    path.write_bytes(model)
    np.savez(data, x=x)
    rc = main(["hil", str(path), "--board", "host", "--data", str(data), "-q", "-o", str(tmp_path / "build"),
               "--json", str(report), *extra])
    return rc, (json.loads(report.read_text()) if report.exists() else None)


@needs_tflm
@pytest.mark.parametrize("model, data", [
    (float_frame_model, lambda rng: rng.normal(0, 1, (SAMPLES, LENGTH)).astype(np.float32)),
    (int16_frame_model, lambda rng: rng.integers(-3000, 3000, (SAMPLES, LENGTH)).astype(np.int16)),
], ids=["float32", "int16"])
def test_hil_one_d_input_one_sample_per_row(tmp_path, capsys, model, data):
    rc, summary = hil(tmp_path, model(), data(np.random.default_rng(2)))
    assert rc == 0, capsys.readouterr().err
    assert summary["samples"] == summary["bit_exact"] == SAMPLES
    tflm = summary["tflite_micro"]
    assert tflm["status"] == "compared" and tflm["equal"], tflm
    assert all(o["samples_equal"] == SAMPLES for o in tflm["outputs"])


@needs_tflm
def test_hil_one_d_input_one_sample_alone(tmp_path, capsys):
    rc, summary = hil(tmp_path, float_frame_model(), np.linspace(-1, 1, LENGTH, dtype=np.float32))
    assert rc == 0, capsys.readouterr().err
    assert summary["samples"] == summary["bit_exact"] == 1 and summary["tflite_micro"]["equal"]


def test_hil_one_d_input_rows_of_another_length_one_line(tmp_path, capsys):
    rc, _ = hil(tmp_path, float_frame_model(), np.zeros((SAMPLES, LENGTH - 1), np.float32), "--no-tflm")
    err = capsys.readouterr().err
    assert rc != 0 and "Traceback" not in err and len(err.strip().splitlines()) == 2, err
    assert f"have shape [{LENGTH - 1}], the model takes [{LENGTH}]" in err
    assert f"[N, {LENGTH}] (the model input is 1-D, [{LENGTH}], with no batch axis: one sample per row" in err


def test_build_calib_one_d_input_refused_one_line(tmp_path, capsys):
    path, data = tmp_path / "frame.tflite", tmp_path / "calib.npy"
    path.write_bytes(float_frame_model())
    np.save(data, np.zeros((SAMPLES, LENGTH), np.float32))
    rc = main(["build", str(path), "--board", "host", "--calib", str(data), "-q", "-o", str(tmp_path / "build")])
    err = capsys.readouterr().err
    assert rc != 0 and "Traceback" not in err and len(err.strip().splitlines()) == 2, err
    assert f"is 1-D ([{LENGTH}], no batch axis)" in err and "leave out --calib" in err


def test_sample_shape_of_one_d_and_batched_inputs():
    assert sample_shape((LENGTH,)) == (LENGTH,) and sample_shape((1, 49, 40)) == (49, 40)
    assert with_sample_axis(np.zeros(LENGTH), (LENGTH,)).shape == (1, LENGTH)
    assert with_sample_axis(np.zeros((3, LENGTH)), (LENGTH,)).shape == (3, LENGTH)
    assert with_sample_axis(np.zeros(5), (1,)).shape == (5, 1)        # [N] for a one-value input
    assert with_sample_axis(np.zeros((49, 40)), (1, 49, 40)).shape == (1, 49, 40)
    # a batched input's calibration data is unchanged
    assert load_calibration(None, [(1, 8)], np.zeros((4, 8)))[0].shape == (4, 8)
    with pytest.raises(ModelError, match="is 1-D"):
        load_calibration(None, [(LENGTH,)], np.zeros((4, LENGTH)))
