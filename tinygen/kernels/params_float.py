"""Kernel parameters of the float32 kernels (a float .tflite run as it is: tinygen.kernels.
float_table, firmware/kernels/support/tg_kernels_f32.h). One builder per IR op, like
params_base.BUILDERS, keyed by op; tinygen.kernels.params.kernel_params takes them for a node
whose output is float32. The clamp of every kernel is TFLite's ActivationFunctionWithMinMax
bounds: the fused activation's range, with +-FLT_MAX for no bound (CalculateActivationRange)."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from tinygen.ir import Graph, Node, binary_operands
from tinygen.kernels import params_attention, params_layout, params_simple
from tinygen.kernels.params_base import _hwc
from tinygen.kernels.params_elementwise import broadcast_geometry, reduce_layout

FLOAT_BUILDERS: dict[str, Callable[[Graph, Node], dict]] = {}
FLT_MAX = float(np.finfo(np.float32).max)


def float_builder(*ops: str):
    def register(fn):
        for op in ops:
            FLOAT_BUILDERS[op] = fn
        return fn
    return register


def _bound(value: float) -> float:
    return max(-FLT_MAX, min(FLT_MAX, float(value)))


def float_range(node: Node) -> dict:
    """act_min, act_max of a float node: its fused activation's (lo, hi) (a clamp's lo, hi),
    infinities and no activation as +-FLT_MAX."""
    lo, hi = (node.attrs["lo"], node.attrs["hi"]) if node.op == "clamp" else (node.attrs.get("activation")
                                                                              or (-math.inf, math.inf))
    return {"act_min": _bound(lo), "act_max": _bound(hi)}


@float_builder("conv2d", "depthwise_conv2d", "transpose_conv2d")
def _conv(graph: Graph, node: Node) -> dict:
    in_h, in_w, in_c = _hwc(graph.tensor(node.inputs[0]).shape)
    out_h, out_w, out_c = _hwc(graph.tensor(node.outputs[0]).shape)
    w_shape = graph.weight_shape(node)
    pad_top, _, pad_left, _ = node.attrs["padding"]
    return {"in_h": in_h, "in_w": in_w, "in_c": in_c, "out_h": out_h, "out_w": out_w, "out_c": out_c,
            "kernel_h": w_shape[1], "kernel_w": w_shape[2], "stride_h": node.attrs["stride"][0],
            "stride_w": node.attrs["stride"][1], "dilation_h": node.attrs["dilation"][0],
            "dilation_w": node.attrs["dilation"][1], "pad_top": pad_top, "pad_left": pad_left,
            "depth_multiplier": int(node.attrs.get("depth_multiplier", 1)), **float_range(node)}


@float_builder("fully_connected")
def _fc(graph: Graph, node: Node) -> dict:
    shape = graph.tensor(node.inputs[0]).shape
    out_features, in_features = graph.weight_shape(node)
    return {"rows": math.prod(shape[:-1]), "in_features": in_features, "out_features": out_features,
            **float_range(node)}


@float_builder("add", "sub", "mul", "div")
def _binary(graph: Graph, node: Node) -> dict:
    a, b = (graph.tensor(t).shape for t in binary_operands(node))
    return {**broadcast_geometry(a, b, graph.tensor(node.outputs[0]).shape), **float_range(node)}


@float_builder("max_pool2d", "avg_pool2d")
def _pool(graph: Graph, node: Node) -> dict:
    in_h, in_w, channels = _hwc(graph.tensor(node.inputs[0]).shape)
    out_h, out_w, _ = _hwc(graph.tensor(node.outputs[0]).shape)
    pad_top, _, pad_left, _ = node.attrs["padding"]
    return {"in_h": in_h, "in_w": in_w, "channels": channels, "out_h": out_h, "out_w": out_w,
            "kernel_h": node.attrs["kernel"][0], "kernel_w": node.attrs["kernel"][1],
            "stride_h": node.attrs["stride"][0], "stride_w": node.attrs["stride"][1],
            "pad_top": pad_top, "pad_left": pad_left, **float_range(node)}


@float_builder("clamp")
def _clamp(graph: Graph, node: Node) -> dict:
    return {"size": graph.tensor(node.inputs[0]).size, **float_range(node)}


@float_builder("softmax")
def _softmax(graph: Graph, node: Node) -> dict:
    shape = graph.tensor(node.inputs[0]).shape
    return {"rows": math.prod(shape[:-1]), "depth": shape[-1], "beta": float(np.float32(node.attrs["beta"]))}


@float_builder("logistic", "tanh", "hard_swish", "rsqrt")
def _elementwise(graph: Graph, node: Node) -> dict:
    return {"size": graph.tensor(node.inputs[0]).size}


@float_builder("leaky_relu")
def _leaky_relu(graph: Graph, node: Node) -> dict:
    return {"size": graph.tensor(node.inputs[0]).size, "alpha": float(np.float32(node.attrs["alpha"]))}


@float_builder("squared_difference", "minimum", "maximum")
def _no_clamp_binary(graph: Graph, node: Node) -> dict:
    """The broadcast geometry; the clamp fields unused (the kernel does not clamp)."""
    a, b = (graph.tensor(t).shape for t in binary_operands(node))
    return {**broadcast_geometry(a, b, graph.tensor(node.outputs[0]).shape), "act_min": -FLT_MAX, "act_max": FLT_MAX}


@float_builder("prelu")
def _prelu(graph: Graph, node: Node) -> dict:
    x, alpha = graph.tensor(node.inputs[0]).shape, graph.tensor(node.param("alpha")).shape
    return {**broadcast_geometry(x, alpha, graph.tensor(node.outputs[0]).shape), "act_min": -FLT_MAX,
            "act_max": FLT_MAX}


@float_builder("mean", "sum")
def _reduce(graph: Graph, node: Node) -> dict:
    layout = reduce_layout(graph, node)
    outer, reduce, inner = layout
    return {"outer": outer, "reduce": reduce, "inner": inner, "mean": int(node.op == "mean")}


# data movement: the int8 kernels' geometry, in elements
FLOAT_BUILDERS["batch_matmul"] = params_attention.batch_matmul_geometry
FLOAT_BUILDERS["transpose"] = params_layout._transpose
FLOAT_BUILDERS["strided_slice"] = params_simple._strided_slice
FLOAT_BUILDERS["mirror_pad"] = params_simple._mirror_pad


@float_builder("concat")
def _concat(graph: Graph, node: Node) -> dict:
    """In bytes: tg_concat_f32 is tg_concat_s8's byte copy."""
    out = graph.tensor(node.outputs[0])
    axis = node.attrs["axis"] % len(out.shape)
    sizes = [math.prod(graph.tensor(t).shape[axis:]) * 4 for t in node.inputs]
    return {"outer": math.prod(out.shape[:axis]), "num_inputs": len(node.inputs), "copy_sizes": sizes}


