"""passes/tabulate.py: every int8 table op (logistic, tanh, GELU, hard sigmoid) and every
PReLU with one slope gets its 256-entry table from its quantization; a PReLU with a slope per
channel gets none; the kernels chosen read it; a quantization the fixed-point arithmetic
cannot take is one clear error naming the node."""

from __future__ import annotations

import numpy as np
import pytest

from tinygen.errors import UnsupportedOpError
from tinygen.ir import Graph, Kind, Node, QParams, Tensor
from tinygen.kernels.lut import lookup_table, prelu_table
from tinygen.passes.choose_kernels import choose_kernels
from tinygen.passes.tabulate import tabulate


def _graph(op: str, attrs=None, alpha=None, in_scale=0.05) -> Graph:
    g = Graph("t")
    g.add_tensor(Tensor("x", (1, 4, 4, 3), "int8", Kind.INPUT, qparams=QParams(np.float32(in_scale), -3)))
    g.add_tensor(Tensor("y", (1, 4, 4, 3), "int8", Kind.OUTPUT, qparams=QParams(np.float32(1 / 128), 0)))
    params = {}
    if alpha is not None:
        a = g.add_const("alpha", np.asarray(alpha, np.int8), "int8")
        a.qparams = QParams(np.float32(0.01), 4)
        params["alpha"] = "alpha"
    g.nodes.append(Node("n", op, ["x"], ["y"], dict(attrs or {}), [params]))
    g.inputs, g.outputs = ["x"], ["y"]
    return g


@pytest.mark.parametrize("op, attrs", [("logistic", {}), ("tanh", {}), ("gelu", {"approximate": True}),
                                       ("hard_sigmoid", {})])
def test_table_ops_get_their_table(op, attrs):
    g = tabulate(_graph(op, attrs))
    node = g.nodes[0]
    want = lookup_table(op, (np.float32(0.05), -3), (np.float32(1 / 128), 0), attrs)
    assert np.array_equal(g.tensor(node.param("table")).data, want)
    assert choose_kernels(g).nodes[0].kernel == "tg_lut_s8"


def test_prelu_one_slope_is_tabulated_per_channel_is_not():
    g = tabulate(_graph("prelu", alpha=np.full((1, 1, 1, 1), 37)))
    node = g.nodes[0]
    want = prelu_table((np.float32(0.05), -3), (np.float32(0.01), 4), 37, (np.float32(1 / 128), 0))
    assert np.array_equal(g.tensor(node.param("table")).data, want)
    assert choose_kernels(g).nodes[0].kernel == "tg_lut_s8"
    g = tabulate(_graph("prelu", alpha=np.arange(3).reshape(1, 1, 1, 3)))
    assert g.nodes[0].param("table") is None
    assert choose_kernels(g).nodes[0].kernel == "tg_prelu_s8"


def test_tabulating_again_replaces_the_table():
    g = tabulate(tabulate(_graph("tanh")))
    tables = [t for t in g.tensors if t.endswith("_table") or "_table_" in t]
    assert len(tables) == 1


def test_scale_too_small_for_the_fixed_point_is_refused():
    with pytest.raises(UnsupportedOpError, match=r"n \(\): tanh input scale .* too small"):
        tabulate(_graph("tanh", in_scale=1e-9))
