"""tg_conv2d_rows3_s8_dsp: the im2col convolution in blocks of 3 output pixels, their receptive
fields multiplied in the pointwise kernel's 3-row x 2-channel block
(firmware/kernels/conv/tg_conv2d_rows3_s8_dsp.h), a --kernels auto candidate beside
tg_conv2d_s8_dsp with the same constants.

On the host: which layers its blocks serve (tinygen/kernels/conv_rows3_dsp.py: the pointwise
block's conditions on pixels x kernel_h * kernel_w * in_c by out_c, pointwise layers left to the
pointwise kernel), its scratch, its place among a layer's candidates (after the preferred kernel).
On the stand-ins: chains of convs with drawn shapes (kernels 1x1..10x4, 1..8 input channels,
strides 1 and 2, padding, depths of every class mod 4, pixel counts not multiples of 3, odd and
even channel counts) built for the F746ZG and F446RE with the kernel on every layer it serves,
specialized and generic, equal the reference on every layer.
"""

from __future__ import annotations

import numpy as np
import pytest

from rows3_lib import check_on_standin, check_seed, compile_chain, served_after_preferred
from standin_lib import needs_qemu
from tinygen.board import get_board
from tinygen.kernels.conv_rows3_dsp import conv_rows3_scratch, conv_rows3_serves

ROWS3 = "tg_conv2d_rows3_s8_dsp"
IM2COL = "tg_conv2d_s8_dsp"


def _params(kh: int, kw: int, in_c: int, out_h: int, out_w: int, out_c: int, **kw_) -> dict:
    return dict(dict(kernel_h=kh, kernel_w=kw, in_c=in_c, in_h=2 * out_h, in_w=2 * out_w, out_h=out_h,
                     out_w=out_w, out_c=out_c, stride_h=2, stride_w=2, pad_top=1, pad_left=1,
                     dilation_h=1, dilation_w=1, output_offset=-128, act_min=-128, act_max=127), **kw_)


def _consts(cols: int, **kw) -> dict:
    return dict(dict(bias=np.zeros(cols, np.int64), multiplier=np.full(cols, 1 << 30), shift=np.full(cols, -7)), **kw)


def test_conv_rows3_serves_what_its_blocks_take():
    assert conv_rows3_serves(_params(10, 4, 1, 25, 5, 64), _consts(64))     # KWS's first conv
    assert conv_rows3_serves(_params(3, 3, 3, 1, 3, 2), _consts(2))
    assert not conv_rows3_serves(_params(3, 3, 3, 1, 2, 8), _consts(8))     # fewer than 3 pixels
    assert not conv_rows3_serves(_params(1, 3, 1, 4, 4, 8), _consts(8))     # depth below 4
    assert not conv_rows3_serves(_params(3, 3, 8, 4, 4, 1), _consts(1))     # one channel: no pair
    assert not conv_rows3_serves(_params(3, 3, 8, 4, 4, 4), _consts(4, multiplier=np.full(4, 1 << 29)))
    # pointwise (1x1, stride 1, unpadded): the pointwise kernel's; strided or padded 1x1: this one
    pw = dict(in_h=4, in_w=4, stride_h=1, stride_w=1, pad_top=0, pad_left=0)
    assert not conv_rows3_serves(_params(1, 1, 8, 4, 4, 8, **pw), _consts(8))
    assert conv_rows3_serves(_params(1, 1, 8, 4, 4, 8, **dict(pw, pad_top=1, in_h=2)), _consts(8))
    assert conv_rows3_serves(_params(1, 1, 8, 4, 4, 8, **dict(pw, stride_h=2, in_h=8)), _consts(8))


