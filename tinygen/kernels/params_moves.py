"""Parameter builders of the data-movement kernels on elements of any size
(firmware/kernels/layout/tg_kernels_moves.h): a strided_copy's walk merged down to
tg_strided_copy's six runs, a gather's geometry. The same builders serve float32 nodes
(params_float.FLOAT_BUILDERS): the bytes do not care."""

from __future__ import annotations

import math

from tinygen.errors import UnsupportedOpError
from tinygen.ir import Graph, Node, role_operands
from tinygen.kernels.params_base import builder
from tinygen.kernels.params_float import float_builder

COPY_RANK = 6           # TG_COPY_RANK
GATHER_MAX_DIMS = 4     # TG_GATHER_MAX_DIMS
UPDATE_RANK = 4         # TG_UPDATE_RANK


def merged_walk(walk) -> list[list[int]]:
    """(count, step) runs, outermost first, without runs of one element and with neighbours
    merged where the outer step spans the inner run (numpy's rule for collapsing a view)."""
    runs: list[list[int]] = []
    for count, step in walk:
        if count == 1:
            continue
        if runs and runs[-1][1] == step * count:
            runs[-1] = [runs[-1][0] * count, step]
        else:
            runs.append([int(count), int(step)])
    return runs


@float_builder("strided_copy")
@builder("strided_copy")
def _strided_copy(graph: Graph, node: Node) -> dict:
    runs = merged_walk(node.attrs["walk"])
    if len(runs) > COPY_RANK:
        raise UnsupportedOpError(f"{node.name} ({node.source}): the copy walks {len(runs)} separate dimensions; "
                                 f"tinygen's kernel handles {COPY_RANK}")
    runs = [[1, 0]] * (COPY_RANK - len(runs)) + runs
    return {"elem_size": graph.tensor(node.outputs[0]).np_dtype.itemsize, "count": [r[0] for r in runs],
            "step": [r[1] for r in runs], "offset": int(node.attrs["offset"])}


@float_builder("gather")
@builder("gather")
def _gather(graph: Graph, node: Node) -> dict:
    values, indices = (graph.tensor(t) for t in role_operands(node))
    dims = [int(d) for d in node.attrs["index_dims"]]
    if not 1 <= len(dims) <= GATHER_MAX_DIMS:
        raise UnsupportedOpError(f"{node.name} ({node.source}): indices of {len(dims)} coordinates; tinygen's "
                                 f"kernel takes 1 to {GATHER_MAX_DIMS}")
    rows = math.prod(dims)
    outer = int(node.attrs["outer"])
    return {"elem_size": graph.tensor(node.outputs[0]).np_dtype.itemsize, "outer": outer, "rows": rows,
            "inner": values.size // (outer * rows), "count": indices.size // len(dims),
            "depth": len(dims), "index_dims": dims + [1] * (GATHER_MAX_DIMS - len(dims))}


@float_builder("dynamic_update_slice")
@builder("dynamic_update_slice")
def _dynamic_update_slice(graph: Graph, node: Node) -> dict:
    shape, update = graph.tensor(node.inputs[0]).shape, graph.tensor(node.inputs[1]).shape
    if len(shape) > UPDATE_RANK:
        raise UnsupportedOpError(f"{node.name} ({node.source}): a {len(shape)}-D operand; tinygen's kernel takes "
                                 f"up to {UPDATE_RANK} dimensions")
    pad = [1] * (UPDATE_RANK - len(shape))
    start = node.attrs["start"] or (0,) * len(shape)
    return {"elem_size": graph.tensor(node.outputs[0]).np_dtype.itemsize, "rank": len(shape),
            "shape": pad + list(shape), "update_shape": pad + list(update),
            "start": [0] * len(pad) + [int(v) for v in start]}
