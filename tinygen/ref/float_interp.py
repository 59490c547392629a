"""A float32 numpy interpreter of the IR, batched.

Used to calibrate activation ranges and to check the frontend against the
framework, so it runs whole batches at once: convolutions are im2col + one
matrix product, depthwise convolutions and pools a loop over the kernel taps.
Every array carries a leading batch dimension N in place of the graph's batch
of 1; layouts are the IR's (NHWC for 4-D tensors).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.ref import float_attention, moves
from tinygen.ref.gating import channel_gate_float, exit_select_float
from tinygen.ref.transpose_conv import transpose_conv_sums
from tinygen.ref.recurrent import gru_float, lstm_float
from tinygen.ir import Graph, Node
from tinygen.quant.lowbit import accumulator_operand, quantize_activations

# im2col matrices are built for this many floats at most (the batch is chunked)
_IM2COL_FLOATS = 1 << 24


def run_float(graph: Graph, x, keep_all: bool = False) -> dict[str, np.ndarray]:
    """Run `graph` on the batch `x` ([N, *input shape[1:]]).

    `x` may also be a dict {input name: array} for graphs with several inputs.
    Returns {output name: array}, or every activation tensor (inputs included)
    with keep_all=True.
    """
    feeds = x if isinstance(x, dict) else {graph.inputs[0]: x}
    if not isinstance(x, dict) and len(graph.inputs) != 1:
        raise ModelError(f"graph {graph.name!r} has {len(graph.inputs)} inputs; pass a dict")
    values: dict[str, np.ndarray] = {}
    n = None
    for name in graph.inputs:
        a = np.asarray(feeds[name], dtype=np.float32)
        want = graph.tensors[name].shape[1:]
        if a.ndim != len(want) + 1 or a.shape[1:] != want or (n is not None and a.shape[0] != n):
            raise ModelError(f"input {name!r} has shape {list(a.shape)}, expected "
                             f"[N, {', '.join(str(d) for d in want)}]")
        n = a.shape[0]
        values[name] = a
    for node in graph.nodes:
        ins = [values[t] for t in node.inputs]
        if "lowbit" in node.attrs:        # a tinygen.nn layer quantizes its own input
            ins[0] = input_grid_values(node.attrs["lowbit"], ins[0])
        out = _OPS[node.op](graph, node, ins)
        act = node.attrs.get("activation")
        if act is not None:
            out = np.clip(out, act[0], act[1])
        out = out.astype(np.float32, copy=False)
        want = (out.shape[0],) + graph.tensors[node.outputs[0]].shape[1:]
        if out.shape != want:
            raise AssertionError(f"{node.name} ({node.op}) produced {out.shape}, IR says {want}")
        values[node.outputs[0]] = out
    if keep_all:
        return values
    return {name: values[name] for name in graph.outputs}


# -- helpers -------------------------------------------------------------------


def input_grid_values(lowbit: dict, x: np.ndarray) -> np.ndarray:
    """The real values a tinygen.nn layer's input quantizer gives x (LOWBIT.md): on the
    int8 grid, the k-bit ReLU-clip grid [0, 2^k - 1] * scale, or +1 / -1 (x >= 0: +1)."""
    kind, bits = lowbit["act"]["kind"], int(lowbit["act"].get("bits") or 8)
    scale, zp = float(lowbit["act_scale"]), int(lowbit["act_zero_point"])
    a = accumulator_operand(quantize_activations(x, kind, bits, scale, zp), kind, zp)
    return (a * np.float64(scale)).astype(np.float32)


def _pad_value(node: Node) -> float:
    """Real value of a convolution's padding: 0, or a binary layer's declared +1 / -1."""
    lowbit = node.attrs.get("lowbit")
    return float(lowbit["pad_value"]) if lowbit and lowbit["act"]["kind"] == "binary" else 0.0


def _pad(x: np.ndarray, padding, value: float = 0.0) -> np.ndarray:
    top, bottom, left, right = padding
    if not any(padding):
        return x
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def _out_size(size: int, k: int, stride: int, dilation: int = 1) -> int:
    return (size - dilation * (k - 1) - 1) // stride + 1


def _taps(xp: np.ndarray, kh: int, kw: int, stride, dilation, oh: int, ow: int):
    """Yield (i, j, view) of the strided input under each kernel tap."""
    sh, sw = stride
    dh, dw = dilation
    for i in range(kh):
        for j in range(kw):
            h0, w0 = i * dh, j * dw
            yield i, j, xp[:, h0:h0 + sh * (oh - 1) + 1:sh, w0:w0 + sw * (ow - 1) + 1:sw, :]


def _windows(xp: np.ndarray, kh: int, kw: int, stride, dilation, oh: int, ow: int):
    """[N, OH, OW, KH, KW, C] strided view of every window (no copy)."""
    n, _, _, c = xp.shape
    s = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp, (n, oh, ow, kh, kw, c),
        (s[0], s[1] * stride[0], s[2] * stride[1], s[1] * dilation[0], s[2] * dilation[1], s[3]),
        writeable=False)


# -- ops -----------------------------------------------------------------------


def _conv2d(g: Graph, node: Node, ins):
    x = _pad(ins[0], node.attrs["padding"], _pad_value(node))
    w = g.const(node, "weight")                       # [O, KH, KW, I]
    b = g.const(node, "bias")
    o, kh, kw, i = w.shape
    oh = _out_size(x.shape[1], kh, node.attrs["stride"][0], node.attrs["dilation"][0])
    ow = _out_size(x.shape[2], kw, node.attrs["stride"][1], node.attrs["dilation"][1])
    wm = w.reshape(o, -1).T.astype(np.float32)        # [KH*KW*I, O]
    n = x.shape[0]
    out = np.empty((n, oh, ow, o), np.float32)
    chunk = max(1, _IM2COL_FLOATS // max(1, oh * ow * kh * kw * i))
    for s in range(0, n, chunk):
        xs = np.ascontiguousarray(x[s:s + chunk])
        cols = _windows(xs, kh, kw, node.attrs["stride"], node.attrs["dilation"], oh, ow)
        out[s:s + chunk] = (cols.reshape(-1, kh * kw * i) @ wm).reshape(-1, oh, ow, o)
    if b is not None:
        out += b
    return out


def _depthwise_conv2d(g: Graph, node: Node, ins):
    x = ins[0]
    m = int(node.attrs["depth_multiplier"])
    if m > 1:  # output channel c*m + k reads input channel c
        x = np.repeat(x, m, axis=-1)
    x = _pad(x, node.attrs["padding"])
    w = g.const(node, "weight")[0]                    # [KH, KW, OC]
    b = g.const(node, "bias")
    kh, kw, oc = w.shape
    stride, dilation = node.attrs["stride"], node.attrs["dilation"]
    oh = _out_size(x.shape[1], kh, stride[0], dilation[0])
    ow = _out_size(x.shape[2], kw, stride[1], dilation[1])
    out = np.zeros((x.shape[0], oh, ow, oc), np.float32)
    for i, j, view in _taps(x, kh, kw, stride, dilation, oh, ow):
        out += view * w[i, j]
    if b is not None:
        out += b
    return out


def _fully_connected(g: Graph, node: Node, ins):
    w = g.const(node, "weight")                       # [O, I]
    b = g.const(node, "bias")
    out = ins[0] @ w.T.astype(np.float32)
    return out + b if b is not None else out


def _batch_norm(g: Graph, node: Node, ins):
    inv = 1.0 / np.sqrt(g.const(node, "var") + np.float32(node.attrs["eps"]))
    scale = (g.const(node, "gamma") * inv).astype(np.float32)
    return (ins[0] - g.const(node, "mean")) * scale + g.const(node, "beta")


def _pool_geometry(node: Node, x: np.ndarray):
    (kh, kw), stride = node.attrs["kernel"], node.attrs["stride"]
    top, bottom, left, right = node.attrs["padding"]
    oh = _out_size(x.shape[1] + top + bottom, kh, stride[0])
    ow = _out_size(x.shape[2] + left + right, kw, stride[1])
    return kh, kw, stride, oh, ow


def _max_pool2d(g: Graph, node: Node, ins):
    x = _pad(ins[0], node.attrs["padding"], -np.inf)
    kh, kw, stride, oh, ow = _pool_geometry(node, ins[0])
    out = None
    for _, _, view in _taps(x, kh, kw, stride, (1, 1), oh, ow):
        out = view.copy() if out is None else np.maximum(out, view, out=out)
    return out


def _avg_pool2d(g: Graph, node: Node, ins):
    padding = node.attrs["padding"]
    x = _pad(ins[0], padding)
    kh, kw, stride, oh, ow = _pool_geometry(node, ins[0])
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]), np.float32)
    for _, _, view in _taps(x, kh, kw, stride, (1, 1), oh, ow):
        out += view
    if node.attrs.get("count_include_pad") or not any(padding):
        return out / np.float32(kh * kw)
    ones = _pad(np.ones((1,) + ins[0].shape[1:3] + (1,), np.float32), padding)
    count = np.zeros((1, oh, ow, 1), np.float32)
    for _, _, view in _taps(ones, kh, kw, stride, (1, 1), oh, ow):
        count += view
    return out / count


def _operands(g: Graph, node: Node, ins):
    operand = g.const(node, "operand")
    return (ins[0], ins[1]) if operand is None else (ins[0], operand.astype(np.float32))


def _add(g: Graph, node: Node, ins):
    a, b = _operands(g, node, ins)
    return a + b


def _mul(g: Graph, node: Node, ins):
    a, b = _operands(g, node, ins)
    return a * b


def _hard_swish(g: Graph, node: Node, ins):
    x = ins[0]
    return x * np.clip(x + np.float32(3), 0, 6) / np.float32(6)


def _pad_op(g: Graph, node: Node, ins):
    widths = ((0, 0),) + tuple(tuple(p) for p in node.attrs["paddings"][1:])
    return np.pad(ins[0], widths, constant_values=float(node.attrs["pad_value"]))


def _slice(g: Graph, node: Node, ins):
    axis, begin = node.attrs["axis"], node.attrs["begin"]
    size = g.tensors[node.outputs[0]].shape[axis]
    index = [slice(None)] * ins[0].ndim
    index[axis] = slice(begin, begin + size)
    return np.ascontiguousarray(ins[0][tuple(index)])


def _resize_nearest(g: Graph, node: Node, ins):
    _, oh, ow, _ = g.tensors[node.outputs[0]].shape
    x = ins[0]
    return np.repeat(np.repeat(x, oh // x.shape[1], axis=1), ow // x.shape[2], axis=2)


def _concat(g: Graph, node: Node, ins):
    return np.concatenate(ins, axis=node.attrs["axis"])


def _reshape(g: Graph, node: Node, ins):
    shape = g.tensors[node.outputs[0]].shape
    return ins[0].reshape((ins[0].shape[0],) + shape[1:])


def _transpose(g: Graph, node: Node, ins):
    return np.ascontiguousarray(ins[0].transpose(node.attrs["perm"]))


def _softmax(g: Graph, node: Node, ins):
    return float_attention.softmax(ins[0], node.attrs["axis"], node.attrs.get("beta", 1.0),
                                   bool(node.attrs.get("causal")))


def _logistic(g: Graph, node: Node, ins):
    x = ins[0]
    e = np.exp(-np.abs(x))                            # never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _clamp(g: Graph, node: Node, ins):
    return np.clip(ins[0], node.attrs["lo"], node.attrs["hi"])


def _resize_bilinear(g: Graph, node: Node, ins):
    """PyTorch's bilinear interpolation with align_corners=False (half-pixel centers)."""
    x = ins[0]
    _, oh, ow, _ = g.tensors[node.outputs[0]].shape

    def axis(n_out, n_in):
        src = np.maximum((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0.0)
        lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        return lo, np.minimum(lo + 1, n_in - 1), (src - lo).astype(np.float32)

    y0, y1, fy = axis(oh, x.shape[1])
    x0, x1, fx = axis(ow, x.shape[2])
    fy, fx = fy[None, :, None, None], fx[None, None, :, None]
    top = x[:, y0][:, :, x0] * (1 - fx) + x[:, y0][:, :, x1] * fx
    bottom = x[:, y1][:, :, x0] * (1 - fx) + x[:, y1][:, :, x1] * fx
    return top * (1 - fy) + bottom * fy


def _channel_gate(g: Graph, node: Node, ins):
    return channel_gate_float(ins[0].reshape(ins[0].shape[0], -1), node.attrs["mode"], node.attrs["k"],
                              node.attrs["threshold"]).reshape(ins[0].shape)


def _exit_select(g: Graph, node: Node, ins):
    return exit_select_float(ins, node.attrs["thresholds"])


def _transpose_conv2d(g: Graph, node: Node, ins):
    w = g.const(node, "weight").astype(np.float32)    # [O, KH, KW, I]
    b = g.const(node, "bias")
    _, out_h, out_w, _ = g.tensors[node.outputs[0]].shape
    top, _, left, _ = node.attrs["padding"]
    out = transpose_conv_sums(ins[0], w, node.attrs["stride"], node.attrs["dilation"], top, left, out_h, out_w)
    return out + b if b is not None else out


# -- recurrent layers (tinygen/ref/recurrent.py): batch N of [1, T, I] sequences, as PyTorch runs them
def _lstm(g: Graph, node: Node, ins):
    x = ins[0].reshape(ins[0].shape[0], *g.tensors[node.inputs[0]].shape[1:])
    h0, c0 = (ins[1], ins[2]) if len(ins) == 3 else (g.const(node, "h0"), g.const(node, "c0"))
    hs, _ = lstm_float(x, g.const(node, "w_ih"), g.const(node, "w_hh"), g.const(node, "bias"), h0, c0)
    return hs if node.attrs["sequence"] else hs[:, -1]


def _gru(g: Graph, node: Node, ins):
    x = ins[0].reshape(ins[0].shape[0], *g.tensors[node.inputs[0]].shape[1:])
    h0 = ins[1] if len(ins) == 2 else g.const(node, "h0")
    hs = gru_float(x, g.const(node, "w_ih"), g.const(node, "w_hh"), g.const(node, "b_ih"), g.const(node, "b_hh"), h0)
    return hs if node.attrs["sequence"] else hs[:, -1]


_OPS: dict[str, Callable] = {
    "channel_gate": _channel_gate,
    "exit_select": _exit_select,
    "conv2d": _conv2d,
    "depthwise_conv2d": _depthwise_conv2d,
    "fully_connected": _fully_connected,
    "batch_norm": _batch_norm,
    "max_pool2d": _max_pool2d,
    "avg_pool2d": _avg_pool2d,
    "add": _add,
    "mul": _mul,
    "hard_swish": _hard_swish,
    "pad": _pad_op,
    "slice": _slice,
    "resize_nearest": _resize_nearest,
    "resize_bilinear": _resize_bilinear,
    "concat": _concat,
    "reshape": _reshape,
    "transpose": _transpose,
    "softmax": _softmax,
    "logistic": _logistic,
    "clamp": _clamp,
    "requantize": lambda g, node, ins: ins[0],     # a change of grid only (the real values kept)
    # transposed convolution
    "transpose_conv2d": _transpose_conv2d,
    # recurrent layers
    "lstm": _lstm,
    "gru": _gru,
}


# -- the simpler operators users' models bring ------------------------------------------------

_erf = np.frompyfunc(math.erf, 1, 1)


def _tanh(g: Graph, node: Node, ins):
    return np.tanh(ins[0])


def _prelu(g: Graph, node: Node, ins):
    x = ins[0]
    return np.where(x >= 0, x, x * g.const(node, "alpha").astype(np.float32))


def _gelu(g: Graph, node: Node, ins):
    """torch's GELU: 0.5 x (1 + erf(x / sqrt 2)), or with approximate its tanh form."""
    x = ins[0].astype(np.float64)
    if node.attrs["approximate"]:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)
        return 0.5 * x * (1.0 + np.tanh(inner))
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def _hard_sigmoid(g: Graph, node: Node, ins):
    return np.clip(ins[0] / np.float32(6) + np.float32(0.5), 0, 1)


