"""Kernel parameter structs computed from quantized nodes.

One builder per IR op; each returns a dict keyed by the C struct's field names
(see firmware/kernels/tg_kernels.h). Ops whose parameters follow TFLite Micro's
Prepare step (add, mul, softmax, logistic, mean, hard swish, relu, requantize)
delegate to tinygen.quant.op_params.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from tinygen.errors import UnsupportedOpError
from tinygen.ir import Graph, Node, binary_operands
from tinygen.quant import op_params
from tinygen.quant.pack_planes import check_switch_bits, planes_input

_BUILDERS: dict[str, Callable[[Graph, Node], dict]] = {}


def builder(op: str):
    def register(fn):
        _BUILDERS[op] = fn
        return fn
    return register


def kernel_params(graph: Graph, node: Node) -> dict:
    return _BUILDERS[node.op](graph, node)


def _hwc(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """A tensor as (H, W, C): NHWC with batch 1, or a [rows, C] matrix as (1, rows, C)."""
    if len(shape) == 4:
        if shape[0] != 1:
            raise UnsupportedOpError(f"batch size {shape[0]} is not supported; tinygen compiles batch 1")
        return shape[1], shape[2], shape[3]
    return 1, math.prod(shape[:-1]), shape[-1]


def _qp(graph: Graph, tensor: str) -> tuple[float, int]:
    q = graph.tensor(tensor).qparams
    return q.scale[0], int(q.zero_point[0])


def _act(node: Node) -> dict:
    return {"act_min": int(node.attrs["act_min"]), "act_max": int(node.attrs["act_max"])}


@builder("conv2d")
@builder("depthwise_conv2d")
def _conv(graph: Graph, node: Node) -> dict:
    in_h, in_w, in_c = _hwc(graph.tensor(node.inputs[0]).shape)
    out_h, out_w, out_c = _hwc(graph.tensor(node.outputs[0]).shape)
    w_shape = graph.weight_shape(node)
    kernel_h, kernel_w = w_shape[1], w_shape[2]
    stride_h, stride_w = node.attrs["stride"]
    dil_h, dil_w = node.attrs["dilation"]
    pad_top, _, pad_left, _ = node.attrs["padding"]
    _, in_zp = _qp(graph, node.inputs[0])
    _, out_zp = _qp(graph, node.outputs[0])
    return {
        "in_h": in_h, "in_w": in_w, "in_c": in_c,
        "out_h": out_h, "out_w": out_w, "out_c": out_c,
        "kernel_h": kernel_h, "kernel_w": kernel_w,
        "stride_h": stride_h, "stride_w": stride_w,
        "dilation_h": dil_h, "dilation_w": dil_w,
        "pad_top": pad_top, "pad_left": pad_left,
        "depth_multiplier": int(node.attrs.get("depth_multiplier", 1)),
        "input_offset": -in_zp, "output_offset": out_zp,
        **_act(node),
    } | _lowbit_fields(graph, node)


def _lowbit_fields(graph: Graph, node: Node) -> dict:
    """The fields the low-bit convolutions' structs add (LOWBIT.md): tg_conv2d_b1_params_t's
    pad value for a packed binary input, tg_conv2d_subbyte_params_t's weight decode."""
    fmt = node.attrs.get("weight_format")
    if graph.tensor(node.inputs[0]).dtype == "b1":
        return {"pad_value": int(node.attrs["lowbit"]["pad_value"])}
    if fmt == "planes":
        x = graph.tensor(node.inputs[0])
        zp = int(x.qparams.zero_point[0])
        in_off, a_bits = planes_input(x.bits, zp)
        return {"w_bits": int(node.attrs["planes"]["w_bits"]), "a_bits": a_bits, "in_off": in_off,
                "pad_u": zp + in_off}
    if fmt in ("s4", "s2", "p4"):
        cfg = node.attrs["lowbit"]["weight"]
        # in_off: the packed-multiply kernels' u = x + in_off (uniform inputs: q in [0, 2^k - 1])
        return {"odd": int(cfg["kind"] == "dorefa"),
                "zero_code": int(fmt == "p4" and bool(cfg.get("zero", True))), "in_off": 0}
    return {}


GEOMETRY = ("in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "kernel_h", "kernel_w", "stride_h", "stride_w",
             "dilation_h", "dilation_w", "pad_top", "pad_left")


