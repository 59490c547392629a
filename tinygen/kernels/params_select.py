"""Parameter builders of the comparison and selection kernels (firmware/kernels/select/
tg_kernels_select.h; numpy twins in tinygen.ref.select): the output's shape padded to five
dimensions and each operand's strides over it (0 where it is broadcast), as TFLite Micro's
Broadcast4DSlow / BroadcastSelect5DSlow walk them; for int8 comparisons TFLite Micro's
rescaling of each operand (ComparisonsPrepare)."""

from __future__ import annotations

import math

from tinygen.errors import UnsupportedOpError
from tinygen.ir import Graph, Node, ROLE_OPERAND_OPS, role_operands
from tinygen.kernels.params_base import builder
from tinygen.kernels.params_float import FLOAT_BUILDERS
from tinygen.quant.fixedpoint import quantize_multiplier_smaller_than_one_exp
from tinygen.ref.select import COMPARE_FNS, LOGICAL_FNS, RANK

# TFLite Micro's left shift of int8 operands before a comparison (kLeftShift)
COMPARE_LEFT_SHIFT = 8


def broadcast_strides(shape: tuple[int, ...], out: tuple[int, ...]) -> list[int]:
    """Element strides of a row-major tensor of `shape` walked over `out` (both padded to RANK
    dimensions with leading 1s), 0 along a dimension where it has one element."""
    shape = (1,) * (RANK - len(shape)) + tuple(shape)
    strides, step = [0] * RANK, 1
    for axis in reversed(range(RANK)):
        strides[axis] = step if shape[axis] > 1 else 0
        step *= shape[axis]
    return strides


def walk_params(graph: Graph, node: Node) -> dict:
    out = graph.tensor(node.outputs[0]).shape
    if len(out) > RANK:
        raise UnsupportedOpError(f"{node.name}: {len(out)} dimensions; tinygen broadcasts up to {RANK}")
    p = {"size": math.prod(out), "dims": [1] * (RANK - len(out)) + list(out)}
    roles = [r for r in ROLE_OPERAND_OPS[node.op] if r in node.attrs["operands"] or node.param(r) is not None]
    for role, tensor in zip(roles, role_operands(node)):
        p[f"{role}_stride"] = broadcast_strides(graph.tensor(tensor).shape, out)
    return p


@builder("compare")
def _compare(graph: Graph, node: Node) -> dict:
    walk = walk_params(graph, node)
    p = {"size": walk.pop("size"), "fn": COMPARE_FNS.index(node.attrs["fn"]), **walk}
    a, b = (graph.tensor(t) for t in role_operands(node))
    if a.dtype == "int8":
        p["left_shift"] = COMPARE_LEFT_SHIFT
        for role, t in (("a", a), ("b", b)):
            p[f"{role}_offset"] = -int(t.qparams.zero_point[0])
            p[f"{role}_multiplier"], p[f"{role}_shift"] = quantize_multiplier_smaller_than_one_exp(
                float(t.qparams.scale[0]))
    return p


@builder("logical")
def _logical(graph: Graph, node: Node) -> dict:
    walk = walk_params(graph, node)
    fn = LOGICAL_FNS.index(node.attrs["fn"])
    walk.setdefault("b_stride", [0] * RANK)         # LOGICAL_NOT: no second operand
    return {"size": walk.pop("size"), "fn": fn, **walk}


@builder("select")
def _select(graph: Graph, node: Node) -> dict:
    walk = walk_params(graph, node)
    return {"size": walk.pop("size"), "element_bytes": graph.tensor(node.outputs[0]).np_dtype.itemsize, **walk}


FLOAT_BUILDERS["select"] = _select      # a float32 SELECT_V2 (kernel_params takes a float output's builder)
