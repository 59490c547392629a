""".tflite float32 models run as they are, on the stand-ins: the f746zg (Cortex-M7, its
single-precision FPU) and the esp32-c3 (RISC-V, no FPU: soft float). Every layer the firmware
computes equals the numpy reference bit for bit, and the output equals TensorFlow Lite Micro's
float reference kernels (the cases: tests/tflite_op_cases.py's f32_*, against TFLM on the host
in tests/frontend/test_tflite_ops.py)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from e2e import assert_device_equals_reference, first_difference
from tflite_builder import ModelBuilder
from tflite_op_cases import CASES

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.session import input_bytes, split_outputs
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions

TOOLS = {"f746zg": ("arm-none-eabi-gcc", "qemu-system-arm"), "esp32-c3": ("riscv64-unknown-elf-gcc",
                                                                          "qemu-system-riscv32")}
F32_CASES = [name for name in CASES if name.startswith("f32_")]

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("board_name", list(TOOLS))
def test_tflite_f32_equal_tflm_on_standins(board_name, tmp_path):
    if any(shutil.which(t) is None for t in TOOLS[board_name]):
        pytest.skip(f"needs {' and '.join(TOOLS[board_name])} (make toolchain installs them)")
    tflm = pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    board = get_board(board_name)
    rng = np.random.default_rng(32)
    for name in F32_CASES:
        b = ModelBuilder(name)
        data = b.finish(*CASES[name].build(b, np.random.default_rng(len(name))))
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(data)
        source = load_source(path)
        graph = compile_source(source, options=CompileOptions(features=board.isa_features))
        assert [n.kernel for n in graph.nodes if n.kernel] == list(CASES[name].kernels)
        result = build(source, graph, board, tmp_path / name)
        interp = tflm.Interpreter.from_bytes(data, arena_size=1 << 20)
        shape = graph.tensor(graph.inputs[0]).shape
        with open_device(board, result.out_dir, emulate=True) as dev:
            for k in range(3):
                x = rng.normal(0, 2.0, shape).astype(np.float32)
                assert_device_equals_reference(dev, graph, x, f"{name}, sample {k}")
                interp.set_input(x, 0)
                interp.invoke()
                want = np.array(interp.get_output(0))
                got = split_outputs(graph, dev.run(input_bytes(x))[0])[0]
                assert np.array_equal(got.reshape(want.shape).view(np.uint32), want.view(np.uint32)), \
                    f"{name}, sample {k}: {first_difference(got, want)}"
