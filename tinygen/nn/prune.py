"""Unstructured magnitude pruning with masked fine-tuning (Deep Compression's first step,
issue 73).

    from tinygen.nn import prune_weights, share_weights
    prune_weights(model, sparsity=0.7)      # every int8 QConv2d / QLinear: 70% of its weights zero
    train(model, ...)                       # fine-tunes the weights left; the pruned stay zero
    share_weights(model, bits=4)            # zero is a fixed centroid, the rest share 2**bits - 1

Each layer loses the `sparsity` fraction of its weights smallest in magnitude (per layer, ties
broken by position, so the mask is deterministic). The weight becomes a function of the kept
float weights and a fixed mask (torch.nn.utils.parametrize): weight = original * mask, so the
pruned weights are exactly 0.0 in training and in eval, their gradient is 0 and the optimizer
never revives them. The int8 weight quantizer rounds 0.0 to the integer code 0 on every scale,
so the exported weights are exactly 0 where pruned; `compact` drops whole zero filters and
`--weights huffman` codes the zeros.

share_weights on a pruned layer (tinygen/nn/shared.py) takes the mask off (the weights stay
as they are), maps every pruned weight to a centroid fixed at 0 and clusters only the kept
weights into the other 2**bits - 1 centroids, as Han et al. do.

To load a saved pruned model, build the network, call prune_weights with the same arguments
(the mask comes from the state dict), then load_state_dict.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize

from tinygen.errors import ModelError
from tinygen.nn.layers import QConv2d, QLinear


class PrunedWeight(nn.Module):
    """The parametrization: weight = original * mask; the mask (bool, the weight's shape) is a
    buffer saved with the model, True where the weight is kept."""

    def __init__(self, mask: torch.Tensor):
        super().__init__()
        self.register_buffer("mask", mask.to(torch.bool))

    def forward(self, original: torch.Tensor) -> torch.Tensor:
        return original * self.mask.to(original.dtype)


def magnitude_mask(weight: torch.Tensor, sparsity: float) -> torch.Tensor:
    """True for the weights kept: all but the round(sparsity * n) smallest in magnitude (ties:
    the earlier position is pruned first)."""
    flat = weight.detach().abs().reshape(-1).cpu()
    n_pruned = int(round(sparsity * flat.numel()))
    order = torch.sort(flat, stable=True).indices
    keep = torch.ones(flat.numel(), dtype=torch.bool)
    keep[order[:n_pruned]] = False
    return keep.reshape(weight.shape).to(weight.device)


def prune_weights(model: nn.Module, sparsity: float, layers: list[str] | None = None) -> list[str]:
    """Prune the int8 QConv2d / QLinear layers of `model` (or only those named in `layers`, by
    module path) to `sparsity` (the fraction of each layer's weights set to zero, 0 <= s < 1)
    by magnitude, and keep them zero through fine-tuning. Returns the layers changed."""
    if not 0.0 <= float(sparsity) < 1.0:
        raise ModelError(f"prune_weights(sparsity={sparsity}): a fraction from 0 to below 1",
                         hint="e.g. sparsity=0.7 (70% of each layer's weights zero)")
    named = dict(model.named_modules())
    targets = list(named) if layers is None else layers
    missing = [n for n in targets if n not in named]
    if missing:
        raise ModelError(f"prune_weights: no layer named {missing[0]!r}",
                         hint="name QConv2d / QLinear module paths, e.g. '0'")
    changed = []
    for name in targets:
        layer = named[name]
        if not isinstance(layer, (QConv2d, QLinear)) or layer.weight_quant.kind != "int8":
            if layers is not None:
                what = type(layer).__name__ if not isinstance(layer, (QConv2d, QLinear)) \
                    else f"{layer.weight_quant.kind}-weight layer"
                raise ModelError(f"prune_weights: {name} is a {what}",
                                 hint="only tinygen.nn QConv2d / QLinear layers with int8 weights are pruned")
            continue
        if parametrize.is_parametrized(layer, "weight"):
            raise ModelError(f"prune_weights: {name} is pruned or shares its weights already",
                             hint="prune once, before share_weights")
        mask = magnitude_mask(layer.weight, float(sparsity))
        parametrize.register_parametrization(layer, "weight", PrunedWeight(mask))
        layer._refreeze()
        changed.append(name)
    return changed


def pruned_mask(layer: nn.Module) -> torch.Tensor | None:
    """The layer's prune mask (True: kept), or None where prune_weights has not pruned it."""
    if not parametrize.is_parametrized(layer, "weight"):
        return None
    found = [p for p in layer.parametrizations.weight if isinstance(p, PrunedWeight)]
    return found[0].mask if found else None


def sparsity_of(model: nn.Module) -> float:
    """The fraction of zero weights over the model's QConv2d / QLinear layers."""
    zero = total = 0
    for m in model.modules():
        if isinstance(m, (QConv2d, QLinear)):
            w = m.weight.detach()
            zero += int((w == 0).sum())
            total += w.numel()
    return zero / max(total, 1)


__all__ = ["PrunedWeight", "magnitude_mask", "prune_weights", "pruned_mask", "sparsity_of"]
