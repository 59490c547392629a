"""PyTorch 2 export quantization (torchao's prepare_pt2e / convert_pt2e, ExecuTorch's XNNPACK
quantizer): a converted program, saved as a .pt2 or returned by a .py model file, builds with
its own scales; the host C equals tinygen's reference byte for byte, and the reference equals
PyTorch's run of the converted program within one step of the output grid (PyTorch computes
dequantize -> float op -> quantize in float32: docs/models.md, "PT2E")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from e2e import run_cli
from pt2e_lib import (CONFIGS, NETS, SHAPES, converted, host_diff, qat_converted, quantizer, reference_diff, save_pt2,
                      with_int32_biases, write_py)
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
from tinygen.compiler import compile_source, graph_hash, load_source

# two in the fast suite (each builds C; the first also imports ExecuTorch and torchao), the rest slow
FAST = {("dscnn", "per_channel"), ("mlp", "per_tensor")}
HOST_CASES = [pytest.param(name, config, marks=() if (name, config) in FAST else pytest.mark.slow)
              for name in NETS for config in CONFIGS]


@pytest.mark.parametrize("name,config", HOST_CASES)
def test_pt2e_xnnpack_int8_host(tmp_path, name, config):
    """The .pt2 builds for the host; the C equals the reference on 50 inputs; the reference is
    within 1 LSB of PyTorch's converted program (and the differing outputs are few)."""
    path = save_pt2(tmp_path, name, config)
    source = load_source(path)
    graph = compile_source(source)
    assert graph.meta["pt2e"] and graph.meta["quantized"] == "onnx"
    macs = [n for n in graph.nodes if n.op in ("conv2d", "depthwise_conv2d", "fully_connected")]
    assert macs and all(n.kernel.endswith("_s8") for n in macs)
    weights = graph.tensors[macs[0].params[0]["weight"]]
    assert weights.dtype == "int8" and (np.unique(weights.qparams.scale).size > 1) == (config == "per_channel")

    diff = host_diff(source, graph, name, config, tmp_path)
    print(f"{name} {config}: {int((diff > 0).sum())} of {diff.size} outputs differ, at most {int(diff.max())} LSB")
    assert diff.max() <= 1, f"{name} {config}: up to {int(diff.max())} LSB from PyTorch"
    assert (diff > 0).mean() <= 0.05, f"{name} {config}: {int((diff > 0).sum())} of {diff.size} outputs differ"


@pytest.mark.slow      # prepare_qat_pt2e exports the training graph: about a minute on two busy cores
def test_pt2e_qat_dscnn_reference(tmp_path):
    """A DS-CNN trained with PT2E's quantization-aware training (prepare_qat_pt2e, batch norm
    folded by convert_pt2e): tinygen's reference within 1 LSB of PyTorch's converted program."""
    program = qat_converted("dscnn")
    path = tmp_path / "dscnn_qat.pt2"
    torch.export.save(torch.export.export(program, (torch.zeros(SHAPES["dscnn"]),)), str(path))
    graph = compile_source(load_source(path))
    assert [n.op for n in graph.nodes if n.kernel] == ["conv2d", "depthwise_conv2d", "conv2d", "mean",
                                                       "fully_connected"]
    diff = reference_diff(program, graph, "dscnn")
    print(f"dscnn qat: {int((diff > 0).sum())} of {diff.size} outputs differ, at most {int(diff.max())} LSB")
    assert diff.max() <= 1 and (diff > 0).mean() <= 0.05


@pytest.mark.parametrize("name", list(NETS))
def test_pt2e_py_model_file_is_the_same_graph(tmp_path, name):
    """A .py model file returning the converted program imports as the same int8 graph as its
    .pt2 (no eval() on the exported module, no refused quantize / dequantize operators)."""
    (tmp_path / "py").mkdir()
    (tmp_path / "pt2").mkdir()
    from_py = load_source(write_py(tmp_path / "py", name, "per_tensor"))
    from_pt2 = load_source(save_pt2(tmp_path / "pt2", name, "per_tensor"))
    assert from_py.graph.meta["pt2e"]
    assert graph_hash(from_py.graph) == graph_hash(from_pt2.graph)


def test_pt2e_cli_build_is_quiet(tmp_path, capfd):
    """`tinygen build x.pt2 --board host` on a PT2E program: torch's deserialization log does
    not reach the user, and the build succeeds."""
    path = save_pt2(tmp_path, "mlp", "per_channel")
    rc, out, err = run_cli("build", path, "--board", "host", "-o", tmp_path / "out")
    assert rc == 0, err
    err += capfd.readouterr().err
    assert "Warning" not in err and "deserializ" not in err and "Traceback" not in err, err
    assert (tmp_path / "out" / "model.c").exists()


