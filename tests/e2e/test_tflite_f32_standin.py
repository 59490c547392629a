""".tflite float32 models run as they are, on the stand-ins: the f746zg (Cortex-M7, its
single-precision FPU) and the esp32-c3 (RISC-V, no FPU: soft float). Every layer the firmware
computes equals the numpy reference bit for bit, and the output equals TensorFlow Lite Micro's
float reference kernels (the cases: tests/tflite_op_cases_wide.py's f32_*, against TFLM on the
host in tests/frontend/test_tflite_ops.py).

The kernels calling expf / tanhf (softmax, logistic, tanh, the LSTM) call the device's libm,
newlib, which rounds some results unlike the host's glibc that the tflite-micro package uses
(benchmarks/libm_agreement.py): on the f746zg they are checked against the reference computing
with the device's own expf and tanhf (tests/libm_probe.py), which is TFLite Micro's float
arithmetic with that libm, bit for bit; the float LSTM over a sequence, its state carried. The
esp32-c3 stand-in builds without a C library and takes only the cases without them (nor
RSQRT's sqrtf)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from e2e import assert_device_equals_reference, first_difference
from libm_probe import DeviceLibm
from tflite_builder import ModelBuilder
from tflite_op_cases import CASES
from tflite_float_cases import f32_lstm_model

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.session import input_bytes, split_outputs
from tinygen.hil.target import open_device
from tinygen.ir import RECURRENT_OPS
from tinygen.passes import CompileOptions
from tinygen.ref.float32_nonlinear import use_libm
from tinygen.ref.interpreter import run

TOOLS = {"f746zg": ("arm-none-eabi-gcc", "qemu-system-arm"), "esp32-c3": ("riscv64-unknown-elf-gcc",
                                                                          "qemu-system-riscv32")}
# the kernels calling the C library (sqrtf is correctly rounded in every libm: the host's values hold)
LIBM_KERNELS = frozenset({"tg_softmax_f32", "tg_logistic_f32", "tg_tanh_f32", "tg_lstm_f32", "tg_rsqrt_f32"})
# the float models, and one with integer ports (DEQUANTIZE from an int8 input, QUANTIZE into an int8 output)
# (the float math operators' cases run in one model of their own: tests/e2e/test_tflite_math2_standin.py)
F32_CASES = [name for name in CASES if name.startswith("f32_") and not name.startswith("f32_math_")] + ["s8_ends_f32_body"]
LIBM_CASES = [name for name in F32_CASES if LIBM_KERNELS & set(CASES[name].kernels)]

pytestmark = pytest.mark.slow


def _needs(board_name: str):
    if any(shutil.which(t) is None for t in TOOLS[board_name]):
        pytest.skip(f"needs {' and '.join(TOOLS[board_name])} (make toolchain installs them)")
    return pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")


def _sample(rng, dtype, shape) -> np.ndarray:
    """A float input around 0, or an integer one over the whole range (a float model's integer port)."""
    if np.issubdtype(dtype, np.integer):
        return rng.integers(np.iinfo(dtype).min, np.iinfo(dtype).max + 1, shape).astype(dtype)
    return rng.normal(0, 2.0, shape).astype(np.float32)


def _compiled(data: bytes, path, board):
    path.write_bytes(data)
    source = load_source(path)
    return source, compile_source(source, options=CompileOptions(features=board.isa_features))


@pytest.mark.parametrize("board_name", list(TOOLS))
def test_tflite_f32_equal_tflm_on_standins(board_name, tmp_path):
    tflm = _needs(board_name)
    board = get_board(board_name)
    rng = np.random.default_rng(32)
    for name in (n for n in F32_CASES if n not in LIBM_CASES):
        b = ModelBuilder(name)
        data = b.finish(*CASES[name].build(b, np.random.default_rng(len(name))))
        source, graph = _compiled(data, tmp_path / f"{name}.tflite", board)
        assert [n.kernel for n in graph.nodes if n.kernel] == list(CASES[name].kernels)
        result = build(source, graph, board, tmp_path / name)
        interp = tflm.Interpreter.from_bytes(data, arena_size=1 << 20)
        shape = graph.tensor(graph.inputs[0]).shape
        with open_device(board, result.out_dir, emulate=True) as dev:
            for k in range(3):
                x = _sample(rng, graph.tensor(graph.inputs[0]).np_dtype, shape)
                assert_device_equals_reference(dev, graph, x, f"{name}, sample {k}")
                interp.set_input(x, 0)
                interp.invoke()
                want = np.array(interp.get_output(0))
                got = split_outputs(graph, dev.run(input_bytes(x))[0])[0]
                assert np.array_equal(got.reshape(want.shape).view(np.uint8), want.view(np.uint8)), \
                    f"{name}, sample {k}: {first_difference(got, want)}"


def test_tflite_f32_libm_kernels_on_f746zg(tmp_path):
    """softmax, logistic, tanh, RSQRT and the float LSTM on the f746zg, with its newlib: every
    layer equals the reference computing with the device's expf / tanhf, invocation after
    invocation (the LSTM's state carried)."""
    _needs("f746zg")
    board = get_board("f746zg")
    libm = DeviceLibm(tmp_path / "libm")
    datas = {}
    for name in LIBM_CASES:
        b = ModelBuilder(name)
        datas[name] = b.finish(*CASES[name].build(b, np.random.default_rng(len(name))))
    datas["f32_lstm"] = f32_lstm_model(np.random.default_rng(5), 1, 6, 5, 8, 0.8)
    rng = np.random.default_rng(33)
    for name, data in datas.items():
        source, graph = _compiled(data, tmp_path / f"{name}.tflite", board)
        xs = [rng.normal(0, 3.0, graph.tensor(graph.inputs[0]).shape).astype(np.float32) for _ in range(3)]

        def reference():
            state: dict = {}
            return [run(graph, x, keep_all=True, state=state) for x in xs]
        with use_libm(libm.functions()):
            wants = libm.settle(reference)
        stateful = any(node.op in RECURRENT_OPS for node in graph.nodes)
        result = build(source, graph, board, tmp_path / name)
        with open_device(board, result.out_dir, emulate=True) as dev:
            for k, (x, want) in enumerate(zip(xs, wants)):
                got = split_outputs(graph, dev.run(input_bytes(x))[0])[0].ravel()
                ref = want[graph.outputs[0]].ravel()
                assert np.array_equal(got.view(np.uint32), ref.view(np.uint32)), \
                    f"{name}, sample {k}: {first_difference(ref, got)}"
                if stateful:        # the device's layer-out runs the layers again: the state would move on
                    continue
                for index, node in enumerate(n for n in graph.nodes if n.kernel):
                    layer = np.frombuffer(dev.layer_out(index), np.uint32)
                    assert np.array_equal(layer, want[node.outputs[0]].ravel().view(np.uint32)), \
                        f"{name}, sample {k}: layer {node.name} ({node.kernel})"
    assert libm.probe_runs > 0