@pytest.mark.parametrize("kh, kw, in_c, cols", [(10, 4, 1, 64), (3, 3, 3, 5), (1, 5, 1, 2), (7, 3, 2, 33)])
def test_conv_rows3_scratch_is_three_fields_three_widened_rows_and_the_records(kh, kw, in_c, cols):
    depth = kh * kw * in_c
    assert conv_rows3_scratch(_params(kh, kw, in_c, 4, 4, cols)) == \
        -(-3 * depth // 8) * 8 + 3 * 2 * (-(-depth // 4) * 4) + 16 * cols


KERNELS = [(1, 1), (1, 3), (3, 1), (2, 2), (3, 3), (5, 3), (3, 5), (4, 4), (7, 3), (10, 4)]


def _draw(seed: int) -> tuple[list[tuple], tuple[int, int]]:
    """4 convs (kernels from KERNELS, the first 10x4 on seeds 0 and 3; 1..8 input channels, the
    last count odd, up to 33; strides 1 or 2; padding 0 up to half the kernel) over an h x w map
    whose every layer keeps at least 3 pixels, some layer's count not a multiple of 3."""
    rng = np.random.default_rng(seed)
    while True:
        h, w = int(rng.integers(12, 26)), int(rng.integers(8, 16))
        chans = [int(rng.integers(1, 9)) for _ in range(4)] + [int(rng.integers(2, 34)) | 1]
        chans[1:4] = [max(c, 2) for c in chans[1:4]]
        layers, pixels, ok, (y, x) = [], [], True, (h, w)
        for i in range(4):
            k = KERNELS[9] if i == 0 and seed % 3 == 0 else KERNELS[int(rng.integers(len(KERNELS)))]
            s = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
            p = (int(rng.integers(0, k[0] // 2 + 1)), int(rng.integers(0, k[1] // 2 + 1)))
            y, x = (y + 2 * p[0] - k[0]) // s[0] + 1, (x + 2 * p[1] - k[1]) // s[1] + 1
            ok = ok and y >= 1 and x >= 1 and y * x >= 3
            layers.append((chans[i], chans[i + 1], k, s, p))
            pixels.append(y * x)
        if ok and any(n % 3 for n in pixels):
            return layers, (h, w)


def _compile(seed: int, features, specialize: bool = True):
    return compile_chain(ROWS3, *_draw(seed), seed, features, specialize)


def test_conv_rows3_is_an_auto_candidate_after_the_preferred_kernel():
    """On every layer of the drawn chains it serves: a candidate, never the first (the default
    keeps tg_conv2d_s8_dsp; --kernels auto measures both)."""
    assert served_after_preferred(ROWS3, _compile, range(4)) >= 10


def _check(board_name: str, seed: int, tmp_path, specialize: bool = True, bounds=None, once: bool = False) -> None:
    check_seed(ROWS3, _compile, board_name, seed, tmp_path, specialize, bounds, once)


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_conv_rows3_s8_dsp_standin(board, seed, tmp_path):
    _check(board, seed, tmp_path)


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_conv_rows3_s8_dsp_five_and_six_steps_standin(board, tmp_path):
    """Depths of 6 and 5 steps (27: 3x3 over 3 channels, IC's first conv; 20: 2x2 over 5; 24: 3x2 over 4):
    unrolled whole on the F746, a loop of 3 or 5 steps under the F446's -DTG_ROWS3_WHOLE=4
    (boards/nucleo-f446re.toml, its 1 KB ART); equal the reference either way."""
    board = get_board(board)
    layers = [(3, 5, (3, 3), (1, 1), (1, 1)), (5, 4, (2, 2), (1, 1), (0, 0)), (4, 6, (3, 2), (1, 1), (1, 0))]
    compiled = compile_chain(ROWS3, layers, (7, 8), 9, board.isa_features)
    assert len(compiled[3]) == 3
    check_on_standin(ROWS3, board, compiled, tmp_path, f"{board.name} depths 27, 20, 24", True, None, False)


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
@pytest.mark.parametrize("bounds, seed", [((-100, 90), 5), ((0, 15), 6)])
def test_conv_rows3_s8_dsp_clamped_standin(board, bounds, seed, tmp_path):
    """Activations clipped inside int8 (the reference clamps to the same kparams): SSAT then
    compares, or USAT #k for [0, 2^k - 1]."""
    _check(board, seed, tmp_path, bounds=bounds)


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_conv_rows3_s8_dsp_generic_standin(board, tmp_path):
    """Specialization off: the generic entry point (tg_conv2d_s8_dsp's 2-row body)."""
    _check(board, 7, tmp_path, specialize=False)


@needs_qemu
@pytest.mark.parametrize("bounds, seed", [(None, 0), ((-100, 90), 5)])
def test_conv_rows3_s8_dsp_once_standin(bounds, seed, tmp_path):
    """An ONNX model's single-rounding pairs: the blocks' records with R the zero point and n = 0."""
    _check("f746zg", seed, tmp_path, bounds=bounds, once=True)
