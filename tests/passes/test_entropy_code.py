"""--weights huffman (issue 73): passes/entropy_code.py marks the conv and fully connected
layers whose coded weights take fewer bytes; the huffman kernels (firmware/kernels/huffman)
decode a block of output channels at a time into scratch and equal the reference byte for
byte, on the host (portable kernels) and on the f746zg stand-in (DSP kernels); a shared-weight
layer (Tensor.codebook) codes its indices; the CLI builds with it; a float32 model is refused."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from e2e import assert_bit_exact, assert_device_equals_reference, build_host, run_cli
from test_inplace_distance import _overlapping_kernels
from test_prune import source_of
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.errors import UsageError
from tinygen.ir import Codebook
from tinygen.kernels.huffman_table import BLOCK_MAX, conv_scratch, fc_scratch, one_block
from tinygen.kernels.table import KERNELS_BY_NAME, const_bytes
from tinygen.passes import CompileOptions
from tinygen.passes.plan_memory import plan_memory
from tinygen.quant.huffman import parts
from tinygen.quant.weight_spec import parse_weights

HUFFMAN = parse_weights("huffman")
REPO = Path(__file__).resolve().parents[2]
needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed")


class _Net(nn.Module):
    """conv 3x3 stride 2 (padded), conv 1x1, conv 3x3 dilated (padded), fully connected."""

    def __init__(self, c_in: int, c1: int, c2: int, c3: int, hw: tuple[int, int], classes: int):
        super().__init__()
        self.c1 = nn.Conv2d(c_in, c1, 3, stride=2, padding=1)
        self.c2 = nn.Conv2d(c1, c2, 1)
        self.c3 = nn.Conv2d(c2, c3, 3, padding=2, dilation=2)
        h, w = (hw[0] + 1) // 2, (hw[1] + 1) // 2
        self.fc = nn.Linear(c3 * h * w, classes)

    def forward(self, x):
        x = torch.relu(self.c1(x))
        x = torch.relu(self.c2(x))
        x = torch.relu(self.c3(x))
        return self.fc(x.flatten(1))


def pruned_source(c_in=3, c1=32, c2=64, c3=24, hw=(8, 6), classes=10, keep=0.3, seed=0):
    """The net with 1 - keep of each layer's weights zeroed (unstructured, random)."""
    torch.manual_seed(seed)
    net = _Net(c_in, c1, c2, c3, hw, classes)
    with torch.no_grad():
        for layer in (net.c1, net.c2, net.c3, net.fc):
            layer.weight.mul_((torch.rand_like(layer.weight) < keep).float())
    return source_of(net.eval(), (1, c_in, *hw), seed)


def _inputs(shape, count=3, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(count)]


def _coded(graph):
    return [n for n in graph.nodes if n.attrs.get("weight_coding") == "huffman"]


def test_entropy_code_codes_the_layers_it_shrinks():
    source = pruned_source()
    graph = compile_source(source, None, CompileOptions(weights=HUFFMAN))
    report = graph.meta["weight_coding"]
    assert set(report) == {n.name for n in graph.nodes if n.op in ("conv2d", "fully_connected")}
    for node in graph.nodes:
        if node.name not in report:
            continue
        row = report[node.name]
        assert row["before"] == graph.const(node, "weight").size
        assert row["coded"] == (row["after"] < row["before"]) == (node in _coded(graph))
        if row["coded"]:
            assert node.kernel in ("tg_conv2d_huffman_s8", "tg_fully_connected_huffman_s8")
            spec = KERNELS_BY_NAME[node.kernel]
            assert "weight" not in spec.const_roles
            assert const_bytes(spec, graph, node) - graph.const(node, "bias").nbytes * 2 < row["before"]
        else:
            assert "huffman" not in node.kernel
    assert len(_coded(graph)) >= 3


def test_scratch_is_one_block_and_the_arena_grows_by_at_most_one():
    """The arena grows by one block, plus where the int8 kernel wrote its output over its input
    (passes/inplace.py): a block-by-block kernel reads every pixel's input again for each block,
    so its output never overlaps its input."""
    source = pruned_source()
    plain = compile_source(source, None, CompileOptions())
    coded = compile_source(source, None, CompileOptions(weights=HUFFMAN))
    blocks = []
    for node in _coded(coded):
        p = node.attrs["kparams"]
        blocks.append(conv_scratch(p) if node.op == "conv2d" else fc_scratch(p))
        assert node.scratch_bytes == blocks[-1] <= max(BLOCK_MAX, p.get("in_features", 0), p.get("in_c", 0) * 9)
    overlap = max(coded.tensor(n.inputs[0]).size for n in _coded(coded))
    assert coded.meta["memory"].arena_size - plain.meta["memory"].arena_size <= max(blocks) + overlap


