"""The recurrent layers' RV32IM kernels (tg_lstm_s8_rv32, tg_gru_s8_rv32: the gates' int8 weights side by
side per column, the zero points folded into build-time biases, tinygen/kernels/recurrent_rv32.py) on
the esp32-c3 stand-in: byte for byte the numpy reference, layer by layer, over awkward sizes; a
.tflite LSTM against TFLite Micro invocation after invocation; and the packing."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from e2e import assert_device_equals_reference
from tflite_recurrent_cases import assert_device_equals_tflm, lstm_model
from torch import nn
from torch_models import compile_module

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.target import open_device
from tinygen.kernels.recurrent_rv32 import pack_lstm_rv32
from tinygen.passes import CompileOptions

needs_rv32 = pytest.mark.skipif(shutil.which("qemu-system-riscv32") is None
                                or shutil.which("riscv64-unknown-elf-gcc") is None,
                                reason="the esp32-c3 stand-in needs qemu-system-riscv32 and riscv64-unknown-elf-gcc")
BOARD = get_board("esp32-c3")


class Seq(nn.Module):
    def __init__(self, kind: str, features: int, hidden: int, layers: int):
        super().__init__()
        self.rnn = (nn.LSTM if kind == "lstm" else nn.GRU)(features, hidden, num_layers=layers, batch_first=True)

    def forward(self, x):
        return self.rnn(x)[0]


@pytest.mark.slow
@needs_rv32
@pytest.mark.parametrize("case", [("lstm", 5, 7, 1, 3), ("gru", 9, 6, 2, 4), ("lstm", 1, 1, 1, 2), ("gru", 3, 13, 1, 2)],
                         ids=lambda c: "{}_i{}_h{}_l{}_t{}".format(*c))
def test_recurrent_s8_rv32_equals_reference(case, tmp_path):
    kind, features, hidden, layers, steps = case
    torch.manual_seed(hidden)
    rng = np.random.default_rng(features)
    calib = rng.standard_normal((32, steps, features)).astype(np.float32)
    source, graph = compile_module(Seq(kind, features, hidden, layers).eval(), calib, kind,
                                   CompileOptions(features=BOARD.isa_features))
    assert {n.kernel for n in graph.nodes if n.op == kind} == {f"tg_{kind}_s8_rv32"}
    result = build(source, graph, BOARD, tmp_path / "fw")
    with open_device(BOARD, result.out_dir, emulate=True) as dev:
        for k in range(2):
            x = rng.integers(-128, 128, graph.tensor(graph.inputs[0]).size, dtype=np.int8)
            assert_device_equals_reference(dev, graph, x, f"input {k}")


@pytest.mark.slow
@needs_rv32
def test_tflite_lstm_rv32_equals_tflm(tmp_path):
    pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    rng = np.random.default_rng(5)
    data = lstm_model(rng, 2, 4, 10, 7)
    path = tmp_path / "lstm.tflite"
    path.write_bytes(data)
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=BOARD.isa_features))
    assert [n.kernel for n in graph.nodes if n.kernel] == ["tg_lstm_s8_rv32"]
    result = build(source, graph, BOARD, tmp_path / "fw")
    xs = [rng.integers(-128, 128, graph.tensor(graph.inputs[0]).shape, dtype=np.int8) for _ in range(4)]
    with open_device(BOARD, result.out_dir, emulate=True) as dev:
        assert_device_equals_tflm(dev, data, xs, "lstm")


def test_rv32_packing_holds_the_weights_side_by_side():
    rng = np.random.default_rng(1)
    h, i = 2, 3
    p = {"hidden": h, "input_offset": 5, "hidden_offset": 0}
    w_ih, w_hh = rng.integers(-127, 128, (4, h, i)), rng.integers(-127, 128, (4, h, h))
    bias = rng.integers(-100, 100, (4, h))
    words = pack_lstm_rv32(p, {"w_ih": w_ih, "w_hh": w_hh, "bias": bias})
    unit = 8 + (4 * (i + h) + 3) // 4
    assert words.size == h * unit
    for j in range(h):
        u = words[j * unit:(j + 1) * unit]
        assert np.array_equal(u[:4].astype(np.int64), bias[:, j] + 5 * w_ih[:, j].sum(1))
        weights = u[8:].view(np.int8)[:4 * (i + h)].reshape(i + h, 4)       # [column][gate]
        assert np.array_equal(weights[:i].T, w_ih[:, j]) and np.array_equal(weights[i:].T, w_hh[:, j])
