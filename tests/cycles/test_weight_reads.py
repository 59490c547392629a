"""tinygen.cycles.weight_reads: the weight bytes each kernel's access pattern reads from flash per
inference and their price through the board's data cache, against hand-computed numbers."""

import numpy as np
import pytest

from tinygen.board import get_board
from tinygen.codegen.weights_ram import META, LayerWeights, WeightsPlacement
from tinygen.cycles.weight_reads import block_pixels, graph_weight_reads, layer_weight_reads
from tinygen.ir.graph import Graph
from tinygen.ir.node import Node

F446 = {"flash_wait_states": 5, "data_cache_bytes": 128, "data_line_bytes": 16}
F746 = {"flash_wait_states": 7, "data_cache_bytes": 4096, "data_line_bytes": 32}


def layer(op, kernel, kparams, **consts):
    """A graph of one node whose constants have the given byte sizes (int8)."""
    g = Graph("g")
    params = {}
    for role, size in consts.items():
        g.add_const(f"{role}", np.zeros(size, np.int8))
        params[role] = role
    node = Node("n", op, [], [], attrs={"kparams": kparams}, params=[params], kernel=kernel)
    g.nodes.append(node)
    return node, g


def test_im2col_conv_rereads_the_matrix_per_pixel_pair():
    # 64 x 3x3x16 weights (9216 B) + bias/multiplier/shift 3 x 256 B = 9984 B per pass; 16x16 = 256 output
    # pixels, 2 per pass: 128 passes. 9984 B > 4096 / 2: every pass misses on its 312 lines, 7 cycles each.
    node, g = layer("conv2d", "tg_conv2d_s8_cmsis_nn", {"out_h": 16, "out_w": 16}, weight=9216, bias=256,
                    multiplier=256, shift=256)
    r = layer_weight_reads(node, g, F746)
    assert (r.pattern, r.stream_bytes, r.passes) == ("im2col", 9984, 128)
    assert r.line_misses == 312 * 128 and r.cycles == 312 * 128 * 7
    assert r.bytes_read == 9984 * 128


def test_small_matrix_fits_the_d_cache_and_is_read_once():
    # 16 x 1x1x8 = 128 B + 3 x 64 B = 320 B <= 2048 B: 10 cold misses, then hits; 3 pixels per pass (rows3)
    node, g = layer("conv2d", "tg_conv2d_1x1_rows3_s8_dsp", {"out_h": 48, "out_w": 48}, weight=128, bias=64,
                    multiplier=64, shift=64)
    r = layer_weight_reads(node, g, F746)
    assert (r.pattern, r.passes, r.line_misses, r.cycles) == ("im2col", 768, 10, 70)


def test_depthwise_reads_per_pixel_and_misses_the_f4_art_cache():
    # packed record of 2564 B read once per output pixel (25 x 5 = 125); the ART's 128 B data cache holds
    # none of it: 161 lines of 16 B per pixel, 5 wait states each.
    node, g = layer("depthwise_conv2d", "tg_depthwise_conv2d_3x3_narrow_s8_dsp", {"out_h": 25, "out_w": 5},
                    weight=576, bias=256, multiplier=256, shift=256, packed=2564)
    r = layer_weight_reads(node, g, F446)
    assert (r.pattern, r.stream_bytes, r.passes) == ("per_pixel", 2564, 125)
    assert r.line_misses == 161 * 125 and r.cycles == 161 * 125 * 5


def test_direct_conv_with_int16_weights_reads_per_pixel():
    node, g = layer("conv2d", "tg_conv2d_direct_s8_dsp", {"out_h": 32, "out_w": 32}, weight=2304, bias=64,
                    multiplier=64, shift=64, packed=4608)
    r = layer_weight_reads(node, g, F746)
    # the kernel's constants as stored: the int16 weights and the per-channel bias, multiplier and shift
    assert (r.pattern, r.stream_bytes, r.passes) == ("per_pixel", 4608 + 3 * 64, 1024)
    assert r.line_misses == 150 * 1024


