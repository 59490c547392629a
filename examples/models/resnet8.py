"""A ResNet-8 for 32x32 RGB images, shaped like the MLPerf Tiny image classifier.

A 3x3 stem, three residual stacks (16, 32, 64 channels; the last two halve
the resolution and use a 1x1 convolution on the shortcut), 8x8 average
pooling, a linear layer and softmax.

    tinygen build examples/models/resnet8.py --board host
"""

import numpy as np
import torch
from torch import nn

from _untrained import natural_images, randomize_batchnorm  # sibling file in examples/models/


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu2 = nn.ReLU()
        # the shortcut must match the main path's shape
        self.shortcut = nn.Conv2d(cin, cout, 1, stride) if stride != 1 or cin != cout \
            else nn.Identity()

    def forward(self, x):
        y = self.relu1(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu2(y + self.shortcut(x))          # residual add


class ResNet8(nn.Module):
    def __init__(self, classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1), nn.BatchNorm2d(16), nn.ReLU())
        self.stack1 = BasicBlock(16, 16, 1)               # 32x32
        self.stack2 = BasicBlock(16, 32, 2)               # -> 16x16
        self.stack3 = BasicBlock(32, 64, 2)               # -> 8x8
        self.pool = nn.AvgPool2d(8)
        self.fc = nn.Linear(64, classes)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        x = self.stack3(self.stack2(self.stack1(self.stem(x))))
        x = self.pool(x).flatten(1)
        return self.softmax(self.fc(x))


def model() -> nn.Module:
    torch.manual_seed(0)
    net = ResNet8()
    with torch.no_grad():
        randomize_batchnorm(net, torch.Generator().manual_seed(1))
    return net.eval()


def example_input() -> torch.Tensor:
    return torch.randn(1, 3, 32, 32)


def calibration_data() -> np.ndarray:
    """64 smooth colour images, normalized per channel like CIFAR-10 inputs."""
    return natural_images(np.random.default_rng(2), 64)
