"""Elementwise ops in a quantized ONNX model (QDQ, and QOperator's QLinearAdd / QLinearMul):
Add / Sub / Mul / Div of two quantized activations, of one and a quantized constant, of one and a
number (a table); the scale and bias of a ConvInteger accumulator; Pad's constant value. How
their arithmetic maps onto tinygen's kernels: tinygen/frontend/onnx/quantized.py."""

from __future__ import annotations

import numpy as np

from tinygen.frontend.onnx.builder import const_array
from tinygen.frontend.onnx.importer import Importer
from tinygen.frontend.onnx.quantized import float_bias, grid, quantize_half_even
from tinygen.frontend.onnx.values import Act, Const, FloatInput, Pending, QConst, View
from tinygen.quant.spec import WEIGHT_CHANNEL_AXIS

_FN = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}


def binary_quantized(im: Importer, kind: str, x, y):
    """Add / Sub / Mul / Div in a quantized model: of two quantized activations (ADD, MUL),
    of one and a quantized constant (ADD, MUL with a constant operand), of one and a number
    (a table), or the scale and bias of a ConvInteger accumulator."""
    for v in (x, y):
        if isinstance(v, FloatInput):
            raise im.float_input(v)
    if isinstance(x, (Const, QConst)) and not isinstance(y, (Const, QConst)):
        if kind in ("Sub", "Div"):
            return _scalar_fn(im, kind, y, x, swap=True)
        x, y = y, x
    if isinstance(x, Pending) and x.stage in ("float", "done") and x.params.get("acc_scale", 0) is None:
        if kind != "Mul" or not isinstance(y, Const):
            raise im.unsupported("an integer accumulator (ConvInteger / MatMulInteger) must be multiplied by "
                                 "its constant scale")
        x.params["acc_scale"] = np.asarray(y.value, np.float32).reshape(-1)
        x.stage = "done"
        return x
    if (isinstance(x, Pending) and kind == "Add" and isinstance(y, Const) and x.op in WEIGHT_CHANNEL_AXIS
            and x.params.get("bias") is None and x.activation is None):
        channels = x.params["weight"].q.shape[WEIGHT_CHANNEL_AXIS[x.op]]
        acc = np.broadcast_to(np.asarray(x.params["acc_scale"], np.float64).reshape(-1), (channels,))
        real = np.broadcast_to(np.asarray(y.value, np.float64).reshape(-1), (channels,)).copy()
        x.params["bias"], x.params["bias_real"] = float_bias(im, real, acc), real
        return x
    if isinstance(y, Const) and np.asarray(y.value).size == 1 and isinstance(x, (View, Act)):
        return _scalar_fn(im, kind, x, y)
    if kind == "Div" or (kind == "Sub" and isinstance(y, (Const, QConst))):
        raise im.unsupported(f"{kind} of a quantized activation and a tensor has no int8 kernel (a number works: "
                             "it becomes a table)")
    a = im.act(x)
    op = kind.lower()
    if isinstance(y, QConst):
        out = tuple(np.broadcast_shapes(a.tshape, y.q.shape))
        if out != a.tshape:
            raise im.unsupported(f"a constant of shape {list(y.q.shape)} broadcasts {list(a.tshape)} larger")
        return Pending(op, op, [a], out, {}, {"operand": y}, im.source())
    if isinstance(y, Const):
        raise im.unsupported(f"{kind} by a float tensor in a quantized model; quantize the constant (a "
                             "DequantizeLinear of an integer initializer)")
    b = im.act(y)
    if len(a.tshape) != len(b.tshape):
        raise im.unsupported(f"broadcasting shapes {list(a.tshape)} and {list(b.tshape)} of different ranks")
    return Pending(op, op, [a, b], tuple(np.broadcast_shapes(a.tshape, b.tshape)), {}, {}, im.source())


def _scalar_fn(im: Importer, kind: str, x, c, swap: bool = False) -> View:
    k = np.float32(np.asarray(const_array(c, real=True)).reshape(-1)[0])
    fn = _FN[kind]
    view = x if isinstance(x, View) else View(im.act(x) if not isinstance(x, Act) else x)
    if not isinstance(view.src, Act):
        raise im.unsupported(f"{kind} of a value that is not quantized")
    if swap:
        return view.then(f"{k:g} {kind} x", lambda r: fn(k, r).astype(np.float32))
    return view.then(f"{kind} {k:g}", lambda r: fn(r, k).astype(np.float32))


def pad_value_quantized(im: Importer, x, value):
    """Pad's constant value in a quantized model, for the Pad's input `x` as the graph has it:
    on the int8 tensor itself (an Act, QOperator: the value as stored, default 0 of its
    type), or a real value (a View, QDQ: default 0.0) quantized on the grid ("real", value)
    for a pending input, whose grid comes later."""
    if isinstance(x, View):
        x = x.src
    elif isinstance(x, Act) and not isinstance(value, QConst):
        raw = 0 if value is None else int(np.asarray(const_array(value)).reshape(-1)[0])
        return raw - 128 if x.etype == 2 else raw
    real = 0.0 if value is None else float(np.asarray(const_array(value, real=True)).reshape(-1)[0])
    if isinstance(x, Pending):
        return ("real", real)
    return int(quantize_half_even(np.float32(real), grid(im, x)))
