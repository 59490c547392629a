"""The same int8 network as a .tflite file and as a QDQ .onnx file, for comparing what the two
front ends make of it (benchmarks/onnx_parity.py, tests/frontend/test_onnx_parity.py).

tinygen reads the .tflite model (the MLPerf Tiny KWS DS-CNN, or its AD autoencoder, an MLP)
into its IR, and this module writes that IR back out as ONNX QDQ, as onnxruntime's
quantize_static lays a model out (NCHW; a
QuantizeLinear / DequantizeLinear pair on every activation, DequantizeLinear of the int8 weights
per output channel and of the int32 biases on input scale x weight scale; TFLite's fused
activation bounds as a Clip): the same integers and scales, so the two builds differ only in
what the front ends do.

    onnx_path = tflite_as_qdq(graph_of_tflite, tmp / "kws.onnx")
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# IR weight layouts -> ONNX's (O, I, H, W)
_WEIGHTS = {"conv2d": (0, 3, 1, 2), "depthwise_conv2d": (3, 0, 1, 2)}


class _Writer:
    def __init__(self, graph):
        self.g, self.nodes, self.inits = graph, [], []

    def const(self, name: str, value) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(self, op: str, ins, out: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op, list(ins), [out], **attrs))
        return out

    def qdq(self, real: str, tensor: str) -> str:
        """QuantizeLinear -> DequantizeLinear of float value `real` on IR tensor `tensor`'s grid."""
        q = self.g.tensor(tensor).qparams
        s = self.const(f"{tensor}_scale", np.float32(q.scale[0]))
        z = self.const(f"{tensor}_zp", np.int8(q.zero_point[0]))
        self.node("QuantizeLinear", [real, s, z], f"{tensor}_q")
        return self.node("DequantizeLinear", [f"{tensor}_q", s, z], f"{tensor}_dq")

    def mac(self, n, x: str) -> str:
        g = self.g
        w = g.tensor(n.param("weight"))
        axis = 0
        data = w.data.transpose(_WEIGHTS[n.op]) if n.op in _WEIGHTS else w.data
        ws = np.broadcast_to(w.qparams.scale, (data.shape[0],)).astype(np.float32)
        self.const(f"{n.name}_w", data.astype(np.int8))
        self.const(f"{n.name}_ws", ws)
        self.const(f"{n.name}_wz", np.zeros(data.shape[0], np.int8))
        wd = self.node("DequantizeLinear", [f"{n.name}_w", f"{n.name}_ws", f"{n.name}_wz"], f"{n.name}_wd", axis=axis)
        xs = np.float32(g.tensor(n.inputs[0]).qparams.scale[0])
        self.const(f"{n.name}_b", g.tensor(n.param("bias")).data.astype(np.int32))
        self.const(f"{n.name}_bs", (xs * ws).astype(np.float32))
        self.const(f"{n.name}_bz", np.zeros(data.shape[0], np.int32))
        bd = self.node("DequantizeLinear", [f"{n.name}_b", f"{n.name}_bs", f"{n.name}_bz"], f"{n.name}_bd", axis=0)
        if n.op == "fully_connected":
            y = self.node("Gemm", [x, wd, bd], f"{n.name}_f", transB=1)
        else:
            top, bottom, left, right = n.attrs["padding"]
            extra = {"group": data.shape[0]} if n.op == "depthwise_conv2d" else {}
            y = self.node("Conv", [x, wd, bd], f"{n.name}_f", strides=list(n.attrs["stride"]),
                          dilations=list(n.attrs["dilation"]), pads=[top, left, bottom, right], **extra)
        q = g.tensor(n.outputs[0]).qparams
        lo, hi = ((np.float32(n.attrs[k]) - q.zero_point[0]) * q.scale[0] for k in ("act_min", "act_max"))
        if n.attrs["act_min"] > -128 or n.attrs["act_max"] < 127:
            y = self.node("Clip", [y, self.const(f"{n.name}_lo", np.float32(lo)),
                                   self.const(f"{n.name}_hi", np.float32(hi))], f"{n.name}_c")
        return y


def tflite_as_qdq(graph, path: Path, head: bool = True) -> Path:
    """IR `graph` (an int8 .tflite model as tinygen reads it: conv2d, depthwise_conv2d, avg_pool2d,
    reshape, fully_connected, softmax) as a QDQ .onnx file at `path`; without `head`, up to the
    logits (a final softmax left out)."""
    w = _Writer(graph)
    name = graph.inputs[0]
    shape = graph.tensor(name).shape
    onnx_shape = [shape[0], shape[3], shape[1], shape[2]] if len(shape) == 4 else list(shape)
    value = {name: w.node("DequantizeLinear", [w.node("QuantizeLinear", ["x", w.const("in_s", np.float32(
        graph.tensor(name).qparams.scale[0])), w.const("in_z", np.int8(graph.tensor(name).qparams.zero_point[0]))],
        "x_q"), "in_s", "in_z"], "x_dq")}
    nodes = graph.nodes if head or graph.nodes[-1].op != "softmax" else graph.nodes[:-1]
    for n in nodes:
        x = value[n.inputs[0]]
        if n.op in ("conv2d", "depthwise_conv2d", "fully_connected"):
            y = w.mac(n, x)
        elif n.op == "avg_pool2d":
            top, bottom, left, right = n.attrs["padding"]
            y = w.node("AveragePool", [x], f"{n.name}_f", kernel_shape=list(n.attrs["kernel"]),
                       strides=list(n.attrs["stride"]), pads=[top, left, bottom, right])
        elif n.op == "reshape":
            y = w.node("Flatten", [x], f"{n.name}_f")
        elif n.op == "softmax":
            y = w.node("Softmax", [x], f"{n.name}_f", axis=-1)
        else:
            raise ValueError(f"tflite_as_qdq: no ONNX form for {n.op}")
        value[n.outputs[0]] = y if n.op == "reshape" else w.qdq(y, n.outputs[0])
    out = nodes[-1].outputs[0]
    w.node("Identity", [value[out]], "y")
    shape = list(graph.tensor(out).shape)
    g = helper.make_graph(w.nodes, graph.name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, onnx_shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)], w.inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path