def test_huffman_model_on_host_equals_reference(tmp_path):
    source = pruned_source()
    graph = compile_source(source, None, CompileOptions(weights=HUFFMAN))
    assert {n.kernel for n in _coded(graph)} == {"tg_conv2d_huffman_s8", "tg_fully_connected_huffman_s8"}
    assert_bit_exact(graph, build_host(source, graph, tmp_path / "h"), _inputs((1, 8, 6, 3)))


@pytest.mark.parametrize("seed", range(3))
def test_huffman_model_on_host_random_shapes(seed, tmp_path):
    rng = np.random.default_rng(seed)
    c_in, c1, c2, c3 = (int(v) for v in rng.integers(1, 48, 4))
    hw = (int(rng.integers(1, 9)), int(rng.integers(1, 9)))
    source = pruned_source(c_in, c1, c2, c3, hw, int(rng.integers(2, 40)), float(rng.uniform(0.05, 0.5)), seed)
    graph = compile_source(source, None, CompileOptions(weights=HUFFMAN))
    host = build_host(source, graph, tmp_path / "h")
    assert_bit_exact(graph, host, _inputs((1, *hw, c_in), seed=seed))


def test_codebook_layers_code_their_indices(tmp_path):
    """The MLPerf KWS model with its 1x1 convs' weights shared (pruned, then 8 values per tensor
    or per output channel, set on Tensor.codebook as --weights lut would): the indices are
    coded, decoded through the tables, and the model equals its reference."""
    source = load_source(REPO / "examples" / "mlperf-tiny" / "kws_dscnn_int8.tflite")
    rng = np.random.default_rng(0)
    shared = 0
    for node in source.graph.nodes:
        weight = source.graph.tensor(node.param("weight")) if node.param("weight") else None
        if node.op != "conv2d" or weight is None or weight.shape[1:3] != (1, 1):
            continue
        out_c = weight.shape[0]
        per_channel = shared % 2 == 1
        values = np.sort(rng.integers(-127, 128, (out_c if per_channel else 1, 8)), axis=1).astype(np.int8)
        values[:, 0] = 0
        idx = np.where(rng.random(weight.shape) < 0.7, 0, rng.integers(1, 8, weight.shape)).astype(np.uint8)
        weight.codebook = Codebook(3, values, idx, axis=0 if per_channel else None)
        weight.data = weight.codebook.decode()
        shared += 1
    graph = compile_source(source, None, CompileOptions(weights=HUFFMAN))
    coded = [n for n in _coded(graph) if graph.tensor(n.param("weight")).codebook is not None]
    assert len(coded) == shared == 4
    # the packed constants' headers: table groups (64 per channel) of 8 values; a table per
    # tensor is folded into the code's own tables (none stored, groups 0)
    assert sorted(int(graph.const(n, "packed")[2]) for n in coded) == [0, 0, 64, 64]
    assert sorted(int(graph.const(n, "packed")[3]) for n in coded) == [0, 0, 8, 8]
    host = build_host(source, graph, tmp_path / "h")
    assert_bit_exact(graph, host, _inputs((1, *source.graph.tensor(source.graph.inputs[0]).shape[1:]), count=2))


def test_cli_builds_a_model_with_weights_huffman(tmp_path):
    model = tmp_path / "pruned.py"
    model.write_text(
        "import torch\nfrom torch import nn\n\n"
        "def model():\n"
        "    torch.manual_seed(0)\n"
        "    net = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 64, 1), nn.ReLU(),\n"
        "                        nn.Flatten(), nn.Linear(64 * 36, 10))\n"
        "    with torch.no_grad():\n"
        "        for layer in (net[0], net[2], net[5]):\n"
        "            layer.weight.mul_((torch.rand_like(layer.weight) < 0.3).float())\n"
        "    return net.eval()\n\n"
        "def example_input():\n"
        "    return torch.zeros(1, 3, 6, 6)\n")
    rc, out, err = run_cli("build", model, "--board", "host", "--weights", "huffman", "--calib", "random",
                           "-o", tmp_path / "out")
    assert rc == 0, err
    code = "\n".join(p.read_text() for p in (tmp_path / "out").rglob("model*.c"))
    assert "tg_conv2d_huffman_s8(" in code and "tg_fully_connected_huffman_s8(" in code
    assert "weights huffman in 2 of 3 layers" in out, out         # the 3x3 conv on 3 channels: too small
    rc, out, err = run_cli("inspect", model, "--memory", "--weights", "huffman", "--calib", "random")
    assert rc == 0, err
    storage = out.split("weights as stored")[1].split("\n\n")[0].splitlines()[3:]
    assert {line.split()[0]: line.split()[1] for line in storage} == {"conv_0": "int8", "conv_2": "huffman",
                                                                        "fc_6": "huffman"}, out


