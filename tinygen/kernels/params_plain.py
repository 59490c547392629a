"""Parameter builders of the kernels for builtin ops on plain integers (firmware/kernels/plain/
tg_kernels_plain.h; numpy twins in tinygen.ref.plain). STRIDED_SLICE on int32 takes the
strided_slice builder of params_simple."""

from __future__ import annotations

import math

from tinygen.ir import Graph, Node, binary_operands
from tinygen.kernels.params_base import builder
from tinygen.kernels.params_float import FLOAT_BUILDERS
from tinygen.ref.plain import CAST_TYPES, INT_BINARY


@builder("cast")
def _cast(graph: Graph, node: Node) -> dict:
    x, out = graph.tensor(node.inputs[0]), graph.tensor(node.outputs[0])
    return {"size": out.size, "from": CAST_TYPES.index(x.dtype), "to": CAST_TYPES.index(out.dtype)}


FLOAT_BUILDERS["cast"] = _cast      # a cast to float32 (kernel_params takes a float output's builder)


@builder("int_binary")
def _int_binary(graph: Graph, node: Node) -> dict:
    size = graph.tensor(node.outputs[0]).size
    x, y = (graph.tensor(t).size for t in binary_operands(node))
    return {"size": size, "fn": INT_BINARY.index(node.attrs["fn"]), "x_step": int(x == size and size > 1),
            "y_step": int(y == size and size > 1), "swap": int(bool(node.attrs["swap"])),
            "act_min": int(node.attrs["act_min"]), "act_max": int(node.attrs["act_max"])}


@builder("concat_const")
def _concat_const(graph: Graph, node: Node) -> dict:
    shape = graph.tensor(node.inputs[0]).shape
    axis = node.attrs["axis"]
    inner = math.prod(shape[axis + 1:])
    head, tail = (graph.tensor(node.param(r)) if node.param(r) else None for r in ("head", "tail"))
    return {"outer": math.prod(shape[:axis]), "before": head.shape[axis] * inner if head else 0,
            "inner": shape[axis] * inner, "after": tail.shape[axis] * inner if tail else 0}
