"""Quantizers with straight-through-estimator gradients.

The forward values come from `tinygen.quant.lowbit` (numpy, the compiler's own
quantizers); torch only adds the gradient of a surrogate function:

    out = quantized(x) + (surrogate(x) - surrogate(x).detach())

(the bracket is exactly 0), so the forward value is exactly the quantized one and the backward pass is the
surrogate's derivative:

* binary (weights and activations): tanh, backward 1 - tanh^2(x);
* dorefa weights: DoReFa's tanh transform tanh(w) / max|tanh(w)|;
* int8, uniform, pow2, ternary, nested weights: identity (the grid spans every weight);
* int8 activations: identity clipped to the grid's real range;
* uniform k-bit activations: the ReLU clip min(relu(x), clip), which with a
  learnable clip (PACT) also gives the clip a gradient where x > clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from tinygen.errors import ModelError
from tinygen.quant import lowbit
from tinygen.quant.lowbit import WeightQuant
from tinygen.quant.spec import ACT_QMAX, ACT_QMIN


@dataclass(frozen=True)
class ActQuant:
    """A layer's input quantizer.

    kind: ``int8`` (range = EMA of the observed min / max in training, frozen in eval),
    ``uniform`` (k-bit ReLU clip, ``clip`` required; ``learn_clip`` makes it a PACT
    parameter) or ``binary`` (sign, x >= 0 gives +1).
    bits: 8, 4 / 2 or 1 (None: the kind's default, uniform 4).
    momentum: the EMA's weight of the old range (int8).
    """

    kind: str = "int8"
    bits: int | None = None
    clip: float | None = None
    learn_clip: bool = False
    momentum: float = 0.9

    def __post_init__(self):
        defaults = {"int8": 8, "uniform": 4, "binary": 1}
        if self.kind not in defaults:
            raise ModelError(f"unknown activation quantizer kind {self.kind!r}",
                             hint=f"use one of {', '.join(defaults)}")
        if self.bits is None:
            object.__setattr__(self, "bits", defaults[self.kind])
        allowed = lowbit.SUBBYTE_BITS if self.kind == "uniform" else (defaults[self.kind],)
        if self.bits not in allowed:
            raise ModelError(f"{self.kind} activations cannot have {self.bits} bits",
                             hint=f"use bits in {list(allowed)}")
        if self.kind == "uniform" and not (self.clip and self.clip > 0):
            raise ModelError("a uniform (ReLU-clip) activation quantizer needs a positive clip",
                             hint="give clip=..., e.g. 2.0 after batch norm; learn_clip=True trains it")
        if self.kind != "uniform" and (self.clip is not None or self.learn_clip):
            raise ModelError(f"clip / learn_clip are for uniform activations, not {self.kind}",
                             hint="leave them unset")
        if not 0.0 <= self.momentum < 1.0:
            raise ModelError(f"EMA momentum {self.momentum} must be in [0, 1)", hint="e.g. 0.9")


def _ste(value: np.ndarray, surrogate: torch.Tensor) -> torch.Tensor:
    """Forward `value`, backward d surrogate."""
    v = torch.from_numpy(np.asarray(value, np.float32)).to(surrogate.device)
    return v + (surrogate - surrogate.detach())


def quantized_weights(w: torch.Tensor, spec: WeightQuant) -> tuple[np.ndarray, np.ndarray]:
    """(W, s_w) of a weight tensor, from tinygen.quant.lowbit."""
    return lowbit.quantize_weights(w.detach().cpu().double().numpy(), spec)


def fake_quant_weight(w: torch.Tensor, spec: WeightQuant) -> torch.Tensor:
    """Real quantized weights s_w * W (float32) with the quantizer's STE gradient."""
    W, s = quantized_weights(w, spec)
    value = W * s.astype(np.float64).reshape((-1,) + (1,) * (W.ndim - 1))
    if spec.kind == "binary":
        surrogate = torch.tanh(w)
    elif spec.kind == "dorefa":
        t = torch.tanh(w)
        surrogate = t / t.abs().max().detach().clamp_min(1e-12)
    else:
        surrogate = w
    return _ste(value, surrogate)


class InputQuantizer(nn.Module):
    """State of a layer's input quantizer: the int8 EMA range or the uniform clip."""

    def __init__(self, spec: ActQuant):
        super().__init__()
        self.spec = spec
        if spec.kind == "int8":
            self.register_buffer("range_min", torch.zeros(()))
            self.register_buffer("range_max", torch.zeros(()))
            self.register_buffer("observed", torch.zeros((), dtype=torch.bool))
        elif spec.kind == "uniform":
            clip = torch.tensor(float(spec.clip))
            if spec.learn_clip:
                self.clip = nn.Parameter(clip)
            else:
                self.register_buffer("clip", clip)

    @property
    def ready(self) -> bool:
        return self.spec.kind != "int8" or bool(self.observed)

    def qparams(self) -> tuple[np.float32, int]:
        """(scale, zero point) of the grid now (int8: the frozen EMA range)."""
        if not self.ready:
            raise ModelError("an int8 input quantizer has no range yet: it was never run in training mode",
                             hint="train the model (or run a few batches through it in train mode) "
                                  "before evaluating or exporting it")
        s = self.spec
        if s.kind == "int8":
            return lowbit.act_qparams("int8", 8, float(self.range_min), float(self.range_max))
        if s.kind == "uniform":
            return lowbit.act_qparams("uniform", s.bits, clip=float(self.clip.detach()))
        return lowbit.act_qparams("binary", 1)

    def observe(self, x: torch.Tensor) -> None:
        """Training: move the int8 EMA range toward this batch's min / max."""
        if self.spec.kind != "int8":
            return
        lo, hi = x.detach().min(), x.detach().max()
        m = 0.0 if not bool(self.observed) else self.spec.momentum
        with torch.no_grad():
            self.range_min.copy_(m * self.range_min + (1 - m) * lo)
            self.range_max.copy_(m * self.range_max + (1 - m) * hi)
            self.observed.fill_(True)

    def fake_quant(self, x: torch.Tensor) -> torch.Tensor:
        """Real values of the quantized input, s (q - zp), with the STE gradient."""
        s = self.spec
        scale, zp = self.qparams()
        q = lowbit.quantize_activations(x.detach().cpu().numpy(), s.kind, s.bits, scale, zp)
        value = np.float64(scale) * lowbit.accumulator_operand(q, s.kind, zp)
        if s.kind == "binary":
            surrogate = torch.tanh(x)
        elif s.kind == "uniform":
            surrogate = torch.minimum(torch.relu(x), self.clip)
        else:
            lo, hi = float(scale) * (ACT_QMIN - zp), float(scale) * (ACT_QMAX - zp)
            surrogate = x.clamp(lo, hi)
        return _ste(value, surrogate)
