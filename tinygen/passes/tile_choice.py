"""The choice behind tile(graph, "auto"): which tiling, found without re-planning them all.

Re-planning a candidate (choose kernels, reorder, plan) is the expensive part, so each
candidate first gets, from the untiled graph and back-projected tile shapes alone:

    extra MACs: the tiles' MACs (output tile area x channels x taps per stage layer)
                less the stage's; over tile.MAX_EXTRA_MACS of the model's, it is dropped
    estimate:   a lower bound on its re-planned arena, valid for any node order:
                - each node's working set (inputs + output + scratch, less what an in-place
                  output could share), for the tile copies from their shapes (scratch 0);
                - for each node after the stage, the buffers that must be live while it runs
                  whatever the order (produced by an ancestor, read by a descendant), from the
                  untiled graph, where that part is unchanged;
                - the input while its last slice runs: every other tile has started then and
                  holds at least its smallest tensor until the concat

Candidates are re-planned in increasing (estimate, extra MACs, enumeration index) order;
the search stops when the next one's key is no less than the best real (arena, extra MACs,
index) found, since its arena is at least its estimate. The result is the exhaustive
search's (`exhaustive`, kept for tests), the one with the smallest such key.

Candidate kinds are a list (KINDS): each maps (context, split tensor) to candidates: the
recompute tiles of passes/tile.py and the row bands of passes/band.py (no MAC recomputed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from tinygen.passes.analysis import node_macs, total_macs
from tinygen.ir import Graph, schema
from tinygen.kernels.table import KERNELS
from tinygen.passes.band import band_windows, rewrite_bands
from tinygen.passes.inplace import DISTANCE, ELEMENTWISE, ELEMENTWISE_STRIDED, FUSED_SKIP, overlap_distance
from tinygen.passes.plan_memory import concat_views
from tinygen.passes.tile_geometry import WINDOW_OPS, back_project, input_needs, split, stage_of

MAX_GRID = 8


@dataclass
class Candidate:
    setting: tuple                   # what tile() applies: (split, (gh, gw)); bands: (split, "bands", n)
    extra_macs: int
    estimate: int                    # a lower bound on the re-planned arena
    build: Callable[[], Graph]       # the rewritten graph, not yet re-planned
    index: int = 0                   # enumeration order: the last tie-break


@dataclass
class Context:
    """What every candidate's estimate reads from the untiled, planned graph."""
    graph: Graph
    macs: int
    rewrite: Callable[[Graph, str, tuple], Graph]     # passes/tile.py's rewrite
    root: dict[str, str] = field(default_factory=dict)
    must_live: list[int] = field(default_factory=list)     # per node: the bound described above

    def __post_init__(self):
        for node in self.graph.nodes:
            if schema(node.op).alias:
                self.root[node.outputs[0]] = self.root.get(node.inputs[0], node.inputs[0])
        self.must_live = _must_live(self.graph, self.root)

    def after_stage(self, stage_names: set[str]) -> int:
        """The bound over the nodes outside the stage (unchanged by the rewrite)."""
        return max((b for n, b in zip(self.graph.nodes, self.must_live) if n.name not in stage_names), default=0)


def may_share(op: str) -> bool:
    """Whether any kernel of `op` may write its output over an input (passes/inplace.py)."""
    return any(k.op == op and (k.name in ELEMENTWISE or k.name in ELEMENTWISE_STRIDED or k.name in FUSED_SKIP
                               or k.name in DISTANCE) for k in KERNELS)


def _working_set(inputs: list[int], out: int, scratch: int, share: bool = True) -> int:
    """Inputs, output and scratch live together; where the kernel may write in place, the
    output shares at most min(output, inputs) bytes with them (the planner's footprint is at
    least max(out, ins))."""
    ins = sum(inputs)
    return ins + out + scratch - (min(out, ins) if share else 0)