@pytest.mark.parametrize("kernel, packed, lines", [("tg_conv2d_rows4_w16_s8_dsp", 4608, 150),
                                                   ("tg_conv2d_add_rows4_w16_s8_dsp", 4608, 150),
                                                   ("tg_conv2d_rows4_pair_s8_dsp", 2304, 78),
                                                   ("tg_conv2d_add_rows4_pair_s8_dsp", 2304, 78)])
def test_rows4_conv_reads_its_packed_weights_once_per_block_of_4_pixels(kernel, packed, lines):
    # the int16 weights (the direct kernel's bytes) or the row-pair halfwords (the int8 weights' bytes), read
    # once per block of 4 output pixels: 1024 / 4 passes
    op = "conv2d_add" if "add" in kernel else "conv2d"
    node, g = layer(op, kernel, {"out_h": 32, "out_w": 32}, weight=2304, bias=64, multiplier=64, shift=64,
                    packed=packed)
    r = layer_weight_reads(node, g, F746)
    assert (r.pattern, r.stream_bytes, r.passes) == ("im2col", packed + 3 * 64, 256)
    assert r.line_misses == lines * 256


@pytest.mark.parametrize("kernel", ["tg_conv2d_rows4_pair_s8_dsp", "tg_conv2d_add_rows4_pair_s8_dsp",
                                    "tg_conv2d_rows4_w16_s8_dsp"])
def test_the_f446s_pair_kernels_read_their_weights_once_per_block_of_3_pixels(kernel):
    # the F446's -DTG_ROWS4_PAIR_TRIPLES=1 (its board file) runs the pair kernels 3 pixels a block: 1024 pixels
    # in ceil(1024 / 3) = 342 passes there; the int16 kernel, and the pair kernels on the F746, keep 4 (256)
    f446, f746 = block_pixels(get_board("f446re").cflags), block_pixels(get_board("f746zg").cflags)
    assert kernel not in f746 and sorted(f446) == ["tg_conv2d_add_rows4_pair_s8_dsp", "tg_conv2d_rows4_pair_s8_dsp"]
    op = "conv2d_add" if "add" in kernel else "conv2d"
    node, g = layer(op, kernel, {"out_h": 32, "out_w": 32}, weight=2304, bias=64, multiplier=64, shift=64,
                    packed=4608 if "w16" in kernel else 2304)
    assert layer_weight_reads(node, g, F446, blocks=f446).passes == (256 if "w16" in kernel else 342)
    assert layer_weight_reads(node, g, F446, blocks=f746).passes == 256


@pytest.mark.parametrize("kernel", ["tg_conv2d_slide_pair_s8_dsp", "tg_conv2d_add_slide_pair_s8_dsp"])
def test_the_slide_kernels_read_their_weights_per_block_of_3_pixels_on_the_cores_that_load_by_ldr(kernel):
    # the M7 (TG_DUAL_ISSUE) and the M33 run 3-pixel blocks where in_c >= 8: a 32-wide row in 10 + 1 blocks, a
    # 16-wide one in 4 + 2, a 6-wide one in 2; the M4 (and in_c 4 everywhere) 2-pixel blocks: 16, 8, 3
    f446, f746, u585 = (block_pixels(get_board(b).cflags) for b in ("f446re", "f746zg", "u585"))
    assert kernel not in f446 and f746[kernel] == 3 and u585[kernel] == 3
    op = "conv2d_add" if "add" in kernel else "conv2d"
    for (out_w, in_c), ldr, plain in [((32, 16), 11, 16), ((16, 32), 6, 8), ((6, 8), 2, 3), ((6, 4), 3, 3)]:
        node, g = layer(op, kernel, {"out_h": 5, "out_w": out_w, "in_c": in_c}, weight=9 * in_c * 16,
                        packed=9 * in_c * 16, bias=64, multiplier=64, shift=64)
        assert layer_weight_reads(node, g, F746, blocks=f746).passes == 5 * ldr
        assert layer_weight_reads(node, g, F746, blocks=u585).passes == 5 * ldr
        assert layer_weight_reads(node, g, F446, blocks=f446).passes == 5 * plain


