"""The PyTorch importer's handlers for the core layers (convolution, linear, low-bit
tinygen.nn layers, batch norm, activations, pooling, mean, concatenation, softmax,
reshapes, dropout and dtype no-ops): each takes the importer (tinygen.frontend.torch._Importer), the op's arguments by
name and the FX node, and emits IR nodes through the importer. The mobile-network ops
are in torch_mobile.py; the table that maps aten ops to handlers is in torch.py.
"""

from __future__ import annotations

import json

import numpy as np
import torch

from tinygen.errors import ModelError
from tinygen.ir import QParams
from tinygen.quant.spec import WEIGHT_CHANNEL_AXIS
from tinygen.frontend.torch_values import TORCH, _Act, _pair, ir_shape, nchw4


def _conv(im, a: dict, node) -> _Act:
    x = im._act(a["input"])
    w = im._const(a["weight"], "weight")
    b = im._const(a["bias"], "bias")
    if len(x.tshape) not in (3, 4) or len(x.tshape) != w.ndim:
        raise ModelError(f"a convolution at {im._where()} gets an input of shape {list(x.tshape)}; "
                         f"tinygen needs batched inputs [1, C, H, W] (Conv2d) or [1, C, L] (Conv1d)",
                         hint="make example_input() return a batched tensor [N, C, H, W] or [N, C, L]")
    if w.ndim == 3:                 # Conv1d: a 1 x k convolution (torch_mobile.lift_1d)
        w = w[:, :, None, :]
    out = im._out_tshape(node)
    kh, kw = w.shape[2], w.shape[3]
    stride, dilation = _pair(a["stride"]), _pair(a["dilation"])
    pad = a["padding"]
    if isinstance(pad, str):
        if pad == "valid":
            padding = (0, 0, 0, 0)
        else:  # "same": torch puts the odd pixel at the bottom / right
            th, tw = dilation[0] * (kh - 1), dilation[1] * (kw - 1)
            padding = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    else:
        ph, pw = _pair(pad)
        padding = (ph, ph, pw, pw)
    attrs = {"stride": stride, "dilation": dilation, "padding": padding}
    groups, in_c, out_c = int(a["groups"]), x.tshape[1], w.shape[0]
    if groups == 1:
        op, prefix, weight = "conv2d", "conv", w.transpose(0, 2, 3, 1)
    elif groups == in_c and out_c % in_c == 0:
        op, prefix, weight = "depthwise_conv2d", "dwconv", w.transpose(1, 2, 3, 0)
        attrs["depth_multiplier"] = out_c // in_c
    else:
        raise im._unsupported(f"grouped convolution with groups={groups} and {in_c} input "
                              f"channels; only groups=1 or depthwise (groups == in_channels) "
                              f"convolutions are supported")
    params = {"weight": weight}
    if b is not None:
        params["bias"] = b
    return _Act(im._emit(op, prefix, [x.name], ir_shape(out), attrs, params), out)


def _linear(im, a: dict, node) -> _Act:
    """A Linear on [..., features]: a fully connected layer over every row (a sequence
    [B, T, D] in torch's order: T rows of D features)."""
    x = im.act_in(a["input"], TORCH)
    w = im._const(a["weight"], "weight")
    b = im._const(a["bias"], "bias")
    if w is None or w.ndim != 2:
        raise im._unsupported("a linear layer whose weight is not a 2-D parameter")
    params = {"weight": w}
    if b is not None:
        params["bias"] = b
    out = im._out_tshape(node)
    return _Act(im._emit("fully_connected", "fc", [x.name], ir_shape(out, TORCH), {}, params), out, TORCH)


