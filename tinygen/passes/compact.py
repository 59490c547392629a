"""Structured compaction of pruned layers, on the quantized integer graph.

An output channel of a conv / depthwise conv / fully connected layer whose integer
weights are all zero does not depend on the input: after requantization it is a
per-channel constant q_c (its bias, requantized and clamped). This pass removes such
channels where that is exact, and the input channels of the layers that read them.

Channels are tracked as (tensor, channel) pairs. Ops that keep channels apart link the
pairs of their inputs and output into one group: pooling, clamp, reshape (element i of
a tensor with C channels is channel i % C, before and after; a flatten from NHWC
keeps that), an add of two activations, a concatenation along the channels (channel
offsets), a depthwise conv with depth multiplier 1. A group is removed, in every
tensor it spans at once, only if:

- every member is a known constant: an all-zero output channel of a MAC layer, or the
  constant a linked op computes from constant inputs (a pool keeps it; a clamp clamps
  it; an add of inputs all at their zero point gives its output zero point, clamped;
  a depthwise channel of a constant input is a constant where the layer has no padding
  or the input is its zero point). So across a residual add a channel goes only where
  it goes in ALL branches: the union of the kept channels is kept, and a producer keeps
  a zeroed channel a sibling branch needs (computing its constant);
- no member is a graph input or output, or a packed binary tensor;
- every other reader of a member is a conv2d or fully connected layer (not binary):
  where q_c equals the input zero point the channel reads as real zero everywhere
  (padding holds the zero point too) and just drops out; otherwise its contribution is
  the same at every output pixel only if every tap reads a real pixel, i.e. the conv has
  no padding (an FC never has any), and it is folded exactly into the layer's int32 bias
  (acc += sum over taps W[o, :, :, c] * (q_c - zp)), or its binary thresholds
  (T -= the same), where that cannot overflow int32. Any other reader keeps the channel.

A tensor always keeps at least one channel. Layers with several parameter sets
(switchable precision) and binary layers (packed weights or activations) are left as
they are. Removing channel c drops output row c of its producer's weights, bias,
multipliers, shifts, thresholds and per-channel weight scales, and input column c
(conv: the I axis of OHWI; FC: every feature f with f % C == c) of its readers.
What was removed is recorded in graph.meta["compact"]; a layer or block replaced by
nn.Identity needs nothing here: torch.export leaves no node for it.

An all-zero output channel that stays (a reader needs it) keeps its constant q_c, with a
requantization of its own: bias 4 * (q_c - output zero point), multiplier 2^30, shift -1
give q_c exactly (acc = bias; the double rounding halves twice, exactly), where the
original may hold a bias near 2^30 and a shift of -30 (VWW's int8 model has such channels
in 8 pointwise layers), which takes the whole layer off the DSP kernels' bounded
requantization (tinygen.kernels.specialize.requant_bounded). graph.meta["compact"]
["constant_channels"] counts them.
"""

from __future__ import annotations

import numpy as np

from tinygen.passes.analysis import layer_stats
from tinygen.ir import MAC_OPS, Graph, Node, QParams
from tinygen.ref.kernels import fully_connected_s8
from tinygen.quant.spec import INT32_MAX, WEIGHT_CHANNEL_AXIS

NOT_CONST = np.iinfo(np.int64).min          # a channel that is not a known constant
_PER_CHANNEL = ("bias", "multiplier", "shift", "threshold")


class _Groups:
    """Union-find over (tensor, channel) pairs."""

    def __init__(self):
        self.parent: dict = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b) -> None:
        self.parent[self.find(a)] = self.find(b)


def _zp(graph: Graph, name: str) -> int:
    return int(graph.tensor(name).qparams.zero_point[0])


def _plain(graph: Graph, node: Node) -> bool:
    """A MAC layer this pass may edit: one parameter set, unpacked integer weights, no
    packed binary tensors."""
    return (node.op in MAC_OPS and len(node.params) == 1 and "weight_shape" not in node.attrs
            and node.attrs.get("weight_format", "int8") != "b1"
            and all(graph.tensor(t).dtype == "int8" for t in node.inputs))


