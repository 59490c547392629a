"""The PyTorch importer's handlers for recurrent layers: nn.LSTM (aten.lstm.input) and nn.GRU
(aten.gru.input), batch-first or not, one or more layers, h0 / c0 zero, constant or model
inputs; and aten.select.int, which folds `y[:, -1]` on a recurrent layer's sequence into a
layer that keeps only its last step (the sequence is then never stored).

Each layer becomes one IR node (tinygen/ir/ops.py "lstm" / "gru") over a [B, T, I] tensor in
torch's element order, batch first; its output is [B, T, H] (every step) or [B, H].
"""

from __future__ import annotations

import numpy as np

from tinygen.frontend import torch_simple as simple
from tinygen.frontend.torch_values import TORCH, _Const

# per layer: the parameter tensors of aten.lstm.input / aten.gru.input with biases
_PER_LAYER = 4
_GATES = {"lstm": 4, "gru": 3}


def _sequence_producers(im) -> dict:
    """Torch values that are a recurrent layer's whole sequence -> (node name, time axis)."""
    if not hasattr(im, "recurrent_sequences"):
        im.recurrent_sequences = {}
    return im.recurrent_sequences


def _states(im, hx, layers: int, hidden: int, what: str) -> list:
    """One initial state per layer: None (zeros), a float array [B, H] (a constant), or an IR
    tensor name holding [B, H] (a model input; one layer only)."""
    if hx is None:
        return [None] * layers
    if isinstance(hx, _Const):
        data = im._const(hx, what)
        data = data.reshape(layers, -1, hidden)
        return [None if not np.any(d) else d for d in data]
    x = im._act(hx, what)
    if layers != 1:
        raise im._unsupported(f"{what} as a model input with {layers} layers; give each layer its own "
                              "nn.LSTM / nn.GRU, or make the initial state a constant")
    name = im.to_torch_order(x)
    batches = int(np.prod(x.tshape)) // hidden
    if im.graph.tensor(name).shape != (batches, hidden):
        name = im._emit("reshape", "reshape", [name], (batches, hidden))
    return [name]


def _layer(im, op: str, x_name: str, weights: list, h0, c0, sequence: bool) -> tuple[str, int]:
    w_ih, w_hh, b_ih, b_hh = weights
    hidden = w_hh.shape[1]
    batches, steps, _ = im.graph.tensor(x_name).shape
    if op == "lstm":
        params = {"w_ih": w_ih, "w_hh": w_hh, "bias": b_ih + b_hh}
    else:
        params = {"w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh}
    if op == "lstm" and isinstance(h0, str) != isinstance(c0, str):
        raise im._unsupported("one of h0, c0 is a model input and the other a constant; make both "
                              "inputs or both constants")
    inputs = [x_name]
    for role, init in (("h0", h0), ("c0", c0)):
        if isinstance(init, str):
            inputs.append(init)
        elif init is not None:
            params[role] = init
    out = (batches, steps, hidden) if sequence else (batches, hidden)
    attrs = {"hidden": hidden, "sequence": sequence, "stateful": False}
    return im._emit(op, op, inputs, out, attrs, params), hidden


def recurrent(op: str):
    """nn.LSTM (op "lstm") / nn.GRU ("gru"): one IR node per layer, chained."""
    def handler(im, a: dict, node):
        if a.get("bidirectional"):
            raise im._unsupported("a bidirectional layer; tinygen runs unidirectional LSTM / GRU layers")
        if a.get("train"):
            raise im._unsupported("a layer in training mode; call model.eval() before exporting")
        x = im.act_in(a["input"], TORCH)        # a sequence, in torch's order
        layers = int(a["num_layers"])
        flat = [im._const(p, "weight") for p in a["params"]]
        if not a["has_biases"]:
            flat = [w for k in range(layers) for w in flat[2 * k:2 * k + 2] + [None, None]]
        if len(flat) != _PER_LAYER * layers:
            raise im._unsupported("an LSTM with proj_size; project with a Linear layer after it instead")
        if len(x.tshape) != 3:
            raise im._unsupported(f"a {op.upper()} over a {len(x.tshape)}-D input; it takes [B, T, features]")
        batch_first = bool(a["batch_first"])
        steps = x.tshape[1] if batch_first else x.tshape[0]
        batches = x.tshape[0] if batch_first else x.tshape[1]
        if batches != 1:
            raise im._unsupported(f"a batch of {batches}; tinygen compiles batch 1")
        src = im.to_torch_order(x)
        if im.graph.tensor(src).shape != (1, steps, x.tshape[2]):
            src = im._emit("reshape", "reshape", [src], (1, steps, x.tshape[2]))
        hx = a["hx"]
        h_all = hx[0] if op == "lstm" else hx
        c_all = hx[1] if op == "lstm" else None
        hidden = flat[1].shape[1]
        hs = _states(im, h_all, layers, hidden, "h0")
        cs = _states(im, c_all, layers, hidden, "c0") if op == "lstm" else [None] * layers
        cur = src
        for k in range(layers):
            w = flat[_PER_LAYER * k:_PER_LAYER * (k + 1)]
            gates = _GATES[op] * hidden
            w = [w[0], w[1], np.zeros(gates, np.float32) if w[2] is None else w[2],
                 np.zeros(gates, np.float32) if w[3] is None else w[3]]
            cur, _ = _layer(im, op, cur, w, hs[k], cs[k], sequence=True)
        out_t = (1, steps, hidden) if batch_first else (steps, 1, hidden)
        seq = im.from_torch_order(cur, out_t, TORCH)
        layer = im.graph.producer(cur).name
        _sequence_producers(im)[seq.name] = (layer, 1 if batch_first else 0)
        last = _last_step(im, layer)
        h_n = im.from_torch_order(last, (1, 1, hidden)) if layers == 1 else None
        return [seq, h_n, None] if op == "lstm" else [seq, h_n]
    return handler


def _last_step(im, node_name: str) -> str:
    """A copy of recurrent node `node_name` that keeps only its last step: [B, H]. Unused, the
    importer prunes it; used alone, the sequence node is pruned instead."""
    node = im.graph.node(node_name)
    batches, _, hidden = im.graph.tensor(node.outputs[0]).shape
    params = {role: im.graph.tensor(name).data for role, name in node.params[0].items()}
    attrs = {**node.attrs, "sequence": False}
    return im._emit(node.op, node.op, list(node.inputs), (batches, hidden), attrs, params)


def select(im, a: dict, node):
    """x.select(dim, index) (x[:, i]): on a recurrent layer's sequence at its last step, the layer's
    last step itself; elsewhere torch_simple.select (a one-element slice without its axis)."""
    x = im.act_any(a["self"])
    dim = int(a["dim"]) % len(x.tshape)
    n = x.tshape[dim]
    producer = _sequence_producers(im).get(x.name)
    if producer is not None and producer[1] == dim and int(a["index"]) in (n - 1, -1):
        return im.from_torch_order(_last_step(im, producer[0]), tuple(int(d) for d in node.meta["val"].shape))
    return simple.select(im, a, node)
