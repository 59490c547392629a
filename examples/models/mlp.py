"""A small multilayer perceptron on 64 features.

Linear-BatchNorm1d-ReLU-Dropout, Linear-ReLU, Linear. Dropout is a no-op at
inference and disappears in the compiled model.

    tinygen build examples/models/mlp.py --board host
"""

import numpy as np
import torch
from torch import nn

from _untrained import randomize_batchnorm  # sibling file in examples/models/


def model() -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(64, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(128, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )
    with torch.no_grad():
        randomize_batchnorm(net, torch.Generator().manual_seed(1))
    return net.eval()


def example_input() -> torch.Tensor:
    return torch.randn(1, 64)


def calibration_data() -> np.ndarray:
    """64 standardized feature vectors with some correlation between features."""
    rng = np.random.default_rng(2)
    mixing = rng.normal(0, 1, (16, 64)) / 4.0
    return (rng.normal(0, 1, (64, 16)) @ mixing).astype(np.float32)
