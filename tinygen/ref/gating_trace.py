"""What a dynamic model did for one input, by the reference: which exit answered and how
many channels each gate kept (-1: the gate did not run, an earlier exit answered). The
device reports the same through `tg dyn` (tg_model_exit, tg_model_gate_kept); a
difference is a bug, as any output byte that differs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinygen.ref.gating import exit_index
from tinygen.ir import Graph


@dataclass(frozen=True)
class Trace:
    exit: int
    kept: tuple[int, ...]


def gates(graph: Graph) -> list:
    """The gate nodes, in the order the generated code numbers them."""
    return [n for n in graph.nodes if n.op == "channel_gate"]


def is_dynamic(graph: Graph) -> bool:
    return any(n.op in ("channel_gate", "exit_select") for n in graph.nodes)


def gate_channels(graph: Graph) -> list[int]:
    return [graph.tensor(n.outputs[0]).shape[-1] for n in gates(graph)]


def trace(graph: Graph, values: dict[str, np.ndarray]) -> Trace:
    """The trace of one reference run (ref.interpreter.run(..., keep_all=True)'s values)."""
    order = {n.name: i for i, n in enumerate(graph.nodes)}
    stop, answered = len(graph.nodes), 0
    for node in (n for n in graph.nodes if n.op == "exit_select"):
        probs = [values[t] for t in node.inputs]
        answered = exit_index(node.attrs["kparams"], *probs)
        if answered < len(node.inputs) - 1:       # the code returns right after that head
            stop = order[graph.producer(node.inputs[answered]).name]
    kept = []
    for node in gates(graph):
        zp = int(graph.tensor(node.outputs[0]).qparams.zero_point[0])
        kept.append(int(np.count_nonzero(values[node.outputs[0]] != zp)) if order[node.name] < stop else -1)
    return Trace(answered, tuple(kept))
