"""One node of a compiled (quantized) tinygen graph as a single-operator .tflite file with
the same quantization and constants (tests/tflite_builder.py), so that TensorFlow Lite
Micro's host interpreter can compute the node from the same int8 inputs: the check that
a PyTorch model's layers get TFLite's int8 arithmetic, and with int16 activations (16x8:
int16 tensors, int8 weights, int64 biases, QUANTIZE between int8 and int16) its 16x8
arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
from e2e import first_difference
from tflite.ActivationFunctionType import ActivationFunctionType as Act
from tflite.Padding import Padding
from tflite_builder import ModelBuilder

from tinygen.frontend.tflite.prepare import padding as tflm_padding
from tinygen.ir import binary_operands
from tinygen.quant.params import activation_bounds
from tinygen.ref.interpreter import run

# IR op -> TFLite operator
TFLITE_OPS = {"hard_swish": "HARD_SWISH", "logistic": "LOGISTIC", "mul": "MUL", "add": "ADD",
              "concat": "CONCATENATION", "pad": "PAD", "transpose": "TRANSPOSE",
              "resize_nearest": "RESIZE_NEAREST_NEIGHBOR", "resize_bilinear": "RESIZE_BILINEAR", "slice": "SLICE",
              # the simpler operators (GELU has no TFLite Micro kernel: LiteRT checks it)
              "tanh": "TANH", "prelu": "PRELU", "sum": "SUM", "mean": "MEAN", "strided_slice": "STRIDED_SLICE",
              "batch_matmul": "BATCH_MATMUL", "softmax": "SOFTMAX",
              "mirror_pad": "MIRROR_PAD",
              # transposed convolution (_transpose_conv below)
              "transpose_conv2d": "TRANSPOSE_CONV",
              # the multiply-accumulate layers (_mac below) and QUANTIZE between int8 and int16
              "conv2d": "CONV_2D", "depthwise_conv2d": "DEPTHWISE_CONV_2D", "fully_connected": "FULLY_CONNECTED",
              "requantize": "QUANTIZE"}
# checked where the node reads or writes int16 (16x8); their int8 forms are checked against the
# TFLite converter's own models elsewhere (tests/frontend)
S16_ONLY = frozenset({"conv2d", "depthwise_conv2d", "fully_connected", "requantize", "softmax"})


def _fused(graph, node) -> int | None:
    """The TFLite fused activation giving the node's integer bounds, None if none does."""
    q = graph.tensor(node.outputs[0]).qparams
    bounds = (int(node.attrs["act_min"]), int(node.attrs["act_max"]))
    dtype = graph.tensor(node.outputs[0]).dtype
    for act, real in ((Act.NONE, None), (Act.RELU, (0.0, np.inf)), (Act.RELU6, (0.0, 6.0))):
        if activation_bounds(real, q.scale[0], int(q.zero_point[0]), dtype) == bounds:
            return act
    return None


def _activation(b: ModelBuilder, graph, name: str) -> int:
    t = graph.tensor(name)
    return b.tensor(name, t.shape, t.dtype, scale=float(t.qparams.scale[0]), zero_point=int(t.qparams.zero_point[0]))