def test_float32_model_is_refused_in_one_line():
    source = pruned_source()
    source.graph.meta["quantized"] = "float32"          # a float .tflite run as it is
    with pytest.raises(UsageError, match="--weights huffman codes int8 weights"):
        compile_source(source, None, CompileOptions(weights=HUFFMAN))


def _pruned_kws():
    """The MLPerf KWS model with 70% of each conv and fully connected layer's int8 weights
    zeroed (the smallest in magnitude): its 1x1 convs are coded whole, one block each."""
    source = load_source(REPO / "examples" / "mlperf-tiny" / "kws_dscnn_int8.tflite")
    for node in source.graph.nodes:
        if node.op in ("conv2d", "fully_connected"):
            w = source.graph.tensor(node.param("weight"))
            mag = np.abs(w.data.astype(np.int16))
            w.data = np.where(mag < np.sort(mag.ravel())[int(0.7 * mag.size)], 0, w.data).astype(np.int8)
    return source


def test_one_block_layers_may_overlap_their_input_multi_block_ones_not():
    from tinygen.passes.inplace import DISTANCE

    one = {"out_h": 25, "out_w": 5, "in_h": 25, "in_w": 5, "in_c": 64, "out_c": 64, "kernel_h": 1, "kernel_w": 1,
           "stride_h": 1, "stride_w": 1, "pad_top": 0, "pad_left": 0, "dilation_h": 1, "dilation_w": 1}
    assert one_block(one) and not one_block({**one, "out_h": 1, "out_w": 1, "in_h": 1, "in_w": 1, "in_c": 512})
    assert DISTANCE["tg_conv2d_huffman_s8_dsp"](one) == DISTANCE["tg_conv2d_1x1_s8_dsp"](one)
    assert DISTANCE["tg_conv2d_huffman_s8"](one) == DISTANCE["tg_conv2d_s8"](one)
    wide = {**one, "in_c": 512, "out_h": 2, "out_w": 1, "in_h": 2, "in_w": 1}
    assert DISTANCE["tg_conv2d_huffman_s8_dsp"](wide) is None and DISTANCE["tg_conv2d_huffman_s8"](wide) is None


def test_pruned_kws_on_host_equals_reference(tmp_path):
    source = _pruned_kws()
    graph = compile_source(source, None, CompileOptions(weights=HUFFMAN))
    pointwise = [n for n in _coded(graph) if n.attrs["kparams"]["kernel_h"] == 1]
    assert len(pointwise) == 4 and all(one_block(n.attrs["kparams"]) for n in pointwise)
    shape = (1, *source.graph.tensor(source.graph.inputs[0]).shape[1:])
    assert_bit_exact(graph, build_host(source, graph, tmp_path / "h"), _inputs(shape, count=2))


def _block_kernels(graph) -> dict[str, str]:
    """Every coded layer on its block kernel (the fit's choice where the RAM is short), not the
    one decoding the whole layer first (tests/passes/test_entropy_decode_whole.py)."""
    block = {"conv2d": "tg_conv2d_huffman_s8_dsp", "fully_connected": "tg_fully_connected_huffman_s8_dsp"}
    return {n.name: block[n.op] for n in _coded(graph)}


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("whole", [False, True])
def test_pruned_kws_on_standin_equals_reference(whole, tmp_path):
    """One-block layers planned over their inputs (passes/inplace.py) on the DSP kernels: the block
    kernel, and the whole layer decoded for the int8 kernel (the int8 kernel's overlap)."""
    from tinygen.hil.target import open_device

    board = get_board("f746zg")
    source = _pruned_kws()
    options = CompileOptions(features=board.isa_features, weights=HUFFMAN)
    graph = compile_source(source, None, options)
    if not whole:
        graph = compile_source(source, None, replace(options, kernel_choice=_block_kernels(graph)))
    kernel = "tg_conv2d_1x1_rows3_huffman_decode_s8_dsp" if whole else "tg_conv2d_huffman_s8_dsp"
    assert kernel in {n.kernel for n in _coded(graph)}
    graph = plan_memory(graph, strategies=[("in place", "tight")])    # every allowed overlap taken
    assert kernel in _overlapping_kernels(graph)
    project = build(source, graph, board, tmp_path / "fw").out_dir
    shape = (1, *source.graph.tensor(source.graph.inputs[0]).shape[1:])
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(_inputs(shape, count=2, seed=3)):
            assert_device_equals_reference(dev, graph, x, f"kws70 {i}")


