"""Fuse a residual add into the convolution that computes one of its operands.

    y = conv2d(x);  z = add(y, skip)     ->     z = conv2d_add(x, skip)

The fused node computes each output byte p as the conv's int8 result y[p], exactly
as the conv computes it (on y's grid, clamped by the conv's activation), then
TFLite's ADD arithmetic of y[p] and skip[p] with the add's parameters and clamp.
The result is bit-exact with the unfused pair, y is never stored, and output byte
p reads skip byte p only, so the output may take the skip tensor's place in the
arena (tinygen/passes/inplace.py): in a residual block the conv no longer needs
its output buffer beside the skip tensor and its own input.

Pattern: an int8 add of two activations of the same shape (no broadcast, no
constant operand); an operand produced by a conv2d with int8 weights and one
parameter set, read by the add only and not a graph output. When both operands
qualify, the conv with more MACs is fused (the later one on a tie). The fused node
takes the add's place in the node order (both its inputs exist there), the conv's
name, the add's output tensor, and records which ADD operand the conv result was:
TFLite's input1/input2 multipliers are not symmetric.

Runs on the quantized graph (it needs every tensor's quantization), before
choose_kernels.
"""

from __future__ import annotations

from tinygen.passes.analysis import node_macs
from tinygen.ir import Graph, Node


def _fusable_conv(graph: Graph, add: Node, tensor: str) -> Node | None:
    conv = graph.producer(tensor)
    if conv is None or conv.op != "conv2d" or len(conv.params) != 1:
        return None
    weight = graph.tensor(conv.param("weight"))
    if weight.dtype != "int8" or weight.bits != 8 or graph.is_graph_output(tensor):
        return None
    if [n.name for n in graph.consumers(tensor)] != [add.name] or add.inputs.count(tensor) != 1:
        return None
    return conv


def _is_residual_add(graph: Graph, node: Node) -> bool:
    if node.op != "add" or len(node.inputs) != 2 or node.param("operand") is not None:
        return False
    a, b, out = (graph.tensor(t) for t in (*node.inputs, node.outputs[0]))
    return a.shape == b.shape == out.shape and a.dtype == b.dtype == out.dtype == "int8"


def fuse_residual(graph: Graph, keep: frozenset = frozenset()) -> Graph:
    """`keep`: convs (by name) whose add stays a separate node, the other operand's conv
    unfused too, e.g. chosen by the fit-first trade (tinygen/fit/) where the fused
    kernel's widened weights do not fit."""
    for add in [n for n in graph.nodes if _is_residual_add(graph, n)]:
        order = {n.name: i for i, n in enumerate(graph.nodes)}
        found = [(node_macs(graph, conv), order[conv.name], index, conv)
                 for index, t in enumerate(add.inputs) if (conv := _fusable_conv(graph, add, t)) is not None]
        if any(conv.name in keep for *_, conv in found):
            continue
        if not found:
            continue
        *_, operand, conv = max(found, key=lambda f: f[:2])
        q = graph.tensor(conv.outputs[0]).qparams
        fused = Node(conv.name, "conv2d_add", [conv.inputs[0], add.inputs[1 - operand]], list(add.outputs),
                     attrs={**{k: conv.attrs[k] for k in ("stride", "dilation", "padding", "act_min", "act_max")},
                            "conv_scale": float(q.scale[0]), "conv_zero_point": int(q.zero_point[0]),
                            "conv_operand": operand,
                            "add_act_min": int(add.attrs["act_min"]), "add_act_max": int(add.attrs["act_max"])},
                     params=conv.params, source=f"{conv.source} + {add.source}")
        graph.nodes[order[add.name]] = fused
        graph.remove_node(conv)
        graph.meta.get("tflite_tensors", {}).pop(conv.outputs[0], None)
    graph.drop_unused_tensors()
    return graph
