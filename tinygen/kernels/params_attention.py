"""Parameter builders of the normalization and attention ops: the integer layer and RMS
norms (tg_norm_params_t), batch matmul (tg_batch_matmul_params_t: its operands read through
strides, batch dims broadcast), RSQRT, and SUB and SQUARED_DIFFERENCE (on the broadcasting
add's struct, tg_add_broadcast_params_t). The arithmetic constants come from
tinygen.quant.attention_params."""

from __future__ import annotations

import math

from tinygen.errors import UnsupportedOpError
from tinygen.ir import Graph, Node, binary_operands
from tinygen.kernels.params_base import _act, _qp, builder
from tinygen.kernels.params_elementwise import broadcast_geometry
from tinygen.quant import attention_params as ap
from tinygen.quant.op_params import ADD_LEFT_SHIFT_S16

MATMUL_BATCH_RANK = 3       # batch dimensions of tg_batch_matmul_params_t (after merging)
NORM_MAX_DEPTH = 32767      # the sum of squared int8 differences stays in int32


def _refuse(node: Node, what: str, hint: str | None = None) -> UnsupportedOpError:
    return UnsupportedOpError(f"{node.name} ({node.source}): {what}", hint)


@builder("layer_norm")
@builder("rms_norm")
def _norm(graph: Graph, node: Node) -> dict:
    t = graph.tensor(node.inputs[0])
    depth = t.shape[-1]
    if depth > NORM_MAX_DEPTH:
        raise _refuse(node, f"a norm over {depth} features; tinygen's integer norm takes up to {NORM_MAX_DEPTH}")
    (si, zi), (so, zo) = _qp(graph, t.name), _qp(graph, node.outputs[0])
    shift = ap.norm_shift(depth)
    try:
        eps = ap.eps_term(depth, float(node.attrs["eps"]), si)
    except ValueError as e:
        raise _refuse(node, str(e), "the input's range is tiny against eps: check the calibration data") from None
    multiplier, out_shift = ap.norm_output_multiplier(graph.tensor(node.param("gamma")).qparams.scale[0], shift, so)
    return {"rows": t.size // depth, "depth": depth, "input_zero_point": zi, "output_zero_point": zo,
            "eps_term": eps, "norm_shift": shift, "output_multiplier": multiplier, "output_shift": out_shift}


def _batch_dims(node: Node, lhs, rhs, out) -> tuple[list[int], list[int], list[int]]:
    """The output's batch dims with each operand's element stride per dim (0: broadcast),
    adjacent dims merged, padded to MATMUL_BATCH_RANK (TFLite's extents)."""
    rank = len(out)
    dims = []
    for shape in (lhs, rhs):
        shape = (1,) * (rank - len(shape)) + tuple(shape)
        dims.append([0 if shape[d] == 1 else math.prod(shape[d + 1:]) for d in range(rank - 2)])
    merged: list[tuple[int, int, int]] = []
    for n, sl, sr in zip(out[:-2], *dims):
        if n == 1:
            continue
        if merged and merged[-1][1] == sl * n and merged[-1][2] == sr * n:
            merged[-1] = (merged[-1][0] * n, sl, sr)
        else:
            merged.append((n, sl, sr))
    if len(merged) > MATMUL_BATCH_RANK:
        raise _refuse(node, f"a batch matmul of {list(lhs)} and {list(rhs)} broadcasts over {len(merged)} "
                            f"separate batch dims; tinygen's kernels take {MATMUL_BATCH_RANK}")
    merged = [(1, 0, 0)] * (MATMUL_BATCH_RANK - len(merged)) + merged
    return [m[0] for m in merged], [m[1] for m in merged], [m[2] for m in merged]


def batch_matmul_geometry(graph: Graph, node: Node) -> dict:
    """tg_batch_matmul_params_t's shapes and strides of a batch_matmul node (any dtype)."""
    lhs, rhs = (graph.tensor(t) for t in node.inputs)
    out = graph.tensor(node.outputs[0])
    adj_x, adj_y = bool(node.attrs["adj_x"]), bool(node.attrs["adj_y"])
    rows, depth = (lhs.shape[-1], lhs.shape[-2]) if adj_x else (lhs.shape[-2], lhs.shape[-1])
    cols, rdepth = (rhs.shape[-2], rhs.shape[-1]) if adj_y else (rhs.shape[-1], rhs.shape[-2])
    if depth != rdepth or out.shape[-2:] != (rows, cols):
        raise _refuse(node, f"operands {list(lhs.shape)} and {list(rhs.shape)} do not multiply to {list(out.shape)}")
    shape, lstrides, rstrides = _batch_dims(node, lhs.shape, rhs.shape, out.shape)
    return {"batch_shape": shape, "lhs_batch_strides": lstrides, "rhs_batch_strides": rstrides,
            "rows": rows, "cols": cols, "depth": depth,
            "lhs_row_stride": 1 if adj_x else depth, "lhs_depth_stride": rows if adj_x else 1,
            "rhs_col_stride": depth if adj_y else 1, "rhs_depth_stride": 1 if adj_y else cols}


@builder("batch_matmul")
def _batch_matmul(graph: Graph, node: Node) -> dict:
    p = batch_matmul_geometry(graph, node)
    (sl, zl), (sr, zr), (so, zo) = (_qp(graph, t) for t in (*node.inputs, node.outputs[0]))
    multiplier, shift = ap.batch_matmul_multiplier(sl, sr, so, float(node.attrs.get("alpha", 1.0)))
    return {**p, "lhs_offset": -zl, "rhs_offset": -zr, "output_offset": zo,
            "output_multiplier": multiplier, "output_shift": shift, "act_min": -128, "act_max": 127}


@builder("rsqrt")
def _rsqrt(graph: Graph, node: Node) -> dict:
    t = graph.tensor(node.inputs[0])
    (si, zi), (so, zo) = _qp(graph, t.name), _qp(graph, node.outputs[0])
    return ap.rsqrt_params(t.size, si, zi, so, zo)


def _geometry(graph: Graph, node: Node) -> tuple[dict, tuple]:
    a, b = (graph.tensor(t) for t in binary_operands(node))
    try:
        geometry = broadcast_geometry(a.shape, b.shape, graph.tensor(node.outputs[0]).shape)
    except UnsupportedOpError as e:
        raise _refuse(node, e.message) from None
    return geometry, tuple(_qp(graph, t) for t in (a.name, b.name, node.outputs[0]))


@builder("sub")
def _sub(graph: Graph, node: Node) -> dict:
    geometry, ((s1, z1), (s2, z2), (so, zo)) = _geometry(graph, node)
    act = _act(node)
    shift = ADD_LEFT_SHIFT_S16 if graph.tensor(node.outputs[0]).dtype == "int16" else ap.SUB_LEFT_SHIFT
    return {**geometry, **ap.sub_params(s1, z1, s2, z2, so, zo, act["act_min"], act["act_max"], shift)}


@builder("squared_difference")
def _squared_difference(graph: Graph, node: Node) -> dict:
    geometry, ((s1, z1), (s2, z2), (so, zo)) = _geometry(graph, node)
    return {**geometry, **ap.squared_difference_params(s1, z1, s2, z2, so, zo)}
