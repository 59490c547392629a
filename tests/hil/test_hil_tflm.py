"""`tinygen hil` on a .tflite model runs TFLite Micro's interpreter on the same inputs as the
device (tinygen/hil/tflm_check.py): a two-output model built in memory (tests/tflite_builder.py)
with a float32 boundary (QUANTIZE at the input, DEQUANTIZE at output 0) reported equal, on the
host process and on the f746zg stand-in; the same firmware against a TFLM fed a copy of the
model with one layer's bias changed, reported different at that layer and only on the output
it feeds; a model TFLM has no kernel for (GELU), a missing package and --no-tflm, each one line."""

from __future__ import annotations

import importlib.util
import json
import re
import sys

import numpy as np
import pytest
from tflite.ActivationFunctionType import ActivationFunctionType as Act
from tflite.Padding import Padding
from tflite_builder import ModelBuilder, random_scale, random_zero_point

from standin_lib import needs_qemu
from tinygen.cli import main
from tinygen.hil import tflm_check

SAMPLES = 12
needs_tflm = pytest.mark.skipif(importlib.util.find_spec("tflite_micro") is None,
                                reason="tflite_micro is not installed (pip install tflite-micro)")


def two_outputs(bias_shift: int = 0) -> tuple[bytes, int]:
    """float32 x -> QUANTIZE -> CONV_2D 3x3 (RELU) -> CONV_2D 1x1 -> DEQUANTIZE: output 0 (float32);
    the first convolution's MAX_POOL_2D: output 1 (int8). `bias_shift` is added to the 1x1
    convolution's bias. Returns the model and the .tflite index of the 1x1 convolution's output."""
    rng = np.random.default_rng(7)
    b = ModelBuilder("tinygen hil TFLM check")
    f = b.tensor("x_float", [1, 8, 8, 3], "float32")
    x = b.tensor("x", [1, 8, 8, 3], scale=0.05, zero_point=0)
    b.op("QUANTIZE", [f], [x])
    y0 = b.tensor("c0", [1, 8, 8, 8], scale=random_scale(rng, 0.05, 0.2), zero_point=-128)
    b.op("CONV_2D", [x, b.tensor("c0_w", [8, 3, 3, 3], scale=[random_scale(rng, 0.002, 0.05) for _ in range(8)],
                                 zero_point=[0] * 8, data=rng.integers(-127, 128, (8, 3, 3, 3)), axis=0),
                     b.tensor("c0_b", [8], "int32", data=rng.integers(-4000, 4000, 8))], [y0], "Conv2DOptions",
         Padding=Padding.SAME, StrideH=1, StrideW=1, FusedActivationFunction=Act.RELU)
    y1 = b.tensor("c1", [1, 8, 8, 4], scale=random_scale(rng, 0.05, 0.2), zero_point=random_zero_point(rng))
    b.op("CONV_2D", [y0, b.tensor("c1_w", [4, 1, 1, 8], scale=[random_scale(rng, 0.002, 0.05) for _ in range(4)],
                                  zero_point=[0] * 4, data=rng.integers(-127, 128, (4, 1, 1, 8)), axis=0),
                     b.tensor("c1_b", [4], "int32", data=rng.integers(-4000, 4000, 4) + bias_shift)], [y1],
         "Conv2DOptions", Padding=Padding.VALID, StrideH=1, StrideW=1, FusedActivationFunction=Act.NONE)
    g = b.tensor("y_float", [1, 8, 8, 4], "float32")
    b.op("DEQUANTIZE", [y1], [g])
    z = b.tensor("pool", [1, 4, 4, 8], scale=b.tensors[y0].scale, zero_point=b.tensors[y0].zero_point)
    b.op("MAX_POOL_2D", [y0], [z], "Pool2DOptions", Padding=Padding.VALID, StrideH=2, StrideW=2, FilterHeight=2,
         FilterWidth=2, FusedActivationFunction=Act.NONE)
    return b.finish([f], [g, z]), y1


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """The model and its data, and one build folder per board that the tests share."""
    root = tmp_path_factory.mktemp("hil_tflm")
    path = root / "two_outputs.tflite"
    path.write_bytes(two_outputs()[0])
    np.savez(root / "data.npz", x=np.random.default_rng(3).normal(0, 2, (SAMPLES, 8, 8, 3)).astype(np.float32))
    return root, path


def hil(model, board: str, *extra: str, path=None):
    root, default = model
    report = root / f"report_{board}.json"
    report.unlink(missing_ok=True)
    emulate = ["--emulate"] if board != "host" else []
    rc = main(["hil", str(path or default), "--board", board, *emulate, "--data", str(root / "data.npz"), "-q",
               "-o", str(root / f"build_{board}_{(path or default).stem}"), "--json", str(report), *extra])
    return rc, (json.loads(report.read_text()) if report.exists() else None)


