"""Merge chains of transposes and reshapes into one transpose, or into a free reshape.

The PyTorch frontend follows torch's element order through view / transpose / permute,
so a channel shuffle (view [N, g, C/g, H, W] → transpose(1, 2) → view [N, C, H, W])
arrives as five layout nodes around NHWC ↔ NCHW transposes. The whole chain moves each
element of its input to one place in its output: this pass computes that map, finds the
smallest transpose that makes it (adjacent dimensions that stay together merged), and
puts reshape → transpose → reshape in the chain's place (reshapes are aliases, no copy):
a channel shuffle becomes one transpose [H*W, g, C/g] → [H*W, C/g, g]; a chain that
moves nothing becomes a reshape. A chain whose map needs more than 4 dimensions stays.

Runs after fold_transpose, which turns the flatten before a fully connected layer into a
permutation of its weights (a rewrite this pass would hide).
"""

from __future__ import annotations

import numpy as np

from tinygen.ir import Graph, Kind, Node, Tensor

LAYOUT_OPS = ("transpose", "reshape")
MAX_RANK = 4            # dimensions of tg_transpose_s8


def _chain_from(graph: Graph, node: Node) -> list[Node]:
    """The layout nodes from `node` on, each intermediate tensor read once and not an output."""
    chain = [node]
    while True:
        out = chain[-1].outputs[0]
        users = graph.consumers(out)
        if graph.is_graph_output(out) or len(users) != 1 or users[0].op not in LAYOUT_OPS:
            return chain
        chain.append(users[0])


def _element_map(graph: Graph, chain: list[Node]) -> np.ndarray:
    """For each output element (flat), the flat index of the input element it holds."""
    x = np.arange(graph.tensor(chain[0].inputs[0]).size).reshape(graph.tensor(chain[0].inputs[0]).shape)
    for node in chain:
        if node.op == "transpose":
            x = x.transpose(node.attrs["perm"])
        else:
            x = x.reshape(graph.tensor(node.outputs[0]).shape)
    return x.ravel()


def factor_transpose(index: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """(input shape, perm) of the smallest-rank transpose whose output, flattened, reads the
    input's flat elements `index`; None if no transpose does."""
    n = index.size
    if n == 0 or index[0] != 0:
        return None
    dims = []                                   # (size, input stride), innermost output dim first
    block = 1
    while block < n:
        stride = int(index[block])
        size = 1                                # the longest run of equal steps, whole blocks
        while block * (size + 1) <= n and int(index[block * size]) == size * stride:
            size += 1
        while (n // block) % size:
            size -= 1
        if size < 2:
            return None
        dims.append((size, stride))
        block *= size
    # the input dimensions: the output's, ordered by stride, must tile the input exactly
    by_stride = sorted(dims, key=lambda d: d[1])
    expect = 1
    for size, stride in by_stride:
        if stride != expect:
            return None
        expect *= size
    in_dims = by_stride[::-1]                  # outermost first
    out_dims = dims[::-1]
    shape = tuple(size for size, _ in in_dims)
    perm = tuple(in_dims.index(d) for d in out_dims)
    check = np.arange(n).reshape(shape).transpose(perm).ravel()
    return (shape, perm) if np.array_equal(check, index) else None


def _replace(graph: Graph, chain: list[Node], shape, perm) -> list[Node]:
    """reshape → transpose → reshape (as needed) from the chain's input to its output, in its place."""
    src, dst = chain[0].inputs[0], chain[-1].outputs[0]
    at = graph.nodes.index(chain[0])
    for node in chain:
        graph.remove_node(node)
    dtype, source, qparams = graph.tensor(src).dtype, chain[0].source, graph.tensor(src).qparams
    steps = []                                  # (op, output shape, attrs)
    if perm != tuple(range(len(perm))):
        if graph.tensor(src).shape != tuple(shape):
            steps.append(("reshape", tuple(shape), {}))
        steps.append(("transpose", tuple(shape[p] for p in perm), {"perm": tuple(perm)}))
    if not steps or steps[-1][1] != graph.tensor(dst).shape:
        steps.append(("reshape", graph.tensor(dst).shape, {}))
    new, cur = [], src
    for k, (op, out_shape, attrs) in enumerate(steps):
        out = dst if k == len(steps) - 1 else graph.unique_name(f"{chain[0].name}_{op}")
        if out != dst:
            graph.add_tensor(Tensor(out, out_shape, dtype, Kind.ACTIVATION, qparams=qparams))
        new.append(Node(out, op, [cur], [out], attrs, source=source))
        cur = out
    graph.nodes[at:at] = new
    return new


def fold_layout(graph: Graph) -> Graph:
    done: set[str] = set()
    while True:
        for node in graph.nodes:
            if node.op not in LAYOUT_OPS or node.name in done:
                continue
            producer = graph.producer(node.inputs[0])
            if producer is not None and producer.op in LAYOUT_OPS and _chain_from(graph, producer)[-1] is not producer:
                continue                        # not the chain's head
            chain = _chain_from(graph, node)
            done.update(n.name for n in chain)
            transposes = [n for n in chain if n.op == "transpose"]
            if not transposes or (len(chain) == 1 and len(graph.tensor(node.inputs[0]).shape) <= MAX_RANK):
                continue
            found = factor_transpose(_element_map(graph, chain))
            if found is None or len(found[0]) + 1 > MAX_RANK:
                continue
            # IR activations keep a leading batch dimension of 1
            shape, perm = (1,) + found[0], (0,) + tuple(p + 1 for p in found[1])
            done.update(n.name for n in _replace(graph, chain, shape, perm))
            break
        else:
            break
    graph.drop_unused_tensors()
    return graph