@pytest.mark.parametrize("kernel", ["tg_fully_connected_s8_cmsis_nn", "tg_fully_connected_batch1_lean_s8_dsp",
                                    "tg_fully_connected_batch1_rowpair_lean_s8_dsp"])
def test_batch1_fc_reads_each_weight_once(kernel):
    # 128 x 640 = 81920 B + 3 x 512 B = 83456 B, once: 5216 lines of 16 B on the F446, 5 cycles each (the lean
    # kernel reads the weights and bias from its packed record, CMSIS-NN's from the weights and the bias)
    node, g = layer("fully_connected", kernel, {"rows": 1}, weight=81920, bias=512, multiplier=512, shift=512,
                    packed=81920 + 512)
    r = layer_weight_reads(node, g, F446)
    assert (r.pattern, r.passes, r.line_misses, r.cycles) == ("once", 1, 5216, 26080)


def test_widen_kernel_copies_once_into_scratch():
    node, g = layer("conv2d", "tg_conv2d_widen_s8_dsp", {"out_h": 16, "out_w": 16}, weight=4608, packed=4608)
    assert layer_weight_reads(node, g, F746).passes == 1


def test_rv32_kernels_read_their_constants_per_block_of_pixels():
    c3 = get_board("esp32-c3").raw["timing"]
    consts = dict(weight=4096, bias=64, multiplier=64, shift=16, packed=4160)
    # tg_conv2d_s8_rv32: groups of 3 output pixels; 10 x 10 = 100 pixels: 34 passes
    node, g = layer("conv2d", "tg_conv2d_s8_rv32", {"out_h": 10, "out_w": 10}, **consts)
    assert layer_weight_reads(node, g, c3).passes == 34
    # tg_conv2d_1x1_s8_rv32: the channel blocks outermost, each block's weights read once
    node, g = layer("conv2d", "tg_conv2d_1x1_s8_rv32", {"out_h": 10, "out_w": 10}, **consts)
    assert (layer_weight_reads(node, g, c3).pattern, layer_weight_reads(node, g, c3).passes) == ("once", 1)
    # tg_depthwise_conv2d_s8_rv32: each row in segments of 8 pixels: 10 rows x 2 segments
    node, g = layer("depthwise_conv2d", "tg_depthwise_conv2d_s8_rv32", {"out_h": 10, "out_w": 10}, **consts)
    assert layer_weight_reads(node, g, c3).passes == 20
    # tg_fully_connected_s8_rv32: 3 rows a pass
    node, g = layer("fully_connected", "tg_fully_connected_s8_rv32", {"rows": 7}, **consts)
    assert layer_weight_reads(node, g, c3).passes == 3


def test_a_cache_shared_with_code_leaves_the_weights_what_the_code_does_not_take():
    # 6000 B: more than half the C3's 16 KB would not matter there; beside 12 KB of the layer's code it misses per pass
    c3 = get_board("esp32-c3").raw["timing"]
    node, g = layer("conv2d", "tg_conv2d_s8_rv32", {"out_h": 3, "out_w": 6}, weight=5000, packed=6000)
    assert layer_weight_reads(node, g, c3, code_bytes=4096).line_misses == 188
    assert layer_weight_reads(node, g, c3, code_bytes=12288).line_misses == 188 * 6
    assert layer_weight_reads(node, g, c3, code_bytes=4096).cycles == 188 * c3["flash_wait_states"]