def single_op_model(graph, node) -> tuple[bytes, list[str]] | None:
    """(.tflite bytes, the node's activation inputs in the model's input order), or None
    where the node has no TFLite equivalent tinygen is meant to match."""
    op = TFLITE_OPS.get(node.op)
    if op is None or (node.op in S16_ONLY and all(graph.tensor(t).dtype != "int16"
                                                  for t in (*node.inputs, *node.outputs))):
        return None
    b = ModelBuilder(f"tinygen node {node.name}")
    ins = {name: _activation(b, graph, name) for name in node.inputs}
    out = _activation(b, graph, node.outputs[0])
    if node.op in ("mul", "add"):
        fused = _fused(graph, node)
        if fused is None:
            return None
        operands = []
        for name in binary_operands(node):
            if name in ins:
                operands.append(ins[name])
            else:
                t = graph.tensor(name)
                operands.append(b.tensor(name, t.shape, t.dtype, scale=float(t.qparams.scale[0]),
                                         zero_point=int(t.qparams.zero_point[0]), data=t.data))
        options = "MulOptions" if node.op == "mul" else "AddOptions"
        b.op(op, operands, [out], options, FusedActivationFunction=fused)
    elif node.op == "concat":
        b.op(op, [ins[n] for n in node.inputs], [out], "ConcatenationOptions", Axis=int(node.attrs["axis"]))
    elif node.op == "softmax":
        if node.attrs.get("causal") or node.attrs["axis"] % len(graph.tensor(node.inputs[0]).shape) != \
                len(graph.tensor(node.inputs[0]).shape) - 1:
            return None
        b.op(op, [ins[node.inputs[0]]], [out], "SoftmaxOptions", Beta=float(node.attrs["beta"]))
    elif node.op == "batch_matmul":
        if float(node.attrs.get("alpha", 1.0)) != 1.0:      # a scaled product (attention): no TFLite operator
            return None
        b.op(op, [ins[n] for n in node.inputs], [out], "BatchMatMulOptions", AdjX=bool(node.attrs["adj_x"]),
             AdjY=bool(node.attrs["adj_y"]))
    elif node.op == "pad":
        if int(node.attrs["pad_value"]) != int(graph.tensor(node.outputs[0]).qparams.zero_point[0]):
            return None
        pads = b.tensor("paddings", [len(node.attrs["paddings"]), 2], "int32",
                        data=np.asarray(node.attrs["paddings"], np.int32))
        b.op(op, [ins[node.inputs[0]], pads], [out], "PadOptions")
    elif node.op == "transpose":
        perm = b.tensor("perm", [len(node.attrs["perm"])], "int32", data=np.asarray(node.attrs["perm"], np.int32))
        b.op(op, [ins[node.inputs[0]], perm], [out], "TransposeOptions")
    elif node.op == "resize_nearest":
        size = b.tensor("size", [2], "int32", data=np.asarray(graph.tensor(node.outputs[0]).shape[1:3], np.int32))
        b.op(op, [ins[node.inputs[0]], size], [out], "ResizeNearestNeighborOptions", AlignCorners=False,
             HalfPixelCenters=False)
    elif node.op == "resize_bilinear":
        size = b.tensor("size", [2], "int32", data=np.asarray(graph.tensor(node.outputs[0]).shape[1:3], np.int32))
        b.op(op, [ins[node.inputs[0]], size], [out], "ResizeBilinearOptions", AlignCorners=False,
             HalfPixelCenters=True)
    elif node.op == "transpose_conv2d":
        if not _transpose_conv(b, graph, node, ins[node.inputs[0]], out):
            return None
    elif node.op == "slice":
        shape = graph.tensor(node.outputs[0]).shape
        begin = np.zeros(len(shape), np.int32)
        begin[node.attrs["axis"]] = node.attrs["begin"]
        b.op(op, [ins[node.inputs[0]], b.tensor("begin", [len(shape)], "int32", data=begin),
                  b.tensor("size", [len(shape)], "int32", data=np.asarray(shape, np.int32))], [out], "SliceOptions")
    elif node.op in ("conv2d", "depthwise_conv2d", "fully_connected"):
        if not _mac(b, graph, node, ins[node.inputs[0]], out):
            return None
    elif node.op in ("prelu", "sum", "mean", "strided_slice", "mirror_pad"):
        if not _simple_op(b, graph, node, ins[node.inputs[0]], out):
            return None
    else:
        b.op(op, [ins[node.inputs[0]]], [out])
    return b.finish([ins[n] for n in node.inputs], [out]), list(node.inputs)


def _int32s(b: ModelBuilder, name: str, values) -> int:
    values = np.asarray(values, np.int32)
    return b.tensor(name, values.shape, "int32", data=values)


