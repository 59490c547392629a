"""Quantize the integer layer norms (layer_norm, rms_norm nodes; called by quantize.py):
gamma becomes int16 with one scale (its QParams), beta int32 on the grid gamma_scale *
2^-norm_shift (tinygen/quant/attention_params.py), so that tg_norm_s8.h computes
n * gamma + beta in int32 and requantizes it once to the output's grid."""

from __future__ import annotations

import numpy as np

from tinygen.ir import Graph, Node, QParams
from tinygen.quant.attention_params import norm_shift, quantize_beta, quantize_gamma

NORM_OPS = ("layer_norm", "rms_norm")


def quantize_norm_node(graph: Graph, node: Node) -> None:
    depth = graph.tensor(node.inputs[0]).shape[-1]
    shift = norm_shift(depth)
    for k, pset in enumerate(node.params):
        suffix = f"_s{k}" if len(node.params) > 1 else ""
        gamma, scale = quantize_gamma(graph.tensor(pset["gamma"]).data)
        qg = graph.add_const(graph.unique_name(f"{node.name}_gamma{suffix}"), gamma, "int16")
        qg.qparams = QParams(scale, np.zeros(1, np.int64))
        new = {"gamma": qg.name}
        if "beta" in pset:
            qb = graph.add_const(graph.unique_name(f"{node.name}_beta{suffix}"),
                                 quantize_beta(graph.tensor(pset["beta"]).data, scale, shift), "int32")
            qb.qparams = QParams(np.float32(float(scale) / (1 << shift)), np.zeros(1, np.int64))
            new["beta"] = qb.name
        node.params[k] = new
