"""Parameter builders of the float32 math kernels (firmware/kernels/math/*_f32.c, declared in
tg_kernels_math.h; numpy twins in tinygen.ref.mathops_f32), registered in
params_float.FLOAT_BUILDERS. The reductions along an axis take the int8 kernels' layout; L2_POOL_2D
the float pools' (tg_pool2d_f32_params_t)."""

from __future__ import annotations

import numpy as np

from tinygen.ir import Graph, Node
from tinygen.kernels import params_math
from tinygen.kernels.params_float import _no_clamp_binary, _pool, float_builder
from tinygen.ref.mathsums import axis_layout

float_builder("floor_div", "floor_mod")(_no_clamp_binary)
float_builder("reduce_min_max")(params_math._reduce_min_max)
float_builder("arg_min_max")(params_math._arg_min_max)
float_builder("l2_pool2d")(_pool)


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


@float_builder("log_softmax", "l2_norm")
def _rows(graph: Graph, node: Node) -> dict:
    shape = graph.tensor(node.inputs[0]).shape
    return {"rows": graph.tensor(node.inputs[0]).size // shape[-1], "depth": shape[-1]}


def bilinear_scale_f32(n_in: int, n_out: int, align_corners: bool) -> float:
    """TFLite's float ResizeBilinear scale of one axis: float(in) / out, or float(in - 1) /
    (out - 1) with align_corners (out > 1), a float32 division."""
    if align_corners and n_out > 1:
        return float(np.float32(n_in - 1) / np.float32(n_out - 1))
    return float(np.float32(n_in) / np.float32(n_out))


@float_builder("resize_bilinear")
def _resize_bilinear(graph: Graph, node: Node) -> dict:
    n, in_h, in_w, channels = graph.tensor(node.inputs[0]).shape
    _, out_h, out_w, _ = graph.tensor(node.outputs[0]).shape
    corners = bool(node.attrs["align_corners"])
    return {"batches": n, "in_h": in_h, "in_w": in_w, "channels": channels, "out_h": out_h, "out_w": out_w,
            "scale_h": bilinear_scale_f32(in_h, out_h, corners), "scale_w": bilinear_scale_f32(in_w, out_w, corners),
            "half_pixel_centers": int(node.attrs["half_pixel_centers"])}
