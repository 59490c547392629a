"""Pick the C kernel for every node and compute its parameter struct.

The choice depends on the op, the activation and weight dtypes and bit widths,
and the target's features (from the board file). No matching kernel is an
error naming the node, never a silent fallback. Reshapes need no kernel: they
alias their input's buffer.
"""

from __future__ import annotations

from tinygen.errors import UnsupportedOpError
from tinygen.ir import Graph, schema
from tinygen.kernels.params import kernel_params, kernel_variants
from tinygen.kernels.table import find_kernel


def choose_kernels(graph: Graph, features: frozenset = frozenset()) -> Graph:
    for node in graph.nodes:
        if schema(node.op).alias:
            node.kernel = None
            continue
        act = graph.tensor(node.outputs[0]).dtype
        wname = node.param("weight")
        weight = graph.tensor(wname) if wname else None
        spec = find_kernel(node.op, act, weight.dtype if weight else None,
                           weight.bits if weight else None, features, kernel_variants(graph, node))
        if spec is None:
            wdesc = f", {weight.bits}-bit {weight.dtype} weights" if weight else ""
            raise UnsupportedOpError(
                f"no kernel for {node.op} with {act} activations{wdesc} "
                f"on a target with features {sorted(features) or 'none'} (node {node.name}, {node.source})")
        node.kernel = spec.name
        node.attrs["kparams"] = kernel_params(graph, node)
    return graph
