"""The dynamic-inference example networks on the 32x32 shapes (_shapes.py), their training
and the cache of trained weights (build/gating/<name>.pt, retrained when missing).

    baseline   conv 3->16 /2, conv 16->32, pool, conv 32->64, pool, conv 64->64, head
    gated      the same convolutions as GatedConv2d (FBS top-k at density 0.5); each gated
               conv after the first also skips the input channels the previous gate dropped
    exits      the baseline's backbone with exit heads after the first and second blocks
               (average pools to 4x4 and 2x2 cells -> linear), trained with
               self-distillation from the final head

Every conv is 3x3 with padding 1, batch norm and ReLU; pools are 2x2 max; heads are global
average pool -> linear (softmax in eval mode).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from _shapes import CLASSES, shapes
from torch import nn

from tinygen.nn.gating import EarlyExit, ExitHead, GatedConv2d, train_multi_exit

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "build" / "gating"
WIDTHS = (3, 16, 32, 64, 64)
TRAIN, TEST = 4000, 500
EPOCHS, LR, BATCH = 12, 3e-3, 64
EXIT_THRESHOLDS = (0.9, 0.8)


def dataset() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    return shapes(TRAIN, seed=1), shapes(TEST, seed=2)


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU())


def _backbone() -> nn.ModuleList:
    w = WIDTHS
    return nn.ModuleList(_conv(w[i], w[i + 1], 2 if i == 0 else 1) for i in range(4))


POOL_AFTER = (1, 2)     # 32x32 -stem /2-> 16x16 -pool-> 8x8 -pool-> 4x4


class Baseline(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = _backbone()
        self.head = ExitHead(WIDTHS[-1], CLASSES)

    def forward(self, x):
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in POOL_AFTER:
                x = F.max_pool2d(x, 2)
        z = self.head(x)
        return z if self.training else torch.softmax(z, dim=1)


class Gated(Baseline):
    def __init__(self, density: float = 0.5):
        super().__init__()
        w = WIDTHS
        self.blocks = nn.ModuleList(GatedConv2d(w[i], w[i + 1], 3, stride=2 if i == 0 else 1, padding=1,
                                                density=density) for i in range(4))

    def set_density(self, density: float) -> Gated:
        for block in self.blocks:
            block.set_density(density)
        return self


class Exits(nn.Module):
    def __init__(self, thresholds=EXIT_THRESHOLDS):
        super().__init__()
        w = WIDTHS
        self.blocks = _backbone()
        self.exit1, self.exit2 = ExitHead(w[1], CLASSES, grid=4), ExitHead(w[2], CLASSES, grid=2)
        self.head = ExitHead(w[-1], CLASSES)
        self.exits = EarlyExit(thresholds)

    def forward(self, x):
        heads = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in POOL_AFTER:
                x = F.max_pool2d(x, 2)
            if i == 0:
                heads.append(self.exit1(x))
            if i == 1:
                heads.append(self.exit2(x))
        return self.exits(heads + [self.head(x)])


KINDS = {"baseline": Baseline, "gated": Gated, "exits": Exits}


def _batches(x, y, seed):
    order = np.random.default_rng(seed).permutation(len(x))
    for i in range(0, len(x), BATCH):
        idx = order[i:i + BATCH]
        yield torch.from_numpy(x[idx]), torch.from_numpy(y[idx])


def train(kind: str, log=print) -> nn.Module:
    """The trained network of `kind`, from the cache or trained now (a few minutes on a CPU)."""
    torch.manual_seed(0)
    net = KINDS[kind]()
    path = CACHE / f"{kind}.pt"
    if path.exists():
        net.load_state_dict(torch.load(path))
        return net.eval()
    (x, y), _ = dataset()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    start = time.time()
    if kind == "exits":
        for epoch in range(EPOCHS):
            loss = train_multi_exit(net, lambda epoch=epoch: _batches(x, y, epoch), opt, 1)[0]
            sched.step()
            log(f"{kind} epoch {epoch + 1}/{EPOCHS}: loss {loss:.3f} ({time.time() - start:.0f} s)")
    else:
        for epoch in range(EPOCHS):
            net.train()
            total = 0.0
            for xb, yb in _batches(x, y, epoch):
                opt.zero_grad()
                loss = F.cross_entropy(net(xb), yb)
                loss.backward()
                opt.step()
                total += float(loss)
            sched.step()
            log(f"{kind} epoch {epoch + 1}/{EPOCHS}: loss {total / (len(x) / BATCH):.3f} "
                f"({time.time() - start:.0f} s)")
    CACHE.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), path)
    return net.eval()


def write_test_data(path: Path = CACHE / "shapes_test.npz") -> Path:
    """The test images and labels as `tinygen hil --data` takes them (x NCHW floats, y)."""
    _, (x, y) = dataset()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, x=x, y=y)
    return path


def float_accuracy(net: nn.Module) -> float:
    _, (x, y) = dataset()
    with torch.no_grad():
        return float((net.eval()(torch.from_numpy(x)).argmax(1).numpy() == y).mean())
