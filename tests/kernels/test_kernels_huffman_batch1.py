"""tg_fully_connected_batch1_huffman_s8_dsp (--weights huffman, issue 73): one-row fully connected
layers on the DSP targets take the kernel that decodes each code straight into its
multiply-accumulate (no weight stored; a 1-bit code's runs skip their multiply-accumulates). A
chain of layers with crafted int8 weights (not compacted, so a row of zeros stays): a depth that
is no multiple of 3 or 4 (dense codes, three a load, then one at a time), a sparse layer with a
row of all zeros, a row that is one long run then one nonzero weight, and one that is a weight then
a run, a layer of codes longer than the fast table (long codes), and a layer whose 1-bit code is a
nonzero weight (its z * S term). Every layer equals the reference on the f746zg and f446re
stand-ins, and a corrupted stream changes the outputs. The chooser, scratch and flash (blocks of an
even number of rows, the 45 rows of one layer an odd last block taken row by row; no multi-symbol
table) are checked on the host."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from torch import nn

from e2e import assert_device_equals_reference
from torch_models import source_of
from tinygen.board import get_board
from tinygen.compiler import build, compile_source
from tinygen.kernels.huffman_table import BATCH1, batch1_scratch
from tinygen.passes import CompileOptions
from tinygen.quant.huffman import decode, parts
from tinygen.quant.weight_spec import parse_weights

SIZES = (149, 45, 130, 61, 100)
needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed")


def _fibonacci(n: int, size: int, rng) -> np.ndarray:
    """size values of n symbols (-n//2 ..) with counts 1, 1, 2, 3, 5, ... (codes past the fast
    table's 8 bits), the rest the most common symbol."""
    fib = [1, 1]
    while len(fib) < n:
        fib.append(fib[-1] + fib[-2])
    values = np.repeat(np.arange(n) - n // 2, fib)
    values = np.concatenate([values, np.full(size - values.size, n - 1 - n // 2)])
    return rng.permutation(values)


def _weights(rng) -> list[np.ndarray]:
    """Integer weights [out][in] per layer, each row's largest magnitude 127 (so the per-channel
    int8 quantization keeps them exactly)."""
    dense = np.clip(np.round(rng.laplace(0, 20, (45, 149))), -127, 127)
    sparse = np.where(rng.random((130, 45)) < 0.85, 0, rng.integers(-127, 128, (130, 45))).astype(np.float64)
    sparse[0] = 0                                    # a row of all zeros
    sparse[1] = 0
    sparse[1, -1] = 127                              # one run to the row's last weight
    sparse[2] = 0
    sparse[2, 0] = -127                              # a code, then one run to the row's end
    longs = _fibonacci(18, 61 * 130, rng).reshape(61, 130).astype(np.float64)
    common = np.where(rng.random((100, 61)) < 0.7, 5, rng.integers(-127, 128, (100, 61))).astype(np.float64)  # 1-bit code: 5
    out = [dense, sparse, longs, common]
    for w in out:
        for row in w:
            if row.any():                            # its largest magnitude to 127, zeros kept
                k = int(np.argmax(np.abs(row)))
                row[k] = 127 * np.sign(row[k])
    return [w.astype(np.float32) for w in out]


class _Chain(nn.Module):
    def __init__(self, weights: list[np.ndarray]):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(SIZES, SIZES[1:]))
        with torch.no_grad():
            for layer, w in zip(self.layers, weights):
                layer.weight.copy_(torch.from_numpy(w) / 64)

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            x = torch.relu(x) if i % 2 == 0 else x
        return x


def _compiled(features=frozenset({"dsp"}), weights_spec: str = "huffman"):
    rng = np.random.default_rng(3)
    weights = _weights(rng)
    source = source_of(_Chain(weights), rng.standard_normal((24, SIZES[0])).astype(np.float32), "batch1")
    options = CompileOptions(features=features, weights=parse_weights(weights_spec), compact=False)
    return source, weights, compile_source(source, None, options)


def _layers(graph):
    return [n for n in graph.nodes if n.op == "fully_connected"]


def test_fully_connected_batch1_huffman_chosen_for_one_row():
    """Every coded one-row layer takes the kernel on the DSP targets, its weights those the test
    wrote (row of zeros, long run, long codes, a nonzero 1-bit code), its packed constant in blocks
    of an even number of rows with their halves' starts and no multi-symbol table, its scratch the
    widened input; portable C keeps the block kernel."""
    _, weights, graph = _compiled()
    layers = _layers(graph)
    assert [n.kernel for n in layers] == [BATCH1] * 4
    for node, w in zip(layers, weights):
        q = graph.const(node, "weight").reshape(w.shape)
        assert np.array_equal(q, w.astype(np.int8)), node.name
        packed = graph.const(node, "packed")
        # blocks of an even number of rows, their second halves' starts (two rows side by side), no multi
        assert packed[0] % 2 == 0 and packed[6] == 0 and packed[7] == 1
        assert int(packed[1]) == -(-w.shape[0] // int(packed[0]))
        assert np.array_equal(decode(packed, *w.shape), q)
        assert node.attrs["kparams"]["in_features"] == w.shape[1]
        assert batch1_scratch(node.attrs["kparams"]) == (2 * w.shape[1] + 7) // 8 * 8
    fast = [int(graph.const(n, "packed")[parts(graph.const(n, "packed"))["fast"]] & 0xFFFF) for n in layers]
    assert [f >> 8 for f in fast] == [fast[0] >> 8, 1, fast[2] >> 8, 1] and fast[0] >> 8 > 1   # dense, runs
    assert fast[3] & 0xFF == 5                                          # the 1-bit code's weight is 5
    assert int(graph.const(layers[2], "packed")[4]) > 0                 # codes longer than the fast table
    portable = compile_source(_compiled()[0], None, CompileOptions(weights=parse_weights("huffman"), compact=False))
    assert {n.kernel for n in _layers(portable)} == {"tg_fully_connected_huffman_s8"}


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("name,spec", [("f746zg", "huffman"), ("f746zg", "lut:4:channel,huffman"),
                                       ("f446re", "huffman")])
def test_fully_connected_batch1_huffman_s8_dsp_standin(name, spec, tmp_path):
    """Every layer equals the reference on the stand-in, the Cortex-M7's and the M4's (lut:4:channel:
    the symbols are indices into a table per output channel, mapped as they meet the input); then
    the first 128 bits of the third coded layer's stream inverted change the outputs."""
    from tinygen.hil.target import open_device

    board = get_board(name)
    source, _, graph = _compiled(board.isa_features, spec)
    coded = [n for n in _layers(graph) if n.attrs.get("weight_coding")]
    assert len(coded) >= 3 and {n.kernel for n in coded} == {BATCH1}
    assert spec == "huffman" or all(graph.const(n, "packed")[2] == n.attrs["kparams"]["out_features"]
                                    for n in coded)
    rng = np.random.default_rng(9)
    inputs = [rng.integers(-128, 128, (1, SIZES[0])).astype(np.int8) for _ in range(3)]
    project = build(source, graph, board, tmp_path / "fw").out_dir
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(inputs):
            assert_device_equals_reference(dev, graph, x, f"chain {i}")
    node = coded[2]
    packed = graph.tensor(node.param("packed"))
    data = packed.data.copy()
    data[parts(data)["stream"]:parts(data)["stream"] + 4] ^= np.uint32(0xFFFFFFFF)     # the first rows' codes
    packed.data = data
    project = build(source, graph, board, tmp_path / "bad").out_dir
    with open_device(board, project, emulate=True) as dev:
        with pytest.raises(AssertionError, match="layer|differ"):
            assert_device_equals_reference(dev, graph, inputs[0], "corrupted")
