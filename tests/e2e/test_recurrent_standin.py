"""Recurrent layers on the stand-ins (f746zg: mps2-an500, f446re: mps2-an386, esp32-c3:
riscv32 virt): a keyword-spotter-like model (an LSTM and a GRU over one frame per inference,
built with --stateful) streams frame after frame and equals the numpy reference, whose state
carries over the same way; `tg reset` starts the sequence over on the device as
tg_model_reset_state() does; a .tflite LSTM and SVDF equal TensorFlow Lite Micro on the f746zg
stand-in invocation after invocation."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from e2e import first_difference
from tflite_recurrent_cases import assert_device_equals_tflm, lstm_model, svdf_model
from torch import nn
from torch_models import compile_module

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import run

FEATURES, HIDDEN = 10, 16
TOOLS = {"f746zg": ("arm-none-eabi-gcc", "qemu-system-arm"), "f446re": ("arm-none-eabi-gcc", "qemu-system-arm"),
         "esp32-c3": ("riscv64-unknown-elf-gcc", "qemu-system-riscv32")}


def _needs(board: str):
    return pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS[board]),
                              reason=f"needs {' and '.join(TOOLS[board])} (make toolchain installs them)")


class Spotter(nn.Module):
    """One frame [1, 1, FEATURES] per inference: LSTM -> GRU -> scores."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(FEATURES, HIDDEN, batch_first=True)
        self.gru = nn.GRU(HIDDEN, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, 4)

    def forward(self, x):
        return self.head(self.gru(self.lstm(x)[0])[0][:, -1])


def _stream(dev, graph, frames, state) -> None:
    for k, x in enumerate(frames):
        want = run(graph, x, state=state, keep_all=True)
        raw, _ = dev.run(x.tobytes())
        got = np.frombuffer(raw, np.int8)
        out = want[graph.outputs[0]].ravel()
        assert np.array_equal(got, out), f"frame {k}: {first_difference(out, got)}"


@pytest.mark.slow
@pytest.mark.parametrize("board", [pytest.param(b, marks=_needs(b)) for b in TOOLS])
def test_stateful_recurrent_streams_bit_exact_on_standin(board, tmp_path):
    torch.manual_seed(3)
    rng = np.random.default_rng(3)
    calib = rng.standard_normal((64, 1, FEATURES)).astype(np.float32)
    b = get_board(board)
    source, graph = compile_module(Spotter().eval(), calib, "spotter",
                                   CompileOptions(features=b.isa_features, stateful=True))
    assert all(n.attrs["kparams"]["stateful"] for n in graph.nodes if n.op in ("lstm", "gru"))
    result = build(source, graph, b, tmp_path / "fw")
    size = graph.tensor(graph.inputs[0]).size
    frames = [rng.integers(-128, 128, size, dtype=np.int8) for _ in range(6)]
    with open_device(b, result.out_dir, emulate=True) as dev:
        state: dict = {}
        _stream(dev, graph, frames, state)
        assert dev.reset_state() == (graph.meta["memory"].state_bytes, True)
        _stream(dev, graph, frames[:3], {})           # after tg reset: a new sequence
        outs = [dev.run(frames[0].tobytes())[0] for _ in range(2)]
        assert outs[0] != outs[1], "the same frame twice gave the same scores: no state carried over"


@pytest.mark.slow
@_needs("f746zg")
def test_tflite_lstm_svdf_equal_tflm_on_f746zg_standin(tmp_path):
    pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    b = get_board("f746zg")
    rng = np.random.default_rng(21)
    for name, data in (("lstm", lstm_model(rng, 1, 5, 12, 9)), ("svdf", svdf_model(rng, 1, 20, 6, 2, 8))):
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(data)
        source = load_source(path)
        graph = compile_source(source, options=CompileOptions(features=b.isa_features))
        result = build(source, graph, b, tmp_path / name)
        shape = graph.tensor(graph.inputs[0]).shape
        xs = [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(5)]
        with open_device(b, result.out_dir, emulate=True) as dev:
            assert_device_equals_tflm(dev, data, xs, name)
