"""Shared by the normalization and attention tests (tests/kernels/test_kernels_attention*.py,
tests/frontend/test_tflite_attention.py, tests/e2e/test_attention.py): one quantized IR node
of an op with given shapes and quantization, its kernel chosen as the compiler chooses it
(so its parameters are the compiler's), the same node as a TFLite operator in a .tflite
file (tests/tflite_builder.py) for TFLite Micro's host interpreter, and the small PyTorch
sequence models."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from hypothesis import strategies as st

from tflite_builder import ModelBuilder
from tflm_single_op import tflm_node_outputs as tflm_outputs  # noqa: F401  (TFLM on a list of input lists)
from tinygen.ir import Graph, Kind, Node, QParams, Tensor
from tinygen.passes.choose_kernels import choose_kernels
from tinygen.passes.quantize_norm import quantize_norm_node

# IR op -> (TFLite operator, its options table)
TFLITE = {"batch_matmul": ("BATCH_MATMUL", "BatchMatMulOptions"), "sub": ("SUB", "SubOptions"),
          "squared_difference": ("SQUARED_DIFFERENCE", None), "rsqrt": ("RSQRT", None),
          "transpose": ("TRANSPOSE", "TransposeOptions")}


def op_node(op: str, in_shapes, out_shape, qparams, attrs=None, params=None,
            features: frozenset = frozenset(), kernels: str = "tinygen"):
    """(graph, node) of one int8 node: inputs in0, in1, ... and output out, qparams a list of
    (scale, zero point) for the inputs then the output; params: float constants by role
    (a norm's gamma, beta: quantized as the compiler does), or int8 ones (an operand)."""
    g = Graph("op")
    for k, (shape, (scale, zp)) in enumerate(zip(in_shapes, qparams)):
        g.add_tensor(Tensor(f"in{k}", tuple(shape), "int8", Kind.INPUT, qparams=QParams(np.float32(scale), zp)))
        g.inputs.append(f"in{k}")
    scale, zp = qparams[-1]
    g.add_tensor(Tensor("out", tuple(out_shape), "int8", Kind.OUTPUT, qparams=QParams(np.float32(scale), zp)))
    g.outputs = ["out"]
    pset = {}
    for role, data in (params or {}).items():
        if isinstance(data, tuple):         # (int8 values, (scale, zero point)): an int8 constant
            values, (scale, zp) = data
            t = g.add_const(f"c_{role}", np.asarray(values, np.int8), "int8")
            t.qparams = QParams(np.float32(scale), zp)
        else:
            t = g.add_const(f"c_{role}", np.asarray(data, np.float32))
        pset[role] = t.name
    node = Node("n", op, list(g.inputs), ["out"], dict(attrs or {}), [pset])
    g.nodes.append(node)
    if op in ("layer_norm", "rms_norm"):
        quantize_norm_node(g, node)
    choose_kernels(g, features, kernels)
    return g, node


def tflite_op(op: str, in_shapes, out_shape, qparams, attrs=None, const_operand=None) -> bytes:
    """The same node as a .tflite model whose inputs are the node's activation inputs."""
    name, options = TFLITE[op]
    b = ModelBuilder(f"tinygen attention test: {op}")
    ids = [b.tensor(f"in{k}", list(s), scale=float(q[0]), zero_point=int(q[1]))
           for k, (s, q) in enumerate(zip(in_shapes, qparams))]
    out = b.tensor("out", list(out_shape), scale=float(qparams[-1][0]), zero_point=int(qparams[-1][1]))
    operands = list(ids)
    if const_operand is not None:
        values, (scale, zp) = const_operand
        operands.append(b.tensor("operand", list(np.shape(values)), scale=float(scale), zero_point=int(zp),
                                 data=np.asarray(values, np.int8)))
    attrs = attrs or {}
    fields = {}
    if op == "batch_matmul":
        fields = {"AdjX": bool(attrs["adj_x"]), "AdjY": bool(attrs["adj_y"])}
    elif op == "sub":
        fields = {"FusedActivationFunction": int(attrs.get("fused", 0))}
    elif op == "transpose":
        operands.append(b.tensor("perm", [len(attrs["perm"])], "int32", data=np.asarray(attrs["perm"], np.int32)))
    b.op(name, operands, [out], options, **fields)
    return b.finish(ids, [out])


def matmul_shapes(batch_a, batch_b, rows: int, cols: int, depth: int, adj_x: bool, adj_y: bool):
    """(lhs shape, rhs shape, output shape) of a batch matmul with these batch dims."""
    lhs = tuple(batch_a) + ((depth, rows) if adj_x else (rows, depth))
    rhs = tuple(batch_b) + ((cols, depth) if adj_y else (depth, cols))
    return lhs, rhs, tuple(np.broadcast_shapes(tuple(batch_a), tuple(batch_b))) + (rows, cols)


@st.composite
def matmul_case(draw, max_dim: int = 12):
    """(lhs batch dims, rhs batch dims, (rows, cols, depth), adj_x, adj_y): 0 to 3 batch dims,
    each operand's broadcast where drawn, the rhs of a lower rank sometimes."""
    rank = draw(st.integers(0, 3))
    batch = [draw(st.integers(1, 3)) for _ in range(rank)]
    batch_a = [n if draw(st.booleans()) else 1 for n in batch]
    batch_b = [n if draw(st.booleans()) else 1 for n in batch]
    if draw(st.booleans()):
        batch_b = batch_b[draw(st.integers(0, rank)):]
    dims = [draw(st.integers(1, max_dim)) for _ in range(3)]
    return batch_a, batch_b, dims, draw(st.booleans()), draw(st.booleans())


# -- PyTorch sequence models --------------------------------------------------------------------

class EncoderBlock(nn.Module):
    """A transformer encoder block: pre-norm LayerNorm, nn.MultiheadAttention, an MLP with ReLU,
    residuals. causal: the attention's is_causal with its mask; rms: nn.RMSNorm before the MLP."""

    def __init__(self, dim: int = 64, heads: int = 4, hidden: int = 128, causal: bool = False,
                 rms: bool = False, need_weights: bool = True):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.RMSNorm(dim) if rms else nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, dim))
        self.causal, self.need_weights = causal, need_weights

    def forward(self, x):
        y = self.norm1(x)
        if self.causal:
            mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
            a, _ = self.attn(y, y, y, attn_mask=mask, is_causal=True, need_weights=self.need_weights)
        else:
            a, _ = self.attn(y, y, y, need_weights=self.need_weights)
        x = x + a
        return x + self.mlp(self.norm2(x))


def seeded(module: nn.Module, seed: int = 0) -> nn.Module:
    """`module` with its parameters drawn again from a seeded generator (norms' gamma and beta
    away from 1 and 0, so that they matter)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("weight") and p.ndim == 1:
                p.copy_(1.0 + 0.3 * torch.randn(p.shape, generator=gen))
            elif p.ndim == 1:
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(torch.randn(p.shape, generator=gen) / p.shape[-1] ** 0.5)
    return module.eval()
