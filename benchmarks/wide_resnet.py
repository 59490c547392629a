"""A 76 M-MAC ResNet for 32x32 RGB images with 469 KiB of int8 weights: the shape of the
model in issue 17 that the default kernels refused for the Nucleo-F446RE (their widened
int16 weights need 802 KiB of flash; the part has 512 KiB). Untrained (seeded), for
measuring the fit-first kernel choice:

    .venv/bin/python benchmarks/mlperf_standin.py --kernels none --fit --fit-models benchmarks/wide_resnet.py
"""

import numpy as np
import torch
from torch import nn

WIDTHS = (40, 80, 160)


class Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1, self.relu1 = nn.Conv2d(cin, cout, 3, stride, 1), nn.ReLU()
        self.conv2, self.relu2 = nn.Conv2d(cout, cout, 3, 1, 1), nn.ReLU()
        self.shortcut = nn.Conv2d(cin, cout, 1, stride) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        return self.relu2(self.conv2(self.relu1(self.conv1(x))) + self.shortcut(x))


def model() -> nn.Module:
    torch.manual_seed(0)
    a, b, c = WIDTHS
    return nn.Sequential(nn.Conv2d(3, a, 3, 1, 1), nn.ReLU(), Block(a, a, 1), Block(a, b, 2), Block(b, c, 2),
                         nn.AvgPool2d(8), nn.Flatten(), nn.Linear(c, 10)).eval()


def example_input() -> torch.Tensor:
    return torch.randn(1, 3, 32, 32)


def calibration_data() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((8, 3, 32, 32)).astype(np.float32)
