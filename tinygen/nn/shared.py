"""Weight sharing with trained centroids (Deep Compression's "trained quantization", issue 73).

    from tinygen.nn import share_weights
    share_weights(model, bits=4)            # every int8 QConv2d / QLinear: 16 centroids per output channel
    train(model, ...)                       # fine-tunes the centroids (and the rest of the network)

Each layer's float weights are clustered per output channel into 2**bits centroids (k-means
on the weights, initialised at evenly spaced quantiles, float64, deterministic) and the
weight becomes a function of two things (torch.nn.utils.parametrize): the trainable
centroids [O, 2**bits] and the fixed assignment of every weight to one of its channel's
centroids (the buffer `assign`). A centroid's gradient is the sum of the gradients of the
weights that share it, as in Han et al. The layer's int8 weight quantizer then puts the
shared weights on its per-channel grid, W = round(w / s_w): each channel has at most
2**bits distinct integer codes, and those codes are the table the build stores
(`config["shared"]`, read by tinygen/frontend/torch_layers.py; passes/quantize_lowbit.py
sets the weight tensor's Codebook, source "nn"), so the device computes with exactly the
centroids trained here.

Only int8 weights are shared (the other quantizers already fix the values a weight can
take), one table per output channel (a table per tensor would need one scale for the
whole tensor; the int8 quantizer's scales are per channel).

A layer pruned by tinygen.nn.prune_weights (Deep Compression's order: prune, then share)
keeps its pruned weights exactly zero: centroid 0 of every channel is fixed at 0.0 (not
trained: its gradient is 0), every pruned weight is assigned to it, and only the kept weights
are clustered into the other 2**bits - 1 centroids. The mask is taken off (the zeros live in
the assignment), so the saved model holds no mask.

share_weights(model, bits, entropy=LAMBDA) clusters for the entropy coder (`--weights huffman`):
k-means first, then the entropy-constrained assignment of tinygen/nn/ecsq.py (each weight on the
centroid that minimises its distortion plus LAMBDA times its index's code length), so a few
centroids (the zero of a pruned layer above all) take most weights and the coded indices are
short; a kept weight of a pruned layer may join the zero. The assignment is then fixed, as
k-means' is, and fine-tuning trains the centroids. The saved model is the same structure (the
assignment is a buffer), so it loads with a plain share_weights(model, bits).
"""

from __future__ import annotations

import json

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

from tinygen.errors import ModelError
from tinygen.nn.ecsq import ecsq_1d
from tinygen.nn.layers import QConv2d, QLinear
from tinygen.nn.prune import pruned_mask

BITS = range(2, 7)
ITERATIONS = 30


def kmeans_1d(values: np.ndarray, k: int, iterations: int = ITERATIONS) -> tuple[np.ndarray, np.ndarray]:
    """(centroids [k], assignment) of 1-D values: Lloyd's k-means from evenly spaced quantiles.
    Deterministic (float64, ties to the lower centroid); an empty cluster keeps its centroid."""
    v = np.asarray(values, np.float64).ravel()
    c = np.quantile(v, (np.arange(k) + 0.5) / k) if v.size else np.zeros(k)
    for _ in range(iterations):
        assign = _nearest(v, c)
        sums = np.bincount(assign, weights=v, minlength=k)
        counts = np.bincount(assign, minlength=k)
        new = np.where(counts > 0, sums / np.maximum(counts, 1), c)
        if np.array_equal(new, c):
            break
        c = new
    return c, _nearest(v, c)


def _nearest(v: np.ndarray, c: np.ndarray) -> np.ndarray:
    order = np.argsort(c, kind="stable")
    s = c[order]
    mid = (s[1:] + s[:-1]) / 2
    return order[np.searchsorted(mid, v, side="left")]


class SharedWeight(nn.Module):
    """The parametrization: weight[o, ...] = centroids[o, assign[o, ...]]. The assignment is a
    uint8 buffer in the weight's shape; the float weight it replaces is not kept (the
    parametrization's `original` is an empty tensor), so a saved model holds the centroids
    and one byte per weight. zero=True (a pruned layer): centroid 0 of every channel is
    multiplied by 0 (the buffer `keep`, not saved), so it is 0.0 and gets no gradient."""

    def __init__(self, centroids: torch.Tensor, assign: torch.Tensor, zero: bool = False):
        super().__init__()
        self.centroids = nn.Parameter(centroids)
        self.register_buffer("assign", assign.to(torch.uint8))
        self.zero = zero
        keep = torch.ones(1, centroids.shape[1], device=centroids.device)
        keep[0, 0] = 0.0 if zero else 1.0
        self.register_buffer("keep", keep, persistent=False)

    def forward(self, original: torch.Tensor) -> torch.Tensor:
        flat = self.assign.reshape(self.assign.shape[0], -1).long()
        table = self.centroids * self.keep if self.zero else self.centroids
        return torch.gather(table, 1, flat).reshape(self.assign.shape)