def planes_params(geometry: dict, w_bits: int, in_bits: int, in_zero_point: int, output_offset: int,
                  act_min: int, act_max: int) -> dict:
    """tg_conv2d_planes_params_t (the bit-serial kernel over nested weight planes) for one
    switch: the geometry fields of `geometry` (e.g. the conv builder's dict; other keys are
    ignored), the switch's weight bits k, its input's bits (8: int8, u = q + 128; else a
    uniform k-bit input with zero point 0) and zero point, and the output quantization."""
    check_switch_bits(w_bits)
    in_off, a_bits = planes_input(in_bits, in_zero_point)
    return {**{k: int(geometry[k]) for k in GEOMETRY}, "w_bits": int(w_bits), "a_bits": a_bits, "in_off": in_off,
            "pad_u": int(in_zero_point) + in_off, "output_offset": int(output_offset), "act_min": int(act_min),
            "act_max": int(act_max)}


# fields of tg_conv2d_params_t a low-bit struct does not have
_NOT_IN_STRUCT = {"tg_conv2d_b1_params_t": ("input_offset", "depth_multiplier"),
                  "tg_conv2d_subbyte_params_t": ("depth_multiplier", "in_off"),
                  "tg_conv2d_packed_params_t": ("depth_multiplier", "zero_code"),
                  "tg_conv2d_planes_params_t": ("input_offset", "depth_multiplier")}


def struct_fields(struct: str | None, p: dict) -> dict:
    """The kernel parameters a struct has: the conv builder's superset minus the fields the
    low-bit structs leave out."""
    drop = _NOT_IN_STRUCT.get(struct or "", ())
    return {k: v for k, v in p.items() if k not in drop}


@builder("unpack_bits")
def _unpack_bits(graph: Graph, node: Node) -> dict:
    shape = graph.tensor(node.outputs[0]).shape
    return {"pixels": math.prod(shape[:-1]), "channels": shape[-1]}


@builder("conv2d_add")
def _conv_add(graph: Graph, node: Node) -> dict:
    """The conv's parameters (its result on the grid conv_scale, conv_zero_point), then the
    add's as op_params.add_params gives them for the original operand order, renamed by
    role: `conv_*` for the conv result's operand, `skip_*` for the skip tensor's."""
    conv_zp = int(node.attrs["conv_zero_point"])
    p = {k: v for k, v in _conv(graph, node).items() if k != "depth_multiplier"}
    p["output_offset"] = conv_zp
    skip = graph.tensor(node.inputs[1])
    out = graph.tensor(node.outputs[0])
    operands = [(float(node.attrs["conv_scale"]), conv_zp), _qp(graph, skip.name)]
    if int(node.attrs["conv_operand"]) == 1:
        operands.reverse()
    (s1, z1), (s2, z2) = operands
    add = op_params.add_params(out.size, s1, z1, s2, z2, *_qp(graph, out.name),
                               int(node.attrs["add_act_min"]), int(node.attrs["add_act_max"]))
    roles = ("conv", "skip") if int(node.attrs["conv_operand"]) == 0 else ("skip", "conv")
    for i, role in enumerate(roles, start=1):
        for field in ("offset", "multiplier", "shift"):
            p[f"{role}_{field}"] = add.pop(f"input{i}_{field}")
    p.update({f"add_{k}": add[k] for k in ("left_shift", "output_offset", "output_multiplier",
                                            "output_shift", "act_min", "act_max")})
    return p


