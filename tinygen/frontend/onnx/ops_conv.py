"""ONNX handlers of the MAC layers and pooling: Conv (groups 1, depthwise, grouped; 1-D and
2-D), Gemm, MatMul with a constant, MaxPool, AveragePool and GlobalAveragePool (the global mean
ops_shape's ReduceMean shares); a Conv's and a pool's windows are read alike (conv_geometry).

Each computes the layer's IR op, attributes and weights in the IR's layout once, for both
kinds of model: in a float model the node is emitted now (tinygen quantizes it later from
--calib, as a PyTorch model); in a quantized one the weights are the file's integers
(Importer.weight) and the node waits for its output grid (a Pending,
tinygen/frontend/onnx/quantized.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tinygen.errors import ModelError
from tinygen.frontend.layout import nchw4
from tinygen.frontend.onnx import reader
from tinygen.frontend.onnx.builder import const_array, is_const
from tinygen.frontend.onnx.importer import Importer, register
from tinygen.frontend.onnx.qdq import averaged_input
from tinygen.frontend.onnx.quantized import float_bias
from tinygen.frontend.onnx.values import Const, IntWeight, Pending, QConst
from tinygen.quant.accumulator import accumulator_message, overflowing_channel
from tinygen.quant.spec import WEIGHT_CHANNEL_AXIS


# -- convolution ------------------------------------------------------------------------------

def conv_geometry(im: Importer, a: dict, in_hw, k_hw) -> tuple[dict, tuple[int, int]]:
    """(IR attrs stride / dilation / padding, output H, W) of a Conv or pool's attributes."""
    nd = 2
    strides = list(a.get("strides", [1] * nd))
    dil = list(a.get("dilations", [1] * nd))
    pads = list(a.get("pads", [0] * (2 * nd)))
    if len(strides) == 1:           # a 1-D op as 1 x k
        strides, dil, pads = [1] + strides, [1] + dil, [0, pads[0], 0, pads[1]]
    auto = a.get("auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = [0, 0, 0, 0]
        for d in range(2):
            out = -(-in_hw[d] // strides[d])
            total = max((out - 1) * strides[d] + (k_hw[d] - 1) * dil[d] + 1 - in_hw[d], 0)
            small = total // 2
            pads[d], pads[d + 2] = (small, total - small) if auto == "SAME_UPPER" else (total - small, small)
    elif auto == "VALID":
        pads = [0, 0, 0, 0]
    elif auto != "NOTSET":
        raise im.unsupported(f"auto_pad {auto!r}")
    if min(strides + dil) < 1 or min(pads) < 0:
        raise ModelError(f"{im.filename}: {im.where()} has strides {strides}, dilations {dil}, pads {pads}")
    padding = (int(pads[0]), int(pads[2]), int(pads[1]), int(pads[3]))
    out = tuple((in_hw[d] + padding[2 * d] + padding[2 * d + 1] - (k_hw[d] - 1) * dil[d] - 1) // strides[d] + 1
                for d in range(2))
    return {"stride": (int(strides[0]), int(strides[1])), "dilation": (int(dil[0]), int(dil[1])),
            "padding": padding}, out


def _mac(im: Importer, op: str, prefix: str, x, weight, bias, attrs: dict, tshape):
    """A conv2d / depthwise_conv2d / fully_connected node: weight and bias in the IR's
    layout, real (float model) or integer (IntWeight, int32 bias: quantized model)."""
    if not im.quant:
        params = {"weight": weight} if bias is None else {"weight": weight, "bias": bias}
        return im.node_value(op, prefix, [x], tshape, attrs, params)
    xq = im.graph.tensor(x.name).qparams
    if xq.per_channel:      # a depthwise convolution's input quantized per channel (NNCF): one channel each
        if op != "depthwise_conv2d" or attrs.get("depth_multiplier") != 1:
            raise im.unsupported(f"its input {x.name!r} is quantized per channel; only a depthwise convolution "
                                 "(one output channel per input channel) reads such a tensor")
    acc = (xq.scale.astype(np.float32) * weight.scale.reshape(-1)).astype(np.float32)
    params = {"weight": weight, "bias": bias, "acc_scale": acc}
    if bias is not None and bias.dtype.kind == "f":     # a float bias: quantized, its real values kept
        channels = weight.q.shape[WEIGHT_CHANNEL_AXIS[op]]
        params["bias"] = float_bias(im, bias, np.broadcast_to(acc.reshape(-1), (channels,)))
        params["bias_real"] = bias
    if bias is not None and (found := overflowing_channel(weight.q, params["bias"], 3 if op == "depthwise_conv2d"
                                                          else 0)):
        raise ModelError(f"{im.filename}: {im.where()}: {accumulator_message(params['bias'], found)}")
    return Pending(op, prefix, [x], tuple(tshape), attrs, params, im.source())


def _weight_ir(w, fn):
    """Apply a layout change to real weights or to an IntWeight's integers."""
    return replace(w, q=fn(w.q)) if isinstance(w, IntWeight) else fn(w)


def _out_channels(w) -> int:
    return (w.q if isinstance(w, IntWeight) else w).shape[0]


def _slice_weight(w, lo: int, hi: int):
    if isinstance(w, IntWeight):
        scale = w.scale[lo:hi] if w.scale.size > 1 else w.scale
        return replace(w, q=w.q[lo:hi], scale=scale)
    return w[lo:hi]


def int_bias(im: Importer, v, channels: int):
    """A quantized MAC op's bias, or None: DequantizeLinear of int32 (its integers, int64: their
    scale is the input's times the weights'), or a float bias the quantizer left float (NNCF,
    Brevitas' default export: its real values, float64), which _mac quantizes onto the
    accumulator's grid (quantized.float_bias)."""
    if v is None:
        return None
    if isinstance(v, QConst) and v.dtype == "int32":
        if np.any(v.zero_point != 0):
            raise im.unsupported("its int32 bias has a zero point other than 0")
        return np.broadcast_to(v.q.reshape(-1), (channels,)).astype(np.int64)
    if isinstance(v, QConst) or (isinstance(v, Const) and np.issubdtype(v.value.dtype, np.floating)):
        return np.broadcast_to(np.asarray(const_array(v, real=True), np.float64).reshape(-1), (channels,)).copy()
    raise im.unsupported("its bias is neither float nor an int32 DequantizeLinear; quantize the bias to int32 "
                         "(quantize_static writes one) or leave it float")


@register("Conv")
def conv(im: Importer, node, ins):
    a = reader.attrs(node)
    x = im.act(ins[0])
    if len(x.tshape) not in (3, 4):
        raise im.unsupported(f"a convolution of a {len(x.tshape)}-D input; tinygen takes [N, C, H, W] or [N, C, L]")
    w = im.weight(ins[1], "weights", 0)
    raw = w.q if isinstance(w, IntWeight) else w
    if raw.ndim == 3:               # Conv1d: 1 x k
        w = _weight_ir(w, lambda d: d[:, :, None, :])
        raw = w.q if isinstance(w, IntWeight) else w
    out_c, in_per_group, kh, kw = raw.shape
    b = ins[2] if len(ins) > 2 else None
    bias = int_bias(im, b, out_c) if im.quant else im.const(b, "bias")
    _, in_c, h, wdt = nchw4(x.tshape)
    attrs, (oh, ow) = conv_geometry(im, a, (h, wdt), (kh, kw))
    out = (1, out_c, ow) if len(x.tshape) == 3 else (1, out_c, oh, ow)
    if len(x.tshape) == 3 and (oh != 1):
        raise ModelError(f"{im.filename}: {im.where()}: a 1-D convolution computes {oh} rows")
    groups = int(a.get("group", 1))
    if groups * in_per_group != in_c:
        raise ModelError(f"{im.filename}: {im.where()}: weights for {in_per_group * groups} input channels, "
                         f"the input has {in_c}")
    if groups == 1:
        return _mac(im, "conv2d", "conv", x, _weight_ir(w, lambda d: d.transpose(0, 2, 3, 1)), bias, attrs, out)
    if in_per_group == 1 and out_c % in_c == 0:
        attrs["depth_multiplier"] = out_c // in_c
        return _mac(im, "depthwise_conv2d", "dwconv", x, _weight_ir(w, lambda d: d.transpose(1, 2, 3, 0)), bias,
                    attrs, out)
    return _grouped(im, x, w, bias, attrs, groups, in_per_group, out)


def _grouped(im: Importer, x, w, bias, attrs, groups: int, in_per_group: int, out):
    """A grouped convolution: the input's channels sliced per group, a conv2d per group, the
    outputs concatenated (each slice and the concatenation keep their input's grid)."""
    out_per_group = _out_channels(w) // groups
    parts = []
    for g in range(groups):
        lo = g * in_per_group
        xs = x if groups == 1 else im.node_value("slice", "group", [x], (1, in_per_group) + tuple(x.tshape[2:]),
                                                 {"axis": 3, "begin": lo})
        wg = _weight_ir(_slice_weight(w, g * out_per_group, (g + 1) * out_per_group),
                        lambda d: d.transpose(0, 2, 3, 1))
        bg = None if bias is None else bias[g * out_per_group:(g + 1) * out_per_group]
        part_out = (out[0], out_per_group) + tuple(out[2:])
        parts.append(_mac(im, "conv2d", "conv", xs, wg, bg, dict(attrs), part_out))
    return im.node_value("concat", "concat", parts, out, {"axis": 3})


def _fc(im: Importer, x, w, bias, rows_out):
    if len(x.tshape) != 2:
        raise im.unsupported(f"a matrix product of a {len(x.tshape)}-D input {list(x.tshape)}; flatten it to "
                             "[1, features] first")
    raw = w.q if isinstance(w, IntWeight) else w
    if raw.ndim != 2:
        raise ModelError(f"{im.filename}: {im.where()}: {raw.ndim}-D weights; a matrix product takes 2-D weights")
    if raw.shape[1] != x.tshape[1]:
        raise ModelError(f"{im.filename}: {im.where()}: weights for {raw.shape[1]} input features, the input has "
                         f"{x.tshape[1]}")
    return _mac(im, "fully_connected", "fc", x, w, bias, {}, rows_out)


@register("Gemm")
def gemm(im: Importer, node, ins):
    a = reader.attrs(node)
    if int(a.get("transA", 0)):
        raise im.unsupported("transA=1 (the activation transposed)")
    x = im.act(ins[0])
    trans_b = int(a.get("transB", 0))
    w = im.weight(ins[1], "weights", 0 if trans_b else 1)
    w = _weight_ir(w, (lambda d: d) if trans_b else (lambda d: d.T))
    alpha, beta = float(a.get("alpha", 1.0)), float(a.get("beta", 1.0))
    n_out = _out_channels(w)
    if im.quant:
        if alpha != 1.0 or beta != 1.0:
            raise im.unsupported(f"a quantized Gemm with alpha {alpha}, beta {beta}; tinygen takes 1 and 1")
        bias = int_bias(im, ins[2] if len(ins) > 2 else None, n_out)
    else:
        w = w * np.float32(alpha)
        c = im.const(ins[2] if len(ins) > 2 else None, "bias")
        bias = None if c is None else np.broadcast_to(np.asarray(c, np.float32).reshape(-1) * np.float32(beta),
                                                      (n_out,)).copy()
    return _fc(im, x, w, bias, (x.tshape[0], n_out))


@register("MatMul")
def matmul(im: Importer, node, ins):
    if not is_const(ins[1]):
        raise im.unsupported("the ONNX front end does not map a product of two activations yet (tinygen's "
                             "batch_matmul compiles it from PyTorch's matmul and .tflite BATCH_MATMUL); multiply by "
                             "a constant (Gemm, MatMul with an initializer) or compile the PyTorch model")
    x = im.act(ins[0])
    w = im.weight(ins[1], "weights", 1)
    w = _weight_ir(w, lambda d: d.T)
    return _fc(im, x, w, None, (x.tshape[0], _out_channels(w)))


# -- pooling ------------------------------------------------------------------------------------

def _pool(im: Importer, node, ins, kind: str):
    a = reader.attrs(node)
    x = im.act(averaged_input(im, ins[0]) if kind == "avg" else ins[0])
    if len(x.tshape) not in (3, 4):
        raise im.unsupported("pooling needs a [N, C, H, W] or [N, C, L] input")
    k = list(a["kernel_shape"])
    k = [1] + k if len(k) == 1 else k
    _, c, h, w = nchw4(x.tshape)
    if len(a.get("dilations", [1])) and set(a.get("dilations", [1])) != {1}:
        raise im.unsupported("pooling with dilation; only 1 is supported")
    attrs, (oh, ow) = conv_geometry(im, a, (h, w), k)
    attrs.pop("dilation")
    attrs["kernel"] = (int(k[0]), int(k[1]))
    if int(a.get("ceil_mode", 0)):
        ch = -(-(h + attrs["padding"][0] + attrs["padding"][1] - k[0]) // attrs["stride"][0]) + 1
        cw = -(-(w + attrs["padding"][2] + attrs["padding"][3] - k[1]) // attrs["stride"][1]) + 1
        if (ch, cw) != (oh, ow):
            if kind != "max":
                raise im.unsupported("ceil_mode=1 makes a partial window at the border; use ceil_mode=0")
            t, b, le, r = attrs["padding"]
            attrs["padding"] = (t, b + (ch - oh) * attrs["stride"][0], le, r + (cw - ow) * attrs["stride"][1])
            oh, ow = ch, cw
    out = (1, c, ow) if len(x.tshape) == 3 else (1, c, oh, ow)
    if kind == "max":
        return im.node_value("max_pool2d", "maxpool", [x], out, attrs)
    attrs["count_include_pad"] = bool(int(a.get("count_include_pad", 0)))
    return im.node_value("avg_pool2d", "avgpool", [x], out, attrs)


@register("MaxPool")
def max_pool(im: Importer, node, ins):
    if len(node.output) > 1 and node.output[1]:
        raise im.unsupported("MaxPool with indices")
    return _pool(im, node, ins, "max")


@register("AveragePool")
def avg_pool(im: Importer, node, ins):
    return _pool(im, node, ins, "avg")


def global_mean(im: Importer, x, keep: bool = True):
    """The mean over H and W of [N, C, H, W] (or L of [N, C, L]): an average pool over the
    whole plane in a float model, TFLite's MEAN (which requantizes) in a quantized one and in a
    QONNX one (whose Quant after the pooling, Brevitas' QuantIdentity, gives the mean a grid of
    its own: one rounding there, as a Brevitas .py model's)."""
    n, c, h, w = nchw4(x.tshape)
    out = (n, c, 1) if len(x.tshape) == 3 else (n, c, 1, 1)
    if im.quant or im.qonnx:
        pooled = im.node_value("mean", "mean", [x], out, {"axes": (1, 2), "keep_dims": True})
    else:
        attrs = {"kernel": (h, w), "stride": (1, 1), "padding": (0, 0, 0, 0), "count_include_pad": False}
        pooled = im.node_value("avg_pool2d", "avgpool", [x], out, attrs)
    return pooled if keep else im.reshape_to(pooled, (n, c))


@register("GlobalAveragePool")
def global_avg_pool(im: Importer, node, ins):
    x = im.act(averaged_input(im, ins[0]))
    if len(x.tshape) not in (3, 4):
        raise im.unsupported("global pooling needs a [N, C, H, W] or [N, C, L] input")
    return global_mean(im, x)
