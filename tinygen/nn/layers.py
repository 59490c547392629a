"""QConv2d and QLinear: nn.Conv2d / nn.Linear with a weight quantizer and an input quantizer."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tinygen.errors import ModelError
from tinygen.nn import ops
from tinygen.nn.quantizers import ActQuant, InputQuantizer, fake_quant_weight, quantized_weights
from tinygen.quant.lowbit import WeightQuant

PAD_VALUES = (0, 1, -1)


def _tracing() -> bool:
    return torch.compiler.is_compiling() or torch.compiler.is_exporting()


class _QLayer:
    """What QConv2d and QLinear share: the quantizers, the frozen eval constants
    (non-persistent buffers w_int, w_scale, act_qparams) and the train / eval switch.

    Eval constants are recomputed from the parameters at every eager eval forward, at
    eval() and after load_state_dict; torch.export uses the values frozen last."""

    def _setup_quant(self, weight: WeightQuant, act: ActQuant) -> None:
        if not isinstance(weight, WeightQuant) or not isinstance(act, ActQuant):
            raise ModelError("weight= takes a tinygen.nn.WeightQuant and act= a tinygen.nn.ActQuant",
                             hint="e.g. weight=WeightQuant('binary', alpha='channel'), act=ActQuant('binary')")
        self.weight_quant = weight
        self.input_quant = InputQuantizer(act)
        self._setup_eval_constants()

    def _setup_eval_constants(self) -> None:
        self.register_buffer("w_int", torch.zeros_like(self.weight), persistent=False)
        self.register_buffer("w_scale", torch.ones(self.weight.shape[0]), persistent=False)
        self.register_buffer("act_qparams", torch.tensor([1.0, 0.0]), persistent=False)
        self.register_load_state_dict_post_hook(lambda module, keys: module._refreeze())

    def train(self, mode: bool = True):
        super().train(mode)
        self._refreeze()
        return self

    def _refreeze(self) -> None:
        if not self.training and self.input_quant.ready:
            self.freeze()

    @torch.no_grad()
    def freeze(self) -> None:
        """Compute the eval constants from the current weights and input range."""
        W, s = quantized_weights(self.weight, self.weight_quant)
        scale, zp = self.input_quant.qparams()
        dev = self.weight.device
        self.w_int.copy_(torch.from_numpy(W.astype(np.float32)).to(dev))
        self.w_scale.copy_(torch.from_numpy(s).to(dev))
        self.act_qparams.copy_(torch.tensor([float(scale), float(zp)], device=dev))

    def _eval_args(self) -> tuple:
        if not _tracing():
            self.freeze()
        return self.w_int, self.w_scale, self.bias, self.act_qparams, self.config

    def _train_input(self, x: torch.Tensor) -> torch.Tensor:
        self.input_quant.observe(x)
        return self.input_quant.fake_quant(x)


class QConv2d(_QLayer, nn.Conv2d):
    """nn.Conv2d with quantized weights and a quantized input (groups = 1).

    pad_value: the value of the padding for binary inputs (0, +1 or -1; LOWBIT.md);
    int8 / uniform inputs pad with their zero point (real 0), so it must be 0.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, bias: bool = True, weight: WeightQuant = WeightQuant("int8"),
                 act: ActQuant = ActQuant("int8"), pad_value: int = 0):
        if isinstance(padding, str):
            raise ModelError(f"QConv2d takes explicit padding, not {padding!r}",
                             hint="give padding=k // 2 for 'same' with odd kernels at stride 1")
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                         dilation=dilation, bias=bias)
        if pad_value not in PAD_VALUES:
            raise ModelError(f"pad_value={pad_value!r} is not one of {PAD_VALUES}",
                             hint="binary convolutions pad with 0 (padding ignored), +1 or -1")
        if pad_value != 0 and act.kind != "binary":
            raise ModelError(f"pad_value={pad_value} needs binary inputs; {act.kind} inputs pad with "
                             "their zero point", hint="leave pad_value=0")
        self.pad_value = pad_value
        self._setup_quant(weight, act)
        self.config = ops.layer_config(weight, act, stride=self.stride, padding=self.padding,
                                       dilation=self.dilation, pad_value=pad_value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return torch.ops.tinygen.qconv2d(x, *self._eval_args())
        xq = self._train_input(x)
        padding = self.padding
        if self.pad_value != 0:
            (ph, pw), padding = self.padding, 0
            xq = F.pad(xq, (pw, pw, ph, ph), value=float(self.pad_value))
        w = fake_quant_weight(self.weight, self.weight_quant)
        return F.conv2d(xq, w, self.bias, self.stride, padding, self.dilation)


class QLinear(_QLayer, nn.Linear):
    """nn.Linear with quantized weights and a quantized input."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 weight: WeightQuant = WeightQuant("int8"), act: ActQuant = ActQuant("int8")):
        super().__init__(in_features, out_features, bias=bias)
        self._setup_quant(weight, act)
        self.config = ops.layer_config(weight, act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return torch.ops.tinygen.qlinear(x, *self._eval_args())
        return F.linear(self._train_input(x), fake_quant_weight(self.weight, self.weight_quant), self.bias)
