""".tflite comparisons and selection with bool tensors on the f746zg stand-in: int8 in, GREATER
and LESS against constants (per channel, broadcast row), LOGICAL_AND / NOT / OR, EQUAL of bools,
SELECT_V2 between the input and a constant fill; an int8 and a bool output. Every layer the firmware
computes equals the numpy reference byte for byte, and both outputs equal TensorFlow Lite Micro's
host interpreter (the single-operator cases: tests/tflite_select_cases.py, against TFLite Micro on
the host in tests/frontend/test_tflite_ops.py)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from e2e import assert_device_equals_tflm
from tflite_builder import ModelBuilder
from tflite_op_cases import act, const

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                 reason="the f746zg stand-in needs qemu-system-arm and arm-none-eabi-gcc")]

# in the order tinygen schedules them (the select as soon as its operands are there)
KERNELS = ["tg_compare_s8", "tg_compare_s8", "tg_logical_bool", "tg_select", "tg_logical_bool", "tg_logical_bool",
           "tg_compare_bool"]


def gate_model(rng) -> bytes:
    """x kept where lo <= x < hi (lo per channel, hi per column), a fill per channel elsewhere."""
    b = ModelBuilder("comparisons and selection")
    shape = [1, 4, 5, 8]
    x = act(b, rng, "x", shape, scale=0.05, zp=-6)
    q = b.tensors[x]
    above, below, inside, outside, either, same = (b.tensor(n, shape, "bool") for n in
                                                   ("above", "below", "inside", "outside", "either", "same"))
    b.op("GREATER_EQUAL", [x, const(b, rng, "lo", [8])], [above])
    b.op("LESS", [x, const(b, rng, "hi", [1, 1, 5, 1])], [below])
    b.op("LOGICAL_AND", [above, below], [inside])
    b.op("LOGICAL_NOT", [inside], [outside])
    b.op("LOGICAL_OR", [outside, b.tensor("row", [8], "bool", data=rng.random(8) < 0.3)], [either])
    b.op("EQUAL", [either, above], [same])
    fill = b.tensor("fill", [8], scale=q.scale, zero_point=q.zero_point, data=rng.integers(-128, 128, 8))
    y = b.tensor("y", shape, scale=q.scale, zero_point=q.zero_point)
    b.op("SELECT_V2", [inside, x, fill], [y])
    return b.finish([x], [y, same])


def test_tflite_select_equal_tflm_on_f746zg_standin(tmp_path):
    tflm = pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    rng = np.random.default_rng(45)
    data = gate_model(rng)
    path = tmp_path / "gate.tflite"
    path.write_bytes(data)
    board = get_board("f746zg")
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features))
    assert [graph.tensor(n).dtype for n in graph.inputs + graph.outputs] == ["int8", "int8", "bool"]
    assert [n.kernel for n in graph.nodes if n.kernel] == KERNELS
    result = build(source, graph, board, tmp_path / "fw")
    interp = tflm.Interpreter.from_bytes(data, arena_size=1 << 20)
    shape = graph.tensor(graph.inputs[0]).shape
    xs = [rng.integers(-128, 128, shape).astype(np.int8), np.clip(rng.normal(-6, 30, shape), -128, 127).astype(np.int8)]
    with open_device(board, result.out_dir, emulate=True) as dev:
        for k, x in enumerate(xs):
            outputs = assert_device_equals_tflm(dev, graph, interp, x, f"sample {k}")
            # the outputs have teeth: some values kept, some filled; the bools both ways
            assert 0 < np.sum(outputs[0].ravel() == x.ravel()) < x.size and 0 < outputs[1].sum() < x.size
