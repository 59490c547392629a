"""The wake word's training recipes: what examples/kws/_round.py trains on a lent machine, and
the fine-tune and the whole CPU training of wakeword_kws.py.

A recipe (Recipe) names the width, the epochs, the seed, the recordings (the shipped
recipe's, or MORE's as well), SpecAugment's masks (Park et al., 2019), the int8 input's grid
(`grid`: every window rounded to what the device's input holds, input_grid) and mutual learning
(Zhang et al., 2018): `peers` networks trained side by side as one grouped network, each
pulled toward the others' mean prediction beside its labels; the peer that scores best on
the validation windows is kept, and the peers' average is scored too (what the one kept
would gain if it learnt all of it); or (`keep_all`) all the peers are kept, as one
_kws.Average of them, what the device then runs.

FINE_TUNE is the shipped pair's second network's recipe (`wakeword_kws.py --fine-tune`), REFRESH
done twice its first's (`--refresh`), and run_ensemble the whole training on one CPU thread
(`python wakeword_kws.py`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

import _detector
import _kws
import _wake
from tinygen.audio import stream as st
from tinygen.compiler import compile_source, load_source
from tinygen.ref import mfcc as fe

SHIPPED = Path(__file__).resolve().parent / "wakeword_kws.py"


@dataclass(frozen=True)
class Recipe:
    channels: int = 96
    epochs: int = 24
    lr: float = 1e-3
    per_epoch: int = 150_000
    seed: int = 2
    peers: int = 1                    # networks trained side by side (mutual learning); 1: the shipped recipe's loss
    mutual: float = 1.0               # the weight of each peer's pull toward the others' mean (KL divergence)
    keep_all: bool = False            # keep every peer, as an Average (n times the instructions), not the best one
    masks: bool = False               # SpecAugment's masks after the warp and the stretch
    grid: bool = False                # the windows rounded to the int8 model's input grid (input_grid), last
    more: bool = False                # MORE's recordings too
    clips: bool = True                # the corpus's training clips beside the windows (False: the windows alone)
    hops: tuple[int, ...] = (4,)      # the hops scored (4 frames: half the inferences, room for a wider network)


# The next GPU round's recipes, each about 6 minutes on one H100 or H200 with six at once (the
# shipped recipe, 30 epochs, took 455 s as one of four). Scored at a hop of 4 frames (80 ms) or 6
# (120 ms): on the hour of validation voices the shipped pair detects as many keywords at 6 as
# at 4 (RESULTS.md, the eleventh round), and fewer inferences leave the F746 room for more
# network. `tinygen hil` of the DS-CNN on the f746zg stand-in (seeded weights): 5.93 M
# instructions an inference at 96 channels, 9.75 M at 128, 12.0 M at 144; the shipped pair takes
# 11.79 M every 80 ms, so three 96-channel networks every 120 ms (17.8 M) take the same share of
# the core.
RECIPES = {
    "control": Recipe(hops=(2, 4)),                        # the shipped recipe at this round's epochs and seed
    "wide128": Recipe(channels=128),
    "wide144": Recipe(channels=144),
    "mutual4": Recipe(peers=4),
    "pair": Recipe(peers=2, keep_all=True),                # two peers averaged: at a hop of 4, one peer's time at 2
    "pair-grid": Recipe(peers=2, keep_all=True, masks=True, grid=True),   # the pair on the int8 input's grid
    "trio": Recipe(peers=3, keep_all=True, hops=(6,)),     # three peers averaged: at a hop of 6, the pair's time at 4
    "masks": Recipe(masks=True),
    "grid": Recipe(masks=True, grid=True),                 # trained on what the int8 model's input can hold
    "more": Recipe(more=True),
}


def masks(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """SpecAugment on float32 [n, 1, 49, 10] windows: with probability 0.5 two runs of 1 to 6
    frames each set to the window's mean frame; with probability 0.5 one band of 1 to 6 of the
    40 mel bins of the coefficients' log-mel envelope flattened to the frame's mean."""
    x = x.copy()
    n, t = len(x), np.arange(fe.NUM_FRAMES)
    timed = rng.random(n) < 0.5
    mean = x.mean(axis=2, keepdims=True)
    for _ in range(2):
        start, width = rng.integers(0, fe.NUM_FRAMES, n), rng.integers(1, 7, n)
        run = timed[:, None] & (t[None] >= start[:, None]) & (t[None] < (start + width)[:, None])
        x = np.where(run[:, None, :, None], mean, x)
    banded = np.flatnonzero(rng.random(n) < 0.5)
    start, width = rng.integers(0, fe.NUM_MEL, len(banded)), rng.integers(1, 7, len(banded))
    dct = fe.dct_matrix()                                                  # [40, 10]
    for s, w in set(zip(start.tolist(), width.tolist())):
        flat = np.eye(fe.NUM_MEL)
        flat[:, s:s + w] = 1 / fe.NUM_MEL                                   # those bins -> the frame's mean
        sel = banded[(start == s) & (width == w)]
        x[sel] = x[sel] @ (np.linalg.pinv(dct) @ flat @ dct).astype(np.float32)
    return x


class Peers(nn.Module):
    """`n` DS-CNNs `channels` wide as one network of grouped convolutions (the same kernel
    launches as one: they train at one network's speed on a GPU). Peer k is the k-th block of
    channels of every layer; peer_state takes it out as a _kws.dscnn's weights. Logits [B, n, 12]."""

    def __init__(self, n: int, channels: int):
        super().__init__()
        self.n, self.channels = n, channels
        c = n * channels
        mods: list[nn.Module] = [nn.Conv2d(1, c, (10, 4), stride=2, padding=(5, 1), bias=False),
                                 nn.BatchNorm2d(c), nn.ReLU(), nn.Dropout(0.1)]
        for _ in range(4):
            mods += [nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                     nn.Conv2d(c, c, 1, groups=n, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
        mods += [nn.AvgPool2d((25, 5)), nn.Identity(), nn.Dropout(0.2), nn.Conv2d(c, n * _kws.CLASSES, 1, groups=n)]
        self.layers = nn.Sequential(*mods)              # indices as _kws.dscnn's, the Flatten an Identity here

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x).reshape(len(x), self.n, _kws.CLASSES)


def peer_state(peers: Peers, k: int) -> dict[str, torch.Tensor]:
    """Peer k's weights as a _kws.dscnn(channels=peers.channels)'s state dict."""
    out = {}
    for key, value in peers.layers.state_dict().items():
        if key.endswith("num_batches_tracked"):
            out[key] = value.clone()
            continue
        rows = len(value) // peers.n
        part = value[k * rows:(k + 1) * rows].clone()
        out[key] = part.reshape(rows, -1) if key == "31.weight" else part          # the Linear's [12, C]
    return out


def mutual_loss(weight: float):
    """Each peer's cross-entropy with the labels plus `weight` times its KL divergence from the
    other peers' mean prediction (held fixed), summed over the peers."""
    def loss(net: Peers, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        logits = net(x)                                                     # [B, n, 12]
        ce = nn.functional.cross_entropy(logits.transpose(1, 2), y[:, None].expand(-1, net.n), reduction="sum")
        if net.n == 1:
            return ce / len(y)
        p = logits.softmax(-1).detach()
        others = (p.sum(1, keepdim=True) - p) / (net.n - 1)
        kl = (others * (others.clamp_min(1e-8).log() - logits.log_softmax(-1))).sum()
        return (ce + weight * kl) / len(y)
    return loss


def input_grid(model_file: Path = SHIPPED) -> tuple[np.ndarray, int]:
    """The int8 input grid tinygen gives the wake word, in the features' units: each
    coefficient's step (the input's scale over the model file's feature gain) and the zero
    point; its calibration's, the training clips stored with the weights, whatever the weights
    (adopted weights are stored with the same clips, so a model trained on this grid keeps it)."""
    return st.input_grid(compile_source(load_source(model_file)))


def on_grid(x: np.ndarray, grid: tuple[np.ndarray, int]) -> np.ndarray:
    """float32 windows [..., 49, 10] as the int8 input holds them: rounded to each coefficient's
    steps and clipped to the grid's 256 values (without feature gains the window's coefficient 0
    spans about 140 of the input's range and the other nine get a few steps each: a network
    trained in float alone meets them first on the device)."""
    scales, zero = grid
    return ((fe.quantize(x, scales, zero).astype(np.float64) - zero) * scales).astype(np.float32)


def _transform(recipe: Recipe):
    """The recipe's augmentation: _wake.augment, then SpecAugment's masks where it asks, then the
    input grid where it asks."""
    masked = (lambda x, rng: masks(_wake.augment(x, rng), rng)) if recipe.masks else _wake.augment
    if not recipe.grid:
        return masked
    grid = input_grid()
    return lambda x, rng: on_grid(masked(x, rng), grid)


# The shipped pair's second network (the eighth round, on one CPU thread, 2,209 s): the first
# one trained further with SpecAugment's masks on MORE's recordings too.
FINE_TUNE = Recipe(epochs=10, lr=5e-4, seed=4, masks=True, more=True)


# The shipped pair's first network (the twelfth round, on one CPU thread, 909 + 1,618 s): the
# GPU-trained network of the fourth round trained further by REFRESH, then by REFRESH again from
# there (each a one-cycle of its own), on the shipped recipe's windows alone.
REFRESH = Recipe(epochs=5, lr=5e-4, seed=4, clips=False)
NO_CLIPS = (np.zeros((0, 1, fe.NUM_FRAMES, fe.NUM_MFCC), np.float32), np.zeros(0, np.int64))


def fine_tune(net: nn.Sequential, recipe: Recipe | None = None, seed: int | None = None
              ) -> tuple[nn.Sequential, float]:
    """A copy of `net` trained further by `recipe` (FINE_TUNE; one-cycle from its weights; `seed`
    instead of the recipe's) on this machine's data (the corpus cache: the clips unless
    `recipe.clips` is False, the shipped recipe's recordings and, with `recipe.more`, MORE's).
    (net, seconds), as _wake.train gives them."""
    recipe = recipe or FINE_TUNE
    specs = _wake.training_recordings() + (_wake.more_recordings() if recipe.more else [])
    recordings = [_wake.stream_data(spec) for spec in specs]
    clips = _wake.training_clips() if recipe.clips else NO_CLIPS
    return _wake.train(copy.deepcopy(net), clips, recordings, recipe.epochs, recipe.lr, recipe.per_epoch,
                       seed=recipe.seed if seed is None else seed, transform=_transform(recipe))


def refresh(net: nn.Sequential) -> tuple[nn.Sequential, list[float]]:
    """`net` trained further by REFRESH twice, the second from the first's result: (net, the
    two runs' seconds)."""
    once, first = fine_tune(net, REFRESH)
    twice, second = fine_tune(once, REFRESH)
    return twice, [first, second]


def run_ensemble(name: str, plan: _kws.Plan, model_file: str, channels: int, members: int, epochs: int, lr: float,
                 per_epoch: int) -> None:
    """`python wakeword_kws.py` (one CPU thread): a network from the DS-CNN's seeded initial
    weights by the shipped recipe; the first member that one refreshed (REFRESH twice), each
    further one (`members` in all) that one fine-tuned (FINE_TUNE, seeds FINE_TUNE.seed, +1,
    ...); adopted as their Average."""
    recordings = [_wake.stream_data(spec) for spec in _wake.training_recordings()]
    base, seconds = _wake.train(_kws.dscnn(plan, channels), _wake.training_clips(), recordings, epochs, lr, per_epoch)
    first, refreshed = refresh(base)
    nets, took = [first], [f"{s:.0f}" for s in [seconds] + refreshed]
    for k in range(1, members):
        net, seconds = fine_tune(base, seed=FINE_TUNE.seed + k - 1)
        nets.append(net)
        took.append(f"{seconds:.0f}")
    spent = [str(epochs), str(REFRESH.epochs), str(REFRESH.epochs)] + [str(FINE_TUNE.epochs)] * (members - 1)
    _detector.adopt(name, plan, _kws.averaged(nets), model_file, channels, " + ".join(spent), per_epoch,
                    " + ".join(took), "one CPU thread")
