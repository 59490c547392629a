"""Parameter builders of the float32 math kernels (firmware/kernels/math/*_f32.c, declared in
tg_kernels_math.h; numpy twins in tinygen.ref.mathops_f32), registered in
params_float.FLOAT_BUILDERS. The reductions along an axis take the int8 kernels' layout."""

from __future__ import annotations

from tinygen.ir import Graph, Node
from tinygen.kernels import params_math
from tinygen.kernels.params_float import _no_clamp_binary, float_builder
from tinygen.ref.mathsums import axis_layout

float_builder("floor_div", "floor_mod")(_no_clamp_binary)
float_builder("reduce_min_max")(params_math._reduce_min_max)
float_builder("arg_min_max")(params_math._arg_min_max)


@float_builder("unary")
def _unary(graph: Graph, node: Node) -> dict:
    return {"size": graph.tensor(node.inputs[0]).size}


@float_builder("add_n")
def _add_n(graph: Graph, node: Node) -> dict:
    return {"size": graph.tensor(node.inputs[0]).size, "count": len(node.inputs)}


@float_builder("cumsum")
def _cumsum(graph: Graph, node: Node) -> dict:
    outer, depth, inner = axis_layout(graph.tensor(node.inputs[0]).shape, node.attrs["axis"])
    return {"outer": outer, "depth": depth, "inner": inner, "exclusive": int(node.attrs["exclusive"]),
            "reverse": int(node.attrs["reverse"])}