def share_weights(model: nn.Module, bits: int = 4, layers: list[str] | None = None,
                  entropy: float | None = None) -> list[str]:
    """Make the int8 QConv2d / QLinear layers of `model` (or only those named in `layers`, by
    module path) share 2**bits trainable centroids per output channel, clustered from their
    current weights. Returns the layers changed. Unnamed layers whose channels hold so few
    weights that the table would not be smaller than them (k (1 - bits / 8) <= 2**bits, e.g. a
    3x3 conv on one input channel) are left int8. Call it on the trained (or pre-trained) int8
    model, then fine-tune; to load a saved shared model, build the network, call
    share_weights with the same arguments, then load_state_dict. A layer pruned by
    prune_weights keeps its zeros (centroid 0 fixed at 0.0; the module docstring); to load a
    saved pruned and shared model, call prune_weights first as it was called. entropy=LAMBDA
    (>= 0): the entropy-constrained assignment (the module docstring), for --weights huffman."""
    if bits not in BITS:
        raise ModelError(f"share_weights(bits={bits}): 2 to 6 bits", hint="e.g. bits=4 (16 centroids per channel)")
    if entropy is not None and not (isinstance(entropy, (int, float)) and not isinstance(entropy, bool)
                                    and np.isfinite(entropy) and entropy >= 0):
        raise ModelError(f"share_weights(entropy={entropy}): a weight of code length >= 0",
                         hint="e.g. entropy=0.1 (bits of index cost against the weights' distortion)")
    named = dict(model.named_modules())
    targets = list(named) if layers is None else layers
    missing = [n for n in targets if n not in named]
    if missing:
        raise ModelError(f"share_weights: no layer named {missing[0]!r}",
                         hint=f"name QConv2d / QLinear module paths, e.g. {next(iter(_layers(named)), '0')!r}")
    changed = []
    for name in targets:
        layer = named[name]
        if not isinstance(layer, (QConv2d, QLinear)):
            if layers is not None:
                raise ModelError(f"share_weights: {name} is a {type(layer).__name__}",
                                 hint="only tinygen.nn QConv2d / QLinear layers share weights")
            continue
        if layer.weight_quant.kind != "int8":
            if layers is not None:
                raise ModelError(f"share_weights: {name} has {layer.weight_quant.kind} weights",
                                 hint="only int8 weights are shared; the other quantizers fix the values already")
            continue
        per_channel = layer.weight[0].numel()
        if layers is None and per_channel * bits // 8 + (1 << bits) >= per_channel:
            continue                    # the table alone is as large as the channel's int8 weights
        if parametrize.is_parametrized(layer, "weight") and pruned_mask(layer) is None:
            raise ModelError(f"share_weights: {name} shares its weights already", hint="call it once per layer")
        _share(layer, bits, entropy)
        changed.append(name)
    return changed


def _layers(named: dict) -> list[str]:
    return [n for n, m in named.items() if isinstance(m, (QConv2d, QLinear))]


@torch.no_grad()
def _share(layer: nn.Module, bits: int, entropy: float | None = None) -> None:
    mask = pruned_mask(layer)
    w = layer.weight.detach().double().cpu().numpy()        # pruned: 0.0 where the mask is False
    k = 1 << bits
    rows = w.reshape(w.shape[0], -1)
    centroids = np.zeros((rows.shape[0], k))
    assign = np.zeros(rows.shape, np.int64)
    if mask is None:
        for o, row in enumerate(rows):
            centroids[o], assign[o] = kmeans_1d(row, k)
            if entropy is not None:
                centroids[o], assign[o] = ecsq_1d(row, centroids[o], entropy)
    else:                               # centroid 0 is the pruned weights' 0.0; the kept share the rest
        kept = mask.cpu().numpy().reshape(rows.shape)
        for o, row in enumerate(rows):
            c, a = kmeans_1d(row[kept[o]], k - 1)
            centroids[o, 1:] = c
            assign[o, kept[o]] = a + 1
            if entropy is not None:     # the kept may join the zero; the pruned stay on it
                centroids[o], assign[o, kept[o]] = ecsq_1d(row[kept[o]], centroids[o], entropy,
                                                           fixed_zero=int((~kept[o]).sum()))
    dev = layer.weight.device
    shared = SharedWeight(torch.from_numpy(centroids).float().to(dev),
                          torch.from_numpy(assign.reshape(w.shape)).to(dev), zero=mask is not None)
    if mask is None:
        parametrize.register_parametrization(layer, "weight", shared, unsafe=True)
    else:       # the mask goes (the zeros live in the assignment); replaced in place, as removing
        layer.parametrizations.weight[0] = shared   # the parametrization would edit a class copies share
        layer.parametrizations.weight.unsafe = True
    layer.parametrizations.weight.original = nn.Parameter(torch.empty(0, device=dev), requires_grad=False)
    cfg = json.loads(layer.config)
    cfg["shared"] = {"bits": bits, "axis": "channel"}
    layer.config = json.dumps(cfg, sort_keys=True)
    layer._refreeze()


def shared_bits(layer: nn.Module) -> int | None:
    """The layer's shared-weight bits (None: not shared)."""
    return json.loads(getattr(layer, "config", "{}")).get("shared", {}).get("bits")


__all__ = ["SharedWeight", "kmeans_1d", "share_weights", "shared_bits"]
