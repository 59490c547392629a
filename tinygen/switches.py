"""Switchable-precision models: one compiled graph per switch, one firmware image.

A switchable model (tinygen.nn switchable layers) is exported and compiled once per
switch: each switch has its own integer weights, folded batch-norm (requantization,
thresholds), kernels, lowering and memory plan, because its activations may even have
another storage type (packed bits against int8). The first switch's graph carries
them all:

    graph.meta["switches"] = [(name, graph), ...]     # highest precision first

and everything that sees a whole model goes through `switch_graphs(graph)` (a plain
model is one unnamed switch). The image holds every switch; `tg_set_switch(k)` picks
one at run time, and the arena is sized for the largest. Lowering a switch's own
arena (passes/lower_peak.py) below the largest other switch's saves no RAM on the
device, so `relax_lowering` compiles such a switch again with that bound as its floor.
"""

from __future__ import annotations

from typing import Callable

from tinygen.errors import ModelError
from tinygen.ir import Graph


def attach(compiled: list[tuple[str, Graph]]) -> Graph:
    """The first switch's graph, carrying every switch's compiled graph."""
    first = compiled[0][1]
    _check_ports(compiled)
    first.meta["switches"] = list(compiled)
    return first


def switch_graphs(graph: Graph) -> list[tuple[str, Graph]]:
    """(name, graph) per switch; a plain model is one switch named ""."""
    return list(graph.meta.get("switches") or [("", graph)])


def is_switchable(graph: Graph) -> bool:
    return bool(graph.meta.get("switches"))


def arena_size(graph: Graph) -> int:
    """The arena every switch fits in: the largest switch's."""
    return max(g.meta["memory"].arena_size for _, g in switch_graphs(graph))


def lowering_bound(compiled: list[tuple[str, Graph]], k: int) -> int:
    """The arena the image needs whatever switch k does: the largest other switch's (0 alone).
    Lowering switch k's arena below it saves no RAM (passes/lower_peak.py's floor)."""
    return max((g.meta["memory"].arena_size for i, (_, g) in enumerate(compiled) if i != k), default=0)


def relax_lowering(compiled: list[tuple[str, Graph]], recompile: Callable[[int, int], Graph],
                   below: bool = False) -> list[tuple[str, Graph]]:
    """Every switch whose lower_peak went below `lowering_bound` (kernels swapped for arena
    the image needs anyway) compiled again by `recompile(k, bound)` (lower_peak with that
    floor), kept where its arena stays within the bound: the image's arena (the largest
    switch's, whose lowering all counts) is unchanged, the relaxed switches keep their
    faster kernels. The bounds come from the fully lowered switches: deterministic.
    `below`: also every switch whose arena is under its bound (--kernels auto, whose choice
    was measured under full lowering: a kernel lowered away in a measuring build was not
    measured there)."""
    bounds = [lowering_bound(compiled, k) for k in range(len(compiled))]
    out = list(compiled)
    for k, ((name, g), bound) in enumerate(zip(compiled, bounds)):
        lowered = any(c["arena_after"] < bound for c in g.meta.get("lower_peak", []))
        if not (lowered or (below and g.meta["memory"].arena_size < bound)):
            continue
        again = recompile(k, bound)
        if again.meta["memory"].arena_size <= bound:
            out[k] = (name, again)
    return out


def find(graph: Graph, switch: str | int) -> tuple[int, str, Graph]:
    """A switch by name or index."""
    graphs = switch_graphs(graph)
    names = [n for n, _ in graphs]
    if isinstance(switch, int) or (isinstance(switch, str) and switch.isdigit()):
        k = int(switch)
        if 0 <= k < len(graphs):
            return k, graphs[k][0], graphs[k][1]
    elif switch in names:
        k = names.index(switch)
        return k, names[k], graphs[k][1]
    raise ModelError(f"the model has no switch {switch!r}",
                     hint=f"use one of {', '.join(names) if any(names) else '0'} (or its index), or all")


def _check_ports(compiled: list[tuple[str, Graph]]) -> None:
    """Every switch reads and writes the same buffers' shapes: one input buffer, one
    output layout, whichever switch runs."""
    ref_name, ref = compiled[0]
    for name, g in compiled[1:]:
        for kind in ("inputs", "outputs"):
            a = [(ref.tensor(t).shape, ref.tensor(t).dtype) for t in getattr(ref, kind)]
            b = [(g.tensor(t).shape, g.tensor(t).dtype) for t in getattr(g, kind)]
            if a != b:
                raise ModelError(f"switch {name!r} has {kind} {b}, switch {ref_name!r} has {a}",
                                 hint="every switch must take the same int8 input and give the same "
                                      "outputs: keep the first and last layers' quantizers int8 in all switches")


__all__ = ["arena_size", "attach", "find", "is_switchable", "lowering_bound", "relax_lowering", "switch_graphs"]
