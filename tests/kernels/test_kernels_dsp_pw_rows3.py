"""tg_conv2d_1x1_rows3_s8_dsp: the pointwise convolution in blocks of 3 rows (output pixels) x 2
output channels (firmware/kernels/support/tg_mat_mult_rows3_s8_dsp.h), a --kernels auto candidate
beside tg_conv2d_1x1_s8_dsp with the same constants.

On the host: which layers its blocks serve (tinygen/kernels/pw_rows3_dsp.py: at least 3 rows,
depth 4..1999, 2..2047 channels, the folded requantization), its scratch formula, and its place
among a pointwise layer's candidates (after the preferred kernel). On the stand-ins: chains of 1x1
layers with drawn shapes (depths 4..300 with every depth % 4, odd and even channel counts, rows
3..10, multiples of 3 and not, the -128 input zero point after a ReLU, clamps inside int8 by
SSAT + compares and by USAT) built for the F746ZG and F446RE with the kernel on every layer it
serves, specialized and generic, equal the reference on every layer.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from rows3_lib import check_on_standin, compile_with
from standin_lib import needs_qemu
from tinygen.kernels.pw_rows3_dsp import rows3_scratch, rows3_serves
from tinygen.passes.choose_kernels import kernel_candidates

ROWS3 = "tg_conv2d_1x1_rows3_s8_dsp"
DENSE = "tg_conv2d_1x1_s8_dsp"


def _params(rows: int, depth: int, cols: int, **kw) -> dict:
    return dict(dict(in_h=1, in_w=rows, in_c=depth, out_h=1, out_w=rows, out_c=cols, output_offset=-128,
                     act_min=-128, act_max=127), **kw)


def _consts(cols: int, **kw) -> dict:
    return dict(dict(bias=np.zeros(cols, np.int64), multiplier=np.full(cols, 1 << 30), shift=np.full(cols, -7)), **kw)


def test_pw_rows3_serves_what_its_blocks_take():
    assert rows3_serves(_params(3, 4, 2), _consts(2))
    assert rows3_serves(_params(125, 64, 64), _consts(64))
    assert not rows3_serves(_params(2, 64, 64), _consts(64))                # fewer than 3 rows
    assert not rows3_serves(_params(1, 64, 64), _consts(64))
    assert not rows3_serves(_params(9, 3, 8), _consts(8))                   # depth below 4
    assert not rows3_serves(_params(9, 2000, 8), _consts(8))                # depth past the asm's offsets
    assert not rows3_serves(_params(9, 8, 1), _consts(1))                   # one channel: no pair
    assert not rows3_serves(_params(9, 8, 2048), _consts(2048))             # rows' outputs past STRB's offset
    assert not rows3_serves(_params(9, 8, 4), _consts(4, multiplier=np.full(4, 1 << 29)))    # not bounded
    # bounded, but R = (1 + 2 output_offset) 2^(n-1) reaches 2^30: not folded
    assert not rows3_serves(_params(9, 8, 4, output_offset=127), _consts(4, shift=np.full(4, -31)))


@pytest.mark.parametrize("depth, cols", [(4, 2), (5, 3), (64, 64), (301, 7)])
def test_pw_rows3_scratch_is_three_widened_rows_and_the_records(depth, cols):
    """tg_conv2d_1x1_rows3_s8_dsp_buffer_size: 3 rows of int16 (depth rounded up to 4) + 16 B a channel."""
    assert rows3_scratch(_params(9, depth, cols)) == 3 * 2 * (-(-depth // 4) * 4) + 16 * cols


class Chain(nn.Module):
    """1x1 convs through `channels` over an h x w map; a ReLU after every third (the next layer's
    input zero point -128, its input offset 128: the widening's EOR path) and a ReLU6 after one."""

    def __init__(self, channels):
        super().__init__()
        layers = []
        for i, (a, b) in enumerate(zip(channels, channels[1:])):
            layers.append(nn.Conv2d(a, b, 1, bias=i % 2 == 0))
            layers += [nn.ReLU()] if i % 3 == 1 else [nn.ReLU6()] if i == 2 else []
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)


