"""Parameter builders of the comparing and magnitude kernels (firmware/kernels/math/
tg_kernels_math.h; numpy twins in tinygen.ref.mathops): MAXIMUM / MINIMUM take the broadcasting
add's geometry, the reductions along an axis its (outer, size, inner) layout."""

from __future__ import annotations

import math

from tinygen.errors import UnsupportedOpError
from tinygen.ir import Graph, Node, binary_operands
from tinygen.kernels.params_base import _qp, builder, dtype_range
from tinygen.kernels.params_elementwise import _broadcast, mean_layout
from tinygen.ref.mathops import abs_params
from tinygen.ref.mathsums import axis_layout, log_softmax_params, sum_scale


@builder("min_max")
def _min_max(graph: Graph, node: Node) -> dict:
    a, b = (graph.tensor(t) for t in binary_operands(node))
    lo, hi = dtype_range(graph, node.outputs[0])
    return {**_broadcast(a.shape, b.shape, graph.tensor(node.outputs[0]).shape, node), "act_min": lo, "act_max": hi}


@builder("reduce_min_max")
def _reduce_min_max(graph: Graph, node: Node) -> dict:
    shape = graph.tensor(node.inputs[0]).shape
    layout = mean_layout(shape, node.attrs["axes"])
    if layout is None:
        raise UnsupportedOpError(f"{node.name} ({node.source}): {node.attrs['fn']} over axes "
                                 f"{list(node.attrs['axes'])} of {list(shape)}: the reduced dimensions must be "
                                 "adjacent", "reduce adjacent dimensions, or permute them next to each other first")
    return dict(zip(("outer", "size", "inner"), layout))


@builder("arg_min_max")
def _arg_min_max(graph: Graph, node: Node) -> dict:
    shape, axis = graph.tensor(node.inputs[0]).shape, node.attrs["axis"]
    return {"outer": math.prod(shape[:axis]), "size": shape[axis], "inner": math.prod(shape[axis + 1:])}


@builder("l2_norm")
def _l2_norm(graph: Graph, node: Node) -> dict:
    x = graph.tensor(node.inputs[0])
    return {"outer": x.size // x.shape[-1], "depth": x.shape[-1], "input_offset": -_qp(graph, x.name)[1]}


@builder("abs")
def _abs(graph: Graph, node: Node) -> dict:
    x = graph.tensor(node.inputs[0])
    return abs_params(x.size, *_qp(graph, x.name), *_qp(graph, node.outputs[0]))


def _sum_scale(graph: Graph, node: Node) -> dict:
    return sum_scale(*_qp(graph, node.inputs[0]), *_qp(graph, node.outputs[0]))


@builder("add_n")
def _add_n(graph: Graph, node: Node) -> dict:
    return {"size": graph.tensor(node.inputs[0]).size, "count": len(node.inputs), **_sum_scale(graph, node)}


@builder("cumsum")
def _cumsum(graph: Graph, node: Node) -> dict:
    outer, depth, inner = axis_layout(graph.tensor(node.inputs[0]).shape, node.attrs["axis"])
    return {"outer": outer, "depth": depth, "inner": inner, "exclusive": int(node.attrs["exclusive"]),
            "reverse": int(node.attrs["reverse"]), **_sum_scale(graph, node)}


@builder("log_softmax")
def _log_softmax(graph: Graph, node: Node) -> dict:
    x = graph.tensor(node.inputs[0])
    return log_softmax_params(x.size // x.shape[-1], x.shape[-1], _qp(graph, x.name)[0])