def test_weights_in_ram_or_without_wait_states_cost_nothing():
    node, g = layer("fully_connected", "tg_fully_connected_s8_cmsis_nn", {"rows": 1}, weight=1024)
    assert layer_weight_reads(node, g, {**F446, "weights_in": "ram"}).cycles == 0
    assert layer_weight_reads(node, g, {"data_cache_bytes": 0}).cycles == 0
    assert layer_weight_reads(node, g, {**F446, "data_miss_cycles": 9}).cycles == 64 * 9


def test_layers_without_weights_are_left_out():
    node, g = layer("avg_pool2d", "tg_avg_pool2d_s8_dsp", {"out_h": 1, "out_w": 1})
    assert graph_weight_reads(g, F446) == {}


@pytest.mark.parametrize("name", ["f446re", "f746zg", "u585", "n6570"])
def test_mlperf_boards_state_their_data_cache(name):
    timing = get_board(name).raw["timing"]
    assert timing["data_cache_bytes"] > 0 and timing["data_line_bytes"] in (16, 32)


def test_helium_lut_kernels_read_their_constant_once():
    """The Helium LUT kernels decode their packed constant into RAM once per inference; the int8
    MVE kernel of the same layer rereads its records per group of 4 pixels."""
    kp = {"out_h": 16, "out_w": 16}
    lut, g = layer("conv2d", "tg_conv2d_lut_decode_s8_mve", kp, weight=9216, packed=5200)
    int8, g8 = layer("conv2d", "tg_conv2d_s8_mve", kp, weight=9216, packed=10000)
    assert (layer_weight_reads(lut, g, F446).pattern, layer_weight_reads(lut, g, F446).passes) == ("once", 1)
    assert layer_weight_reads(int8, g8, F446).passes == 64


def test_lstm_dsp_reads_its_int16_packed_weights_once_per_time_step():
    # tg_lstm_s8_dsp: the packed record (67,716 B: benchmarks/recurrent.py's 64 x 64 LSTM, int16 weight pairs)
    # once per step of 49; far over 2 KB: 2,117 lines of 32 B missed each step, 7 cycles each. h0 and c0 are
    # read only when the state is reset: not in the stream.
    node, g = layer("lstm", "tg_lstm_s8_dsp", {"batches": 1, "steps": 49}, packed=67716, h0=64, c0=128)
    r = layer_weight_reads(node, g, F746)
    assert (r.pattern, r.stream_bytes, r.passes) == ("per_step", 67716, 49)
    assert r.line_misses == 2117 * 49 and r.cycles == 2117 * 49 * 7


def test_cmsis_nn_lstm_streams_its_int8_weights_and_effective_biases_not_bias():
    # arm_nn_lstm_step_s8 reads w_ih, w_hh (int8) and the effective biases (packed: 8 x 64 int32), not bias
    consts = {"w_ih": 16384, "w_hh": 16384, "bias": 1024, "packed": 2048, "h0": 64, "c0": 128}
    node, g = layer("lstm", "tg_lstm_s8_cmsis_nn", {"batches": 2, "steps": 10}, **consts)
    r = layer_weight_reads(node, g, F446)
    assert (r.pattern, r.stream_bytes, r.passes) == ("per_step", 34816, 20)
    assert r.line_misses == 2176 * 20 and r.cycles == 2176 * 20 * 5
    portable, gp = layer("lstm", "tg_lstm_s8", {"batches": 2, "steps": 10}, **consts)
    assert layer_weight_reads(portable, gp, F446).stream_bytes == 16384 * 2 + 1024


