"""Per-layer statistics of a graph: shapes, parameters, MACs, activation bytes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tinygen.ir import Graph, Node
from tinygen.kernels.lut_table import LUT_NAMES
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.quant.spec import WEIGHT_FORMATS


@dataclass
class LayerStats:
    name: str
    op: str
    kernel: str | None
    source: str
    input_shapes: list[tuple[int, ...]]
    output_shape: tuple[int, ...]
    params: int            # weight + bias elements (all parameter sets)
    param_bytes: int       # bytes in flash: weights, bias, requantization constants
    weight_bits: int | None          # bits per weight value (the low-bit storage format's)
    weight_flash_bits: float | None  # flash bits per weight: weights packed, plus scales,
    #                                  bias and requantization or threshold constants
    macs: int
    activation_bytes: int  # inputs + output, as stored


# the weight matrices of the recurrent layers (their parameter counts)
RECURRENT_WEIGHTS = {"lstm": ("w_ih", "w_hh"), "gru": ("w_ih", "w_hh"), "svdf": ("weights_feature", "weights_time")}


def node_macs(graph: Graph, node: Node) -> int:
    out = graph.tensor(node.outputs[0]).shape
    if node.op in ("conv2d", "conv2d_add", "conv2d_gated", "depthwise_conv2d", "depthwise_conv2d_gated"):
        w = graph.weight_shape(node)
        taps = w[1] * w[2] * (w[3] if not node.op.startswith("depthwise_conv2d") else 1)
        return math.prod(out) * taps      # gated layers: all channels (the most; the gate decides at run time)
    if node.op in ("fully_connected", "fully_connected_gated"):
        out_f, in_f = graph.weight_shape(node)
        return math.prod(out[:-1]) * out_f * in_f
    if node.op == "transpose_conv2d":
        return _transpose_conv_macs(graph, node)
    if node.op == "batch_matmul":       # two activations: the depth is the lhs's
        lhs = graph.tensor(node.inputs[0]).shape
        return math.prod(out) * (lhs[-2] if node.attrs["adj_x"] else lhs[-1])
    if node.op in ("lstm", "gru"):          # every step: each gate's input and recurrent products
        batches, steps, size = graph.tensor(node.inputs[0]).shape
        hidden = int(node.attrs["hidden"])
        return batches * steps * (4 if node.op == "lstm" else 3) * hidden * (size + hidden)
    if node.op == "svdf":                   # the feature product, then each filter's time product
        filters, memory = graph.tensor(node.param("weights_time")).shape
        return graph.tensor(node.inputs[0]).shape[0] * filters * (graph.tensor(node.inputs[0]).shape[1] + memory)
    return 0


def _transpose_conv_macs(graph: Graph, node: Node) -> int:
    """The products a transposed convolution adds into its output (taps that land outside
    the output are not computed): per axis, the (input, tap) pairs landing inside."""
    o, kh, kw, i = graph.weight_shape(node)
    _, in_h, in_w, _ = graph.tensor(node.inputs[0]).shape
    _, out_h, out_w, _ = graph.tensor(node.outputs[0]).shape
    top, _, left, _ = node.attrs["padding"]

    def pairs(n_in: int, k: int, s: int, d: int, pad: int, n_out: int) -> int:
        return sum(0 <= y * s - pad + t * d < n_out for y in range(n_in) for t in range(k))

    (sh, sw), (dh, dw) = node.attrs["stride"], node.attrs["dilation"]
    return pairs(in_h, kh, sh, dh, top, out_h) * pairs(in_w, kw, sw, dw, left, out_w) * o * i


def _flash_bytes(graph: Graph, node: Node) -> int:
    """Flash bytes of the constants a layer keeps: those its kernel reads (KernelSpec.const_roles,
    as codegen emits them: tg_depthwise_conv2d_3x3_s8_dsp's records, not also the weights
    they were packed from; shifts as int8 for tinygen's kernels, KernelSpec.stored_bytes), every
    constant where no kernel is chosen yet or the layer has several parameter sets."""
    spec = KERNELS_BY_NAME.get(node.kernel) if node.kernel else None
    if spec is None or len(node.params) != 1:
        return sum(graph.tensor(n).nbytes for n in node.const_names())
    return sum(spec.stored_bytes(role, graph.tensor(node.param(role)).data)
               for role in spec.const_roles if node.param(role) is not None)


def layer_stats(graph: Graph) -> list[LayerStats]:
    stats = []
    for node in graph.nodes:
        consts = _flash_bytes(graph, node)
        weight = graph.tensor(node.param("weight")) if node.param("weight") else None
        count = math.prod(graph.weight_shape(node)) * len(node.params) if weight is not None else 0
        if node.op in RECURRENT_WEIGHTS:    # recurrent layers: their weight matrices
            count = sum(graph.tensor(node.param(role)).size for role in RECURRENT_WEIGHTS[node.op])
        fmt = node.attrs.get("weight_format")
        stats.append(LayerStats(
            name=node.name, op=node.op, kernel=node.kernel, source=node.source,
            input_shapes=[graph.tensor(t).shape for t in node.inputs],
            output_shape=graph.tensor(node.outputs[0]).shape,
            params=count + sum(graph.tensor(pset["bias"]).size for pset in node.params if "bias" in pset),
            param_bytes=consts,
            weight_bits=WEIGHT_FORMATS[fmt] if fmt else (weight.codebook.bits if node.kernel in LUT_NAMES else
                                                         weight.bits if weight is not None else None),
            weight_flash_bits=consts * 8 / count if count else None,
            macs=node_macs(graph, node),
            activation_bytes=sum(graph.tensor(t).nbytes for t in node.inputs + node.outputs),
        ))
    return stats


def total_macs(graph: Graph) -> int:
    return sum(node_macs(graph, n) for n in graph.nodes)