def _must_live(graph: Graph, root: dict[str, str]) -> list[int]:
    nodes = graph.nodes
    r = lambda t: root.get(t, t)                                             # noqa: E731
    producer = {r(t): i for i, n in enumerate(nodes) for t in n.outputs if not schema(n.op).alias}
    anc = [0] * len(nodes)
    for i, n in enumerate(nodes):                   # nodes are in a topological order
        for t in n.inputs:
            p = producer.get(r(t))
            if p is not None:
                anc[i] |= anc[p] | 1 << p
    desc = [0] * len(nodes)
    for i in range(len(nodes)):
        for j in _bits(anc[i]):
            desc[j] |= 1 << i
    readers: dict[str, int] = {}
    for i, n in enumerate(nodes):
        for t in n.inputs:
            readers[r(t)] = readers.get(r(t), 0) | 1 << i
    outputs = {r(t) for t in graph.outputs}
    views = concat_views(graph)
    sizes = {r(t.name): graph.tensors[r(t.name)].nbytes for t in graph.activation_tensors()}
    bound = []
    for i, n in enumerate(nodes):
        own = {r(t) for t in (*n.inputs, *n.outputs)}
        share = len(n.outputs) == 1 and any(overlap_distance(graph, n, t) is not None for t in n.inputs)
        # a concat planned in place (plan_memory.concat_views): its pieces are already in its output
        joined = n.op == "concat" and all(views.get(t, ("",))[0] == n.outputs[0] for t in n.inputs)
        ws = sizes[r(n.inputs[0])] if (schema(n.op).alias or joined) and n.inputs else _working_set(
            [sizes[b] for b in dict.fromkeys(r(t) for t in n.inputs) if b in sizes],
            sum(sizes[r(t)] for t in n.outputs), n.scratch_bytes, share)
        crossing = 0
        for b, size in sizes.items():
            if b in own:
                continue
            p = producer.get(b)
            made = p is None or anc[i] >> p & 1        # a graph input, or produced before i
            if made and (b in outputs or readers.get(b, 0) & desc[i]):
                crossing += size
        bound.append(ws + crossing)
    return bound


def _bits(mask: int):
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def grids(h: int, w: int) -> list[tuple[int, int]]:
    sizes = [(1, 2), (2, 1)] + [(n, n) for n in range(2, MAX_GRID + 1)]
    return [(a, b) for a, b in sizes if a <= h and b <= w]


def _area(region) -> int:
    h0, h1, w0, w1 = region
    return (h1 - h0) * (w1 - w0)


def _tile_sizes(g: Graph, stage, region, source: str, chans: dict, share: dict) -> list:
    """[largest working set of the tile's layers, its smallest tensor, its smallest tensor
    but its piece of the split tensor, its input window (None where it reads the input
    whole), the regions needed]."""
    need, reads = back_project(g, stage, region)
    _, in_h, in_w, _ = g.tensor(source).shape
    work, tensors, window = 0, [], None
    for n in stage:
        o = n.outputs[0]
        out = _area(need[o]) * chans[o]
        ins = [_area(reads[n.name, i][0]) * chans[x] for i, x in enumerate(n.inputs)]
        work = max(work, _working_set(ins, out, 0, share[n.name]))
        if n is not stage[-1]:
            tensors.append(out)
        for b, (i, x) in zip(ins, enumerate(n.inputs)):
            if x != source:
                tensors.append(b)
            elif reads[n.name, i][0] != (0, in_h, 0, in_w):          # a slice of the input
                tensors.append(b)
                h0, h1, _, _ = reads[n.name, i][0]                    # its first slice: rows, full width
                first = _area((h0, h1, 0, in_w)) * chans[x] if (h0, h1) != (0, in_h) else b
                window = first if window is None else min(window, first)
            else:
                window = -1                                           # read whole: no slice
    piece = _area(need[stage[-1].outputs[0]]) * chans[stage[-1].outputs[0]]
    return [work, min(tensors + [piece]), min(tensors, default=piece), window, need]