def _simple_op(b: ModelBuilder, graph, node, x: int, out: int) -> bool:
    """PRELU, SUM, MEAN, STRIDED_SLICE, MIRROR_PAD for one node; False where TFLite has no operator
    computing it (mirror padding other than REFLECT / SYMMETRIC; 'replicate' padding of at most
    1 is SYMMETRIC)."""
    if node.op == "prelu":
        a = graph.tensor(node.param("alpha"))
        alpha = b.tensor("alpha", a.shape, scale=float(a.qparams.scale[0]), zero_point=int(a.qparams.zero_point[0]),
                         data=a.data)
        b.op("PRELU", [x, alpha], [out])
    elif node.op in ("sum", "mean"):
        b.op(TFLITE_OPS[node.op], [x, _int32s(b, "axes", node.attrs["axes"])], [out], "ReducerOptions",
             KeepDims=bool(node.attrs["keep_dims"]))
    elif node.op == "strided_slice":
        counts = graph.tensor(node.outputs[0]).shape
        end, end_mask = [], 0
        for axis, (begin, stride, count) in enumerate(zip(node.attrs["begin"], node.attrs["strides"], counts)):
            stop = begin + stride * (count - 1) + (1 if stride > 0 else -1)
            end_mask |= (stop < 0) << axis          # a negative end counts from the end: the mask says "to -1"
            end.append(max(stop, 0))
        b.op("STRIDED_SLICE", [x, _int32s(b, "begin", node.attrs["begin"]), _int32s(b, "end", end),
                               _int32s(b, "strides", node.attrs["strides"])], [out], "StridedSliceOptions",
             EndMask=end_mask)
    else:
        pads = np.asarray(node.attrs["paddings"], np.int32)
        mode = {"reflect": 0, "symmetric": 1}.get(node.attrs["mode"])
        if node.attrs["mode"] == "replicate" and pads.max() <= 1:
            mode = 1
        if mode is None:
            return False
        b.op("MIRROR_PAD", [x, _int32s(b, "paddings", pads)], [out], "MirrorPadOptions", Mode=mode)
    return True


def _weights_and_bias(b: ModelBuilder, graph, node, axis: int) -> list[int]:
    """The node's int8 weights (per channel along `axis`, zero point 0) and its bias (int32, or
    int64 on int16 activations), as TFLite tensors."""
    wt = graph.tensor(node.param("weight"))
    channels = wt.shape[axis]
    w = b.tensor("weight", wt.shape, scale=[float(v) for v in wt.qparams.scale], zero_point=[0] * channels,
                 data=wt.data, axis=axis)
    bias = graph.tensor(node.param("bias")) if node.param("bias") else None
    return [w] + ([b.tensor("bias", [channels], bias.dtype, data=bias.data)] if bias is not None else [])


def _mac(b: ModelBuilder, graph, node, x: int, out: int) -> bool:
    """CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED with the node's constants, where TFLite can
    state the node: a fused activation giving its bounds, SAME or VALID giving its padding."""
    fused = _fused(graph, node)
    if fused is None or node.attrs.get("lowbit") or len(node.params) > 1:
        return False
    if node.op == "fully_connected":
        if len(graph.tensor(node.inputs[0]).shape) != 2:
            return False
        b.op("FULLY_CONNECTED", [x, *_weights_and_bias(b, graph, node, 0)], [out], "FullyConnectedOptions",
             FusedActivationFunction=fused)
        return True
    _, in_h, in_w, _ = graph.tensor(node.inputs[0]).shape
    _, kh, kw, _ = graph.weight_shape(node)
    (sh, sw), (dh, dw) = node.attrs["stride"], node.attrs["dilation"]
    pads = tuple(node.attrs["padding"])
    same = [kind for kind in (Padding.SAME, Padding.VALID)
            if tflm_padding(kind, sh, dh, in_h, kh)[1:] + tflm_padding(kind, sw, dw, in_w, kw)[1:] == pads]
    if not same:
        return False
    geometry = dict(Padding=same[0], StrideH=int(sh), StrideW=int(sw), DilationHFactor=int(dh),
                    DilationWFactor=int(dw), FusedActivationFunction=fused)
    if node.op == "conv2d":
        b.op("CONV_2D", [x, *_weights_and_bias(b, graph, node, 0)], [out], "Conv2DOptions", **geometry)
    else:
        b.op("DEPTHWISE_CONV_2D", [x, *_weights_and_bias(b, graph, node, 3)], [out], "DepthwiseConv2DOptions",
             DepthMultiplier=int(node.attrs.get("depth_multiplier", 1)), **geometry)
    return True


