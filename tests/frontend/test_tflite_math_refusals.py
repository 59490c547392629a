"""Refusals of the comparing and magnitude operators where TFLite Micro refuses them too: one
line naming the operator and saying so (tinygen/frontend/tflite/ops_math.py, reader.TFLM_NO_INT16)."""

from __future__ import annotations

import numpy as np
import pytest
from tflite_builder import ModelBuilder
from tflite_op_cases import int32s

from tinygen.compiler import compile_source, load_source
from tinygen.errors import ModelError, UnsupportedOpError


def _refusal(tmp_path, b: ModelBuilder, x: int, y: int) -> str:
    path = tmp_path / "m.tflite"
    path.write_bytes(b.finish([x], [y]))
    with pytest.raises((ModelError, UnsupportedOpError)) as e:
        compile_source(load_source(path))
    return str(e.value)


def test_tflite_elu_s16_refused_as_tflm_refuses(tmp_path):
    b = ModelBuilder()
    x, y = (b.tensor(n, [1, 4, 4, 3], "int16", scale=1e-3, zero_point=0) for n in ("x", "y"))
    b.op("ELU", [x], [y])
    message = _refusal(tmp_path, b, x, y)
    assert "ELU" in message and "TFLite Micro runs no ELU" in message


def test_tflite_arg_max_int64_refused_as_tflm_refuses(tmp_path):
    b = ModelBuilder()
    x = b.tensor("x", [1, 4, 4, 3], scale=0.05, zero_point=0)
    y = b.tensor("y", [1, 4, 4], "int64")
    b.op("ARG_MAX", [x, int32s(b, "axis", [3])], [y], "ArgMaxOptions", OutputType=4)
    message = _refusal(tmp_path, b, x, y)
    assert "ARG_MAX (operator 0) with an INT64 output" in message and "TFLite Micro runs it on INT32 only" in message


def test_tflite_reduce_max_two_grids_refused_as_tflm_refuses(tmp_path):
    b = ModelBuilder()
    x = b.tensor("x", [1, 4, 4, 3], scale=0.05, zero_point=0)
    y = b.tensor("y", [1, 1, 1, 3], scale=0.1, zero_point=0)
    b.op("REDUCE_MAX", [x, int32s(b, "axes", np.array([1, 2]))], [y], "ReducerOptions", KeepDims=True)
    assert "TFLite Micro requires one grid" in _refusal(tmp_path, b, x, y)


def test_tflite_l2_pool_s8_refused_as_tflm_refuses(tmp_path):
    """TFLite Micro's L2_POOL_2D is float32 only ("L2_POOL_2D only supports float32 currently")."""
    b = ModelBuilder()
    x = b.tensor("x", [1, 4, 4, 3], scale=0.05, zero_point=0)
    y = b.tensor("y", [1, 2, 2, 3], scale=0.05, zero_point=0)
    b.op("L2_POOL_2D", [x], [y], "Pool2DOptions", StrideH=2, StrideW=2, FilterHeight=2, FilterWidth=2)
    message = _refusal(tmp_path, b, x, y)
    assert "L2_POOL_2D of INT8" in message and "TFLite Micro runs it on FLOAT32 only" in message
    assert "\n" not in message
