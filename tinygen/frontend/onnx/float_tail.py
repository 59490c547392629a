"""A quantized ONNX model's float tail: the ops after the last QuantizeLinear, which the
quantizer left float (NNCF always leaves the last layer's output so: DequantizeLinear of the
weights, a Gemm or MatMul + Add with a float bias, then a float Softmax, ...). They run as a
float32 section, as a mixed .tflite model's float ops do: the int8 tensor they read is
dequantized (tg_dequantize_s8_f32: (q - zero point) x scale in float32, as DequantizeLinear
computes), then each op runs TFLite Micro's float32 kernel on the real weights
(DequantizeLinear of the integers) and the real bias, and the graph output is float32.

onnxruntime computes the same float32 values, summed in another order: the outputs agree
within float32 rounding, not byte for byte (tinygen/hil/onnx_check.py FLOAT_RTOL).
"""

from __future__ import annotations

import numpy as np

from tinygen.frontend.onnx.values import Act, IntWeight, Pending, View, ir_of
from tinygen.quant.spec import WEIGHT_CHANNEL_AXIS

FLOAT32 = 1                 # ONNX's element type of a float section's values (Act.etype)
# the pending ops a float tail runs: the MAC ops, and those whose float form takes the same attrs
FLOAT_TAIL_OPS = set(WEIGHT_CHANNEL_AXIS) | {"softmax", "reshape", "transpose", "add", "mul", "sub"}


def tail_of(v) -> bool:
    """Whether value `v` (a graph output, or the input of a float function) is a float tail tinygen
    runs (else it is refused): pending MAC ops, softmax, moves, or any op a float emitter made of
    float32 values (float_made)."""
    if isinstance(v, View):
        return not v.fns
    if isinstance(v, Act):
        return True
    return isinstance(v, Pending) and (v.op in FLOAT_TAIL_OPS and "operand" not in v.params or float_made(v)) and all(
        tail_of(x) for x in v.inputs)


def float_made(v) -> bool:
    """A pending op on float32 values: a float function of a float section's value (Sigmoid of a
    float tail's Gemm), emitted in float32 as a float model's op is."""
    return isinstance(v, Pending) and any(isinstance(x, Act) and x.etype == FLOAT32 or float_made(x)
                                          for x in v.inputs)


def quantized_value(im, v, q, etype: int) -> Act:
    """QuantizeLinear of a float section's value: its float32 tensor quantized onto grid `q`
    (tg_quantize_f32_s8: TFLite's AffineQuantize; onnxruntime rounds exact halves to even, TFLite
    away from zero, which a float32 result practically never is)."""
    f = float_value(im, v, im.tail_values)
    name = im.emit("requantize", "quantize", [f.name], im.graph.tensor(f.name).shape, qparams=q,
                   source=f"QuantizeLinear of {f.name}")
    return Act(name, v.tshape, etype)


def float_value(im, v, cache: dict) -> Act:
    """The float32 IR tensor of value `v` in importer `im`'s graph (an int8 activation dequantized,
    or a pending op run in float32 on its inputs' float values)."""
    if isinstance(v, View):
        v = v.src
    key = id(v)
    if key in cache:
        return cache[key]
    if isinstance(v, Act):
        t = im.graph.tensor(v.name)
        if t.dtype == "float32":
            return v
        if t.qparams.per_channel:
            raise im.unsupported(f"a float op reads {v.name!r}, which is quantized per channel; only a depthwise "
                                 "convolution reads such a tensor")
        out = Act(im.emit("requantize", "dequantize", [v.name], t.shape, source=f"DequantizeLinear {v.name}"),
                  v.tshape, FLOAT32)
    else:
        ins = [float_value(im, x, cache) for x in v.inputs]
        params = _float_params(v) if v.op in WEIGHT_CHANNEL_AXIS else dict(v.params)
        name = im.emit(v.op, v.prefix, [x.name for x in ins], ir_of(v.tshape), dict(v.attrs), params,
                       source=v.source)
        if v.activation is not None:
            lo, hi = v.activation
            name = im.emit("clamp", "clamp", [name], ir_of(v.tshape), {"lo": float(lo), "hi": float(hi)},
                           source=f"{v.source} (its activation)")
        out = Act(name, v.tshape, FLOAT32)
    cache[key] = out
    return out


def _float_params(p: Pending) -> dict:
    """A MAC op's real weights (DequantizeLinear of its integers, float32) and real bias."""
    w: IntWeight = p.params["weight"]
    axis = WEIGHT_CHANNEL_AXIS[p.op]
    shape = [1] * w.q.ndim
    if w.scale.size > 1:
        shape[axis] = -1
    real = (w.q.astype(np.float32) * w.scale.astype(np.float32).reshape(shape)).astype(np.float32)
    params = {"weight": real}
    if p.params.get("bias_real") is not None:
        params["bias"] = np.asarray(p.params["bias_real"], np.float32)
    elif p.params.get("bias") is not None:        # an int32 bias: its real values, as DequantizeLinear gives them
        params["bias"] = (np.asarray(p.params["bias"], np.float32) *
                          np.asarray(p.params["acc_scale"], np.float32)).astype(np.float32)
    return params


__all__ = ["FLOAT_TAIL_OPS", "float_made", "float_value", "quantized_value", "tail_of"]
