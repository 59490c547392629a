"""Parameter builders of the simpler operators users' models bring: the ops computed by table
(tanh, GELU, hard sigmoid: tg_lut_s8 reads the size, tg_tanh_s8 TFLite's fixed-point
parameters), PReLU (with the broadcasting kernels' collapsed geometry), SUM (tg_mean_s8 with
nothing folded), the strided slice and mirror padding (their dimensions merged down to the
kernels' four)."""

from __future__ import annotations

import math

from tinygen.errors import UnsupportedOpError
from tinygen.ir import Graph, Node
from tinygen.kernels.params_base import _qp, builder
from tinygen.kernels.params_elementwise import _broadcast, reduce_params, sigmoid_s16
from tinygen.quant import op_params
from tinygen.ref.slicing import MIRROR_PAD_MODES

KERNEL_RANK = 4         # dimensions of tg_strided_slice_params_t and tg_mirror_pad_params_t


@builder("tanh")
def _tanh(graph: Graph, node: Node) -> dict:
    t = graph.tensor(node.inputs[0])
    if t.dtype == "int16":
        return sigmoid_s16(graph, node)
    scale, zp = _qp(graph, t.name)
    try:
        return op_params.tanh_params(t.size, scale, zp)
    except ValueError as e:
        raise UnsupportedOpError(f"{node.name} ({node.source}): {e}") from None


@builder("gelu")
@builder("hard_sigmoid")
def _table_only(graph: Graph, node: Node) -> dict:
    """Ops that exist only as a table: tg_lut_s8 needs the size alone."""
    return {"size": graph.tensor(node.inputs[0]).size}


@builder("prelu")
def _prelu(graph: Graph, node: Node) -> dict:
    x, alpha = graph.tensor(node.inputs[0]), graph.tensor(node.param("alpha"))
    out = graph.tensor(node.outputs[0])
    (si, zi), (sa, za), (so, zo) = _qp(graph, x.name), _qp(graph, alpha.name), _qp(graph, out.name)
    return {"size": x.size, **_broadcast(x.shape, alpha.shape, out.shape, node),
            **op_params.prelu_params(si, zi, sa, za, so, zo)}


@builder("sum")
def _sum(graph: Graph, node: Node) -> dict:
    return reduce_params(graph, node, op_params.sum_params)


def _too_many(node: Node, dims: int, what: str) -> UnsupportedOpError:
    return UnsupportedOpError(f"{node.name} ({node.source}): {what} {dims} separate dimensions; tinygen's "
                              f"kernel handles {KERNEL_RANK}")


@builder("strided_slice")
def _strided_slice(graph: Graph, node: Node) -> dict:
    """Each dimension as (count, step in input elements); one of count 1 only moves the start,
    and two neighbours merge where the outer one's step spans the inner one's run (numpy's
    rule for collapsing a view), so a slice of one axis stays one dimension of steps."""
    shape, out = graph.tensor(node.inputs[0]).shape, graph.tensor(node.outputs[0]).shape
    offset, dims = 0, []                        # dims: [count, step], outermost first
    for axis, (begin, stride, count) in enumerate(zip(node.attrs["begin"], node.attrs["strides"], out)):
        elem = math.prod(shape[axis + 1:])
        offset += int(begin) * elem
        if count == 1:
            continue
        if dims and dims[-1][1] == int(stride) * elem * count:
            dims[-1] = [dims[-1][0] * count, int(stride) * elem]
        else:
            dims.append([count, int(stride) * elem])
    if len(dims) > KERNEL_RANK:
        raise _too_many(node, len(dims), "slicing")
    dims = [[1, 0]] * (KERNEL_RANK - len(dims)) + dims
    return {"out_shape": [d[0] for d in dims], "step": [d[1] for d in dims], "offset": offset}


@builder("mirror_pad")
def _mirror_pad(graph: Graph, node: Node) -> dict:
    """Unpadded neighbouring dimensions merge (a mirrored dimension cannot take one in)."""
    dims: list[list[int]] = []                 # (input size, before, after), outermost first
    for n, (before, after) in zip(graph.tensor(node.inputs[0]).shape, node.attrs["paddings"]):
        if dims and before == after == 0 and dims[-1][1] == dims[-1][2] == 0:
            dims[-1][0] *= n
        else:
            dims.append([n, before, after])
    if len(dims) > KERNEL_RANK:
        raise _too_many(node, len(dims), "padding")
    dims = [[1, 0, 0]] * (KERNEL_RANK - len(dims)) + dims
    return {"in_shape": [d[0] for d in dims], "out_shape": [sum(d) for d in dims],
            "pad_before": [d[1] for d in dims], "mode": MIRROR_PAD_MODES[node.attrs["mode"]]}
