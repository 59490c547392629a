"""Small gated and multi-exit networks for the dynamic-inference tests (fixed random weights)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from tinygen.nn.gating import EarlyExit, ExitHead, GatedConv2d, GatedLinear


def _randomize(net: nn.Module, seed: int) -> nn.Module:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.2)
            if isinstance(m, nn.Linear) and m.out_features > 10:     # a gate's predictor
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * 0.5)
                m.bias.copy_(torch.rand(m.out_features, generator=g))
    return net.eval()


class GatedNet(nn.Module):
    """conv -> gated conv -> gated conv -> head, on [1, 3, 16, 16]."""

    def __init__(self, density=0.5, threshold=None, channels=16, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), nn.ReLU())
        self.g1 = GatedConv2d(channels, 2 * channels, 3, padding=1, density=density, threshold=threshold)
        self.pool = nn.MaxPool2d(2)
        self.g2 = GatedConv2d(2 * channels, 2 * channels, 3, padding=1, density=density, threshold=threshold)
        self.head = ExitHead(2 * channels, classes)

    def forward(self, x):
        return torch.softmax(self.head(self.g2(self.pool(self.g1(self.stem(x))))), dim=1)


class MultiExitNet(nn.Module):
    """Two blocks, an exit head after the first, the final head after the second."""

    def __init__(self, thresholds=(0.5,), channels=8, classes=10, hidden=0):
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(),
                                    nn.MaxPool2d(2))
        self.exit1 = ExitHead(channels, classes, grid=2 if hidden else 1, hidden=hidden)
        self.block2 = nn.Sequential(nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.BatchNorm2d(2 * channels),
                                    nn.ReLU(), nn.MaxPool2d(2))
        self.final = ExitHead(2 * channels, classes)
        self.exits = EarlyExit(thresholds)

    def forward(self, x):
        h = self.block1(x)
        e1 = self.exit1(h)
        return self.exits([e1, self.final(self.block2(h))])


class MaskedNet(nn.Module):
    """conv -> gated depthwise conv -> 1x1 conv -> mean -> gated linear -> linear, on
    [1, 3, H, W]: the layers after each gated one read every channel (they cannot skip)."""

    def __init__(self, density=0.5, threshold=None, channels=8, features=24, classes=10, kernel=3, stride=1,
                 padding=None, predictor_hidden=None, predictor_pool=1):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), nn.ReLU())
        self.dw = GatedConv2d(channels, channels, kernel, stride, kernel // 2 if padding is None else padding,
                              groups=channels, density=density, threshold=threshold,
                              predictor_hidden=predictor_hidden)
        self.pw = nn.Sequential(nn.Conv2d(channels, 2 * channels, 1), nn.ReLU())
        self.fc = GatedLinear(2 * channels, features, density=density, threshold=threshold,
                              predictor_hidden=predictor_hidden, predictor_pool=predictor_pool)
        self.head = nn.Linear(features, classes)

    def forward(self, x):
        h = self.pw(self.dw(self.stem(x))).mean(dim=(2, 3))
        return torch.softmax(self.head(self.fc(h)), dim=1)


def masked_net(seed: int = 0, **kw) -> nn.Module:
    torch.manual_seed(seed)
    net = _randomize(MaskedNet(**kw), seed + 1)
    g = torch.Generator().manual_seed(seed + 2)
    with torch.no_grad():       # saliencies that differ per input and channel
        for predictor in (net.dw.predictor, net.fc.predictor):
            for linear in (m for m in predictor.modules() if isinstance(m, nn.Linear)):     # one, or a bottleneck
                linear.weight.copy_(torch.randn(linear.weight.shape, generator=g))
                linear.bias.copy_(torch.rand(linear.out_features, generator=g) * 0.5)
    return net


def gated_net(seed: int = 0, **kw) -> nn.Module:
    torch.manual_seed(seed)
    return _randomize(GatedNet(**kw), seed + 1)


def multi_exit_net(seed: int = 0, **kw) -> nn.Module:
    torch.manual_seed(seed)
    return _randomize(MultiExitNet(**kw), seed + 1)


def calibration(n: int = 16, seed: int = 0, shape=(3, 16, 16)) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, *shape)).astype(np.float32)
