"""Training modules for binary, power-of-two and sub-byte layers (issue 6).

Drop-in replacements for nn.Conv2d / nn.Linear whose eval mode computes exactly what
the compiled C computes (firmware/kernels/LOWBIT.md):

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
  (qlinear: "weight" and "act" only). weight.bits is the quantizer's code width
  (int8 8, uniform / dorefa k, binary 1, pow2 b, ternary 2); kernel-wise binary alpha
  (alpha "kernel", alpha_bits k) has integer weights of k+1 bits. pad_value (binary
  inputs only): 0 = padded taps do not count, +1 / -1 = padded taps hold that value;
  int8 / uniform inputs pad with the zero point (P = 0).

The op computes: codes q = quantize(x) on the input grid (round half away from zero,
clamped), a = q - zp (int8 / uniform) or +-1 (binary), the exact accumulator
acc[o] = sum W * a (+ P * W over padded taps), and returns
float32((float64(s_in) * float64(s_w[o])) * acc + float64(b[o])).
"""

from tinygen.nn.layers import QConv2d, QLinear
from tinygen.nn.quantizers import ActQuant, fake_quant_weight
from tinygen.quant.lowbit import WeightQuant

__all__ = ["ActQuant", "QConv2d", "QLinear", "WeightQuant", "fake_quant_weight"]