def test_pt2e_unregistered_operator_is_one_line(tmp_path, capfd):
    """A program of an operator nobody registered (a custom op whose library is gone) is refused
    in one line naming the operator, without torch's log."""
    lib = torch.library.Library("tgpt2etest", "DEF")
    lib.define("twice(Tensor x) -> Tensor")
    lib.impl("twice", lambda x: x * 2, "CompositeExplicitAutograd")
    lib.impl("twice", lambda x: torch.empty_like(x), "Meta")

    class Net(torch.nn.Module):
        def forward(self, x):
            return torch.ops.tgpt2etest.twice(x)

    path = tmp_path / "custom.pt2"
    torch.export.save(torch.export.export(Net(), (torch.zeros(1, 4),)), str(path))
    lib._destroy()
    rc, out, err = run_cli("build", path, "--board", "host", "-o", tmp_path / "out")
    assert rc == 1
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("[")]
    assert lines[0].startswith("tinygen build: error: cannot load exported program"), err
    assert "torch.ops.tgpt2etest.twice" in lines[0] and len(lines) <= 2, err
    leaked = capfd.readouterr()     # torch's own log handler writes to the process's stderr
    assert "deserializ" not in leaked.err + err and "Traceback" not in leaked.err + err, leaked.err
    assert not (tmp_path / "out").exists()


def test_pt2e_int32_bias_reads_as_the_float_one_quantized(tmp_path):
    """A program whose biases a quantizer made int32 (a dequantize of int32) compiles to the
    same int8 graph as the float biases tinygen quantizes the same way."""
    program = with_int32_biases(converted("mlp", "per_channel"))
    assert sum("dequantize_per_channel" in str(n.target) for n in program.graph.nodes) == 6
    (tmp_path / "int32").mkdir()
    path = tmp_path / "int32" / "mlp_per_channel.pt2"
    torch.export.save(torch.export.export(program, (torch.zeros(SHAPES["mlp"]),)), str(path))
    (tmp_path / "float").mkdir()
    assert graph_hash(load_source(path).graph) == graph_hash(load_source(save_pt2(tmp_path / "float", "mlp",
                                                                                    "per_channel")).graph)


class _AbsNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, x):
        return torch.abs(self.fc(x)) - 0.5


def test_pt2e_unsupported_operator_is_refused_by_name(tmp_path):
    """An operator with no int8 translation is refused in one UnsupportedOpError naming it, before
    anything is written."""
    torch.manual_seed(0)
    x = torch.randn(1, 8)
    prepared = prepare_pt2e(torch.export.export(_AbsNet().eval(), (x,)).module(), quantizer("per_tensor"))
    prepared(x)
    path = tmp_path / "absnet.pt2"
    torch.export.save(torch.export.export(convert_pt2e(prepared), (x,)), str(path))
    rc, out, err = run_cli("build", path, "--board", "host", "-o", tmp_path / "out")
    assert rc == 1
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("[")]
    assert lines[0].startswith("tinygen build: error: absnet.pt2: the PT2E program uses 1 operator tinygen"), err
    assert "aten.abs" in lines[0] and "aten.sub" not in lines[0], err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_pt2e_torchao_operators_are_refused_in_one_line(tmp_path):
    """A .pt2 holding torchao's own operators (not PT2E's quantized_decomposed ones), loaded in a
    fresh process that never imported torchao: one line naming the operator, no torch log."""
    class Net(torch.nn.Module):
        def forward(self, x):
            q = torch.ops.torchao.quantize_affine(x, [1, 4], torch.tensor([0.1]), torch.tensor([0]), torch.int8,
                                                  -128, 127)
            return q.float()

    path = tmp_path / "affine.pt2"
    torch.export.save(torch.export.export(Net(), (torch.zeros(1, 4),)), str(path))
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-m", "tinygen", "build", str(path), "--board", "host", "-o",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(root)}, cwd=tmp_path)
    lines = [ln for ln in done.stderr.splitlines() if ln.strip() and not ln.startswith("[")]
    assert done.returncode == 1, done.stderr
    assert lines[0].startswith("tinygen build: error: cannot load exported program"), done.stderr
    assert "torchao's operator torch.ops.torchao.quantize_affine" in lines[0], done.stderr
    assert len(lines) == 2 and lines[1].startswith("  hint:"), done.stderr
    assert not (tmp_path / "out").exists()
