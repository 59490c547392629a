"""Row bands with cached halos: compute the graph's initial stage band by band, every
output row of every layer exactly once (line-buffer, depth-first execution).

The stage ends at a split tensor T (tile_geometry.stage_of: convolutions, depthwise,
pooling, residual adds, pointwise ops from the graph input up to T). T's rows are cut
into `bands` runs (tile_geometry.split). Every stage tensor X gets, per band b, a
full-width row window [lo_b(X), hi_b(X)), found backwards from T's band rows:

    T's window in band b is its band's rows (no overlap between bands);
    a layer L with output O computes only O's NEW rows [max(lo_b(O), hi_{b-1}(O)), hi_b(O))
        (nothing where that is empty), with explicit padding top only where its window
        passes row 0 of its input, bottom only where it passes the last row, left and right
        as the original layer (full width);
    each input of L needs the rows those new rows read (tile_geometry.input_needs); an
        input's window is the union over its consumers.

Band b's buffer for O holds [lo_b(O), hi_b(O)): the rows it carries over from band b-1's
buffer (a `slice` along H of that buffer: the halo, which the previous band computed) and
the new rows, joined by a `concat` along H. Consumers reading less than the window take a
`slice` of it (a residual's skip). The layer copies keep their constant tensors (attrs
`tile_of`: the layer they copy, so choose_kernels shares packed constants). Finally T is the
concat along H of the split layer's band outputs (T's name, shape and quantization: the rest
of the graph is untouched).

The graph input is read only row window by row window (slices copying each band's input
rows): it leaves the arena (plan_memory.INPUT_OUTSIDE_ARENA) and the generated model reads
it from its own buffer, which is the firmware's input staging buffer.

Every node made for band b carries attrs["band"] = b (codegen/tile_loop.py runs the stage's
copies of a layer through one function and knows each band's input rows from them).

Exact by construction; no MAC is computed twice (a row computed in band b is carried, not
recomputed), so the extra work is the copies only. The planner lays concats along H of
full-width pieces out in place (passes/plan_memory.py): each piece is written straight to
its place in the joined buffer, and only the carried halo rows and the input rows each band
reads are copied.
"""

from __future__ import annotations

from dataclasses import replace

from tinygen.errors import UsageError
from tinygen.ir import Graph, Kind, Node, schema
from tinygen.passes.plan_memory import INPUT_OUTSIDE_ARENA
from tinygen.passes.tile_geometry import POINTWISE_OPS, input_needs, split, stage_of, union

# a window: (name of the tensor holding it, first row, end row), full width
Held = tuple[str, int, int]
CARRY = "halo"              # the source of the slices carrying rows over to the next band
BAND = "band"               # node attr: the band (0..n-1) a node of the banded stage computes


def _rows_tensor(g: Graph, like: str, base: str, rows: int) -> str:
    t = g.tensor(like)
    name = g.unique_name(base)
    g.add_tensor(replace(t, name=name, shape=(1, rows, t.shape[2], t.shape[3]), kind=Kind.ACTIVATION, data=None))
    return name


def _rows_of(g: Graph, nodes: list[Node], held: Held, lo: int, hi: int, base: str, what: str = "band") -> Held:
    """Rows [lo, hi) of a held window: the window itself, or a slice along H of it."""
    name, h0, h1 = held
    assert h0 <= lo < hi <= h1, f"rows {lo}..{hi} not in {name}'s {h0}..{h1}"
    if (lo, hi) == (h0, h1):
        return held
    out = _rows_tensor(g, name, base, hi - lo)
    nodes.append(Node(g.unique_name(base), "slice", [name], [out], {"axis": 1, "begin": lo - h0},
                      source=f"{what} rows {lo}..{hi} of {name}"))
    return out, lo, hi


def band_windows(graph: Graph, stage: list[Node], split_tensor: str, bands: int) -> list[dict]:
    """Per band: {stage tensor: (lo, hi)} (the rows its band buffer holds) and
    {node name: (first new row, end row)} (the output rows the node computes, absent where none)."""
    out_h = graph.tensor(split_tensor).shape[1]
    done: dict[str, int] = {}                          # tensor -> rows computed by the earlier bands
    plans = []
    for h0, h1 in split(out_h, bands):
        window: dict[str, tuple[int, int]] = {split_tensor: (h0, h1)}
        new: dict[str, tuple[int, int]] = {}
        for node in reversed(stage):
            o = node.outputs[0]
            if o not in window:                        # no consumer computes anything in this band
                continue
            lo, hi = window[o]
            start = max(lo, done.get(o, 0))
            if start >= hi:
                continue
            new[node.name] = (start, hi)
            for t, region, _ in input_needs(graph, node, (start, hi, 0, graph.tensor(o).shape[2])):
                got = union((*window[t], 0, 0) if t in window else None, (region[0], region[1], 0, 0))
                window[t] = (got[0], got[1])
        for t, (lo, hi) in window.items():
            done[t] = max(done.get(t, 0), hi)
        plans.append((window, new))
    return plans


