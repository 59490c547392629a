"""TFLite Micro's signal library on the f746zg stand-in: the first ops of its audio
preprocessor (SignalWindow, RESHAPE, SignalFftAutoScale, a 256-point SignalRfft, SignalEnergy)
and an int32 branch (CAST, SignalRfft and SignalIrfft in 32-bit fixed point) in one .tflite model; every layer the firmware computes equals the numpy reference byte for
byte and the outputs (the uint32 energies, the int32 shift, the int32 inverse) equal TensorFlow Lite Micro's
host interpreter (each op against TFLite Micro on the host: tests/frontend/test_tflite_signal.py)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from e2e import assert_device_equals_tflm
from signal_lib import RFFT_INT32, frames, front_end
from tflite_builder import ModelBuilder

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                 reason="the f746zg stand-in needs qemu-system-arm and arm-none-eabi-gcc")]


def test_tflite_signal_front_end_equal_tflm_on_f746zg_standin(tmp_path):
    tflm = pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    b = ModelBuilder("signal front end")
    inputs, outputs = front_end(b, np.random.default_rng(5))
    # an int32 branch: the scaled frame made int32, its 32-bit real FFT and the inverse
    wide, bins, back = b.tensor("wide", [200], "int32"), b.tensor("bins32", [258], "int32"), b.tensor("back", [256], "int32")
    scaled = next(k for k, t in enumerate(b.tensors) if t.name == "s")
    b.op("CAST", [scaled], [wide])
    b.op("CUSTOM:SignalRfft", [wide], [bins], custom_options={"T": RFFT_INT32, "fft_length": 256})
    b.op("CUSTOM:SignalIrfft", [bins], [back], custom_options={"T": RFFT_INT32, "fft_length": 256})
    data = b.finish(inputs, outputs + [back])
    path = tmp_path / "front_end.tflite"
    path.write_bytes(data)
    board = get_board("f746zg")
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features))
    assert sorted(n.kernel for n in graph.nodes if n.kernel) == sorted([
        "tg_signal_window_s16", "tg_signal_fft_auto_scale_shift_s16", "tg_signal_fft_auto_scale_s16",
        "tg_signal_rfft_s16", "tg_signal_energy_s16_u32", "tg_cast", "tg_signal_rfft_s32", "tg_signal_irfft_s32"])
    result = build(source, graph, board, tmp_path / "fw")
    interp = tflm.Interpreter.from_bytes(data, arena_size=1 << 20)
    xs = frames(np.random.default_rng(6), graph.tensor(graph.inputs[0]).shape, 6)
    with open_device(board, result.out_dir, emulate=True) as dev:
        for k, x in enumerate(xs):
            assert_device_equals_tflm(dev, graph, interp, x, f"frame {k}")