def check_equal(summary: dict, out: str) -> None:
    assert summary["bit_exact"] == summary["samples"] == SAMPLES
    t = summary["tflite_micro"]
    assert t["status"] == "compared" and t["equal"] and t["first_difference"] is None, t
    assert t["input"].startswith("float32")
    float_out, int8_out = t["outputs"]
    assert float_out["samples_equal"] == int8_out["samples_equal"] == SAMPLES
    assert float_out["bytes"] == SAMPLES * 8 * 8 * 4 and int8_out["bytes"] == SAMPLES * 4 * 4 * 8
    assert float_out["float32"] == {"values": SAMPLES * 8 * 8 * 4, "values_differing": 0}
    assert int8_out["float32"] is None
    assert re.search(rf"vs TFLite Micro, output 0 +equal: {SAMPLES}/{SAMPLES} samples, every byte and every "
                     "float32 value", out)
    assert re.search(rf"vs TFLite Micro, output 1 +equal: {SAMPLES}/{SAMPLES} samples, every byte\n", out)


@needs_tflm
def test_hil_tflm_host_equal(model, capsys):
    rc, summary = hil(model, "host")
    out = capsys.readouterr()
    assert rc == 0, out.err
    check_equal(summary, out.out)


@pytest.mark.slow
@needs_qemu
@needs_tflm
def test_hil_tflm_f746zg_equal(model, capsys):
    rc, summary = hil(model, "f746zg")
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert summary["latency"]["unit"] == "instructions"
    check_equal(summary, out.out)


@pytest.mark.slow
@needs_qemu
@needs_tflm
def test_hil_tflm_f746zg_names_first_differing_layer(model, capsys, monkeypatch):
    """The device runs the model as built (the shared build); TFLM runs a copy whose 1x1
    convolution adds 300 to its bias: output 0 differs, output 1 (before that layer) does not,
    and the walk names the 1x1 convolution, whose .tflite tensor is the changed one."""
    changed, index = two_outputs(bias_shift=300)
    real = tflm_check.run_tflm
    monkeypatch.setattr(tflm_check, "run_tflm", lambda _model, *rest: real(changed, *rest))
    rc, summary = hil(model, "f746zg")
    out = capsys.readouterr()
    assert rc == 0, out.err                  # the device still equals the reference
    assert summary["bit_exact"] == SAMPLES
    t = summary["tflite_micro"]
    assert t["status"] == "compared" and not t["equal"]
    float_out, int8_out = t["outputs"]
    assert not float_out["equal"] and 0 < float_out["bytes_differing"] <= float_out["bytes"]
    assert float_out["max_diff"] > 0 and float_out["float32"]["values_differing"] == float_out["bytes_differing"]
    assert int8_out["equal"] and int8_out["samples_equal"] == SAMPLES
    first = t["first_difference"]
    assert first["tflite_tensor"] == index and first["op"] == "conv2d" and first["sample"] == 0
    # equal before it: the input, the 3x3 convolution and (in the compiled graph's order) the pool
    assert first["compared"] == 4 and first["skipped"] == []
    assert first["bytes_differing"] > 0 and first["layer"] in out.out
    assert re.search(r"vs TFLite Micro, output 0 +different: \d+ of 3072 bytes differ \(largest \d+ LSB\)", out.out)
    assert re.search(rf"first differing layer \(TFLM\) +{re.escape(first['layer'])} \(conv2d, tensor "
                     rf"{re.escape(first['tensor'])}, \.tflite tensor {index}\), sample 0", out.out)


@needs_tflm
def test_hil_tflm_cannot_run_gelu_one_line(model, capsys):
    root, _ = model
    b = ModelBuilder()
    x = b.tensor("x", [1, 8, 8, 3], scale=0.05, zero_point=0)
    y = b.tensor("y", [1, 8, 8, 3], scale=0.03, zero_point=-110)
    b.op("GELU", [x], [y], "GeluOptions", Approximate=False)
    path = root / "gelu.tflite"
    path.write_bytes(b.finish([x], [y]))
    rc, summary = hil(model, "host", path=path)
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert summary["bit_exact"] == SAMPLES
    t = summary["tflite_micro"]
    assert t["status"] == "not_run" and "GELU" in t["reason"] and "gelu.tflite" in t["reason"]
    notes = [line for line in out.err.splitlines() if "TFLite Micro" in line]
    assert len(notes) == 1 and notes[0].startswith("tinygen hil: TFLite Micro check not run: TFLite Micro cannot "
                                                   "run gelu.tflite:") and "GELU" in notes[0], out.err
    assert "Traceback" not in out.err and "not run:" in out.out


