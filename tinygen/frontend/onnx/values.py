"""What an ONNX tensor is while the importer (tinygen/frontend/onnx/importer.py) walks the
graph: an activation in the IR, a constant, a quantized constant, a float view of a
quantized activation, or a node waiting for the quantization of its output.

In a float model every computed tensor is an `Act` (a float32 IR tensor). In a quantized
model (QDQ or QOperator) an `Act` is an int8 IR tensor on its grid (uint8 tensors become
int8: q - 128, zero point - 128, the same real values); DequantizeLinear of one is a
`View`, a float op between DequantizeLinear and QuantizeLinear is a `Pending` node (or,
for an elementwise function of one input, a `View` with that function), and
QuantizeLinear gives the pending node its output grid (tinygen/frontend/onnx/quantized.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from tinygen.frontend.layout import ir_shape
from tinygen.ir import QParams


@dataclass(frozen=True)
class Act:
    """An activation: the IR tensor's name and the shape the ONNX graph sees (NCHW for 4-D)."""
    name: str
    tshape: tuple[int, ...]
    etype: int = 1          # its ONNX element type (1 float, 2 uint8, 3 int8), for shape inference


@dataclass(frozen=True)
class Const:
    """A constant: an initializer, a Constant node's value or a value folded from them."""
    value: np.ndarray
    origin: str


@dataclass(frozen=True)
class QConst:
    """An integer constant with the quantization DequantizeLinear reads it with: real =
    (q - zero_point) * scale, per tensor or per slice along `axis`."""
    q: np.ndarray               # the integers as stored (int64)
    dtype: str                  # "int8", "uint8" or "int32"
    scale: np.ndarray           # float32, one or one per slice
    zero_point: np.ndarray      # int64, likewise
    axis: int | None
    origin: str

    def real(self) -> np.ndarray:
        """DequantizeLinear's float32 result."""
        shape = [1] * self.q.ndim
        if self.axis is not None and self.scale.size > 1:
            shape[self.axis] = -1
        s = self.scale.astype(np.float32).reshape(shape if self.scale.size > 1 else ())
        z = self.zero_point.reshape(shape if self.zero_point.size > 1 else ())
        return ((self.q - z).astype(np.float32) * s).astype(np.float32)


@dataclass(frozen=True)
class FloatInput:
    """A float32 model input of a quantized model, before its QuantizeLinear; `moves`: the
    nodes that only move, pick or pad its elements before that QuantizeLinear (a Flatten, a
    Pad, ...: (ONNX node, its other inputs, which output)), replayed on the int8 input port
    (quantizing commutes with them: tinygen/frontend/onnx/quantized.py)."""
    index: int
    name: str
    tshape: tuple[int, ...]             # the model input's own shape
    moves: tuple = ()

    def then(self, node, rest: list, output: int) -> "FloatInput":
        return FloatInput(self.index, self.name, self.tshape, self.moves + ((node, list(rest), output),))


@dataclass(frozen=True)
class View:
    """A float value computed element by element from one quantized activation `src`: its
    real values with `fns` applied in order (float32, as onnxruntime computes them between
    DequantizeLinear and QuantizeLinear). With no functions it is DequantizeLinear itself."""
    src: Act
    fns: tuple[tuple[str, Callable[[np.ndarray], np.ndarray]], ...] = ()

    @property
    def tshape(self) -> tuple[int, ...]:
        return self.src.tshape

    def then(self, what: str, fn: Callable[[np.ndarray], np.ndarray]) -> "View":
        return View(self.src, self.fns + ((what, fn),))


@dataclass
class Pending:
    """An IR node whose output waits for its grid (the QuantizeLinear after it, or a
    QLinear op's output scale and zero point). `inputs` are Acts or Pendings (a layout op
    on a pending node shares its grid); `params` as the op needs them: for the MAC ops
    the integer weight (IntWeight), the int32 bias and the accumulator's scale per channel."""
    op: str
    prefix: str
    inputs: list
    tshape: tuple[int, ...]
    attrs: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    source: str = ""
    activation: tuple[float, float] | None = None     # a fused clamp, in real units
    stage: str = "done"     # "acc": an int32 accumulator (ConvInteger) before Cast and its scale


@dataclass
class IntWeight:
    """A MAC op's integer weights, zero point removed, in the IR's layout, with the scale
    of each output channel (or one)."""
    q: np.ndarray            # int64, within int8
    scale: np.ndarray        # float32


def qparams_of(scale, zero_point, dtype: str) -> QParams:
    """The int8 IR grid of an ONNX tensor quantized with (scale, zero_point) as `dtype`:
    uint8 becomes int8 with the zero point moved by -128 (the same real values)."""
    zp = np.asarray(zero_point, np.int64).reshape(-1)
    if dtype == "uint8":
        zp = zp - 128
    return QParams(np.asarray(scale, np.float32).reshape(-1), zp)


def f32(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """A function on real values computed in float32 (as onnxruntime's float ops are)."""
    return lambda r: np.asarray(fn(np.asarray(r, np.float32)), np.float32)


def sigmoid_fn():
    return f32(lambda r: 1 / (1 + np.exp(-r)))


def leaky_relu_fn(alpha: float):
    a = np.float32(alpha)
    return f32(lambda r: np.where(r >= 0, r, r * a))


def grid_values(src: QParams, fns) -> np.ndarray:
    """The real values of the int8 inputs -128..127 on grid `src` (DequantizeLinear in float32)
    with `fns` applied in order."""
    real = (np.arange(-128, 128) - int(src.zero_point[0])).astype(np.float32) * np.float32(src.scale[0])
    for _, fn in fns:
        real = np.asarray(fn(real), np.float32)
    return real


class _Raw(tuple):
    """A shape given in the IR's own terms (not an ONNX NCHW shape to map)."""


def _raw(shape) -> "_Raw":
    return _Raw(int(d) for d in shape)


def ir_of(tshape) -> tuple[int, ...]:
    """The IR shape of a value's shape: an ONNX (NCHW) shape mapped, a _Raw one as it is."""
    return tuple(tshape) if isinstance(tshape, _Raw) else ir_shape(tshape)
