"""BatchNormalization: in a float model a batch_norm node (passes/fold_bn.py folds it into the
Conv before it); in a quantized one folded into the Conv whose float output it reads (Brevitas'
default export, NNCF), or, between DequantizeLinear and QuantizeLinear, a depthwise 1x1 layer."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tinygen.errors import ModelError
from tinygen.frontend.layout import nchw4
from tinygen.frontend.onnx import reader
from tinygen.frontend.onnx.builder import const_array
from tinygen.frontend.onnx.importer import Importer, register
from tinygen.frontend.onnx.ops_conv import conv_geometry
from tinygen.frontend.onnx.quantized import float_bias, grid
from tinygen.frontend.onnx.values import Act, IntWeight, Pending
from tinygen.quant.accumulator import accumulator_message, overflowing_channel
from tinygen.quant.spec import WEIGHT_CHANNEL_AXIS


@register("BatchNormalization")
def batch_norm(im: Importer, node, ins):
    x = im.act(ins[0])
    if len(x.tshape) not in (2, 3, 4) or (im.quant and len(x.tshape) == 2 and not isinstance(x, Pending)):
        raise im.unsupported(f"batch norm over a {len(x.tshape)}-D tensor")
    a = reader.attrs(node)
    if int(a.get("training_mode", 0)):
        raise ModelError(f"{im.filename}: {im.where()} runs in training mode", "export the model in eval mode")
    if im.quant and isinstance(x, Pending):
        return _fold_batch_norm(im, node, x, ins, float(a.get("epsilon", 1e-5)))
    if im.quant:
        return _batch_norm_quantized(im, x, ins, float(a.get("epsilon", 1e-5)))
    gamma, beta, mean, var = (im.const(v, k) for v, k in zip(ins[1:5], ("scale", "B", "mean", "var")))
    return im.node_value("batch_norm", "bn", [x], x.tshape, {"eps": float(a.get("epsilon", 1e-5))},
                         {"gamma": gamma, "beta": beta, "mean": mean, "var": var})


def _bn_affine(ins, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """BatchNormalization's per-channel a x + b: a = scale / sqrt(var + eps), b = B - mean a (float64)."""
    scale, beta, mean, var = (np.asarray(const_array(v, real=True), np.float64).reshape(-1) for v in ins[1:5])
    mul = scale / np.sqrt(var + eps)
    return mul, beta - mean * mul


def _fold_batch_norm(im: Importer, node, p: Pending, ins, eps: float) -> Pending:
    """Conv / Gemm -> BatchNormalization -> (Relu ->) QuantizeLinear, BN left in the graph (Brevitas'
    default export, a model quantized without quant_pre_process): onnxruntime computes the
    conv in float, then a (conv + bias) + b. Folded into the requantization, the weights kept:
    channel c's accumulator grid becomes |a_c| x input scale x weight scale (the weights negated
    where a_c < 0, zeroed where a_c = 0), and a_c bias + b_c is quantized on it as a float bias
    is (int_bias). Within 1 LSB of onnxruntime's float arithmetic (docs/onnx.md)."""
    folds = p.op in ("conv2d", "depthwise_conv2d", "fully_connected") and p.activation is None
    if not folds or im.uses[node.input[0]] != 1:
        raise im.unsupported(f"a batch norm after {p.source} that does not fold into it (only a Conv or Gemm read by "
                             "nothing else, with no activation between, folds)",
                             "fold BatchNormalization before quantizing (quant_pre_process, or the export's "
                             "own BN folding)")
    w: IntWeight = p.params["weight"]
    axis = WEIGHT_CHANNEL_AXIS[p.op]
    channels = w.q.shape[axis]
    mul, add = (np.broadcast_to(v, (channels,)) for v in _bn_affine(ins, eps))
    factor = np.where(mul == 0, 1.0, np.abs(mul))
    sign = np.sign(mul).astype(np.int64)
    shape = [1] * w.q.ndim
    shape[axis] = -1
    scale = (np.broadcast_to(w.scale.reshape(-1), (channels,)).astype(np.float64) * factor).astype(np.float32)
    acc_old = np.broadcast_to(np.asarray(p.params["acc_scale"], np.float64).reshape(-1), (channels,))
    bias_old = p.params.get("bias")
    bias_real = p.params.get("bias_real", 0.0 if bias_old is None else np.asarray(bias_old, np.float64) * acc_old)
    acc = (acc_old * factor).astype(np.float32)
    weight = replace(w, q=w.q * sign.reshape(shape), scale=scale)
    real = mul * bias_real + add
    bias = float_bias(im, real, acc)
    if found := overflowing_channel(weight.q, bias, 3 if p.op == "depthwise_conv2d" else 0):
        raise ModelError(f"{im.filename}: {im.where()}: {accumulator_message(bias, found)}")
    return Pending(p.op, p.prefix, list(p.inputs), p.tshape, dict(p.attrs),
                   {**p.params, "weight": weight, "bias": bias, "bias_real": real, "acc_scale": acc},
                   f"{p.source} + {im.source()}")


def _batch_norm_quantized(im: Importer, x: Act, ins, eps: float):
    """A BatchNormalization that quant_pre_process did not fold (onnxruntime computes it in float
    between DequantizeLinear and QuantizeLinear): the per-channel affine a x + b, a = scale /
    sqrt(var + eps), b = B - mean a, as a depthwise 1x1 convolution rounding once: weights +-127
    with the scale |a| / 127 each, the int32 bias b on the accumulator's scale."""
    mul, add = _bn_affine(ins, eps)
    channels = nchw4(x.tshape)[1]
    w_scale = np.where(mul == 0, 1.0, np.abs(mul) / 127).astype(np.float32)
    weight = IntWeight(np.broadcast_to(np.sign(mul) * 127, (channels,)).astype(np.int64).reshape(1, 1, 1, -1),
                       np.broadcast_to(w_scale, (channels,)).copy())
    acc = (np.float32(grid(im, x).scale[0]) * weight.scale).astype(np.float32)
    bias = np.rint(np.broadcast_to(add, (channels,)) / acc).astype(np.int64)
    attrs, _ = conv_geometry(im, {}, nchw4(x.tshape)[2:], (1, 1))
    attrs["depth_multiplier"] = 1
    return Pending("depthwise_conv2d", "bn", [x], tuple(x.tshape), attrs,
                   {"weight": weight, "bias": bias, "acc_scale": acc}, im.source())