def _lowbit(op: str):
    """tinygen.nn's QConv2d / QLinear, exported as one op each (the contract is in
    tinygen/nn's docstring): (x, w_int, w_scale, bias, act_qparams, config JSON).

    The IR node is a plain conv2d / fully_connected on the real weights s_w * W (what the
    float interpreter and batch-norm folding need) with the weight tensor carrying the
    per-channel scales s_w and the weight bit width, and attrs["lowbit"] the layer's
    quantizer configs (firmware/kernels/lowbit/LOWBIT.md); passes/quantize_lowbit.py recovers
    the integer weights W = data / s_w exactly. A config with "groups" (an imported depthwise
    layer, tinygen/frontend/torch_brevitas.py) is a depthwise_conv2d node."""
    def handler(im, a: dict, node) -> _Act:
        ir_op = op
        x_v, w_v, s_v, b_v, q_v, config = list(a.values())[:6]
        x = im._act(x_v)
        w_int, scale = im._const(w_v, "integer weights"), im._const(s_v, "weight scales")
        bias, act_qp = im._const(b_v, "bias"), im._const(q_v, "input quantization")
        cfg = json.loads(config)
        real = w_int.astype(np.float64) * scale.astype(np.float64).reshape((-1,) + (1,) * (w_int.ndim - 1))
        out = im._out_tshape(node)
        lowbit = {"weight": cfg["weight"], "act": cfg["act"], "pad_value": int(cfg.get("pad_value", 0)),
                  "act_scale": float(act_qp[0]), "act_zero_point": int(round(float(act_qp[1])))}
        if cfg.get("fine_bias"):        # a toolchain's float bias (Brevitas): passes/quantize_lowbit.py
            lowbit["fine_bias"] = True
        if cfg.get("shared"):           # tinygen.nn.share_weights: the codes are the trained centroids
            lowbit["shared"] = cfg["shared"]
        if op == "conv2d":
            if len(x.tshape) != 4:
                raise im._unsupported("QConv2d needs a batched NCHW input [1, C, H, W]")
            ph, pw = _pair(cfg["padding"])
            attrs = {"stride": _pair(cfg["stride"]), "dilation": _pair(cfg["dilation"]),
                     "padding": (ph, ph, pw, pw), "lowbit": lowbit}
            weight, prefix = real.transpose(0, 2, 3, 1), "qconv"
            groups = int(cfg.get("groups", 1))
            if groups != 1:             # depthwise (an imported model's): [1, kh, kw, C * m]
                if groups != x.tshape[1] or w_int.shape[1] != 1:
                    raise im._unsupported(f"a grouped low-bit convolution with groups={groups}; only depthwise "
                                          f"(groups == in_channels) convolutions are supported")
                ir_op, weight, prefix = "depthwise_conv2d", real.transpose(1, 2, 3, 0), "qdwconv"
                attrs["depth_multiplier"] = w_int.shape[0] // groups
        else:
            if len(x.tshape) != 2:
                raise im._unsupported("QLinear needs a [1, features] input; flatten it first")
            attrs, weight, prefix = {"lowbit": lowbit}, real, "qfc"
        params = {"weight": weight} if bias is None else {"weight": weight, "bias": bias}
        name = im._emit(ir_op, prefix, [x.name], ir_shape(out), attrs, params)
        wt = im.graph.tensor(im.graph.nodes[-1].param("weight"))
        wt.qparams = QParams(scale.astype(np.float32), np.zeros(scale.shape, np.int64),
                             axis=WEIGHT_CHANNEL_AXIS[ir_op])
        wt.bits = int(cfg["weight"].get("bits") or 8)
        return _Act(name, out)
    return handler


def _batch_norm(im, a: dict, node) -> _Act:
    x = im._act(a["input"])
    if len(x.tshape) not in (2, 3, 4):
        raise im._unsupported(f"batch norm over a {len(x.tshape)}-D tensor; only [N, C], [N, C, L] "
                              f"(BatchNorm1d) and [N, C, H, W] (BatchNorm2d) are supported")
    if a.get("training"):
        raise ModelError(f"batch norm at {im._where()} runs in training mode",
                         hint="call model.eval() before exporting")
    mean, var = im._const(a["running_mean"], "running_mean"), im._const(a["running_var"],
                                                                          "running_var")
    if mean is None or var is None:
        raise im._unsupported("batch norm without running statistics "
                              "(track_running_stats=False)")
    c = mean.shape[0]
    gamma = im._const(a["weight"], "weight")
    beta = im._const(a["bias"], "bias")
    params = {"gamma": np.ones(c, np.float32) if gamma is None else gamma,
              "beta": np.zeros(c, np.float32) if beta is None else beta,
              "mean": mean, "var": var}
    name = im._emit("batch_norm", "bn", [x.name], ir_shape(x.tshape),
                    {"eps": float(a["eps"])}, params)
    if node.target is torch.ops.aten._native_batch_norm_legit_no_training.default:
        return (_Act(name, x.tshape), None, None)
    return _Act(name, x.tshape)


