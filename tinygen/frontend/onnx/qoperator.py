"""The QOperator ops of a quantized ONNX model (QLinearConv, QLinearMatMul, QGemm, QLinearAdd,
QLinearMul, QLinearAveragePool, QLinearGlobalAveragePool, QLinearSigmoid, QLinearLeakyRelu,
QLinearConcat, QLinearSoftmax) and ConvInteger / MatMulInteger: each is read as the QDQ form it
stands for (DequantizeLinear of its inputs, the float op, QuantizeLinear of its output) and built
by the same handlers (ops_conv, ops_nn, ops_shape) and quantized.py's value_on."""

from __future__ import annotations

import numpy as np

from tinygen.frontend.onnx import ops_conv, ops_nn, ops_shape, reader
from tinygen.frontend.onnx.builder import const_array
from tinygen.frontend.onnx.importer import Importer, register
from tinygen.frontend.onnx.elementwise_q import binary_quantized
from tinygen.frontend.onnx.qdq import on_grid
from tinygen.frontend.onnx.quantized import ETYPE, MS, grid, value_on
from tinygen.frontend.onnx.values import Act, Const, QConst, QParams, View, leaky_relu_fn, qparams_of, sigmoid_fn


def _view(im: Importer, ins, k: int) -> View:
    """QOperator input k (x, x_scale, x_zero_point at k, k + 1, k + 2) as the DequantizeLinear
    view a QDQ model would have."""
    x = ins[k]
    if isinstance(x, (Const, QConst)):
        arr = const_array(x)
        scale = np.asarray(im.const(ins[k + 1], "scale"), np.float32)
        zp = const_array(ins[k + 2]) if len(ins) > k + 2 and ins[k + 2] is not None else np.zeros(1, arr.dtype)
        return QConst(arr.astype(np.int64), str(arr.dtype), scale.reshape(-1), np.asarray(zp, np.int64).reshape(-1),
                      None if scale.size == 1 else (0 if arr.ndim < 2 else None), f"input {k}")
    if not isinstance(x, Act):
        raise im.unsupported(f"input {k} is not a quantized activation")
    scale = np.asarray(im.const(ins[k + 1], "scale"), np.float32)
    zp_v = ins[k + 2] if len(ins) > k + 2 else None
    zp = np.zeros(1, np.int64) if zp_v is None else const_array(zp_v).astype(np.int64)
    dtype = "uint8" if zp_v is None else str(const_array(zp_v).dtype)
    return View(on_grid(im, x, scale, zp, dtype))


def _out_q(im: Importer, ins, k: int) -> tuple[QParams, int]:
    scale = np.asarray(im.const(ins[k], "output scale"), np.float32)
    zp_v = ins[k + 1] if len(ins) > k + 1 else None
    arr = np.zeros(1, np.uint8) if zp_v is None else const_array(zp_v)
    if scale.size != 1:
        raise im.unsupported("an output quantized per channel")
    return qparams_of(scale, arr.astype(np.int64), str(arr.dtype)), ETYPE.get(str(arr.dtype), 2)


def _weight_const(im: Importer, ins, k: int, axis: int) -> QConst:
    """A QOperator op's weights (w, w_scale, w_zero_point at k, k + 1, k + 2)."""
    w = ins[k]
    if not isinstance(w, (Const, QConst)):
        raise im.unsupported("its weights are computed from the input; tinygen takes constant weights")
    arr = const_array(w)
    scale = np.asarray(im.const(ins[k + 1], "weight scale"), np.float32).reshape(-1)
    zp_v = ins[k + 2] if len(ins) > k + 2 else None
    zp = np.zeros(1, np.int64) if zp_v is None else np.asarray(const_array(zp_v), np.int64).reshape(-1)
    return QConst(arr.astype(np.int64), str(arr.dtype), scale, zp, axis if scale.size > 1 else None, "weights")


def _bias_const(ins, k: int, scale) -> QConst | None:
    b = ins[k] if len(ins) > k else None
    if b is None:
        return None
    arr = const_array(b)
    return QConst(arr.astype(np.int64), "int32", np.asarray(scale, np.float32).reshape(-1),
                  np.zeros(1, np.int64), 0, "bias")


# -- QOperator ops ---------------------------------------------------------------------------------------

@register("QLinearConv")
def qlinear_conv(im: Importer, node, ins):
    x = _view(im, ins, 0)
    w = _weight_const(im, ins, 3, 0)
    q, etype = _out_q(im, ins, 6)
    p = ops_conv.conv(im, node, [x, w, _bias_const(ins, 8, 1.0)])
    return value_on(im, p, q, etype)


