"""int8 post-training quantization (the TFLite int8 spec).

- Activations: asymmetric per-tensor int8 from the calibrated ranges. Tensors
  that TFLite requires to share parameters (pooling, reshape, transpose,
  concatenation, standalone clamps) are grouped and get the union range;
  softmax and logistic outputs get the spec's fixed scale 1/256, zero point -128.
- Weights: symmetric per-output-channel int8 in [-127, 127].
- Bias: int32 with scale input_scale * weight_scale.
- int16 activations (TFLite's 16x8 scheme) for the tensors passes/activation_widths.py
  chose (graph.meta["int16_tensors"]): symmetric per-tensor int16, zero point 0, scale
  max(|min|, |max|) / 32767; the MAC layers reading them take int64 biases, a constant
  operand is int16 on its own symmetric grid, and the activation bounds are int16's.
- Requantization: per-channel 32-bit multiplier and shift (params "multiplier",
  "shift"), and the fused activation as integer bounds act_min/act_max.
Every parameter set of a node (one per precision switch) is quantized.
"""

from __future__ import annotations

import numpy as np

from tinygen.errors import ModelError
from tinygen.ir import MAC_OPS, RECURRENT_OPS, Graph, Node, QParams, schema
from tinygen.quant import params as qp
from tinygen.passes.quantize_lowbit import input_grid, quantize_lowbit_node
from tinygen.passes.quantize_norm import NORM_OPS, quantize_norm_node
from tinygen.passes.quantize_recurrent import quantize_recurrent_node, share_hidden_grid
from tinygen.quant.spec import ACT_RANGE, FIXED_OUTPUT_QPARAMS, FIXED_OUTPUT_QPARAMS_S16, WEIGHT_CHANNEL_AXIS


class _Groups:
    """Union-find over tensor names."""

    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def _activation_qparams(graph: Graph) -> None:
    groups = _Groups()
    fixed: dict[str, tuple[float, int]] = {}
    storage: dict[str, tuple[str, int]] = {}       # (dtype, bits) of grids other than int8
    for x in graph.meta.get("int16_tensors", ()):     # 16x8: passes/activation_widths.py's choice
        storage[x] = ("int16", 16)
    for node in graph.nodes:
        if schema(node.op).same_qparams:
            for t in node.inputs:
                groups.union(t, node.outputs[0])
        share_hidden_grid(node, groups.union)          # recurrent layers: h0 on the output's grid
        if node.op in FIXED_OUTPUT_QPARAMS:
            wide = storage.get(node.outputs[0]) == ("int16", 16) and node.op in FIXED_OUTPUT_QPARAMS_S16
            fixed[node.outputs[0]] = (FIXED_OUTPUT_QPARAMS_S16 if wide else FIXED_OUTPUT_QPARAMS)[node.op]
        if "lowbit" in node.attrs:           # a tinygen.nn layer's trained input grid
            scale, zp, dtype, bits = input_grid(node)
            x = node.inputs[0]
            if fixed.get(x, (scale, zp)) != (scale, zp) or storage.get(x, (dtype, bits)) != (dtype, bits):
                raise ModelError(f"tensor {x!r} feeds layers with different input quantizers",
                                 "give the layers reading one tensor the same input quantizer")
            fixed[x], storage[x] = (scale, zp), (dtype, bits)
    members: dict[str, list[str]] = {}
    for t in graph.activation_tensors():
        members.setdefault(groups.find(t.name), []).append(t.name)
    for names in members.values():
        fixed_here = {fixed[n] for n in names if n in fixed}
        if len(fixed_here) > 1:
            raise ModelError(f"tensors {names} must share quantization but have different fixed parameters")
        stored = {storage[n] for n in names if n in storage} or {("int8", 8)}
        if len(stored) > 1:
            raise ModelError(f"tensors {names} must share quantization but their layers quantize "
                             f"them differently ({sorted(stored)})")
        if fixed_here:
            scale, zp = fixed_here.pop()
            scale = np.float32(scale)
        else:
            ranges = [graph.tensors[n].calib_range for n in names]
            if any(r is None for r in ranges):
                raise ModelError(f"tensors {names} were not calibrated")
            grid = qp.activation_qparams_s16 if stored == {("int16", 16)} else qp.activation_qparams
            scale, zp = grid(min(r[0] for r in ranges), max(r[1] for r in ranges))
        dtype, bits = stored.pop()
        for n in names:
            t = graph.tensors[n]
            t.dtype, t.bits = dtype, bits
            t.qparams = QParams(scale, zp)