def _transpose_conv(b: ModelBuilder, graph, node, x: int, out: int) -> bool:
    """TRANSPOSE_CONV with the node's constants, where TFLite can state the node: dilation 1, a
    fused activation giving its bounds, and SAME or VALID giving its padding before the output
    (TFLM's ComputePaddingHeightWidth from the output's size)."""
    fused = _fused(graph, node)
    _, out_h, out_w, _ = graph.tensor(node.outputs[0]).shape
    _, kh, kw, _ = graph.weight_shape(node)
    (sh, sw), (top, _, left, _) = node.attrs["stride"], node.attrs["padding"]
    same = [kind for kind in (Padding.SAME, Padding.VALID)
            if (tflm_padding(kind, sh, 1, out_h, kh)[1], tflm_padding(kind, sw, 1, out_w, kw)[1]) == (top, left)]
    if fused is None or not same or tuple(node.attrs["dilation"]) != (1, 1):
        return False
    o, _, _, i = graph.weight_shape(node)
    wt = graph.tensor(node.param("weight"))
    shape = b.tensor("output_shape", [4], "int32", data=np.asarray(graph.tensor(node.outputs[0]).shape, np.int32))
    w = b.tensor("weight", [o, kh, kw, i], scale=[float(v) for v in wt.qparams.scale], zero_point=[0] * o,
                 data=wt.data, axis=0)
    bias = graph.const(node, "bias")
    ins = [shape, w, x] + ([b.tensor("bias", [o], str(bias.dtype), data=bias)] if bias is not None else [])
    b.op("TRANSPOSE_CONV", ins, [out], "TransposeConvOptions", Padding=same[0],
         StrideH=int(node.attrs["stride"][0]), StrideW=int(node.attrs["stride"][1]), FusedActivationFunction=fused)
    return True


def tflm_node_outputs(model: bytes, feeds: list[list[np.ndarray]], arena: int = 1 << 20) -> list[np.ndarray]:
    """TFLM's output for each list of input arrays."""
    from tflite_micro.python.tflite_micro import runtime as tflm

    interp = tflm.Interpreter.from_bytes(model, arena_size=arena)
    outs = []
    for xs in feeds:
        for i, x in enumerate(xs):
            interp.set_input(np.ascontiguousarray(x), i)
        interp.invoke()
        outs.append(np.array(interp.get_output(0)))
    return outs


def nodes_equal_tflm(graph, feeds: list[np.ndarray]) -> list[str]:
    """Every node with a TFLite operator equals TFLM's kernel on the reference's int8 (or
    int16) inputs to it (all of `feeds` run through the graph); returns the ops checked."""
    pytest.importorskip("tflite_micro.python.tflite_micro.runtime", reason="TFLite Micro is not installed")
    values = [run(graph, q, keep_all=True) for q in feeds]
    checked = []
    for node in graph.nodes:
        built = single_op_model(graph, node) if node.kernel else None
        if built is None:
            continue
        model, inputs = built
        want = tflm_node_outputs(model, [[v[t] for t in inputs] for v in values])
        for k, (v, w) in enumerate(zip(values, want)):
            got = v[node.outputs[0]]
            assert np.array_equal(got.ravel(), w.ravel()), \
                f"{node.name} ({node.op}, {node.source}) input {k}: {first_difference(w, got)}"
        checked.append(node.op)
    return checked
