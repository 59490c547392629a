"""Fuse an RMS norm written out, x * rsqrt(mean(x * x, last axis) + eps) [* gamma], into one
rms_norm node (the integer layer norm of firmware/kernels/norm/tg_norm_s8.h), so that it is
not quantized op by op (an int8 rsqrt of an int8 mean of squares loses most of its bits).

The frontend gives x.pow(2) as mul(x, x) and the mean over the last dim (keepdim) as a mean
node in torch's order; eps is an add of a constant scalar, gamma a multiply by a constant of
the features' shape. Every intermediate value must feed only the next op of the pattern.
Runs on the float graph, before calibration.
"""

from __future__ import annotations

import numpy as np

from tinygen.ir import Graph, Node


def _only_user(graph: Graph, tensor: str, op: str) -> Node | None:
    users = graph.consumers(tensor)
    if len(users) != 1 or graph.is_graph_output(tensor) or users[0].op != op:
        return None
    return users[0]


def _constant(graph: Graph, node: Node) -> np.ndarray | None:
    """A one-input add / mul's constant operand, with no fused activation."""
    if len(node.inputs) != 1 or node.attrs.get("activation") is not None:
        return None
    return graph.const(node, "operand")


def _match(graph: Graph, square: Node) -> tuple[list[Node], float, np.ndarray | None] | None:
    """(the pattern's nodes, eps, gamma) from its x * x, or None."""
    x = square.inputs[0]
    rank = len(graph.tensor(x).shape)
    if square.inputs != [x, x] or square.attrs.get("activation") is not None:
        return None
    mean = _only_user(graph, square.outputs[0], "mean")
    if mean is None or tuple(mean.attrs["axes"]) != (rank - 1,) or not mean.attrs["keep_dims"]:
        return None
    add = _only_user(graph, mean.outputs[0], "add")
    eps = None if add is None else _constant(graph, add)
    if eps is None or eps.size != 1 or float(eps.ravel()[0]) < 0:
        return None
    rsqrt = _only_user(graph, add.outputs[0], "rsqrt")
    scale = None if rsqrt is None else _only_user(graph, rsqrt.outputs[0], "mul")
    if scale is None or sorted(scale.inputs) != sorted([x, rsqrt.outputs[0]]) or scale.attrs.get("activation"):
        return None
    nodes = [square, mean, add, rsqrt, scale]
    depth = graph.tensor(x).shape[-1]
    users = graph.consumers(scale.outputs[0])
    gamma = None
    if len(users) == 1 and users[0].op == "mul" and not graph.is_graph_output(scale.outputs[0]):
        g = _constant(graph, users[0])
        if g is not None and g.size == depth and g.shape[-1] == depth:
            gamma = g.reshape(depth)
            nodes.append(users[0])
    return nodes, float(eps.ravel()[0]), gamma


def fuse_norm(graph: Graph) -> Graph:
    for square in [n for n in graph.nodes if n.op == "mul"]:
        if square not in graph.nodes:
            continue
        found = _match(graph, square)
        if found is None:
            continue
        nodes, eps, gamma = found
        x, out = square.inputs[0], nodes[-1].outputs[0]
        depth = graph.tensor(x).shape[-1]
        gamma = np.ones(depth, np.float32) if gamma is None else gamma.astype(np.float32)
        name = graph.unique_name(f"{square.name}_rmsnorm_gamma")
        graph.add_const(name, gamma)
        at = graph.nodes.index(nodes[-1])
        fused = Node(nodes[-1].name, "rms_norm", [x], [out], {"eps": eps}, [{"gamma": name}],
                     source=square.source)
        graph.nodes[at] = fused
        for node in nodes[:-1]:
            graph.remove_node(node)
    graph.drop_unused_tensors()
    return graph
