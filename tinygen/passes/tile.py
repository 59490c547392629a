"""Patch-based inference (MCUNetV2): compute the graph's initial stage tile by tile.

The stage ends at a split tensor T; it is every node from the graph input up to T (its
ancestors: convolutions, depthwise, pooling, residual adds, pointwise ops). T's spatial
extent is cut into a grid of gh x gw tiles. For each tile, in turn:

    slice the input window the tile needs (its receptive field, passes/tile_geometry.py)
    run a copy of every stage node on its window: the same op, weights and parameters,
        with the tile's shapes and explicit padding only where the window meets the true
        border of that node's input; inside, the window holds the halo rows instead
    (slices where a tensor's consumers need less than its tile computes: a residual's skip)

then concatenate the tiles along W, then H, into T (its name, shape and quantization: the
rest of the graph is untouched). Exact by construction. The tile copies read the same
constant tensors as the layer they copy (one copy in flash). Only one tile's intermediates
are live at a time, so the arena's peak in the high-resolution layers drops; the halos
are computed more than once (extra MACs, counted exactly from the per-tile shapes).

`tile(graph, setting, replan)`, after plan_memory: "auto" considers each tensor that can end a
stage holding the plan's peak with grids up to MAX_GRID x MAX_GRID (square, and 1x2 / 2x1)
and keeps the smallest arena whose extra MACs are at most MAX_EXTRA_MACS of the model's,
re-planning only the candidates whose arena lower bound can still win (passes/tile_choice.py);
the graph stays untiled, with the reason in graph.meta["tile"], where none lowers the
arena; ("auto", budget) the fewest extra MACs, then fewest tiles, whose arena is within
budget bytes (the fit's RAM trade, tinygen/fit/ram.py). (split tensor, (gh, gw)) applies that tiling; (split tensor, "bands", n) instead
computes the stage in n full-width row bands, each row once, halos carried over
(passes/band.py); auto considers bands too.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from tinygen.passes.analysis import total_macs
from tinygen.errors import UsageError
from tinygen.ir import Graph, Kind, Node
from tinygen.passes.band import rewrite_bands
from tinygen.passes.tile_choice import MAX_GRID, MAX_REPLANS, candidates, search
from tinygen.passes.tile_geometry import TILE, back_project, split, stage_of

# the most MACs the halos may add, as a fraction of the model's (the instruction budget)
MAX_EXTRA_MACS = 0.15


def _tensor_like(g: Graph, like: str, base: str, region) -> str:
    h0, h1, w0, w1 = region
    t = g.tensor(like)
    name = g.unique_name(base)
    g.add_tensor(replace(t, name=name, shape=(1, h1 - h0, w1 - w0, t.shape[3]), kind=Kind.ACTIVATION,
                         data=None))
    return name


def _narrow(g: Graph, nodes: list[Node], src: str, have, want, base: str) -> str:
    """`src` holds region `have` of a tensor; slice nodes down to `want` (H, then W)."""
    for axis, (lo, hi) in ((1, (0, 1)), (2, (2, 3))):
        if have[lo] == want[lo] and have[hi] == want[hi]:
            continue
        region = list(have)
        region[lo], region[hi] = want[lo], want[hi]
        out = _tensor_like(g, src, f"{base}_s{axis}", region)
        nodes.append(Node(f"{base}_s{axis}", "slice", [src], [out],
                          {"axis": axis, "begin": want[lo] - have[lo]}, source=f"tile slice of {src}"))
        src, have = out, tuple(region)
    return src


def rewrite(graph: Graph, split_tensor: str, grid: tuple[int, int]) -> Graph:
    """The graph with the stage ending at `split_tensor` computed in a gh x gw grid of tiles."""
    stage = stage_of(graph, split_tensor)
    if isinstance(stage, str):
        raise UsageError(f"cannot tile up to {split_tensor}: {stage}")
    gh, gw = grid
    _, out_h, out_w, _ = graph.tensor(split_tensor).shape
    if not (1 <= gh <= out_h and 1 <= gw <= out_w) or gh * gw == 1:
        raise UsageError(f"grid {gh}x{gw} does not split {split_tensor}'s {out_h}x{out_w}")
    g = graph.copy()
    names = {n.name for n in stage}
    new_nodes: list[Node] = []
    rows = []
    for r, (h0, h1) in enumerate(split(out_h, gh)):
        row = []
        for c, (w0, w1) in enumerate(split(out_w, gw)):
            first = len(new_nodes)
            row.append(_tile(g, stage, (h0, h1, w0, w1), f"t{r}_{c}", new_nodes))
            for n in new_nodes[first:]:
                n.attrs[TILE] = r * gw + c          # codegen/tile_loop.py: one function per layer shape
        rows.append(row)
    c_out = g.tensor(split_tensor).shape[3]
    row_outs = []
    for r, row in enumerate(rows):
        if len(row) == 1:
            row_outs.append(row[0])
            continue
        h = g.tensor(row[0]).shape[1]
        name = _tensor_like(g, split_tensor, f"{split_tensor}_row{r}", (0, h, 0, out_w))
        assert g.tensor(name).shape[3] == c_out
        new_nodes.append(Node(f"{split_tensor}_row{r}", "concat", row, [name], {"axis": 2}, source="tile row"))
        row_outs.append(name)
    if len(row_outs) == 1:
        new_nodes[-1].outputs = [split_tensor]
        g.tensors.pop(row_outs[0])
    else:
        new_nodes.append(Node(f"{split_tensor}_tiles", "concat", row_outs, [split_tensor],
                              {"axis": 1}, source="tile rows"))
    g.nodes = new_nodes + [n for n in g.nodes if n.name not in names]
    g.drop_unused_tensors()
    return g


def _tile(g: Graph, stage: list[Node], region, tag: str, out: list[Node]) -> str:
    """Append one tile's nodes; return the name of its piece of the split tensor."""
    need, reads = back_project(g, stage, region)
    held = {}                                       # original tensor -> (tile tensor, region it holds)
    source = next(x for n in stage for x in n.inputs if x in g.inputs)
    _, in_h, in_w, _ = g.tensor(source).shape
    held[source] = (source, (0, in_h, 0, in_w))
    for node in stage:
        inputs = []
        for i, x in enumerate(node.inputs):
            want, _ = reads[node.name, i]
            have_name, have = held[x]
            inputs.append(_narrow(g, out, have_name, have, want, f"{x}_{tag}_{node.name}_{i}"))
        o = node.outputs[0]
        name = _tensor_like(g, o, f"{o}_{tag}", need[o])
        attrs = {k: v for k, v in node.attrs.items() if k != "kparams"}
        pad = reads[node.name, 0][1]
        if pad is not None:
            attrs["padding"] = pad
        attrs["tile_of"] = node.name
        out.append(Node(f"{node.name}_{tag}", node.op, inputs, [name], attrs,
                        [dict(p) for p in node.params], source=node.source))
        held[o] = (name, need[o])
    return held[stage[-1].outputs[0]][0]


