"""Every model read is checked before work (tinygen/frontend/check_size.py,
tinygen/quant/check_params.py, tinygen/frontend/onnx/check_graph.py): a declared tensor no
board could hold, a damaged scale or zero point, a scale ratio no int32 requantization can
apply, a graph without outputs, and what onnxruntime refuses (an axis out of range, an opset
newer than onnx knows, a 0x0 kernel, negative pads, a dilation that leaves no output) are each
one line, exit status 1, no traceback, nothing written; and the extreme scale ratios that are
kept give the same bytes as TFLite Micro, in the reference and in the host C."""

from __future__ import annotations

import struct
import tracemalloc
from pathlib import Path

import numpy as np
import onnx
import pytest
import tflite
from onnx import TensorProto, helper, numpy_helper

from e2e import assert_build_fails, build_host, first_difference
from mlperf_models import mlperf_model
from onnx_lib import onnx_model
from tflite_builder import ModelBuilder
from tinygen.compiler import compile_source, load_source
from tinygen.ref.interpreter import run

W = np.random.default_rng(0).normal(0, 0.3, (4, 4, 3, 3)).astype(np.float32)


def _onnx(path: Path, nodes, inits=None, opset=13, in_shape=(1, 4, 6, 6), out_shape=None, outputs=True) -> Path:
    graph = helper.make_graph(nodes, "bad", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(out_shape or in_shape))]
                              if outputs else [],
                              [numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def _fails(path: Path, tmp_path: Path, capsys, *expected: str) -> str:
    err = assert_build_fails(path, tmp_path, capsys, *expected, extra=("--calib", "random"))
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and errors[0].startswith("tinygen build: error: "), err   # one line (and its hint)
    return err


def test_onnx_input_3000x3000_refused_before_allocating(tmp_path, capsys):
    path = _onnx(tmp_path / "big.onnx", [helper.make_node("Relu", ["x"], ["y"])], in_shape=(1, 1, 3000, 3000))
    assert path.stat().st_size < 1024
    tracemalloc.start()
    try:
        _fails(path, tmp_path, capsys, "big.onnx: activation 'x' of shape [1, 1, 3000, 3000]", "9,000,000 B",
               "8,388,608 B", "largest RAM region")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"{peak:,} B allocated"   # 64 samples of it would be 2.3 GB as float32


def test_onnx_calibration_set_too_large_refused_before_reading(tmp_path, capsys):
    """4M samples of a [4, 6, 6] input (2.3 GB as float32, a sparse file here) are more than 64
    samples of an input that fills the largest RAM: refused from the .npy header, nothing read."""
    path = _onnx(tmp_path / "relu.onnx", [helper.make_node("Relu", ["x"], ["y"])])
    np.lib.format.open_memmap(tmp_path / "calib.npy", mode="w+", dtype=np.float32, shape=(4_000_000, 4, 6, 6)).flush()
    tracemalloc.start()
    try:
        err = assert_build_fails(path, tmp_path, capsys, "the calibration set of 4000000 samples of [4, 6, 6] needs "
                                 "2,304,000,000 B as float32", extra=("--calib", str(tmp_path / "calib.npy")))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "Traceback" not in err and peak < 16 << 20, f"{peak:,} B allocated"


ONNX_CASES = {
    "no_outputs": (dict(nodes=[helper.make_node("Relu", ["x"], ["y"])], outputs=False), ("the graph has no outputs",)),
    "softmax_axis_5": (dict(nodes=[helper.make_node("Softmax", ["x"], ["y"], axis=5)]),
                       ("'axis' must be in [-4 , 3]",)),
    "flatten_axis_10": (dict(nodes=[helper.make_node("Flatten", ["x"], ["y"], axis=10)], out_shape=(1, 144)),
                        ("Invalid value(10) for attribute 'axis'",)),
    "opset_999": (dict(nodes=[helper.make_node("Relu", ["x"], ["y"])], opset=999), ("uses ONNX opset 999",)),
    "kernel_0x0": (dict(nodes=[helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[0, 0])],
                        inits={"w": np.zeros((4, 4, 0, 0), np.float32)}), ("kernel_shape must only contain positive",)),
    "pads_1e6": (dict(nodes=[helper.make_node("Conv", ["x", "w"], ["y"], pads=[1_000_000] * 4)], inits={"w": W}),
                 ("activation 'y' of shape [1, 4, 2000004, 2000004]", "largest RAM region")),
    "pads_negative": (dict(nodes=[helper.make_node("Conv", ["x", "w"], ["y"], pads=[-3] * 4)], inits={"w": W}),
                      ("pads must not contain negative values",)),
    "no_output_pixels": (dict(nodes=[helper.make_node("Conv", ["x", "w"], ["y"], dilations=[4, 4])], inits={"w": W}),
                         ("'y' would have shape [1, 4, -2, -2]", "leave no output")),
}


@pytest.mark.parametrize("case", ONNX_CASES)
def test_onnx_refused_in_one_line(case, tmp_path, capsys):
    kwargs, expected = ONNX_CASES[case]
    _fails(_onnx(tmp_path / f"{case}.onnx", **kwargs), tmp_path, capsys, *expected)


@pytest.fixture(scope="module")
def qdq_mlp(tmp_path_factory) -> Path:
    return onnx_model(tmp_path_factory.mktemp("qdq"), "mlp", "qdq")


