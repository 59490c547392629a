"""Quantize the layers trained with tinygen.nn (nodes with attrs["lowbit"]).

Their quantization is not calibrated: it was trained. Each layer states the grid of
its input (its input quantizer) and its integer weights W (the weight tensor's data
divided by its per-channel scales, exact). This module gives quantize.py the input
grids and turns each layer into its integer form, firmware/kernels/lowbit/LOWBIT.md:

    acc = sum W * a;   y = g * acc + h,   g = s_in * s_w (batch norm folded in), h = bias

- int8 / k-bit output: TFLite's requantization of acc + round(h / g) by g / s_out; a
  channel with g < 0 has its weights negated (g > 0 is what the multiplier needs). A layer
  whose bias is a toolchain's float (attrs["lowbit"]["fine_bias"]: Brevitas, QONNX) gets
  attrs["bias_shift"] = k where one accumulator unit g is coarse on the output grid: the
  kernel requantizes acc * 2^k + round(h / (g 2^-k)) by g 2^-k / s_out (`bias_shift`);
- binary output (the consumer's input quantizer is sign): bit = acc' < T per channel,
  with acc' the accumulator of the channel's weights negated where g < 0, and T the
  smallest integer at which y >= 0 (T = ceil(-h / |g|), in float64).

Nested weights (switchable precision, kind "nested", k bits) get the format of their width
(spec.NESTED_WEIGHT_FORMATS: 8 int8, 4 s4, 2 s2, 1 b1). A k >= 2 code can be -2^(k-1); a
channel with g < 0 whose weights hold it would need +2^(k-1) after the negation, which k
bits cannot hold: such a layer is stored int8 instead (exact, not nested).

The weights stay unpacked here (int8, or int16 for power-of-two weights up to 2^7);
`node.attrs["weight_format"]` names the storage they get in passes/lower_bits.py.
"""

from __future__ import annotations

import math

import numpy as np

from tinygen.errors import ModelError
from tinygen.ir import Graph, Node, QParams
from tinygen.quant.codebook import codebook_of
from tinygen.quant.fixedpoint import quantize_multiplier
from tinygen.quant.params import round_half_away
from tinygen.quant.spec import INT32_MAX, INT32_MIN, NESTED_WEIGHT_FORMATS, WEIGHT_FORMATS



def input_grid(node: Node) -> tuple[float, int, str, int]:
    """(scale, zero point, dtype, bits) of a tinygen.nn layer's input tensor."""
    lowbit = node.attrs["lowbit"]
    act = lowbit["act"]
    if act["kind"] == "binary":
        return 1.0, 0, "b1", 1
    bits = 8 if act["kind"] == "int8" else int(act["bits"])
    if act["kind"] not in ("int8", "uniform") or not 1 < bits <= 8:
        raise ModelError(f"layer {node.name} ({node.source}): unknown input quantizer {act}",
                         "use tinygen.nn's int8, uniform (4 or 2 bits) or binary activation quantizers")
    return float(lowbit["act_scale"]), int(lowbit["act_zero_point"]), "int8", bits