def extra_macs(before: Graph, after: Graph) -> int:
    return total_macs(after) - total_macs(before)


def _splits(graph: Graph) -> tuple[list[str], dict[str, str]]:
    ok, why = [], {}
    for node in graph.nodes:
        t = node.outputs[0]
        stage = stage_of(graph, t)
        if isinstance(stage, str):
            why[t] = stage
        else:
            ok.append(t)
    return ok, why


def _peak_node(graph: Graph) -> int:
    timeline = graph.meta["memory"].timeline(len(graph.nodes))
    return max(range(len(timeline)), key=timeline.__getitem__)


def _apply(graph: Graph, setting, replan: Callable[[Graph], Graph], before: int, macs: int) -> Graph:
    if len(setting) == 3 and setting[1] == "bands":
        split_tensor, _, bands = setting                # row bands with cached halos (passes/band.py)
        banded = replan(rewrite_bands(graph, split_tensor, int(bands)))
        banded.meta["tile"] = _record(True, before, banded, split_tensor, (int(bands), 1),
                                      extra_macs(graph, banded), macs, "requested", "bands")
        return banded
    split_tensor, grid = setting
    tiled = replan(rewrite(graph, split_tensor, tuple(grid)))
    tiled.meta["tile"] = _record(True, before, tiled, split_tensor, grid, extra_macs(graph, tiled), macs,
                                 "requested")
    return tiled


def auto_splits(graph: Graph) -> tuple[list[str], str | None]:
    """The tensors that can end a stage holding the plan's peak, or why there are none."""
    ok, why = _splits(graph)
    if not ok:
        return [], "no tensor can end a tiled stage" + (f" ({next(iter(why.values()))})" if why else "")
    peak = graph.nodes[_peak_node(graph)]
    in_stage = [t for t in ok if peak.name in {n.name for n in stage_of(graph, t)}]
    if not in_stage:
        return [], (f"the peak is in the last layers: at {peak.name} ({peak.op}), "
                    "after every stage that can be tiled")
    return in_stage, None


def _auto(graph: Graph, replan: Callable[[Graph], Graph], before: int, macs: int) -> Graph:
    splits, why = auto_splits(graph)
    if why:
        return _untiled(graph, before, macs, why)
    _, cands = candidates(graph, splits, rewrite)
    best, over, planned = search(cands, replan, MAX_EXTRA_MACS * macs, before)
    if best is None:
        reason = (f"every tiling adds more than {MAX_EXTRA_MACS:.0%} MACs ({over} tried)" if over == len(cands)
                  else f"no tiling lowers the arena ({before} B)")
        return _untiled(graph, before, macs, reason)
    _, tiled, cand = best
    return _chosen(graph, tiled, cand.setting, before, macs, f"smallest arena of {len(cands)} candidates, "
                   f"{planned} re-planned" + (" (the most auto re-plans)" if planned >= MAX_REPLANS else ""))


