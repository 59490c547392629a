"""The float32 interpreter's normalization and attention ops (tinygen/ref/float_interp.py):
layer and RMS norm, batch matmul, rsqrt, sub, squared difference, mean over any axes, and
the softmax with its causal mask. Arrays carry a leading batch dimension N in place of the
graph's batch of 1, as everywhere in the float interpreter."""

from __future__ import annotations

import numpy as np


def layer_norm(g, node, ins):
    x = ins[0].astype(np.float64)
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    y = (x - mean) / np.sqrt(var + float(node.attrs["eps"]))
    return (y * g.const(node, "gamma") + g.const(node, "beta")).astype(np.float32)


def rms_norm(g, node, ins):
    x = ins[0].astype(np.float64)
    y = x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + float(node.attrs["eps"]))
    return (y * g.const(node, "gamma")).astype(np.float32)


def _matrices(x: np.ndarray, rank: int, adjoint: bool) -> np.ndarray:
    """An operand at `rank` dims (batch axis first, 1s inserted after it), transposed if adjoint."""
    if x.ndim < rank:
        x = x.reshape(x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:])
    return np.swapaxes(x, -1, -2) if adjoint else x


def batch_matmul(g, node, ins):
    rank = max(a.ndim for a in ins)
    lhs = _matrices(ins[0], rank, bool(node.attrs["adj_x"]))
    rhs = _matrices(ins[1], rank, bool(node.attrs["adj_y"]))
    out = np.matmul(lhs.astype(np.float64), rhs.astype(np.float64)) * float(node.attrs.get("alpha", 1.0))
    return out.astype(np.float32)


def rsqrt(g, node, ins):
    return (1.0 / np.sqrt(np.maximum(ins[0].astype(np.float64), np.finfo(np.float32).tiny))).astype(np.float32)


def _operands(g, node, ins):
    operand = g.const(node, "operand")
    return (ins[0], ins[1]) if operand is None else (ins[0], operand.astype(np.float32))


def sub(g, node, ins):
    a, b = _operands(g, node, ins)
    return a - b


def squared_difference(g, node, ins):
    a, b = _operands(g, node, ins)
    return (a - b) * (a - b)


def mean(g, node, ins):
    return ins[0].mean(axis=tuple(node.attrs["axes"]), keepdims=bool(node.attrs["keep_dims"]))


def softmax(x: np.ndarray, axis: int, beta: float, causal: bool = False) -> np.ndarray:
    """softmax(beta * x) over `axis`; causal (over the last axis): row i of each [T, S]
    matrix keeps columns j <= i, the others are 0."""
    z = x * np.float32(beta)
    if causal:
        rows, cols = x.shape[-2], x.shape[-1]
        z = np.where(np.arange(cols)[None, :] > np.arange(rows)[:, None], -np.inf, z)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


OPS = {"layer_norm": layer_norm, "rms_norm": rms_norm, "batch_matmul": batch_matmul, "rsqrt": rsqrt,
       "sub": sub, "squared_difference": squared_difference, "mean": mean}
