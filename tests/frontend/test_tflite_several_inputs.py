""".tflite models with several inputs, as from PyTorch: the inputs are input_0, input_1, ...
in the file's order; an input may be int8 or float32 into QUANTIZE; a model input that only
gives a TRANSPOSE_CONV its output shape is the shape the file records, not a compiled input.
The numpy reference and the generated host C equal TensorFlow Lite Micro's host interpreter
byte for byte, fed the same inputs; `tinygen build` and `tinygen hil` take them (an .npz of
one array per input) on the host and on the f746zg stand-in (slow)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from e2e import build_host, first_difference, run_cli
from tflite_builder import ModelBuilder
from tflite_op_cases import act, const
from tinygen.compiler import compile_source, load_source
from tinygen.ref import interpreter as ref_interp

import tflite_refs  # noqa: E402  (skips the module when TFLM or LiteRT is absent)
from tflite.ActivationFunctionType import ActivationFunctionType as Act  # noqa: E402
from tflite.Padding import Padding  # noqa: E402

SAMPLES = 12


def two_input_add() -> bytes:
    """ADD of two int8 inputs on different grids, fused RELU, then a MUL by the second input
    (the simple_add model of TFLite Micro's examples, and a second reader of input 1)."""
    rng = np.random.default_rng(7)
    b = ModelBuilder("two inputs")
    x0, x1 = act(b, rng, "a", [1, 6, 6, 4], 0.05, -5), act(b, rng, "b", [1, 6, 6, 4], 0.02, 17)
    s, y = act(b, rng, "sum", [1, 6, 6, 4], 0.06, -100), act(b, rng, "y", [1, 6, 6, 4], 0.04, 3)
    b.op("ADD", [x0, x1], [s], "AddOptions", FusedActivationFunction=Act.RELU)
    b.op("MUL", [s, x1], [y], "MulOptions")
    return b.finish([x0, x1], [y, s])


def float_second_input() -> bytes:
    """Input 0 int8, input 1 float32 into QUANTIZE; SUB of them; the output DEQUANTIZEd."""
    rng = np.random.default_rng(8)
    b = ModelBuilder("an int8 and a float input")
    x0, f1 = act(b, rng, "a", [1, 10], 0.03, 4), b.tensor("b_float", [1, 10], "float32")
    x1, d = act(b, rng, "b", [1, 10], 0.05, -9), act(b, rng, "diff", [1, 10], 0.07, 2)
    out = b.tensor("diff_float", [1, 10], "float32")
    b.op("QUANTIZE", [f1], [x1])
    b.op("SUB", [x0, x1], [d], "SubOptions")
    b.op("DEQUANTIZE", [d], [out])
    return b.finish([x0, f1], [out])


def transpose_conv_shape_input() -> bytes:
    """TRANSPOSE_CONV whose output shape is a model input (as in TFLite Micro's integration
    tests): input 0 the shape, input 1 the data."""
    rng = np.random.default_rng(9)
    b = ModelBuilder("output shape as an input")
    shape = b.tensor("output_shape", [4], "int32")
    x = act(b, rng, "x", [1, 3, 5, 4], 0.04, 1)
    w = b.tensor("w", [6, 3, 3, 4], scale=rng.uniform(0.005, 0.02, 6), zero_point=[0] * 6,
                 data=rng.integers(-127, 128, (6, 3, 3, 4)))
    y = act(b, rng, "y", [1, 6, 10, 6], 0.1, -3)
    b.op("TRANSPOSE_CONV", [shape, w, x], [y], "TransposeConvOptions", Padding=Padding.SAME, StrideH=2, StrideW=2)
    return b.finish([shape, x], [y])


def tflm_outputs(model: bytes, feeds: list[list[np.ndarray]], outputs: int) -> list[list[np.ndarray]]:
    """TFLite Micro's outputs for each feed (one array per model input, in the file's order)."""
    interp = tflite_refs.tflm_interpreter(model)
    result = []
    for feed in feeds:
        for k, x in enumerate(feed):
            interp.set_input(x, k)
        interp.invoke()
        result.append([np.array(interp.get_output(k)) for k in range(outputs)])
    return result


def random_feed(rng, graph) -> list[np.ndarray]:
    """One sample per compiled input: float32 where the file's input is float, else int8."""
    return [rng.uniform(-5, 5, graph.tensor(name).shape).astype(np.float32) if name in graph.meta["float_inputs"]
            else rng.integers(-128, 128, graph.tensor(name).shape).astype(np.int8) for name in graph.inputs]


def compiled(model: bytes, tmp_path, name: str):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(model)
    source = load_source(path)
    return path, source, compile_source(source)


def ours(graph, feed: list[np.ndarray], invoke) -> list[np.ndarray]:
    """One inference through `invoke` with the float boundary converted as QUANTIZE and
    DEQUANTIZE would."""
    xs = [ref_interp.quantize_float_input(graph, x, k) if graph.inputs[k] in graph.meta["float_inputs"] else x
          for k, x in enumerate(feed)]
    outs = invoke(xs)
    return [ref_interp.dequantize(graph, name, o) if name in graph.meta["float_outputs"] else o
            for name, o in zip(graph.outputs, outs)]


@pytest.mark.parametrize("make", [two_input_add, float_second_input])
def test_tflite_several_inputs_equal_tflm(make, tmp_path):
    model = make()
    _, source, graph = compiled(model, tmp_path, make.__name__)
    assert graph.inputs == ["input_0", "input_1"] and source.input_names == ["x0", "x1"]
    assert graph.meta["float_inputs"] == (["input_1"] if make is float_second_input else [])
    rng = np.random.default_rng(1)
    feeds = [random_feed(rng, graph) for _ in range(SAMPLES)]
    want = tflm_outputs(model, feeds, len(graph.outputs))
    host = build_host(source, graph, tmp_path / "host")
    for i, feed in enumerate(feeds):
        ref = ours(graph, feed, lambda xs: [ref_interp.run(graph, tuple(xs))[n] for n in graph.outputs])
        got = ours(graph, feed, lambda xs: host.invoke(*xs))
        for k, w in enumerate(want[i]):
            for what, g in (("reference", ref[k]), ("host C", got[k])):
                g = np.asarray(g).reshape(w.shape)
                assert g.dtype == w.dtype and np.array_equal(g, w), \
                    f"{make.__name__} {what}, sample {i}, output {k}: {first_difference(g, w)}"
    # the comparison has teeth: every input changes the outputs
    assert len({want[i][0].tobytes() for i in range(SAMPLES)}) == SAMPLES


def test_tflite_transpose_conv_shape_input_is_the_recorded_shape(tmp_path):
    model = transpose_conv_shape_input()
    _, source, graph = compiled(model, tmp_path, "shape_input")
    assert graph.inputs == ["input"] and graph.meta["tflite_shape_inputs"] == {0: (1, 6, 10, 6)}
    rng = np.random.default_rng(2)
    interp = tflite_refs.tflm_interpreter(model)
    for _ in range(5):
        x = rng.integers(-128, 128, (1, 3, 5, 4)).astype(np.int8)
        interp.set_input(np.asarray([1, 6, 10, 6], np.int32), 0)
        interp.set_input(x, 1)
        interp.invoke()
        want = np.array(interp.get_output(0))
        got = ref_interp.run(graph, x)[graph.outputs[0]]
        assert np.array_equal(got.reshape(want.shape), want), first_difference(got, want)


def test_tflite_transpose_conv_shape_input_read_elsewhere_is_refused(tmp_path):
    """An int32 input that another operator also reads is a real input, and int32 inputs are
    not supported: one line naming it."""
    rng = np.random.default_rng(3)
    b = ModelBuilder()
    shape, x = b.tensor("output_shape", [4], "int32"), act(b, rng, "x", [1, 3, 5, 4])
    w = const(b, rng, "w", [6, 3, 3, 4])
    y, z = act(b, rng, "y", [1, 6, 10, 6]), b.tensor("z", [4], "int32")
    b.op("TRANSPOSE_CONV", [shape, w, x], [y], "TransposeConvOptions", Padding=Padding.SAME, StrideH=2, StrideW=2)
    b.op("ADD", [shape, shape], [z], "AddOptions")
    path = tmp_path / "shape_read.tflite"
    path.write_bytes(b.finish([shape, x], [y, z]))
    rc, _, stderr = run_cli("build", path, "--board", "host", "-o", tmp_path / "out", "-q")
    assert rc == 1 and "input 'output_shape' is INT32, not int8" in stderr and "Traceback" not in stderr, stderr
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tflite_two")
    model = two_input_add()
    path, source, graph = compiled(model, folder, "two")
    rng = np.random.default_rng(5)
    xs = [rng.uniform(-6, 6, (SAMPLES, 6, 6, 4)).astype(np.float32) for _ in range(2)]
    np.savez(folder / "data.npz", x0=xs[0], x1=xs[1])
    q = [ref_interp.quantize_input(graph, x, k) for k, x in enumerate(xs)]
    samples = [tuple(a[i] for a in q) for i in range(SAMPLES)]
    return folder, path, model, graph, samples


def check_hil(report: dict, model: bytes, graph, samples) -> None:
    """Every output of every sample as the target sent it equals TFLite Micro's."""
    assert report["samples"] == SAMPLES and report["bit_exact"] == SAMPLES, report["mismatches"][:3]
    want = tflm_outputs(model, [[x[None] for x in s] for s in samples], len(graph.outputs))
    for k, (o, name) in enumerate(zip(report["outputs"], graph.outputs)):
        got = np.asarray(o["q"], dtype=np.int8)
        assert np.array_equal(got, np.stack([w[k].ravel() for w in want])), f"{name}: differs from TFLite Micro"


def test_tflite_two_inputs_build_and_hil_host(two):
    folder, path, model, graph, samples = two
    rc, stdout, stderr = run_cli("build", path, "--board", "host", "-o", folder / "host")
    assert rc == 0, stderr
    assert "inputs: x0 1x6x6x4 → input_0 (144 B), x1 1x6x6x4 → input_1 (144 B)" in stdout, stdout
    rc, _, stderr = run_cli("hil", path, "--board", "host", "--data", folder / "data.npz", "-q", "-o", folder / "host",
                            "--json", folder / "host.json")
    assert rc == 0, stderr
    report = json.loads((folder / "host.json").read_text())
    check_hil(report, model, graph, samples)
    # hil's own check against TFLite Micro fed both inputs
    assert report["tflite_micro"]["status"] == "compared" and report["tflite_micro"]["equal"], report["tflite_micro"]
    assert report["tflite_micro"]["input"] == "int8, int8"


@pytest.mark.slow
def test_tflite_two_inputs_hil_f746zg_standin(two):
    folder, path, model, graph, samples = two
    rc, _, stderr = run_cli("hil", path, "--board", "f746zg", "--emulate", "--data", folder / "data.npz", "-q",
                            "-o", folder / "f746zg", "--json", folder / "f746zg.json")
    assert rc == 0, stderr
    report = json.loads((folder / "f746zg.json").read_text())
    check_hil(report, model, graph, samples)
    assert report["latency"]["unit"] == "instructions"
