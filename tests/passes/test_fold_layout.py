"""passes/fold_layout.py: the element map of any transpose is factored back into the
smallest transpose that makes it; chains of layout nodes become one transpose or a reshape."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tinygen.ir import Graph, Kind, Node, Tensor
from tinygen.passes.fold_layout import factor_transpose, fold_layout


@pytest.mark.parametrize("shape", [(2, 3, 4), (3, 1, 5, 2), (4, 4), (2, 3, 2, 3)])
def test_factor_transpose_reproduces_every_permutation(shape):
    for perm in itertools.permutations(range(len(shape))):
        index = np.arange(int(np.prod(shape))).reshape(shape).transpose(perm).ravel()
        found = factor_transpose(index)
        assert found is not None, (shape, perm)
        in_shape, p = found
        assert np.array_equal(np.arange(index.size).reshape(in_shape).transpose(p).ravel(), index)
        assert len(in_shape) <= len([d for d in shape if d > 1]) or len(in_shape) == 1


def test_factor_transpose_of_the_identity_is_one_dimension():
    assert factor_transpose(np.arange(24)) == ((24,), (0,))


def test_factor_transpose_refuses_a_map_no_transpose_makes():
    assert factor_transpose(np.array([0, 2, 1, 3, 5, 4])) is None


def _graph(chain):
    """input [1, 4, 4, 6] -> the given (op, shape, attrs) nodes -> output."""
    g = Graph(name="g")
    g.add_tensor(Tensor("input", (1, 4, 4, 6), "float32", Kind.INPUT))
    g.inputs = ["input"]
    cur = "input"
    for k, (op, shape, attrs) in enumerate(chain):
        name = "output" if k == len(chain) - 1 else f"t{k}"
        g.add_tensor(Tensor(name, shape, "float32", Kind.OUTPUT if name == "output" else Kind.ACTIVATION))
        g.nodes.append(Node(name, op, [cur], [name], attrs))
        cur = name
    g.outputs = ["output"]
    return g


def test_channel_shuffle_chain_becomes_one_transpose():
    """NHWC -> NCHW, view [1, 2, 3, 4, 4], swap the group axes, view back, NCHW -> NHWC."""
    g = _graph([("transpose", (1, 6, 4, 4), {"perm": (0, 3, 1, 2)}), ("reshape", (1, 2, 3, 4, 4), {}),
                ("transpose", (1, 3, 2, 4, 4), {"perm": (0, 2, 1, 3, 4)}), ("reshape", (1, 6, 4, 4), {}),
                ("transpose", (1, 4, 4, 6), {"perm": (0, 2, 3, 1)})])
    x = np.random.default_rng(0).standard_normal((1, 4, 4, 6)).astype(np.float32)
    want = (x.transpose(0, 3, 1, 2).reshape(1, 2, 3, 4, 4).transpose(0, 2, 1, 3, 4).reshape(1, 6, 4, 4)
            .transpose(0, 2, 3, 1))
    fold_layout(g)
    assert [n.op for n in g.nodes] == ["reshape", "transpose", "reshape"]
    assert g.nodes[1].attrs["perm"] == (0, 1, 3, 2) and g.tensor(g.nodes[1].inputs[0]).shape == (1, 16, 2, 3)
    from tinygen.ref.float_interp import run_float
    assert np.array_equal(run_float(g, x)["output"], want)


def test_a_chain_that_moves_nothing_becomes_a_reshape():
    g = _graph([("transpose", (1, 6, 4, 4), {"perm": (0, 3, 1, 2)}), ("transpose", (1, 4, 4, 6), {"perm": (0, 2, 3, 1)})])
    fold_layout(g)
    assert [n.op for n in g.nodes] == ["reshape"] and g.nodes[0].outputs == ["output"]
