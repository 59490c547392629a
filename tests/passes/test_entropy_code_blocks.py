"""The entropy-coded block kernels' block size (tinygen/kernels/huffman_table.py, layer_block):
a layer whose weights serve several output pixels (rows) takes blocks of at least
BLOCK_CHANNELS output channels within BLOCK_MAX bytes, an even number short of the whole
layer, so that the receptive fields copied again per block and the DSP row bodies' channel
pairs are amortized; one-pixel layers keep the byte budget. Blocks of that size, the last one
short, equal the reference on the host and on the f746zg stand-in."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from e2e import assert_bit_exact, assert_device_equals_reference, build_host
from test_entropy_code import HUFFMAN, _block_kernels, _coded, _inputs, pruned_source
from tinygen.board import get_board
from tinygen.compiler import build, compile_source
from tinygen.kernels.huffman_table import (BLOCK_CHANNELS, BLOCK_MAX, WIDEN, conv_depth, conv_scratch, layer_block,
                                           widen_block, widen_scratch)
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.passes import CompileOptions

needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed")


def _conv(out_hw: int, in_c: int, out_c: int, k: int = 3) -> dict:
    return {"out_h": out_hw, "out_w": out_hw, "in_h": 2 * out_hw, "in_w": 2 * out_hw, "in_c": in_c, "out_c": out_c,
            "kernel_h": k, "kernel_w": k, "stride_h": 2, "stride_w": 2, "pad_top": 1, "pad_left": 1,
            "dilation_h": 1, "dilation_w": 1}


def test_several_pixel_convs_take_an_even_block_of_channels():
    # the digits CNN's convs: 2x2 pixels of depth 576 (1024 bytes held one channel; 4096 hold 7: 6)
    assert layer_block(_conv(2, 64, 64)) == 6
    # 4x4 pixels of depth 288 (1024 bytes held 3 channels): BLOCK_CHANNELS
    assert layer_block(_conv(4, 32, 64)) == BLOCK_CHANNELS == 8
    # fewer channels than BLOCK_CHANNELS: the whole layer, one block, of any count
    assert layer_block(_conv(2, 64, 7)) == 7
    # the byte budget held more channels already: kept (even where short of the layer)
    assert layer_block(_conv(8, 8, 64, k=1)) == 64
    assert layer_block(_conv(2, 16, 100, k=1)) == 64
    # a depth past BLOCK_MAX: one channel a block, whatever the pixels
    assert layer_block(_conv(2, 512, 16)) == 1
    for p in (_conv(2, 64, 64), _conv(4, 32, 64), _conv(3, 48, 30)):
        assert conv_scratch(p) <= BLOCK_MAX


def test_one_pixel_layers_keep_the_byte_budget():
    assert layer_block(_conv(1, 64, 64)) == 1                       # 1024 bytes of depth 576
    fc = {"rows": 1, "in_features": 256, "out_features": 10}
    assert layer_block(fc) == 4                                     # 1024 bytes of 256
    assert layer_block({**fc, "rows": 3}) == BLOCK_CHANNELS         # three rows read each weight


def _few_pixels_source():
    """Convs of 2x2 output pixels: the last one's depth 9 * 64 = 576 and 20 channels, in blocks
    of 6, 6, 6 and 2."""
    return pruned_source(c_in=3, c1=32, c2=64, c3=20, hw=(4, 4), seed=4)


def test_few_pixel_blocks_on_host_equal_reference(tmp_path):
    source = _few_pixels_source()
    graph = compile_source(source, None, CompileOptions(weights=HUFFMAN))
    last = [n for n in _coded(graph) if n.op == "conv2d" and n.attrs["kparams"]["out_c"] == 20]
    assert len(last) == 1 and layer_block(last[0].attrs["kparams"]) == 6
    assert int(graph.const(last[0], "packed")[1]) == 4                # blocks
    assert_bit_exact(graph, build_host(source, graph, tmp_path / "h"), _inputs((1, 4, 4, 3), seed=2))


@needs_qemu
@pytest.mark.slow
def test_few_pixel_blocks_on_standin_equal_reference(tmp_path):
    from tinygen.hil.target import open_device

    board = get_board("f746zg")
    source = _few_pixels_source()
    options = CompileOptions(features=board.isa_features, weights=HUFFMAN, lower_peak=False)
    graph = compile_source(source, None, replace(options, kernel_choice=_block_kernels(
        compile_source(source, None, options))))
    last = [n for n in _coded(graph) if n.op == "conv2d" and n.attrs["kparams"]["out_c"] == 20]
    assert len(last) == 1 and last[0].kernel == "tg_conv2d_huffman_s8_dsp"
    assert int(graph.const(last[0], "packed")[0]) == 6                # channels a block
    project = build(source, graph, board, tmp_path / "fw").out_dir
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(_inputs((1, 4, 4, 3), seed=9)):
            assert_device_equals_reference(dev, graph, x, f"few pixels {i}")


def _widen_source():
    """in_c 4, 32 and 48, out_c 32, 48 and 20 (multiples of 4); the last two convs coded, in
    blocks of 32 + 16 and 8 + 8 + 4 channels on the widening kernel."""
    return pruned_source(c_in=4, c1=32, c2=48, c3=20, hw=(4, 4), seed=6)


def test_widen_kernel_serves_multiples_of_4_only():
    source = _widen_source()
    graph = compile_source(source, None, CompileOptions(features=get_board("f746zg").isa_features, weights=HUFFMAN))
    convs = [n for n in _coded(graph) if n.op == "conv2d"]
    assert len(convs) == 2
    assert all(KERNELS_BY_NAME[WIDEN].accepts(graph, n) for n in convs)
    assert [widen_block(n.attrs["kparams"]) for n in convs] == [32, 8]
    # 50 channels: the 1x1 conv's out_c and the last conv's in_c not multiples of 4
    odd = pruned_source(c_in=4, c1=32, c2=50, c3=20, hw=(4, 4), seed=6)
    graph = compile_source(odd, None, CompileOptions(features=get_board("f746zg").isa_features, weights=HUFFMAN))
    convs = [n for n in _coded(graph) if n.op == "conv2d"]
    assert len(convs) == 2 and not any(KERNELS_BY_NAME[WIDEN].accepts(graph, n) or n.kernel == WIDEN for n in convs)


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("specialized", [True, False])
def test_widen_kernel_on_standin_equals_reference(specialized, tmp_path):
    """The coded convs on tg_conv2d_widen_huffman_s8_dsp (their last blocks short), specialized
    (its inline body with the layer's constants) or through its entry point, equal to the
    reference layer by layer on the f746zg stand-in; the scratch is one decoded block and the
    int8 widening kernel's."""
    from tinygen.hil.target import open_device

    board = get_board("f746zg")
    source = _widen_source()
    options = CompileOptions(features=board.isa_features, weights=HUFFMAN, lower_peak=False)
    convs = [n.name for n in _coded(compile_source(source, None, options)) if n.op == "conv2d"]
    graph = compile_source(source, None, replace(options, kernel_choice=dict.fromkeys(convs, WIDEN)))
    coded = [n for n in _coded(graph) if n.op == "conv2d"]
    assert [n.kernel for n in coded] == [WIDEN] * 2
    for node in coded:
        p = node.attrs["kparams"]
        assert int(graph.const(node, "packed")[0]) == widen_block(p)
        assert node.scratch_bytes == widen_scratch(p) == ((widen_block(p) * conv_depth(p) + 7) & ~7) + 8 * conv_depth(p)
    graph.meta["specialize"] = specialized
    project = build(source, graph, board, tmp_path / "fw").out_dir
    model_c = (project / "model.c").read_text() if (project / "model.c").exists() else ""
    assert ("tg_conv2d_widen_huffman_s8_dsp_inline(" in model_c) == specialized
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(_inputs((1, 4, 4, 4), seed=8)):
            assert_device_equals_reference(dev, graph, x, f"widen {i}")
