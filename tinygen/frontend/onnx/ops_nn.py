"""ONNX handlers of the activations (Relu, Clip, Sigmoid, HardSwish, HardSigmoid, Tanh,
LeakyRelu, PRelu), Softmax, and the elementwise Add / Sub / Mul / Div (an Add of a constant after
a MatMul folded into its bias); the MAC layers and pooling are in ops_conv.py.

In a float model the node is emitted now (tinygen quantizes it later from --calib, as a
PyTorch model); in a quantized one it waits for its output grid (a Pending,
tinygen/frontend/onnx/quantized.py), and a float elementwise function extends the View it
reads (a table at QuantizeLinear)."""

from __future__ import annotations

import math

import numpy as np

from tinygen.frontend.layout import ir_axis, ir_shape, nchw_constant
from tinygen.frontend.onnx import reader
from tinygen.frontend.onnx.float_tail import float_value, tail_of
from tinygen.frontend.onnx.importer import Importer, register
from tinygen.frontend.onnx.elementwise_q import binary_quantized
from tinygen.frontend.onnx.builder import is_const
from tinygen.frontend.onnx.quantized import ETYPE, clamp_bounds, clipped_codes, grid
from tinygen.frontend.onnx.values import Act, Pending, View, f32, leaky_relu_fn, sigmoid_fn


# -- activations ------------------------------------------------------------------------------

def clamp_value(im: Importer, v, lo: float, hi: float, what: str):
    """Relu / Clip: a clamp node (float model; a quantized activation on its own grid), a
    clamp fused into a pending node, or a function of a View (a table)."""
    if isinstance(v, View):         # between DequantizeLinear and QuantizeLinear: part of a table
        return v.then(what, lambda r: np.clip(r, np.float32(lo), np.float32(hi)).astype(np.float32))
    if isinstance(v, Pending):
        return fuse_clamp(im, v, lo, hi)
    x = im.act(v)
    attrs = {"lo": float(lo), "hi": float(hi)}
    if im.quant and x.etype in ETYPE.values():
        # QuantizeLinear's integer output itself: the bounds are codes (Brevitas' QCDQ export clips
        # a 4-bit activation's uint8 codes to 0..15), uint8 ones moved by -128 as the tensor is
        shift = 128 if x.etype == ETYPE["uint8"] else 0
        attrs["act_min"] = max(-128, math.ceil(lo) - shift) if lo != -math.inf else -128
        attrs["act_max"] = min(127, math.floor(hi) - shift) if hi != math.inf else 127
    elif im.quant:                # a clamp on the quantized tensor's own grid
        attrs["act_min"], attrs["act_max"] = clamp_bounds((lo, hi), grid(im, x))
    return im.node_value("clamp", what.lower(), [x], x.tshape, attrs)


FUSABLE = ("conv2d", "depthwise_conv2d", "fully_connected", "transpose_conv2d", "add", "mul", "sub")


def fuse_clamp(im: Importer, p: Pending, lo: float, hi: float) -> Pending:
    if p.op in FUSABLE:
        old = p.activation or (-math.inf, math.inf)
        p.activation = (max(old[0], lo), min(old[1], hi))
        return p
    if p.op == "concat" or (p.op in ("reshape", "transpose", "slice") and isinstance(p.inputs[0], Pending)):
        for x in p.inputs:
            if not isinstance(x, Pending):
                raise im.unsupported("a clamp after a concatenation of quantized tensors; quantize before it")
            fuse_clamp(im, x, lo, hi)
        return p
    raise im.unsupported(f"a clamp after {p.op} without a QuantizeLinear in between")


@register("Relu")
def relu(im: Importer, node, ins):
    return clamp_value(im, ins[0], 0.0, math.inf, "Relu")


@register("Clip")
def clip(im: Importer, node, ins):
    lo = im.const(ins[1] if len(ins) > 1 else None, "min")
    hi = im.const(ins[2] if len(ins) > 2 else None, "max")
    if is_const(ins[0]):                 # integer codes (the importer folds other constant Clips)
        return clipped_codes(im, ins[0], lo, hi)
    return clamp_value(im, ins[0], -math.inf if lo is None else float(lo), math.inf if hi is None else float(hi),
                       "Clip")


