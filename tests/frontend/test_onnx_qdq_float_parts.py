"""QDQ graphs as quantizers other than onnxruntime's quantize_static write them (NNCF,
Brevitas' default export), written with onnx.helper: a float bias on a Conv, a Gemm and a
MatMul + Add (quantized onto the input-scale x weight-scale grid, half to even), a Conv ->
BatchNormalization (-> Relu) -> QuantizeLinear (folded into the conv's requantization), each
against onnxruntime's execution of the graph as written: every byte within 1 LSB (onnxruntime
adds the bias and applies the batch norm in float32; docs/onnx.md); and a graph onnxruntime
refuses is refused at build."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper

from e2e import assert_build_fails
from test_onnx_ops import save

from tinygen.compiler import compile_source, load_source
from tinygen.frontend.onnx.quantized import float_bias
from tinygen.hil.onnx_check import compare_outputs, run_onnxruntime
from tinygen.ref.interpreter import quantize_input, run

N = 60


def _qdq(name: str, scale: float, zp: int = 0):
    """QuantizeLinear -> DequantizeLinear of `name` (int8), its output `name`_dq."""
    return [helper.make_node("QuantizeLinear", [name, f"{name}_s", f"{name}_z"], [f"{name}_q"]),
            helper.make_node("DequantizeLinear", [f"{name}_q", f"{name}_s", f"{name}_z"], [f"{name}_dq"])], \
        {f"{name}_s": np.float32(scale), f"{name}_z": np.int8(zp)}


def _weights(name: str, shape, seed: int, axis: int = 0):
    """int8 weights per output channel, DequantizeLinear'd (as NNCF writes them): `name`_dq."""
    rng = np.random.default_rng(seed)
    q = rng.integers(-127, 128, shape).astype(np.int8)
    scale = rng.uniform(0.004, 0.02, shape[axis]).astype(np.float32)
    node = helper.make_node("DequantizeLinear", [f"{name}_q", f"{name}_s", f"{name}_z"], [f"{name}_dq"], axis=axis)
    return [node], {f"{name}_q": q, f"{name}_s": scale, f"{name}_z": np.zeros(shape[axis], np.int8)}


def _bn(x: str, y: str, c: int, seed: int):
    rng = np.random.default_rng(seed)
    gamma = rng.uniform(0.5, 1.5, c).astype(np.float32)
    gamma[0] = -gamma[0]          # a negative scale: that channel's weights negated
    inits = {"g": gamma, "be": rng.uniform(-0.3, 0.3, c).astype(np.float32),
             "mu": rng.uniform(-0.3, 0.3, c).astype(np.float32), "var": rng.uniform(0.5, 1.5, c).astype(np.float32)}
    return [helper.make_node("BatchNormalization", [x, "g", "be", "mu", "var"], [y], epsilon=1e-5)], inits


def conv_model(tmp_path, bn: bool, relu: bool, bias: bool = True):
    nodes, inits = _qdq("x", 0.03)
    wn, wi = _weights("w", (8, 3, 3, 3), 1)
    nodes += wn
    inits.update(wi)
    ins = ["x_dq", "w_dq"]
    if bias:
        inits["b"] = np.random.default_rng(2).normal(0, 0.2, 8).astype(np.float32)
        ins.append("b")
    nodes.append(helper.make_node("Conv", ins, ["c"], pads=[1, 1, 1, 1]))
    cur = "c"
    if bn:
        bn_nodes, bn_inits = _bn(cur, "n", 8, 3)
        nodes += bn_nodes
        inits.update(bn_inits)
        cur = "n"
    if relu:
        nodes.append(helper.make_node("Relu", [cur], ["r"]))
        cur = "r"
    qn, qi = _qdq(cur, 0.05, -20 if relu else 0)
    nodes += qn + [helper.make_node("Identity", [f"{cur}_dq"], ["y"])]
    inits.update(qi)
    tag = f"conv_bias{int(bias)}_bn{int(bn)}_relu{int(relu)}"
    return save(tmp_path, tag, nodes, inits, [1, 3, 6, 6], [1, 8, 6, 6])


def fc_model(tmp_path, kind: str):
    """x[1, 16] -> Gemm with a float C, or MatMul + Add of a float constant -> QuantizeLinear."""
    nodes, inits = _qdq("x", 0.04)
    wn, wi = _weights("w", (10, 16) if kind == "gemm" else (16, 10), 4, axis=0 if kind == "gemm" else 1)
    nodes += wn
    inits.update(wi)
    inits["b"] = np.random.default_rng(5).normal(0, 0.3, 10).astype(np.float32)
    if kind == "gemm":
        nodes.append(helper.make_node("Gemm", ["x_dq", "w_dq", "b"], ["h"], transB=1))
    else:
        nodes += [helper.make_node("MatMul", ["x_dq", "w_dq"], ["m"]), helper.make_node("Add", ["m", "b"], ["h"])]
    qn, qi = _qdq("h", 0.06, 3)
    nodes += qn + [helper.make_node("Identity", ["h_dq"], ["y"])]
    inits.update(qi)
    return save(tmp_path, f"fc_{kind}", nodes, inits, [1, 16], [1, 10])