def _input_bound(x: int, tiles: list, slice_shares: bool) -> int:
    """A lower bound from the input (x bytes) and the tiles' [work, least, least but the
    piece, window] sizes, for any order of the tiles' nodes:

    - while a tile's layer runs, each other tile has either not read the input yet (the input
      is live) or holds at least its least tensor until the concat, as a piece or in a row;
    - while the input's last slice runs (tile j's), each other tile has read the input: it
      has either finished, so its layers ran with the input live (x + its work), or holds
      at least its least tensor but its piece: x + window_j + those (window_j, the first
      slice's output, left out where the slice may write over the input); and whichever,
      each other tile holds at least its least tensor."""
    least = sum(t[1] for t in tiles)
    bound = max(w + min(x, least - m) for w, m, _, _ in tiles)
    if any(t[3] == -1 for t in tiles):
        return bound                        # some tile reads the input unsliced
    unfinished = sum(t[2] for t in tiles)
    last = min((0 if slice_shares else win) + unfinished - m2 for _, _, m2, win in tiles)
    bound = max(bound, x + min(min(t[0] for t in tiles), last))
    # and in any case each other tile holds at least its least tensor then
    return max(bound, x + min((0 if slice_shares else win) + least - m for _, m, _, win in tiles))


def recompute_estimate(ctx: Context, split_tensor: str, stage, grid) -> tuple[int, int]:
    """(extra MACs, arena lower bound) of the stage up to `split_tensor` in gh x gw tiles."""
    g = ctx.graph
    gh, gw = grid
    _, out_h, out_w, _ = g.tensor(split_tensor).shape
    source = next(x for n in stage for x in n.inputs if x in g.inputs)
    chans = {t: g.tensor(t).shape[3] for n in stage for t in (*n.inputs, *n.outputs)}
    stage_macs = sum(node_macs(g, n) for n in stage)
    per_tap = {n.name: node_macs(g, n) // max(math.prod(g.tensor(n.outputs[0]).shape), 1)
               for n in stage if n.op in WINDOW_OPS}
    share = {n.name: may_share(n.op) for n in stage}
    macs, tiles = 0, []
    for h0, h1 in split(out_h, gh):
        for w0, w1 in split(out_w, gw):
            tiles.append(_tile_sizes(g, stage, (h0, h1, w0, w1), source, chans, share))
            need = tiles[-1].pop()
            macs += sum(_area(need[n.outputs[0]]) * chans[n.outputs[0]] * per_tap.get(n.name, 0) for n in stage)
    bound = _input_bound(g.tensor(source).nbytes, tiles, may_share("slice"))
    # the concat into the split tensor reads every row (or tile) and writes the whole tensor
    # the split tensor's buffer is live from its first piece on (the concat along H of full-width
    # rows is planned in place); with gw > 1 the last row's concat along W also reads that row's tiles
    t_bytes = g.tensor(split_tensor).nbytes
    row_bytes = min(h1 - h0 for h0, h1 in split(out_h, gh)) * t_bytes // out_h if gw > 1 else 0
    if gw == 1:
        # full-width tiles are pieces of that concat, each written in place from its own tile on:
        # only the whole split tensor at the end is certain
        return macs - stage_macs, t_bytes
    bound = max(bound, t_bytes + row_bytes, ctx.after_stage({n.name for n in stage}))
    return macs - stage_macs, bound


def recompute_candidates(ctx: Context, split_tensor: str, stage) -> list[Candidate]:
    """passes/tile.py's recompute-halo tiles, every grid of grids()."""
    _, h, w, _ = ctx.graph.tensor(split_tensor).shape
    out = []
    for grid in grids(h, w):
        extra, estimate = recompute_estimate(ctx, split_tensor, stage, grid)
        out.append(Candidate((split_tensor, grid), extra, estimate,
                             lambda grid=grid: ctx.rewrite(ctx.graph, split_tensor, grid)))
    return out


BAND_COUNTS = (2, 3, 4, 6, 8, 10, 12, 16, 24)


