"""Dynamic inference modules: run-time channel gating and early exits (issue 23).

    GatedConv2d(32, 64, 3, padding=1, density=0.5)      # FBS: top-k of the saliency
    GatedConv2d(32, 64, 3, padding=1, threshold=0.4)    # FTWT-style: saliency >= 0.4 * max
    GatedConv2d(32, 32, 3, padding=1, groups=32)         # a gated depthwise convolution
    GatedLinear(64, 32, density=0.5)                     # a gated fully connected layer
    GatedLinear(256, 128, predictor_hidden=8, predictor_pool=4)   # a cheap predictor (below)
    ExitHead(32, 10)                                     # global average pool -> linear
    EarlyExit([0.9, 0.8])                                # thresholds of the early heads

GatedConv2d (Feature Boosting and Suppression, Gao et al. 2019): a saliency predictor
(global average pool of the input -> linear -> ReLU) scores the output channels; the gate
keeps the k = round(density * C) largest (winner-take-all; ties: the lowest channel index),
or with `threshold` those whose saliency reaches threshold * the largest; the kept channels
of relu(bn(conv(x))) are scaled by their saliency, the others are 0. Training uses the
papers' own gradient: it flows through the kept saliencies, the choice itself is not
differentiated. Eval mode (and torch.export) runs the gate as the custom op
`torch.ops.tinygen.channel_gate(saliency, k, threshold)`, which the compiler lowers to its
channel_gate IR op; the conv and the multiply fuse into a gated conv that computes only the
kept channels (tinygen/gating). `conv` may be any conv module (e.g. a tinygen.nn.QConv2d);
with groups == in_channels == out_channels it is a depthwise convolution, which compiles to
a gated depthwise kernel. GatedLinear gates a Linear layer the same way: relu(linear(x))
scaled by the saliency relu(predictor(x)) of its own input, the dropped outputs 0.

The predictor is one linear layer in -> out by default (the papers'). `predictor_hidden=r`
makes it a low-rank bottleneck, linear in -> r -> ReLU -> linear r -> out (both modules):
(in + out) * r multiply-accumulates instead of in * out, so it costs a fraction of the layer
it gates. GatedLinear's `predictor_pool=g` first averages the input's g blocks of in / g
features elementwise (feature j of the pooled input is the mean of features j, j + in / g,
..., j + (g - 1) * in / g): the predictor reads in / g values. Both compile through the ordinary graph ops
(fully connected, mean), no special case.

A multi-exit model returns, in training mode, the list of its heads' logits (earliest
first, the final classifier last), and in eval mode `EarlyExit(thresholds)(logits)`: the
softmax of the first head whose largest probability reaches its threshold, else of the last
(`torch.ops.tinygen.exit_select`); the generated C returns right after a head that answers.
`train_multi_exit` trains all heads, the last one teaching the others (self-distillation).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from tinygen.errors import ModelError
from tinygen.ref.gating import channel_gate_float, exit_select_float
from tinygen.nn.train import distill_loss


def check_density(density: float) -> float:
    if not 0.0 < float(density) <= 1.0:
        raise ModelError(f"gate density {density} is outside (0, 1]",
                         hint="give the fraction of channels to keep, e.g. density=0.5")
    return float(density)


def check_threshold(threshold: float, what: str = "threshold") -> float:
    if not 0.0 <= float(threshold) <= 1.0:
        raise ModelError(f"{what} {threshold} is outside [0, 1]",
                         hint="give a fraction: 0 keeps everything, 1 only the largest")
    return float(threshold)


@torch.library.custom_op("tinygen::channel_gate", mutates_args=())
def channel_gate(saliency: torch.Tensor, k: int, threshold: float) -> torch.Tensor:
    """saliency [N, C] with the channels not kept set to 0: the k largest (k > 0; ties to the
    lowest index) or, with k = 0, those >= threshold * the largest."""
    s = saliency.detach().cpu().numpy()
    out = channel_gate_float(s, "topk" if k > 0 else "threshold", k, threshold)
    return torch.from_numpy(out).to(saliency.device)


@channel_gate.register_fake
def _channel_gate_fake(saliency, k, threshold):
    return torch.empty_like(saliency)


@torch.library.custom_op("tinygen::exit_select", mutates_args=())
def exit_select(probs: list[torch.Tensor], thresholds: list[float]) -> torch.Tensor:
    """Per row: the first of probs whose largest value reaches its threshold, else the last."""
    out = exit_select_float([p.detach().cpu().numpy() for p in probs], thresholds)
    return torch.from_numpy(out).to(probs[-1].device)


@exit_select.register_fake
def _exit_select_fake(probs, thresholds):
    return torch.empty_like(probs[-1])


def _train_gate(s: torch.Tensor, k: int, threshold: float) -> torch.Tensor:
    """The gate in training: the same choice as channel_gate, gradients through the kept s."""
    with torch.no_grad():
        if k > 0:
            order = torch.argsort(-s, dim=1, stable=True)[:, :k]
            mask = torch.zeros_like(s).scatter_(1, order, 1.0)
        else:
            mask = (s >= threshold * s.max(dim=1, keepdim=True).values).float()
    return s * mask


def _gate_knobs(what: str, channels: int, density: float | None, threshold: float | None) -> tuple[int, float]:
    """(k, threshold) of a gate: top-k at a density, or k = 0 and a threshold."""
    if threshold is not None:
        return 0, check_threshold(threshold)
    if density is None:
        raise ModelError(f"{what} needs density= or threshold=", hint="e.g. density=0.5")
    return max(1, round(check_density(density) * channels)), 0.0


def _predictor(what: str, in_features: int, out_features: int, hidden: int | None) -> nn.Module:
    """The saliency predictor before its ReLU: one linear layer, or with `hidden` a bottleneck
    linear -> ReLU -> linear; the last bias starts at 1 (every channel starts salient)."""
    if hidden is None:
        predictor = last = nn.Linear(in_features, out_features)
    else:
        if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden <= 0:
            raise ModelError(f"{what} predictor_hidden={hidden!r} must be a positive integer",
                             hint="the bottleneck width, e.g. predictor_hidden=8 (None: one linear layer)")
        last = nn.Linear(hidden, out_features)
        predictor = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), last)
    nn.init.constant_(last.bias, 1.0)
    return predictor


def _gate(s: torch.Tensor, k: int, threshold: float, training: bool) -> torch.Tensor:
    return _train_gate(s, k, threshold) if training else torch.ops.tinygen.channel_gate(s, k, threshold)


class GatedConv2d(nn.Module):
    """relu(bn(conv(x))) with run-time channel gating (FBS top-k or a threshold)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size=3, stride=1, padding=0, *,
                 density: float | None = 0.5, threshold: float | None = None, batch_norm: bool = True,
                 conv: nn.Module | None = None, groups: int = 1, predictor_hidden: int | None = None):
        super().__init__()
        self.k, self.threshold = _gate_knobs("GatedConv2d", out_channels, density, threshold)
        self.channels = out_channels
        self.conv = conv if conv is not None else nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                                                            groups=groups, bias=not batch_norm)
        self.bn = nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity()
        self.predictor = _predictor("GatedConv2d", in_channels, out_channels, predictor_hidden)

    @property
    def density(self) -> float:
        return self.k / self.channels if self.k else float("nan")

    def set_density(self, density: float) -> None:
        """Change the kept fraction (for a density sweep after training)."""
        self.k = max(1, round(check_density(density) * self.channels))
        self.threshold = 0.0

    def saliency(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.predictor(x.mean(dim=(2, 3))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = _gate(self.saliency(x), self.k, self.threshold, self.training)
        y = F.relu(self.bn(self.conv(x)))
        return y * g.reshape(g.shape[0], g.shape[1], 1, 1)


class GatedLinear(nn.Module):
    """relu(linear(x)) with run-time gating of its output features (FBS top-k or a threshold):
    the saliency relu(predictor(x)) of the input [N, in_features] picks the features kept."""

    def __init__(self, in_features: int, out_features: int, *, density: float | None = 0.5,
                 threshold: float | None = None, linear: nn.Module | None = None,
                 predictor_hidden: int | None = None, predictor_pool: int = 1):
        super().__init__()
        self.k, self.threshold = _gate_knobs("GatedLinear", out_features, density, threshold)
        self.channels = out_features
        if isinstance(predictor_pool, bool) or not isinstance(predictor_pool, int) or predictor_pool <= 0 \
                or in_features % predictor_pool:
            raise ModelError(f"GatedLinear predictor_pool={predictor_pool!r} must be a positive integer dividing "
                             f"in_features={in_features}", hint="e.g. predictor_pool=4 (1: no pooling)")
        self.pool = predictor_pool
        self.linear = linear if linear is not None else nn.Linear(in_features, out_features)
        self.predictor = _predictor("GatedLinear", in_features // predictor_pool, out_features, predictor_hidden)

    density = GatedConv2d.density
    set_density = GatedConv2d.set_density

    def saliency(self, x: torch.Tensor) -> torch.Tensor:
        if self.pool > 1:       # the mean of the `pool` blocks of in / pool features (one average pool)
            x = F.avg_pool2d(x.reshape(x.shape[0], self.pool, -1, 1).permute(0, 2, 1, 3), (self.pool, 1)).flatten(1)
        return F.relu(self.predictor(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = _gate(self.saliency(x), self.k, self.threshold, self.training)
        return F.relu(self.linear(x)) * g


class ExitHead(nn.Module):
    """An early classifier: average pool to grid x grid cells -> linear (logits); grid 1 is a
    global average pool, a larger grid keeps where things are (the input's H and W must be
    multiples of it). hidden > 0 puts a linear -> ReLU of that width before the classifier
    (an early head with more capacity answers more inputs confidently)."""

    def __init__(self, in_channels: int, classes: int, grid: int = 1, hidden: int = 0):
        super().__init__()
        self.grid = int(grid)
        if hidden < 0:
            raise ModelError(f"exit head hidden width {hidden} is negative", hint="0 (none) or e.g. 64")
        features = in_channels * self.grid ** 2
        self.hidden = nn.Sequential(nn.Linear(features, hidden), nn.ReLU()) if hidden else nn.Identity()
        self.fc = nn.Linear(hidden or features, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.grid == 1:
            return self.fc(self.hidden(x.mean(dim=(2, 3))))
        cell = x.shape[2] // self.grid
        return self.fc(self.hidden(torch.flatten(F.avg_pool2d(x, cell), 1)))


class EarlyExit(nn.Module):
    """Training: the heads' logits as a list. Eval: the answering head's softmax."""

    def __init__(self, thresholds):
        super().__init__()
        self.thresholds = [check_threshold(t, "exit threshold") for t in thresholds]

    def forward(self, logits: list[torch.Tensor]):
        if len(logits) != len(self.thresholds) + 1:
            raise ModelError(f"EarlyExit has {len(self.thresholds)} thresholds for {len(logits)} heads",
                             hint="give one threshold per early head (the last head answers otherwise)")
        if self.training:
            return list(logits)
        return torch.ops.tinygen.exit_select([F.softmax(z, dim=1) for z in logits], self.thresholds)


def multi_exit_loss(logits: list[torch.Tensor], y: torch.Tensor, temperature: float = 4.0,
                    distill_weight: float = 1.0) -> torch.Tensor:
    """Cross entropy of every head, plus the last head's detached logits teaching the others."""
    teacher = logits[-1].detach()
    loss = sum(F.cross_entropy(z, y) for z in logits)
    return loss + distill_weight * sum(distill_loss(z, teacher, temperature) for z in logits[:-1])


def train_multi_exit(model: nn.Module, data, optimizer: torch.optim.Optimizer, epochs: int, *,
                     temperature: float = 4.0, distill_weight: float = 1.0,
                     loss_fn: Callable | None = None) -> list[float]:
    """Train a multi-exit model (its train-mode forward returns every head's logits) with
    self-distillation from the last exit; returns each epoch's mean loss. Ends in eval mode."""
    if not temperature > 0:
        raise ModelError(f"temperature {temperature} must be positive", hint="e.g. 4.0")
    history = []
    model.train()
    for _ in range(epochs):
        total, batches = 0.0, 0
        for x, y in (data() if callable(data) else data):
            optimizer.zero_grad()
            logits = model(x)
            if not isinstance(logits, (list, tuple)):
                raise ModelError("train_multi_exit needs a model whose training forward returns every "
                                 "head's logits", hint="end the model with EarlyExit(thresholds)(logits)")
            loss = (loss_fn or multi_exit_loss)(list(logits), y, temperature, distill_weight)
            loss.backward()
            optimizer.step()
            total, batches = total + float(loss.detach()), batches + 1
        history.append(total / max(batches, 1))
    model.eval()
    return history
