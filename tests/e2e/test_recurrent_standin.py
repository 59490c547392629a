"""Recurrent layers on the stand-ins (f746zg: mps2-an500, f446re: mps2-an386, esp32-c3:
riscv32 virt): a keyword-spotter-like model (an LSTM and a GRU over one frame per inference,
built with --stateful) streams frame after frame and equals the numpy reference, whose state
carries over the same way; `tg reset` starts the sequence over on the device as
tg_model_reset_state() does; a .tflite LSTM and SVDF equal TensorFlow Lite Micro on the f746zg
stand-in invocation after invocation, and so does a chain of the wider kinds (int8-state SVDFs, one
through CMSIS-NN's arm_svdf_s8 where a CMSIS-NN tree is configured, and a 16x8 LSTM, through
arm_lstm_unidirectional_s16 there), every layer equal to the numpy reference."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
import torch
from e2e import _bytes, first_difference
from tflite_recurrent_cases import (assert_device_equals_tflm, lstm_model, recurrent_chain_model, svdf_model,
                                    tflm_sequence)
from torch import nn
from torch_models import compile_module

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.target import open_device
from tinygen.kernels.cmsis_nn_tree import ENV as CMSIS_NN_ENV
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


@pytest.mark.slow
@_needs("f746zg")
def test_tflite_svdf_s8_state_and_lstm_s16_chain_on_f746zg_standin(tmp_path):
    """keyword_scrambled's int8-state SVDF (state zero points -23 and 0) and TFLite Micro's 16x8 LSTM
    after a QUANTIZE to int16, five frames: every layer equals the reference, whose state carries
    over as the device's, and the int16 scores equal TFLite Micro's."""
    pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    b = get_board("f746zg")
    tree = os.environ.get(CMSIS_NN_ENV)
    rng = np.random.default_rng(5)
    data = recurrent_chain_model(rng)
    path = tmp_path / "chain.tflite"
    path.write_bytes(data)
    source = load_source(path)
    options = CompileOptions(features=b.isa_features, kernels="cmsis-nn" if tree else "tinygen", cmsis_nn=tree)
    graph = compile_source(source, options=options)
    kernels = [n.kernel for n in graph.nodes if n.kernel]
    assert kernels == ["tg_svdf_s8_s8", "tg_svdf_s8_s8_cmsis_nn" if tree else "tg_svdf_s8_s8",
                       "tg_requantize_s8_s16", "tg_lstm_s16_cmsis_nn" if tree else "tg_lstm_s16"]
    result = build(source, graph, b, tmp_path / "fw")
    xs = [rng.integers(-128, 128, (1, 24)).astype(np.int8) for _ in range(5)]
    want = tflm_sequence(data, xs)
    state: dict = {}
    with open_device(b, result.out_dir, emulate=True) as dev:
        for k, x in enumerate(xs):
            ref = run(graph, x, state=state)[graph.outputs[0]].ravel()
            got = np.frombuffer(dev.run(x.tobytes())[0], np.int16)
            assert np.array_equal(ref, want[k].ravel()), f"frame {k}: the reference differs from TFLM"
            assert np.array_equal(got, want[k].ravel()), f"frame {k} vs TFLM: {first_difference(want[k].ravel(), got)}"
        # layer by layer on the last frame: `tg layer-out` runs the layers up to the one it shows (their
        # state moves on), so each starts from the state the frames before leave
        state = {}
        for x in xs[:-1]:
            run(graph, x, state=state)
        layers = run(graph, xs[-1], state=state, keep_all=True)
        for index, node in enumerate(n for n in graph.nodes if n.kernel):
            dev.reset_state()
            for x in xs[:-1]:
                dev.run(x.tobytes())
            dev.upload(xs[-1].tobytes())
            got = np.frombuffer(dev.layer_out(index), np.int8)
            expected = _bytes(layers[node.outputs[0]])
            assert np.array_equal(got, expected), \
                f"layer {node.name} ({node.kernel}): {first_difference(expected, got)}"