def _requant(graph: Graph, node: Node, acc: np.ndarray) -> np.ndarray:
    """The layer's int8 outputs for given per-channel accumulators (before the bias),
    through the kernel twin itself."""
    p = {"rows": 1, "in_features": 1, "out_features": acc.size, "input_offset": 0,
         "output_offset": _zp(graph, node.outputs[0]),
         "act_min": int(node.attrs["act_min"]), "act_max": int(node.attrs["act_max"])}
    return fully_connected_s8(p, np.ones((1, 1)), acc.reshape(-1, 1), graph.const(node, "bias"),
                              graph.const(node, "multiplier"), graph.const(node, "shift")).ravel()


def _links(graph: Graph, node: Node, chans: dict[str, int]):
    """[(input, output, channel offset)] for an op that keeps channels apart, else None."""
    x, y = node.inputs, node.outputs[0]
    if any(t not in chans for t in x):
        return None
    shape = graph.tensor(y).shape
    if node.op in ("max_pool2d", "avg_pool2d", "clamp") or (
            node.op == "depthwise_conv2d" and node.attrs.get("depth_multiplier", 1) == 1
            and _plain(graph, node)):
        return [(x[0], y, 0)] if chans[x[0]] == shape[-1] else None
    if node.op == "reshape":
        return [(x[0], y, 0)] if shape and shape[-1] % chans[x[0]] == 0 else None
    if node.op == "add" and len(x) == 2 and node.param("operand") is None:
        return [(t, y, 0) for t in x] if all(chans[t] == shape[-1] for t in x) else None
    if node.op == "concat" and node.attrs["axis"] == len(shape) - 1:
        offsets = np.cumsum([0] + [chans[t] for t in x])
        if any(chans[t] != graph.tensor(t).shape[-1] for t in x):
            return None
        return [(t, y, int(off)) for t, off in zip(x, offsets)]
    return None


def _constants(graph: Graph, node: Node, chans, const) -> np.ndarray:
    """Per output channel the constant the node computes, or NOT_CONST."""
    y = node.outputs[0]
    out = np.full(chans[y], NOT_CONST, np.int64)
    if node.op in ("conv2d", "fully_connected") and _plain(graph, node) and graph.tensor(y).dtype == "int8":
        w = graph.const(node, "weight").reshape(chans[y], -1)
        zero = ~w.any(axis=1)
        out[zero] = _requant(graph, node, np.zeros(chans[y], np.int64))[zero]
        return out
    links = _links(graph, node, chans)
    if links is None:
        return out
    src = node.inputs[0]
    q = const[src]
    if node.op == "depthwise_conv2d":
        w = graph.const(node, "weight").astype(np.int64).reshape(-1, chans[y])
        usable = (q != NOT_CONST) & ((q == _zp(graph, src)) | (not any(node.attrs["padding"])))
        acc = w.sum(axis=0) * np.where(usable, q - _zp(graph, src), 0)
        known = usable | ~w.any(axis=0)
        out[known] = _requant(graph, node, acc)[known]
    elif node.op in ("max_pool2d", "reshape"):
        out = q.copy()
    elif node.op == "avg_pool2d":
        exact = not (node.attrs.get("count_include_pad") and any(node.attrs["padding"]))
        out = np.where(exact | (q == _zp(graph, src)), q, NOT_CONST)
    elif node.op == "clamp":
        out = np.where(q != NOT_CONST, np.clip(q, node.attrs["act_min"], node.attrs["act_max"]), NOT_CONST)
    elif node.op == "add":
        zero = np.logical_and.reduce([const[t] == _zp(graph, t) for t in node.inputs])
        value = min(max(_zp(graph, y), node.attrs["act_min"]), node.attrs["act_max"])
        out[zero] = value
    elif node.op == "concat":
        out = np.concatenate([const[t] for t in node.inputs])
    return out


def _fold_limit_ok(graph: Graph, node: Node, chans_in: int) -> bool:
    """Folding any input channels into this layer's bias / thresholds stays within int32."""
    w = graph.const(node, "weight")
    taps = w.size // w.shape[0]
    base = max((int(np.max(np.abs(graph.const(node, r).astype(np.int64)), initial=0))
                for r in ("bias", "threshold") if node.param(r)), default=0)
    return base + int(np.max(np.abs(w), initial=0)) * 255 * taps < INT32_MAX


