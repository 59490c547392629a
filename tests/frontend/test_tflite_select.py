"""Comparisons and selection refused where TFLite Micro refuses them (or computes nothing
defined), in one line naming the op and the type; the cases tinygen runs are in
tests/tflite_select_cases.py (checked against TFLite Micro by test_tflite_ops.py)."""

from __future__ import annotations

import numpy as np
import pytest
from tflite_builder import ModelBuilder

from tinygen.compiler import compile_source, load_source
from tinygen.errors import ModelError, UnsupportedOpError

tflm = pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")


def one_op(op: str, dtype: str, out_dtype: str = "bool") -> tuple[bytes, list[np.ndarray]]:
    """op of an input and a constant of `dtype`; the input and its value."""
    b = ModelBuilder()
    q = {"int16": dict(scale=0.01, zero_point=0)}.get(dtype, {})
    x = b.tensor("x", [6], dtype, **q)
    c = b.tensor("c", [6], dtype, data=np.arange(6).astype(dtype), **q)
    y = b.tensor("y", [6], out_dtype, **(q if out_dtype != "bool" else {}))
    b.op(op, [x, c], [y])
    return b.finish([x], [y]), [np.arange(6)[::-1].astype(dtype)]


def tflm_refuses(data: bytes, xs) -> bool:
    try:
        interp = tflm.Interpreter.from_bytes(data)
        for k, x in enumerate(xs):
            interp.set_input(x, k)
        interp.invoke()
    except RuntimeError:
        return True
    return False


@pytest.mark.parametrize("op, dtype, error, match", [
    # TFLM: "Type INT16 (7) not supported."
    ("LESS", "int16", ModelError, r"LESS \(operator 0\); TFLite Micro runs no LESS with int16 activations either"),
    ("GREATER_EQUAL", "int16", ModelError, r"runs no GREATER_EQUAL with int16"),
    # TFLM runs it, rescaling with parameters it never sets (tinygen.frontend.tflite.reader.TFLM_NO_INT16)
    ("GREATER", "int16", ModelError, r"runs no GREATER with int16"),
    ("LESS_EQUAL", "bool", UnsupportedOpError, "LESS_EQUAL of BOOL.*EQUAL and NOT_EQUAL only"),
])
def test_compare_refused_in_one_line(op, dtype, error, match, tmp_path):
    data, xs = one_op(op, dtype)
    if op != "GREATER":
        assert tflm_refuses(data, xs)
    (tmp_path / "m.tflite").write_bytes(data)
    with pytest.raises(error, match=match) as err:
        compile_source(load_source(tmp_path / "m.tflite"))
    assert "\n" not in err.value.args[0]


def test_select_int32_refused_as_tflm_refuses_it(tmp_path):
    b = ModelBuilder()
    cond, x = b.tensor("cond", [4], "bool"), b.tensor("x", [4], "int32")
    y = b.tensor("y", [4], "int32")
    b.op("SELECT_V2", [cond, x, b.tensor("fill", [4], "int32", data=np.zeros(4))], [y])
    data = b.finish([cond, x], [y])
    assert tflm_refuses(data, [np.array([1, 0, 1, 0], bool), np.arange(4, dtype=np.int32)])
    (tmp_path / "m.tflite").write_bytes(data)
    with pytest.raises(UnsupportedOpError, match="SELECT_V2 of INT32: TFLite Micro selects INT8, INT16 and FLOAT32"):
        compile_source(load_source(tmp_path / "m.tflite"))


def test_control_flow_refused_in_one_line_naming_it(tmp_path):
    """IF / WHILE and resource variables: refused with the other unsupported ops, the hint naming them."""
    b = ModelBuilder()
    x, y = b.tensor("x", [4], scale=0.1), b.tensor("y", [4], scale=0.1)
    b.op("WHILE", [x], [y], "WhileOptions", CondSubgraphIndex=1, BodySubgraphIndex=2)
    (tmp_path / "m.tflite").write_bytes(b.finish([x], [y]))
    with pytest.raises(UnsupportedOpError, match=r"operator 0 \(WHILE, output tensor 'y'\) is not supported") as err:
        compile_source(load_source(tmp_path / "m.tflite"))
    assert "\n" not in err.value.args[0] and "WHILE run other subgraphs" in str(err.value)
