"""tg_conv2d_rows4_w16_s8_dsp: the im2col convolution in blocks of 4 output pixels multiplied 4
pixels x 2 channels at a time with int16 weights packed at build time
(firmware/kernels/conv/tg_conv2d_rows4_w16_s8_dsp.h), a --kernels auto candidate.

On the host: which layers its blocks serve (tinygen/kernels/rows4_dsp.py), its scratch, its
packed weights' order (read back as the C fallback reads them), its place among a layer's
candidates (never the first). On the stand-ins (F446RE's Cortex-M4, U585's Cortex-M33, F746ZG's
Cortex-M7): chains of convs with drawn shapes (kernels 1x1..5x3, input channels multiples of 4
or making the depth one, strides 1 and 2, padding, pixel counts not multiples of 4), specialized
and generic, clamped, and with single-rounding pairs, equal the reference on every layer.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from torch import nn

from rows3_lib import check_on_standin, check_seed, compile_chain, compile_with, served_after_preferred
from standin_lib import needs_qemu
from tinygen.kernels.rows4_dsp import ADD_BLOCKS, add_rows4_scratch, rows4_scratch, rows4_serves, rows4_w16_weights
from tinygen.passes.choose_kernels import kernel_candidates
from tinygen.resources import firmware_path

ROWS4 = "tg_conv2d_rows4_w16_s8_dsp"


def _params(kh: int, kw: int, in_c: int, out_h: int, out_w: int, out_c: int, **kw_) -> dict:
    return dict(dict(kernel_h=kh, kernel_w=kw, in_c=in_c, in_h=2 * out_h, in_w=2 * out_w, out_h=out_h,
                     out_w=out_w, out_c=out_c, stride_h=2, stride_w=2, pad_top=1, pad_left=1,
                     dilation_h=1, dilation_w=1, output_offset=-128, act_min=-128, act_max=127), **kw_)


def _consts(cols: int, **kw) -> dict:
    return dict(dict(bias=np.zeros(cols, np.int64), multiplier=np.full(cols, 1 << 30), shift=np.full(cols, -7)), **kw)


def test_rows4_serves_what_its_blocks_take():
    assert rows4_serves(_params(3, 3, 16, 32, 32, 16), _consts(16))         # MLPerf IC's 3x3 convs
    assert rows4_serves(_params(1, 1, 16, 8, 8, 32), _consts(32))           # and its strided 1x1
    assert rows4_serves(_params(2, 2, 1, 2, 2, 2), _consts(2))              # depth 4, 4 pixels, 2 channels
    assert rows4_serves(_params(3, 3, 3, 4, 4, 16), _consts(16))            # depth 27: run as 28
    assert not rows4_serves(_params(1, 1, 3, 4, 4, 16), _consts(16))        # depth 3
    assert not rows4_serves(_params(3, 3, 4, 1, 3, 16), _consts(16))        # 3 pixels
    assert not rows4_serves(_params(3, 3, 4, 4, 4, 15), _consts(15))        # an odd channel count
    assert not rows4_serves(_params(3, 3, 4, 4, 4, 1366), _consts(1366))    # outputs beyond STRB's offset
    assert not rows4_serves(_params(3, 3, 4, 4, 4, 4), _consts(4, multiplier=np.full(4, 1 << 29)))


@pytest.mark.parametrize("kh, kw, in_c, cols", [(3, 3, 16, 16), (1, 1, 4, 2), (3, 3, 3, 5), (5, 3, 8, 33)])
def test_rows4_scratch_is_four_fields_four_widened_and_the_records(kh, kw, in_c, cols):
    dp = -(-kh * kw * in_c // 4) * 4        # the depth rounded up to 4: fields and widened pixels alike
    assert rows4_scratch(_params(kh, kw, in_c, 4, 4, cols)) == -(-4 * dp // 8) * 8 + 8 * dp + 16 * (cols + cols % 2)


@pytest.mark.parametrize("cols", [2, 16, 33, 64])
def test_add_rows4_scratch_holds_four_blocks_outputs_and_the_tables(cols):
    """tg_conv2d_add_rows4_w16_s8_dsp_buffer_size: the plain kernel's, 4 blocks of 4 pixels' conv bytes
    (TG_ROWS4_ADD_BLOCKS, out_c rounded up to even), the two tables of 256 int32."""
    p = _params(3, 3, 16, 8, 8, cols)
    assert add_rows4_scratch(p) == rows4_scratch(p) + 4 * 4 * (cols + cols % 2) + 2 * 256 * 4
    header = firmware_path("kernels/tg_conv2d_rows4_w16_s8_dsp.h").read_text()
    assert re.search(r"#define TG_ROWS4_ADD_BLOCKS (\d+)\n", header).group(1) == str(ADD_BLOCKS) == "4"


@pytest.mark.parametrize("out_c, depth", [(4, 8), (3, 6), (16, 144)])
def test_rows4_weights_are_read_back_by_the_kernels_index(out_c, depth):
    """Every weight at tg_rows4_weight's index (pair * 2 dp + group * 8 + half * 4 + channel * 2 +
    slot, half = k & 1, slot = (k & 3) >> 1), zeros elsewhere."""
    w = np.random.default_rng(out_c).integers(-128, 128, (out_c, 1, 1, depth)).astype(np.int8)
    packed = rows4_w16_weights(dict(out_c=out_c, kernel_h=1, kernel_w=1, in_c=depth), dict(weight=w))
    dp = -(-depth // 4) * 4
    assert packed.dtype == np.int16 and packed.size == (out_c + out_c % 2) * dp
    seen = np.zeros(packed.size, bool)
    for o in range(out_c):
        for k in range(depth):
            i = (o >> 1) * 2 * dp + (k >> 2) * 8 + (k & 1) * 4 + (o & 1) * 2 + ((k & 3) >> 1)
            assert packed[i] == w[o, 0, 0, k], (o, k)
            seen[i] = True
    assert not packed[~seen].any()


KERNELS = [(1, 1), (1, 3), (3, 1), (2, 2), (3, 3), (5, 3), (4, 4)]


def _draw(seed: int) -> tuple[list[tuple], tuple[int, int]]:
    """4 convs (kernels from KERNELS, channels 4, 8, 12 or 16 in and even counts 2..24 out, strides
    1 or 2, padding 0 up to half the kernel, the first on 3 channels) over an h x w map whose
    every layer keeps at least 4 pixels, some layer's count not a multiple of 4."""
    rng = np.random.default_rng(seed)
    while True:
        h, w = int(rng.integers(10, 22)), int(rng.integers(8, 16))
        chans = [3] + [4 * int(rng.integers(1, 5)) for _ in range(3)] + [2 * int(rng.integers(1, 13))]
        layers, pixels, ok, (y, x) = [], [], True, (h, w)
        for i in range(4):
            k = KERNELS[int(rng.integers(len(KERNELS)))]
            s = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
            p = (int(rng.integers(0, k[0] // 2 + 1)), int(rng.integers(0, k[1] // 2 + 1)))
            y, x = (y + 2 * p[0] - k[0]) // s[0] + 1, (x + 2 * p[1] - k[1]) // s[1] + 1
            ok = ok and y >= 1 and x >= 1 and y * x >= 4
            layers.append((chans[i], chans[i + 1], k, s, p))
            pixels.append(y * x)
        if ok and any(n % 4 for n in pixels[1:]):
            return layers, (h, w)


def _compile(seed: int, features, specialize: bool = True):
    return compile_chain(ROWS4, *_draw(seed), seed, features, specialize)


def test_rows4_is_an_auto_candidate_after_the_preferred_kernel():
    """On every layer of the drawn chains it serves: a candidate, never the first."""
    assert served_after_preferred(ROWS4, _compile, range(4)) >= 8


def _check(board_name: str, seed: int, tmp_path, specialize: bool = True, bounds=None, once: bool = False) -> None:
    check_seed(ROWS4, _compile, board_name, seed, tmp_path, specialize, bounds, once)


@needs_qemu
@pytest.mark.parametrize("board", ["f446re", "u585", "f746zg"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_conv_rows4_w16_s8_dsp_standin(board, seed, tmp_path):
    _check(board, seed, tmp_path)


@needs_qemu
@pytest.mark.parametrize("board", ["f446re", "u585"])
@pytest.mark.parametrize("bounds, seed", [((-100, 90), 5), ((0, 15), 6)])
def test_conv_rows4_w16_s8_dsp_clamped_standin(board, bounds, seed, tmp_path):
    """Activations clipped inside int8: SSAT then compares, or USAT #k for [0, 2^k - 1]."""
    _check(board, seed, tmp_path, bounds=bounds)


@needs_qemu
@pytest.mark.parametrize("board", ["f446re", "u585"])
def test_conv_rows4_w16_s8_dsp_generic_standin(board, tmp_path):
    """Specialization off: the generic entry point computes each output alone from the packed weights."""
    _check(board, 7, tmp_path, specialize=False)


@needs_qemu
@pytest.mark.parametrize("bounds, seed", [(None, 0), ((-100, 90), 5)])
def test_conv_rows4_w16_s8_dsp_once_standin(bounds, seed, tmp_path):
    """An ONNX model's single-rounding pairs: the blocks' records with R the zero point and n = 0."""
    _check("u585", seed, tmp_path, bounds=bounds, once=True)


ADD_ROWS4 = "tg_conv2d_add_rows4_w16_s8_dsp"


class Residual(nn.Module):
    """Two residual blocks (conv + skip, fused into conv2d_add by passes/fuse_residual.py), the
    second's pixel count (7 x 5) not a multiple of 4, then a strided one."""

    def __init__(self, c: int):
        super().__init__()
        self.stem = nn.Conv2d(3, c, 3, padding=1)
        self.a = nn.Conv2d(c, c, 3, padding=1)
        self.b = nn.Conv2d(c, c, 3, padding=1)
        self.down = nn.Conv2d(c, 2 * c, 3, stride=2, padding=1)
        self.c = nn.Conv2d(2 * c, 2 * c, 3, padding=1)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        x = torch.relu(self.b(torch.relu(self.a(x))) + x)
        y = torch.relu(self.down(x))
        return self.c(y) + y


def _compile_residual(seed: int, features, specialize: bool = True):
    torch.manual_seed(seed)
    net = Residual(8)
    for p in net.parameters():
        torch.nn.init.uniform_(p, -0.4, 0.4)
    net.eval()
    calib = np.random.default_rng(seed).standard_normal((16, 3, 13, 9)).astype(np.float32)
    return compile_with(ADD_ROWS4, net, calib, features, specialize)


def test_add_rows4_is_a_candidate_of_the_fused_adds():
    _, graph, _, choice = _compile_residual(0, frozenset({"dsp"}))
    adds = [n for n in graph.nodes if n.op == "conv2d_add"]
    assert len(adds) == 2 and set(choice) == {n.name for n in adds}
    for n in adds:
        names = [c.name for c in kernel_candidates(graph, n, frozenset({"dsp"}))]
        assert n.kernel == ADD_ROWS4 and names.index(ADD_ROWS4) > 0, names


@needs_qemu
@pytest.mark.parametrize("board, seed, specialize", [("u585", 0, True), ("f446re", 1, True), ("f746zg", 3, True),
                                                     ("u585", 2, False)])
def test_conv2d_add_rows4_w16_s8_dsp_standin(board, seed, specialize, tmp_path):
    """The fused adds equal the reference, the output in the skip's place where the planner puts it."""
    from tinygen.board import get_board

    b = get_board(board)
    compiled = _compile_residual(seed, b.isa_features, specialize)
    check_on_standin(ADD_ROWS4, b, compiled, tmp_path, f"{board} residual seed {seed}", specialize)


# (in_c, out_c, kernel, stride, padding): depths 40 (KWS's first conv: 20 steps), 8 (4 steps, whole),
# 28 (14), 72 (36: the loops of 6 on every board) and 36 (18) over 13 x 10 pixels, one channel in
TWO_PASS_LAYERS = [(1, 8, (10, 4), (2, 2), (4, 1)), (8, 4, (1, 1), (1, 1), (0, 0)), (4, 8, (7, 1), (1, 1), (3, 0)),
                   (8, 4, (3, 3), (1, 1), (1, 1)), (4, 6, (3, 3), (1, 1), (1, 1))]


def check_two_passes(kernel: str, board_name: str, tmp_path) -> None:
    """TWO_PASS_LAYERS with `kernel` on every layer on `board_name`'s stand-in: under the F446's
    -DTG_ROWS4_TWO_PASSES=10 (boards/nucleo-f446re.toml) the steps of depths 40, 28 and 36 run as two
    passes of 10, 7 and 9, -DTG_BIAS_MOVS=1 copies the doubled biases by MOVs and -DTG_PAIR_STRH=1
    stores a pixel's two outputs of a channel pair by one STRH; every layer equals the reference either
    way."""
    from tinygen.board import get_board

    board = get_board(board_name)
    m4 = board_name == "f446re"
    for flag in ("-DTG_ROWS4_TWO_PASSES=10", "-DTG_BIAS_MOVS=1", "-DTG_PAIR_STRH=1"):
        assert (flag in board.cflags) == m4, flag
    compiled = compile_chain(kernel, TWO_PASS_LAYERS, (13, 10), 3, board.isa_features)
    assert len(compiled[3]) == len(TWO_PASS_LAYERS), compiled[3]
    check_on_standin(kernel, board, compiled, tmp_path, f"{board_name} two passes")


@needs_qemu
@pytest.mark.parametrize("board", ["f446re", "u585"])
def test_conv_rows4_w16_s8_dsp_two_passes_standin(board, tmp_path):
    check_two_passes(ROWS4, board, tmp_path)