def _draw(seed: int) -> tuple[tuple[int, ...], tuple[int, int]]:
    """A chain's channel counts (4..300, a thin one, every depth % 4 and odd and even counts) and
    its map (rows 3..10: seeds 0, 1, 2 draw a multiple of 3, 3 past one, 2 past one)."""
    rng = np.random.default_rng(seed)
    channels = [int(c) for c in rng.integers(4, 301, size=6)]
    for i, tail in enumerate(rng.permutation(4)):       # depths of every class mod 4
        channels[i] += int((tail - channels[i]) % 4) - (4 if channels[i] > 296 else 0)
    channels[4] = int(rng.integers(4, 13))              # a thin layer (and the one after it)
    channels[-1] |= 1                                   # an odd last count
    rows = [(3, 6, 9), (4, 7, 10), (5, 8)][seed % 3]
    n = int(rng.choice(rows))
    return tuple(channels), (1, n) if n in (3, 5, 7) else (2, n // 2) if n % 2 == 0 else (3, n // 3)


def _compile(seed: int, features, specialize: bool = True, shape=None):
    channels, (h, w) = shape or _draw(seed)
    torch.manual_seed(seed)
    net = Chain(channels)
    for p in net.parameters():
        torch.nn.init.uniform_(p, -0.5, 0.5)
    net.eval()
    calib = np.random.default_rng(seed).standard_normal((16, channels[0], h, w)).astype(np.float32)
    return compile_with(ROWS3, net, calib, features, specialize)


def test_pw_rows3_comes_before_the_dense_kernel():
    """On every pointwise layer of the drawn chains it serves: a candidate before
    tg_conv2d_1x1_s8_dsp (faster by the M7 and M4 models, tinygen/kernels/dsp_table.py: the
    default takes it; --kernels auto measures both)."""
    features = frozenset({"dsp"})
    served = 0
    for seed in range(3):
        channels, _ = _draw(seed)
        _, graph, _, choice = _compile(seed, features)
        convs = [n for n in graph.nodes if n.op == "conv2d"]
        assert len(convs) == len(channels) - 1
        for n in convs:
            names = [c.name for c in kernel_candidates(graph, n, features)]
            if n.name in choice:
                served += 1
                assert n.kernel == ROWS3 and DENSE in names and names.index(ROWS3) < names.index(DENSE), names
        assert len(choice) >= len(convs) - 1        # a thin layer may take the shallow kernel instead
    assert served >= 12


def _check(board_name: str, seed: int, tmp_path, specialize: bool = True, bounds=None, once: bool = False) -> None:
    from tinygen.board import get_board

    board = get_board(board_name)
    compiled = _compile(seed, board.isa_features, specialize)
    assert len(compiled[3]) >= 4
    check_on_standin(ROWS3, board, compiled, tmp_path, f"{board_name} seed {seed}", specialize, bounds, once)


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pw_rows3_s8_dsp_standin(board, seed, tmp_path):
    _check(board, seed, tmp_path)


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
@pytest.mark.parametrize("bounds, seed", [((-100, 90), 5), ((0, 15), 6), ((0, 127), 7), ((-128, 60), 8)])
def test_pw_rows3_s8_dsp_clamped_standin(board, bounds, seed, tmp_path):
    """Activations clipped inside int8 (the reference clamps to the same kparams): SSAT then
    compares against the bounds, or USAT #k for [0, 2^k - 1]."""
    _check(board, seed, tmp_path, bounds=bounds)


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_pw_rows3_s8_dsp_generic_standin(board, tmp_path):
    """Specialization off: the generic entry point (tg_conv2d_1x1_s8_dsp's 2-row product)."""
    _check(board, 9, tmp_path, specialize=False)


@needs_qemu
@pytest.mark.parametrize("bounds, seed", [(None, 0), ((-100, 90), 5), ((0, 15), 6)])
def test_pw_rows3_s8_dsp_once_standin(bounds, seed, tmp_path):
    """An ONNX model's single-rounding pairs: the blocks' records with R the zero point and n = 0."""
    _check("f746zg", seed, tmp_path, bounds=bounds, once=True)


@needs_qemu
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_pw_rows3_s8_dsp_eight_step_passes_standin(board_name, tmp_path):
    """Depths of 16, 8 and 16 steps and a tail (64, 32, 66) over 10 pixels: under the F446's
    -DTG_ROWS3_UNROLL8=1 (boards/nucleo-f446re.toml) loops of 8 steps a pass (2 passes, 1, 2 and
    the tail), on the F746 of 4; under -DTG_BIAS_MOVS=1 each pair's biases copied to rows 1 and 2 by MOVs
    and under -DTG_PAIR_STRH=1 a row's two outputs of a pair stored by one STRH (7 channels: rows 7 bytes
    apart, every other halfword unaligned); under -DTG_WIDEN3_ASM=1 the rows after the ReLUs (input
    offset 128) widened by the asm loop; every layer equals the reference either way."""
    from tinygen.board import get_board

    board = get_board(board_name)
    assert ("-DTG_ROWS3_UNROLL8=1" in board.cflags) == (board_name == "f446re")
    for flag in ("-DTG_BIAS_MOVS=1", "-DTG_PAIR_STRH=1", "-DTG_WIDEN3_ASM=1"):
        assert (flag in board.cflags) == (board_name == "f446re"), flag
    compiled = _compile(9, board.isa_features, shape=((64, 64, 32, 66, 7), (2, 5)))
    assert len(compiled[3]) == 4, compiled[3]
    offsets = [n.attrs["kparams"]["input_offset"] for n in compiled[1].nodes if n.name in compiled[3]]
    assert offsets.count(128) >= 2, offsets         # layers after a ReLU
    check_on_standin(ROWS3, board, compiled, tmp_path, f"{board_name} depths 64, 64, 32, 66")