def band_estimate(ctx: Context, split_tensor: str, stage, bands: int) -> int:
    """A lower bound on the re-planned arena of the stage in `bands` row bands (passes/band.py),
    valid for any node order: the whole split tensor once its last piece is written (the
    pieces of an in-place concat), and each band node's input rows and new rows (which may
    overlap in place)."""
    g = ctx.graph
    row = {t: g.tensor(t).shape[2] * g.tensor(t).shape[3] for n in stage for t in (*n.inputs, *n.outputs)}
    bound = g.tensor(split_tensor).nbytes
    for _, new in band_windows(g, stage, split_tensor, bands):
        for node in stage:
            if node.name not in new:
                continue
            lo, hi = new[node.name]
            o = node.outputs[0]
            reads = {t: r for t, r, _ in input_needs(g, node, (lo, hi, 0, g.tensor(o).shape[2]))}
            # the graph input is outside the arena: a band reads it whole, or a slice copy of its rows
            ins = sum((r[1] - r[0]) * row[t] for t, r in reads.items() if t not in g.inputs)
            bound = max(bound, max(ins, (hi - lo) * row[o]))
    return bound


def band_candidates(ctx: Context, split_tensor: str, stage) -> list[Candidate]:
    """passes/band.py's row bands (no MAC recomputed: extra 0 at most), every count of BAND_COUNTS."""
    h = ctx.graph.tensor(split_tensor).shape[1]
    return [Candidate((split_tensor, "bands", n), 0, band_estimate(ctx, split_tensor, stage, n),
                      lambda n=n: rewrite_bands(ctx.graph, split_tensor, n))
            for n in BAND_COUNTS if n <= h]


# the candidate kinds auto searches, each (context, split tensor, its stage) -> candidates
KINDS: list[Callable[[Context, str, list], list[Candidate]]] = [recompute_candidates, band_candidates]


def candidates(graph: Graph, splits: list[str], rewrite, kinds=None) -> tuple[Context, list[Candidate]]:
    """Every candidate of every kind for each split tensor, with its extra MACs and estimate."""
    ctx = Context(graph, total_macs(graph), rewrite)
    found = []
    for t in splits:
        stage = stage_of(graph, t)
        for kind in kinds or KINDS:
            found += kind(ctx, t, stage)
    for i, c in enumerate(found):
        c.index = i
    return ctx, found


# the most candidates auto re-plans (search): in estimate order, so the most promising ones
MAX_REPLANS = 24


def search(cands: list[Candidate], replan: Callable[[Graph], Graph], max_extra: float, before: int,
           max_replans: int | None = MAX_REPLANS):
    """(best (key, graph, candidate) or None, number over the MAC limit, number re-planned):
    the smallest (arena, extra MACs, index) over the candidates within the MAC limit whose
    arena is below `before`, re-planning in estimate order and stopping where no later
    candidate can win, or after `max_replans` re-plans (None: no limit): where the lower
    bounds are weak (KWS: every layer the same size) hundreds of candidates could win, and
    each re-plan reorders a graph of hundreds of nodes; the limit counts work, not time."""
    ok = [c for c in cands if c.extra_macs <= max_extra]
    best, planned = None, 0
    for c in sorted(ok, key=lambda c: (c.estimate, c.extra_macs, c.index)):
        if c.estimate >= before or (best is not None and (c.estimate, c.extra_macs, c.index) >= best[0]):
            break
        if max_replans is not None and planned >= max_replans:
            break
        graph = replan(c.build())
        planned += 1
        key = (graph.meta["memory"].arena_size, c.extra_macs, c.index)
        if key[0] < before and (best is None or key < best[0]):
            best = (key, graph, c)
    return best, len(cands) - len(ok), planned


def exhaustive(cands: list[Candidate], replan: Callable[[Graph], Graph], max_extra: float, before: int):
    """search()'s answer by re-planning every candidate within the MAC limit (tests only)."""
    best = None
    for c in cands:
        if c.extra_macs > max_extra:
            continue
        graph = replan(c.build())
        key = (graph.meta["memory"].arena_size, c.extra_macs, c.index)
        if key[0] < before and (best is None or key < best[0]):
            best = (key, graph, c)
    return best


__all__ = ["BAND_COUNTS", "Candidate", "Context", "KINDS", "band_candidates", "band_estimate", "MAX_GRID", "MAX_REPLANS", "candidates", "exhaustive", "grids", "recompute_candidates",
           "recompute_estimate", "search"]