def integer_weights(node: Node, weight) -> np.ndarray:
    """W = data / s_w per output channel (int64) of a layer's weight tensor, checked to be
    integers."""
    scale = _per_channel(weight.qparams.scale.astype(np.float64), weight.data.ndim, weight.qparams.axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(scale != 0, weight.data.astype(np.float64) / scale, 0.0)
    w = np.rint(ratio)
    if np.max(np.abs(ratio - w), initial=0.0) > 1e-3:
        raise ModelError(f"layer {node.name} ({node.source}): its weights are not integers times "
                         f"their scales", "export the model with tinygen.nn's layers in eval mode")
    return w.astype(np.int64)


def _per_channel(v: np.ndarray, ndim: int, axis: int | None) -> np.ndarray:
    """Per-channel values shaped to broadcast along a weight tensor's channel axis."""
    shape = [1] * ndim
    shape[axis or 0] = -1
    return v.reshape(shape)


def weight_format(node: Node, w: np.ndarray) -> str:
    """The storage of a layer's integer weights, from its weight quantizer (LOWBIT.md). A
    depthwise layer (an imported model's) keeps its weights int8, whatever their width: the
    low-bit kernels are full convolutions."""
    cfg = node.attrs["lowbit"]["weight"]
    kind, bits = cfg["kind"], int(cfg.get("bits") or 8)
    peak = int(np.max(np.abs(w), initial=0))
    if node.op == "depthwise_conv2d" and peak <= 127:
        return "int8"
    if kind == "binary" and cfg.get("alpha") != "kernel":
        return "b1"
    if kind == "nested" and bits in NESTED_WEIGHT_FORMATS and (
            bits == 1 or int(np.max(w, initial=0)) < 2 ** (bits - 1)):   # not after a negation
        return NESTED_WEIGHT_FORMATS[bits]
    if kind == "pow2" and bits == 4:
        return "p4"
    if kind in ("uniform", "dorefa") and bits in (4, 2):
        return "s4" if bits == 4 else "s2"
    if kind == "binary" and peak <= 7:          # kernel-wise alpha: n * sign, |n| < 8
        return "s4"
    if peak <= 127:
        return "int8"
    raise ModelError(f"layer {node.name} ({node.source}): {kind} weights of up to {peak} "
                     f"do not fit any kernel", "use 4-bit power-of-two codes or at most 8-bit weights")


def thresholds(g: np.ndarray, h: np.ndarray, activation) -> np.ndarray:
    """Per channel the int32 T with (y >= 0) == (acc' >= T), y = |g| acc' + h clamped to
    `activation` (real units, or None); g == 0 or a clamp deciding the sign alone gives a
    constant: INT32_MIN (always +1) or INT32_MAX (always -1)."""
    lo, hi = activation if activation is not None else (-math.inf, math.inf)
    out = np.empty(g.shape, np.int64)
    for c, (gc, hc) in enumerate(zip(np.abs(g), h)):
        if lo >= 0:                 # the clamp alone decides: always +1, or always -1
            out[c] = INT32_MIN
        elif hi < 0:
            out[c] = INT32_MAX
        elif gc == 0:               # lo < 0 <= hi: the clamped constant h has h's sign
            out[c] = INT32_MIN if hc >= 0 else INT32_MAX
        else:
            out[c] = min(max(math.ceil(-hc / gc), INT32_MIN), INT32_MAX)
    return out.astype(np.int32)


# a float bias is rounded to at most half this fraction of an output step (bias_shift): at
# 1/16 a hidden 4-bit code still flipped where a value lay that close to a rounding boundary;
# at this step the Brevitas MLPs' outputs equal Brevitas' (docs/lowbit.md)
FINE_BIAS_STEP = 1 / 4096
# formats whose kernels take bias_shift (with a packed binary input for b1)
FINE_BIAS_FORMATS = ("s4", "s2", "b1")


def bias_shift(node: Node, w: np.ndarray, axis: int, r: np.ndarray, h_units: np.ndarray, amax: int) -> int:
    """The smallest k with max(r) 2^-k <= FINE_BIAS_STEP (r: an accumulator unit in output steps
    per channel), lowered until acc * 2^k + round(h_units 2^k) fits int32 for every |acc| the
    layer can reach (sum |W| x the largest |input operand| `amax`); 0 where none is needed."""
    if not node.attrs["lowbit"].get("fine_bias") or len(node.params) != 1:
        return 0
    k = max(0, math.ceil(math.log2(float(np.max(r)) / FINE_BIAS_STEP)))
    k = min(k, 31 + min(math.frexp(float(x))[1] for x in r))     # every shift - k stays >= -31
    reach = np.sum(np.abs(w), axis=tuple(a for a in range(w.ndim) if a != axis)) * amax
    while k > 0 and np.max(reach * 2.0 ** k + np.abs(h_units) * 2.0 ** k + 1) >= INT32_MAX:
        k -= 1
    return max(0, min(k, 30))


def quantize_lowbit_node(graph: Graph, node: Node) -> None:
    """Integer weights, then requantization parameters or thresholds, for each parameter set."""
    s_in = np.float64(graph.tensor(node.inputs[0]).qparams.scale[0])
    out = graph.tensor(node.outputs[0])
    for k, pset in enumerate(node.params):
        suffix = f"_s{k}" if len(node.params) > 1 else ""
        weight = graph.tensor(pset["weight"])
        w = integer_weights(node, weight)
        g = s_in * weight.qparams.scale.astype(np.float64)
        h = graph.tensor(pset["bias"]).data.astype(np.float64) if "bias" in pset else np.zeros(g.shape)
        w *= _per_channel(np.where(g < 0, -1, np.where(g == 0, 0, 1)), w.ndim, weight.qparams.axis)
        node.attrs["weight_format"] = fmt = weight_format(node, w)
        qw = graph.add_const(graph.unique_name(f"{node.name}_w{suffix}"), w.astype(np.int8 if
                             np.max(np.abs(w), initial=0) <= 127 else np.int16))
        qw.bits = WEIGHT_FORMATS[fmt]
        qw.qparams = QParams(np.abs(weight.qparams.scale), np.zeros(g.shape, np.int64), axis=weight.qparams.axis or 0)
        shared = node.attrs["lowbit"].get("shared")
        if shared:                      # tinygen.nn.share_weights: each channel's codes are its table
            qw.codebook = codebook_of(qw.data, int(shared["bits"]), qw.qparams.axis, "nn",
                                      f"layer {node.name} ({node.source})")
        new = {"weight": qw.name}
        if out.dtype == "b1" and node.op == "depthwise_conv2d":
            raise ModelError(f"layer {node.name} ({node.source}): a depthwise convolution with a binary output "
                             f"has no kernel", "quantize its output to 8 bits (or 4 / 2), and binarize after "
                             "a full convolution")
        if out.dtype == "b1":
            t = thresholds(g, h, node.attrs.get("activation"))
            new["threshold"] = graph.add_const(graph.unique_name(f"{node.name}_threshold{suffix}"), t,
                                               "int32").name
        else:
            s_out = np.float64(out.qparams.scale[0])
            g_eff = np.where(g == 0, s_out, np.abs(g))          # W = 0: the output is h alone
            _, zp, in_dtype, in_bits = input_grid(node)
            shift = 0
            if fmt in FINE_BIAS_FORMATS and (fmt != "b1" or in_dtype == "b1"):
                amax = 1 if in_dtype == "b1" else (1 << in_bits) - 1 if in_bits < 8 else 128 + abs(zp)
                shift = bias_shift(node, w, weight.qparams.axis or 0, g_eff / s_out, h / g_eff, amax)
            if shift:
                node.attrs["bias_shift"] = shift
            g_eff = g_eff / 2.0 ** shift                          # the unit of acc * 2^shift
            bias = np.clip(round_half_away(h / g_eff), INT32_MIN, INT32_MAX).astype(np.int32)
            pairs = [quantize_multiplier(float(r)) for r in g_eff / s_out]
            new["bias"] = graph.add_const(graph.unique_name(f"{node.name}_b{suffix}"), bias, "int32").name
            new["multiplier"] = graph.add_const(graph.unique_name(f"{node.name}_mult{suffix}"),
                                                np.array([m for m, _ in pairs], np.int32), "int32").name
            new["shift"] = graph.add_const(graph.unique_name(f"{node.name}_shift{suffix}"),
                                           np.array([s for _, s in pairs], np.int32), "int32").name
        node.params[k] = new
