"""A DS-CNN for keyword spotting, shaped like the MLPerf Tiny KWS model.

Input: 49 frames x 10 MFCC coefficients (1x49x10). A 10x4 convolution with
stride 2 to 64 channels, four depthwise-separable blocks (3x3 depthwise +
1x1 pointwise, each followed by BatchNorm and ReLU), average pooling over the
whole 25x5 map, a linear layer to 12 classes and softmax.

    tinygen build examples/models/dscnn.py --board host
"""

import numpy as np
import torch
from torch import nn

from _untrained import randomize_batchnorm  # sibling file in examples/models/


def ds_block(channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels, channels, 3, padding=1, groups=channels),    # depthwise
        nn.BatchNorm2d(channels), nn.ReLU(),
        nn.Conv2d(channels, channels, 1),                                # pointwise
        nn.BatchNorm2d(channels), nn.ReLU(),
    )


class DSCNN(nn.Module):
    def __init__(self, classes: int = 12, channels: int = 64):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, channels, (10, 4), stride=2, padding=(5, 1)),   # 49x10 -> 25x5
            nn.BatchNorm2d(channels), nn.ReLU(), nn.Dropout(0.2),
        )
        self.blocks = nn.Sequential(*[ds_block(channels) for _ in range(4)])
        self.pool = nn.AvgPool2d((25, 5))
        self.dropout = nn.Dropout(0.4)
        self.fc = nn.Linear(channels, classes)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        x = self.dropout(self.pool(self.blocks(self.stem(x))))
        return self.softmax(self.fc(torch.flatten(x, 1)))


def model() -> nn.Module:
    torch.manual_seed(0)
    net = DSCNN()
    with torch.no_grad():
        randomize_batchnorm(net, torch.Generator().manual_seed(1))
    return net.eval()


def example_input() -> torch.Tensor:
    return torch.randn(1, 1, 49, 10)


def calibration_data() -> np.ndarray:
    """64 MFCC-like spectrograms: a large energy term, decaying higher coefficients,
    smooth in time."""
    rng = np.random.default_rng(2)
    n, frames, coeffs = 64, 49, 10
    noise = rng.normal(0, 1, (n, frames + 4, coeffs))
    smooth = sum(noise[:, k:k + frames] for k in range(5)) / np.sqrt(5)  # time correlation
    scale = 20.0 / (1.0 + np.arange(coeffs))                            # decaying spread
    mfcc = smooth * scale
    mfcc[:, :, 0] -= 30.0 + 10.0 * rng.uniform(0, 1, (n, 1))            # log energy
    return mfcc[:, None].astype(np.float32)
