"""Parameter builders of the elementwise and reducing int8 ops, most following TFLite
Micro's Prepare step (tinygen.quant.op_params): add and mul (with the broadcasting kernels'
collapsed geometry), softmax, logistic, clamp, mean, hard swish, relu and requantize."""

from __future__ import annotations

import math

import numpy as np

from tinygen.errors import UnsupportedOpError
from tinygen.ir import Graph, Node, binary_operands
from tinygen.kernels.params_base import _act, _qp, builder, dtype_range
from tinygen.quant import op_params, s16_params


BROADCAST_RANK = 4      # dimensions of the broadcast kernels' loop nest (tg_mul_params_t)


def broadcast_geometry(shape1, shape2, out_shape) -> dict:
    """The shape and per-operand element strides of a broadcasting kernel, with adjacent
    dimensions collapsed wherever both operands allow it (numpy broadcasting semantics)."""
    rank = len(out_shape)
    dims = []                                   # (size, stride1, stride2), outermost first
    strides = []
    for shape in (shape1, shape2):
        shape = (1,) * (rank - len(shape)) + tuple(shape)
        row, acc = [], 1
        for d in reversed(shape):
            row.append(0 if d == 1 else acc)
            acc *= d
        strides.append(row[::-1])
    for n, s1, s2 in zip(out_shape, *strides):
        if n == 1:
            continue
        if dims and dims[-1][1] == s1 * n and dims[-1][2] == s2 * n:
            dims[-1] = (dims[-1][0] * n, s1, s2)      # the outer dim continues this one
        else:
            dims.append((n, s1, s2))
    if len(dims) > BROADCAST_RANK:
        raise UnsupportedOpError(f"broadcasting {list(shape1)} with {list(shape2)} needs {len(dims)} "
                                 f"loop dimensions; tinygen's kernels handle {BROADCAST_RANK}")
    dims = [(1, 0, 0)] * (BROADCAST_RANK - len(dims)) + dims
    return {"shape": [d[0] for d in dims], "input1_strides": [d[1] for d in dims],
            "input2_strides": [d[2] for d in dims]}


@builder("add")
def _add(graph: Graph, node: Node) -> dict:
    a, b = (graph.tensor(t) for t in binary_operands(node))
    out = graph.tensor(node.outputs[0])
    (s1, z1), (s2, z2), (so, zo) = (_qp(graph, t) for t in (a.name, b.name, out.name))
    shift = op_params.ADD_LEFT_SHIFT_S16 if out.dtype == "int16" else op_params.ADD_LEFT_SHIFT
    p = op_params.add_params(out.size, s1, z1, s2, z2, so, zo,
                             int(node.attrs["act_min"]), int(node.attrs["act_max"]), shift)
    if a.shape == b.shape:
        return p
    del p["size"]
    return {**_broadcast(a.shape, b.shape, out.shape, node), **p}


def _broadcast(shape1, shape2, out_shape, node: Node) -> dict:
    try:
        return broadcast_geometry(shape1, shape2, out_shape)
    except UnsupportedOpError as e:
        raise UnsupportedOpError(f"{node.name} ({node.source}): {e.message}") from None


@builder("mul")
def _mul(graph: Graph, node: Node) -> dict:
    a, b = (graph.tensor(t) for t in binary_operands(node))
    out = graph.tensor(node.outputs[0])
    (s1, z1), (s2, z2), (so, zo) = (_qp(graph, t) for t in (a.name, b.name, out.name))
    p = {**_broadcast(a.shape, b.shape, out.shape, node),
         **op_params.mul_params(s1, z1, s2, z2, so, zo, int(node.attrs["act_min"]), int(node.attrs["act_max"]))}
    if "requant" in node.attrs:     # the frontend's own (multiplier, shift): an ONNX model's onnxruntime rounding
        p["output_multiplier"], p["output_shift"] = (int(v) for v in node.attrs["requant"])
    return p