def _chosen(graph: Graph, tiled: Graph, setting, before: int, macs: int, why: str) -> Graph:
    """`tiled` (the untiled `graph` rewritten with a candidate's setting and re-planned) with its record."""
    bands = len(setting) == 3
    tiled.meta["tile"] = _record(True, before, tiled, setting[0], (setting[2], 1) if bands else setting[1],
                                 extra_macs(graph, tiled), macs, why, "bands" if bands else "tiles")
    return tiled


def _auto_within(graph: Graph, replan: Callable[[Graph], Graph], before: int, macs: int, budget: int) -> Graph:
    """The cheapest tiling whose arena is at most `budget` bytes: fewest extra MACs, then fewest
    tiles or bands (each copy costs code and per-copy work), re-planning in that order those
    whose lower bound is within the budget; where none is, auto's smallest arena."""
    if before <= budget:
        return _untiled(graph, before, macs, f"the arena ({before} B) is within the budget ({budget} B)")
    splits, why = auto_splits(graph)
    if why:
        return _untiled(graph, before, macs, why)
    _, cands = candidates(graph, splits, rewrite)
    ok = sorted((c for c in cands if c.extra_macs <= MAX_EXTRA_MACS * macs and c.estimate <= budget),
                key=lambda c: (c.extra_macs, tiles_of(c.setting), c.index))
    for planned, c in enumerate(ok[:MAX_REPLANS], 1):
        tiled = replan(c.build())
        if tiled.meta["memory"].arena_size <= budget:
            return _chosen(graph, tiled, c.setting, before, macs, f"fewest extra MACs, then tiles, with an arena "
                           f"within {budget} B: {len(cands)} candidates, {planned} re-planned")
    return _auto(graph, replan, before, macs)


def tiles_of(setting) -> int:
    """The number of tiles or bands a setting computes the stage in."""
    return int(setting[2]) if len(setting) == 3 else int(setting[1][0]) * int(setting[1][1])


def tile(graph: Graph, setting, replan: Callable[[Graph], Graph]) -> Graph:
    """Apply `setting` ("off", "auto", ("auto", arena budget in bytes) or (split tensor,
    (gh, gw))); record it in graph.meta["tile"]."""
    if setting in (None, "off"):
        return graph
    before = graph.meta["memory"].arena_size
    macs = total_macs(graph)
    if setting == "auto":
        return _auto(graph, replan, before, macs)
    if setting[0] == "auto":
        return _auto_within(graph, replan, before, macs, int(setting[1]))
    return _apply(graph, setting, replan, before, macs)


def _record(applied: bool, before: int, graph: Graph, split_tensor, grid, extra: int, macs: int, why: str,
            mode: str = "tiles") -> dict:
    """grid: (gh, gw) tiles, or (bands, 1) with mode "bands"."""
    return {"applied": applied, "why": why, "arena_before": before, "arena_after": graph.meta["memory"].arena_size,
            "split": split_tensor, "grid": tuple(grid) if grid else None, "extra_macs": extra, "macs": macs,
            "mode": mode}


def _untiled(graph: Graph, before: int, macs: int, why: str) -> Graph:
    graph.meta["tile"] = _record(False, before, graph, None, None, 0, macs, why)
    return graph


def tile_lines(graph: Graph) -> list[str]:
    """What `inspect --memory` prints about tiling."""
    info = graph.meta.get("tile")
    if info is None:
        return []
    if not info["applied"]:
        return [f"tiling: not applied: {info['why']}"]
    gh, gw = info["grid"]
    pct = 100.0 * info["extra_macs"] / max(info["macs"], 1)
    if info.get("mode") == "bands":
        return [f"tiling: stage up to {info['split']} in {gh} row bands, halos cached ({info['why']}): "
                f"arena {info['arena_before']} B -> {info['arena_after']} B, "
                f"+{info['extra_macs']} MACs ({pct:.1f}% of {info['macs']}) recomputed"]
    return [f"tiling: stage up to {info['split']} in {gh}x{gw} tiles ({info['why']}): "
            f"arena {info['arena_before']} B -> {info['arena_after']} B, "
            f"+{info['extra_macs']} MACs ({pct:.1f}% of {info['macs']}) recomputed in halos"]


__all__ = ["MAX_EXTRA_MACS", "MAX_GRID", "auto_splits", "extra_macs", "rewrite", "tile", "tile_lines", "tiles_of"]
