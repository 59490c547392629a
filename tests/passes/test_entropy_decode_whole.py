"""--weights huffman on a DSP core: a coded conv or fully connected layer of several rows decodes
its codes whole into the scratch (tg_huffman_decode_layer_s8) and then runs the int8 build's
kernel on them (tinygen/kernels/huffman_table.py, the decoding kernels; specialized, the int8
kernel's inline body: tinygen/codegen/huffman_decode.py), its codes in one block. Each names the
block kernel leaner, which lower_peak takes where the decoded layer sits on the arena's peak and
the swap pays by its bounds, and the fit's RAM trade takes whatever it costs; its scratch is the
decoded layer plus the int8 kernel's. On the f746zg
stand-in, odd shapes, specialized and not: equal to the reference byte for byte, and not once
the codes are corrupted; the build report says which layers decode whole."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from torch import nn

from e2e import assert_device_equals_reference
from test_entropy_code import HUFFMAN, _coded, _inputs, pruned_source
from test_prune import source_of
from tinygen.board import get_board
from tinygen.compiler import build, compile_source
from tinygen.kernels.huffman_table import WIDEN, decoded_bytes, decoded_shape, pack
from tinygen.kernels.spec import pack_consts
from tinygen.kernels.specialize import HUFFMAN_DECODES, INLINE
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.passes import CompileOptions
from tinygen.quant.huffman import decode, parts
from tinygen.report.weights import huffman_lines

needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed")
BLOCK = {"conv2d": "tg_conv2d_huffman_s8_dsp", "fully_connected": "tg_fully_connected_huffman_s8_dsp"}
# the block kernels a decoding kernel names leaner: a conv's widening one first, where it serves
LEANER = {"conv2d": (WIDEN, BLOCK["conv2d"]), "fully_connected": (BLOCK["fully_connected"],)}
BOARD = get_board("f746zg")


def _odd_source(seed: int = 4):
    """Odd channel counts and map: 3x3 stride 2 (3 -> 29), 1x1 (29 -> 67), 3x3 dilated (67 -> 45)."""
    return pruned_source(c_in=3, c1=29, c2=67, c3=45, hw=(7, 5), classes=9, keep=0.3, seed=seed)


class _Rows(nn.Module):
    """A fully connected layer of 6 rows (a sequence's frames), then one of one row."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(120, 77)
        self.fc2 = nn.Linear(6 * 77, 5)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)).flatten(1))


def _rows_source(seed: int = 6):
    torch.manual_seed(seed)
    net = _Rows()
    with torch.no_grad():
        for layer in (net.fc1, net.fc2):
            layer.weight.mul_((torch.rand_like(layer.weight) < 0.3).float())
    return source_of(net.eval(), (1, 6, 120), seed)


def _graph(source, **options):
    return compile_source(source, None, CompileOptions(features=BOARD.isa_features, weights=HUFFMAN, **options))


def test_decoding_kernels_scratch_and_block_kernel_for_a_short_ram():
    """Each decoding kernel: the decoded layer (rounded up to 8 bytes) then the int8 kernel's
    scratch, the block kernels named leaner, the int8 kernel's inline body after the decode."""
    graph = _graph(_odd_source())
    seen = set()
    for node in _coded(graph):
        p = node.attrs["kparams"]
        for name, int8 in HUFFMAN_DECODES.items():
            spec, plain = KERNELS_BY_NAME[name], KERNELS_BY_NAME[int8]
            if spec.op != node.op:
                continue
            rows, depth = decoded_shape(p)
            own = plain.scratch(p) if plain.scratch else 0
            assert spec.scratch(p) == (rows * depth + 7) // 8 * 8 + own == decoded_bytes(rows * depth) + own
            assert spec.leaner == LEANER[node.op] and spec.weight_coding == "huffman"
            assert INLINE[name].decodes == int8 and INLINE[name].function == INLINE[int8].function
            seen.add(name)
    assert {"tg_conv2d_1x1_rows3_huffman_decode_s8_dsp", "tg_conv2d_rows3_huffman_decode_s8_dsp"} <= seen


def test_coded_layers_take_the_decoding_kernels_and_the_report_says_so():
    graph = _graph(_odd_source(), lower_peak=False)
    coded = _coded(graph)
    whole = [n for n in coded if n.kernel in HUFFMAN_DECODES]
    assert {n.op for n in whole} == {"conv2d"} and len(whole) >= 2
    # the one-row fully connected layer decodes its codes into the multiply-accumulates (each weight is used once)
    assert all(n.kernel == "tg_fully_connected_batch1_huffman_s8_dsp" for n in coded if n.op == "fully_connected")
    lines = "\n".join(huffman_lines(graph))
    assert "decoded once into scratch for the int8 DSP kernel" in lines
    assert all(n.name in lines for n in whole)
    # the scratch is the decoded layer and the int8 kernel's; the codes one block, smaller than in blocks
    for node in whole:
        packed, p = graph.const(node, "packed"), node.attrs["kparams"]
        assert int(packed[1]) == 1 and packed.nbytes < pack(p, pack_consts(graph, node)).nbytes
        assert np.array_equal(decode(packed, *decoded_shape(p)), graph.const(node, "weight").reshape(p["out_c"], -1))
        int8 = KERNELS_BY_NAME[HUFFMAN_DECODES[node.kernel]]
        rows, depth = decoded_shape(node.attrs["kparams"])
        assert node.scratch_bytes == decoded_bytes(rows * depth) + int8.scratch(node.attrs["kparams"])


