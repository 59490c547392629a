"""examples/models/resnet8.py with half of its filters pruned by torch.nn.utils.prune.

Every convolution loses the 50% of its output filters with the smallest L1 norm, and the
batch norm after it the same channels (gamma and beta), so a pruned channel is exactly
zero. Layers whose outputs meet in a residual add (the stem and stack1's second conv;
each later stack's second conv and its 1x1 shortcut) are pruned as a group, on the
summed L1 norms, so the add loses the same channels in every branch; compaction keeps
the union of the channels where branches disagree. The weights are untrained (random),
as in examples/models/: this file is for size and speed, not accuracy.

    tinygen inspect examples/pruned/resnet8_pruned.py        # the "pruning" section
    tinygen inspect examples/pruned/resnet8_pruned.py --no-compact
"""

import sys
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils import prune

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))
import resnet8  # noqa: E402  (examples/models/resnet8.py)

RATIO = 0.5


def _prune_group(pairs) -> None:
    """Prune the same output channels of several (conv, batch norm) pairs: those with the
    smallest summed L1 norm of the convs' filters."""
    norms = sum(conv.weight.detach().abs().flatten(1).sum(1) for conv, _ in pairs)
    keep = torch.zeros_like(norms)
    keep[norms.argsort(descending=True)[: len(norms) - int(len(norms) * RATIO)]] = 1
    for conv, bn in pairs:
        prune.custom_from_mask(conv, "weight", keep.view(-1, 1, 1, 1).expand_as(conv.weight))
        prune.custom_from_mask(conv, "bias", keep)
        if bn is not None:
            prune.custom_from_mask(bn, "weight", keep)
            prune.custom_from_mask(bn, "bias", keep)


def model() -> nn.Module:
    net = resnet8.model()
    _prune_group([(net.stem[0], net.stem[1]), (net.stack1.conv2, net.stack1.bn2)])
    for stack in (net.stack1, net.stack2, net.stack3):
        _prune_group([(stack.conv1, stack.bn1)])
    for stack in (net.stack2, net.stack3):
        _prune_group([(stack.conv2, stack.bn2), (stack.shortcut, None)])
    return net.eval()


example_input = resnet8.example_input
calibration_data = resnet8.calibration_data
