"""Fold an explicit pad into the convolution that reads it.

A model exported from PyTorch writes a padded convolution as PAD followed by a VALID
CONV_2D / DEPTHWISE_CONV_2D. The pad is a layer of its own: it copies the whole tensor (the
padded copy and its input are live together) and no tiling pass can split it. Where the
pad only fills what the convolution's own padding would, it becomes the convolution's
padding: (top, bottom, left, right) grow by the pad's spatial amounts, and the convolution
reads the pad's input.

Exact where the padded value is what the convolution pads with: the input zero point on a
quantized tensor (TFLite Micro's int8 conv pads with -input_offset, its int16 conv with 0,
the int16 zero point) and 0.0 on a float one. Folded only where also:

- the pad's input and output share one quantization (the convolution's input_offset and
  scale then stay what they were: TFLite Micro's PAD copies the bytes whatever the two grids);
- only height and width are padded, and the padded tensor is read by that convolution alone
  (not a graph output);
- every side's padding stays below the dilated kernel's extent, so every output window
  still overlaps the input (the most TFLite's SAME padding gives; the kernels' shapes).

Padding may then be asymmetric either way (top > bottom too): the kernels take pad_top and
pad_left and read bottom and right from the output size.
"""

from __future__ import annotations

from tinygen.ir import Graph, Node

CONV_OPS = ("conv2d", "depthwise_conv2d")
QUANTIZED = ("int8", "int16")          # full-width activations (a sub-byte one keeps its pad)


def _fills_like_conv(graph: Graph, pad: Node) -> bool:
    """The pad writes what the convolution's own padding would: zero point, or 0.0."""
    x, y = graph.tensor(pad.inputs[0]), graph.tensor(pad.outputs[0])
    value = pad.attrs["pad_value"]
    if x.dtype != y.dtype:
        return False
    if x.dtype == "float32":
        return float(value) == 0.0
    if x.dtype not in QUANTIZED or x.bits != y.bits or x.qparams is None or y.qparams is None:
        return False
    return (x.qparams.same_as(y.qparams) and x.qparams.zero_point.size == 1
            and int(value) == int(x.qparams.zero_point[0]))


def _folded_padding(graph: Graph, pad: Node, conv: Node) -> tuple[int, int, int, int] | None:
    """The convolution's padding with the pad's added, or None where it cannot take it."""
    (n0, n1), (top, bottom), (left, right), (c0, c1) = pad.attrs["paddings"]
    if n0 or n1 or c0 or c1:
        return None
    kh, kw = graph.weight_shape(conv)[1:3]
    dh, dw = conv.attrs["dilation"]
    t, b, le, r = conv.attrs["padding"]
    folded = (t + top, b + bottom, le + left, r + right)
    reach_h, reach_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if max(folded[:2]) >= reach_h or max(folded[2:]) >= reach_w:
        return None
    return folded


def fold_pad(graph: Graph) -> Graph:
    for pad in [n for n in graph.nodes if n.op == "pad"]:
        padded = pad.outputs[0]
        users = graph.consumers(padded)
        if len(users) != 1 or graph.is_graph_output(padded) or len(graph.tensor(padded).shape) != 4:
            continue
        conv = users[0]
        if conv.op not in CONV_OPS or conv.inputs[0] != padded or "lowbit" in conv.attrs:
            continue
        folded = _folded_padding(graph, pad, conv) if _fills_like_conv(graph, pad) else None
        if folded is None:
            continue
        conv.attrs["padding"] = folded
        conv.inputs[0] = pad.inputs[0]
        graph.remove_node(pad)
        graph.meta.get("tflite_tensors", {}).pop(padded, None)
    graph.drop_unused_tensors()
    return graph
