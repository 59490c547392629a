"""tg_avg_pool2d_global_pow2_s8_dsp (issue 23): a global average pool over a power of two
of pixels (2..256) on a multiple of 16 channels, the division a shift: chosen only there
(every other pool keeps tg_avg_pool2d_s8_dsp, so that its models, MLPerf VWW's 3x3 global
pool among them, link nothing new), and bit-exact with the reference on the f746zg and
f446re stand-ins at 2 pixels (the loop's second half alone), 4 and 128 (and 64 and 256, the
int16 lanes full, in tests/kernels/test_kernels_dsp_depthwise.py's global pools)."""

from __future__ import annotations

import pytest
import torch
from standin_lib import needs_qemu
from test_kernels_dsp_depthwise import _check_every_layer, _compile, _export
from torch import nn

POW2, AVG = "tg_avg_pool2d_global_pow2_s8_dsp", "tg_avg_pool2d_s8_dsp"


@pytest.mark.parametrize("shape, window, stride, padding, want", [
    ((1, 16, 8, 8), 8, 8, 0, POW2),             # 64 pixels, 16 channels
    ((1, 32, 16, 16), 16, 16, 0, POW2),         # 256: the int16 lanes full
    ((1, 16, 1, 2), (1, 2), 1, 0, POW2),        # 2 pixels, the smallest
    ((1, 32, 3, 3), 3, 3, 0, AVG),              # 9 pixels (MLPerf VWW's global pool)
    ((1, 16, 6, 6), 6, 6, 0, AVG),              # 36 pixels
    ((1, 24, 8, 8), 8, 8, 0, AVG),              # 24 channels: not a multiple of 16
    ((1, 16, 32, 32), 32, 32, 0, AVG),          # 1024 pixels: past the int16 lanes
    ((1, 16, 16, 16), 8, 8, 0, AVG),            # not global (2x2 outputs)
    ((1, 16, 7, 7), 8, 8, 1, AVG),              # padded to 8x8: not global
])
def test_avg_pool2d_global_pow2_s8_dsp_choice(shape, window, stride, padding, want, tmp_path_factory):
    """The shift kernel only where the pool is global over a power of two of pixels (2..256)
    on a multiple of 16 channels; every other pool keeps tg_avg_pool2d_s8_dsp, so that its
    models link nothing new."""

    class Pool(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(shape[1], shape[1], 1)
            self.pool = nn.AvgPool2d(window, stride=stride, padding=padding)

        def forward(self, x):
            return self.pool(self.conv(x))

    Pool.shape = shape
    model = _export(Pool, "pool", tmp_path_factory)
    pools = [n.kernel for n in _compile(model, "f746zg").nodes if n.op == "avg_pool2d"]
    assert pools == [want]


class Pow2Pools(nn.Module):
    """Global means over 128 pixels (8x16) on 16 channels, 4 (2x2) on 32, 2 (1x2) on 48, and
    240 (16x15: not a power of two, the general kernel) on 16."""

    shape = (1, 3, 8, 16)

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 16, 1)
        self.b = nn.Conv2d(3, 32, (4, 8), stride=(4, 8))
        self.c = nn.Conv2d(3, 48, 8, stride=8)
        self.d = nn.Conv2d(3, 16, (1, 2), stride=(1, 1), padding=(4, 0))
        self.fc = nn.Linear(16 + 32 + 48 + 16, 3)

    def forward(self, x):
        means = [m(x).mean(dim=(2, 3)) for m in (self.a, self.b, self.c)]
        return self.fc(torch.cat(means + [self.d(x).mean(dim=(2, 3))], 1))


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_avg_pool2d_global_pow2_s8_dsp_standin(board, tmp_path_factory, tmp_path):
    model = _export(Pow2Pools, "pow2pools", tmp_path_factory)
    graph = _compile(model, board)
    pools = {n.attrs["kparams"]["in_h"] * n.attrs["kparams"]["in_w"]: n.kernel
             for n in graph.nodes if n.op == "avg_pool2d"}
    assert pools == {128: POW2, 4: POW2, 2: POW2, 16 * 15: AVG}, pools
    _check_every_layer(model, graph, board, tmp_path)