def _clamp(lo: float | None, hi: float | None, prefix: str):
    def handler(im, a: dict, node) -> _Act:
        x = im.act_any(a["self"])
        lo_, hi_ = lo, hi
        if lo is None:  # hardtanh
            lo_, hi_ = float(a["min_val"]), float(a["max_val"])
        name = im._emit("clamp", prefix, [x.name], x.ir_shape,
                        {"lo": float(lo_), "hi": float(hi_)})
        return _Act(name, x.tshape, x.layout)
    return handler


def _sigmoid(im, a: dict, node) -> _Act:
    x = im.act_any(a["self"])
    return _Act(im._emit("logistic", "sigmoid", [x.name], x.ir_shape), x.tshape, x.layout)


def _pool_common(im, a: dict, node, kind: str):
    x = im._act(a["self"])
    if len(x.tshape) not in (3, 4):
        raise im._unsupported(f"{kind} pooling needs a [N, C, H, W] or [N, C, L] input")
    kernel = _pair(a["kernel_size"])
    stride = _pair(a["stride"]) if a["stride"] else kernel
    ph, pw = _pair(a["padding"])
    out = im._out_tshape(node)
    padding = (ph, ph, pw, pw)
    if a["ceil_mode"]:
        _, _, h, w = nchw4(x.tshape)
        _, _, oh, ow = nchw4(out)
        floor_h = (h + 2 * ph - kernel[0]) // stride[0] + 1
        floor_w = (w + 2 * pw - kernel[1]) // stride[1] + 1
        if (floor_h, floor_w) != (oh, ow):
            if kind != "max":
                raise im._unsupported(
                    "ceil_mode=True makes a partial window at the border; use ceil_mode=False "
                    "(and padding if the last rows/columns matter)")
            # a max over the partial window's valid positions: padding the kernel ignores
            padding = (ph, ph + (oh - floor_h) * stride[0], pw, pw + (ow - floor_w) * stride[1])
    return x, {"kernel": kernel, "stride": stride, "padding": padding}, out


def _max_pool(im, a: dict, node) -> _Act:
    x, attrs, out = _pool_common(im, a, node, "max")
    if _pair(a["dilation"]) != (1, 1):
        raise im._unsupported("max pooling with dilation; only dilation=1 is supported")
    return _Act(im._emit("max_pool2d", "maxpool", [x.name], ir_shape(out), attrs), out)


def _avg_pool(im, a: dict, node) -> _Act:
    x, attrs, out = _pool_common(im, a, node, "average")
    if a.get("divisor_override") is not None:
        raise im._unsupported("average pooling with divisor_override")
    attrs["count_include_pad"] = bool(a.get("count_include_pad", True))
    return _Act(im._emit("avg_pool2d", "avgpool", [x.name], ir_shape(out), attrs), out)