def _sum(g: Graph, node: Node, ins):
    return ins[0].sum(axis=tuple(node.attrs["axes"]), keepdims=bool(node.attrs["keep_dims"]), dtype=np.float64)


def _strided_slice(g: Graph, node: Node, ins):
    x = ins[0]
    out = g.tensors[node.outputs[0]].shape
    for axis in range(1, x.ndim):
        begin, stride = int(node.attrs["begin"][axis]), int(node.attrs["strides"][axis])
        x = np.take(x, begin + stride * np.arange(out[axis]), axis=axis)
    return np.ascontiguousarray(x)


_NUMPY_PAD_MODES = {"reflect": "reflect", "symmetric": "symmetric", "replicate": "edge", "circular": "wrap"}


def _mirror_pad(g: Graph, node: Node, ins):
    widths = ((0, 0),) + tuple(tuple(p) for p in node.attrs["paddings"][1:])
    return np.pad(ins[0], widths, mode=_NUMPY_PAD_MODES[node.attrs["mode"]])


def _strided_copy(g: Graph, node: Node, ins):
    """Each sample's elements walked as the node says (a batch-1 graph: a sample is a tensor)."""
    shapes = g.tensors[node.inputs[0]].shape, g.tensors[node.outputs[0]].shape
    if shapes[0][0] != 1 or shapes[1][0] != 1:
        raise UnsupportedOpError(f"{node.name} ({node.source}) moves elements across the batch dimension "
                                 f"({list(shapes[0])} -> {list(shapes[1])}): tinygen does not quantize it",
                                 "run the float model as it is (leave --calib out)")
    counts, steps = zip(*node.attrs["walk"]) if node.attrs["walk"] else ((), ())
    index = moves.walk_index(node.attrs["offset"], counts, steps)
    return ins[0].reshape(ins[0].shape[0], -1)[:, index].reshape((-1,) + shapes[1][1:])


def _not_calibrated(g: Graph, node: Node, ins):
    raise UnsupportedOpError(f"{node.name} ({node.source}): tinygen does not quantize a float {node.op} (--calib)",
                             "run the float model as it is (leave --calib out)")


_OPS.update({
    "strided_copy": _strided_copy,
    "gather": _not_calibrated,
    "dynamic_update_slice": _not_calibrated,
    "tanh": _tanh,
    "prelu": _prelu,
    "gelu": _gelu,
    "hard_sigmoid": _hard_sigmoid,
    "sum": _sum,
    "strided_slice": _strided_slice,
    "mirror_pad": _mirror_pad,
})

# normalization and attention (tinygen/ref/float_attention.py)
_OPS.update(float_attention.OPS)
