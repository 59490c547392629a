"""The IR validator (tinygen.ir.validate) on small hand-built graphs (tests/pass_lib.py)."""

from __future__ import annotations

import pytest

from pass_lib import CONV, POOL2, Builder
from tinygen.ir import Graph, IRValidationError, validate


# -- validate --------------------------------------------------------------------------------


def valid_graph() -> Graph:
    b = Builder()
    x = b.input((1, 4, 4, 2))
    c = b.op("conv2d", [x], (1, 4, 4, 3), name="conv", attrs=CONV, weight=b.rand(3, 3, 3, 2), bias=b.rand(3))
    return b.output(b.op("max_pool2d", [c], (1, 2, 2, 3), name="pool", out="output", attrs=POOL2))


def test_validate_accepts_a_valid_graph():
    validate(valid_graph())


def test_validate_rejects_unknown_op():
    g = valid_graph()
    g.nodes[1].op = "no_such_op"
    with pytest.raises(IRValidationError, match=r"node 'pool' \(no_such_op\): unknown op"):
        validate(g)


def test_validate_rejects_missing_attr():
    g = valid_graph()
    del g.nodes[0].attrs["stride"]
    with pytest.raises(IRValidationError, match="missing attribute 'stride'"):
        validate(g)


def test_validate_rejects_use_before_def():
    g = valid_graph()
    g.nodes.reverse()
    with pytest.raises(IRValidationError, match="input 'conv' used before it is produced"):
        validate(g)


def test_validate_rejects_duplicate_output():
    g = valid_graph()
    g.nodes[1].outputs = ["conv"]
    with pytest.raises(IRValidationError, match="output 'conv' is produced twice"):
        validate(g)


def test_validate_rejects_missing_const():
    g = valid_graph()
    del g.tensors["conv_weight"]
    with pytest.raises(IRValidationError, match="constant 'conv_weight' does not exist"):
        validate(g)


def test_validate_rejects_missing_weight_role():
    g = valid_graph()
    del g.nodes[0].params[0]["weight"]
    with pytest.raises(IRValidationError, match="lacks 'weight'"):
        validate(g)


def test_validate_rejects_constant_as_input():
    g = valid_graph()
    g.nodes[1].inputs = ["conv_bias"]
    with pytest.raises(IRValidationError, match="is a constant"):
        validate(g)


def test_validate_rejects_output_never_produced():
    g = valid_graph()
    g.outputs.append("nowhere")
    with pytest.raises(IRValidationError, match="'nowhere' is never produced"):
        validate(g)


def test_validate_lists_every_problem():
    g = valid_graph()
    del g.nodes[0].attrs["padding"]
    g.nodes[1].op = "no_such_op"
    with pytest.raises(IRValidationError) as info:
        validate(g)
    assert "missing attribute 'padding'" in str(info.value) and "unknown op" in str(info.value)