def _quantize_mac_node(graph: Graph, node: Node) -> None:
    in_q = graph.tensor(node.inputs[0]).qparams
    out_q = graph.tensor(node.outputs[0]).qparams
    axis = WEIGHT_CHANNEL_AXIS[node.op]
    # 16x8: int16 x int8 products summed in int64, with an int64 bias (TFLite's converter)
    bias_dtype = "int64" if graph.tensor(node.inputs[0]).dtype == "int16" else "int32"
    for k, pset in enumerate(node.params):
        suffix = f"_s{k}" if len(node.params) > 1 else ""
        w = graph.tensor(pset["weight"]).data
        scales = qp.weight_scales(w, axis)
        qw = graph.add_const(graph.unique_name(f"{node.name}_w{suffix}"),
                             qp.quantize_weights(w, scales, axis), "int8")
        qw.qparams = QParams(scales, np.zeros(scales.shape, np.int64), axis=axis)
        new = {"weight": qw.name}
        if "bias" in pset:
            b = graph.tensor(pset["bias"]).data
            qb = graph.add_const(graph.unique_name(f"{node.name}_b{suffix}"),
                                 qp.quantize_bias(b, in_q.scale[0], scales, bias_dtype), bias_dtype)
            qb.qparams = QParams(in_q.scale[0] * scales, np.zeros(scales.shape, np.int64), axis=0)
            new["bias"] = qb.name
        mult, shift = qp.requant_multipliers(in_q.scale[0], scales, out_q.scale[0])
        new["multiplier"] = graph.add_const(graph.unique_name(f"{node.name}_mult{suffix}"), mult, "int32").name
        new["shift"] = graph.add_const(graph.unique_name(f"{node.name}_shift{suffix}"), shift, "int32").name
        node.params[k] = new


def _quantize_operand(graph: Graph, node: Node, role: str = "operand") -> None:
    """An add's or mul's constant operand (a PReLU's alpha): int8, per tensor, on the grid of
    its own range (with 0), as TFLite's converter stores a constant input; for an int16
    layer, int16 on the symmetric grid of its largest magnitude."""
    dtype = graph.tensor(node.outputs[0]).dtype if role == "operand" else "int8"
    grid = qp.activation_qparams_s16 if dtype == "int16" else qp.activation_qparams
    lo, hi = ACT_RANGE[dtype]
    for k, pset in enumerate(node.params):
        t = graph.tensor(pset[role])
        if t.dtype != "float32":
            continue
        scale, zp = grid(float(t.data.min()), float(t.data.max()))
        q = np.array([qp.quantize_value(float(v), scale, zp) for v in t.data.ravel()], np.int64)
        qt = graph.add_const(graph.unique_name(f"{node.name}_{role}"),
                             np.clip(q, lo, hi).astype(dtype).reshape(t.shape), dtype)
        qt.qparams = QParams(scale, zp)
        node.params[k] = {**pset, role: qt.name}


def quantize(graph: Graph) -> Graph:
    _activation_qparams(graph)
    for node in graph.nodes:
        out_q = graph.tensor(node.outputs[0]).qparams
        out_dtype = graph.tensor(node.outputs[0]).dtype
        if node.param("operand") is not None:
            _quantize_operand(graph, node)
        if node.param("alpha") is not None:       # PReLU's slopes: a constant input, like an operand
            _quantize_operand(graph, node, "alpha")
        if node.op == "pad" and isinstance(node.attrs["pad_value"], float):
            lo, hi = ACT_RANGE.get(out_dtype, ACT_RANGE["int8"])
            node.attrs["pad_value"] = min(hi, max(lo, qp.quantize_value(
                node.attrs["pad_value"], out_q.scale[0], int(out_q.zero_point[0]))))
        if "lowbit" in node.attrs:
            quantize_lowbit_node(graph, node)
        elif node.op in MAC_OPS or node.op == "transpose_conv2d":     # transposed conv: the MAC ops' scheme
            _quantize_mac_node(graph, node)
        elif node.op in NORM_OPS:       # the integer layer norms' gamma and beta
            quantize_norm_node(graph, node)
        elif node.op in RECURRENT_OPS:
            quantize_recurrent_node(graph, node)
        if schema(node.op).fusable_activation:
            lo, hi = qp.activation_bounds(node.attrs.get("activation"), out_q.scale[0], int(out_q.zero_point[0]),
                                          "int16" if out_dtype == "int16" else "int8")
            bits = graph.tensor(node.outputs[0]).bits
            if graph.tensor(node.outputs[0]).dtype == "int8" and bits < 8:     # a k-bit ReLU-clip grid: codes 0 .. 2^k - 1
                lo, hi = max(lo, 0), min(hi, 2 ** bits - 1)
            node.attrs["act_min"], node.attrs["act_max"] = lo, hi
        elif node.op == "clamp":
            node.attrs["act_min"], node.attrs["act_max"] = qp.activation_bounds(
                (node.attrs["lo"], node.attrs["hi"]), out_q.scale[0], int(out_q.zero_point[0]),
                "int16" if out_dtype == "int16" else "int8")
    graph.drop_unused_tensors()
    graph.meta["quantized"] = "int8-ptq"
    return graph
