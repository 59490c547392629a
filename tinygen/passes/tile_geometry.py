"""Receptive-field arithmetic for patch-based inference (passes/tile.py).

A region is (h0, h1, w0, w1): rows h0..h1-1 and columns w0..w1-1 of an NHWC tensor.
`input_needs` says which region of each activation input a node reads to produce a
region of its output, and with which explicit padding (only where the window passes
the true border of the input tensor; inside, the halo rows are real rows).
"""

from __future__ import annotations

from tinygen.ir import Graph, Node

# ops computing each output pixel from a window of the input (any stride, dilation, padding)
WINDOW_OPS = ("conv2d", "depthwise_conv2d", "max_pool2d", "avg_pool2d", "conv2d_add")
# ops computing each output pixel from the same pixel of their inputs
POINTWISE_OPS = ("add", "relu", "requantize", "clamp")
TILE_OPS = WINDOW_OPS + POINTWISE_OPS
# node attr: the tile (row-major index in the grid) a node of a tiled stage computes (passes/tile.py)
TILE = "tile"


def _window(graph: Graph, node: Node) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """(kernel, stride, dilation), each (h, w), of a window op."""
    if node.op in ("max_pool2d", "avg_pool2d"):
        return tuple(node.attrs["kernel"]), tuple(node.attrs["stride"]), (1, 1)
    w = graph.weight_shape(node)          # OHWI, depthwise 1HWO: kernel is dims 1, 2
    return (w[1], w[2]), tuple(node.attrs["stride"]), tuple(node.attrs["dilation"])


def _axis(o0: int, o1: int, k: int, s: int, d: int, pad_before: int, n: int) -> tuple[int, int, int, int]:
    """Input rows [lo, hi) that outputs [o0, o1) read along one axis of size n, and the
    padding (before, after) the tile's window needs where it passes the border."""
    start = o0 * s - pad_before
    end = (o1 - 1) * s - pad_before + d * (k - 1) + 1
    return max(0, start), min(n, end), max(0, -start), max(0, end - n)


def input_needs(graph: Graph, node: Node, region) -> list[tuple[str, tuple, tuple | None]]:
    """(input tensor, region of it read, tile padding (top, bottom, left, right) or None)
    for each activation input of `node` producing `region` of its output."""
    h0, h1, w0, w1 = region
    if node.op in POINTWISE_OPS:
        return [(t, region, None) for t in node.inputs]
    (kh, kw), (sh, sw), (dh, dw) = _window(graph, node)
    top, _, left, _ = node.attrs["padding"]
    _, in_h, in_w, _ = graph.tensor(node.inputs[0]).shape
    a0, a1, pt, pb = _axis(h0, h1, kh, sh, dh, top, in_h)
    b0, b1, pl, pr = _axis(w0, w1, kw, sw, dw, left, in_w)
    needs = [(node.inputs[0], (a0, a1, b0, b1), (pt, pb, pl, pr))]
    # conv2d_add: the skip operand is read pixel for pixel
    return needs + [(t, region, None) for t in node.inputs[1:]]


def union(a, b):
    if a is None:
        return b
    return (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))


def split(n: int, parts: int) -> list[tuple[int, int]]:
    """n rows in `parts` near-equal runs."""
    cuts = [round(i * n / parts) for i in range(parts + 1)]
    return list(zip(cuts, cuts[1:]))


def back_project(graph: Graph, stage: list[Node], region) -> tuple[dict, dict]:
    """Regions of every stage tensor needed for `region` of the stage's last output, and
    per (node name, input index) the region and padding that node reads.

    Walks the stage backwards: a tensor read by several nodes (a residual's two branches)
    needs the union of what each reads."""
    need = {stage[-1].outputs[0]: region}
    reads: dict[tuple[str, int], tuple] = {}
    for node in reversed(stage):
        out = need.get(node.outputs[0])
        if out is None:
            raise ValueError(f"stage node {node.name} does not feed the split tensor")
        for i, (t, r, pad) in enumerate(input_needs(graph, node, out)):
            reads[node.name, i] = (r, pad)
            need[t] = union(need.get(t), r)
    return need, reads


def stage_of(graph: Graph, split_tensor: str) -> list[Node] | str:
    """The nodes from the graph input up to `split_tensor` (its ancestors), in graph order,
    or the reason the tensor cannot end a tiled stage."""
    t = graph.tensor(split_tensor)
    if len(t.shape) != 4 or t.shape[0] != 1 or t.dtype != "int8":
        return "not a 1xHxWxC int8 tensor"
    if split_tensor in graph.outputs:
        return "a graph output"
    wanted, members = {split_tensor}, set()
    for node in reversed(graph.nodes):
        if node.outputs[0] in wanted:
            members.add(node.name)
            wanted.update(node.inputs)
    stage = [n for n in graph.nodes if n.name in members]
    inside = {n.outputs[0] for n in stage}
    for node in stage:
        if node.op not in TILE_OPS or len(node.params) != 1 or len(node.outputs) != 1:
            return f"{node.name} ({node.op}) cannot be tiled"
        if node.op in POINTWISE_OPS and node.param("operand") is not None:
            return f"{node.name} has a constant operand"
        for x in node.inputs:
            if x not in inside and x not in graph.inputs:
                return f"{node.name} reads {x}, which is not computed in the stage"
            if len(graph.tensor(x).shape) != 4:
                return f"{x} is not 4-D"
    for name in inside - {split_tensor}:
        if name in graph.outputs or any(c.name not in members for c in graph.consumers(name)):
            return f"{name} is read outside the stage"
    sources = {x for n in stage for x in n.inputs if x in graph.inputs}
    if len(sources) != 1:
        return "the stage does not start from exactly one graph input"
    return stage