@pytest.mark.parametrize("kernel,consts,stream", [
    ("tg_gru_s8", {"w_ih": 300, "w_hh": 300, "bias": 480, "h0": 10}, 1080),
    ("tg_gru_s8_dsp", {"packed": 1400, "h0": 10}, 1400),
    ("tg_gru_s8_rv32", {"packed": 900, "h0": 10}, 900),
])
def test_gru_kernels_read_their_weights_per_step_and_a_small_layer_stays_in_the_cache(kernel, consts, stream):
    node, g = layer("gru", kernel, {"batches": 1, "steps": 30}, **consts)
    r = layer_weight_reads(node, g, F746)
    # under 2 KB: cold misses only, however many steps
    assert (r.pattern, r.stream_bytes, r.passes) == ("per_step", stream, 30)
    assert r.line_misses == -(-stream // 32) and r.cycles == r.line_misses * 7
    # the F4's 128 B ART cache keeps none of it: every step misses
    assert layer_weight_reads(node, g, F446).line_misses == -(-stream // 16) * 30


def test_svdf_reads_feature_and_time_weights_once_per_batch_row():
    # tg_svdf_s8: 64 x 40 int8 feature weights + 64 x 49 int16 time weights + 64 int32 biases, one frame of 3 rows
    g = Graph("g")
    g.add_const("wf", np.zeros((64, 40), np.int8))
    g.add_const("wt", np.zeros((64, 49), np.int16))
    g.add_const("b", np.zeros(64, np.int32))
    node = Node("n", "svdf", [], [], attrs={"kparams": {"batches": 3}},
                params=[{"weights_feature": "wf", "weights_time": "wt", "bias": "b"}], kernel="tg_svdf_s8")
    g.nodes.append(node)
    r = layer_weight_reads(node, g, F446)
    assert (r.pattern, r.stream_bytes, r.passes) == ("once", 2560 + 6272 + 256, 3)
    assert r.line_misses == 568 * 3 and r.cycles == 568 * 3 * 5


def test_other_constants_are_read_once_and_reset_only_ones_not_at_all():
    # a constant operand of an add (1000 B), the audio front end's window (800 B): one pass, cold misses
    add, ga = layer("add", "tg_add_s8", {}, operand=1000)
    r = layer_weight_reads(add, ga, F446)
    assert (r.pattern, r.stream_bytes, r.passes, r.line_misses, r.cycles) == ("once", 1000, 1, 63, 63 * 5)
    window, gw = layer("signal_window", "tg_signal_window_s16", {}, weights=800)
    assert layer_weight_reads(window, gw, F746).line_misses == 25
    # a variable's initial value is read when it is reset, not per inference
    var, gv = layer("read_variable", "tg_read_variable", {}, initial=4000)
    assert layer_weight_reads(var, gv, F746) is None


def test_recurrent_constants_moved_to_ram_cost_nothing():
    node, g = layer("lstm", "tg_lstm_s8_dsp", {"batches": 1, "steps": 49}, packed=67716, h0=64, c0=128)
    before = layer_weight_reads(node, g, F746)
    g.meta[META] = WeightsPlacement("ram", 100000, (LayerWeights("n", ("packed", "h0", "c0"), 67908, before.cycles),))
    after = layer_weight_reads(node, g, F746)
    assert before.cycles > 0 and after.in_ram and after.cycles == 0
    assert (after.stream_bytes, after.passes, after.line_misses) == (before.stream_bytes, 49, before.line_misses)


@pytest.mark.parametrize("kernel", ["tg_conv2d_huffman_s8_dsp", "tg_conv2d_widen_huffman_s8_dsp",
                                    "tg_conv2d_rows3_huffman_decode_s8_dsp", "tg_conv2d_rows3_lut_decode_s8_dsp"])
def test_decoding_kernels_read_their_codes_once(kernel):
    """The entropy-coded kernels decode each block once, the DSP LUT decoding kernels the layer:
    their packed constant is read once per inference; the int8 matrix kernel of the same layer
    rereads its weights per block of pixels."""
    kp = {"out_h": 16, "out_w": 16}
    coded, g = layer("conv2d", kernel, kp, weight=9216, packed=5200)
    int8, g8 = layer("conv2d", "tg_conv2d_rows3_s8_dsp", kp, weight=9216)
    assert (layer_weight_reads(coded, g, F446).pattern, layer_weight_reads(coded, g, F446).passes) == ("once", 1)
    assert layer_weight_reads(int8, g8, F446).passes == 86
