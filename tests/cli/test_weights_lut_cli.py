"""`--weights lut:BITS` end to end: the build says which layers share weights and what it costs,
the host build and the f746zg stand-in equal the reference byte for byte, the flash shrinks by
exactly the packed bytes, a codebook the model brings is kept, and bad specs are refused in one
line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from e2e import assert_device_equals_reference, run_cli
from standin_lib import needs_qemu

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.target import open_device
from tinygen.kernels.lut_table import LUT_NAMES
from tinygen.passes import CompileOptions
from tinygen.passes.analysis import layer_stats
from tinygen.quant.share import share
from tinygen.quant.weight_spec import parse_weights
from tinygen.report.weights import weights_lines
from tinygen.ref.interpreter import quantize_input

from e2e import ROOT

KWS = ROOT / "examples" / "mlperf-tiny" / "kws_dscnn_int8.tflite"
MODEL = '''
import numpy as np
import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 16, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(16, 16, 3, padding=1)
        self.dw = torch.nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.pool = torch.nn.AvgPool2d(2)
        self.fc = torch.nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        y = torch.relu(self.conv1(x))
        y = torch.relu(y + self.conv2(y))
        y = self.pool(torch.relu(self.dw(y)))
        return self.fc(torch.flatten(y, 1))


def model():
    torch.manual_seed(0)
    return Net().eval()


def example_input():
    return torch.zeros(1, 3, 8, 8)


def calibration_data():
    return np.random.default_rng(2).standard_normal((32, 3, 8, 8)).astype(np.float32)
'''


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "small.py"
    path.write_text(MODEL)
    return path


def _compile(path, spec, features=frozenset()):
    source = load_source(path)
    return source, compile_source(source, options=CompileOptions(features=features, weights=parse_weights(spec)))


def test_lut_host_reports_and_is_bit_exact(model_file, tmp_path):
    rc, out, err = run_cli("inspect", model_file, "--weights", "lut:4:channel", "--memory")
    assert rc == 0, err
    rows = {line.split()[0]: line.split()[1:] for line in out.split("weights as stored")[1].splitlines()[3:7]}
    assert rows["dwconv_5"][:3] == ["lut:4,", "1", "table"] and rows["conv_2"][:3] == ["lut:4,", "16", "tables"], out
    assert "one table per tensor where per-channel tables outweigh the weights: conv_0, dwconv_5" in out
    assert "weights lut:4:channel in 4 layers:" in out, out
    assert "cost against int8 on 32 samples (calibration set" in out, out
    rng = np.random.default_rng(4)
    np.save(tmp_path / "x.npy", rng.standard_normal((5, 3, 8, 8)).astype(np.float32))
    rc, out, err = run_cli("hil", model_file, "--board", "host", "--weights", "lut:4:channel", "--data", tmp_path / "x.npy",
                           "-q", "-o", tmp_path / "host", "--json", tmp_path / "r.json")
    assert rc == 0, err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["samples"] == report["bit_exact"] == 5, report.get("mismatches")


def test_lut_flash_smaller_by_the_packed_bytes(model_file):
    _, int8 = _compile(model_file, None)
    _, lut = _compile(model_file, "lut:4:channel")
    kernels = {n.name: n.kernel for n in lut.nodes if n.param("weight") if n.params}
    assert set(kernels.values()) == {"tg_conv2d_lut_s8", "tg_conv2d_add_lut_s8", "tg_depthwise_conv2d_lut_s8",
                                     "tg_fully_connected_lut_s8"}, kernels
    saved = sum(a.param_bytes - b.param_bytes for a, b in zip(layer_stats(int8), layer_stats(lut)))
    # conv2 (16x3x3x16, 4 bits, a table per channel): 3 header words, 16 tables of 16 B, 16 rows of
    # 144 indices (18 words): 3 + 64 + 288 words = 1420 B for 2304 B of int8 weights
    conv2 = next(n for n in lut.nodes if n.kernel == "tg_conv2d_add_lut_s8")
    assert lut.tensor(conv2.param("packed")).data.nbytes == (3 + 64 + 16 * 18) * 4 == 1420
    # the depthwise layer (9 taps x 16 channels): one table (per-channel ones would outweigh it), one
    # row of 144 indices: 3 + 4 + 18 words = 100 B for 144 B
    dw = next(n for n in lut.nodes if n.kernel == "tg_depthwise_conv2d_lut_s8")
    assert lut.tensor(dw.param("packed")).data.nbytes == 100
    expected = sum(lut.tensor(n.param("weight")).size - lut.tensor(n.param("packed")).data.nbytes
                   for n in lut.nodes if n.kernel in LUT_NAMES)
    assert saved == expected > 2304 - 1420


def test_lut_keeps_a_codebook_the_model_brings():
    source = load_source(KWS)
    name = next(n.param("weight") for n in source.graph.nodes if n.op == "conv2d")
    t = source.graph.tensor(name)
    brought = share(t.data, np.ones(1, np.int64), 3, 0)
    brought.source = "tflm"
    t.codebook, t.data = brought, brought.decode()
    graph = compile_source(source, options=CompileOptions(weights=parse_weights("lut:4:channel")))
    kept = graph.tensor(name).codebook
    assert kept.source == "tflm" and kept.bits == 3 and np.array_equal(kept.values, brought.values)
    node = next(n for n in graph.nodes if n.params and n.param("weight") == name)
    assert node.kernel == "tg_conv2d_lut_s8" and node.name in graph.meta["share_weights"]["kept"]


@pytest.mark.parametrize("spec, expected", [("lut:7", "lut takes 2 to 6 bits"), ("lut:4:row", "a table per 'row'?")])
def test_build_bad_weights_refused(model_file, tmp_path, spec, expected):
    rc, out, err = run_cli("build", model_file, "--board", "host", "--weights", spec, "-o", tmp_path / "b")
    assert rc == 2 and expected in err and "Traceback" not in err, err
    assert not (tmp_path / "b").exists()


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("spec", ["lut:4:tensor", "lut:3:channel"])
def test_lut_kws_equals_reference_on_f746zg_standin(spec, tmp_path):
    """The MLPerf KWS model (.tflite: no calibration data, so random int8 inputs weigh the
    clustering) at 4 bits, one table per tensor, and at 3 bits, tables per channel (the decode's
    byte-group path), on the Cortex-M7 stand-in."""
    board = get_board("f746zg")
    source, graph = _compile(KWS, spec, board.isa_features)
    assert sum(n.kernel in LUT_NAMES for n in graph.nodes) == 10
    assert graph.meta["share_weights"]["inputs"] == "random int8 inputs"
    result = build(source, graph, board, tmp_path / "fw")
    rng = np.random.default_rng(7)
    with open_device(board, result.out_dir, emulate=True) as dev:
        for k in range(2):
            x = rng.integers(-128, 128, graph.tensor(graph.inputs[0]).shape).astype(np.int8)
            assert_device_equals_reference(dev, graph, x, f"sample {k}")


def test_lut_on_a_dsp_core_decodes_into_scratch_and_says_so(model_file):
    """On the Cortex-M7 the convolutions decode into scratch for the int8 DSP kernels (the residual
    add then stays unfused), the one at the arena's peak (channels multiples of 4) 4 output
    channels at a time for the widening kernel (lower_peak), the one-row fully connected layer a
    block of features at a time, and the report names each."""
    _, graph = _compile(model_file, "lut:4:channel", get_board("f746zg").isa_features)
    kernels = {n.name: n.kernel for n in graph.nodes if n.kernel in LUT_NAMES}
    assert not any(n.op == "conv2d_add" for n in graph.nodes)
    assert kernels["dwconv_5"] == "tg_depthwise_conv2d_lut_decode_s8_dsp" and kernels["fc_10"] == "tg_fully_connected_lut_block_s8_dsp"
    widen = {c["node"] for c in graph.meta["lower_peak"] if c["kernel"] == "tg_conv2d_widen_lut_s8_dsp"}
    assert widen == {"conv_2"}, graph.meta["lower_peak"]
    assert all("lut_decode" in kernels[n.name] for n in graph.nodes if n.op == "conv2d" and n.name not in widen), kernels
    assert all(kernels[name] == "tg_conv2d_widen_lut_s8_dsp" for name in widen)
    for node in graph.nodes:
        if "decode" in (node.kernel or ""):
            assert node.scratch_bytes >= graph.tensor(node.param("weight")).size
    lines = weights_lines(graph)
    assert any(line.startswith("  decoded once into scratch for the int8 DSP kernel") for line in lines), lines
    assert any(line.startswith("  decoded a block of output features at a time") and line.endswith(": fc_10")
               for line in lines), lines
    assert any(line.startswith("  decoded 4 output channels at a time") and line.endswith(": conv_2")
               for line in lines), lines
    assert not any(line.startswith("  decoded in the kernel's inner loop") for line in lines), lines
