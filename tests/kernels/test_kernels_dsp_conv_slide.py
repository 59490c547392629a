"""tg_conv2d_slide_pair_s8_dsp and tg_conv2d_add_slide_pair_s8_dsp: 3x3 stride-1 convolutions over a ring
of input rows widened once each (firmware/kernels/conv/tg_conv2d_slide_pair_s8_dsp.h), the weights as
row-pair halfwords in the order the blocks read them, --kernels auto candidates where every channel pair
is exact.

On the host: which layers it serves; the packed order read back as the C fallback reads it; its in-place
distance against its loop order traced literally. On the stand-ins (F446RE's Cortex-M4, U585's Cortex-M33,
F746ZG's Cortex-M7, the last two with 3-pixel blocks on the 6- and 10-wide rows): chains of 3x3 layers of every channel count the ring takes (one to 4 groups of 4, an
unroll of 1, 2 and 4 planes a pass), clamped, rounded once, specialized and generic, a residual net's fused
adds, and MLPerf IC, each equal to the reference on every layer.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_kernels_dsp_conv_rows4 import _consts

from inplace_traces import brute_distance, trace_rows4_each, trace_slide_dsp
from rows3_lib import check_on_standin, check_seed, compile_chain, compile_with, served_after_preferred
from standin_lib import needs_qemu
from tinygen.kernels.slide_dsp import (add_slide_scratch, slide_pair_weights, slide_row_blocks, slide_scratch,
                                       slide_serves)
from tinygen.passes.choose_kernels import kernel_candidates
from tinygen.passes import inplace
from tinygen.passes.inplace import DISTANCE

SLIDE = "tg_conv2d_slide_pair_s8_dsp"
ADD_SLIDE = "tg_conv2d_add_slide_pair_s8_dsp"


def _params(in_c: int, h: int, w: int, out_c: int, **kw) -> dict:
    return dict(dict(kernel_h=3, kernel_w=3, in_c=in_c, in_h=h, in_w=w, out_h=h, out_w=w, out_c=out_c, stride_h=1,
                     stride_w=1, pad_top=1, pad_left=1, dilation_h=1, dilation_w=1, input_offset=128,
                     output_offset=-128, act_min=-128, act_max=127), **kw)


def _w(p: dict) -> dict:
    """_consts with drawn weights of the layer's shape, small enough for every pair to be exact."""
    rng = np.random.default_rng(p["in_c"] * 7 + p["out_c"])
    return _consts(p["out_c"], weight=rng.integers(-16, 17, (p["out_c"], 3, 3, p["in_c"])).astype(np.int8))


def _serves(in_c: int, h: int, w: int, out_c: int, **kw) -> bool:
    p = _params(in_c, h, w, out_c, **kw)
    return slide_serves(p, _w(p))


def test_slide_serves_the_3x3_stride_1_layers_its_ring_takes():
    assert _serves(16, 32, 32, 16)              # MLPerf IC's 16-channel convs
    assert _serves(32, 16, 16, 32)              # its 32-channel
    assert _serves(64, 8, 8, 64)                # its 64-channel
    assert _serves(4, 3, 2, 2)                  # one group, 6 pixels, one pair
    assert not _serves(16, 32, 31, 16)          # an odd width
    assert not _serves(16, 32, 32, 16, stride_h=2, stride_w=2, out_h=16, out_w=16)
    assert not _serves(16, 32, 32, 16, pad_top=0, pad_left=0, out_h=30, out_w=30)
    assert not _serves(16, 32, 32, 16, dilation_h=2, dilation_w=2, pad_top=2, pad_left=2)
    p = _params(3, 32, 32, 16)                  # in_c not a multiple of 4
    assert not slide_serves(p, _consts(16, weight=np.ones((16, 3, 3, 3), np.int8)))
    p = _params(16, 32, 32, 15)                 # an odd channel count
    assert not slide_serves(p, _consts(15, weight=np.ones((15, 3, 3, 16), np.int8)))
    p = _params(16, 16, 16, 16, kernel_h=5, kernel_w=5, pad_top=2, pad_left=2)
    assert not slide_serves(p, _consts(16, weight=np.ones((16, 5, 5, 16), np.int8)))
    # the 3 kernel rows' planes: 6 in_c (in_w + 2) bytes, under 4096 (the loop end's ADDW)
    assert _serves(20, 8, 32, 2) and 6 * 20 * 34 == 4080
    assert not _serves(24, 8, 32, 2)
    big = np.full((16, 3, 3, 16), 127, np.int8)     # 144 x 127 x 510 > 2^23 on bright inputs: a pair inexact
    assert not slide_serves(_params(16, 32, 32, 16), _consts(16, weight=big))


