"""The custom ops `torch.ops.tinygen.qconv2d` / `qlinear`: a QConv2d / QLinear layer's
eval-mode computation as one node (the contract is in tinygen/nn's docstring).

The implementation follows firmware/kernels/lowbit/LOWBIT.md exactly: the input is quantized
to integer codes, the accumulator is computed exactly (float64 holds every integer sum
these layers produce), binary inputs are padded with the declared pad value P, and the
real output y = (s_in * s_w[o]) * acc + b[o] is formed in float64 and returned as float32.
"""

from __future__ import annotations

import json
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from tinygen.quant import lowbit


def layer_config(weight: lowbit.WeightQuant, act, **conv) -> str:
    """The op's config string: JSON with sorted keys (conv: stride, padding, dilation, pad_value)."""
    cfg = {"weight": weight.as_dict(), "act": {"kind": act.kind, "bits": act.bits}}
    cfg.update({k: list(v) if isinstance(v, tuple) else v for k, v in conv.items()})
    return json.dumps(cfg, sort_keys=True)


def _operand(x: torch.Tensor, act_qparams: torch.Tensor, act: dict) -> tuple[torch.Tensor, float]:
    """(accumulator operand a as float64, s_in) of the float input x."""
    scale, zp = float(act_qparams[0]), int(round(float(act_qparams[1])))
    q = lowbit.quantize_activations(x.detach().cpu().numpy(), act["kind"], act["bits"], scale, zp)
    a = lowbit.accumulator_operand(q, act["kind"], zp).astype(np.float64)
    return torch.from_numpy(a), scale


def _finish(acc: torch.Tensor, s_in: float, w_scale, bias, like: torch.Tensor, axis: int) -> torch.Tensor:
    b = None if bias is None else bias.detach().cpu().numpy()
    y = lowbit.real_output(acc.numpy(), s_in, w_scale.detach().cpu().numpy(), b, channel_axis=axis)
    return torch.from_numpy(y).to(like.device)


def conv_output_size(size: int, k: int, stride: int, pad: int, dilation: int) -> int:
    return (size + 2 * pad - dilation * (k - 1) - 1) // stride + 1


@torch.library.custom_op("tinygen::qconv2d", mutates_args=())
def qconv2d(x: torch.Tensor, w_int: torch.Tensor, w_scale: torch.Tensor, bias: Optional[torch.Tensor],
            act_qparams: torch.Tensor, config: str) -> torch.Tensor:
    cfg = json.loads(config)
    a, s_in = _operand(x, act_qparams, cfg["act"])
    (ph, pw), pad_value = cfg["padding"], cfg.get("pad_value", 0)
    if pad_value != 0:
        a, ph, pw = F.pad(a, (pw, pw, ph, ph), value=float(pad_value)), 0, 0
    acc = F.conv2d(a, w_int.detach().cpu().double(), None, tuple(cfg["stride"]), (ph, pw),
                   tuple(cfg["dilation"]), int(cfg.get("groups", 1)))
    return _finish(acc, s_in, w_scale, bias, x, axis=1)


@qconv2d.register_fake
def _qconv2d_fake(x, w_int, w_scale, bias, act_qparams, config):
    cfg = json.loads(config)
    size = [conv_output_size(x.shape[2 + i], w_int.shape[2 + i], cfg["stride"][i], cfg["padding"][i],
                             cfg["dilation"][i]) for i in range(2)]
    return x.new_empty((x.shape[0], w_int.shape[0], *size))


@torch.library.custom_op("tinygen::qlinear", mutates_args=())
def qlinear(x: torch.Tensor, w_int: torch.Tensor, w_scale: torch.Tensor, bias: Optional[torch.Tensor],
            act_qparams: torch.Tensor, config: str) -> torch.Tensor:
    cfg = json.loads(config)
    a, s_in = _operand(x, act_qparams, cfg["act"])
    acc = a @ w_int.detach().cpu().double().T
    return _finish(acc, s_in, w_scale, bias, x, axis=-1)


@qlinear.register_fake
def _qlinear_fake(x, w_int, w_scale, bias, act_qparams, config):
    return x.new_empty((*x.shape[:-1], w_int.shape[0]))
