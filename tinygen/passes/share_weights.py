"""Weight sharing (--weights lut:BITS[:tensor|channel], issue 73): every MAC layer's int8
weights (convolution, depthwise convolution, fully connected, and a convolution with a fused
residual add) clustered into 2**BITS int8 values per tensor or per output channel
(tinygen.quant.share), chosen to minimise the layer's output error on the calibration set.

Runs on the quantized graph just before the kernels are chosen. Each layer's importance per
input position is the second moment of its calibration input there (the int8 reference
interpreter's values, minus the zero point: exact integers), times its channel's squared weight
scale. The weight tensor gets its Codebook (source "cluster") and its data becomes the decoded
weights, so the reference and every int8 kernel compute the shared-weight model; the LUT
kernels (tinygen/kernels/lut_table.py) store it packed. A layer whose weights already have at
most 2**BITS values per group is stored exactly. A weight tensor that already carries a codebook
(a TFLite Micro compressed model's, tinygen.nn's) keeps it. Layers with low-bit weight formats
are left alone.

graph.meta["share_weights"] records, per layer, the bits, tables and bytes, and for the model
the cost: the reference's outputs with shared weights against int8 on the same samples
(`agreement`: the fraction whose top-1 class is the same; `mean_abs_lsb` / `max_abs_lsb`: the
output's difference in its LSB). Without calibration data (an imported int8 model built
without --calib) the samples are random int8 inputs, and the record says so.
"""

from __future__ import annotations

import numpy as np

from tinygen.ir import Graph
from tinygen.kernels.lut_table import OUT_AXIS
from tinygen.passes.choose_kernels import choose_kernels
from tinygen.quant.share import CHANNEL_ONE, IMPORTANCE_ONE, integer_weights, output_error, share
from tinygen.ref.interpreter import quantize_input, run

MAX_SAMPLES = 32        # calibration samples run through the reference (evenly spread over the set)
RANDOM_SAMPLES = 8      # random int8 inputs where there is no calibration data
RANDOM_SEED = 73


def _targets(graph: Graph) -> dict[str, list]:
    """Weight tensor -> the MAC nodes reading it, for the layers to cluster."""
    found: dict[str, list] = {}
    for node in graph.nodes:
        name = node.param("weight") if node.params else None
        if node.op not in OUT_AXIS or name is None or "weight_format" in node.attrs:
            continue
        t = graph.tensor(name)
        if t.dtype == "int8" and t.bits == 8 and t.codebook is None:
            found.setdefault(name, []).append(node)
    return found


def _samples(graph: Graph, calib_data) -> tuple[list[list[np.ndarray]], str]:
    """Int8 input samples (one list of graph inputs each) and where they came from."""
    if calib_data is None:
        rng = np.random.default_rng(RANDOM_SEED)
        return [[rng.integers(-128, 128, graph.tensor(name).shape).astype(graph.tensor(name).np_dtype)
                 for name in graph.inputs] for _ in range(RANDOM_SAMPLES)], "random int8 inputs"
    feeds = calib_data if isinstance(calib_data, dict) else {graph.inputs[0]: calib_data}
    n = int(np.shape(feeds[graph.inputs[0]])[0])
    picks = np.unique(np.linspace(0, n - 1, min(n, MAX_SAMPLES)).astype(np.int64))
    return [[quantize_input(graph, np.asarray(feeds[name])[i:i + 1], k) for k, name in enumerate(graph.inputs)]
            for i in picks], "calibration set"


def _reference(graph: Graph, samples) -> list[dict[str, np.ndarray]]:
    """Every tensor's int8 values per sample, on a copy with portable kernels."""
    g = choose_kernels(graph.copy())
    return [run(g, xs if len(xs) > 1 else xs[0], keep_all=True) for xs in samples]


def _importance(graph: Graph, node, values) -> np.ndarray:
    """Integer importance of each weight position (broadcastable to the weight's shape)."""
    x = graph.tensor(node.inputs[0])
    zp = int(x.qparams.zero_point[0]) if x.qparams is not None else 0
    moment = np.zeros(x.shape[-1], np.int64)
    for v in values:
        centred = v[node.inputs[0]].astype(np.int64).reshape(-1, x.shape[-1]) - zp
        moment += np.sum(centred * centred, axis=0)
    imp = integer_weights(moment, IMPORTANCE_ONE)
    w = graph.tensor(node.param("weight"))
    axis = OUT_AXIS[node.op]
    if node.op == "depthwise_conv2d":       # output channel ic * multiplier + m reads input channel ic
        imp = np.repeat(imp, w.shape[axis] // imp.size)
        shape = [1] * w.data.ndim
        shape[axis] = -1
        imp = imp.reshape(shape)
    if w.qparams is not None and w.qparams.per_channel:
        scale = w.qparams.scale.astype(np.float64)
        shape = [1] * w.data.ndim
        shape[axis] = -1
        imp = imp * integer_weights(scale * scale, CHANNEL_ONE).reshape(shape)
    return imp


def _agreement(before: list[dict], after: list[dict], outputs: list[str]) -> dict:
    """Top-1 agreement and the outputs' difference in LSB, shared weights against int8."""
    same, diffs = 0, []
    for b, a in zip(before, after):
        same += all(int(np.argmax(b[o])) == int(np.argmax(a[o])) for o in outputs)
        diffs += [np.abs(b[o].astype(np.int64) - a[o].astype(np.int64)).reshape(-1) for o in outputs]
    d = np.concatenate(diffs) if diffs else np.zeros(1, np.int64)
    return {"agreement": same / max(1, len(before)), "mean_abs_lsb": float(d.mean()), "max_abs_lsb": int(d.max())}


def share_weights(graph: Graph, calib_data, bits: int, axis: str = "channel") -> Graph:
    targets = _targets(graph)
    record = {"spec": f"lut:{bits}:{axis}", "layers": [], "kept": [], "int8": []}
    record["kept"] = sorted(n.name for n in graph.nodes if n.op in OUT_AXIS and n.params and n.param("weight")
                            and graph.tensor(n.param("weight")).codebook is not None)
    if not targets:
        graph.meta["share_weights"] = record
        return graph
    samples, origin = _samples(graph, calib_data)
    before = _reference(graph, samples)
    for name, nodes in targets.items():
        node, t = nodes[0], graph.tensor(name)
        imp = _importance(graph, node, before)
        cb = share(t.data, imp, bits, OUT_AXIS[node.op] if axis == "channel" else None)
        grouping = axis
        if cb.packed_bytes() >= t.size and axis == "channel":
            # per-channel tables outweighing the weights (a depthwise layer's few taps per
            # channel): one table for the tensor
            cb, grouping = share(t.data, imp, bits, None), "tensor"
        if cb.packed_bytes() >= t.size:         # no smaller than int8: stays int8
            record["int8"].append(node.name)
            continue
        record["layers"].append({
            "layer": node.name, "weight": name, "elements": int(t.size), "tables": int(cb.values.shape[0]), "grouping": grouping,
            "exact": bool(np.array_equal(cb.decode(), t.data)),
            "int8_bytes": int(t.size), "packed_bytes": cb.packed_bytes(),
            "error": output_error(t.data, cb, imp)})
        t.codebook, t.data = cb, cb.decode().astype(np.int8)
    outputs = list(graph.outputs)
    after = _reference(graph, samples)
    record.update(samples=len(samples), inputs=origin, **_agreement(before, after, outputs))
    graph.meta["share_weights"] = record
    return graph


__all__ = ["MAX_SAMPLES", "share_weights"]
