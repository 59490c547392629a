"""--fold-input-transpose: a .tflite exported from PyTorch starts with a TRANSPOSE from its
NCHW input to NHWC; with the option, tinygen takes the input as NHWC and leaves the transpose
out (no layer, no buffer for it). `tinygen hil` then takes NHWC data, bit-exact with the
reference, and its TFLite Micro check feeds TFLM the file's NCHW input and finds it equal.
Without such a transpose, or for a model that is not .tflite, the option is one clear error."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tflite.Padding import Padding

from e2e import run_cli
from tflite_builder import ModelBuilder
from tflite_op_cases import act, int32s
from tinygen.compiler import compile_source, load_source
from tinygen.errors import UsageError

import tflite_refs  # noqa: F401  (skips the module when TFLM or LiteRT is absent)


def nchw_model() -> bytes:
    rng = np.random.default_rng(0)
    b = ModelBuilder("exported from PyTorch")
    x, t = act(b, rng, "x", [1, 3, 8, 10], 0.02, 5), act(b, rng, "nhwc", [1, 8, 10, 3], 0.02, 5)
    y = act(b, rng, "y", [1, 8, 10, 4], 0.05, -3)
    w = b.tensor("w", [4, 3, 3, 3], scale=[0.01] * 4, zero_point=[0] * 4, data=rng.integers(-127, 128, (4, 3, 3, 3)))
    bias = b.tensor("bias", [4], "int32", data=rng.integers(-500, 500, 4))
    b.op("TRANSPOSE", [x, int32s(b, "perm", [0, 2, 3, 1])], [t], "TransposeOptions")
    b.op("CONV_2D", [t, w, bias], [y], "Conv2DOptions", Padding=Padding.SAME, StrideH=1, StrideW=1,
         DilationHFactor=1, DilationWFactor=1)
    return b.finish([x], [y])


def test_fold_input_transpose_takes_nhwc(tmp_path):
    path = tmp_path / "nchw.tflite"
    path.write_bytes(nchw_model())
    plain = compile_source(load_source(path))
    folded_source = load_source(path, fold_input_transpose=True)
    folded = compile_source(folded_source)
    assert [n.op for n in plain.nodes if n.kernel] == ["transpose", "conv2d"]
    assert [n.op for n in folded.nodes if n.kernel] == ["conv2d"]
    assert folded_source.input_shapes == [(1, 8, 10, 3)] and folded.meta["input_transposes"] == {"input": [0, 2, 3, 1]}
    np.savez(tmp_path / "data.npz", x=np.random.default_rng(1).uniform(-2, 2, (6, 8, 10, 3)).astype(np.float32))
    rc, stdout, stderr = run_cli("hil", path, "--board", "host", "--fold-input-transpose", "--data",
                                 tmp_path / "data.npz", "-q", "-o", tmp_path / "host", "--json", tmp_path / "r.json")
    assert rc == 0, stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["samples"] == report["bit_exact"] == 6
    assert report["tflite_micro"]["equal"], report["tflite_micro"]


def test_fold_input_transpose_refused_where_there_is_none(tmp_path, capsys):
    b = ModelBuilder()
    rng = np.random.default_rng(2)
    x, y = act(b, rng, "x", [1, 4, 4, 3]), act(b, rng, "y", [1, 4, 4, 3])
    b.op("RELU", [x], [y])
    path = tmp_path / "plain.tflite"
    path.write_bytes(b.finish([x], [y]))
    rc, _, stderr = run_cli("build", path, "--board", "host", "--fold-input-transpose", "-o", tmp_path / "out")
    assert rc == 2 and "does not go straight into a TRANSPOSE from NCHW to NHWC" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "out").exists()
    with pytest.raises(UsageError, match="is for .tflite models"):
        load_source(tmp_path / "model.py", fold_input_transpose=True)
