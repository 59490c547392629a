"""ONNX Gelu (opset 20): tinygen's gelu op in a float model (TFLite's GELU arithmetic once
tinygen quantizes it: approximate 'none' is the erf form, 'tanh' the tanh form), a table in a
quantized one (a float op between DequantizeLinear and QuantizeLinear, computed in float32 as
onnxruntime computes it, up to its own erf and tanh)."""

from __future__ import annotations

import math

import numpy as np

from tinygen.frontend.onnx import reader
from tinygen.frontend.onnx.importer import Importer, register
from tinygen.frontend.onnx.ops_nn import _unary
from tinygen.frontend.onnx.values import f32

_ERF = np.frompyfunc(math.erf, 1, 1)


def gelu_fn(tanh: bool):
    """GELU of real values in float32: 0.5 x (1 + erf(x / sqrt 2)), or its tanh form."""
    def fn(r: np.ndarray) -> np.ndarray:
        x = np.asarray(r, np.float64)
        if tanh:
            inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)
            return 0.5 * x * (1.0 + np.tanh(inner))
        return 0.5 * x * (1.0 + _ERF(x / math.sqrt(2.0)).astype(np.float64))
    return f32(fn)


@register("Gelu")
def gelu(im: Importer, node, ins):
    approximate = reader.attrs(node).get("approximate", "none")
    approximate = approximate.decode() if isinstance(approximate, bytes) else str(approximate)
    if approximate not in ("none", "tanh"):
        raise im.unsupported(f"Gelu with approximate={approximate!r}; tinygen takes 'none' and 'tanh'")
    tanh = approximate == "tanh"
    return _unary(im, ins[0], "Gelu", gelu_fn(tanh),
                  lambda x: im.node_value("gelu", "gelu", [x], x.tshape, {"approximate": tanh}))
