"""Fit first for a switchable-precision model: the RAM trade and the mixed (nested) storage.

    graph = fit_switches(source, calib, options, board, graph, progress)   # as tinygen.fit.fit_model

A switchable image has one arena, the largest switch's (tinygen/switches.py), so the RAM
trade (tinygen/fit/ram.py) compiles every switch again with lower_peak taking every swap
that lowers the arena (lean_options), each with its own kernel choice (--kernels auto's
per switch, CompileOptions.kernel_choice can name one switch's kernels only), then lowers
no switch below the largest other's (relax_lowering): only what lowers the image's arena
is kept. graph.meta["fit_ram"] lists the layers changed as SWITCH/LAYER.

Mixed storage (`--storage mixed`): nested storage (passes/nested.py: one copy of the nested
layers' 8-bit codes as bit planes, read by the bit-serial kernel in every switch) where the
top switch of the layers the flash allows keeps its int8 codes and int8 kernels
(CompileOptions.nested_int8). Per nested layer of the top switch: the instructions its int8
kernel saves against the planes kernel (measured where --kernels auto measured both, else
tinygen.passes.footprint's estimates) and the flash it adds (the int8 kernel's constants, less the
planes kernel's own requantization constants; the planes stay for the other switches).
Layers are taken by instructions saved per flash byte, best first, while the predicted flash
stays within the board's (or --flash-budget); the image is compiled with the choice and its
prediction checked, the last-taken layer dropped again while it is over. Same model, same
board: same choice. graph.meta["nested_mixed"] records it (build and inspect print it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from tinygen.board import Board
from tinygen.compiler import SourceModel, compile_source, switch_sources
from tinygen.fit import margin, measured_counts, predicted
from tinygen.fit.ram import can_trade, flash_added, lean_options, ram_fit
from tinygen.passes.footprint import estimate_instructions, layer_flash
from tinygen.ir import Graph
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.switches import attach, relax_lowering, switch_graphs

Progress = Callable[[str], None]
PLANES = "planes"           # KernelSpec.weight_dtype of the bit-serial kernels


def switch_choices(graph: Graph) -> list[dict[str, str]]:
    """Per switch, the kernel chosen per layer before lower_peak changed any (its first
    change's `instead_of`)."""
    out = []
    for _, g in switch_graphs(graph):
        choice = {n.name: n.kernel for n in g.nodes if n.kernel}
        for change in reversed(g.meta.get("lower_peak", [])):
            choice[change["node"]] = change["instead_of"]
        out.append(choice)
    return out


def switch_counts(graph: Graph) -> list[dict]:
    """Per switch, node -> kernel -> instructions --kernels auto measured (its report's
    SWITCH/LAYER rows)."""
    counts = measured_counts(graph)
    return [{layer: c for key, c in counts.items() for sw, _, layer in [key.partition("/")] if sw == name}
            for name, _ in switch_graphs(graph)]


def compile_switches(source: SourceModel, calib: str | None, options, choices: list[dict],
                     counts: list[dict] | None = None, int8: frozenset = frozenset()) -> Graph:
    """Every switch compiled with its own kernel choice (and measured counts), no switch's
    lowering below the largest other switch's arena. `int8`: the nested layers (by source)
    whose top switch keeps int8 codes: their planes kernels leave that switch's choice."""
    ones = switch_sources(source)
    opts = replace(options, nested_int8=tuple(sorted(int8)))

    def one(k: int, floor: int = 0) -> Graph:
        choice = choices[k]
        if k == 0 and int8:
            choice = {n: kernel for n, kernel in choice.items() if KERNELS_BY_NAME[kernel].weight_dtype != PLANES}
        return compile_source(ones[k][1], calib, replace(opts, kernel_choice=choice, arena_floor=floor,
                                                         kernel_counts=(counts or [None] * len(ones))[k]))
    compiled = [(name, one(k)) for k, (name, _) in enumerate(ones)]
    return attach(relax_lowering(compiled, one))


def fit_switches(source: SourceModel, calib: str | None, options, board: Board, graph: Graph,
                 progress: Progress = lambda msg: None) -> Graph:
    """tinygen.fit.fit_model for a switchable model (the module docstring); `graph` as it is on the host board."""
    if board.build == "host":
        return graph

    choices, counts = switch_choices(graph), switch_counts(graph)
    out = graph
    int8 = frozenset(options.nested_int8)
    if options.storage == "mixed":
        out = mixed_storage(source, calib, options, board, graph, choices, counts, progress)
        int8 = frozenset(out.meta["nested_mixed"]["layers"])
    if can_trade(options):
        start = out
        out = ram_fit(out, board, lambda: compile_switches(source, calib, lean_options(options), choices, counts, int8),
                      predicted, str(source.path))
        if out is not start:
            changes = [(name, g, c) for name, g in switch_graphs(out) for c in g.meta.get("lower_peak", [])]
            out.meta["fit_ram"].update(
                layers=[f"{name}/{c['node']}" for name, _, c in changes],
                flash_added=sum(flash_added(g, [c]) for _, g, c in changes),
                instructions_added={name: sum(c.get("instructions_added", 0) for n, _, c in changes if n == name)
                                    for name, _ in switch_graphs(out)})
            progress(f"fit: arena {out.meta['fit_ram']['arena'][0]:,} -> {out.meta['fit_ram']['arena'][1]:,} B "
                     f"to fit {board.name}'s RAM")
            if "nested_mixed" in start.meta:
                out.meta["nested_mixed"] = start.meta["nested_mixed"]
    if out is not graph:
        out.meta["kernels"] = switch_report(out, graph.meta.get("kernels") or {}, counts)
    return out


def switch_report(graph: Graph, report: dict, counts: list[dict]) -> dict:
    """The kernel report of a recompiled switchable graph (SWITCH/LAYER rows, as --kernels
    auto's), with the counts measured before."""
    from tinygen.report.kernels import kernel_report

    layers = [{**layer, "name": f"{name}/{layer['name']}"}
              for (name, g), c in zip(switch_graphs(graph), counts)
              for layer in kernel_report(g, report.get("mode"), c)["layers"]]
    return {**report, "layers": layers} if report else {"mode": None, "note": None, "measured_variants": 0,
                                                       "layers": layers}


def _instructions(graph: Graph, node, counts: dict) -> tuple[int, bool]:
    got = (counts.get(node.name) or {}).get(node.kernel)
    if got is not None:
        return got, True
    return estimate_instructions(graph, node, KERNELS_BY_NAME[node.kernel]), False


def mixed_options(source: SourceModel, calib: str | None, options, graph: Graph, choices: list[dict],
                  counts: list[dict]) -> list[dict]:
    """Per nested layer of the top switch: its source, the instructions the int8 kernel saves,
    the flash it adds, whether both counts were measured (best ratio first, then layer order)."""
    top = switch_graphs(graph)[0][1]
    nested = [n for n in top.nodes if n.kernel and KERNELS_BY_NAME[n.kernel].weight_dtype == PLANES]
    if not nested:
        return []
    one = switch_sources(source)[0][1]
    choice = {n: k for n, k in choices[0].items() if KERNELS_BY_NAME[k].weight_dtype != PLANES}
    int8 = compile_source(one, calib, replace(options, nested_int8=("*",), kernel_choice=choice))
    rows = []
    for i, n in enumerate(nested):
        m = int8.node(n.name)
        planes, p_measured = _instructions(top, n, counts[0])
        fast, f_measured = _instructions(int8, m, counts[0])
        if not (p_measured and f_measured):         # like against like: both estimated
            planes = estimate_instructions(top, n, KERNELS_BY_NAME[n.kernel])
            fast = estimate_instructions(int8, m, KERNELS_BY_NAME[m.kernel])
        own = layer_flash(top, n, KERNELS_BY_NAME[n.kernel]) - top.tensor(n.param("weight")).nbytes
        added = layer_flash(int8, m, KERNELS_BY_NAME[m.kernel]) - own
        rows.append({"layer": n.name, "source": n.source, "kernel": m.kernel, "instead_of": n.kernel,
                     "instructions_saved": planes - fast, "flash_added": added,
                     "measured": p_measured and f_measured, "order": i})
    rows.sort(key=lambda r: (-r["instructions_saved"] / max(r["flash_added"], 1), r["order"]))
    return [r for r in rows if r["instructions_saved"] > 0]


def mixed_storage(source: SourceModel, calib: str | None, options, board: Board, graph: Graph,
                  choices: list[dict], counts: list[dict], progress: Progress) -> Graph:
    """The nested image with the top switch's int8 codes kept for the layers the flash allows
    (module docstring); graph.meta["nested_mixed"] records the choice."""
    rows = mixed_options(source, calib, options, graph, choices, counts)
    use = predicted(graph, board)
    flash = use.regions["flash"]
    room = (flash.capacity - flash.used - margin(graph, use)) if flash.capacity else None
    taken = []
    for row in rows:
        if room is None or sum(r["flash_added"] for r in taken) + row["flash_added"] <= room:
            taken.append(row)
    out = graph
    while taken:
        out = compile_switches(source, calib, options, choices, counts, frozenset(r["source"] for r in taken))
        after = predicted(out, board).regions["flash"]
        if not after.capacity or after.used <= after.capacity:
            break
        taken.pop()             # the prediction is over: the last taken (least per byte) back to planes
        out = graph
    refused = [r for r in rows if r not in taken]
    out.meta["nested_mixed"] = {"board": board.name, "layers": sorted(r["source"] for r in taken),
                                "taken": taken, "refused": refused,
                                "flash": {"capacity": flash.capacity, "nested": flash.used}}
    if taken:
        progress(f"mixed storage: the top switch keeps int8 codes on {len(taken)} of {len(rows)} nested layers")
    return out


def mixed_lines(record: dict | None) -> list[str]:
    """For build and inspect: what the mixed storage kept as int8 at the top switch."""
    if not record:
        return []
    lines = [f"mixed storage on {record['board']}: the top switch keeps int8 codes on "
             f"{len(record['taken'])} of {len(record['taken']) + len(record['refused'])} nested layers"]
    for r, kept in [(r, True) for r in record["taken"]] + [(r, False) for r in record["refused"]]:
        how = "measured" if r["measured"] else "estimated"
        lines.append(f"  {r['layer']}: {r['kernel'] if kept else r['instead_of']} "
                     f"({'int8, ' if kept else 'planes kept: no flash for int8, '}"
                     f"{r['instructions_saved']:,} instructions saved at the top switch for "
                     f"{r['flash_added']:,} B of flash, {how})")
    return lines


__all__ = ["compile_switches", "fit_switches", "mixed_lines", "mixed_options", "mixed_storage", "switch_choices",
           "switch_counts", "switch_report"]
