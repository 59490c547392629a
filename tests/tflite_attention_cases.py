"""Synthetic int8 .tflite models of the normalization and attention operators, one builder
per case (tests/tflite_builder.py), registered in CASES with the kernels tinygen must choose
for them; test_tflite_attention.py runs them through tinygen and TFLite Micro. Each model has
one input (tinygen's .tflite frontend compiles one-input models), so second operands are
computed from it; RSQRT reads values at or above its zero point (TFLite Micro refuses to run
on values below it).
"""

from __future__ import annotations

import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType as Act

from tflite_op_cases import Case, act, const, int32s

CASES: dict[str, Case] = {}


def case(name: str, *kernels: str):
    def register(fn):
        CASES[name] = Case(name, fn, kernels)
        return fn
    return register


def _layer_norm(b, rng, x, shape, name: str):
    """The layer norm TFLite's converter writes out: MEAN, SQUARED_DIFFERENCE, MEAN, ADD eps, RSQRT,
    SUB, MUL, MUL gamma, ADD beta."""
    row = shape[:-1] + [1]
    mean = act(b, rng, f"{name}_mean", row)
    sq = act(b, rng, f"{name}_sq", shape, scale=0.05, zp=-128)
    var = act(b, rng, f"{name}_var", row, scale=0.02, zp=-128)
    eps = b.tensor(f"{name}_eps", [1], scale=1e-5, zero_point=-128, data=np.array([-127], np.int8))
    var_eps = act(b, rng, f"{name}_var_eps", row, scale=0.02, zp=-128)
    rstd = act(b, rng, f"{name}_rstd", row, scale=0.05, zp=-128)
    centered = act(b, rng, f"{name}_centered", shape)
    normed = act(b, rng, f"{name}_normed", shape, scale=0.03, zp=0)
    gamma = const(b, rng, f"{name}_gamma", [shape[-1]])
    scaled = act(b, rng, f"{name}_scaled", shape)
    beta = const(b, rng, f"{name}_beta", [shape[-1]])
    y = act(b, rng, f"{name}_y", shape)
    axis = int32s(b, f"{name}_axis", [len(shape) - 1])
    b.op("MEAN", [x, axis], [mean], "ReducerOptions", KeepDims=True)
    b.op("SQUARED_DIFFERENCE", [x, mean], [sq])
    b.op("MEAN", [sq, axis], [var], "ReducerOptions", KeepDims=True)
    b.op("ADD", [var, eps], [var_eps], "AddOptions", FusedActivationFunction=Act.NONE)
    b.op("RSQRT", [var_eps], [rstd])
    b.op("SUB", [x, mean], [centered], "SubOptions", FusedActivationFunction=Act.NONE)
    b.op("MUL", [centered, rstd], [normed], "MulOptions", FusedActivationFunction=Act.NONE)
    b.op("MUL", [normed, gamma], [scaled], "MulOptions", FusedActivationFunction=Act.NONE)
    b.op("ADD", [scaled, beta], [y], "AddOptions", FusedActivationFunction=Act.NONE)
    return y


_LAYER_NORM = ("tg_mean_s8", "tg_squared_difference_s8", "tg_mean_s8", "tg_add_broadcast_s8", "tg_rsqrt_s8",
               "tg_sub_s8", "tg_mul_s8", "tg_mul_s8", "tg_add_broadcast_s8")


@case("layer_norm_decomposed", *_LAYER_NORM)
def _(b, rng):
    x = act(b, rng, "x", [1, 8, 16])
    return [x], [_layer_norm(b, rng, x, [1, 8, 16], "ln")]


@case("layer_norm_decomposed_4d", *_LAYER_NORM)
def _(b, rng):
    x = act(b, rng, "x", [1, 3, 5, 24])
    return [x], [_layer_norm(b, rng, x, [1, 3, 5, 24], "ln")]


