"""QONNX graphs for tests/toolchains/test_brevitas.py, written with onnx.helper as Brevitas'
export_qonnx writes them (Quant / BipolarQuant of the qonnx.custom_op.general domain on the
input, the weights and the activations): an MLP with 4-bit or binary middle layers and a CNN
(conv -> relu -> 4-bit conv)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DOMAIN = "qonnx.custom_op.general"


def _c(name: str, v) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(v, np.float32), name)


def _quant(x: str, scale: str, bits: str, out: str, signed: int = 1, narrow: int = 0) -> onnx.NodeProto:
    return helper.make_node("Quant", [x, scale, "zero", bits], [out], domain=DOMAIN, signed=signed, narrow=narrow,
                            rounding_mode="ROUND")


def _save(path: Path, nodes, inits, in_shape, out_shape) -> Path:
    graph = helper.make_graph(nodes, path.stem, [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(DOMAIN, 1)]),
              path)
    return path


def mlp(folder: Path, binary: bool, seed: int = 0) -> Path:
    """x -> 8-bit Quant -> Gemm (4-bit weights, per channel; int8 if binary) -> Relu -> 4-bit unsigned
    Quant (BipolarQuant) -> Gemm (4-bit; BipolarQuant weights) -> y."""
    rng = np.random.default_rng(seed)
    inits = [_c("s_in", 0.03), _c("zero", 0.0), _c("b8", 8.0), _c("b4", 4.0), _c("s_a", 0.2),
             _c("W1", rng.standard_normal((64, 64)) * 0.2), _c("s_w1", rng.uniform(0.05, 0.15, (64, 1))),
             _c("B1", rng.standard_normal(64) * 0.1), _c("W2", rng.standard_normal((10, 64)) * 0.2),
             _c("s_w2", 0.05), _c("B2", rng.standard_normal(10) * 0.1)]
    nodes = [_quant("x", "s_in", "b8", "xq"),
             _quant("W1", "s_w1", "b8" if binary else "b4", "W1q", narrow=1),
             helper.make_node("Gemm", ["xq", "W1q", "B1"], ["y1"], transB=1)]
    if binary:
        nodes += [helper.make_node("BipolarQuant", ["y1", "s_a"], ["aq"], domain=DOMAIN),
                  helper.make_node("BipolarQuant", ["W2", "s_w2"], ["W2q"], domain=DOMAIN)]
    else:
        nodes += [helper.make_node("Relu", ["y1"], ["r1"]), _quant("r1", "s_a", "b4", "aq", signed=0),
                  _quant("W2", "s_w2", "b4", "W2q", narrow=1)]
    nodes.append(helper.make_node("Gemm", ["aq", "W2q", "B2"], ["y"], transB=1))
    return _save(folder / f"qonnx_mlp_{'b1' if binary else 'w4'}.onnx", nodes, inits, [1, 64], [1, 10])


def cnn(folder: Path, seed: int = 0) -> Path:
    """x [1, 1, 8, 8] -> 8-bit Quant -> Conv 3x3 (8-bit weights) -> Relu -> 4-bit unsigned Quant
    -> Conv 3x3 (4-bit weights) -> y [1, 16, 8, 8]."""
    rng = np.random.default_rng(seed)
    inits = [_c("s_in", 0.03), _c("zero", 0.0), _c("b8", 8.0), _c("b4", 4.0), _c("s_a", 0.25),
             _c("W1", rng.standard_normal((16, 1, 3, 3)) * 0.3), _c("s_w1", 0.01),
             _c("B1", rng.standard_normal(16) * 0.1), _c("W2", rng.standard_normal((16, 16, 3, 3)) * 0.2),
             _c("s_w2", rng.uniform(0.05, 0.1, (16, 1, 1, 1))), _c("B2", rng.standard_normal(16) * 0.1)]
    nodes = [_quant("x", "s_in", "b8", "xq"), _quant("W1", "s_w1", "b8", "W1q", narrow=1),
             helper.make_node("Conv", ["xq", "W1q", "B1"], ["y1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["y1"], ["r1"]), _quant("r1", "s_a", "b4", "aq", signed=0),
             _quant("W2", "s_w2", "b4", "W2q", narrow=1),
             helper.make_node("Conv", ["aq", "W2q", "B2"], ["y"], pads=[1, 1, 1, 1])]
    return _save(folder / "qonnx_cnn_w4.onnx", nodes, inits, [1, 1, 8, 8], [1, 16, 8, 8])
