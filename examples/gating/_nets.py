"""The dynamic-inference example networks on the 32x32 shapes (_shapes.py), their training
and the cache of trained weights (build/gating/<name>.pt, retrained when missing).

    baseline   conv 3->16 /2, conv 16->32, pool, conv 32->64, pool, conv 64->64, head
    gated      the same convolutions as GatedConv2d (FBS top-k at density 0.5); each gated
               conv after the first also skips the input channels the previous gate dropped;
               fine-tuned from the baseline, distilling its answers, the density falling
               from 1 to 0.5 over the first GATED_RAMP epochs
    exits      the baseline's backbone with exit heads after the first and second blocks
               (average pools to 4x4 cells -> linear; 4x4 cells -> linear 64 -> ReLU ->
               linear), fine-tuned from the baseline with self-distillation from the final head

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

from tinygen.nn.gating import EarlyExit, ExitHead, GatedConv2d, multi_exit_loss
from tinygen.nn.train import distill_loss

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "build" / "gating"
WIDTHS = (3, 16, 32, 64, 64)
TRAIN, TEST, VALIDATION = 4000, 500, 500
EPOCHS, LR, BATCH = 12, 3e-3, 64
FINETUNE_LR = 1e-3      # the gated and exits networks fine-tune the trained baseline
TEMPERATURE = 4.0
EXIT_EPOCHS = 30
EXIT2_GRID, EXIT2_HIDDEN = 4, 64     # the second exit head: 4x4 cells -> linear 64 -> ReLU -> linear
GATED_EPOCHS, GATED_LR = 30, 2e-3
GATED_RAMP = 10         # epochs over which the gated network's density falls from 1 to DENSITY
DENSITY = 0.5
EXIT_THRESHOLDS = (0.9, 0.8)


def dataset() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    return shapes(TRAIN, seed=1), shapes(TEST, seed=2)


def validation() -> tuple[np.ndarray, np.ndarray]:
    """Held out from training and test: where operating points (exit thresholds) are chosen."""
    return shapes(VALIDATION, seed=3)


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
    def __init__(self, density: float = DENSITY):
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
        self.exit1 = ExitHead(w[1], CLASSES, grid=4)
        self.exit2 = ExitHead(w[2], CLASSES, grid=EXIT2_GRID, hidden=EXIT2_HIDDEN)
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


def _from_baseline(net: nn.Module, baseline: nn.Module) -> None:
    """Start from the trained baseline's convolutions, batch norms and head (a gated block's
    conv / bn are the baseline block's 0 / 1; predictors and exit heads start fresh)."""
    state = {}
    for key, value in baseline.state_dict().items():
        state[key] = value
        if isinstance(net, Gated) and key.startswith("blocks."):
            _, i, layer, name = key.split(".", 3)
            state[f"blocks.{i}.{'conv' if layer == '0' else 'bn'}.{name}"] = value
    net.load_state_dict(state, strict=False)


def fit(net: nn.Module, loss_fn, x, y, kind: str, log, lr: float, epochs: int = EPOCHS, before_epoch=None) -> None:
    """Adam with a cosine schedule over `epochs`; loss_fn(xb, yb) -> the batch's loss;
    before_epoch(epoch), if given, runs before each epoch."""
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    start = time.time()
    for epoch in range(epochs):
        if before_epoch is not None:
            before_epoch(epoch)
        net.train()
        total = 0.0
        for xb, yb in _batches(x, y, epoch):
            opt.zero_grad()
            loss = loss_fn(xb, yb)
            loss.backward()
            opt.step()
            total += float(loss.detach())
        sched.step()
        log(f"{kind} epoch {epoch + 1}/{epochs}: loss {total / (len(x) / BATCH):.3f} ({time.time() - start:.0f} s)")
    net.eval()


def exit_loss(net: nn.Module):
    """Self-distillation over all heads, the second head's cross entropy counted twice: it
    is the one that must answer most inputs for the mean cost to halve."""
    def loss_fn(xb, yb):
        z = net(xb)
        return multi_exit_loss(z, yb) + F.cross_entropy(z[1], yb)
    return loss_fn


def density_ramp(net: Gated):
    """Before each epoch: the density falls linearly from 1 to DENSITY over GATED_RAMP epochs
    (the network fine-tuned from the dense baseline loses channels gradually), then stays."""
    def before_epoch(epoch):
        net.set_density(max(DENSITY, 1.0 - (1.0 - DENSITY) * (epoch + 1) / GATED_RAMP))
    return before_epoch


def distilling(net: nn.Module, teacher: nn.Module):
    """The loss: cross entropy plus the distillation of the (eval-mode, softmax) teacher."""
    def loss_fn(xb, yb):
        z = net(xb)
        with torch.no_grad():
            soft = torch.log(teacher(xb).clamp_min(1e-12))
        return F.cross_entropy(z, yb) + distill_loss(z, soft, TEMPERATURE)
    return loss_fn


def cached(net: nn.Module, path: Path, train_now) -> nn.Module:
    """`net` with the weights stored at `path`, or trained now (train_now(net)) and stored."""
    if path.exists():
        net.load_state_dict(torch.load(path))
        return net.eval()
    train_now(net)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), path)
    return net.eval()


def train(kind: str, log=print) -> nn.Module:
    """The trained network of `kind`, from the cache or trained now (a few minutes on a CPU).
    The baseline trains from scratch; the gated and exits networks start from it (the
    baseline trained first if needed) and fine-tune: the gated one distilling the baseline's
    answers, the exits one with self-distillation from its final head."""
    (x, y), _ = dataset()

    def train_now(net):
        if kind == "baseline":
            return fit(net, lambda xb, yb: F.cross_entropy(net(xb), yb), x, y, kind, log, LR)
        teacher = train("baseline", log)
        _from_baseline(net, teacher)
        if kind == "exits":
            return fit(net, exit_loss(net), x, y, kind, log, FINETUNE_LR, EXIT_EPOCHS)
        return fit(net, distilling(net, teacher), x, y, kind, log, GATED_LR, GATED_EPOCHS, density_ramp(net))

    torch.manual_seed(0)
    return cached(KINDS[kind](), CACHE / f"{kind}.pt", train_now)


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
