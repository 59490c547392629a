"""onnxruntime's quantize_static with its default settings (QDQ, uint8 activations, int8
weights per tensor, MinMax calibration) on the test networks (tests/onnx_lib.py: an MLP, a CNN
with a residual block, a DS-CNN), exported as torch.onnx.export leaves them (batch norms in
the graph, not pre-processed): tinygen builds them and its outputs equal onnxruntime's
execution of the graph as written, every byte within 1 LSB (a BatchNormalization that
quantize_static leaves between its own QuantizeLinear pair runs as a depthwise 1x1 layer
rounding once, docs/onnx.md), and exactly where the batch norms were folded first."""

from __future__ import annotations

import logging

import numpy as np
import onnx
import pytest

from e2e import assert_bit_exact, build_host
from onnx_lib import mlp_onnx, onnx_inputs
from test_nncf import export_with_bn

from tinygen.compiler import compile_source, load_source
from tinygen.hil.onnx_check import compare_outputs, run_onnxruntime
from tinygen.ref.interpreter import quantize_input, run

SAMPLES = 50


def ort_default(tmp_path, name: str):
    from onnxruntime.quantization import CalibrationDataReader, quantize_static

    float_path = tmp_path / f"{name}.onnx"
    if name == "mlp":
        mlp_onnx(float_path)
    else:
        export_with_bn(name, float_path)
    calib = iter([{"x": v[None]} for v in onnx_inputs(name, 32, seed=100)])

    class Reader(CalibrationDataReader):
        def get_next(self):
            return next(calib, None)

    path = tmp_path / f"{name}_ort.onnx"
    logging.disable(logging.WARNING)
    try:
        quantize_static(str(float_path), str(path), Reader())
    finally:
        logging.disable(logging.NOTSET)
    return path


@pytest.mark.parametrize("name", ["mlp", "residual", "kws"])
def test_ort_quantize_static_default_equals_onnxruntime(tmp_path, name):
    path = ort_default(tmp_path, name)
    source = load_source(path)
    graph = compile_source(source, None)
    assert graph.meta["onnx_kind"] == "qdq"
    x = onnx_inputs(name, SAMPLES, seed=5)
    q = quantize_input(graph, source.to_graph_layout(x))
    ours = [[run(graph, q[i:i + 1])[o] for o in graph.outputs] for i in range(SAMPLES)]
    a = compare_outputs(graph, run_onnxruntime(path, [x]), ours)
    assert a.within_1 == a.samples and a.top1 == a.samples, a.as_dict()
    if name == "mlp":       # no batch norm: every byte equal
        assert a.exact == a.samples, a.as_dict()
    if name == "kws":
        host = build_host(source, graph, tmp_path / "host")
        assert_bit_exact(graph, host, [q[i:i + 1] for i in range(4)])


def test_ort_quantize_static_default_graph_kept_batch_norm(tmp_path):
    """What the test above compiles: quantize_static quantizes BatchNormalization on its own."""
    ops = [n.op_type for n in onnx.load(str(ort_default(tmp_path, "residual"))).graph.node]
    assert "BatchNormalization" in ops and "Conv" in ops
    assert np.count_nonzero(np.array(ops) == "QuantizeLinear") > 3
