"""A sweep point's PyTorch model: the float model with per-layer weight quantizers
(tinygen.nn's QConv2d / QLinear), magnitude-pruned filters and an optional short QAT
fine-tuning, exported as tinygen's frontend would export its model file.

    net = point_model(spec_model, point.bits, point.prune, calib, train=(x, y), finetune={...})

Every conv (groups 1) and linear layer becomes a QConv2d / QLinear with the point's
weight quantizer (int8 by default) and an int8 input quantizer, so the plain-int8 point
is the model with every layer at WeightQuant("int8"). Pruning zeroes the output filters
with the smallest L1 norm, their bias and the gamma / beta of the batch norm reading them
(found with torch.fx), through torch.nn.utils.prune masks, so fine-tuning keeps them zero
and the compiler's compaction (passes/compact.py) removes them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune

from tinygen.errors import ModelError, UsageError
from tinygen.nn import ActQuant, QConv2d, QLinear, WeightQuant, switches

CALIB_BATCH = 64


def load_module(path: Path):
    """The model file imported (as tinygen's frontend imports it)."""
    from tinygen.frontend.torch_loader import _import_file

    return _import_file(Path(path))


def float_model(module) -> nn.Module:
    net = module.model()
    if not isinstance(net, nn.Module):
        raise ModelError(f"model() returned {type(net).__name__}, not a torch.nn.Module")
    return net.eval()


def mac_layers(net: nn.Module) -> dict[str, str]:
    """The layers a sweep can quantize and prune: name -> 'conv' / 'linear' / 'depthwise'."""
    out = {}
    for name, m in net.named_modules():
        if isinstance(m, nn.Conv2d):
            out[name] = "conv" if m.groups == 1 else "depthwise"
        elif isinstance(m, nn.Linear):
            out[name] = "linear"
    return out


def is_switchable(net: nn.Module) -> bool:
    return bool(switches(net))


def weight_quant(choice: str) -> WeightQuant:
    kind, _, bits = choice.partition(":")
    if kind == "binary":
        return WeightQuant("binary", alpha="channel")
    return WeightQuant(kind, bits=int(bits) if bits else None)


def _swap(net: nn.Module, name: str, choice: str) -> None:
    old = net.get_submodule(name)
    wq, act = weight_quant(choice), ActQuant("int8")
    if isinstance(old, nn.Conv2d):
        if old.groups != 1:
            if choice != "int8":
                raise UsageError(f"layer {name} is a depthwise conv: it stays int8",
                                 f"give {name} bits [8] or leave it out")
            return
        new = QConv2d(old.in_channels, old.out_channels, old.kernel_size, old.stride, old.padding, old.dilation,
                      bias=old.bias is not None, weight=wq, act=act)
    else:
        new = QLinear(old.in_features, old.out_features, bias=old.bias is not None, weight=wq, act=act)
    with torch.no_grad():
        new.weight.copy_(old.weight)
        if old.bias is not None:
            new.bias.copy_(old.bias)
    parent, _, attr = name.rpartition(".")
    setattr(net.get_submodule(parent) if parent else net, attr, new)


def batch_norms_after(net: nn.Module) -> dict[str, str]:
    """conv name -> the batch norm that reads only it (torch.fx), for pruning both."""
    import torch.fx

    try:
        traced = torch.fx.symbolic_trace(net)
    except Exception:
        return {}
    mods = dict(traced.named_modules())
    out = {}
    for node in traced.graph.nodes:
        if node.op == "call_module" and isinstance(mods.get(node.target), nn.BatchNorm2d):
            src = node.args[0]
            if getattr(src, "op", None) == "call_module" and len(src.users) == 1:
                out[src.target] = node.target
    return out


def _prune(net: nn.Module, name: str, ratio: float, bns: dict[str, str]) -> None:
    layer = net.get_submodule(name)
    n = layer.weight.shape[0]
    drop = int(n * ratio)
    if drop == 0:
        return
    norms = layer.weight.detach().abs().flatten(1).sum(1)
    keep = torch.ones(n)
    keep[norms.argsort()[:drop]] = 0
    prune.custom_from_mask(layer, "weight", keep.view(-1, *([1] * (layer.weight.dim() - 1))).expand_as(layer.weight))
    if layer.bias is not None:
        prune.custom_from_mask(layer, "bias", keep)
    if name in bns:
        bn = net.get_submodule(bns[name])
        prune.custom_from_mask(bn, "weight", keep)
        prune.custom_from_mask(bn, "bias", keep)
    elif layer.bias is None:
        pass                       # a zero filter without bias is already an exact zero output


def _quant_layers(net: nn.Module):
    return [m for m in net.modules() if isinstance(m, (QConv2d, QLinear))]


@torch.no_grad()
def calibrate_inputs(net: nn.Module, calib: np.ndarray) -> None:
    """The int8 input quantizers' ranges from calibration data (batch norms stay frozen)."""
    net.eval()
    for m in _quant_layers(net):
        m.train()
    for i in range(0, len(calib), CALIB_BATCH):
        net(torch.from_numpy(np.ascontiguousarray(calib[i:i + CALIB_BATCH], np.float32)))
    net.eval()


def finetune(net: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int, lr: float, batch: int = 64,
             seed: int = 0) -> None:
    """QAT fine-tuning: Adam, cross-entropy on the outputs, fixed seed (deterministic on one thread)."""
    torch.manual_seed(seed)
    xt, yt = torch.from_numpy(np.asarray(x, np.float32)), torch.from_numpy(np.asarray(y)).long()
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=lr)
    net.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(xt)).split(batch):
            loss = nn.functional.cross_entropy(net(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()


def point_model(module, bits: dict[str, str], ratios: dict[str, float], calib: np.ndarray,
                train: tuple[np.ndarray, np.ndarray] | None = None, tune: dict | None = None,
                seed: int = 0) -> nn.Module:
    """The float model of `module` with the point's quantizers and pruning, calibrated and
    (with `tune`) fine-tuned; pruning masks are still attached (the frontend removes them)."""
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    net = float_model(module)
    if is_switchable(net):               # its quantizers are its own: swept as it is
        return net
    bns = batch_norms_after(net)
    for name, kind in mac_layers(net).items():
        _swap(net, name, bits.get(name, "int8"))
    for name, ratio in ratios.items():
        if ratio:
            _prune(net, name, float(ratio), bns)
    calibrate_inputs(net, calib)
    if tune:
        if train is None:
            raise UsageError("finetune needs training data", "give train: in the spec")
        finetune(net, *train, epochs=int(tune["epochs"]), lr=float(tune.get("lr", 1e-3)),
                 batch=int(tune.get("batch", 64)), seed=seed)
    return net.eval()


def saved_point(model_file: str | Path, bits: dict[str, str], weights: str | Path) -> nn.Module:
    """A point's model as the sweep saved it: the float model's layers swapped for the
    point's quantizers, then its state (pruned zeros, fine-tuned weights, input ranges) loaded."""
    net = float_model(load_module(Path(model_file)))
    for name in [] if is_switchable(net) else mac_layers(net):
        _swap(net, name, bits.get(name, "int8"))
    net.load_state_dict(torch.load(weights, weights_only=True))
    return net.eval()
