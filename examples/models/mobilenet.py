"""A small MobileNet-like network for 32x32 RGB images (CIFAR-sized).

A 3x3 stem, then depthwise-separable blocks (3x3 depthwise + 1x1 pointwise,
each with BatchNorm and ReLU6), global average pooling and a linear layer.

    tinygen build examples/models/mobilenet.py --board host
"""

import numpy as np
import torch
from torch import nn

from _untrained import natural_images, randomize_batchnorm  # sibling file in examples/models/


def conv_bn(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU6())


def depthwise_separable(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False),   # depthwise
        nn.BatchNorm2d(cin), nn.ReLU6(),
        nn.Conv2d(cin, cout, 1, bias=False),                         # pointwise
        nn.BatchNorm2d(cout), nn.ReLU6(),
    )


class TinyMobileNet(nn.Module):
    def __init__(self, classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(3, 16, 2),                    # 32x32 -> 16x16
            depthwise_separable(16, 32, 1),
            depthwise_separable(32, 64, 2),       # -> 8x8
            depthwise_separable(64, 64, 1),
            depthwise_separable(64, 128, 2),      # -> 4x4
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(128, classes)

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def model() -> nn.Module:
    torch.manual_seed(0)
    net = TinyMobileNet()
    with torch.no_grad():
        randomize_batchnorm(net, torch.Generator().manual_seed(1))
    return net.eval()


def example_input() -> torch.Tensor:
    return torch.randn(1, 3, 32, 32)


def calibration_data() -> np.ndarray:
    """64 smooth colour images, normalized per channel like CIFAR-10 inputs."""
    return natural_images(np.random.default_rng(2), 64)

