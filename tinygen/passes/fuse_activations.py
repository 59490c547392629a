"""Fuse clamps (ReLU, ReLU6, Hardtanh) into the op that produces their input.

conv2d, depthwise_conv2d, fully_connected and add take an output clamp
`activation = (lo, hi)`; when such a node's output feeds only a clamp, the
clamp's bounds move into the node (intersected with any bounds it already has)
and the clamp disappears. Must run before calibration, so that the recorded
output range is the clamped one.
"""

from __future__ import annotations

from tinygen.ir import Graph, schema


def merge_output(graph: Graph, producer, removed_output: str) -> None:
    """The producer now computes `removed_output`'s values: keep the producer's
    own tensor name unless the removed one is a graph output."""
    if graph.is_graph_output(removed_output):
        producer.outputs = [removed_output]
    else:
        graph.replace_uses(removed_output, producer.outputs[0])


def fuse_activations(graph: Graph) -> Graph:
    for clamp in [n for n in graph.nodes if n.op == "clamp"]:
        src = clamp.inputs[0]
        producer = graph.producer(src)
        if (
            producer is None
            or not schema(producer.op).fusable_activation
            or len(graph.consumers(src)) != 1
            or graph.is_graph_output(src)
        ):
            continue
        lo, hi = float(clamp.attrs["lo"]), float(clamp.attrs["hi"])
        if producer.attrs.get("activation") is not None:
            old_lo, old_hi = producer.attrs["activation"]
            lo, hi = max(lo, old_lo), min(hi, old_hi)
        producer.attrs["activation"] = (lo, hi)
        graph.remove_node(clamp)
        merge_output(graph, producer, clamp.outputs[0])
    graph.drop_unused_tensors()
    return graph