@builder("softmax")
def _softmax(graph: Graph, node: Node) -> dict:
    t = graph.tensor(node.inputs[0])
    axis = node.attrs["axis"] % len(t.shape)
    if axis != len(t.shape) - 1:
        raise UnsupportedOpError(f"{node.name} ({node.source}): softmax over axis {axis} of "
                                 f"{list(t.shape)}; only the last (channel) axis is supported")
    depth = t.shape[-1]
    scale, _ = _qp(graph, t.name)
    if t.dtype == "int16":          # TFLite's SoftmaxInt16 (tg_softmax_s16)
        return s16_params.softmax_s16_params(t.size // depth, depth, scale, float(node.attrs["beta"]))
    p = op_params.softmax_params(t.size // depth, depth, scale, float(node.attrs["beta"]))
    if node.attrs.get("causal"):        # rows per [T, S] matrix (tg_softmax_causal_s8)
        p["block_rows"] = t.shape[-2] if len(t.shape) > 1 else 1
    elif softmax_scaled(graph, node):   # tg_softmax_scaled_s8
        p.update(_softmax_output(graph, node))
    return p


# -- softmax onto a quantized ONNX model's output grid (tg_softmax_scaled_s8) --

SOFTMAX_SCALED_MAX_MULTIPLIER = 1 << 24


def softmax_scaled(graph: Graph, node: Node) -> bool:
    """Whether a softmax's int8 output grid is other than TFLite's fixed one (scale 1/256, zero
    point -128): only a quantized ONNX model gives it one (tg_softmax_scaled_s8). An int16 output
    has TFLite's fixed 1/65536, -32768 (tg_softmax_s8_s16)."""
    out = graph.tensor(node.outputs[0])
    fixed = (op_params.SOFTMAX_OUTPUT_SCALE, op_params.SOFTMAX_OUTPUT_ZERO_POINT)
    return out.dtype == "int8" and out.qparams is not None and (float(out.qparams.scale[0]),
                                                                int(out.qparams.zero_point[0])) != fixed


def _softmax_output(graph: Graph, node: Node) -> dict:
    """tg_softmax_scaled_s8's output step: the codes per unit of probability, an integer, and the
    output's zero point. A QDQ Softmax (onnxruntime's graph as written: the float softmax, then
    QuantizeLinear's division by y_scale) takes the integer nearest 1 / y_scale; a QLinearSoftmax
    (attr codes "floor") takes its kernel's multiplier, floor(1 / y_scale) in float32 (254 for a
    y_scale of float32(1/255))."""
    scale, zp = _qp(graph, node.outputs[0])
    per_unit = np.float32(1.0) / np.float32(scale)
    codes = math.floor(per_unit) if node.attrs.get("codes") == "floor" else round(float(per_unit))
    if not 0 <= codes <= SOFTMAX_SCALED_MAX_MULTIPLIER:
        raise UnsupportedOpError(f"{node.name} ({node.source}): softmax output scale {scale}: "
                                 f"tinygen takes scales from 2^-24 on")
    return {"output_multiplier": int(codes), "output_zero_point": int(zp)}


@builder("logistic")
def _logistic(graph: Graph, node: Node) -> dict:
    t = graph.tensor(node.inputs[0])
    scale, zp = _qp(graph, t.name)
    if t.dtype == "int16":
        return sigmoid_s16(graph, node)
    return op_params.logistic_params(t.size, scale, zp)


def sigmoid_s16(graph: Graph, node: Node) -> dict:
    """tg_sigmoid_s16_params_t of an int16 logistic or tanh node (TFLite Micro's 16x8 Prepare)."""
    t = graph.tensor(node.inputs[0])
    try:
        return s16_params.sigmoid_s16_params(t.size, _qp(graph, t.name)[0], node.op)
    except ValueError as e:
        raise UnsupportedOpError(f"{node.name} ({node.source}): {e}") from None


@builder("clamp")
def _clamp(graph: Graph, node: Node) -> dict:
    return {"size": graph.tensor(node.inputs[0]).size, **_act(node)}


def mean_layout(shape, axes) -> tuple[int, int, int]:
    """(outer, reduce, inner) of a mean over `axes`, or None when the reduced dimensions
    (ignoring those of size 1) are not adjacent."""
    kept_before, reduced, kept_after = 1, 1, 1
    seen_reduced = False
    for d, n in enumerate(shape):
        if d in axes:
            if n > 1 and kept_after > 1:
                return None
            reduced *= n
            seen_reduced = seen_reduced or n > 1
        elif seen_reduced:
            kept_after *= n
        else:
            kept_before *= n
    return kept_before, reduced, kept_after


@builder("mean")
def _mean(graph: Graph, node: Node) -> dict:
    return reduce_params(graph, node, op_params.mean_params)


def reduce_layout(graph: Graph, node: Node) -> tuple[int, int, int]:
    """(outer, reduce, inner) of a mean or sum node; refused where the reduced dimensions are
    not adjacent."""
    t = graph.tensor(node.inputs[0])
    layout = mean_layout(t.shape, node.attrs["axes"])
    if layout is None:
        raise UnsupportedOpError(f"{node.name} ({node.source}): {node.op} over axes {list(node.attrs['axes'])} "
                                 f"of {list(t.shape)}: the reduced dimensions must be adjacent",
                                 "reduce adjacent dimensions, or permute them next to each other first")
    return layout


def reduce_params(graph: Graph, node: Node, prepare) -> dict:
    """tg_mean_params_t of a mean or sum node: its (outer, reduce, inner) layout, then the
    op's Prepare arithmetic `prepare` (op_params.mean_params, sum_params) on it."""
    t = graph.tensor(node.inputs[0])
    layout = reduce_layout(graph, node)
    (si, zi), (so, zo) = _qp(graph, t.name), _qp(graph, node.outputs[0])
    p = prepare(*layout, si, zi, so, zo)
    if "requant" in node.attrs:     # the frontend's own (multiplier, shift): an ONNX model's onnxruntime rounding
        p["multiplier"], p["shift"] = (int(v) for v in node.attrs["requant"])
    return p


# exponent ranges the 16-bit shifts of tg_hard_swish_s8 are written for
HARD_SWISH_RELUISH_EXPONENTS = (-15, 30)
HARD_SWISH_OUTPUT_EXPONENTS = (-15, 0)


@builder("hard_swish")
def _hard_swish(graph: Graph, node: Node) -> dict:
    t = graph.tensor(node.inputs[0])
    (si, zi), (so, zo) = _qp(graph, t.name), _qp(graph, node.outputs[0])
    p = op_params.hard_swish_params(t.size, si, zi, so, zo)
    for key, (lo, hi) in (("reluish_exponent", HARD_SWISH_RELUISH_EXPONENTS),
                          ("output_exponent", HARD_SWISH_OUTPUT_EXPONENTS)):
        if not lo <= p[key] <= hi:
            raise UnsupportedOpError(
                f"{node.name} ({node.source}): hard swish with input scale {float(si):.6g} and output "
                f"scale {float(so):.6g} needs a {key.replace('_', ' ')} of {p[key]}, outside [{lo}, {hi}]",
                "the output scale must be within about 2^-8 .. 128 times the input scale")
    return p


@builder("relu")
def _relu(graph: Graph, node: Node) -> dict:
    t = graph.tensor(node.inputs[0])
    (si, zi), (so, zo) = _qp(graph, t.name), _qp(graph, node.outputs[0])
    return op_params.relu_params(t.size, si, zi, so, zo, *dtype_range(graph, node.outputs[0]))


@builder("requantize")
def _requantize(graph: Graph, node: Node) -> dict:
    t = graph.tensor(node.inputs[0])
    (si, zi), (so, zo) = _qp(graph, t.name), _qp(graph, node.outputs[0])
    return op_params.requantize_params(t.size, si, zi, so, zo, *dtype_range(graph, node.outputs[0]))


@builder("leaky_relu")
def _leaky_relu(graph: Graph, node: Node) -> dict:
    t = graph.tensor(node.inputs[0])
    (si, zi), (so, zo) = _qp(graph, t.name), _qp(graph, node.outputs[0])
    return op_params.leaky_relu_params(t.size, si, zi, so, zo, node.attrs["alpha"],
                                       *dtype_range(graph, node.outputs[0]))


# -- table lookup (ONNX front end) --
@builder("lut")
def _lut(graph: Graph, node: Node) -> dict:
    return {"size": graph.tensor(node.inputs[0]).size}
