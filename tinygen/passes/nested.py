"""Nested storage of a switchable-precision model (`--storage nested`).

With the nested weight quantizer (tinygen.quant.lowbit, kind "nested") every switch's k-bit
weights are the top k bits of one set of 8-bit codes C. Stored as 8 bit planes
(tinygen.quant.pack_planes, LOWBIT.md "Nested bit planes"), one copy serves every switch,
and the bit-serial kernel tg_conv2d_s8_planes_s8 reads the switch's top k planes: work
proportional to k times the input bits.

This pass runs on one switch's quantized graph, before lower_bits. The frontend leaves
graph.meta["nested_codes"] (layer name -> C, from the top switch; tinygen.compiler sets it).
A nested layer with an int8 or uniform k-bit input then takes C as its weight, format
"planes", and keeps its requantization exactly: quantize_lowbit negated the weights of
channels with a negative batch-norm scale (g < 0), which the shared planes cannot do per
switch; instead such a channel's bias and multiplier are negated, since
requantize(-acc + b, M) == requantize(acc - b, -M) bit for bit (the same 64-bit product in
the rounding doubling high multiply; tests/quant/test_fixedpoint.py), except where an accumulator
shifted left by a positive shift wraps to INT32_MIN, which no layer's range reaches. The planes kernel's bias also takes the correction
of its unsigned input planes (pack_planes.planes_bias_correction).

Layers with a binary (packed) input or output keep their separate b1 weights (the XNOR
kernels), as do nested layers whose weights are not C's top bits (an error: the model was
not trained with the nested quantizer).

Mixed storage (`keep_int8`, CompileOptions.nested_int8): the top (8-bit) switch of the layers
named there (by source, the model's module path; "*": every layer) keeps its int8 codes and
int8 kernels instead of reading the planes: the bit-serial kernel costs about 20x the int8
kernel's instructions at the top switch (benchmarks/bitserial.py), and those codes cost
int8_flash_bytes more flash; the other switches still read the planes. A fit-aware choice
sets the names where flash allows.
"""

from __future__ import annotations

import numpy as np

from tinygen.errors import ModelError
from tinygen.ir import Graph, Node
from tinygen.quant.pack_planes import planes_bias_correction, planes_input, switch_weights


def _signs(node: Node, w: np.ndarray, nested: np.ndarray) -> np.ndarray:
    """+1 / -1 per output channel: w is nested or its negation (quantize_lowbit's g < 0)."""
    flat_w, flat_n = w.reshape(len(w), -1), nested.reshape(len(nested), -1)
    pos = (flat_w == flat_n).all(axis=1)
    neg = (flat_w == -flat_n).all(axis=1)
    if not (pos | neg).all():
        bad = int(np.flatnonzero(~(pos | neg))[0])
        raise ModelError(f"layer {node.name}: channel {bad}'s weights are not the top bits of the top switch's "
                         "codes", hint="train with WeightQuant('nested', ...) in every switch, or build with "
                                       "--storage separate")
    return np.where(pos, 1, -1)


def int8_flash_bytes(codes: np.ndarray) -> int:
    """The flash a layer's top switch adds when it keeps its int8 codes beside the planes
    (the weights alone; an int8 kernel that widens them at build time stores more)."""
    return int(np.asarray(codes).size)


def nested_planes(graph: Graph, keep_int8: frozenset[str] | tuple[str, ...] = ()) -> Graph:
    codes: dict[str, np.ndarray] = graph.meta.get("nested_codes") or {}
    for node in graph.nodes:
        cfg = node.attrs.get("lowbit", {}).get("weight", {})
        if cfg.get("kind") != "nested" or node.name not in codes or node.op not in ("conv2d", "fully_connected"):
            continue
        if int(cfg["bits"]) == 8 and ("*" in keep_int8 or node.source in keep_int8):
            continue                    # mixed storage: the top switch keeps its int8 codes
        x, y = graph.tensor(node.inputs[0]), graph.tensor(node.outputs[0])
        if x.dtype == "b1" or y.dtype == "b1" or "multiplier" not in node.params[0]:
            continue                    # XNOR kernels: separate b1 weights
        k = int(cfg["bits"])
        c = np.asarray(codes[node.name], dtype=np.int64)
        w = graph.tensor(node.param("weight"))
        if tuple(c.shape) != tuple(w.data.shape):
            raise ModelError(f"layer {node.name}: the top switch's codes have shape {list(c.shape)}, this "
                             f"switch's weights {list(w.data.shape)}")
        sign = _signs(node, w.data.astype(np.int64), switch_weights(c, k))
        in_off, _ = planes_input(x.bits, int(x.qparams.zero_point[0]))
        corr = planes_bias_correction(c, k, in_off, int(x.qparams.zero_point[0])).astype(np.int64)
        pset = node.params[0]
        bias = graph.tensor(pset["bias"]).data.astype(np.int64) if "bias" in pset else np.zeros(len(c), np.int64)
        new_bias = sign * bias + corr
        if np.abs(new_bias).max(initial=0) >= 2**31:
            raise ModelError(f"layer {node.name}: the planes kernel's bias does not fit int32")
        pset["bias"] = graph.add_const(graph.unique_name(f"{node.name}_b_planes"), new_bias.astype(np.int32),
                                       "int32").name
        mult = graph.tensor(pset["multiplier"]).data.astype(np.int64)
        pset["multiplier"] = graph.add_const(graph.unique_name(f"{node.name}_mult_planes"),
                                             (sign * mult).astype(np.int32), "int32").name
        w.data = c.astype(np.int8)
        node.attrs["weight_format"] = "planes"
        node.attrs["planes"] = {"w_bits": k}
    graph.drop_unused_tensors()
    return graph


__all__ = ["int8_flash_bytes", "nested_planes"]