def _unary(im: Importer, v, what: str, fn, float_emit):
    """An elementwise function: emitted by `float_emit` in a float model, a table in a quantized one."""
    if im.quant:
        if isinstance(v, View):
            return v.then(what, fn)
        if isinstance(v, Act):
            return View(v).then(what, fn)
        if isinstance(v, Pending) and tail_of(v):     # a float section (NNCF: MatMul + Add -> Sigmoid -> Q)
            return float_emit(float_value(im, v, im.tail_values))
        if isinstance(v, Pending):
            raise im.unsupported(f"{what} of {v.source} that the quantizer left in float (no QuantizeLinear "
                                 "between them)", "quantize in QDQ form, or quant_pre_process the float model first "
                                 "(it folds BatchNormalization into the Conv before it)")
        raise im.unsupported(f"{what} of a value that is not quantized (a QuantizeLinear / DequantizeLinear "
                             "pair before it)")
    return float_emit(im.act(v))


@register("Sigmoid")
def sigmoid(im: Importer, node, ins):
    return _unary(im, ins[0], "Sigmoid", sigmoid_fn(),
                  lambda x: im.node_value("logistic", "sigmoid", [x], x.tshape))


@register("HardSwish")
def hard_swish(im: Importer, node, ins):
    return _unary(im, ins[0], "HardSwish", f32(lambda r: r * np.clip(r * np.float32(1 / 6) + np.float32(0.5), 0, 1)),
                  lambda x: im.node_value("hard_swish", "hardswish", [x], x.tshape))


@register("HardSigmoid")
def hard_sigmoid(im: Importer, node, ins):
    a = reader.attrs(node)
    alpha, beta = np.float32(a.get("alpha", 0.2)), np.float32(a.get("beta", 0.5))

    def emit(x):
        """PyTorch's hardsigmoid (alpha 1/6, beta 1/2, as torch.onnx.export writes it) is tinygen's hard
        sigmoid (an exact table); any other clip(alpha x + beta, 0, 1) = alpha * clip(x + beta / alpha, 0,
        1 / alpha): an add with a fused clamp, then a multiply."""
        if alpha == np.float32(1 / 6) and beta == np.float32(0.5):
            return im.node_value("hard_sigmoid", "hardsigmoid", [x], x.tshape)
        plus = im.node_value("add", "hardsigmoid_add", [x], x.tshape, {"activation": (0.0, float(1 / alpha))},
                             {"operand": np.float32(beta / alpha).reshape(())})
        return im.node_value("mul", "hardsigmoid", [plus], x.tshape, {}, {"operand": np.float32(alpha).reshape(())})
    return _unary(im, ins[0], "HardSigmoid", f32(lambda r: np.clip(alpha * r + beta, 0, 1)), emit)


@register("Tanh")
def tanh(im: Importer, node, ins):
    return _unary(im, ins[0], "Tanh", f32(np.tanh), lambda x: im.node_value("tanh", "tanh", [x], x.tshape))


def _prelu_node(im: Importer, x, slopes: np.ndarray):
    """tinygen's prelu (TFLite's PRELU) of a float model: one slope, or one per channel (ONNX
    axis 1), as a constant that broadcasts against x in the IR's layout."""
    rank = len(x.tshape)
    ir_rank = len(ir_shape(x.tshape))
    slopes = np.asarray(slopes, np.float32)
    if slopes.size == 1:
        alpha = slopes.reshape((1,) * ir_rank)
    elif rank >= 2 and slopes.size == x.tshape[1] and slopes.squeeze().ndim == 1:
        shape = [1] * ir_rank
        shape[ir_axis(rank, 1)] = slopes.size
        alpha = slopes.reshape(shape)
    else:
        raise im.unsupported(f"slopes of shape {list(slopes.shape)} for an input {list(x.tshape)}; tinygen takes "
                             "one slope or one per channel (axis 1)")
    return im.node_value("prelu", "prelu", [x], x.tshape, {}, {"alpha": np.ascontiguousarray(alpha)})


@register("LeakyRelu")
def leaky_relu(im: Importer, node, ins):
    """A float model's LeakyRelu is a PReLU of one slope; a quantized model's, a table."""
    alpha = float(reader.attrs(node).get("alpha", 0.01))
    return _unary(im, ins[0], "LeakyRelu", leaky_relu_fn(alpha),
                  lambda x: _prelu_node(im, x, np.array([alpha], np.float32)))


