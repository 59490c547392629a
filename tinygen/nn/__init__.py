"""Training modules for binary, power-of-two and sub-byte layers (issue 6) and for
switchable-precision networks (issue 7).

Drop-in replacements for nn.Conv2d / nn.Linear whose eval mode computes exactly what
the compiled C computes (firmware/kernels/lowbit/LOWBIT.md):

    from tinygen.nn import ActQuant, QConv2d, QLinear, WeightQuant

    QConv2d(32, 64, 3, padding=1, bias=False,
            weight=WeightQuant("binary", alpha="channel"),   # int8 | uniform | dorefa | binary | pow2 | ternary
            act=ActQuant("binary"), pad_value=-1)             # int8 | uniform (clip=...) | binary
    QLinear(128, 10, weight=WeightQuant("int8"), act=ActQuant("binary"))

`act` quantizes the layer's INPUT (Larq's input_quantizer convention). XNOR-Net's order
conv -> batch norm -> sign is QConv2d -> BatchNorm2d -> the next QConv2d with
act=ActQuant("binary"). Each layer has its own weight / act config (first and last
layers usually int8). int8 input ranges are an EMA of the observed min / max in
training mode, frozen in eval mode. Gradients are straight-through estimators
(tinygen/nn/quantizers.py); the training-mode forward value equals the eval-mode one
up to float rounding (float32 convolution of the real quantized values).

Eval mode (and torch.export) runs one custom op per layer:

    torch.ops.tinygen.qconv2d(x, w_int, w_scale, bias, act_qparams, config: str) -> Tensor
    torch.ops.tinygen.qlinear(x, w_int, w_scale, bias, act_qparams, config: str) -> Tensor

* x: the float input before the layer's input quantizer (NCHW / [N, I]).
* w_int: the integer weights W (a float32 tensor holding integers), OIHW / [O, I], as
  `tinygen.quant.lowbit.quantize_weights` gives them.
* w_scale: float32 [O], the per-output-channel scales s_w (never 0); real weight = s_w[o] * W.
* bias: float32 [O] or None.
* act_qparams: float32 [scale, zero_point] of the input grid: int8 (TFLite's rule on the
  EMA range), uniform (clip / (2^k - 1), 0), binary [1, 0].
* config: JSON, keys sorted:
  {"weight": {"kind", "bits", "alpha", "alpha_bits", "zero"}, "act": {"kind", "bits"},
   "stride": [h, w], "padding": [h, w], "dilation": [h, w], "pad_value": P}
  (qlinear: "weight" and "act" only; "groups": C, a depthwise convolution with w_int
  [C * m, 1, kh, kw], only from imported models: tinygen/frontend/torch_brevitas.py). weight.bits is the quantizer's code width
  (int8 8, uniform / dorefa k, binary 1, pow2 b, ternary 2); kernel-wise binary alpha
  (alpha "kernel", alpha_bits k) has integer weights of k+1 bits. pad_value (binary
  inputs only): 0 = padded taps do not count, +1 / -1 = padded taps hold that value;
  int8 / uniform inputs pad with the zero point (P = 0).

The op computes: codes q = quantize(x) on the input grid (round half away from zero,
clamped), a = q - zp (int8 / uniform) or +-1 (binary), the exact accumulator
acc[o] = sum W * a (+ P * W over padded taps), and returns
float32((float64(s_in) * float64(s_w[o])) * acc + float64(b[o])).

Switchable precision (SP-Nets; tinygen/nn/switchable.py, tinygen/nn/train.py): one set of
shared float weights run at several precision "switches", each with its own quantizers,
input-quantizer state and batch norms:

    SW = {"w8a8": (WeightQuant("nested", bits=8), ActQuant("int8")),
          "w4a4": (WeightQuant("nested", bits=4), ActQuant("uniform", 4, clip=2.0, learn_clip=True)),
          "w1a1": (WeightQuant("nested", bits=1), ActQuant("binary")),
          "fp": FLOAT}                                  # float, training only (a teacher)
    SwitchableQConv2d(32, 64, 3, SW, padding=1, bias=False, pad_value=1)   # pad_value: binary switches
    SwitchableBatchNorm2d(64, SW)                       # one BatchNorm2d per switch
    PerSwitch({"w8a8": nn.ReLU(), "w4a4": nn.ReLU(), "w1a1": nn.Identity(), "fp": nn.ReLU()},
              train_only=["fp"])                        # any module per switch

The contract the compiler relies on:

* `switches(model) -> list[str]`: the deployable switch names in declaration order (declare
  them highest precision first); [] for a model without switchable modules;
  `switches(model, train_only=True)` lists the training-only (float) switches too. Every
  switchable module must declare the same names, else ModelError.
* `set_switch(model, name)` selects the switch in every switchable module (ModelError naming
  the choices for an unknown name). After it, `model.eval()` + torch.export gives exactly
  the graph of a plain model with that switch's quantizers: the same tinygen.qconv2d /
  qlinear ops with that switch's config and integer weights, and that switch's batch norms
  as ordinary aten batch_norm nodes; plain modules (an int8 QConv2d first layer) are shared.
* Nested weights `WeightQuant("nested", bits=k, top=8)`: the k-bit switch's integer weights
  are the top k bits of the 8-bit codes (tinygen/quant/lowbit.py, LOWBIT.md), so one copy
  of the 8-bit codes (bit planes) holds every switch's weights; the op config's "weight"
  carries {"kind": "nested", "bits": k, "top": 8, ...}.

`train_switchable(model, data, optimizer, epochs, distill=None | "logits" |
"logits+features", teacher=..., temperature=...)` trains every switch per step: forward,
loss and backward for each switch (gradients accumulate in the shared weights), then one
optimizer step; with self-distillation the teacher switch's detached outputs teach the
others.

Weight sharing (tinygen/nn/shared.py, Deep Compression's trained quantization):
`share_weights(model, bits=4)` clusters every int8 QConv2d / QLinear's weights into 2**bits
trainable centroids per output channel; fine-tuning trains the centroids, and the op config
gains {"shared": {"bits": b, "axis": "channel"}}: the build stores each layer's indices and
its per-channel tables of integer codes (the weight tensor's Codebook, source "nn").
`share_weights(model, bits, entropy=LAMBDA)` clusters for `--weights huffman` instead: the
entropy-constrained assignment (tinygen/nn/ecsq.py) weighs each index's code length against
the weight's error, so a few centroids take most weights and the coded indices are short.

Pruning (tinygen/nn/prune.py, Deep Compression's first step): `prune_weights(model, 0.7)`
zeros the 70% of each int8 QConv2d / QLinear's weights smallest in magnitude behind a fixed
mask, so fine-tuning keeps them zero; share_weights after it fixes centroid 0 at zero for
the pruned weights and clusters the kept ones into the other 2**bits - 1.
"""

from tinygen.nn.layers import QConv2d, QLinear
from tinygen.nn.quantizers import ActQuant, fake_quant_weight
from tinygen.nn.prune import prune_weights
from tinygen.nn.shared import share_weights
from tinygen.nn.switchable import (FLOAT, PerSwitch, SwitchableBatchNorm1d, SwitchableBatchNorm2d,
                                   SwitchableQConv2d, SwitchableQLinear, current_switch, set_switch, switches)
from tinygen.nn.train import train_switchable
from tinygen.quant.lowbit import WeightQuant

__all__ = ["FLOAT", "ActQuant", "PerSwitch", "QConv2d", "QLinear", "SwitchableBatchNorm1d", "SwitchableBatchNorm2d",
           "SwitchableQConv2d", "SwitchableQLinear", "WeightQuant", "current_switch", "fake_quant_weight",
           "prune_weights", "set_switch", "share_weights", "switches", "train_switchable"]