def agreement(path):
    source = load_source(path)
    graph = compile_source(source, None)
    shape = source.input_shapes[0]
    x = np.random.default_rng(9).standard_normal((N,) + tuple(shape[1:])).astype(np.float32)
    q = quantize_input(graph, source.to_graph_layout(x))
    ours = [[run(graph, q[i:i + 1])[o] for o in graph.outputs] for i in range(N)]
    return graph, compare_outputs(graph, run_onnxruntime(path, [x]), ours)


@pytest.mark.parametrize("bn,relu", [(False, False), (False, True), (True, False), (True, True)])
def test_onnx_qdq_conv_float_bias_and_batch_norm_s8(tmp_path, bn, relu):
    graph, a = agreement(conv_model(tmp_path, bn, relu))
    assert [n.op for n in graph.nodes] == ["conv2d"], [n.op for n in graph.nodes]
    assert a.within_1 == a.samples, a.as_dict()
    # onnxruntime adds the bias (and the batch norm) in float32: a few bytes round the other way
    assert a.bytes_off <= a.bytes_total // 100, a.as_dict()


def test_onnx_qdq_batch_norm_without_conv_bias_s8(tmp_path):
    graph, a = agreement(conv_model(tmp_path, bn=True, relu=True, bias=False))
    assert [n.op for n in graph.nodes] == ["conv2d"] and a.within_1 == a.samples, a.as_dict()


def residual_model(tmp_path):
    """x [1, 8, 6, 6] -> Conv 3x3 (float bias) -> BatchNormalization -> Add(x) -> Relu ->
    QuantizeLinear (uint8): a residual block whose branch the quantizer left float (Brevitas'
    default export), the branch's negative values cancelled by the skip before the Relu."""
    nodes, inits = _qdq("x", 0.03)
    wn, wi = _weights("w", (8, 8, 3, 3), 6)
    nodes += wn
    inits.update(wi)
    inits["b"] = np.random.default_rng(7).normal(0, 0.2, 8).astype(np.float32)
    bn_nodes, bn_inits = _bn("c", "n", 8, 8)
    nodes += [helper.make_node("Conv", ["x_dq", "w_dq", "b"], ["c"], pads=[1, 1, 1, 1])] + bn_nodes
    inits.update(bn_inits)
    nodes += [helper.make_node("Add", ["n", "x_dq"], ["s"]), helper.make_node("Relu", ["s"], ["r"]),
              helper.make_node("QuantizeLinear", ["r", "r_s", "r_z"], ["r_q"]),
              helper.make_node("DequantizeLinear", ["r_q", "r_s", "r_z"], ["y"])]
    inits.update({"r_s": np.float32(0.22), "r_z": np.uint8(0)})     # the sum after the Relu: 0..55
    return save(tmp_path, "residual_float_branch", nodes, inits, [1, 8, 6, 6], [1, 8, 6, 6])


def test_onnx_qdq_residual_float_branch_relu_s8(tmp_path):
    """The float branch is quantized on twice the sum's scale centred on 0 (the sum's uint8 grid holds
    no negative value), then added: within 1 LSB of onnxruntime (two roundings); on the sum's own
    grid its negative values were clamped to 0 before the skip was added."""
    graph, a = agreement(residual_model(tmp_path))
    assert a.within_1 == a.samples and a.max_lsb <= 1, a.as_dict()


@pytest.mark.parametrize("kind", ["gemm", "matmul_add"])
def test_onnx_qdq_fc_float_bias_s8(tmp_path, kind):
    graph, a = agreement(fc_model(tmp_path, kind))
    assert [n.op for n in graph.nodes] == ["fully_connected"]
    assert a.within_1 == a.samples and a.bytes_off <= a.bytes_total // 50, a.as_dict()


def test_onnx_float_bias_rounds_half_to_even():
    """onnxruntime's quantize_static rounds bias / (input scale x weight scale) half to even."""
    acc = np.array([0.5, 0.5, 0.5, 0.25], np.float32)
    got = float_bias(None, np.array([0.25, 0.75, -0.25, 0.3]), acc)
    assert got.tolist() == [0, 2, 0, 1]


def test_onnx_graph_onnxruntime_refuses_is_refused_at_build(tmp_path, capsys):
    """A graph onnx validates and tinygen could import, but onnxruntime cannot load (here: opset
    28's QuantizeLinear, newer than onnxruntime's kernels): `tinygen build` refuses it in one line."""
    path = fc_model(tmp_path, "gemm")
    model = onnx.load(str(path))
    model.opset_import[0].version = 28
    onnx.save(model, str(path))
    err = assert_build_fails(path, tmp_path, capsys, "onnxruntime", "refuses this graph", "QuantizeLinear(28)")
    assert len([line for line in err.splitlines() if "error:" in line]) == 1, err