def test_a_short_ram_takes_the_block_kernels():
    """The fit's RAM trade (lower_peak taking every swap that lowers the arena, tinygen/fit/ram.py
    lean_options) puts the decoding layers at the arena's peak back on the block kernel, and the
    arena drops; without lower_peak every coded conv decodes whole."""
    source = _odd_source()
    fast = _graph(source, lower_peak=False)
    lean = _graph(source, lower_peak_flash=None, lower_peak_instructions=None)
    swaps = {c["node"]: c for c in lean.meta["lower_peak"]}
    assert {n.op for n in _coded(fast) if n.kernel in HUFFMAN_DECODES} == {"conv2d"}
    assert swaps and all(c["instead_of"] in HUFFMAN_DECODES and c["kernel"] == BLOCK[lean.node(n).op]
                         for n, c in swaps.items())
    assert lean.meta["memory"].arena_size < fast.meta["memory"].arena_size
    assert "decoded a block of output channels at a time" in "\n".join(huffman_lines(lean))


def test_the_default_build_weighs_the_decoded_layer_by_the_exchange_rate():
    """The default build's lower_peak puts a decoding layer at the arena's peak back on its block
    kernel only where the instructions that adds are within INSTRUCTIONS_PER_RAM_BYTE per arena byte
    saved (the house's rate, as for every other kernel), and keeps the others decoding whole."""
    source = _odd_source()
    default, fast = _graph(source), _graph(source, lower_peak=False)
    changes = default.meta["lower_peak"]
    assert changes, "conv_4's decoded layer sets the odd model's peak"
    for c in changes:
        assert c["instead_of"] in HUFFMAN_DECODES and c["kernel"] == BLOCK[default.node(c["node"]).op]
    assert default.meta["memory"].arena_size < fast.meta["memory"].arena_size
    kept = {n.name for n in _coded(default) if n.kernel in HUFFMAN_DECODES}
    assert kept and kept.isdisjoint(c["node"] for c in changes)


def _mutated(graph, node):
    """The node's codes with each fast entry's and multi-symbol entry's symbols changed (xor 1):
    every weight decoded from them differs."""
    tensor = graph.tensor(node.param("packed"))
    packed = np.array(tensor.data, copy=True)
    at = parts(packed)
    peek, multi = int(packed[5]), int(packed[6])
    fast = packed.view(np.uint16)[2 * at["fast"]:2 * at["fast"] + (1 << peek)]
    fast[fast != 0] ^= 1
    if multi:
        packed[at["multi"]:at["multi"] + (1 << multi)] ^= 0x010101
    tensor.data = packed


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("specialize", [True, False])
def test_decoding_kernels_on_standin_equal_reference(specialize, tmp_path):
    """Odd shapes on the decoding kernels (3x3 and 1x1 convs, a 6-row fully connected layer),
    specialized (decode then the inline body) and on the generic entry points; then with one
    layer's codes corrupted the device differs from the reference (the check can fail)."""
    from tinygen.hil.target import open_device

    # the 3-pixel and 3-row block kernels where they serve; the plain im2col and pointwise ones chosen
    plain = {"conv_2": "tg_conv2d_1x1_huffman_decode_s8_dsp", "conv_4": "tg_conv2d_huffman_decode_s8_dsp"}
    cases = (("convs", _odd_source(), (1, 7, 5, 3), None), ("plain", _odd_source(), (1, 7, 5, 3), plain),
             ("rows", _rows_source(), (1, 6, 120), None))
    for label, source, shape, choice in cases:
        # lower_peak off: it would put conv_4 (the arena's peak) back on the block kernel, which
        # test_entropy_code's stand-in tests cover
        graph = _graph(source, kernel_choice=choice, lower_peak=False)
        graph.meta["specialize"] = specialize
        whole = {n.name: n.kernel for n in _coded(graph) if n.kernel in HUFFMAN_DECODES}
        assert whole == {"convs": {"conv_2": "tg_conv2d_1x1_rows3_huffman_decode_s8_dsp",
                                   "conv_4": "tg_conv2d_rows3_huffman_decode_s8_dsp"},
                         "plain": plain, "rows": {"fc_0": "tg_fully_connected_huffman_decode_s8_dsp"}}[label]
        project = build(source, graph, BOARD, tmp_path / label).out_dir
        model_c = (project / "model.c").read_text()
        assert ("tg_huffman_decode_layer_s8(" in model_c) == specialize
        inputs = _inputs(shape, count=2, seed=8)
        with open_device(BOARD, project, emulate=True) as dev:
            for i, x in enumerate(inputs):
                assert_device_equals_reference(dev, graph, x, f"{label} {i}")
        _mutated(graph, graph.node(sorted(whole)[0]))
        project = build(source, graph, BOARD, tmp_path / f"{label}-mutated").out_dir
        with open_device(BOARD, project, emulate=True) as dev:
            with pytest.raises(AssertionError):
                assert_device_equals_reference(dev, graph, inputs[0], f"{label} mutated")
