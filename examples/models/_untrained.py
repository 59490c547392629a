"""Shared by the example models: make an untrained network look trained enough
to exercise the compiler (non-trivial batch-norm statistics)."""

import numpy as np
import torch
from torch import nn


def randomize_batchnorm(net: nn.Module, gen: torch.Generator) -> None:
    """Give every BatchNorm non-trivial statistics and affine parameters, as after training."""
    for m in net.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=gen) * 0.2)
            m.running_var.copy_(torch.rand(c, generator=gen) * 0.8 + 0.4)
            m.weight.data.copy_(torch.rand(c, generator=gen) * 0.8 + 0.6)
            m.bias.data.copy_(torch.randn(c, generator=gen) * 0.1)


def natural_images(rng: np.random.Generator, n: int) -> np.ndarray:
    """n smooth 3x32x32 colour images, normalized per channel like CIFAR-10 inputs:
    low-frequency random fields (upsampled 4x4 noise) plus a little fine noise."""
    coarse = rng.uniform(0, 1, (n, 3, 4, 4)).astype(np.float32)
    images = np.kron(coarse, np.ones((8, 8), np.float32))
    images += rng.normal(0, 0.05, images.shape).astype(np.float32)
    mean = np.array([0.49, 0.48, 0.45], np.float32)[:, None, None]
    std = np.array([0.25, 0.24, 0.26], np.float32)[:, None, None]
    return ((np.clip(images, 0, 1) - mean) / std).astype(np.float32)
