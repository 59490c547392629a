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
from tinygen.kernels.huffman_table import BLOCK_CHANNELS, BLOCK_MAX, conv_scratch, layer_block
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
