"""The ONNX front end on four networks (tests/onnx_lib.py: a KWS-shaped CNN with depthwise
layers, an MLP of MatMul + Add + Sigmoid, a residual block, a MobileNet-style block with
HardSwish), each as a float model and quantized by onnxruntime's quantize_static in QDQ and
QOperator form:

- float: the imported float graph computes what onnxruntime computes (float32, 1e-4), and
  tinygen's own PTQ from --calib keeps the same top-1 as onnxruntime's float model;
- QDQ / QOperator: tinygen's reference, on the model's own scales, equals onnxruntime's
  bytes on every input (its requantization rounds as onnxruntime's does:
  tinygen/frontend/onnx/quantized.py), with uint8 and int8 activations, per-tensor and
  per-channel weights, symmetric activations and uint8 weights.

onnxruntime here is the graph as written (run_onnxruntime's default: graph optimizations off),
the same on every x86-64 CPU; its default session's fused kernels are not (docs/onnx.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from onnx_lib import FORMS, MODELS, onnx_inputs, onnx_model
from tinygen.compiler import compile_source, load_source
from tinygen.hil.onnx_check import compare_outputs, run_onnxruntime
from tinygen.ref.float_interp import run_float
from tinygen.ref.interpreter import quantize_input, run

SAMPLES = 100


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx")


def agreement(path, calib=None):
    source = load_source(path)
    name = path.stem.split("_")[0]
    graph = compile_source(source, calib)
    x = onnx_inputs(name, SAMPLES, seed=5)
    q = quantize_input(graph, source.to_graph_layout(x))
    ours = [[run(graph, q[i:i + 1])[o] for o in graph.outputs] for i in range(len(q))]
    return source, graph, compare_outputs(graph, run_onnxruntime(path, [x]), ours)


@pytest.mark.parametrize("name", MODELS)
def test_onnx_float_graph_equals_onnxruntime(models, name):
    path = onnx_model(models, name, "float")
    source = load_source(path)
    assert not source.graph.meta.get("quantized") and source.layout == "NCHW"
    x = onnx_inputs(name, 16, seed=3)
    ours = run_float(source.graph, source.to_graph_layout(x))[source.graph.outputs[0]]
    theirs = run_onnxruntime(path, [x])[0]
    np.testing.assert_allclose(ours.reshape(theirs.shape), theirs, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", MODELS)
def test_onnx_float_ptq_int8(models, name, tmp_path):
    """A float .onnx is calibrated and quantized by tinygen as a PyTorch model is."""
    path = onnx_model(models, name, "float")
    np.save(tmp_path / "calib.npy", onnx_inputs(name, 64, seed=11))
    _, graph, a = agreement(path, str(tmp_path / "calib.npy"))
    assert graph.meta["quantized"] == "int8-ptq"
    assert a.top1 >= 0.95 * a.samples, a.as_dict()


@pytest.mark.parametrize("form", FORMS[1:])
@pytest.mark.parametrize("name", MODELS)
def test_onnx_quantized_equals_onnxruntime(models, name, form):
    path = onnx_model(models, name, form)
    source, graph, a = agreement(path)
    assert graph.meta["quantized"] == "onnx" and graph.meta["onnx_kind"] == form
    assert a.exact == a.samples, a.as_dict()


VARIANTS = {"int8-activations": {"activation": "int8"}, "per-tensor": {"per_channel": False},
            "symmetric": {"activation": "int8", "symmetric_activations": True}, "uint8-weights": {"weights": "uint8"}}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", ["kws", "mobilenet"])
def test_onnx_qdq_variants(models, name, variant):
    path = onnx_model(models, name, "qdq", **VARIANTS[variant])
    _, graph, a = agreement(path)
    assert a.exact == a.samples, a.as_dict()


def test_onnx_qoperator_variants(models):
    for variant in ("int8-activations", "per-tensor", "symmetric"):
        path = onnx_model(models, "residual", "qoperator", **VARIANTS[variant])
        _, _, a = agreement(path)
        assert a.exact == a.samples, (variant, a.as_dict())


def test_onnx_quantized_ops_mapped(models):
    """What each form becomes: TFLite's kernels for the MAC ops and adds, tables for the
    float functions, no transpose left from the NCHW flatten (folded into the weights)."""
    ops = {}
    for name in MODELS:
        for form in FORMS[1:]:
            g = compile_source(load_source(onnx_model(models, name, form)))
            ops[name, form] = sorted({n.op for n in g.nodes})
            assert "transpose" not in ops[name, form]
    assert ops["mlp", "qdq"] == ["add", "fully_connected", "lut"] == ops["mlp", "qoperator"]
    assert "depthwise_conv2d" in ops["kws", "qoperator"] and "mean" in ops["kws", "qdq"]
    assert "lut" in ops["mobilenet", "qdq"] and "conv2d_add" in ops["residual", "qoperator"]
