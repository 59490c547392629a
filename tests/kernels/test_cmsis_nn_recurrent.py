"""CMSIS-NN's recurrent layers under --kernels cmsis-nn (tinygen.kernels.cmsis_nn,
firmware/cmsis_nn/tg_lstm_s8_cmsis_nn.c, tg_svdf_s8_cmsis_nn.c): arm_lstm_unidirectional_s8 and,
for TFLite's int16-state SVDF, arm_svdf_state_s16_s8 (the 16x8 LSTM's and the int8-state SVDF's
adapters run on the stand-in in tests/e2e/test_recurrent_standin.py). On the f746zg stand-in their firmware equals
TensorFlow Lite Micro invocation after invocation and the numpy reference for a PyTorch LSTM that
keeps its last step (the sequence CMSIS-NN writes goes to scratch); an LSTM whose recurrent
product could saturate (where CMSIS-NN's order of saturation differs from TFLite's) keeps tinygen's
kernel; the scratch formulas against the tree (no LSTM get_buffer_size function: the two int16
temporaries TFLite Micro allocates; the SVDF's context none, arm_svdf_s8_get_buffer_size_dsp)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

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
from tinygen.kernels.cmsis_nn import lstm_s16_scratch, lstm_scratch, svdf_scratch
from tinygen.kernels.cmsis_nn_tree import ENV
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import run

TREE = os.environ.get(ENV)
needs_tree = pytest.mark.skipif(not TREE, reason=f"{ENV} not set: these tests need a CMSIS-NN source tree")
needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                reason="the Cortex-M stand-ins need qemu-system-arm and arm-none-eabi-gcc")
F746 = get_board("f746zg")


def _options(kernels: str = "cmsis-nn") -> CompileOptions:
    return CompileOptions(features=F746.isa_features, kernels=kernels, cmsis_nn=TREE)


def _tflite(data: bytes, tmp_path: Path, name: str):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    source = load_source(path)
    return source, compile_source(source, options=_options())


@needs_tree
def test_lstm_that_could_saturate_keeps_tinygens_kernel(tmp_path):
    rng = np.random.default_rng(2)
    _, wide = _tflite(lstm_model(rng, 1, 3, 6, 16), tmp_path, "wide")
    _, narrow = _tflite(lstm_model(rng, 1, 3, 6, 6, recurrent_max=10), tmp_path, "narrow")
    assert [n.kernel for n in wide.nodes if n.kernel] == ["tg_lstm_s8_dsp"]      # tinygen's kernel for the M7
    assert [n.kernel for n in narrow.nodes if n.kernel] == ["tg_lstm_s8_cmsis_nn"]
    # the 16x8 LSTM likewise, its hidden state reaching +-32768 (arm_lstm_unidirectional_s16)
    _, wide = _tflite(lstm_model(rng, 1, 3, 6, 16, activations="int16"), tmp_path, "wide16")
    _, narrow = _tflite(lstm_model(rng, 1, 3, 6, 6, recurrent_max=2, activations="int16"), tmp_path, "narrow16")
    assert [n.kernel for n in wide.nodes if n.kernel] == ["tg_lstm_s16"]
    assert [n.kernel for n in narrow.nodes if n.kernel] == ["tg_lstm_s16_cmsis_nn"]


@needs_tree
@pytest.mark.skipif(shutil.which("cc") is None, reason="no host C compiler")
def test_recurrent_scratch_against_the_tree(tmp_path):
    header = (Path(TREE) / "Include" / "arm_nnfunctions.h").read_text()
    assert "arm_lstm_unidirectional_s8_get_buffer_size" not in header      # the formula is TFLite Micro's allocation
    prog = tmp_path / "q.c"
    prog.write_text('#include <stdio.h>\n#include "arm_nnfunctions.h"\nint main(void) {\n'
                    '    const cmsis_nn_dims f = {.n = 64, .h = 40, .w = 1, .c = 1};\n'
                    '    printf("%d\\n", (int)arm_svdf_s8_get_buffer_size_dsp(&f));\n    return 0;\n}\n')
    src = Path(TREE) / "Source" / "SVDFunctions" / "arm_svdf_get_buffer_sizes_s8.c"
    subprocess.run(["cc", "-I", str(Path(TREE) / "Include"), str(prog), str(src), "-o", str(tmp_path / "q")],
                   check=True)
    assert subprocess.run([str(tmp_path / "q")], capture_output=True, text=True, check=True).stdout.strip() == "0"
    p = {"batches": 2, "filters": 64, "units": 32}
    assert svdf_scratch(p) == 4 * 2 * (64 + 32)
    q = {"batches": 1, "hidden": 64, "steps": 49, "sequence": 1}
    assert lstm_scratch(q) == 2 * (2 * 64) and lstm_scratch({**q, "sequence": 0}) == 4 * 64 + 49 * 64
    assert lstm_s16_scratch(q) == 4 * 64 and lstm_s16_scratch({**q, "sequence": 0}) == 4 * 64 + 2 * 49 * 64


@pytest.mark.slow
@needs_tree
@needs_qemu
def test_cmsis_nn_lstm_svdf_equal_tflm_on_f746zg_standin(tmp_path):
    pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    rng = np.random.default_rng(21)
    for name, data in (("lstm", lstm_model(rng, 2, 5, 12, 8, recurrent_max=10)),
                       ("svdf", svdf_model(rng, 1, 20, 6, 2, 8))):
        source, graph = _tflite(data, tmp_path, name)
        assert all(n.kernel.endswith("_cmsis_nn") for n in graph.nodes if n.kernel)
        result = build(source, graph, F746, tmp_path / name)
        shape = graph.tensor(graph.inputs[0]).shape
        xs = [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(5)]
        with open_device(F746, result.out_dir, emulate=True) as dev:
            assert_device_equals_tflm(dev, data, xs, name)


class LastStep(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 12, batch_first=True)

    def forward(self, x):
        return self.lstm(x)[0][:, -1]


@pytest.mark.slow
@needs_tree
@needs_qemu
def test_cmsis_nn_lstm_last_step_equals_reference_on_f746zg_standin(tmp_path):
    torch.manual_seed(4)
    rng = np.random.default_rng(4)
    calib = rng.standard_normal((32, 6, 8)).astype(np.float32)
    source, graph = compile_module(LastStep().eval(), calib, "last", _options())
    node = next(n for n in graph.nodes if n.op == "lstm")
    assert node.kernel == "tg_lstm_s8_cmsis_nn" and not node.attrs["kparams"]["sequence"]
    result = build(source, graph, F746, tmp_path / "fw")
    with open_device(F746, result.out_dir, emulate=True) as dev:
        for k in range(4):
            x = rng.integers(-128, 128, graph.tensor(graph.inputs[0]).size, dtype=np.int8)
            want = run(graph, x)[graph.outputs[0]].ravel()
            got = np.frombuffer(dev.run(x.tobytes())[0], np.int8)
            assert np.array_equal(got, want), f"input {k}: {first_difference(want, got)}"
