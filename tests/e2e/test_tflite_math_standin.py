""".tflite comparing and magnitude operators on the f746zg stand-in: one model of ABS and ELU
(int8 tables), MAXIMUM / MINIMUM (int8 and int16, a broadcast constant), REDUCE_MAX / REDUCE_MIN,
ARG_MAX / ARG_MIN (int32 outputs), RESIZE_BILINEAR, L2_NORMALIZATION and the int16 ABS after a QUANTIZE to int16. Every layer the
firmware computes equals the numpy reference byte for byte, and the four outputs equal TensorFlow
Lite Micro's host interpreter (the single-operator cases against TFLite Micro on the host:
tests/frontend/test_tflite_ops.py, the math_* cases of tests/tflite_math_cases.py)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from e2e import assert_device_equals_tflm
from tflite_builder import ModelBuilder
from tflite_op_cases import act, int32s, s16

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                 reason="the f746zg stand-in needs qemu-system-arm and arm-none-eabi-gcc")]

KERNELS = ["tg_lut_s8", "tg_lut_s8", "tg_maximum_s8", "tg_minimum_s8", "tg_reduce_max_s8", "tg_reduce_min_s8",
           "tg_arg_max_s8_s32", "tg_arg_min_s8_s32", "tg_requantize_s8_s16", "tg_abs_s16", "tg_maximum_s16",
           "tg_minimum_s16", "tg_resize_bilinear_s8", "tg_l2_norm_s8"]


def math_model(rng) -> bytes:
    b = ModelBuilder("comparing and magnitude operators")
    shape = [1, 6, 8, 10]
    x, a, e, m = (act(b, rng, name, shape) for name in ("x", "abs", "elu", "larger"))
    n = act(b, rng, "bounded", shape)
    q = b.tensors[n]
    r = b.tensor("column_max", [1, 1, 8, 10], scale=q.scale, zero_point=q.zero_point)
    rm = b.tensor("row_min", [1, 6, 10], scale=q.scale, zero_point=q.zero_point)
    resized = b.tensor("resized", [1, 9, 5, 10], scale=q.scale, zero_point=q.zero_point)
    idx, idx2 = b.tensor("class", [1, 9, 5], "int32"), b.tensor("row_of_min", [1, 8, 10], "int32")
    r16, a16, m16, y16 = (s16(b, rng, name, [1, 1, 8, 10]) for name in ("wide", "wide_abs", "wide_max", "y"))
    bound = b.tensor("bound", [10], scale=0.05, zero_point=3, data=rng.integers(-90, 90, 10))
    bound16 = b.tensor("bound16", [1, 1, 1, 10], "int16", scale=1e-3, zero_point=0,
                       data=rng.integers(-20000, 20000, 10))
    b.op("ABS", [x], [a], "AbsOptions")
    b.op("ELU", [x], [e])
    b.op("MAXIMUM", [a, e], [m], "MaximumMinimumOptions")
    b.op("MINIMUM", [m, bound], [n], "MaximumMinimumOptions")
    b.op("REDUCE_MAX", [n, int32s(b, "rows", [1])], [r], "ReducerOptions", KeepDims=True)
    b.op("REDUCE_MIN", [n, int32s(b, "columns", [2])], [rm], "ReducerOptions", KeepDims=False)
    b.op("RESIZE_BILINEAR", [n, int32s(b, "size", [9, 5])], [resized], "ResizeBilinearOptions", HalfPixelCenters=True)
    b.op("ARG_MAX", [resized, int32s(b, "channels", [3])], [idx], "ArgMaxOptions", OutputType=2)
    unit = b.tensor("unit", shape, scale=1 / 128, zero_point=0)
    b.op("L2_NORMALIZATION", [n], [unit], "L2NormOptions")
    b.op("ARG_MIN", [unit, int32s(b, "rows_axis", [1])], [idx2], "ArgMinOptions", OutputType=2)
    b.op("QUANTIZE", [r], [r16])
    b.op("ABS", [r16], [a16], "AbsOptions")
    b.op("MAXIMUM", [a16, r16], [m16], "MaximumMinimumOptions")
    b.op("MINIMUM", [bound16, m16], [y16], "MaximumMinimumOptions")
    return b.finish([x], [y16, idx, rm, idx2])


def test_tflite_math_equal_tflm_on_f746zg_standin(tmp_path):
    tflm = pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    rng = np.random.default_rng(45)
    data = math_model(rng)
    path = tmp_path / "math.tflite"
    path.write_bytes(data)
    board = get_board("f746zg")
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features))
    assert [graph.tensor(t).dtype for t in graph.inputs + graph.outputs] == ["int8", "int16", "int32", "int8", "int32"]
    assert sorted(n.kernel for n in graph.nodes if n.kernel) == sorted(KERNELS)     # in the order the planner runs them
    result = build(source, graph, board, tmp_path / "fw")
    interp = tflm.Interpreter.from_bytes(data, arena_size=1 << 20)
    shape = graph.tensor(graph.inputs[0]).shape
    xs = [rng.integers(-128, 128, shape).astype(np.int8),
          np.clip(np.rint(rng.normal(0, 30, shape)), -128, 127).astype(np.int8),
          rng.integers(-3, 3, shape).astype(np.int8)]           # ties for the arg and reduce ops
    with open_device(board, result.out_dir, emulate=True) as dev:
        for k, x in enumerate(xs):
            assert_device_equals_tflm(dev, graph, interp, x, f"sample {k}")
