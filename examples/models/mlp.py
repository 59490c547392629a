"""A small multilayer perceptron on 64 features.

Linear-BatchNorm1d-ReLU-Dropout, Linear-ReLU, Linear. Dropout is a no-op at
inference and disappears in the compiled model.

    tinygen compile examples/models/mlp.py
"""

import numpy as np
import torch
from torch import nn


def _randomize_batchnorm(net: nn.Module, gen: torch.Generator) -> None:
    """Give every BatchNorm non-trivial statistics, as after training."""
    for m in net.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=gen) * 0.2)
            m.running_var.copy_(torch.rand(c, generator=gen) * 0.8 + 0.4)
            m.weight.data.copy_(torch.rand(c, generator=gen) * 0.8 + 0.6)
            m.bias.data.copy_(torch.randn(c, generator=gen) * 0.1)


def model() -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(64, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(128, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )
    with torch.no_grad():
        _randomize_batchnorm(net, torch.Generator().manual_seed(1))
    return net.eval()


def example_input() -> torch.Tensor:
    return torch.randn(1, 64)


def calibration_data() -> np.ndarray:
    """64 standardized feature vectors with some correlation between features."""
    rng = np.random.default_rng(2)
    mixing = rng.normal(0, 1, (16, 64)) / 4.0
    return (rng.normal(0, 1, (64, 16)) @ mixing).astype(np.float32)