@case("attention_scores", "tg_batch_matmul_s8", "tg_softmax_s8", "tg_batch_matmul_s8")
def _(b, rng):
    """softmax(x @ x^T) @ x: BATCH_MATMUL with adj_y, SOFTMAX over the last axis, BATCH_MATMUL."""
    x = act(b, rng, "x", [1, 8, 16])
    scores = act(b, rng, "scores", [1, 8, 8], scale=0.5)
    probs = act(b, rng, "probs", [1, 8, 8], scale=1 / 256, zp=-128)
    y = act(b, rng, "y", [1, 8, 16])
    b.op("BATCH_MATMUL", [x, x], [scores], "BatchMatMulOptions", AdjX=False, AdjY=True)
    b.op("SOFTMAX", [scores], [probs], "SoftmaxOptions", Beta=1.0)
    b.op("BATCH_MATMUL", [probs, x], [y], "BatchMatMulOptions", AdjX=False, AdjY=False)
    return [x], [y]


@case("attention_heads", "tg_transpose_s8", "tg_batch_matmul_s8", "tg_softmax_s8", "tg_batch_matmul_s8",
      "tg_transpose_s8")
def _(b, rng):
    """Two heads: [1, T, H, Dh] transposed to [1, H, T, Dh], the scores, the weighted values, back."""
    x = act(b, rng, "x", [1, 6, 2, 8])
    q = b.tensors[x]
    heads = b.tensor("heads", [1, 2, 6, 8], scale=q.scale, zero_point=q.zero_point)
    scores = act(b, rng, "scores", [1, 2, 6, 6], scale=0.4)
    probs = act(b, rng, "probs", [1, 2, 6, 6], scale=1 / 256, zp=-128)
    ctx = act(b, rng, "ctx", [1, 2, 6, 8])
    y = b.tensor("y", [1, 6, 2, 8], scale=b.tensors[ctx].scale, zero_point=b.tensors[ctx].zero_point)
    perm = int32s(b, "perm", [0, 2, 1, 3])
    b.op("TRANSPOSE", [x, perm], [heads], "TransposeOptions")
    b.op("BATCH_MATMUL", [heads, heads], [scores], "BatchMatMulOptions", AdjX=False, AdjY=True)
    b.op("SOFTMAX", [scores], [probs], "SoftmaxOptions", Beta=1.0)
    b.op("BATCH_MATMUL", [probs, heads], [ctx], "BatchMatMulOptions", AdjX=False, AdjY=False)
    b.op("TRANSPOSE", [ctx, perm], [y], "TransposeOptions")
    return [x], [y]


@case("batch_matmul_adj_x", "tg_batch_matmul_s8")
def _(b, rng):
    """x^T @ x over a batch of 3: lhs adjoint, rhs as stored."""
    x = act(b, rng, "x", [3, 5, 4])
    y = act(b, rng, "y", [3, 4, 4], scale=0.3)
    b.op("BATCH_MATMUL", [x, x], [y], "BatchMatMulOptions", AdjX=True, AdjY=False)
    return [x], [y]


@case("sub_const_relu", "tg_sub_s8")
def _(b, rng):
    x, c = act(b, rng, "x", [1, 4, 6]), const(b, rng, "c", [6])
    y = act(b, rng, "y", [1, 4, 6])
    b.op("SUB", [x, c], [y], "SubOptions", FusedActivationFunction=Act.RELU)
    return [x], [y]


@case("squared_difference_const", "tg_squared_difference_s8")
def _(b, rng):
    x, c = act(b, rng, "x", [1, 3, 7]), const(b, rng, "c", [1, 3, 1])
    y = act(b, rng, "y", [1, 3, 7], scale=0.2, zp=-128)
    b.op("SQUARED_DIFFERENCE", [x, c], [y])
    return [x], [y]


@case("rsqrt_after_relu", "tg_requantize_s8", "tg_rsqrt_s8")
def _(b, rng):
    x = act(b, rng, "x", [1, 4, 32])
    r = act(b, rng, "r", [1, 4, 32], scale=0.01, zp=-128)
    y = act(b, rng, "y", [1, 4, 32], scale=0.1, zp=-100)
    b.op("RELU", [x], [r])
    b.op("RSQRT", [r], [y])
    return [x], [y]


@case("transpose_5d", "tg_transpose_s8")
def _(b, rng):
    """A rank-5 transpose whose moving dims merge into 3."""
    x = act(b, rng, "x", [2, 3, 4, 5, 1])
    q = b.tensors[x]
    y = b.tensor("y", [4, 5, 2, 3, 1], scale=q.scale, zero_point=q.zero_point)
    b.op("TRANSPOSE", [x, int32s(b, "perm", [2, 3, 0, 1, 4])], [y], "TransposeOptions")
    return [x], [y]
