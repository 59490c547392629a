"""NNCF (`nncf.quantize` on an ONNX model, default settings, calibration through nncf.Dataset)
on the test networks (tests/onnx_lib.py: an MLP, a CNN with a residual block, a DS-CNN),
exported with their batch norms in the graph as a user's export leaves them: tinygen builds
what NNCF writes (float biases, Conv -> BatchNormalization -> QuantizeLinear, the float
last layer after the last QuantizeLinear, per-channel activation scales before a depthwise
convolution) and its outputs equal onnxruntime's execution of the graph as written: every
int8 byte within 1 LSB (onnxruntime adds float biases and batch norms in float32), the float
outputs within float32 rounding where the int8 tensor they read is equal (docs/onnx.md)."""

from __future__ import annotations

import logging
import warnings

import nncf
import numpy as np
import onnx
import pytest
import torch

from e2e import assert_bit_exact, build_host
from onnx_lib import NETS, SHAPES, mlp_onnx, onnx_inputs, perturbed

from tinygen.compiler import compile_source, load_source
from tinygen.hil.onnx_check import compare_outputs, run_onnxruntime
from tinygen.ref.interpreter import quantize_input, run

SAMPLES = 50


def export_with_bn(name: str, path):
    """The float network as torch.onnx.export writes it without folding: BatchNormalization kept."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(perturbed(NETS[name], 0), (torch.zeros(SHAPES[name]),), str(path), dynamo=False,
                          opset_version=13, input_names=["x"], output_names=["y"], do_constant_folding=False,
                          training=torch.onnx.TrainingMode.PRESERVE)
    return path


def nncf_model(tmp_path, name: str):
    float_path = tmp_path / f"{name}.onnx"
    if name == "mlp":
        mlp_onnx(float_path)
    else:
        export_with_bn(name, float_path)
    calib = onnx_inputs(name, 32, seed=100)
    logging.disable(logging.WARNING)
    try:
        quantized = nncf.quantize(onnx.load(str(float_path)), nncf.Dataset(list(calib[:, None]), lambda x: {"x": x}),
                                  subset_size=len(calib))
    finally:
        logging.disable(logging.NOTSET)
    path = tmp_path / f"{name}_nncf.onnx"
    onnx.save(quantized, str(path))
    return path


@pytest.mark.parametrize("name", ["mlp", "residual", "kws"])
def test_nncf_default_equals_onnxruntime(tmp_path, name):
    path = nncf_model(tmp_path, name)
    source = load_source(path)
    graph = compile_source(source, None)
    assert graph.meta["quantized"] == "onnx"
    assert graph.tensor(graph.outputs[0]).dtype == "float32"        # NNCF's float last layer
    x = onnx_inputs(name, SAMPLES, seed=5)
    q = quantize_input(graph, source.to_graph_layout(x))
    ours = [[run(graph, q[i:i + 1])[o] for o in graph.outputs] for i in range(SAMPLES)]
    a = compare_outputs(graph, run_onnxruntime(path, [x]), ours)
    assert a.top1 == a.samples, a.as_dict()
    # the float outputs agree within float32 rounding where every int8 tensor before them is equal ...
    assert a.exact >= 0.7 * a.samples, a.as_dict()
    # ... and the int8 tensor the float tail reads is within 1 LSB of onnxruntime's everywhere
    tail = next(n for n in graph.nodes if n.op == "requantize" and graph.tensor(n.outputs[0]).dtype == "float32"
                and graph.tensor(n.inputs[0]).kind.name != "INPUT")
    ours_in = np.stack([run(graph, q[i:i + 1], keep_all=True)[tail.inputs[0]].reshape(-1) for i in range(SAMPLES)])
    theirs_in = last_quantized(path, x)
    if name == "residual":      # its MaxPool (2x2) comes after the last QuantizeLinear, on the int8 values
        n, c, h, w = theirs_in.shape
        theirs_in = theirs_in.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))
    theirs_in = theirs_in.reshape(SAMPLES, -1)
    assert np.abs(ours_in.astype(np.int64) - theirs_in).max() <= 1
    if name != "residual":
        host = build_host(source, graph, tmp_path / "host")
        assert_bit_exact(graph, host, [q[i:i + 1] for i in range(4)])


def last_quantized(path, x) -> np.ndarray:
    """onnxruntime's last QuantizeLinear output (the int8 tensor NNCF's float last layer reads), on
    tinygen's int8 grid (uint8 less 128), flattened in ONNX's order."""
    model = onnx.load(str(path))
    node = [n for n in model.graph.node if n.op_type == "QuantizeLinear"][-1]
    zp = next(i for i in model.graph.initializer if i.name == node.input[2])
    model.graph.output.append(onnx.helper.make_tensor_value_info(node.output[0], zp.data_type, None))
    extra = path.with_name(path.stem + "_probe.onnx")
    onnx.save(model, str(extra))
    out = run_onnxruntime(extra, [x])[-1]
    return out.astype(np.int64) - (128 if out.dtype == np.uint8 else 0)
