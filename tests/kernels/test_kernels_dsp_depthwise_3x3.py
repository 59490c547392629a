"""The 3x3 depthwise path (tg_depthwise_conv2d_3x3_s8_dsp) on every loop it has, on the
Cortex-M7 and M4 stand-ins: four output pixels per pass at stride 1 and at stride 2
(tg_dw3_quads, tg_dw3_quads_s2), the pairs and the single pixel after them, stride 2 on
rows only or on both axes, padding same and valid, 3 channels (no block of 4: every
channel widened one at a time), 5 and 9 (a block or two and one after), height 1 and width
1, ReLU6, and the widening of a row's inside column pairs in one run (tg_dw3_gather_inside)
beside the padded edge pairs. Each layer equals the numpy reference byte for byte.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from standin_lib import needs_qemu
from tinygen.board import get_board
from test_kernels_dsp_depthwise import DSP3, _check_every_layer, _compile, _depthwise, _dw, _export


class Paths3x3(nn.Module):
    """Output widths 17 (4 quads and a single, stride 1), 17 and 8 (stride 2: 4 quads and a
    single; valid padding, 2 quads), 4 (stride 2 on the width only), then 1x2 and 1x1."""

    shape = (1, 3, 9, 33)

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            _dw(3, stride=2),                                       # 3 ch, 9x33 -> 5x17 (s2 quads)
            nn.Conv2d(3, 5, 1), _dw(5), nn.ReLU6(),                 # 5 ch, 5x17 (s1 quads + single)
            nn.Conv2d(5, 9, 1), _dw(9, stride=2, padding=0),        # 9 ch, valid -> 2x8 (2 s2 quads)
            nn.Conv2d(9, 6, 1), _dw(6, stride=(1, 2)),              # stride 2 on the width -> 2x4
            _dw(6), nn.ReLU6(),                                     # 2x4: one s1 quad
            _dw(6, stride=2),                                       # -> 1x2: an s2 pair
            _dw(6),                                                 # height 1: an s1 pair
            _dw(6, stride=2),                                       # -> 1x1: a single
            _dw(6))                                                 # height and width 1
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.body(x), 1))


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    return _export(Paths3x3, "paths3x3", tmp_path_factory)


@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_depthwise_3x3_s8_dsp_takes_every_layer(paths, board):
    graph = _compile(paths, board)
    kernels = [n.kernel for n in _depthwise(graph)]
    assert kernels == [DSP3] * 9, kernels


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_depthwise_3x3_s8_dsp_paths_standin(paths, board, tmp_path):
    _check_every_layer(paths, _compile(paths, board), board, tmp_path)


class EvenChannels3x3(nn.Module):
    """Even channel counts (2, 8, 16) through the 4-pixel loops at stride 1 and 2, several quads a
    row: the F446's channel loop of two channels a pass (-DTG_DW3_CHANNEL_PAIRS=1), whose
    pass leaves out the first channel's end test; 2 is a single pass, a lone last pair."""

    shape = (1, 2, 6, 18)

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            _dw(2), nn.ReLU6(),                                     # 2 ch, 6x18: 4 s1 quads + a pair
            nn.Conv2d(2, 8, 1), _dw(8, stride=2),                   # 8 ch -> 3x9: 2 s2 quads + a single
            nn.Conv2d(8, 16, 1), _dw(16),                           # 16 ch, 3x9: 2 s1 quads + a single
            _dw(16, stride=(1, 2)))                                 # 3x5: an s2 quad + a single
        self.fc = nn.Linear(16 * 3 * 5, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.body(x), 1))


@pytest.fixture(scope="module")
def even(tmp_path_factory):
    return _export(EvenChannels3x3, "even3x3", tmp_path_factory)


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_depthwise_3x3_s8_dsp_even_channels_standin(even, board, tmp_path):
    """Equal to the reference with the F446's channel pairs (its board file sets them) and without
    (the F746's: one channel a pass)."""
    assert ("-DTG_DW3_CHANNEL_PAIRS=1" in get_board(board).cflags) == (board == "f446re")
    graph = _compile(even, board)
    assert [n.kernel for n in _depthwise(graph)] == [DSP3] * 4
    _check_every_layer(even, graph, board, tmp_path)
