"""Remove the layout transposes that PyTorch's NCHW flatten introduces.

The frontend keeps activations NHWC, so `x.flatten(1)` on a 4-D tensor becomes
transpose(NHWC→NCHW) → reshape, preserving PyTorch's element order. Two cases
need no data movement:

- transpose → reshape [1, C*H*W] → fully_connected: permute the columns of the
  fully connected weights into NHWC order instead, and drop the transpose;
- a transpose that keeps the relative order of all non-unit dimensions (e.g.
  [1, 1, 1, C] → [1, C, 1, 1]) is a reshape.

Any other transpose stays and runs as a kernel.
"""

from __future__ import annotations

import numpy as np

from tinygen.ir import Graph

NHWC_TO_NCHW = (0, 3, 1, 2)


def _moves_data(shape: tuple[int, ...], perm: tuple[int, ...]) -> bool:
    kept = [axis for axis in perm if shape[axis] != 1]
    return kept != sorted(kept)


def _single_consumer(graph: Graph, tensor: str):
    users = graph.consumers(tensor)
    if len(users) != 1 or graph.is_graph_output(tensor):
        return None
    return users[0]


def fold_transpose(graph: Graph) -> Graph:
    for tr in [n for n in graph.nodes if n.op == "transpose"]:
        src = graph.tensor(tr.inputs[0])
        perm = tuple(tr.attrs["perm"])
        if not _moves_data(src.shape, perm):
            tr.op, tr.attrs = "reshape", {}
            continue
        if perm != NHWC_TO_NCHW:
            continue
        reshape = _single_consumer(graph, tr.outputs[0])
        if reshape is None or reshape.op != "reshape":
            continue
        flat = graph.tensor(reshape.outputs[0])
        fc = _single_consumer(graph, flat.name)
        if fc is None or fc.op != "fully_connected" or flat.shape != (1, src.size):
            continue
        _, h, w, c = src.shape
        for pset in fc.params:
            weight = graph.tensor(pset["weight"])
            out_features = weight.shape[0]
            weight.data = np.ascontiguousarray(
                weight.data.reshape(out_features, c, h, w).transpose(0, 2, 3, 1)
            ).reshape(out_features, h * w * c)
        reshape.inputs = [src.name]
        graph.remove_node(tr)
    graph.drop_unused_tensors()
    return graph