def test_slide_rows_take_3_pixel_blocks_where_the_cores_load_by_ldr():
    """tg_slide3_pixels: every 3-pixel block that leaves an even remainder (2 or 4 pixels, 2 a block), only
    where in_c >= 8 (2 passes of 6 groups) and on the M7 and M33 (triples)."""
    assert slide_row_blocks(32, 16, True) == (10, 1)
    assert slide_row_blocks(16, 32, True) == (4, 2)
    assert slide_row_blocks(8, 64, True) == (2, 1)
    assert slide_row_blocks(6, 8, True) == (2, 0)
    assert slide_row_blocks(4, 8, True) == (0, 2)
    assert slide_row_blocks(2, 8, True) == (0, 1)
    assert slide_row_blocks(6, 4, True) == (0, 3)
    assert slide_row_blocks(32, 16, False) == (0, 16)
    for out_w in range(2, 64, 2):
        threes, twos = slide_row_blocks(out_w, 16, True)
        assert 3 * threes + 2 * twos == out_w and twos <= 2


def test_slide_scratch_is_the_ring_the_records_and_the_adds_row_and_tables():
    p = _params(16, 32, 32, 16)
    # 5 ring rows (3 input rows, the first two again after the third) of 8 planes x 34 words
    assert slide_scratch(p) == 5 * 4 * 8 * 34 + 16 * 16
    assert add_slide_scratch(p) == slide_scratch(p) + 32 * 16 + 2 * 256 * 4


