"""Kernel parameter structs computed from quantized nodes.

One builder per IR op; each returns a dict keyed by the C struct's field names
(see firmware/kernels/tg_kernels.h). Ops whose parameters follow TFLite Micro's
Prepare step (add, softmax, logistic) delegate to tinygen.quant.op_params.
"""

from __future__ import annotations

import math
from typing import Callable

from tinygen.errors import UnsupportedOpError
from tinygen.ir import Graph, Node
from tinygen.quant import op_params

_BUILDERS: dict[str, Callable[[Graph, Node], dict]] = {}


def builder(op: str):
    def register(fn):
        _BUILDERS[op] = fn
        return fn
    return register


def kernel_params(graph: Graph, node: Node) -> dict:
    return _BUILDERS[node.op](graph, node)


def _hwc(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """A tensor as (H, W, C): NHWC with batch 1, or a [rows, C] matrix as (1, rows, C)."""
    if len(shape) == 4:
        if shape[0] != 1:
            raise UnsupportedOpError(f"batch size {shape[0]} is not supported; tinygen compiles batch 1")
        return shape[1], shape[2], shape[3]
    return 1, math.prod(shape[:-1]), shape[-1]


def _qp(graph: Graph, tensor: str) -> tuple[float, int]:
    q = graph.tensor(tensor).qparams
    return q.scale[0], int(q.zero_point[0])


def _act(node: Node) -> dict:
    return {"act_min": int(node.attrs["act_min"]), "act_max": int(node.attrs["act_max"])}


@builder("conv2d")
@builder("depthwise_conv2d")
def _conv(graph: Graph, node: Node) -> dict:
    in_h, in_w, in_c = _hwc(graph.tensor(node.inputs[0]).shape)
    out_h, out_w, out_c = _hwc(graph.tensor(node.outputs[0]).shape)
    w_shape = graph.tensor(node.param("weight")).shape
    kernel_h, kernel_w = w_shape[1], w_shape[2]
    stride_h, stride_w = node.attrs["stride"]
    dil_h, dil_w = node.attrs["dilation"]
    pad_top, _, pad_left, _ = node.attrs["padding"]
    _, in_zp = _qp(graph, node.inputs[0])
    _, out_zp = _qp(graph, node.outputs[0])
    return {
        "in_h": in_h, "in_w": in_w, "in_c": in_c,
        "out_h": out_h, "out_w": out_w, "out_c": out_c,
        "kernel_h": kernel_h, "kernel_w": kernel_w,
        "stride_h": stride_h, "stride_w": stride_w,
        "dilation_h": dil_h, "dilation_w": dil_w,
        "pad_top": pad_top, "pad_left": pad_left,
        "depth_multiplier": int(node.attrs.get("depth_multiplier", 1)),
        "input_offset": -in_zp, "output_offset": out_zp,
        **_act(node),
    }


@builder("fully_connected")
def _fc(graph: Graph, node: Node) -> dict:
    shape = graph.tensor(node.inputs[0]).shape
    out_features, in_features = graph.tensor(node.param("weight")).shape
    if shape[-1] != in_features:
        raise UnsupportedOpError(f"{node.name}: input has {shape[-1]} features, weights expect {in_features}")
    _, in_zp = _qp(graph, node.inputs[0])
    _, out_zp = _qp(graph, node.outputs[0])
    return {
        "rows": math.prod(shape[:-1]), "in_features": in_features, "out_features": out_features,
        "input_offset": -in_zp, "output_offset": out_zp, **_act(node),
    }


@builder("max_pool2d")
@builder("avg_pool2d")
def _pool(graph: Graph, node: Node) -> dict:
    in_h, in_w, channels = _hwc(graph.tensor(node.inputs[0]).shape)
    out_h, out_w, _ = _hwc(graph.tensor(node.outputs[0]).shape)
    pad_top, _, pad_left, _ = node.attrs["padding"]
    return {
        "in_h": in_h, "in_w": in_w, "channels": channels, "out_h": out_h, "out_w": out_w,
        "kernel_h": node.attrs["kernel"][0], "kernel_w": node.attrs["kernel"][1],
        "stride_h": node.attrs["stride"][0], "stride_w": node.attrs["stride"][1],
        "pad_top": pad_top, "pad_left": pad_left,
        "count_include_pad": int(bool(node.attrs.get("count_include_pad", False))),
        # padded positions hold real 0, i.e. the zero point (only used with count_include_pad)
        "zero_point": _qp(graph, node.inputs[0])[1],
        "act_min": -128, "act_max": 127,
    }


@builder("add")
def _add(graph: Graph, node: Node) -> dict:
    a, b = (graph.tensor(t) for t in node.inputs)
    out = graph.tensor(node.outputs[0])
    if a.shape != b.shape or a.shape != out.shape:
        raise UnsupportedOpError(
            f"{node.name} ({node.source}): add of shapes {list(a.shape)} and {list(b.shape)} needs "
            "broadcasting, which is not supported yet; make both operands the same shape")
    (s1, z1), (s2, z2), (so, zo) = (_qp(graph, t) for t in (a.name, b.name, out.name))
    return op_params.add_params(out.size, s1, z1, s2, z2, so, zo,
                                int(node.attrs["act_min"]), int(node.attrs["act_max"]))


@builder("softmax")
def _softmax(graph: Graph, node: Node) -> dict:
    t = graph.tensor(node.inputs[0])
    axis = node.attrs["axis"] % len(t.shape)
    if axis != len(t.shape) - 1:
        raise UnsupportedOpError(f"{node.name} ({node.source}): softmax over axis {axis} of "
                                 f"{list(t.shape)}; only the last (channel) axis is supported")
    depth = t.shape[-1]
    scale, _ = _qp(graph, t.name)
    return op_params.softmax_params(t.size // depth, depth, scale, float(node.attrs["beta"]))


@builder("logistic")
def _logistic(graph: Graph, node: Node) -> dict:
    t = graph.tensor(node.inputs[0])
    scale, zp = _qp(graph, t.name)
    return op_params.logistic_params(t.size, scale, zp)


@builder("concat")
def _concat(graph: Graph, node: Node) -> dict:
    out = graph.tensor(node.outputs[0])
    axis = node.attrs["axis"] % len(out.shape)
    sizes = [math.prod(graph.tensor(t).shape[axis:]) for t in node.inputs]
    return {"outer": math.prod(out.shape[:axis]), "num_inputs": len(node.inputs), "copy_sizes": sizes}


@builder("transpose")
def _transpose(graph: Graph, node: Node) -> dict:
    shape = graph.tensor(node.inputs[0]).shape
    perm = tuple(node.attrs["perm"])
    pad = 4 - len(shape)
    return {"in_shape": [1] * pad + list(shape),
            "perm": list(range(pad)) + [p + pad for p in perm]}


@builder("clamp")
def _clamp(graph: Graph, node: Node) -> dict:
    return {"size": graph.tensor(node.inputs[0]).size, **_act(node)}
