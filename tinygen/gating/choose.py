"""Per-exit thresholds for an early-exit model, chosen on a validation split with the host
reference (no device): the reference gives every head's int8 probabilities for every input,
so which exit answers and whether it is right follow for any thresholds, and each exit's
cost (instructions up to and including that head's check) is measured once. The choice is
the cheapest mean cost whose validation accuracy reaches a floor; the chosen point is then
measured on the device like any other (tinygen.gating.sweep.at(graph, "exit", thresholds))."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from tinygen.errors import UsageError
from tinygen.ir import Graph
from tinygen.ref.interpreter import run

CODES = np.arange(-128, 129)      # a head answers when its largest int8 probability >= code; 128: never


@dataclass(frozen=True)
class Heads:
    """Per input (rows) and head (columns): the largest int8 probability and the class it picks."""
    top: np.ndarray
    pred: np.ndarray


def heads(graph: Graph, inputs) -> Heads:
    """Every head's answer for every quantized input, by the reference (all heads run)."""
    node = next((n for n in graph.nodes if n.op == "exit_select"), None)
    if node is None:
        raise UsageError("the model has no early exits", "choose thresholds for EarlyExit models")
    top, pred = [], []
    for x in inputs:
        values = run(graph, x, keep_all=True)
        probs = [np.asarray(values[t], dtype=np.int64).reshape(-1) for t in node.inputs]
        top.append([int(p.max()) for p in probs])
        pred.append([int(p.argmax()) for p in probs])
    return Heads(np.asarray(top), np.asarray(pred))


def answered(top: np.ndarray, codes) -> np.ndarray:
    """The exit each input takes at threshold codes (one per early head): the first head whose
    largest probability reaches its code, else the last (tinygen.ref.gating.exit_index)."""
    exit_ = np.full(len(top), len(codes))
    for k in reversed(range(len(codes))):
        exit_ = np.where(top[:, k] >= codes[k], k, exit_)
    return exit_


def evaluate(h: Heads, labels, costs, codes) -> tuple[float, float]:
    """(accuracy, mean cost) at threshold codes."""
    exit_ = answered(h.top, codes)
    right = h.pred[np.arange(len(exit_)), exit_] == np.asarray(labels)
    return float(right.mean()), float(np.asarray(costs, dtype=float)[exit_].mean())


def choose(h: Heads, labels, costs, min_accuracy: float) -> tuple[tuple[float, ...], float, float]:
    """The thresholds (as probabilities, exact for the int8 codes) with the lowest mean cost
    whose accuracy on these inputs is at least min_accuracy, with that accuracy and cost.
    Searches every combination of codes (one or two early heads: 257 or 257^2 points)."""
    early = h.top.shape[1] - 1
    if early not in (1, 2) or len(costs) != early + 1:
        raise UsageError(f"choose searches one or two early exits, one cost per exit; got {early} "
                         f"early exits and {len(costs)} costs", "give one cost per head, last head included")
    best = None
    for codes in itertools.product(CODES.tolist(), repeat=early):
        acc, cost = evaluate(h, labels, costs, codes)
        if acc >= min_accuracy and (best is None or cost < best[2]):
            best = (codes, acc, cost)
    if best is None:
        raise UsageError(f"no thresholds reach accuracy {min_accuracy}", "lower the floor")
    codes, acc, cost = best
    return tuple((c + 128) / 256 for c in codes), acc, cost
