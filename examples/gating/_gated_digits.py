"""The dynamic-inference networks on scikit-learn's bundled 8x8 digits (no download), small
enough to train in seconds; weights cached in build/gating/digits_<kind>.pt.

    gated   GatedConv2d 1->16, 16->32 /2, 32->32 /2 (FBS top-k, density 0.5), head
    exits   the same convolutions dense, exit heads after the first and second (2x2 cells
            -> linear), trained with self-distillation from the final head

Every conv is 3x3 with padding 1, batch norm and ReLU; the final head is a global average
pool -> linear (softmax in eval mode). Training and the cache follow _nets.py (shapes32).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from _nets import CACHE, _conv, cached, fit, multi_exit_loss
from sklearn.datasets import load_digits
from torch import nn

from tinygen.nn.gating import EarlyExit, ExitHead, GatedConv2d

WIDTHS, STRIDES = (1, 16, 32, 32), (1, 2, 2)
CLASSES, TRAIN = 10, 1400       # of the 1797 images; the rest are the test set
EPOCHS, LR = 20, 3e-3
DENSITY, EXIT_THRESHOLDS = 0.5, (0.9, 0.9)


def dataset() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(train, test): images [N, 1, 8, 8] in [0, 1], labels; a fixed shuffle."""
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(y))
    x, y = x[order], y[order]
    return (x[:TRAIN], y[:TRAIN]), (x[TRAIN:], y[TRAIN:])


class Gated(nn.Module):
    def __init__(self, density: float = DENSITY, predictor_hidden: int | None = None):
        super().__init__()
        w = WIDTHS
        self.blocks = nn.ModuleList(GatedConv2d(w[i], w[i + 1], 3, stride=s, padding=1, density=density,
                                                predictor_hidden=predictor_hidden)
                                    for i, s in enumerate(STRIDES))
        self.head = ExitHead(w[-1], CLASSES)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        z = self.head(x)
        return z if self.training else torch.softmax(z, dim=1)


class Exits(nn.Module):
    def __init__(self, thresholds=EXIT_THRESHOLDS):
        super().__init__()
        w = WIDTHS
        self.blocks = nn.ModuleList(_conv(w[i], w[i + 1], s) for i, s in enumerate(STRIDES))
        self.early = nn.ModuleList(ExitHead(w[i + 1], CLASSES, grid=2) for i in range(2))
        self.head = ExitHead(w[-1], CLASSES)
        self.exits = EarlyExit(thresholds)

    def forward(self, x):
        heads = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i < len(self.early):
                heads.append(self.early[i](x))
        return self.exits(heads + [self.head(x)])


KINDS = {"gated": Gated, "exits": Exits}


def train(kind: str, log=print) -> nn.Module:
    """The trained network of `kind`, from the cache or trained now (seconds on a CPU)."""
    (x, y), _ = dataset()

    def train_now(net):
        loss = multi_exit_loss if kind == "exits" else F.cross_entropy
        fit(net, lambda xb, yb: loss(net(xb), yb), x, y, f"digits {kind}", log, LR, EPOCHS)

    torch.manual_seed(0)
    return cached(KINDS[kind](), CACHE / f"digits_{kind}.pt", train_now)


def float_accuracy(net: nn.Module) -> float:
    _, (x, y) = dataset()
    with torch.no_grad():
        return float((net.eval()(torch.from_numpy(x)).argmax(1).numpy() == y).mean())
