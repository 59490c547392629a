"""Switchable precision (SP-Nets): one network, shared weights, several precision switches.

Each switchable module declares the same ordered switch names (highest precision first):

* `SwitchableQConv2d` / `SwitchableQLinear`: ONE float weight (and bias) shared by every
  switch; per switch a (WeightQuant, ActQuant) pair, with that switch's input-quantizer
  state (int8 EMA range, learnable clip) private. A switch given as None (`FLOAT`) is a
  float switch: no quantization at all, for training only (a self-distillation teacher).
* `SwitchableBatchNorm2d` / `1d`: one batch norm per switch (private running statistics
  and affine parameters). `PerSwitch` is the general form: any module per switch (e.g. a
  ReLU in most switches and an Identity in a binary-activation switch).

Plain tinygen.nn / torch modules (e.g. an int8 QConv2d first layer) run unchanged in every
switch. `switches(model)` lists the deployable switches, `set_switch(model, name)` selects
one everywhere; after it, `model.eval()` and torch.export give exactly the graph a plain
tinygen.nn model with that switch's quantizers gives (the same tinygen.qconv2d / qlinear
ops and configs, that switch's batch norms as ordinary aten batch_norm nodes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from tinygen.errors import ModelError
from tinygen.nn import ops
from tinygen.nn.layers import PAD_VALUES, QConv2d, QLinear, _QLayer
from tinygen.nn.quantizers import ActQuant, InputQuantizer
from tinygen.quant.lowbit import WeightQuant

FLOAT = None            # a switch's spec meaning "float, training only"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _check_names(names: Sequence[str], train_only: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names = tuple(names)
    if not names:
        raise ModelError("a switchable module needs at least one switch",
                         hint="e.g. switches={'w8a8': (WeightQuant('nested', bits=8), ActQuant('int8'))}")
    for n in names:
        if not isinstance(n, str) or not _NAME.match(n):
            raise ModelError(f"switch name {n!r} is not an identifier",
                             hint="use names like w8a8, w4a4, fp (letters, digits, _)")
    if len(set(names)) != len(names):
        raise ModelError(f"switch names {list(names)} repeat a name", hint="give each switch its own name")
    unknown = [n for n in train_only if n not in names]
    if unknown:
        raise ModelError(f"training-only switches {unknown} are not among the switches {list(names)}",
                         hint="name them in the switches too")
    if all(n in train_only for n in names):
        raise ModelError(f"every switch of {list(names)} is training-only",
                         hint="give at least one quantized switch")
    return names, tuple(n for n in names if n in train_only)


class _Switching:
    """The switch state every switchable module shares: the names and the current switch."""

    switch_names: tuple[str, ...]
    train_only: tuple[str, ...]

    def _init_switching(self, names: Sequence[str], train_only: Sequence[str]) -> None:
        self.switch_names, self.train_only = _check_names(names, train_only)
        self.switch = next(n for n in self.switch_names if n not in self.train_only)

    def select(self, name: str) -> None:
        """Make `name` the current switch of this module (set_switch does it for a model)."""
        if name not in self.switch_names:
            raise ModelError(f"unknown switch {name!r}", hint=f"choose one of {', '.join(self.switch_names)}")
        self.switch = name
        self._switched()

    def _switched(self) -> None:
        pass


def _layer_specs(switches) -> dict:
    if not isinstance(switches, Mapping):
        raise ModelError("switches= takes a dict {name: (WeightQuant, ActQuant) or None}",
                         hint="e.g. {'w8a8': (WeightQuant('nested', bits=8), ActQuant('int8')), 'fp': None}")
    specs = {}
    for name, spec in switches.items():
        if spec is not FLOAT and not (isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], WeightQuant)
                                      and isinstance(spec[1], ActQuant)):
            raise ModelError(f"switch {name!r}: {spec!r} is not a (WeightQuant, ActQuant) pair or None",
                             hint="e.g. (WeightQuant('nested', bits=4), ActQuant('uniform', 4, clip=2.0)); "
                                  "None is a float, training-only switch")
        specs[name] = spec
    return specs


class _SwitchableLayer(_Switching, _QLayer):
    """What SwitchableQConv2d and SwitchableQLinear add to QConv2d / QLinear: the quantizer
    pair, input-quantizer state and op config of the current switch (properties read by
    QConv2d / QLinear's own forward)."""

    def _setup_switches(self, switches, pad_value: int, conv: dict) -> None:
        specs = _layer_specs(switches)
        self._init_switching(list(specs), [n for n, s in specs.items() if s is FLOAT])
        self._specs = specs
        if pad_value not in PAD_VALUES:
            raise ModelError(f"pad_value={pad_value!r} is not one of {PAD_VALUES}",
                             hint="binary convolutions pad with 0 (padding ignored), +1 or -1")
        binary = [n for n, s in specs.items() if s is not FLOAT and s[1].kind == "binary"]
        if pad_value != 0 and not binary:
            raise ModelError(f"pad_value={pad_value} is for binary-input switches and this layer has none",
                             hint="leave pad_value=0")
        self._pad = pad_value
        self.input_quants = nn.ModuleDict({n: InputQuantizer(s[1]) for n, s in specs.items() if s is not FLOAT})
        self._configs = {n: ops.layer_config(s[0], s[1], **({**conv, "pad_value": self._pad_of(n)} if conv else {}))
                         for n, s in specs.items() if s is not FLOAT}
        self._setup_eval_constants()

    def _pad_of(self, name: str) -> int:
        spec = self._specs[name]
        return self._pad if spec is not FLOAT and spec[1].kind == "binary" else 0

    @property
    def is_float(self) -> bool:
        return self._specs[self.switch] is FLOAT

    @property
    def weight_quant(self) -> WeightQuant:
        return self._quant_spec()[0]

    @property
    def input_quant(self) -> InputQuantizer:
        self._quant_spec()
        return self.input_quants[self.switch]

    @property
    def config(self) -> str:
        self._quant_spec()
        return self._configs[self.switch]

    @property
    def pad_value(self) -> int:
        return self._pad_of(self.switch)

    def _quant_spec(self) -> tuple[WeightQuant, ActQuant]:
        spec = self._specs[self.switch]
        if spec is FLOAT:
            raise ModelError(f"switch {self.switch!r} is a float training switch: it has no quantizers",
                             hint="select a quantized switch with tinygen.nn.set_switch before export")
        return spec

    def switch_spec(self, name: str) -> tuple[WeightQuant, ActQuant] | None:
        """The (WeightQuant, ActQuant) pair of switch `name` (None: a float switch)."""
        return self._specs[name]

    def _refreeze(self) -> None:
        if not self.is_float:
            super()._refreeze()

    def _switched(self) -> None:
        self._refreeze()


class SwitchableQConv2d(_SwitchableLayer, QConv2d):
    """A QConv2d whose weight and input quantizers depend on the switch (groups = 1).

    switches: {name: (WeightQuant, ActQuant) or None (float, training only)}, highest
    precision first. pad_value: the padding of the binary-input switches (0, +1, -1);
    the other switches pad with their zero point.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, switches, stride=1, padding=0,
                 dilation=1, bias: bool = True, pad_value: int = 0):
        if isinstance(padding, str):
            raise ModelError(f"SwitchableQConv2d takes explicit padding, not {padding!r}",
                             hint="give padding=k // 2 for 'same' with odd kernels at stride 1")
        nn.Conv2d.__init__(self, in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                           dilation=dilation, bias=bias)
        self._setup_switches(switches, pad_value,
                             {"stride": self.stride, "padding": self.padding, "dilation": self.dilation})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.is_float:
            return self._conv_forward(x, self.weight, self.bias)
        return QConv2d.forward(self, x)


class SwitchableQLinear(_SwitchableLayer, QLinear):
    """A QLinear whose weight and input quantizers depend on the switch."""

    def __init__(self, in_features: int, out_features: int, switches, bias: bool = True):
        nn.Linear.__init__(self, in_features, out_features, bias=bias)
        self._setup_switches(switches, 0, {})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.is_float:
            return F.linear(x, self.weight, self.bias)
        return QLinear.forward(self, x)


def _names(switches, train_only: Sequence[str]) -> tuple[list[str], list[str]]:
    """(names, training-only names) from a layer's switches dict or a list of names."""
    if isinstance(switches, Mapping):
        return list(switches), [n for n, s in switches.items() if s is FLOAT] + list(train_only)
    if isinstance(switches, str) or not isinstance(switches, Sequence):
        raise ModelError(f"switches={switches!r}: expected a list of switch names or a layer's switches dict",
                         hint="e.g. ['w8a8', 'w4a4', 'fp'] with train_only=['fp']")
    return list(switches), list(train_only)


class PerSwitch(_Switching, nn.Module):
    """One module per switch; the current switch's module runs.

    modules: {name: module}; train_only: the training-only switches' names.
    """

    def __init__(self, modules: Mapping[str, nn.Module], train_only: Sequence[str] = ()):
        nn.Module.__init__(self)
        self._init_switching(list(modules), train_only)
        self.choices = nn.ModuleDict(dict(modules))

    def forward(self, *args):
        return self.choices[self.switch](*args)


class SwitchableBatchNorm2d(PerSwitch):
    """A private nn.BatchNorm2d per switch (running statistics and affine parameters).

    switches: a switchable layer's switches dict (its None switches are training-only) or a
    list of names (with train_only); kwargs go to every nn.BatchNorm2d.
    """

    norm = nn.BatchNorm2d

    def __init__(self, num_features: int, switches, train_only: Sequence[str] = (), **kwargs):
        names, only = _names(switches, train_only)
        super().__init__({n: self.norm(num_features, **kwargs) for n in names}, only)


class SwitchableBatchNorm1d(SwitchableBatchNorm2d):
    """A private nn.BatchNorm1d per switch."""

    norm = nn.BatchNorm1d


def _switchable(module: nn.Module) -> list[tuple[str, _Switching]]:
    return [(path or "<model>", m) for path, m in module.named_modules() if isinstance(m, _Switching)]


def switches(module: nn.Module, train_only: bool = False) -> list[str]:
    """The model's switch names in declaration order (highest precision first); [] when it
    has no switchable modules. Training-only switches (float ones) are left out unless
    train_only=True, which lists every switch. All switchable modules must declare the
    same names (else ModelError)."""
    found = _switchable(module)
    if not found:
        return []
    first_path, first = found[0]
    for path, m in found[1:]:
        if (m.switch_names, m.train_only) != (first.switch_names, first.train_only):
            raise ModelError(f"switchable modules disagree: {first_path} has switches {list(first.switch_names)} "
                             f"(training-only {list(first.train_only)}), {path} has {list(m.switch_names)} "
                             f"(training-only {list(m.train_only)})",
                             hint="give every switchable layer and batch norm the same switch names, in the "
                                  "same order")
    return [n for n in first.switch_names if train_only or n not in first.train_only]


def set_switch(module: nn.Module, name: str) -> nn.Module:
    """Select switch `name` in every switchable module of the model; returns the model."""
    names = switches(module, train_only=True)
    if not names:
        raise ModelError("the model has no switchable layers",
                         hint="build it with tinygen.nn's SwitchableQConv2d / SwitchableQLinear / "
                              "SwitchableBatchNorm2d")
    if name not in names:
        raise ModelError(f"unknown switch {name!r}", hint=f"choose one of {', '.join(names)}")
    for _, m in _switchable(module):
        m.select(name)
    return module


def current_switch(module: nn.Module) -> str | None:
    """The selected switch of the model (None for a model without switchable modules)."""
    found = _switchable(module)
    return found[0][1].switch if found else None