def _reader_ok(graph: Graph, node: Node, tensor: str, q: int, linked: bool) -> bool:
    if linked:
        return True
    if node.op not in ("conv2d", "fully_connected") or not _plain(graph, node):
        return False
    if q == _zp(graph, tensor):
        return True
    if node.op == "conv2d" and any(node.attrs["padding"]):
        return False
    return _fold_limit_ok(graph, node, graph.tensor(tensor).shape[-1])


def _channels(graph: Graph, tensor: str) -> int:
    """A tensor's channels: its last axis, 1 for a scalar (a shift the signal library passes on)."""
    shape = graph.tensor(tensor).shape
    return shape[-1] if shape else 1


def _plan(graph: Graph) -> tuple[dict[str, int], dict[str, np.ndarray], dict[str, set[int]]]:
    """Channel counts, constants, and the channels to remove per tensor."""
    chans: dict[str, int] = {}
    const: dict[str, np.ndarray] = {}
    groups = _Groups()
    linked_by: dict[str, set[str]] = {}      # tensor -> nodes linking it to their output
    for t in graph.inputs:
        chans[t] = _channels(graph, t)
        const[t] = np.full(chans[t], NOT_CONST, np.int64)
    for node in graph.nodes:
        y = node.outputs[0]
        links = _links(graph, node, chans)
        chans[y] = chans[links[0][0]] if links and node.op == "reshape" else _channels(graph, y)
        const[y] = _constants(graph, node, chans, const)
        for src, _, off in links or []:
            linked_by.setdefault(src, set()).add(node.name)
            for c in range(chans[src]):
                groups.union((src, c), (y, off + c))
    members: dict = {}
    for t, n in chans.items():
        for c in range(n):
            members.setdefault(groups.find((t, c)), []).append((t, c))
    removable = []
    for group in members.values():
        if all(_member_ok(graph, t, c, const[t][c], linked_by.get(t, set())) for t, c in group):
            removable.append(group)
    return chans, const, _keep_one(chans, removable)


def _member_ok(graph: Graph, t: str, c: int, q: int, linked: set[str]) -> bool:
    tensor = graph.tensor(t)
    if q == NOT_CONST or t in graph.inputs or t in graph.outputs or tensor.dtype != "int8":
        return False
    return all(_reader_ok(graph, n, t, int(q), n.name in linked) for n in graph.consumers(t))


def _keep_one(chans: dict[str, int], groups: list) -> dict[str, set[int]]:
    """Channels to remove per tensor, keeping at least one channel in every tensor."""
    while True:
        removed: dict[str, set[int]] = {}
        for group in groups:
            for t, c in group:
                removed.setdefault(t, set()).add(c)
        full = next((t for t, r in removed.items() if len(r) == chans[t]), None)
        if full is None:
            return removed
        groups = [g for g in groups if (full, min(removed[full])) not in g]


def _set_const(graph: Graph, node: Node, role: str, data: np.ndarray, dtype: str | None = None) -> None:
    """Give the node's `role` constant new data (a fresh tensor: weights may be shared)."""
    old = graph.tensor(node.param(role)) if node.param(role) else None
    new = graph.add_const(graph.unique_name(f"{node.name}_{role}_c"), np.ascontiguousarray(data),
                          dtype or (old.dtype if old is not None else None))
    if old is not None:
        new.bits, new.qparams = old.bits, old.qparams
    node.set_param(role, new.name)


def _drop_outputs(graph: Graph, node: Node, keep: np.ndarray) -> None:
    axis = WEIGHT_CHANNEL_AXIS[node.op]
    w = graph.tensor(node.param("weight"))
    _set_const(graph, node, "weight", np.take(w.data, keep, axis=axis))
    q = w.qparams
    if q is not None and q.per_channel and q.scale.size > 1:
        graph.tensor(node.param("weight")).qparams = QParams(q.scale[keep], q.zero_point[keep], q.axis)
    for role in _PER_CHANNEL:
        if node.param(role):
            _set_const(graph, node, role, graph.const(node, role)[keep])


