"""Fold batch normalization into the preceding convolution or linear layer.

y = gamma * (x - mean) / sqrt(var + eps) + beta. When x is produced by a conv,
depthwise conv or fully connected node that nothing else reads, the affine map
is folded into that node's weights and bias. A batch norm with no such producer
(e.g. right after the model input or an add) becomes a 1x1 depthwise
convolution with the same per-channel scale and offset.
"""

from __future__ import annotations

import numpy as np

from tinygen.ir import Graph, Node, QParams, Tensor
from tinygen.passes.fuse_activations import merge_output

_FOLDABLE = ("conv2d", "depthwise_conv2d", "fully_connected",
             "transpose_conv2d")       # output channels on axis 0 ([O, KH, KW, I]) as conv's


def _affine(graph: Graph, bn: Node) -> tuple[np.ndarray, np.ndarray]:
    gamma = graph.const(bn, "gamma").astype(np.float64)
    beta = graph.const(bn, "beta").astype(np.float64)
    mean = graph.const(bn, "mean").astype(np.float64)
    var = graph.const(bn, "var").astype(np.float64)
    scale = gamma / np.sqrt(var + float(bn.attrs["eps"]))
    return scale, beta - mean * scale


def _fold_into(graph: Graph, producer: Node, scale: np.ndarray, offset: np.ndarray) -> None:
    weight = graph.tensor(producer.param("weight"))
    w = weight.data.astype(np.float64)
    # output channels are axis 0 for conv (OHWI) and fc ([O, I]), the last axis for depthwise
    if producer.op == "depthwise_conv2d":
        w = w * scale.reshape(1, 1, 1, -1)
    else:
        w = w * scale.reshape((-1,) + (1,) * (w.ndim - 1))
    weight.data = w.astype(np.float32)
    if "lowbit" in producer.attrs:
        # a tinygen.nn layer keeps its integer weights W = data / scale: the batch norm
        # scales its per-channel weight scales (a negative gamma makes one negative;
        # passes/quantize_lowbit.py turns that into negated weights)
        q = weight.qparams
        weight.qparams = QParams((q.scale.astype(np.float64) * scale).astype(np.float32), q.zero_point, q.axis)
    bias_name = producer.param("bias")
    bias = np.zeros(scale.shape) if bias_name is None else graph.tensor(bias_name).data.astype(np.float64)
    new_bias = (bias * scale + offset).astype(np.float32)
    if bias_name is None:
        bias_name = graph.unique_name(f"{producer.name}_bias")
        graph.add_const(bias_name, new_bias)
        producer.set_param("bias", bias_name)
    else:
        graph.tensor(bias_name).data = new_bias


def _as_depthwise(graph: Graph, bn: Node, scale: np.ndarray, offset: np.ndarray) -> None:
    channels = scale.size
    w = graph.add_const(graph.unique_name(f"{bn.name}_weight"),
                        scale.reshape(1, 1, 1, channels).astype(np.float32))
    b = graph.add_const(graph.unique_name(f"{bn.name}_bias"), offset.astype(np.float32))
    bn.op = "depthwise_conv2d"
    bn.attrs = {"stride": (1, 1), "dilation": (1, 1), "padding": (0, 0, 0, 0),
                "depth_multiplier": 1, "activation": None}
    bn.params = [{"weight": w.name, "bias": b.name}]
    src, dst = bn.inputs[0], bn.outputs[0]
    shape = graph.tensor(src).shape
    if len(shape) == 4:
        return
    # a [rows, C] tensor is laid out like [1, 1, rows, C]: view it as 4-D
    # around the depthwise conv (reshapes alias their input, they cost nothing)
    rows = int(np.prod(shape[:-1]))
    view_shape = (1, 1, rows, channels)
    t_in = graph.add_tensor(Tensor(graph.unique_name(f"{src}_4d"), view_shape))
    t_out = graph.add_tensor(Tensor(graph.unique_name(f"{dst}_4d"), view_shape))
    at = graph.nodes.index(bn)
    graph.nodes.insert(at, Node(f"{bn.name}_view", "reshape", [src], [t_in.name], source=bn.source))
    bn.inputs, bn.outputs = [t_in.name], [t_out.name]
    graph.nodes.insert(at + 2, Node(f"{bn.name}_unview", "reshape", [t_out.name], [dst],
                                    source=bn.source))


def fold_bn(graph: Graph) -> Graph:
    for bn in [n for n in graph.nodes if n.op == "batch_norm"]:
        scale, offset = _affine(graph, bn)
        src = bn.inputs[0]
        producer = graph.producer(src)
        if (
            producer is not None
            and producer.op in _FOLDABLE
            and producer.attrs.get("activation") is None
            and len(graph.consumers(src)) == 1
            and not graph.is_graph_output(src)
        ):
            _fold_into(graph, producer, scale, offset)
            graph.remove_node(bn)
            merge_output(graph, producer, bn.outputs[0])
        else:
            _as_depthwise(graph, bn, scale, offset)
    graph.drop_unused_tensors()
    return graph