@register("QLinearMatMul")
def qlinear_matmul(im: Importer, node, ins):
    a = _view(im, ins, 0)
    b = _weight_const(im, ins, 3, 1)
    q, etype = _out_q(im, ins, 6)
    return value_on(im, ops_conv.matmul(im, node, [a, b]), q, etype)


@register("QGemm", MS)
def qgemm(im: Importer, node, ins):
    trans_b = int(reader.attrs(node).get("transB", 0))
    a = _view(im, ins, 0)
    b = _weight_const(im, ins, 3, 0 if trans_b else 1)
    if len(ins) < 8 or ins[7] is None:
        raise im.unsupported("a QGemm with a float output (no y_scale)")
    q, etype = _out_q(im, ins, 7)
    return value_on(im, ops_conv.gemm(im, node, [a, b, _bias_const(ins, 6, 1.0)]), q, etype)


def _qlinear_binary(kind: str):
    def handler(im: Importer, node, ins):
        a, b = _view(im, ins, 0), _view(im, ins, 3)
        q, etype = _out_q(im, ins, 6)
        return value_on(im, binary_quantized(im, kind, a, b), q, etype)
    return handler


register("QLinearAdd", MS)(_qlinear_binary("Add"))
register("QLinearMul", MS)(_qlinear_binary("Mul"))


def _qlinear_pool(handler):
    def qhandler(im: Importer, node, ins):
        if int(reader.attrs(node).get("channels_last", 0)):
            raise im.unsupported("channels_last pooling")
        q, etype = _out_q(im, ins, 3)
        return value_on(im, handler(im, node, [_view(im, ins, 0)]), q, etype)
    return qhandler


register("QLinearAveragePool", MS)(_qlinear_pool(ops_conv.avg_pool))
register("QLinearGlobalAveragePool", MS)(_qlinear_pool(ops_conv.global_avg_pool))


def _qlinear_unary(fn_of):
    def handler(im: Importer, node, ins):
        x = _view(im, ins, 0)
        q, etype = _out_q(im, ins, 3)
        what, fn = fn_of(reader.attrs(node))
        return value_on(im, x.then(what, fn), q, etype)
    return handler


register("QLinearSigmoid", MS)(_qlinear_unary(lambda a: ("Sigmoid", sigmoid_fn())))
register("QLinearLeakyRelu", MS)(_qlinear_unary(lambda a: ("LeakyRelu", leaky_relu_fn(a.get("alpha", 0.01)))))


@register("QLinearConcat", MS)
def qlinear_concat(im: Importer, node, ins):
    q, etype = _out_q(im, ins, 0)
    xs = [_view(im, ins, k) for k in range(2, len(ins), 3)]
    return value_on(im, ops_shape.concat(im, node, xs), q, etype)


@register("QLinearSoftmax", MS)
def qlinear_softmax(im: Importer, node, ins):
    x = _view(im, ins, 0)
    q, etype = _out_q(im, ins, 3)
    p = ops_nn.softmax(im, node, [x])
    p.attrs["codes"] = "floor"      # its kernel's multiplier, floor(1 / y_scale) (a QDQ Softmax rounds 1 / y_scale)
    return value_on(im, p, q, etype)


def _integer(kind: str):
    """ConvInteger / MatMulInteger: an int32 accumulator; Cast to float, then Mul by the
    scales (and Add of a float bias) make it a pending MAC node."""
    def handler(im: Importer, node, ins):
        x = ins[0]
        if not isinstance(x, Act):
            raise im.unsupported("its input is not a quantized activation (a QuantizeLinear with constant scale; "
                                 "DynamicQuantizeLinear is dynamic quantization)")
        xg = grid(im, x)
        zp_v = ins[2] if len(ins) > 2 else None
        zp = 0 if zp_v is None else int(np.asarray(const_array(zp_v)).reshape(-1)[0])
        zp_int8 = zp - 128 if x.etype == 2 else zp
        if zp_int8 != int(xg.zero_point[0]):
            raise im.unsupported(f"its x_zero_point {zp} is not its input's ({int(xg.zero_point[0])})")
        w = QConst(const_array(ins[1]).astype(np.int64), str(const_array(ins[1]).dtype), np.ones(1, np.float32),
                   np.asarray(const_array(ins[3]) if len(ins) > 3 and ins[3] is not None else np.zeros(1), np.int64
                              ).reshape(-1), 0 if kind == "conv" else 1, "weights")
        view = View(x)
        p = ops_conv.conv(im, node, [view, w]) if kind == "conv" else ops_conv.matmul(im, node, [view, w])
        p.stage, p.params["acc_scale"] = "acc", None
        return p
    return handler


register("ConvInteger")(_integer("conv"))
register("MatMulInteger")(_integer("matmul"))
