"""Parameter builders of the convolution family: conv2d and depthwise (with the low-bit
structs' extra fields, and the bit-serial kernel's planes_params), conv2d with a fused add,
fully connected, max and average pooling, bit unpacking; struct_fields drops what a low-bit
struct leaves out of the conv builder's superset."""

from __future__ import annotations

import math

from tinygen.errors import UnsupportedOpError
from tinygen.ir import Graph, Node
from tinygen.kernels.params_base import _act, _hwc, _qp, builder, dtype_range
from tinygen.quant import op_params
from tinygen.quant.pack_planes import check_switch_bits, planes_input


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
    # the accumulator's extra fractional bits for a finer bias (passes/quantize_lowbit.py): only
    # where set, so that every other layer's parameters stay as they were
    fine = {"bias_shift": int(node.attrs["bias_shift"])} if node.attrs.get("bias_shift") else {}
    if graph.tensor(node.inputs[0]).dtype == "b1":
        return {"pad_value": int(node.attrs["lowbit"]["pad_value"])} | fine
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
                "zero_code": int(fmt == "p4" and bool(cfg.get("zero", True))), "in_off": 0} | fine
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


# structs that take only these fields of their op's parameters: the table kernel (tg_lut_s8)
# reads the size alone, whatever op its table computes (a PReLU's builder gives the size for it)
_ONLY_IN_STRUCT = {"tg_lut_params_t": ("size",)}
_NOT_IN_STRUCT["tg_prelu_params_t"] = ("size",)


def struct_fields(struct: str | None, p: dict) -> dict:
    """The kernel parameters a struct has: the conv builder's superset minus the fields the
    low-bit structs leave out; the table kernel's size alone."""
    if struct in _ONLY_IN_STRUCT:
        return {k: p[k] for k in _ONLY_IN_STRUCT[struct]}
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
    p = {
        "in_h": in_h, "in_w": in_w, "channels": channels, "out_h": out_h, "out_w": out_w,
        "kernel_h": node.attrs["kernel"][0], "kernel_w": node.attrs["kernel"][1],
        "stride_h": node.attrs["stride"][0], "stride_w": node.attrs["stride"][1],
        "pad_top": pad_top, "pad_left": pad_left,
        "count_include_pad": int(bool(node.attrs.get("count_include_pad", False))),
    }
    if "requant" in node.attrs:
        # an ONNX model's average pool, rounded as onnxruntime rounds it (tg_avg_pool2d_requant_s8):
        # requant is the frontend's (multiplier, shift) of input scale / output scale
        multiplier, shift = (int(v) for v in node.attrs["requant"])
        return {**p, "input_zero_point": _qp(graph, node.inputs[0])[1],
                "output_zero_point": _qp(graph, node.outputs[0])[1], "multiplier": multiplier, "shift": shift,
                **_act(node)}
    # padded positions hold real 0, i.e. the zero point (only used with count_include_pad); the
    # clamp is the type's whole range
    lo, hi = dtype_range(graph, node.outputs[0])
    return {**p, "zero_point": _qp(graph, node.inputs[0])[1], "act_min": lo, "act_max": hi}