@float_builder("pad")
def _pad(graph: Graph, node: Node) -> dict:
    return {**params_layout._pad(graph, node), "pad_value": float(np.float32(node.attrs["pad_value"]))}


@float_builder("lstm")
def _lstm(graph: Graph, node: Node) -> dict:
    batches, steps, size = graph.tensor(node.inputs[0]).shape
    return {"batches": batches, "steps": steps, "input_size": size, "hidden": int(node.attrs["hidden"]),
            "sequence": int(bool(node.attrs["sequence"])), "stateful": int(bool(node.attrs["stateful"])),
            "cell_clip": float(np.float32(node.attrs.get("cell_clip", 0.0)))}


def lstm_f32_state_bytes(p: dict) -> int:
    """tg_lstm_f32's state: h and c, float [B, H] each."""
    return 8 * p["batches"] * p["hidden"]


def lstm_f32_scratch_bytes(p: dict) -> int:
    """tg_lstm_f32's scratch: one step's four gates, float [4, H]."""
    return 16 * p["hidden"]


@float_builder("requantize")
def _quantize(graph: Graph, node: Node) -> dict:
    """DEQUANTIZE (integer -> float32) or QUANTIZE (float32 -> integer): the integer side's grid."""
    ints = [t for t in (node.inputs[0], node.outputs[0]) if graph.tensor(t).dtype != "float32"]
    q = graph.tensor(ints[0]).qparams
    return {"size": graph.tensor(node.inputs[0]).size, "scale": float(np.float32(q.scale[0])),
            "zero_point": int(q.zero_point[0])}