@register("PRelu")
def prelu(im: Importer, node, ins):
    """PRelu: tinygen's prelu in a float model; in a quantized one, of a single slope, a table."""
    slopes = np.asarray(im.const(ins[1], "slopes"), np.float32)
    if im.quant:
        if slopes.size != 1:
            raise im.unsupported("a PRelu with a slope per channel that the quantizer left in float "
                                 "(quantize_static does not quantize PRelu); tinygen tables one function per "
                                 "tensor", "compile the float model with tinygen's own quantization (--calib), "
                                 "where PRelu is tinygen's int8 prelu, or use LeakyRelu (one slope)")
        return _unary(im, ins[0], "PRelu", leaky_relu_fn(float(slopes.reshape(-1)[0])), None)
    return _prelu_node(im, im.act(ins[0]), slopes)


@register("Softmax")
def softmax(im: Importer, node, ins):
    x = im.act(ins[0])
    rank = len(x.tshape)
    axis = int(reader.attrs(node).get("axis", -1)) % rank
    if axis == 0:
        raise im.unsupported("softmax over the batch dimension")
    if ir_axis(rank, axis) != len(ir_shape(x.tshape)) - 1:
        raise im.unsupported("softmax over an axis other than the innermost one in tinygen's layout (the "
                             "features of [N, F], the channels of [N, C, H, W])")
    return im.node_value("softmax", "softmax", [x], x.tshape, {"axis": len(ir_shape(x.tshape)) - 1, "beta": 1.0})


# -- elementwise ----------------------------------------------------------------------------------

_FNS = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}


def _binary(kind: str):
    def handler(im: Importer, node, ins):
        x, y = ins[0], ins[1]
        if im.quant:
            return binary_quantized(im, kind, x, y)
        if isinstance(y, Act) and isinstance(x, Act):
            if kind == "Div":
                raise im.unsupported("the quotient of two activations has no int8 kernel")
            if len(x.tshape) != len(y.tshape):
                raise im.unsupported(f"broadcasting shapes {list(x.tshape)} and {list(y.tshape)} of different "
                                     "ranks; reshape one to the other's rank first")
            out = tuple(np.broadcast_shapes(x.tshape, y.tshape))
            return im.node_value(kind.lower(), kind.lower(), [x, y], out)
        if not isinstance(x, Act):
            if kind in ("Sub", "Div"):
                raise im.unsupported(f"a constant {'minus' if kind == 'Sub' else 'divided by'} an activation "
                                     "has no int8 kernel")
            x, y = y, x
        x = im.act(x)
        c = np.asarray(im.const(y, "operand"), np.float32)
        if kind == "Sub":
            c = -c
        if kind == "Div":
            if np.any(c == 0):
                raise im.unsupported("a division by zero")
            c = np.float32(1.0) / c
        op = "add" if kind in ("Add", "Sub") else "mul"
        out = tuple(np.broadcast_shapes(x.tshape, c.shape))
        if out != x.tshape:
            raise im.unsupported(f"a constant of shape {list(c.shape)} that broadcasts the activation "
                                 f"{list(x.tshape)} to a larger shape")
        folded = _fold_bias(im, x, c) if op == "add" else None
        if folded is not None:
            return folded
        if c.ndim > len(x.tshape):
            raise im.unsupported(f"a constant of shape {list(c.shape)} broadcast against a {len(x.tshape)}-D tensor")
        return im.node_value(op, op, [x], out, {}, {"operand": nchw_constant(c, len(x.tshape))})
    return handler


def _fold_bias(im: Importer, x: Act, c: np.ndarray):
    """MatMul + Add of a constant: the constant becomes the fully connected layer's bias."""
    producer = im.graph.producer(x.name)
    onnx_name = next(n for n in im.node.input if isinstance(im.env.get(n), Act) and im.env[n].name == x.name)
    if (producer is None or producer.op != "fully_connected" or producer.param("bias") is not None
            or im.uses[onnx_name] != 1 or len(x.tshape) != 2):
        return None
    n = x.tshape[1]
    if c.size not in (1, n) or (c.ndim == 2 and c.shape[0] != 1):
        return None
    name = im.graph.unique_name(f"{producer.name}_bias")
    im.graph.add_const(name, np.broadcast_to(c.reshape(-1), (n,)).astype(np.float32).copy())
    producer.set_param("bias", name)
    return x


for _kind in _FNS:
    register(_kind)(_binary(_kind))
