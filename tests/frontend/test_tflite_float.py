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

from e2e import build_host, first_difference, run_cli
from tflite_builder import ModelBuilder
from tflite_op_cases import CASES, f32, f32_const
from tflite_float_cases import f32_lstm_model

import tflite_refs  # noqa: F401  (skips the module when TFLM or LiteRT is absent)
from tflite_refs import tflm
from tinygen.board import get_board
from tinygen.compiler import compile_source, load_source
from tinygen.hil.session import libm_note
from tinygen.errors import UnsupportedOpError
from tinygen.ref.interpreter import run

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
    rc, stdout, stderr = run_cli("build", path, "--board", "host", "-o", folder / "build")
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
    weights = [f32_const(b, np.random.default_rng(2), "wf", [4, 10]), f32_const(b, np.random.default_rng(3), "wt", [4, 3])]
    b.op("SVDF", [h, *weights, -1, f32(b, "state", [1, 12])], [y], "SVDFOptions", Rank=1)
    path = tmp_path / "svdf.tflite"
    path.write_bytes(b.finish([x], [y]))
    rc, _, stderr = run_cli("build", path, "--board", "host", "-o", tmp_path / "out")
    assert rc == 1 and "Traceback" not in stderr
    assert "is a float model with operators tinygen does not run in float32 yet: SVDF (operator 1)" in stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("shape", [(1, 5, 3, 4, 0.0), (2, 3, 6, 5, 0.6)], ids=["b1_t5_i3_h4", "b2_t3_i6_h5_clip"])
def test_lstm_f32_sequence_equals_tflm_host_c_and_resets(shape, tmp_path):
    """The float LSTM (TFLite Micro's float lstm_eval) over invocations whose state carries
    over: the reference and the host C equal TFLM bit for bit at every invocation; after
    tg_model_reset_state() the sequence starts over as on a fresh interpreter."""
    rng = np.random.default_rng(sum(shape[:4]))
    data = f32_lstm_model(rng, *shape)
    path = tmp_path / "lstm.tflite"
    path.write_bytes(data)
    source = load_source(path)
    graph = compile_source(source)
    assert [n.kernel for n in graph.nodes if n.kernel] == ["tg_lstm_f32"]
    host = build_host(source, graph, tmp_path / "host")
    xs = [rng.normal(0, 1.5, shape[:3]).astype(np.float32) for _ in range(4)]
    interp = tflm.Interpreter.from_bytes(data, arena_size=1 << 20)
    state: dict = {}
    wants = []
    for k, x in enumerate(xs):
        interp.set_input(x, 0)
        interp.invoke()
        want = np.array(interp.get_output(0)).ravel()
        wants.append(want)
        ref = run(graph, x, state=state)[graph.outputs[0]].ravel()
        got = host.invoke(x)[0].view(np.float32).ravel()
        assert np.array_equal(ref.view(np.uint32), want.view(np.uint32)), f"reference, invocation {k}: " \
            f"{first_difference(ref, want)}"
        assert np.array_equal(got.view(np.uint32), want.view(np.uint32)), f"host C, invocation {k}: " \
            f"{first_difference(got, want)}"
    assert not np.array_equal(wants[0], run(graph, xs[0], state=state)[graph.outputs[0]].ravel())   # state carried
    host.reset_state()
    assert np.array_equal(host.invoke(xs[0])[0].view(np.float32).ravel().view(np.uint32), wants[0].view(np.uint32))


def test_float_div_of_a_constant_is_refused(tmp_path):
    """DIV, MINIMUM, MAXIMUM keep their operands' order (a / b; which one a tie gives): a constant
    first operand is refused in one line, naming the operator."""
    b = ModelBuilder()
    x, y = f32(b, "x", [1, 4]), f32(b, "y", [1, 4])
    b.op("DIV", [f32_const(b, np.random.default_rng(1), "numerator", [4]), x], [y], "DivOptions")
    path = tmp_path / "reciprocal.tflite"
    path.write_bytes(b.finish([x], [y]))
    with pytest.raises(UnsupportedOpError, match=r"operator 0 \(DIV, .*the first operand is a constant"):
        load_source(path)


def test_libm_note_names_the_layers_calling_expf_on_a_device(tmp_path):
    """tinygen hil on a board (not the host) explains a difference in the layers calling the C
    library's expf / tanhf: the reference uses this computer's libm, the device its own."""
    b = ModelBuilder("softmax")
    path = tmp_path / "softmax.tflite"
    path.write_bytes(b.finish(*CASES["f32_softmax_logistic_tanh_concat"].build(b, np.random.default_rng(1))))
    graph = compile_source(load_source(path))
    note = libm_note(graph, get_board("f746zg"))
    assert note is not None and "softmax_3" in note and "expf / tanhf" in note and "device's libm" in note
    assert libm_note(graph, get_board("host")) is None
    plain = tmp_path / "chain.tflite"
    b = ModelBuilder("chain")
    plain.write_bytes(b.finish(*CASES["f32_fully_connected_chain"].build(b, np.random.default_rng(1))))
    assert libm_note(compile_source(load_source(plain)), get_board("f746zg")) is None


def test_float_libm_kernels_on_the_freestanding_standin_are_refused(tmp_path):
    """The esp32-c3 stand-in builds without a C library: hil --emulate refuses a model whose float
    kernels call expf / tanhf in one line naming the layers, and `build` writes the ESP-IDF
    project (whose newlib has them) without the stand-in image."""
    b = ModelBuilder("softmax")
    path = tmp_path / "softmax.tflite"
    path.write_bytes(b.finish(*CASES["f32_softmax_logistic_tanh_concat"].build(b, np.random.default_rng(1))))
    np.savez(tmp_path / "data.npz", x=np.zeros((1, 3, 10), np.float32))
    rc, _, stderr = run_cli("hil", path, "--board", "esp32-c3", "--emulate", "--data", tmp_path / "data.npz",
                            "-o", tmp_path / "out")
    assert rc == 2 and "Traceback" not in stderr
    assert "stand-in (virt) builds without a C library, and tanh_0, logistic_1, softmax_3 call" in stderr
    assert not (tmp_path / "out").exists()
    rc, _, stderr = run_cli("build", path, "--board", "esp32-c3", "-o", tmp_path / "project", "-q")
    assert rc == 0, stderr
    assert (tmp_path / "project" / "main").is_dir() and not list((tmp_path / "project").glob("**/*emu*.elf"))
