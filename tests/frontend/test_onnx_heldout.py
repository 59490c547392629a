"""ONNX models as users export and quantize them (tests/onnx_heldout_lib.py), each of which
found a bug in the front end or stands for a family of exports: every one compiles and agrees
with onnxruntime (quantized: every output byte within 1 LSB, the same top-1 on >= 98% of the
inputs, and byte for byte where tinygen rounds as onnxruntime does; float: the imported graph
equals onnxruntime's), its generated C equals the reference, or it is refused in one line that
names the node and says what to do. onnxruntime here is the graph as written
(run_onnxruntime's default: graph optimizations off), the same on every x86-64 CPU.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from e2e import assert_bit_exact, assert_build_fails, build_host, run_cli
from onnx_heldout_lib import heldout_inputs, heldout_model
from tinygen.compiler import compile_source, load_source
from tinygen.hil.onnx_check import compare_outputs, run_onnxruntime
from tinygen.ref.float_interp import run_float
from tinygen.ref.interpreter import quantize_input, run

SAMPLES = 50
MIN_TOP1 = 0.98


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx_heldout")


def agreement(path, name):
    source = load_source(path)
    graph = compile_source(source)
    x = heldout_inputs(name, SAMPLES, seed=5)
    q = quantize_input(graph, source.to_graph_layout(x))
    ours = [[run(graph, q[i:i + 1])[o] for o in graph.outputs] for i in range(len(q))]
    return graph, compare_outputs(graph, run_onnxruntime(path, [x]), ours)


# (model, form, quant_pre_process first, quantize_static options): what each one exercises
QUANTIZED = {
    "flat_mlp-qoperator": ("flat_mlp", "qoperator", False, {}),          # Flatten before the input's QuantizeLinear
    "flat_mlp-qdq-int8": ("flat_mlp", "qdq", False, {"activation": "int8"}),
    "pads-qoperator": ("pads", "qoperator", False, {"per_channel": False}),  # a Pad before the input's QuantizeLinear
    "se_block-qoperator": ("se_block", "qoperator", False, {}),          # GlobalAveragePool of a float HardSwish
    "se_block-qdq": ("se_block", "qdq", False, {}),
    "bn_resnet-pre-qdq": ("bn_resnet", "qdq", True, {}),                  # quant_pre_process's ai.onnx.ml import
    "view_flatten-qoperator": ("view_flatten", "qoperator", False, {}),  # Shape/Gather/Concat/Reshape, dynamic batch
    "autoencoder-qdq": ("autoencoder", "qdq", False, {}),                # ConvTranspose, Sigmoid
    # rounding once as onnxruntime does: a softmax onto 1/255ths (TFLite's softmax and a table flipped near-ties
    # of the top-1), products of two activations (a byte 2 LSB off), an AveragePool (likewise)
    "flat_mlp-qdq": ("flat_mlp", "qdq", False, {}),
    "gated-qdq": ("gated", "qdq", False, {}),
    "gated-qoperator": ("gated", "qoperator", False, {}),
    "pads-qoperator-per-channel": ("pads", "qoperator", False, {}),
    "pads-qdq": ("pads", "qdq", False, {}),                              # AveragePool on its input's grid
    # BatchNormalization nodes quant_pre_process did not fold: a depthwise 1x1 convolution each
    "bn_resnet-qdq": ("bn_resnet", "qdq", False, {}),
    "bn_resnet-qoperator": ("bn_resnet", "qoperator", False, {}),
}


# within 1 LSB, not byte for byte: an AveragePool on its input's grid (exact halves, which onnxruntime's float32
# puts a hair off the half), a BatchNormalization as a depthwise 1x1 (its factors rounded onto int8 weights and
# an int32 bias)
WITHIN_1 = ("pads-qdq", "bn_resnet-qdq", "bn_resnet-qoperator")


@pytest.mark.parametrize("case", QUANTIZED)
def test_onnx_heldout_quantized_agrees_with_onnxruntime(models, case):
    name, form, pre, options = QUANTIZED[case]
    graph, a = agreement(heldout_model(models, name, form, pre, **options), name)
    assert graph.meta["quantized"] == "onnx" and graph.meta["onnx_kind"] == form
    assert a.within_1 == a.samples, a.as_dict()
    assert a.top1 >= MIN_TOP1 * a.samples, a.as_dict()
    if case not in WITHIN_1:
        assert a.exact == a.samples, a.as_dict()


@pytest.mark.parametrize("name", ["leaky", "bn_resnet", "normalized", "view_flatten"])
def test_onnx_heldout_float_graph_equals_onnxruntime(models, name):
    """LeakyRelu and PRelu (tinygen's prelu), a difference of two activations, BatchNormalization nodes,
    a normalization inside the model, a view over a dynamic batch."""
    path = heldout_model(models, name, "float")
    source = load_source(path)
    x = heldout_inputs(name, 8, seed=3)
    ours = run_float(source.graph, source.to_graph_layout(x))[source.graph.outputs[0]]
    theirs = run_onnxruntime(path, [x])[0]
    np.testing.assert_allclose(ours.reshape(theirs.shape), theirs, rtol=1e-4, atol=1e-4)
    if name == "leaky":
        assert [n.op for n in source.graph.nodes].count("prelu") == 2


@pytest.mark.parametrize("name,form,expected", [
    ("normalized", "qdq", ("Sub at node {Sub}", "before its QuantizeLinear", "export the model without it")),
    ("autoencoder", "qoperator", ("ConvTranspose at node", "QOperator format has no quantized ConvTranspose",
                                  "QuantFormat.QDQ")),
    ("leaky", "qdq", ("PRelu at node {PRelu}", "slope per channel", "--calib")),
])
def test_onnx_heldout_refused_in_one_line(models, tmp_path, capsys, name, form, expected):
    """Models tinygen cannot compile as quantized (once an AttributeError for two of them): one
    refusal naming the node, with what to do ({OP}: that node's name as the file holds it)."""
    path = heldout_model(models, name, form)
    names = {n.op_type: repr(n.name) for n in onnx.load(str(path)).graph.node}
    assert_build_fails(path, tmp_path, capsys, *(e.format(**names) for e in expected))


@pytest.mark.parametrize("name,form", [("pads", "qoperator"), ("se_block", "qoperator"), ("flat_mlp", "qdq"),
                                       ("gated", "qdq"), ("bn_resnet", "qdq")])
def test_onnx_heldout_host_c_equals_reference(models, tmp_path, name, form):
    path = heldout_model(models, name, form)
    source = load_source(path)
    graph = compile_source(source)
    host = build_host(source, graph, tmp_path / "host")
    x = heldout_inputs(name, 6, seed=9)
    assert_bit_exact(graph, host, [quantize_input(graph, source.to_graph_layout(x[i:i + 1])) for i in range(6)])


def test_onnx_heldout_cli_build_and_inspect(models, tmp_path):
    """A float model with a dynamic batch and no constant folding through `tinygen build` and `inspect`."""
    path = heldout_model(models, "leaky", "float")
    np.save(tmp_path / "calib.npy", heldout_inputs("leaky", 16, seed=100))
    rc, _, err = run_cli("build", path, "--board", "host", "--calib", tmp_path / "calib.npy", "-o", tmp_path / "b",
                         "-q")
    assert rc == 0, err
    rc, out, err = run_cli("inspect", path, "--calib", tmp_path / "calib.npy")
    assert rc == 0 and "prelu" in out, err
