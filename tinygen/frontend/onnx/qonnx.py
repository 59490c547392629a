"""QONNX: the `Quant`, `BipolarQuant` and `Trunc` nodes of the qonnx.custom_op.general domain
(what Brevitas' `export_qonnx` writes) onto tinygen.nn's low-bit layers.

The graph stays a float graph (calibrated where nothing quantizes it), as a tinygen.nn model's:

- `Quant` / `BipolarQuant` of a constant (weights) is a `QuantWeight`: the integer codes
  q = clip(round(w / scale) + zero point) (ROUND: half to even, as qonnx executes it), their
  scale and bit width; `BipolarQuant` gives +1 / -1 (w >= 0 is +1);
- `Quant` / `BipolarQuant` of an activation leaves it as it is and notes its grid (scale, zero
  point, bit width, signedness) in `Importer.grids`: the layer reading it quantizes on it;
- a Conv / Gemm / MatMul whose weights are a `QuantWeight` becomes a low-bit layer
  (attrs["lowbit"], as tinygen/frontend/torch_layers.py's `_lowbit`): its weights at their width
  (1-bit binary, 2- / 4-bit packed, up to 8 bits int8), its input the grid its input was put on;
  a binary grid's scale joins the weight scales (the inputs are +1 / -1);
- `Trunc` (an average pool's truncation to fewer bits) passes its input on: tinygen rounds the
  average to the nearest code of its reader's grid, where qonnx truncates (one code at most).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinygen.errors import ModelError
from tinygen.frontend.onnx import ops_conv  # noqa: F401  (registers the MAC handlers wrapped below)
from tinygen.frontend.onnx import reader
from tinygen.frontend.onnx.importer import HANDLERS, Importer, register
from tinygen.frontend.onnx.values import Const
from tinygen.frontend.quant_grid import Grid, code_range, lowbit_config
from tinygen.ir import QParams
from tinygen.quant.spec import WEIGHT_CHANNEL_AXIS

DOMAIN = reader.QONNX_DOMAIN
MAC_OPS = ("Conv", "Gemm", "MatMul")


@dataclass(frozen=True)
class QuantWeight(Const):
    """Quantized weights: `value` their real values (float32), `ints` the integer codes
    (zero point 0, the ONNX layout), `scale` one or per output channel, `bits` their width."""
    ints: np.ndarray | None = None
    scale: np.ndarray | None = None
    bits: int = 8


def _scalar_int(im: Importer, v, what: str) -> int:
    c = np.asarray(im.const(v, what), np.float64).reshape(-1)
    if c.size != 1 or c[0] != round(c[0]):
        raise im.unsupported(f"its {what} is {c.tolist()[:4]}; tinygen takes one integer")
    return int(c[0])


@register("Quant", DOMAIN)
def quant(im: Importer, node, ins):
    a = reader.attrs(node)
    signed, narrow = bool(int(a.get("signed", 1))), bool(int(a.get("narrow", 0)))
    mode = a.get("rounding_mode", "ROUND")
    mode = mode.decode() if isinstance(mode, bytes) else str(mode)
    scale = np.asarray(im.const(ins[1], "scale"), np.float32)
    zp = np.asarray(im.const(ins[2], "zero point"), np.float64)
    bits = _scalar_int(im, ins[3], "bit width")
    if isinstance(ins[0], Const):                   # weights
        if np.any(zp != 0):
            raise im.unsupported("its weights have a zero point; tinygen's weights are symmetric")
        if mode.upper() != "ROUND":
            raise im.unsupported(f"weights rounded with {mode}; tinygen reads ROUND (half to even)")
        lo, hi = code_range(bits, signed, narrow)
        q = np.clip(np.rint(ins[0].value.astype(np.float32) / scale), lo, hi).astype(np.int64)
        return QuantWeight((q * scale).astype(np.float32), ins[0].origin, q, scale, bits)
    x = _own_grid(im, im.act(ins[0]))
    if scale.size != 1 or zp.size != 1:
        raise im.unsupported("an activation quantized per channel; tinygen's inputs have one scale")
    im.grids[x.name] = Grid(float(scale.reshape(-1)[0]), int(zp.reshape(-1)[0]), bits, signed)
    return x


# ops whose output shares its input's grid in tinygen (ir.ops same_qparams) but not in value range
_AVERAGING = ("avg_pool2d", "concat")


def _own_grid(im: Importer, x):
    """x, or a requantize of it where x is an average (through views) of a tensor that tinygen
    quantizes: the grid a Quant gives the average (Brevitas' QuantIdentity after a global pooling)
    must not become the pooled tensor's too (its values range wider, e.g. a residual sum)."""
    node = im.graph.producer(x.name)
    while node is not None and node.op in ("reshape", "transpose"):
        node = im.graph.producer(node.inputs[0])
    if node is None or node.op not in _AVERAGING:
        return x
    return im.node_value("requantize", "quant", [x], x.tshape)


@register("BipolarQuant", DOMAIN)
def bipolar_quant(im: Importer, node, ins):
    scale = np.asarray(im.const(ins[1], "scale"), np.float32)
    if isinstance(ins[0], Const):
        q = np.where(ins[0].value >= 0, 1, -1).astype(np.int64)
        return QuantWeight((q * scale).astype(np.float32), ins[0].origin, q, scale, 1)
    x = im.act(ins[0])
    if scale.size != 1:
        raise im.unsupported("binary activations with a scale per channel; tinygen's have one scale")
    im.grids[x.name] = Grid(float(scale.reshape(-1)[0]), 0, 1, True)
    return x


@register("Trunc", DOMAIN)
def trunc(im: Importer, node, ins):
    return im.act(ins[0])


def _mac_node(im: Importer, name: str):
    """The IR MAC node whose output `name` is (through the reshapes a fully connected layer
    may get)."""
    node = im.graph.producer(name)
    while node is not None and node.op not in WEIGHT_CHANNEL_AXIS:
        node = im.graph.producer(node.inputs[0]) if node.inputs else None
    return node


def _lowbit(handler):
    """A MAC handler whose node becomes a low-bit layer where its weights are a QuantWeight."""
    def wrapped(im: Importer, node, ins):
        out = handler(im, node, ins)
        w = ins[1] if len(ins) > 1 else None
        if not isinstance(w, QuantWeight):
            return out
        mac = _mac_node(im, out.name)
        grid = im.grids.get(mac.inputs[0]) or im.grids.get(getattr(ins[0], "name", ""))
        if grid is None:
            raise im.unsupported("its input is not quantized (no Quant before it), so it would run in float",
                                 "quantize the layer's input (Brevitas: a QuantIdentity / QuantReLU before it)")
        try:
            cfg = lowbit_config(grid, w.bits, mac.op)
        except ModelError as e:
            raise im.unsupported(e.message, e.hint) from None
        channels = mac.attrs.get("depth_multiplier") and im.graph.tensor(mac.param("weight")).shape[3]
        channels = channels or im.graph.tensor(mac.param("weight")).shape[WEIGHT_CHANNEL_AXIS[mac.op]]
        scale = np.broadcast_to(w.scale.astype(np.float64).reshape(-1), (channels,))
        if cfg["act"]["kind"] == "binary":
            scale = scale * grid.scale
        mac.attrs["lowbit"] = {**cfg, "fine_bias": True}     # a float bias: finer than acc units
        wt = im.graph.tensor(mac.param("weight"))
        axis = WEIGHT_CHANNEL_AXIS[mac.op]
        shape = [1] * wt.data.ndim
        shape[axis] = -1
        wt.data = (np.rint(wt.data.astype(np.float64) / np.broadcast_to(w.scale.astype(np.float64).reshape(-1),
                                                                        (channels,)).reshape(shape))
                   * scale.reshape(shape)).astype(np.float32)
        wt.qparams = QParams(scale.astype(np.float32), np.zeros(channels, np.int64), axis=axis)
        wt.bits = cfg["weight"]["bits"]
        return out
    return wrapped


for _op in MAC_OPS:
    HANDLERS[("", _op)] = _lowbit(HANDLERS[("", _op)])

__all__ = ["DOMAIN", "QuantWeight"]
