"""Training a switchable-precision model: every switch per step, one optimizer step.

Per batch, for each switch (the teacher first): select it, forward, loss, backward; the
gradients of all switches accumulate in the shared weights (and each switch's private
batch norms and input quantizers get their own), then the optimizer steps once (SP-Nets,
slimmable networks). With self-distillation the teacher switch's detached outputs teach
the others: KL divergence between the temperature-softened logits (times T^2, Hinton et
al.) and optionally the mean squared error between the feature maps at the switchable
batch norms' outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from tinygen.errors import ModelError
from tinygen.nn.switchable import SwitchableBatchNorm2d, set_switch, switches

DISTILL_MODES = (None, "logits", "logits+features")


def default_teacher(model: nn.Module) -> str:
    """The first training-only (float) switch if there is one, else the first switch."""
    every, deployable = switches(model, train_only=True), switches(model)
    return next((n for n in every if n not in deployable), every[0])


@contextmanager
def _features(model: nn.Module, capture: bool):
    """Collects the outputs of the model's switchable batch norms (in call order)."""
    out: list[torch.Tensor] = []
    hooks = [m.register_forward_hook(lambda mod, args, y: out.append(y))
             for m in model.modules() if capture and isinstance(m, SwitchableBatchNorm2d)]
    try:
        yield out
    finally:
        for h in hooks:
            h.remove()


def distill_loss(student: torch.Tensor, teacher: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(softmax(teacher / T) || softmax(student / T)) * T^2, batch mean."""
    t = temperature
    return F.kl_div(F.log_softmax(student / t, dim=1), F.log_softmax(teacher / t, dim=1),
                    reduction="batchmean", log_target=True) * t * t


def switch_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, order: list[str],
                loss_fn: Callable = F.cross_entropy, distill: str | None = None,
                temperature: float = 4.0, distill_weight: float = 1.0,
                feature_weight: float = 1.0) -> dict[str, float]:
    """Forward and backward for every switch in `order` (order[0] teaches when distilling);
    gradients accumulate, no optimizer step. Returns each switch's loss."""
    losses: dict[str, float] = {}
    t_out, t_feats = None, []
    for i, name in enumerate(order):
        set_switch(model, name)
        with _features(model, distill == "logits+features") as feats:
            out = model(x)
        loss = loss_fn(out, y)
        if distill and i > 0:
            loss = loss + distill_weight * distill_loss(out, t_out, temperature)
            for f, tf in zip(feats, t_feats):
                loss = loss + feature_weight * F.mse_loss(f, tf)
        loss.backward()
        if distill and i == 0:
            t_out, t_feats = out.detach(), [f.detach() for f in feats]
        losses[name] = float(loss.detach())
    return losses


def train_switchable(model: nn.Module, data, optimizer: torch.optim.Optimizer, epochs: int, *,
                     loss_fn: Callable = F.cross_entropy, distill: str | None = None,
                     teacher: str | None = None, temperature: float = 4.0, distill_weight: float = 1.0,
                     feature_weight: float = 1.0, scheduler=None) -> list[dict[str, float]]:
    """Train every switch of `model` together; returns each epoch's mean loss per switch.

    data: an iterable of (x, y) batches re-iterated every epoch (a DataLoader, a list), or a
    callable returning a fresh one per epoch. Every switch (training-only ones included)
    is trained; with distill ("logits" or "logits+features") the `teacher` switch (default:
    the first training-only float switch, else the first switch) runs first and teaches the
    others. scheduler.step() runs after each epoch. Ends in eval mode on the first
    deployable switch.
    """
    if distill not in DISTILL_MODES:
        raise ModelError(f"distill={distill!r} is not one of {DISTILL_MODES}",
                         hint="None, 'logits' or 'logits+features'")
    names = switches(model, train_only=True)
    if not names:
        raise ModelError("train_switchable needs a model with switchable layers",
                         hint="use tinygen.nn's SwitchableQConv2d / SwitchableQLinear / SwitchableBatchNorm2d")
    teacher = teacher or default_teacher(model)
    if teacher not in names:
        raise ModelError(f"teacher switch {teacher!r} is not a switch of the model",
                         hint=f"choose one of {', '.join(names)}")
    if not temperature > 0:
        raise ModelError(f"temperature {temperature} must be positive", hint="e.g. 4.0")
    order = [teacher] + [n for n in names if n != teacher]
    history = []
    model.train()
    for _ in range(epochs):
        totals = dict.fromkeys(order, 0.0)
        batches = 0
        for x, y in (data() if callable(data) else data):
            optimizer.zero_grad()
            step = switch_step(model, x, y, order, loss_fn, distill, temperature, distill_weight,
                               feature_weight)
            optimizer.step()
            for n, v in step.items():
                totals[n] += v
            batches += 1
        if scheduler is not None:
            scheduler.step()
        history.append({n: v / max(batches, 1) for n, v in totals.items()})
    set_switch(model, switches(model)[0])
    model.eval()
    return history

