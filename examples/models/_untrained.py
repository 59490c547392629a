"""Shared by the example models: make an untrained network look trained enough
to exercise the compiler (non-trivial batch-norm statistics)."""

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
