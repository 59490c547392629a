"""Lower the quantized tinygen.nn layers to what their kernels read (LOWBIT.md).

After passes/quantize_lowbit.py every such layer has integer weights and the storage
format they get (node.attrs["weight_format"]); activations read by a binary input
quantizer are "b1" tensors (packed bits). This pass:

1. makes fully connected layers with sub-int8 weights or a binary input or output
   1x1 convolutions on a 1x1 image (the kernels are convolutions); one whose input is
   the flatten of a binary image becomes a convolution with the image's size as its
   kernel, so the packed bits are read as they lie (a flatten of packed channels
   is not the packing of the flattened vector);
2. inserts an `unpack_bits` node (packed bits -> int8 +1 / -1, scale 1, zero point 0)
   before every node that reads a binary tensor but has no binary-input kernel: an
   int8 last layer of a BNN, a flatten, a pooling;
3. packs the weights at their true width: binary weights into 32-bit words along the
   input channels, 4- and 2-bit codes into rows, power-of-two weights into 4-bit
   sign-and-exponent codes.
"""

from __future__ import annotations

import numpy as np

from tinygen.errors import ModelError
from tinygen.ir import Graph, Node, QParams, Tensor
from tinygen.quant.pack_b1 import pack_binary_weights
from tinygen.quant.pack_planes import pack_planes
from tinygen.quant.pack_subbyte import pack_rows, pow2_codes

# weight formats whose kernels are convolutions only
_CONV_ONLY = ("b1", "s4", "s2", "p4", "planes")


def _reads_packed(graph: Graph, node: Node) -> bool:
    """Whether the node reads its binary input packed: an XNOR / popcount convolution, or
    a view keeping the channels (same bytes)."""
    if node.op == "reshape":
        return graph.tensor(node.inputs[0]).shape[-1] == graph.tensor(node.outputs[0]).shape[-1]
    return node.op == "conv2d" and node.attrs.get("weight_format") == "b1"


def _view(graph: Graph, src: str, shape: tuple[int, ...], at: int, name: str) -> str:
    """A reshape (an alias, free) of `src` inserted at node index `at`; its output's name."""
    t = graph.tensor(src)
    out = graph.add_tensor(Tensor(graph.unique_name(name), shape, t.dtype, bits=t.bits, qparams=t.qparams))
    graph.nodes.insert(at, Node(graph.unique_name(f"{name}_view"), "reshape", [src], [out.name]))
    return out.name


def _fc_as_conv(graph: Graph, fc: Node) -> None:
    x, y = fc.inputs[0], fc.outputs[0]
    weight = graph.tensor(fc.param("weight"))
    o = weight.shape[0]
    flat = graph.producer(x)
    source = flat.inputs[0] if flat is not None and flat.op == "reshape" else None
    if source is not None and len(graph.tensor(source).shape) == 4 and graph.tensor(source).dtype == "b1":
        image = graph.tensor(source).shape                   # the flattened binary image
        kernel = image[1:3]
    else:
        image, kernel = (1, 1, 1, graph.tensor(x).shape[-1]), (1, 1)
        source = _view(graph, x, image, graph.nodes.index(fc), f"{x}_1x1")
    w = weight.data.reshape(o, kernel[0], kernel[1], image[3])
    for pset in fc.params:                              # one weight tensor per parameter set
        t = graph.tensor(pset["weight"])
        t.data, t.shape = t.data.reshape(w.shape), w.shape
    out4 = graph.add_tensor(Tensor(graph.unique_name(f"{y}_1x1"), (1, 1, 1, o), graph.tensor(y).dtype,
                                   bits=graph.tensor(y).bits, qparams=graph.tensor(y).qparams))
    fc.op, fc.inputs, fc.outputs = "conv2d", [source], [out4.name]
    fc.attrs.update(stride=(1, 1), dilation=(1, 1), padding=(0, 0, 0, 0))
    at = graph.nodes.index(fc) + 1
    graph.nodes.insert(at, Node(graph.unique_name(f"{fc.name}_flat"), "reshape", [out4.name], [y]))
    if flat is not None and flat.op == "reshape" and not graph.consumers(x) and not graph.is_graph_output(x):
        graph.remove_node(flat)


def _unpack_before(graph: Graph, node: Node, index: int, cache: dict[str, str]) -> None:
    src = node.inputs[index]
    if src not in cache:
        t = graph.tensor(src)
        out = graph.add_tensor(Tensor(graph.unique_name(f"{src}_s8"), t.shape, "int8",
                                      qparams=QParams(1.0, 0)))
        at = graph.nodes.index(graph.producer(src)) + 1 if graph.producer(src) else 0
        graph.nodes.insert(at, Node(graph.unique_name(f"{src}_unpack"), "unpack_bits", [src], [out.name],
                                    source=node.source))
        cache[src] = out.name
    node.inputs[index] = cache[src]


def _pack(graph: Graph, node: Node) -> None:
    fmt = node.attrs["weight_format"]
    cfg = node.attrs["lowbit"]["weight"]
    for pset in node.params:
        w = graph.tensor(pset["weight"])
        W = w.data.astype(np.int64)
        node.attrs["weight_shape"] = tuple(W.shape)
        if fmt == "b1":
            data = pack_binary_weights(np.where(W < 0, -1, 1))
        elif fmt == "planes":                 # nested codes, all 8 bit planes (passes/nested.py)
            data = pack_planes(W)
        elif fmt == "p4":
            data = pack_rows(pow2_codes(W.reshape(W.shape[0], -1), 4, bool(cfg.get("zero", True))), 4)
        else:
            codes = (W - 1) // 2 if cfg["kind"] == "dorefa" else W
            data = pack_rows(codes.reshape(W.shape[0], -1), 4 if fmt == "s4" else 2)
        w.data, w.shape, w.dtype = data, tuple(data.shape), str(data.dtype)
        w.bits = w.data.dtype.itemsize * 8


def lower_bits(graph: Graph) -> Graph:
    for node in [n for n in graph.nodes if "lowbit" in n.attrs and n.op == "fully_connected"]:
        fmt = node.attrs["weight_format"]
        if fmt in _CONV_ONLY or graph.tensor(node.outputs[0]).dtype == "b1":
            _fc_as_conv(graph, node)
    cache: dict[str, str] = {}
    for node in list(graph.nodes):
        for i, t in enumerate(node.inputs):
            if graph.tensor(t).dtype == "b1" and not _reads_packed(graph, node):
                _unpack_before(graph, node, i, cache)
                if node.op == "reshape":          # a view of the unpacked bytes is int8 too
                    out = graph.tensor(node.outputs[0])
                    out.dtype, out.bits, out.qparams = "int8", 8, QParams(1.0, 0)
    for name in graph.outputs:
        if graph.tensor(name).dtype == "b1":
            raise ModelError(f"the model output {name!r} is binary",
                             "end the model with an int8 layer (tinygen.nn layers with act=int8 or a "
                             "binary-input layer with int8 weights)")
    for node in graph.nodes:
        if node.attrs.get("weight_format") in _CONV_ONLY:
            _pack(graph, node)
    graph.drop_unused_tensors()
    return graph