def rewrite_bands(graph: Graph, split_tensor: str, bands: int) -> Graph:
    """The graph with the stage ending at `split_tensor` computed in `bands` full-width row bands."""
    stage = stage_of(graph, split_tensor)
    if isinstance(stage, str):
        raise UsageError(f"cannot band up to {split_tensor}: {stage}")
    out_h = graph.tensor(split_tensor).shape[1]
    if not 2 <= bands <= out_h:
        raise UsageError(f"{bands} bands do not split {split_tensor}'s {out_h} rows")
    g = graph.copy()
    source = next(x for n in stage for x in n.inputs if x in g.inputs)
    nodes: list[Node] = []
    prev: dict[str, Held] = {}
    pieces = []
    for b, (window, new) in enumerate(band_windows(g, stage, split_tensor, bands)):
        held: dict[str, Held] = {source: (source, 0, g.tensor(source).shape[1])}
        for node in stage:
            o = node.outputs[0]
            if o not in window:                            # not read in this band: the last buffer stays
                held[o] = prev[o]
                continue
            computed = _band_node(g, nodes, node, new[node.name], held, b) if node.name in new else None
            held[o] = _band_buffer(g, nodes, o, prev.get(o), window[o], computed, b)
        for n in nodes:
            n.attrs.setdefault(BAND, b)                    # the band this copy, slice or concat belongs to
        pieces.append(held[split_tensor][0])
        prev = held
    nodes.append(Node(f"{split_tensor}_bands", "concat", pieces, [split_tensor], {"axis": 1}, source="row bands"))
    names = {n.name for n in stage}
    g.nodes = _carry_early(nodes) + [n for n in g.nodes if n.name not in names]
    g.drop_unused_tensors()
    if g.inputs == [source] and not any(schema(c.op).alias for c in g.consumers(source)):
        g.meta[INPUT_OUTSIDE_ARENA] = source        # read row window by row window: not an arena tensor
    return g


def _carry_early(nodes: list[Node]) -> list[Node]:
    """Each halo copy right after the last node of its band that reads the buffer it copies
    from, so that buffer dies there and only the halo rows wait for the next band."""
    order = list(nodes)
    for carry in [n for n in nodes if n.source.startswith(CARRY)]:
        order.remove(carry)
        src = carry.inputs[0]
        at = max(i for i, n in enumerate(order) if src in n.inputs or src in n.outputs)
        order.insert(at + 1, carry)
    return order


def _band_node(g: Graph, nodes: list[Node], node: Node, rows: tuple[int, int], held: dict, b: int) -> Held:
    """Append band b's copy of `node` computing its output rows `rows`; return them."""
    o = node.outputs[0]
    width = g.tensor(o).shape[2]
    inputs, pad = [], None
    for i, (t, region, p) in enumerate(input_needs(g, node, (rows[0], rows[1], 0, width))):
        inputs.append(_rows_of(g, nodes, held[t], region[0], region[1], f"{t}_b{b}_{node.name}_{i}")[0])
        if i == 0:
            pad = p
    attrs = {k: v for k, v in node.attrs.items() if k != "kparams"}
    if node.op not in POINTWISE_OPS:
        top, bottom = pad[0], pad[1]
        attrs["padding"] = (top, bottom, node.attrs["padding"][2], node.attrs["padding"][3])
    attrs["tile_of"] = node.name
    out = _rows_tensor(g, o, f"{o}_b{b}", rows[1] - rows[0])
    nodes.append(Node(f"{node.name}_b{b}", node.op, inputs, [out], attrs, [dict(p) for p in node.params],
                      source=node.source))
    return out, rows[0], rows[1]


def _band_buffer(g: Graph, nodes: list[Node], o: str, prev: Held | None, rows: tuple[int, int],
                 computed: Held | None, b: int) -> Held:
    """Band b's buffer of `o` (rows `rows`): the rows carried from band b-1's buffer, then the new ones."""
    lo, hi = rows
    parts = []
    if prev is not None and lo < prev[2]:
        parts.append(_rows_of(g, nodes, prev, lo, min(hi, prev[2]), f"{o}_b{b}_carry", CARRY))
    if computed is not None:
        parts.append(computed)
    assert parts and parts[0][1] == lo and parts[-1][2] == hi, f"band {b} of {o}: rows {lo}..{hi} not covered"
    if len(parts) == 1:
        return parts[0]
    out = _rows_tensor(g, o, f"{o}_b{b}_rows", hi - lo)
    nodes.append(Node(f"{o}_b{b}_rows", "concat", [p[0] for p in parts], [out], {"axis": 1},
                      source=f"band {b} rows {lo}..{hi} of {o}"))
    return out, lo, hi


__all__ = ["BAND", "band_windows", "rewrite_bands"]