def test_hil_tflm_skipped_without_the_package(model, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tflite_micro", None)        # what an environment without it imports
    rc, summary = hil(model, "host")
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert summary["tflite_micro"] == {"status": "skipped",
                                       "reason": "the tflite_micro package is not installed (pip install 'tinygen[tflite]')"}
    notes = [line for line in out.err.splitlines() if "TFLite Micro" in line]
    assert notes == ["tinygen hil: TFLite Micro check skipped: the tflite_micro package is not installed "
                     "(pip install 'tinygen[tflite]')"]
    assert summary["bit_exact"] == SAMPLES


def test_hil_tflm_no_tflm_leaves_it_out(model, capsys):
    rc, summary = hil(model, "host", "--no-tflm")
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "tflite_micro" not in summary and "TFLite Micro" not in out.out + out.err


@needs_tflm
@pytest.mark.parametrize("kind", ["svdf", "lstm"])
def test_tflm_check_recurrent_state_carries_over_as_on_the_device(tmp_path, kind):
    """A .tflite LSTM / SVDF keeps its state between invocations, on the device (its persistent
    region) as in TFLM's variable tensors: the check runs TFLM's samples in order from a fresh
    state, equal to the reference carrying its state; a device that started each sample afresh
    is reported different from sample 1 on, and the walk (the reference replaying the samples
    before, against TFLM) finds no layer: the device is what differs."""
    from tflite_recurrent_cases import lstm_model, svdf_model

    from tinygen.compiler import compile_source, load_source
    from tinygen.hil.session import SampleRun, sample_inputs
    from tinygen.ref.interpreter import run

    rng = np.random.default_rng(11)
    path = tmp_path / f"{kind}.tflite"
    path.write_bytes(lstm_model(rng, 1, 4, 6, 5) if kind == "lstm" else svdf_model(rng, 1, 12, 4, 2, 6))
    source = load_source(path)
    graph = compile_source(source)
    assert tflm_check.carries_state(graph)
    xs = sample_inputs(source, graph, 5, seed=2)
    state: dict = {}
    carried = SampleRun(outputs=[[run(graph, x, state=state)[o] for o in graph.outputs] for x in xs])
    report = tflm_check.tflm_agreement(source, graph, xs, carried)
    assert report["status"] == "compared" and report["equal"], report
    assert report["outputs"][0]["samples_equal"] == 5
    afresh = SampleRun(outputs=[[run(graph, x)[o] for o in graph.outputs] for x in xs])
    assert [a[0].tobytes() for a in afresh.outputs] != [c[0].tobytes() for c in carried.outputs]
    report = tflm_check.tflm_agreement(source, graph, xs, afresh)
    assert not report["equal"] and report["outputs"][0]["samples_equal"] < 5
    first = report["first_difference"]
    assert first["sample"] >= 1 and first["tensor"] is None and first["compared"] >= 2, first


@needs_tflm
def test_hil_runs_a_recurrent_tflite_model_as_one_sequence(tmp_path):
    """`tinygen hil` on a .tflite LSTM (its state carries over between inferences on the
    device): the samples run as one sequence from `tg reset`, the reference following with its
    state, so every sample is bit-exact; `tg layers` starts from the initial state again; TFLM
    agrees. (A reference that started each sample afresh reported mismatches, and the layer
    profile stopped with a traceback.)"""
    from tflite_recurrent_cases import lstm_model

    from e2e import run_cli

    rng = np.random.default_rng(12)
    path = tmp_path / "lstm.tflite"
    path.write_bytes(lstm_model(rng, 1, 4, 6, 5))
    np.savez(tmp_path / "data.npz", x=rng.uniform(-3, 3, (6, 4, 6)).astype(np.float32))
    rc, _, stderr = run_cli("hil", path, "--board", "host", "--data", tmp_path / "data.npz", "-q", "-o",
                            tmp_path / "host", "--json", tmp_path / "report.json")
    assert rc == 0 and "Traceback" not in stderr, stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["samples"] == report["bit_exact"] == 6
    assert report["tflite_micro"]["equal"], report["tflite_micro"]


@needs_tflm
def test_hil_tflm_detection_slots_tflm_leaves_unwritten(tmp_path, capsys):
    """An SSD-like model whose DETECTION_POSTPROCESS has 40 slots for fewer detections: TFLite
    Micro leaves the slots past its detections as its arena held them, tinygen writes 0 there;
    the check compares what TFLite Micro writes (graph.meta["tflm_unwritten"]) and finds it equal."""
    from ssd_model import ssd_model

    path = tmp_path / "ssd.tflite"
    path.write_bytes(ssd_model(False, max_detections=40, background=False, seed=5, iou=0.3))
    np.save(tmp_path / "data.npy", np.random.default_rng(4).normal(0, 3, (6, 4, 4, 8)).astype(np.float32))
    report = tmp_path / "report.json"
    rc = main(["hil", str(path), "--board", "host", "--data", str(tmp_path / "data.npy"), "-q", "-o",
               str(tmp_path / "build"), "--json", str(report)])
    assert rc == 0, capsys.readouterr().err
    t = json.loads(report.read_text())["tflite_micro"]
    assert t["status"] == "compared" and t["equal"], t
    assert [o["samples_equal"] for o in t["outputs"]] == [6, 6, 6, 6]