@needs_qemu
@pytest.mark.slow
# 12 output pixels of the convs after the first, and 9; on the M7 and the M4 (f446re) stand-ins
@pytest.mark.parametrize("name,hw", [("f746zg", (8, 6)), ("f746zg", (5, 6)), ("f446re", (5, 6))])
def test_huffman_model_on_standin_equals_reference(name, hw, tmp_path):
    from tinygen.hil.target import open_device

    board = get_board(name)
    source = pruned_source(c3=40, hw=hw, seed=5)
    options = CompileOptions(features=board.isa_features, weights=HUFFMAN, lower_peak=False)
    graph = compile_source(source, None, replace(options, kernel_choice=_block_kernels(
        compile_source(source, None, options))))
    assert {n.kernel for n in _coded(graph)} == {"tg_conv2d_huffman_s8_dsp", "tg_fully_connected_huffman_s8_dsp"}
    project = build(source, graph, board, tmp_path / "fw").out_dir
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(_inputs((1, *hw, 3), seed=7)):
            assert_device_equals_reference(dev, graph, x, f"{name} {i}")


def test_lut_and_huffman_combined_on_host_equals_reference(tmp_path):
    """--weights lut:4,huffman (Deep Compression: pruned, shared, coded): share_weights gives the
    layers 4-bit codebooks, entropy_code codes their indices where that is smaller, the rest keep
    the LUT kernels; the model equals its reference."""
    source = pruned_source(c3=40, seed=2)
    graph = compile_source(source, None, CompileOptions(weights=parse_weights("lut:4,huffman")))
    coded = _coded(graph)
    assert coded and all(graph.tensor(n.param("weight")).codebook is not None for n in coded)
    # 4-bit tables per tensor: folded into the code's own tables, the fast entries give the weights
    assert all(int(graph.const(n, "packed")[2]) == int(graph.const(n, "packed")[3]) == 0 for n in coded)
    assert all(graph.tensor(n.param("weight")).codebook.bits == 4 for n in coded)
    lut = graph.meta["weight_coding"]
    assert all(lut[n.name]["after"] < lut[n.name]["before"] for n in coded)
    assert_bit_exact(graph, build_host(source, graph, tmp_path / "h"), _inputs((1, 8, 6, 3)))


def _wide_fc_source(seed: int = 11):
    """Fully connected 1024 -> 256 -> 10, 85% of the weights zeroed: with 3-bit shared weights its
    first layer's zero gets a 1-bit code."""
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Flatten(), nn.Linear(1024, 256), nn.ReLU(), nn.Linear(256, 10))
    with torch.no_grad():
        for layer in (net[1], net[3]):
            layer.weight.mul_((torch.rand_like(layer.weight) < 0.15).float())
    return source_of(net.eval(), (1, 1, 32, 32), seed)


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("spec", ["lut:3,huffman", "lut:3:channel,huffman"])
def test_one_row_fc_zero_runs_on_standin_equals_reference(spec, tmp_path):
    """The one-row fully connected kernel on the f746zg's DSP path (tg_fully_connected_batch1_huffman_s8_dsp),
    its layer's codes by the zero's runs (CLZ), two rows side by side from the halves' starts,
    (lut:3:channel) each row's table mapping the other codes as they meet the input; no
    multi-symbol table stored (the host tests take that, tests/kernels/test_kernels_huffman.py):
    equal to the reference, on the host and the stand-in."""
    from tinygen.hil.target import open_device

    board = get_board("f746zg")
    source = _wide_fc_source()
    graph = compile_source(source, None, CompileOptions(features=board.isa_features,
                                                        weights=parse_weights(spec)))
    wide = [n for n in _coded(graph) if graph.tensor(n.param("weight")).shape[1] == 1024]
    assert len(wide) == 1 and wide[0].kernel == "tg_fully_connected_batch1_huffman_s8_dsp"
    packed = graph.const(wide[0], "packed")
    first_code_bits = int(packed[parts(packed)["fast"]] & 0xFFFF) >> 8
    # runs: no multi-symbol table; the one-row kernel's halves' starts (two rows side by side)
    assert first_code_bits == 1 and packed[6] == 0 and packed[7] == 1
    shape = (1, *source.graph.tensor(source.graph.inputs[0]).shape[1:])
    inputs = _inputs(shape, count=2, seed=4)
    host_graph = compile_source(source, None, CompileOptions(weights=parse_weights(spec)))
    assert_bit_exact(host_graph, build_host(source, host_graph, tmp_path / "h"), inputs)
    project = build(source, graph, board, tmp_path / "fw").out_dir
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(inputs):
            assert_device_equals_reference(dev, graph, x, f"wide fc {i}")
