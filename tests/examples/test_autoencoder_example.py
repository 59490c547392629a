"""examples/autoencoder: the shipped autoencoder loads through tinygen's model loader from its
small weights file, has learned (its test images' error is far below the mean image's), its
int8 compilation reconstructs about as well as the float model, and `tinygen hil` runs it
on the f746zg stand-in bit-exact with the reference, its transposed convolutions on the DSP
kernel."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from e2e import run_cli
from standin_lib import needs_qemu
from tinygen.board import get_board
from tinygen.compiler import compile_source, load_source
from tinygen.frontend import torch_loader
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import dequantize, quantize_input, run

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "autoencoder" / "digits_autoencoder.py"


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    import sys

    sys.path.insert(0, str(EXAMPLE.parent))
    try:
        yield importlib.import_module(EXAMPLE.stem)
    finally:
        sys.path.remove(str(EXAMPLE.parent))


def test_autoencoder_loads_small_and_has_learned(module):
    assert EXAMPLE.with_suffix(".pt").stat().st_size < 64 * 1024
    loaded = torch_loader.load(EXAMPLE)
    targets = [str(n.target) for n in loaded.program.graph.nodes if n.op == "call_function"]
    assert sum("conv_transpose2d" in t for t in targets) == 2
    assert loaded.calibration is not None and loaded.calibration.shape[1:] == (1, 8, 8)
    mse, baseline = module.test_errors(module.model())
    assert mse < 0.1 * baseline, (mse, baseline)


def test_autoencoder_int8_reconstructs_like_float(module):
    board = get_board("f746zg")
    source = load_source(EXAMPLE)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features))
    tconv = [n for n in graph.nodes if n.op == "transpose_conv2d"]
    assert len(tconv) == 2 and {n.kernel for n in tconv} == {"tg_transpose_conv2d_s8_dsp"}
    assert "batch_norm" not in {n.op for n in graph.nodes}
    _, test_x = module.dataset()
    x = test_x[:100]
    with torch.no_grad():
        float_out = module.model()(torch.from_numpy(x)).numpy()
    q = quantize_input(graph, source.to_graph_layout(x))
    int8_out = np.stack([dequantize(graph, graph.outputs[0], run(graph, qi)[graph.outputs[0]]) for qi in q])
    int8_out = int8_out.reshape(len(x), 8, 8, 1).transpose(0, 3, 1, 2)
    float_mse, int8_mse = np.mean((float_out - x) ** 2), np.mean((int8_out - x) ** 2)
    assert int8_mse < 1.5 * float_mse + 1e-4, (int8_mse, float_mse)


@needs_qemu
def test_autoencoder_hil_f746zg_standin_bit_exact(module, tmp_path):
    data = tmp_path / "test.npz"
    np.savez(data, x=module.dataset()[1][:30])
    report = tmp_path / "report.json"
    rc, out, err = run_cli("hil", EXAMPLE, "--board", "f746zg", "--emulate", "--kernels", "tinygen", "--data", data,
                           "-q", "-o", tmp_path / "build", "--json", report)
    assert rc == 0, err
    summary = json.loads(report.read_text())
    assert summary["samples"] == 30 and summary["bit_exact"] == 30, summary["mismatches"][:3]
    assert [layer["name"] for layer in summary["layers"] if layer["name"].startswith("tconv")] == \
        ["tconv_4", "tconv_7"]
    manifest = json.loads((tmp_path / "build" / "tinygen.json").read_text())
    assert "tg_transpose_conv2d_s8_dsp" in json.dumps(manifest)