def conv2d_direct_dsp_weights(p: dict, consts: dict) -> np.ndarray:
    """tg_conv2d_direct_s8_dsp's and tg_conv2d_add_s8_dsp's packed weights (KernelSpec.pack):
    int16, per block of 4 output channels (zero channels complete the last block), per
    kernel row of L = kernel_w * in_c elements: for each whole group of 4 elements, each
    channel's values in the order SXTB16 pairs them (w0, w2, w1, w3), channel 0 first; then
    the last L % 4 elements, the 4 channels' values for each."""
    out_c, kh, length = p["out_c"], p["kernel_h"], p["kernel_w"] * p["in_c"]
    w = np.zeros((-(-out_c // 4) * 4, kh, length), dtype=np.int16)
    w[:out_c] = np.asarray(consts["weight"]).reshape(out_c, kh, length)
    blocks = w.reshape(-1, 4, kh, length).transpose(0, 2, 1, 3)         # [block, ky, channel, k]
    body = length & ~3
    groups = blocks[..., :body].reshape(*blocks.shape[:3], body // 4, 4)[..., [0, 2, 1, 3]]
    groups = groups.transpose(0, 1, 3, 2, 4).reshape(*blocks.shape[:2], -1)
    tail = blocks[..., body:].transpose(0, 1, 3, 2).reshape(*blocks.shape[:2], -1)
    return np.concatenate([groups, tail], axis=-1).ravel()


def conv2d_widen_dsp_weights(p: dict, consts: dict) -> np.ndarray:
    """tg_conv2d_widen_s8_dsp's and tg_conv2d_add_widen_s8_dsp's packed weights
    (KernelSpec.pack): conv2d_direct_dsp_weights' layout kept as int8, each group of 4 values
    (a, b, c, d) stored as (a, c, b, d), so that SXTB16 and SXTB16 ROR #8 of a word give the
    int16 pairs (a, b) and (c, d) of the widened layout."""
    return conv2d_direct_dsp_weights(p, consts).reshape(-1, 4)[:, [0, 2, 1, 3]].astype(np.int8).ravel()


@builder("fully_connected")
def _fc(graph: Graph, node: Node) -> dict:
    shape = graph.tensor(node.inputs[0]).shape
    out_features, in_features = graph.weight_shape(node)
    if shape[-1] != in_features:
        raise UnsupportedOpError(f"{node.name}: input has {shape[-1]} features, weights expect {in_features}")
    _, in_zp = _qp(graph, node.inputs[0])
    _, out_zp = _qp(graph, node.outputs[0])
    return {
        "rows": math.prod(shape[:-1]), "in_features": in_features, "out_features": out_features,
        "input_offset": -in_zp, "output_offset": out_zp, **_act(node),
    }


@builder("max_pool2d")
@builder("avg_pool2d")
def _pool(graph: Graph, node: Node) -> dict:
    in_h, in_w, channels = _hwc(graph.tensor(node.inputs[0]).shape)
    out_h, out_w, _ = _hwc(graph.tensor(node.outputs[0]).shape)
    pad_top, _, pad_left, _ = node.attrs["padding"]
    return {
        "in_h": in_h, "in_w": in_w, "channels": channels, "out_h": out_h, "out_w": out_w,
        "kernel_h": node.attrs["kernel"][0], "kernel_w": node.attrs["kernel"][1],
        "stride_h": node.attrs["stride"][0], "stride_w": node.attrs["stride"][1],
        "pad_top": pad_top, "pad_left": pad_left,
        "count_include_pad": int(bool(node.attrs.get("count_include_pad", False))),
        # padded positions hold real 0, i.e. the zero point (only used with count_include_pad)
        "zero_point": _qp(graph, node.inputs[0])[1],
        "act_min": -128, "act_max": 127,
    }


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


def kernel_variants(graph: Graph, node: Node) -> tuple[str | None, ...]:
    """The kernel variants (KernelSpec.variant) able to compute the node, most specialised
    first: a specialised kernel is preferred where the target has one, the general kernel
    (None) serves the rest. A broadcasting add has no general form to fall back on."""
    if node.op == "add":
        a, b = (graph.tensor(t).shape for t in binary_operands(node))
        if a != b:
            return ("broadcast",)
    if node.op == "conv2d" and _is_pointwise(graph, node):
        return ("1x1", None)
    if node.op == "depthwise_conv2d":
        multiplied = int(node.attrs.get("depth_multiplier", 1)) > 1
        return ("depth_multiplier_n" if multiplied else "depth_multiplier_1", None)
    return (None,)


def _is_pointwise(graph: Graph, node: Node) -> bool:
    """A 1x1 kernel, stride 1, no padding: a matrix product of pixels by channels."""
    kernel_hw = graph.weight_shape(node)[1:3]
    return (tuple(kernel_hw) == (1, 1) and tuple(node.attrs["stride"]) == (1, 1)
            and not any(node.attrs["padding"]))


@builder("add")
def _add(graph: Graph, node: Node) -> dict:
    a, b = (graph.tensor(t) for t in binary_operands(node))
    out = graph.tensor(node.outputs[0])
    (s1, z1), (s2, z2), (so, zo) = (_qp(graph, t) for t in (a.name, b.name, out.name))
    p = op_params.add_params(out.size, s1, z1, s2, z2, so, zo,
                             int(node.attrs["act_min"]), int(node.attrs["act_max"]))
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
    return {**_broadcast(a.shape, b.shape, out.shape, node),
            **op_params.mul_params(s1, z1, s2, z2, so, zo, int(node.attrs["act_min"]), int(node.attrs["act_max"]))}


@builder("softmax")
def _softmax(graph: Graph, node: Node) -> dict:
    t = graph.tensor(node.inputs[0])
    axis = node.attrs["axis"] % len(t.shape)
    if axis != len(t.shape) - 1:
        raise UnsupportedOpError(f"{node.name} ({node.source}): softmax over axis {axis} of "
                                 f"{list(t.shape)}; only the last (channel) axis is supported")
    depth = t.shape[-1]
    scale, _ = _qp(graph, t.name)
    return op_params.softmax_params(t.size // depth, depth, scale, float(node.attrs["beta"]))


@builder("logistic")
def _logistic(graph: Graph, node: Node) -> dict:
    t = graph.tensor(node.inputs[0])
    scale, zp = _qp(graph, t.name)
    return op_params.logistic_params(t.size, scale, zp)


@builder("concat")
def _concat(graph: Graph, node: Node) -> dict:
    out = graph.tensor(node.outputs[0])
    axis = node.attrs["axis"] % len(out.shape)
    sizes = [math.prod(graph.tensor(t).shape[axis:]) for t in node.inputs]
    return {"outer": math.prod(out.shape[:axis]), "num_inputs": len(node.inputs), "copy_sizes": sizes}


@builder("transpose")
def _transpose(graph: Graph, node: Node) -> dict:
    shape = graph.tensor(node.inputs[0]).shape
    perm = tuple(node.attrs["perm"])
    pad = 4 - len(shape)
    return {"in_shape": [1] * pad + list(shape),
            "perm": list(range(pad)) + [p + pad for p in perm]}


@builder("slice")
def _slice(graph: Graph, node: Node) -> dict:
    shape, out = graph.tensor(node.inputs[0]).shape, graph.tensor(node.outputs[0]).shape
    axis = node.attrs["axis"]
    inner = math.prod(shape[axis + 1:])
    return {"outer": math.prod(shape[:axis]), "in_stride": shape[axis] * inner,
            "offset": int(node.attrs["begin"]) * inner, "size": out[axis] * inner}


@builder("resize_nearest")
def _resize_nearest(graph: Graph, node: Node) -> dict:
    in_h, in_w, channels = _hwc(graph.tensor(node.inputs[0]).shape)
    out_h, out_w, _ = _hwc(graph.tensor(node.outputs[0]).shape)
    return {"in_h": in_h, "in_w": in_w, "channels": channels, "out_h": out_h, "out_w": out_w}


@builder("resize_bilinear")
def _resize_bilinear(graph: Graph, node: Node) -> dict:
    """TFLite's scales in 1/1024 steps, rounded to nearest (ResizeBilinearInteger)."""
    p = _resize_nearest(graph, node)
    return {**p, "scale_h_10": (1024 * p["in_h"] + p["out_h"] // 2) // p["out_h"],
            "scale_w_10": (1024 * p["in_w"] + p["out_w"] // 2) // p["out_w"]}


@builder("clamp")
def _clamp(graph: Graph, node: Node) -> dict:
    return {"size": graph.tensor(node.inputs[0]).size, **_act(node)}


PAD_RANK = 4            # dimensions of tg_pad_params_t


@builder("pad")
def _pad(graph: Graph, node: Node) -> dict:
    dims = []                                   # (input size, before, after), outermost first
    for n, (before, after) in zip(graph.tensor(node.inputs[0]).shape, node.attrs["paddings"]):
        if dims and before == after == 0:       # an unpadded dim merges into the one outside it
            m, b, a = dims[-1]
            dims[-1] = (m * n, b * n, a * n)
        else:
            dims.append((n, before, after))
    if len(dims) > PAD_RANK:
        raise UnsupportedOpError(f"{node.name} ({node.source}): padding {len(dims)} separate dimensions; "
                                 f"tinygen's pad kernel handles {PAD_RANK}")
    dims = [(1, 0, 0)] * (PAD_RANK - len(dims)) + dims
    return {"in_shape": [d[0] for d in dims], "out_shape": [sum(d) for d in dims],
            "pad_before": [d[1] for d in dims], "pad_value": int(node.attrs["pad_value"])}


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
    t = graph.tensor(node.inputs[0])
    layout = mean_layout(t.shape, node.attrs["axes"])
    if layout is None:
        raise UnsupportedOpError(f"{node.name} ({node.source}): mean over axes {list(node.attrs['axes'])} "
                                 f"of {list(t.shape)}: the reduced dimensions must be adjacent")
    (si, zi), (so, zo) = _qp(graph, t.name), _qp(graph, node.outputs[0])
    return op_params.mean_params(*layout, si, zi, so, zo)


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
    return op_params.relu_params(t.size, si, zi, so, zo)


@builder("requantize")
def _requantize(graph: Graph, node: Node) -> dict:
    t = graph.tensor(node.inputs[0])
    (si, zi), (so, zo) = _qp(graph, t.name), _qp(graph, node.outputs[0])
    return op_params.requantize_params(t.size, si, zi, so, zo)
