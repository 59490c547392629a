"""fuse_gates: a conv2d whose result is multiplied per channel by a channel gate becomes one
conv2d_gated node, which computes only the channels the gate keeps (runs after quantization:
the fused kernel needs the conv result's grid and the multiply's). A depthwise conv2d (depth
multiplier 1) becomes a depthwise_conv2d_gated node and a fully_connected layer a
fully_connected_gated node the same way (GATED_OPS).

    y = conv2d(x)            ->   out = conv2d_gated(x, g)
    g2 = reshape(g)               (g: a channel_gate's output, [1, C])
    out = mul(y, g2)

A gated conv whose input comes (through max pools and reshapes, which keep a channel at
the zero point there) from another gated conv also reads that layer's gate: its kernel
skips the input channels the gate dropped, which hold the input zero point and add 0.

A gate whose multiply cannot fuse (the conv result has other readers, or is a model
output) stays a plain conv2d and mul: exact, but every channel is computed; the pass
records why in graph.meta["gating"]["unfused"] (`tinygen inspect` shows it).
"""

from __future__ import annotations

from tinygen.ir import Graph, Node


def _gate_source(graph: Graph, name: str) -> str | None:
    """The channel_gate output behind `name` (through reshapes), or None."""
    node = graph.producer(name)
    while node is not None and node.op == "reshape":
        name = node.inputs[0]
        node = graph.producer(name)
    return name if node is not None and node.op == "channel_gate" else None


# the layers a gate's multiply fuses into, and the gated op each becomes
GATED_OPS = {"conv2d": "conv2d_gated", "depthwise_conv2d": "depthwise_conv2d_gated",
             "fully_connected": "fully_connected_gated"}


def fuse_gates(graph: Graph) -> Graph:
    notes = graph.meta.setdefault("gating", {"fused": [], "unfused": []})
    for mul in [n for n in graph.nodes if n.op == "mul" and len(n.inputs) == 2]:
        for i in (0, 1):
            y, other = mul.inputs[i], mul.inputs[1 - i]
            gate = _gate_source(graph, other)
            conv = graph.producer(y)
            if gate is None or conv is None:
                continue
            why = _refusal(graph, conv, y, gate)
            if why:
                notes["unfused"].append(f"{conv.name}: {why}")
                break
            _fuse(graph, conv, mul, gate)
            notes["fused"].append(conv.name)
            break
    for node in (n for n in graph.nodes if n.op == "conv2d_gated" and len(n.inputs) == 2):
        source = gated_source(graph, node.inputs[0])
        if source is not None and graph.tensor(source.inputs[1]).shape[-1] == graph.tensor(node.inputs[0]).shape[-1]:
            node.inputs.append(source.inputs[1])
    graph.drop_unused_tensors()
    return graph


_ZERO_KEEPING = ("max_pool2d", "reshape")


def gated_source(graph: Graph, tensor: str) -> Node | None:
    """The gated layer whose output reaches `tensor` through max pools and reshapes, if its
    dropped channels hold `tensor`'s zero point (so a reader may skip them), else None."""
    node = graph.producer(tensor)
    while node is not None and node.op in _ZERO_KEEPING:
        node = graph.producer(node.inputs[0])
    if node is None or node.op not in GATED_OPS.values():
        return None
    zp = int(graph.tensor(tensor).qparams.zero_point[0])
    out = graph.tensor(node.outputs[0]).qparams
    dropped = min(max(int(out.zero_point[0]), int(node.attrs["gate_act_min"])), int(node.attrs["gate_act_max"]))
    return node if dropped == zp == int(out.zero_point[0]) else None


def gated_readers(graph: Graph, tensor: str) -> list[Node]:
    """The layers reading `tensor` through max pools and reshapes."""
    found = []
    for node in graph.consumers(tensor):
        found += gated_readers(graph, node.outputs[0]) if node.op in _ZERO_KEEPING else [node]
    return found


def _refusal(graph: Graph, conv: Node, y: str, gate: str) -> str | None:
    if conv.op not in GATED_OPS or "lowbit" in conv.attrs or len(conv.params) != 1:
        return (f"only int8 conv2d, depthwise_conv2d and fully_connected layers skip gated channels, "
                f"this one is a {conv.op}")
    if conv.op == "depthwise_conv2d" and int(conv.attrs.get("depth_multiplier", 1)) != 1:
        return "a depthwise conv2d with a depth multiplier is not gated: every channel is computed"
    if len(graph.consumers(y)) != 1 or graph.is_graph_output(y):
        return "its result has other readers, so every channel is computed"
    if graph.tensor(gate).shape[-1] != graph.tensor(y).shape[-1]:
        return "the gate's channels differ from the layer's"
    return None


def _fuse(graph: Graph, conv: Node, mul: Node, gate: str) -> None:
    y = graph.tensor(conv.outputs[0])
    conv.op = GATED_OPS[conv.op]
    conv.inputs = [conv.inputs[0], gate]
    conv.outputs = list(mul.outputs)
    conv.attrs.update(conv_scale=float(y.qparams.scale[0]), conv_zero_point=int(y.qparams.zero_point[0]),
                      gate_act_min=int(mul.attrs["act_min"]), gate_act_max=int(mul.attrs["act_max"]))
    graph.remove_node(mul)
    # the gate is read where the conv was: move the conv after the gate if it came first
    nodes = graph.nodes
    if nodes.index(graph.producer(gate)) > nodes.index(conv):
        nodes.remove(conv)
        nodes.insert(nodes.index(graph.producer(gate)) + 1, conv)
    for node in [n for n in nodes if n.op == "reshape" and not graph.consumers(n.outputs[0])
                 and not graph.is_graph_output(n.outputs[0])]:
        nodes.remove(node)