def _drop_inputs(graph: Graph, node: Node, chans: int, removed: set[int], q: np.ndarray, zp: int) -> None:
    """Fold removed input channels' constant contributions, then drop their columns (the
    last weight axis: a conv's I, an FC's features; column j is channel j % chans)."""
    w = graph.const(node, "weight")
    out_c, last = w.shape[0], w.shape[-1]
    cols = w.reshape(out_c, -1, last).astype(np.int64)
    channel = np.arange(last) % chans
    gone = np.isin(channel, sorted(removed))
    delta = (cols[:, :, gone] * (q[channel[gone]] - zp)).sum(axis=(1, 2))
    if delta.any():
        if node.param("threshold"):
            _set_const(graph, node, "threshold", (graph.const(node, "threshold") - delta).astype(np.int32))
        else:
            bias = graph.const(node, "bias")
            bias = np.zeros(out_c, np.int64) if bias is None else bias.astype(np.int64)
            _set_const(graph, node, "bias", (bias + delta).astype(np.int32), "int32")
    _set_const(graph, node, "weight", w.reshape(out_c, -1, last)[:, :, ~gone].reshape(w.shape[:-1] + (-1,)))


def _node_records(graph: Graph) -> dict[str, tuple[int, int, int]]:
    return {s.name: (s.output_shape[-1], s.params, s.macs) for s in layer_stats(graph) if s.op in MAC_OPS}


def _canonical_constants(graph: Graph, node: Node) -> int:
    """The kept all-zero output channels of a conv / FC layer given the small requantization
    that yields the same constant (module docstring); how many there were."""
    if node.op not in ("conv2d", "fully_connected") or not _plain(graph, node) or node.param("bias") is None \
            or graph.tensor(node.outputs[0]).dtype != "int8":
        return 0
    out_c = graph.tensor(node.param("weight")).shape[0]
    zero = ~graph.const(node, "weight").reshape(out_c, -1).any(axis=1)
    consts = {role: graph.const(node, role).astype(np.int64).copy() for role in ("bias", "multiplier", "shift")}
    if not zero.any() or any(v.shape != (out_c,) for v in consts.values()):
        return 0
    q = _requant(graph, node, np.zeros(out_c, np.int64))
    consts["bias"][zero] = 4 * (q[zero].astype(np.int64) - _zp(graph, node.outputs[0]))
    consts["multiplier"][zero] = 1 << 30
    consts["shift"][zero] = -1
    for role, data in consts.items():
        _set_const(graph, node, role, data.astype(graph.tensor(node.param(role)).dtype))
    assert np.array_equal(_requant(graph, node, np.zeros(out_c, np.int64)), q)
    return int(zero.sum())


def compact(graph: Graph) -> Graph:
    before = _node_records(graph)
    chans, const, removed = _plan(graph)
    for node in graph.nodes:
        y = node.outputs[0]
        if node.op in MAC_OPS and removed.get(y):
            _drop_outputs(graph, node, np.array([c for c in range(chans[y]) if c not in removed[y]]))
        if node.op in ("conv2d", "fully_connected"):
            x = node.inputs[0]
            if removed.get(x):
                _drop_inputs(graph, node, chans[x], removed[x], const[x], _zp(graph, x))
    for t, r in removed.items():
        tensor = graph.tensor(t)
        last = tensor.shape[-1] // chans[t] * (chans[t] - len(r))
        tensor.shape = tensor.shape[:-1] + (last,)
    canonical = sum(_canonical_constants(graph, node) for node in graph.nodes)
    graph.drop_unused_tensors()
    after = _node_records(graph)
    layers = [{"layer": name, "channels": [b[0], after[name][0]], "params": [b[1], after[name][1]],
               "macs": [b[2], after[name][2]]} for name, b in before.items() if b != after[name]]
    graph.meta["compact"] = {
        "removed_channels": sum(len(r) for t, r in removed.items() if graph.producer(t) is not None
                                and graph.producer(t).op in MAC_OPS),
        "params": [sum(b[1] for b in before.values()), sum(a[1] for a in after.values())],
        "macs": [sum(b[2] for b in before.values()), sum(a[2] for a in after.values())],
        "layers": layers,
        "constant_channels": canonical,
    }
    return graph
