"""QuantizeLinear and DequantizeLinear (a QDQ model, Brevitas' QCDQ export): a QuantizeLinear of a
constant is its integers (a QConst), of an activation that value on its grid (quantized.py's
value_on: the int8 nodes a pending node or a View becomes), of the float model input the int8
input port; a DequantizeLinear of integers is a QConst, of an activation a View of it on its own
grid. How onnxruntime's arithmetic maps onto tinygen's kernels: tinygen/frontend/onnx/quantized.py."""

from __future__ import annotations

import numpy as np

from tinygen.errors import ModelError
from tinygen.frontend.layout import ir_shape
from tinygen.frontend.onnx import reader
from tinygen.frontend.onnx.builder import const_array
from tinygen.frontend.onnx.importer import Importer, register
from tinygen.frontend.onnx.quantized import ETYPE, channel_grid, grid, value_on
from tinygen.frontend.onnx.values import Act, Const, FloatInput, QConst, View, qparams_of
from tinygen.ir import Kind, QParams, Tensor
from tinygen.quant.check_params import scale_problem


# -- QuantizeLinear, DequantizeLinear -------------------------------------------------------------

def _qspec(im: Importer, node, ins, axis_default: int = 1):
    """(scale, zero point, dtype, axis) of a QuantizeLinear / DequantizeLinear."""
    scale = np.asarray(im.const(ins[1], "scale"), np.float32)
    zp_v = ins[2] if len(ins) > 2 else None
    if zp_v is None:
        zp, dtype = np.zeros(scale.shape, np.int64), "uint8"
    else:
        arr = const_array(zp_v)
        dtype = str(arr.dtype)
        zp = arr.astype(np.int64)
    if dtype not in ("uint8", "int8", "int32"):
        raise im.unsupported(f"{dtype} quantization; tinygen takes int8 and uint8 (int32 for biases)")
    if scale.size > 1 and int(reader.attrs(node).get("block_size", 0)):
        raise im.unsupported("blocked quantization")
    problem = scale_problem(scale)
    if problem:
        raise ModelError(f"{im.filename}: {im.where()} has {problem}")
    return scale, zp, dtype, int(reader.attrs(node).get("axis", axis_default))


@register("QuantizeLinear")
def quantize_linear(im: Importer, node, ins):
    scale, zp, dtype, axis = _qspec(im, node, ins)
    v = ins[0]
    if isinstance(v, (Const, QConst)):
        real = np.asarray(const_array(v, real=True), np.float32)
        shape = [1] * real.ndim
        if scale.size > 1:
            shape[axis % real.ndim] = -1
        lo, hi = (0, 255) if dtype == "uint8" else ((-128, 127) if dtype == "int8" else (-2 ** 31, 2 ** 31 - 1))
        qv = np.clip(np.rint(real / scale.reshape(shape if scale.size > 1 else ())) +
                     zp.reshape(shape if zp.size > 1 else ()), lo, hi).astype(np.int64)
        return QConst(qv, dtype, scale.reshape(-1), zp.reshape(-1), axis % max(real.ndim, 1), f"{node.output[0]!r}")
    if scale.size > 1:
        return channel_grid(im, v, scale, zp, dtype, axis)
    if dtype == "int32":
        raise im.unsupported("an activation quantized to int32")
    q = qparams_of(scale, zp, dtype)
    if isinstance(v, FloatInput):
        return _input_port(im, v, q, dtype)
    return value_on(im, v, q, ETYPE[dtype])


def _input_port(im: Importer, v: FloatInput, q: QParams, dtype: str) -> Act:
    """The int8 input port of float input `v`, on grid `q`, and the moves between the input and
    this QuantizeLinear replayed on it (a Flatten, a constant Pad: quantizing commutes with
    them; a Pad's real value is quantized on `q`, as onnxruntime pads, then quantizes)."""
    port = im.float_inputs.get(v.index)
    if port is not None:
        if not im.graph.tensor(port.name).qparams.same_as(q):
            raise im.unsupported(f"the float input {v.name!r} is quantized twice, with "
                                 f"{im.graph.tensor(port.name).qparams!r} and {q!r}")
    else:
        im.graph.add_tensor(Tensor(v.name, ir_shape(v.tshape), "int8", Kind.INPUT, qparams=q))
        port = Act(v.name, v.tshape, ETYPE[dtype])
        im.float_inputs[v.index] = port
    value = port
    for node, rest, output in v.moves:
        value = im.act(im.replay(node, [View(value)] + rest, output))
    return value


@register("DequantizeLinear")
def dequantize_linear(im: Importer, node, ins):
    v = ins[0]
    if isinstance(v, (Const, QConst)):
        arr = const_array(v)
        scale, zp, _, axis = _qspec(im, node, ins)
        dtype = str(arr.dtype)
        if dtype not in ("uint8", "int8", "int32"):
            raise im.unsupported(f"DequantizeLinear of {dtype} constants")
        return QConst(arr.astype(np.int64), dtype, scale.reshape(-1), zp.reshape(-1),
                      axis % max(arr.ndim, 1) if arr.ndim else None, f"initializer {node.input[0]!r}",
                      getattr(v, "bits", None))
    scale, zp, dtype, _ = _qspec(im, node, ins)
    if not isinstance(v, Act):
        raise im.unsupported("DequantizeLinear of a value that is not a quantized activation")
    return View(on_grid(im, v, scale, zp, dtype))


def averaged_input(im: Importer, v):
    """The input of an average (GlobalAveragePool, AveragePool, ReduceMean) that onnxruntime
    computes in float on a float function of a quantized tensor: its QOperator form has no
    quantized HardSwish, and quantize_static averages the HardSwish's float output (a
    squeeze-excite's pooling) while a QuantizeLinear of the same tensor feeds the other
    readers. tinygen takes the function by table onto that QuantizeLinear's grid, then averages:
    each value off by half a step at most, and the errors average out over the window."""
    if not (im.quant and isinstance(v, View) and v.fns):
        return v
    name = im.node.input[0]
    for n in im.model.graph.node:
        if n.op_type != "QuantizeLinear" or n.input[0] != name or n.domain not in reader.DEFAULT_DOMAINS:
            continue
        ins = [None] + [im.env.get(x) if x else None for x in n.input[1:]]
        if not isinstance(ins[1], (Const, QConst)) or (len(ins) > 2 and not isinstance(ins[2], (Const, QConst))):
            continue
        scale, zp, dtype, _ = _qspec(im, n, ins)
        if scale.size == 1 and dtype in ETYPE:
            return value_on(im, v, qparams_of(scale, zp, dtype), ETYPE[dtype])
    return v


def on_grid(im: Importer, x: Act, scale, zp, dtype: str) -> Act:
    """x, which the node reads with (scale, zero point): it must be x's own grid."""
    q = qparams_of(scale, zp, dtype)
    if scale.size != 1:
        q = QParams(q.scale, q.zero_point, axis=3)
        if not im.graph.tensor(x.name).qparams.same_as(q):
            raise im.unsupported("an activation dequantized per channel with other scales than it was quantized "
                                 "with")
        return x
    if not grid(im, x).same_as(q):
        raise im.unsupported(f"it reads {im.node.input[0]!r} with {q!r}, but that tensor is quantized with "
                             f"{grid(im, x)!r}")
    return x
