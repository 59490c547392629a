"""A DS-TCN for streaming wake-word detection, shaped like MLPerf Tiny's streaming wake word
reference network (sww01; its training code's default configuration, keras_model.py "ds_tcn"
in mlcommons/tiny): untrained, seeded weights, for measuring kernels on its layer shapes.

Input: 30 frames (1 s of audio, 64 ms windows every 32 ms) x 40 log-mel features, as
[1, 40, 30, 1] (features as channels, time as height). Four blocks, each a depthwise
convolution along time (no padding, no bias) and a 1x1 convolution with batch norm and
ReLU; the time axis shrinks 30 -> 28 -> 24 -> 15 -> 1, so the last block's output is the
whole window's. Then a linear layer to 3 classes (wake word, unknown, silence).

    depthwise 3x1   40        -> 28 frames     1x1 40 -> 128   BN ReLU
    depthwise 5x1   128       -> 24 frames     1x1 128 -> 64   BN ReLU
    depthwise 10x1  64        -> 15 frames     1x1 64 -> 64    BN ReLU
    depthwise 15x1  64        ->  1 frame      1x1 64 -> 32    BN ReLU
    flatten, linear 32 -> 3

432,832 multiply-accumulates per inference.

    tinygen build examples/models/sww_dstcn.py --board f746zg
    .venv/bin/python benchmarks/sww_standin.py          # its instructions per MAC on the M7 and M4 stand-ins
"""

import numpy as np
import torch
from torch import nn

from _untrained import randomize_batchnorm  # sibling file in examples/models/

FRAMES, FEATURES, CLASSES = 30, 40, 3
BLOCKS = ((3, 128), (5, 64), (10, 64), (15, 32))        # (depthwise kernel along time, pointwise filters)


def block(cin: int, kernel: int, filters: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cin, (kernel, 1), groups=cin, bias=False),       # depthwise along time, valid
        nn.Conv2d(cin, filters, 1, bias=False),                          # pointwise
        nn.BatchNorm2d(filters), nn.ReLU(),
    )


class DSTCN(nn.Module):
    def __init__(self):
        super().__init__()
        layers, cin = [], FEATURES
        for kernel, filters in BLOCKS:
            layers.append(block(cin, kernel, filters))
            cin = filters
        self.blocks = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, CLASSES)

    def forward(self, x):
        return self.fc(torch.flatten(self.blocks(x), 1))


def model() -> nn.Module:
    torch.manual_seed(0)
    net = DSTCN()
    with torch.no_grad():
        randomize_batchnorm(net, torch.Generator().manual_seed(1))
    return net.eval()


def example_input() -> torch.Tensor:
    return torch.randn(1, FEATURES, FRAMES, 1)


def calibration_data() -> np.ndarray:
    """64 log-mel-like windows: a spread that falls with the band, smooth in time."""
    rng = np.random.default_rng(2)
    noise = rng.normal(0, 1, (64, FEATURES, FRAMES + 4, 1))
    smooth = sum(noise[:, :, k:k + FRAMES] for k in range(5)) / np.sqrt(5)
    return (smooth * (3.0 / (1.0 + 0.05 * np.arange(FEATURES)))[None, :, None, None] - 2.0).astype(np.float32)
