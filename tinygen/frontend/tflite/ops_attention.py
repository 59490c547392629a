"""TFLite operator handlers for normalization and attention on int8 tensors: BATCH_MATMUL
(both operands activations, adj_x / adj_y), SUB and SQUARED_DIFFERENCE (numpy broadcasting,
the second operand may be a constant), RSQRT and TRANSPOSE, with TFLite Micro's arithmetic
(tinygen.quant.attention_params). A layer norm a converter decomposed arrives as MEAN,
SQUARED_DIFFERENCE, ADD, RSQRT, SUB and MUL, each computed as TFLM computes it."""

from __future__ import annotations

import numpy as np
import tflite

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.builder import Builder
from tinygen.ir import Kind, Node, Tensor

TRANSPOSE_RANK = 4      # dimensions of tg_transpose_s8 (after merging dims that move together)


class AttentionOps(Builder):
    """op_batch_matmul, op_sub, op_squared_difference, op_rsqrt, op_transpose."""

    def op_batch_matmul(self, i, op, ins, out, source):
        opts = self.options(op, tflite.BatchMatMulOptions)
        if len(ins) != 2:
            raise ModelError(f"{self.where}has {len(ins)} inputs, expected 2")
        if any(self.is_const(k) for k in ins):
            raise UnsupportedOpError(f"{self.where}a constant operand; tinygen's BATCH_MATMUL multiplies two "
                                     "activations", "write a product with constant weights as FULLY_CONNECTED")
        lhs, rhs = (self.activation(k) for k in ins)
        a, b = (self.graph.tensors[t].shape for t in (lhs, rhs))
        if not (2 <= len(a) <= 5 and 2 <= len(b) <= 5):
            raise ModelError(f"{self.where}operands of ranks {len(a)} and {len(b)}; BATCH_MATMUL takes 2 to 5")
        adj_x, adj_y = bool(opts.AdjX()), bool(opts.AdjY())
        rows, depth = (a[-1], a[-2]) if adj_x else (a[-2], a[-1])
        cols, rdepth = (b[-2], b[-1]) if adj_y else (b[-1], b[-2])
        try:
            batch = tuple(np.broadcast_shapes(a[:-2], b[:-2]))
        except ValueError:
            batch = None
        if depth != rdepth or batch is None:
            raise ModelError(f"{self.where}operands {list(a)} and {list(b)} (adj_x={adj_x}, adj_y={adj_y}) "
                             "do not multiply")
        return self.add_node(i, "batch_matmul", [lhs, rhs], out, {"adj_x": adj_x, "adj_y": adj_y}, {}, source,
                             batch + (rows, cols))

    def _pair(self, i, opname: str, ins, out, source, fused=None) -> Node:
        """SUB, SQUARED_DIFFERENCE: two int8 operands with numpy broadcasting; the second may be a constant."""
        if len(ins) != 2:
            raise ModelError(f"{self.where}has {len(ins)} inputs, expected 2")
        if self.is_const(ins[0]):
            raise UnsupportedOpError(f"{self.where}the first operand is a constant",
                                     "tinygen takes the constant as the second operand only")
        x = self.activation(ins[0])
        name = f"{opname}_{i}"
        params, inputs = {}, [x]
        if self.is_const(ins[1]):
            params["operand"] = self.const(ins[1], name, "operand", self.graph.tensors[x].dtype)
            self.graph.tensors[params["operand"]].qparams = self.qparams(ins[1])
        else:
            inputs.append(self.activation(ins[1]))
        shapes = [self.graph.tensors[t].shape for t in inputs + list(params.values())]
        try:
            shape = tuple(np.broadcast_shapes(*shapes))
        except ValueError:
            raise ModelError(f"{self.where}operands of shapes {list(shapes[0])} and {list(shapes[1])} "
                             "do not broadcast") from None
        return self.add_node(i, opname, inputs, out, {}, params, source, shape, fused)

    def op_sub(self, i, op, ins, out, source):
        opts = self.options(op, tflite.SubOptions)
        return self._pair(i, "sub", ins, out, source, opts.FusedActivationFunction())

    def op_squared_difference(self, i, op, ins, out, source):
        return self._pair(i, "squared_difference", ins, out, source)

    def op_rsqrt(self, i, op, ins, out, source):
        x = self.activation(ins[0])
        return self.add_node(i, "rsqrt", [x], out, {}, {}, source, self.graph.tensors[x].shape)

    def op_transpose(self, i, op, ins, out, source):
        x = self.activation(ins[0])
        shape = self.graph.tensors[x].shape
        perm = tuple(int(p) for p in self.int_const(ins[1], "perm").reshape(-1))
        if sorted(perm) != list(range(len(shape))):
            raise ModelError(f"{self.where}perm {list(perm)} is not a permutation of {len(shape)} dims")
        out_shape = tuple(shape[p] for p in perm)
        kept = [p for p in perm if shape[p] != 1]
        if kept == sorted(kept):            # moves no data: the same bytes
            return self._alias(f"transpose_{i}", x, out, source)
        if len(shape) <= TRANSPOSE_RANK:
            return self.add_node(i, "transpose", [x], out, {"perm": perm}, {}, source, out_shape)
        merged = _merged(shape, perm)
        if merged is None:
            raise UnsupportedOpError(f"{self.where}a transpose of {len(shape)} dims that moves more than "
                                     f"{TRANSPOSE_RANK} groups of them")
        shape, perm = merged
        x = self._reshape(i, x, shape, source)
        moved = self.graph.unique_name(f"transpose_{i}")
        self.graph.add_tensor(Tensor(moved, tuple(shape[p] for p in perm), self.graph.tensors[x].dtype, Kind.ACTIVATION,
                                     qparams=self.qparams(out)))
        self.graph.nodes.append(Node(moved, "transpose", [x], [moved], {"perm": perm}, [{}], source))
        return self._alias(f"transpose_{i}", moved, out, source)


def _merged(shape, perm) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """(shape, perm) of the same transpose with the dims of size 1 dropped and those that stay
    adjacent merged, where that leaves at most TRANSPOSE_RANK dims."""
    dims = [d for d in range(len(shape)) if shape[d] != 1]
    order = [p for p in perm if shape[p] != 1]
    groups: list[list[int]] = []
    for p in order:
        if groups and groups[-1][-1] + 1 == p:
            groups[-1].append(p)
        else:
            groups.append([p])
    if len(groups) > TRANSPOSE_RANK or not dims:
        return None
    by_input = sorted(groups)
    new_shape = tuple(int(np.prod([shape[d] for d in g])) for g in by_input)
    return new_shape, tuple(by_input.index(g) for g in groups)