def _global_pool(im, x: _Act, dims=(2, 3)) -> _Act:
    """The mean over torch dims `dims` of a 4-D value (2: H, 3: W), or over L of a 3-D one."""
    n, c, h, w = nchw4(x.tshape)
    kernel = (h if 2 in dims and len(x.tshape) == 4 else 1, w if 3 in dims or len(x.tshape) == 3 else 1)
    attrs = {"kernel": kernel, "stride": (1, 1), "padding": (0, 0, 0, 0), "count_include_pad": False}
    out = (n, c, 1) if len(x.tshape) == 3 else (n, c, h // kernel[0], w // kernel[1])
    return _Act(im._emit("avg_pool2d", "avgpool", [x.name], ir_shape(out), attrs), out)


def _adaptive_avg_pool(im, a: dict, node) -> _Act:
    x = im._act(a["self"])
    if len(x.tshape) not in (3, 4):
        raise im._unsupported("adaptive average pooling needs a [N, C, H, W] or [N, C, L] input")
    oh, ow = _pair(a["output_size"])
    _, _, h, w = nchw4(x.tshape)
    if (oh, ow) == (1, 1):
        return _global_pool(im, x)
    if h % oh or w % ow:
        raise im._unsupported(f"adaptive average pooling from {h}x{w} to {oh}x{ow}; the output "
                              f"size must be 1 or divide the input size")
    k = (h // oh, w // ow)
    attrs = {"kernel": k, "stride": k, "padding": (0, 0, 0, 0), "count_include_pad": False}
    out = im._out_tshape(node)
    return _Act(im._emit("avg_pool2d", "avgpool", [x.name], ir_shape(out), attrs), out)


def _mean(im, a: dict, node) -> _Act:
    """The mean over H and/or W of an image (an average pool), or over any adjacent dims of a
    value in torch's order (TFLite's MEAN): a sequence's features, for an RMS norm written out."""
    x = im.act_any(a["self"])
    rank = len(x.tshape)
    dims = sorted({int(d) % rank for d in (a["dim"] or [])})
    spatial = {4: ({2, 3}, {2}, {3}), 3: ({2},)}.get(rank, ())
    if a.get("dtype"):
        raise im._unsupported("a mean with a dtype argument")
    if x.layout != TORCH and set(dims) in [set(s) for s in spatial]:
        pooled = _global_pool(im, im._act(x), tuple(dims))
        return im._reshape_to(pooled, im._out_tshape(node))
    x = im.act_in(x, TORCH)
    if not dims or dims != list(range(dims[0], dims[-1] + 1)) or x.axis(dims[0]) == 0:
        raise im._unsupported(f"mean over dims {list(dims)} of a {rank}-D tensor; only the mean over H "
                              f"and/or W of an image, or over adjacent dims of a sequence, is supported")
    out = im._out_tshape(node)
    axes = tuple(x.axis(d) for d in dims)
    kept = ir_shape(x.tshape, TORCH)
    reduced = tuple(1 if k in axes else n for k, n in enumerate(kept))
    name = im._emit("mean", "mean", [x.name], reduced, {"axes": axes, "keep_dims": True})
    return im.from_torch_order(name, out, TORCH)


def _cat(im, a: dict, node) -> _Act:
    first = im.act_any(a["tensors"][0], "inputs")
    xs = [im.act_in(t, first.layout, "inputs") for t in a["tensors"]]
    if len({len(x.tshape) for x in xs}) > 1:
        raise im._unsupported("concatenating tensors of different ranks")
    axis = first.axis(a["dim"])
    if axis == 0:
        raise im._unsupported("concatenation along the batch dimension")
    if len(xs) == 1:
        return xs[0]
    out = im._out_tshape(node)
    return _Act(im._emit("concat", "concat", [x.name for x in xs], ir_shape(out, first.layout),
                         {"axis": axis}), out, first.layout)


def _softmax(im, a: dict, node) -> _Act:
    """softmax over one axis; attention scores with a causal mask pending (a masked_fill, a
    constant -inf mask added, baddbmm's mask, is_causal) take the causal softmax over their
    last axis."""
    x = a["self"]
    attrs = {"beta": 1.0}
    if isinstance(x, _Act) and x.mask is not None:
        if int(a["dim"]) % len(x.tshape) != len(x.tshape) - 1:
            raise im._unsupported("a causal mask must be followed by a softmax over the last axis")
        attrs["causal"] = True
        x = _Act(x.name, x.tshape, x.layout)
    x = im.act_any(x)
    axis = x.axis(a["dim"])
    if axis == 0:
        raise im._unsupported("softmax over the batch dimension")
    return _Act(im._emit("softmax", "softmax", [x.name], x.ir_shape, {"axis": axis, **attrs}), x.tshape, x.layout)


def _reshape(im, a: dict, node) -> _Act:
    x = im.act_any(a["self"])
    return im._reshape_to(x, im._out_tshape(node))


def _passthrough(im, a: dict, node):
    if a.get("train"):
        raise ModelError(f"dropout at {im._where()} is active (training mode)",
                         hint="call model.eval() before exporting")
    return im.act_any(a["self"] if "self" in a else a["input"])


def _native_dropout(im, a: dict, node):
    """native_dropout returns (output, mask): only the output may be used."""
    if a.get("train"):
        raise ModelError(f"dropout at {im._where()} is active (training mode)",
                         hint="call model.eval() before exporting")
    return (im.act_any(a["input"]), None)


def _to(im, a: dict, node):
    val = node.meta.get("val")
    if isinstance(val, torch.Tensor) and val.dtype == torch.float32:
        return im.act_any(a["self"])
    raise im._unsupported("a dtype conversion; tinygen models compute in float32")