@pytest.mark.parametrize("name, value, expected", [
    ("x_scale", 1e-45, "node 'x_QuantizeLinear' has scale 1.4013e-45: not a normal float32"),
    ("w1_scale", 3e38, "needs a left shift of 127 bits"),
])
def test_onnx_qdq_scale_refused(name, value, expected, qdq_mlp, tmp_path, capsys):
    model = onnx.load(str(qdq_mlp))
    (init,) = [t for t in model.graph.initializer if t.name == name]
    init.CopyFrom(numpy_helper.from_array(np.full(numpy_helper.to_array(init).shape, value, np.float32), name))
    onnx.save(model, str(tmp_path / "mlp.onnx"))
    _fails(tmp_path / "mlp.onnx", tmp_path, capsys, expected)


def test_tflite_s8_input_3000x3000_refused_before_allocating(tmp_path, capsys):
    b = ModelBuilder()
    x = b.tensor("x", [1, 3000, 3000, 1], scale=0.05, zero_point=-3)
    y = b.tensor("y", [1, 3000, 3000, 1], scale=0.02, zero_point=10)
    b.op("HARD_SWISH", [x], [y])
    path = tmp_path / "big.tflite"
    path.write_bytes(b.finish(inputs=[x], outputs=[y]))
    tracemalloc.start()
    try:
        _fails(path, tmp_path, capsys, "big.tflite: activation 'x' of shape [1, 3000, 3000, 1]", "9,000,000 B")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"{peak:,} B allocated"


# -- .tflite: the MLPerf Tiny image classifier with one number changed in its flatbuffer ----------

IC = "ic_resnet8"
SCALE, ZERO_POINT = 8, 10          # QuantizationParameters' vtable slots (min 4, max 6, scale 8, zero_point 10)


def _patched(tmp_path: Path, name: str, tensor_of, slot: int, value, index: int = 0) -> Path:
    """The IC model with value `index` of a quantization vector of the tensor tensor_of(op 0) set."""
    data = bytearray(mlperf_model(IC).read_bytes())
    sg = tflite.Model.GetRootAsModel(data, 0).Subgraphs(0)
    q = sg.Tensors(tensor_of(sg.Operators(0))).Quantization()
    start = q._tab.Vector(q._tab.Offset(slot))
    if slot == SCALE:
        struct.pack_into("<f", data, start + 4 * index, value)
    else:
        struct.pack_into("<q", data, start + 8 * index, value)
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(bytes(data))
    return path


def _output(op):
    return op.Outputs(0)


def _filter(op):
    return op.Inputs(1)


@pytest.mark.parametrize("slot, value, expected", [
    (SCALE, 1e-45, "scale 1.4013e-45: not a normal float32"),
    (SCALE, float("nan"), "scale nan: a scale must be a positive finite number"),
    (ZERO_POINT, 2 ** 40, "zero point 1099511627776: outside int8's range -128..127"),
], ids=["scale_1e-45", "scale_nan", "zero_point_2^40"])
def test_tflite_s8_output_qparams_refused(slot, value, expected, tmp_path, capsys):
    _fails(_patched(tmp_path, "ic", _output, slot, value), tmp_path, capsys, expected, "model/activation/Relu")


def test_tflite_s8_filter_scale_3e9_refused(tmp_path, capsys):
    """input scale x 3.1e9 / output scale needs a left shift of 37 bits: C leaves x << 37 undefined
    (TFLite Micro's x * (1 << 37) gives x * 32 on x86, 0 on Arm), so no answer is TFLite Micro's."""
    _fails(_patched(tmp_path, "ic", _filter, SCALE, 3.1e9), tmp_path, capsys,
           "conv2d_0", "channel 0", "needs a left shift of 37 bits", "at most 31")


def test_tflite_s8_extreme_filter_scale_equals_tflm_host(tmp_path):
    """A filter scale that makes the scale ratio 2^30.5 (a left shift of 31, the most kept):
    the reference and the host C equal TFLite Micro on every input."""
    tflm = pytest.importorskip("tflite_micro.python.tflite_micro.runtime")
    plain = load_source(mlperf_model(IC)).graph
    conv = plain.nodes[0]
    ratio = float(plain.tensor(conv.inputs[0]).qparams.scale[0]) / float(plain.tensor(conv.outputs[0]).qparams.scale[0])
    path = _patched(tmp_path, "ic_extreme", _filter, SCALE, 2 ** 30.5 / ratio)
    source = load_source(path)
    graph = compile_source(source)
    assert graph.const(graph.nodes[0], "shift")[0] == 31
    interp = tflm.Interpreter.from_bytes(path.read_bytes(), arena_size=1 << 20)
    host = build_host(source, graph, tmp_path / "out")
    rng = np.random.default_rng(3)
    wants = []
    for k in range(3):
        x = rng.integers(-128, 128, source.input_shape).astype(np.int8)
        interp.set_input(x, 0)
        interp.invoke()
        want = np.array(interp.get_output(0)).ravel()
        for what, got in (("reference", run(graph, x)[graph.outputs[0]]), ("host C", host.invoke(x)[0])):
            assert np.array_equal(got.ravel(), want), f"input {k}, {what} vs TFLM: {first_difference(got, want)}"
        wants.append(want.tobytes())
    assert len(set(wants)) > 1          # the outputs vary with the input