@pytest.mark.parametrize("out_c, in_c", [(2, 4), (6, 8), (16, 12)])
def test_slide_pair_weights_are_read_back_by_the_kernels_index(out_c, in_c):
    """Every weight at tg_rows4_weight's TG_SLIDE_PAIR index (per pair 9 in_c halfwords; per ky, plane
    (4 m + eo: channels c with c % 4 in {eo, eo + 2}), kx, half = (c >> 1) & 1), a = h's low byte,
    b = (h - a) >> 8; the int8 weights' bytes, each used once."""
    w = np.random.default_rng(out_c).integers(-127, 128, (out_c, 3, 3, in_c)).astype(np.int8)
    packed = slide_pair_weights(dict(out_c=out_c, in_c=in_c), dict(weight=w))
    assert packed.dtype == np.int16 and packed.size == out_c // 2 * 9 * in_c
    seen = np.zeros(packed.size, bool)
    for o in range(out_c):
        for ky in range(3):
            for kx in range(3):
                for c in range(in_c):
                    m, eo, half = c >> 2, c & 1, (c >> 1) & 1
                    i = (o >> 1) * 9 * in_c + (((ky * (in_c // 4) + m) * 2 + eo) * 3 + kx) * 2 + half
                    h = int(packed[i])
                    a = ((h & 255) ^ 128) - 128
                    assert ((h - a) >> 8 if o & 1 else a) == w[o, ky, kx, c], (o, ky, kx, c)
                    seen[i] = True
    assert seen.all()


@pytest.mark.parametrize("in_c, h, w, out_c", [(16, 6, 4, 16), (8, 5, 6, 24), (16, 4, 4, 4), (4, 3, 2, 2)])
def test_slide_in_place_distance_is_its_loop_orders_brute_force(in_c, h, w, out_c):
    k = _params(in_c, h, w, out_c)
    ring, each = brute_distance(trace_slide_dsp(k)), brute_distance(trace_rows4_each(k))
    assert inplace._slide_ring(k) == ring            # the ring alone: (8, 5, 6, 24) needs 240 bytes, the rest 0
    assert DISTANCE[SLIDE](k) == max(ring, each)


# 3x3 stride-1 padding-1 layers: in_c 4 (2 planes, 6 a block: 2 a pass), 8 (4 a pass), 12 (18: 2), 16;
# out_c 2 to 24; the widths even
SLIDE_LAYERS = [(3, 4, (3, 3), (1, 1), (1, 1)), (4, 8, (3, 3), (1, 1), (1, 1)), (8, 12, (3, 3), (1, 1), (1, 1)),
                (12, 16, (3, 3), (1, 1), (1, 1)), (16, 2, (3, 3), (1, 1), (1, 1))]


def _compile(seed: int, features, specialize: bool = True):
    hw = [(7, 6), (5, 10), (9, 4)][seed % 3]
    return compile_chain(SLIDE, SLIDE_LAYERS, hw, seed, features, specialize)


def test_slide_is_an_auto_candidate_after_the_preferred_kernel():
    assert served_after_preferred(SLIDE, _compile, range(2)) == 8


@needs_qemu
@pytest.mark.parametrize("board", ["f446re", "u585", "f746zg"])
@pytest.mark.parametrize("seed", [0, 1])
def test_conv_slide_pair_s8_dsp_standin(board, seed, tmp_path):
    check_seed(SLIDE, _compile, board, seed, tmp_path)


@needs_qemu
@pytest.mark.parametrize("board, bounds, seed", [("f446re", (-100, 90), 2), ("u585", (0, 15), 1)])
def test_conv_slide_pair_s8_dsp_clamped_standin(board, bounds, seed, tmp_path):
    check_seed(SLIDE, _compile, board, seed, tmp_path, bounds=bounds)


@needs_qemu
def test_conv_slide_pair_s8_dsp_generic_standin(tmp_path):
    """Specialization off: each output alone, every weight read back from its halfword."""
    check_seed(SLIDE, _compile, "f446re", 2, tmp_path, specialize=False)


@needs_qemu
def test_conv_slide_pair_s8_dsp_once_standin(tmp_path):
    check_seed(SLIDE, _compile, "u585", 0, tmp_path, once=True)


def _residual_net(seed: int):
    import torch

    from test_kernels_dsp_conv_rows4 import Residual

    torch.manual_seed(seed)
    net = Residual(8)
    for p in net.parameters():
        torch.nn.init.uniform_(p, -0.4, 0.4)
    net.eval()
    return net, np.random.default_rng(seed).standard_normal((16, 3, 13, 10)).astype(np.float32)


def test_add_slide_is_a_candidate_of_the_fused_adds_on_even_widths():
    """The residual net's first block (13 x 10) takes it; its strided block's (7 x 5, an odd width) does not."""
    _, graph, _, choice = compile_with(ADD_SLIDE, *_residual_net(0), frozenset({"dsp"}))
    adds = [n for n in graph.nodes if n.op == "conv2d_add"]
    assert len(adds) == 2 and [n.name in choice for n in adds] == [True, False]
    names = [c.name for c in kernel_candidates(graph, adds[0], frozenset({"dsp"}))]
    assert adds[0].kernel == ADD_SLIDE and names.index(ADD_SLIDE) > 0, names


@needs_qemu
@pytest.mark.parametrize("board, seed, specialize", [("f446re", 0, True), ("u585", 1, True), ("f746zg", 2, True),
                                                     ("f446re", 3, False)])
def test_conv2d_add_slide_pair_s8_dsp_standin(board, seed, specialize, tmp_path):
    from tinygen.board import get_board

    b = get_board(board)
    compiled = compile_with(ADD_SLIDE, *_residual_net(seed), b.isa_features, specialize)
    check_on_standin(ADD_SLIDE, b, compiled, tmp_path, f"{board} residual seed {seed}", specialize)


def _compile_ic(features):
    """MLPerf IC with the slide kernels on every conv they serve (its 4 stride-1 3x3 convs past the first:
    16, 16 + add, 32 + add, 64 + add channels), as check_on_standin takes it: drawn inputs in [-1, 1)."""
    from mlperf_models import mlperf_model

    from tinygen.compiler import compile_source, load_source
    from tinygen.passes import CompileOptions

    source = load_source(str(mlperf_model("ic_resnet8")))
    first = compile_source(source, None, CompileOptions(features=features))
    choice = {n.name: k for n in first.nodes for k in (SLIDE, ADD_SLIDE)
              if k in [c.name for c in kernel_candidates(first, n, features)]}
    graph = compile_source(source, None, CompileOptions(features=features, kernel_choice=choice, lower_peak=False))
    calib = np.random.default_rng(0).uniform(-1, 1, (3, *source.input_shape[1:])).astype(np.float32)
    return source, graph, calib, choice


@needs_qemu
@pytest.mark.parametrize("board", ["f446re", "f746zg"])
def test_ic_resnet8_with_the_slide_kernels_standin(board, tmp_path):
    from tinygen.board import get_board

    b = get_board(board)
    compiled = _compile_ic(b.isa_features)
    assert sorted(compiled[3].values()) == [ADD_SLIDE] * 3 + [SLIDE]
    check_on_standin(SLIDE, b, compiled, tmp_path, f"{board} IC")
