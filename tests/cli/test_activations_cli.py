"""`--activations int16` on the command line: the build says which layers run int16 and which
stay int8, `tinygen hil` on the host is bit-exact with the reference, the f746zg stand-in
equals it layer by layer, and a model that comes quantized (.tflite) or a malformed width is
refused in one line."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from e2e import assert_device_equals_reference, run_cli
from tflite_builder import ModelBuilder

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import quantize_input

MODEL = '''
import numpy as np
import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(2, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.pool = torch.nn.AvgPool2d(2)
        self.fc = torch.nn.Linear(8 * 4 * 4, 6)

    def forward(self, x):
        y = torch.relu(self.conv1(x))
        y = self.pool(y + self.conv2(y))
        return self.fc(torch.flatten(y, 1))


def model():
    torch.manual_seed(0)
    return Net().eval()


def data(n, seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 2, 8, 8)) * np.exp(rng.normal(0, 2, (n, 2, 8, 8)))).astype(np.float32)


def example_input():
    return torch.from_numpy(data(1, 1))


def calibration_data():
    return data(32, 2)
'''


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "wide.py"
    path.write_text(MODEL)
    return path


def test_build_activations_int16_host_lists_layers(model_file, tmp_path):
    rc, out, err = run_cli("build", model_file, "--board", "host", "--activations", "int16", "-o", tmp_path / "b")
    assert rc == 0, err
    assert "calibrating and quantizing (int16 activations, int8 weights)" in err
    lines = out.splitlines()
    assert "  activations int16 (16x8) in 4 layers: conv_0 (conv1), conv_2 (conv2), add_3 (aten.add), fc_7 (fc)" \
        in lines, out
    assert "  int8 (no int16 kernel, or not named) in 1 layers: avgpool_4 (pool)" in lines, out
    assert "  QUANTIZE layers between int8 and int16: 2" in lines, out


def test_build_activations_per_layer(model_file, tmp_path):
    rc, out, err = run_cli("build", model_file, "--board", "host", "--activations", "int16:fc", "-o", tmp_path / "b")
    assert rc == 0, err
    assert "  activations int16 (16x8) in 1 layers: fc_7 (fc)" in out.splitlines(), out
    rc, out, err = run_cli("build", model_file, "--board", "host", "-o", tmp_path / "c")
    assert rc == 0 and "activations int16" not in out


def test_hil_host_activations_int16_bit_exact(model_file, tmp_path):
    rng = np.random.default_rng(4)
    np.save(tmp_path / "x.npy", (rng.standard_normal((6, 2, 8, 8)) * 20).astype(np.float32))
    rc, out, err = run_cli("hil", model_file, "--board", "host", "--activations", "int16", "--data",
                           tmp_path / "x.npy", "-q", "-o", tmp_path / "host", "--json", tmp_path / "r.json")
    assert rc == 0, err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["samples"] == report["bit_exact"] == 6, report.get("mismatches")


@pytest.mark.parametrize("width, expected", [("int12", "--activations 'int12' is not a width"),
                                             ("int16:conv7", "names layers the model does not have: conv7")])
def test_build_activations_bad_width(model_file, tmp_path, width, expected):
    rc, out, err = run_cli("build", model_file, "--board", "host", "--activations", width, "-o", tmp_path / "b")
    assert rc != 0 and expected in err and "Traceback" not in err, err


def test_build_activations_on_tflite_refused(tmp_path):
    b = ModelBuilder("quantized")
    x, y = b.tensor("x", [1, 8], scale=0.1, zero_point=0), b.tensor("y", [1, 8], scale=0.2, zero_point=0)
    b.op("ADD", [x, x], [y], "AddOptions")
    (tmp_path / "m.tflite").write_bytes(b.finish([x], [y]))
    rc, out, err = run_cli("build", tmp_path / "m.tflite", "--board", "host", "--activations", "int16",
                           "-o", tmp_path / "b")
    assert rc != 0 and "comes quantized" in err and "keeps its own activation types" in err, err
    assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                    reason="the f746zg stand-in needs qemu-system-arm and arm-none-eabi-gcc")
def test_activations_int16_equal_reference_on_f746zg_standin(model_file, tmp_path):
    board = get_board("f746zg")
    source = load_source(model_file)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features, activations="int16"))
    # the Cortex-M7's int16 DSP kernels for the convolution and the fully connected layer
    assert {n.kernel for n in graph.nodes} >= {"tg_conv2d_s16_dsp", "tg_add_s16", "tg_fully_connected_s16_dsp",
                                               "tg_requantize_s16_s8", "tg_requantize_s8_s16"}
    result = build(source, graph, board, tmp_path / "fw")
    rng = np.random.default_rng(5)
    with open_device(board, result.out_dir, emulate=True) as dev:
        for k in range(2):
            x = (rng.standard_normal((1, 2, 8, 8)) * np.exp(rng.normal(0, 2, (1, 2, 8, 8)))).astype(np.float32)
            assert_device_equals_reference(dev, graph, quantize_input(graph, source.to_graph_layout(x)), f"sample {k}")
