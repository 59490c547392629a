"""Assign every arena tensor an offset in one static arena.

Buffers: each activation tensor not aliasing another (a reshape's output
shares its input's buffer), plus each node's scratch space. A buffer lives
from the node that writes it to the last node that reads it (or any of its
aliases); graph inputs live from the start, graph outputs to the end.

Two buffers live at the same time never overlap, with one exception: a node's
output may overlap an input that node is the last to read, when its kernel
writes in an order that only destroys input bytes already consumed
(tinygen/passes/inplace.py states the rule per kernel, as a distance D: the
output starts at least D bytes below the input).

Placement tries several greedy orders (by size, by lifetime length, by first
use, by size x lifetime) with first-fit and best-fit on the address gaps, and
keeps the smallest arena; it stops as soon as one reaches the lower bound (the
largest live set, counting the allowed overlaps). The result is stored in
graph.meta["memory"].
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tinygen.ir import Graph, schema
from tinygen.passes.inplace import overlap_distance
from tinygen.passes.search_memo import code_version, memoized, search_key

ALIGNMENT = 16
# graph.meta key: the graph input kept outside the arena (a banded stage reads it row window by
# row window, passes/band.py); the generated model holds it in a buffer of its own, which the
# firmware's input staging buffer is (firmware/runtime/tg_input.c): the arena never holds it
INPUT_OUTSIDE_ARENA = "input_outside_arena"
# graph.meta key, True where the input outside the arena also streams in: its buffer holds only the
# rows of one band's input window (the camera front end writes rows as they come, codegen/tile_loop.py)
STREAM_INPUT = "stream_input"
ARENA_SECTION = ".tg_arena"     # the arena's linker section when it goes to a chosen memory region
# a recurrent layer's persistent state buffer: "<node>.state" (MemoryPlan.state)
STATE_SUFFIX = ".state"


@dataclass
class Buffer:
    name: str            # tensor name, or "<node>.scratch"
    size: int
    first: int           # index of the first node that needs it (-1: before the first)
    last: int            # index of the last node that needs it
    offset: int = -1
    tensors: list[str] = field(default_factory=list)   # tensors stored here

    def overlaps_in_time(self, other: "Buffer") -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class Share:
    """`output` may overlap `input` if it starts at least `distance` bytes below it."""
    output: str
    input: str
    distance: int


@dataclass
class MemoryPlan:
    arena_size: int
    buffers: list[Buffer]
    offsets: dict[str, int]          # tensor name -> byte offset in the arena
    scratch: dict[str, int]          # node name -> scratch offset
    peak_live: int                   # max over time of the live buffers' bytes
    shares: list[Share] = field(default_factory=list)   # allowed in-place overlaps
    lower_bound: int = 0             # peak_live with the allowed overlaps counted once
    strategy: str = ""               # the placement order that produced this plan
    region: str | None = None        # the board memory region the arena goes to (None: with the rest of RAM)
    joined: tuple[str, ...] = ()     # concats planned in place (concat_views): their pieces are already there
    # recurrent layers: node name -> offset of its persistent state (never shared with anything)
    state: dict[str, int] = field(default_factory=dict)

    @property
    def state_bytes(self) -> int:
        """The persistent region's bytes: every recurrent layer's state."""
        return sum(b.size for b in self.buffers if b.name.endswith(STATE_SUFFIX))

    def timeline(self, num_nodes: int) -> list[int]:
        """Live bytes at each node index."""
        return [sum(b.size for b in self.buffers if b.first <= i <= b.last) for i in range(num_nodes)]


def align(n: int) -> int:
    """n rounded up to the arena alignment (an in-place output starts D bytes below its
    input, D rounded up like this; tinygen.passes.reorder counts overlaps the same way)."""
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def concat_views(graph: Graph) -> dict[str, tuple[str, int]]:
    """Concats planned in place: piece -> (the concat's output, the piece's byte offset in it).

    A concat whose pieces are contiguous runs of its output (nothing outside the concat axis
    varies: every dimension before it is 1, e.g. full-width row bands joined along H) copies
    nothing when each piece is written at its place in the output buffer. Planned so where
    every piece is an int8 activation written by a kernel (not a graph input or output, not an
    alias, not itself joined in place) that only this concat reads."""
    views: dict[str, tuple[str, int]] = {}
    joined: set[str] = set()
    for node in graph.nodes:
        if node.op != "concat" or node.kernel is None:
            continue
        out = graph.tensor(node.outputs[0])
        axis = node.attrs["axis"] % len(out.shape)
        if any(d != 1 for d in out.shape[:axis]) or out.name in graph.inputs or len(set(node.inputs)) != len(node.inputs):
            continue
        ok = True
        for t in node.inputs:
            producer = graph.producer(t)
            ok = ok and (producer is not None and not schema(producer.op).alias and t not in views
                         and t not in joined
                         and t not in graph.outputs and graph.tensor(t).dtype == "int8"
                         and [c.name for c in graph.consumers(t)] == [node.name])
        if not ok or out.dtype != "int8":
            continue
        offset = 0
        joined.add(out.name)
        for t in node.inputs:
            views[t] = (out.name, offset)
            offset += graph.tensor(t).nbytes
    return views


def _buffers(graph: Graph) -> tuple[list[Buffer], dict[str, str], dict[str, int]]:
    """Buffers, each tensor's storage owner (root) and its byte offset in the owner's buffer."""
    root: dict[str, str] = {}            # tensor -> tensor that owns its storage
    delta: dict[str, int] = {}
    for piece, (out, offset) in concat_views(graph).items():
        root[piece], delta[piece] = out, offset
    for node in graph.nodes:
        if schema(node.op).alias:
            src = node.inputs[0]
            root[node.outputs[0]] = root.get(src, src)
            delta[node.outputs[0]] = delta.get(src, 0)
    end = len(graph.nodes)
    outside = graph.meta.get(INPUT_OUTSIDE_ARENA)
    buffers: dict[str, Buffer] = {}
    for t in graph.activation_tensors():
        if t.name == outside:
            continue
        r = root.get(t.name, t.name)
        buffers.setdefault(r, Buffer(r, graph.tensors[r].nbytes, first=end, last=-1))
        buffers[r].tensors.append(t.name)
    for name in graph.inputs:
        if name != outside:
            buffers[root.get(name, name)].first = -1
    for i, node in enumerate(graph.nodes):
        for t in node.outputs:
            b = buffers[root.get(t, t)]
            b.first = min(b.first, i)
            b.last = max(b.last, i)
        for t in node.inputs:
            if t != outside:
                b = buffers[root.get(t, t)]
                b.last = max(b.last, i)
    for name in graph.outputs:
        buffers[root.get(name, name)].last = end
    scratch = [Buffer(f"{n.name}.scratch", n.scratch_bytes, i, i)
               for i, n in enumerate(graph.nodes) if n.scratch_bytes > 0]
    # recurrent layers' state (KernelSpec.state): live from before the first node to after the
    # last, and across invocations, so no other buffer ever shares its bytes
    state = [Buffer(f"{n.name}{STATE_SUFFIX}", n.state_bytes, -1, end) for n in graph.nodes if n.state_bytes > 0]
    return list(buffers.values()) + scratch + state, root, delta


def _shares(graph: Graph, buffers: dict[str, Buffer], root: dict[str, str], delta: dict[str, int]) -> list[Share]:
    """In-place overlaps the kernels allow: output over an input whose storage dies here."""
    shares = {}
    for i, node in enumerate(graph.nodes):
        if schema(node.op).alias or len(node.outputs) != 1:
            continue
        out = root.get(node.outputs[0], node.outputs[0])
        for t in node.inputs:
            src = buffers.get(root.get(t, t))
            if src is None or src.last != i or src.name == out:
                continue
            d = overlap_distance(graph, node, t)
            if d is not None:               # an output written inside a joined buffer: D below its own start
                d = max(0, d + delta.get(node.outputs[0], 0) - delta.get(t, 0))
            if d is not None and d < buffers[out].size:
                key = (out, src.name)
                shares[key] = max(shares.get(key, 0), align(d))
    return [Share(o, i, d) for (o, i), d in shares.items()]


def _lower_bound(buffers: list[Buffer], shares: list[Share], end: int) -> int:
    """Largest live set, an output and the inputs it may overlap counted as their
    smallest possible footprint."""
    by_name = {b.name: b for b in buffers}
    groups: dict[str, list[Share]] = {}
    for s in shares:
        groups.setdefault(s.output, []).append(s)
    best = 0
    for t in range(-1, end + 1):
        live = {b.name for b in buffers if b.first <= t <= b.last}
        total = sum(by_name[n].size for n in live)
        for out, group in groups.items():
            ins = [s for s in group if s.input in live and out in live]
            if ins:
                sizes = [by_name[s.input].size for s in ins]
                footprint = max(by_name[out].size, sum(sizes),
                                *(s.distance + by_name[s.input].size for s in ins))
                total -= by_name[out].size + sum(sizes) - footprint
        best = max(best, total)
    return best


def _forbidden(buf: Buffer, p: Buffer, shares: dict[tuple[str, str], int]) -> tuple[int, int]:
    """Offsets [lo, hi) at which buf would collide with placed buffer p."""
    if (buf.name, p.name) in shares:           # buf is the output: at least D below p
        return p.offset - min(shares[buf.name, p.name], buf.size) + 1, p.offset + p.size
    if (p.name, buf.name) in shares:           # buf is the input: at least D above p
        return p.offset - buf.size + 1, p.offset + min(shares[p.name, buf.name], p.size)
    return p.offset - buf.size + 1, p.offset + p.size


def lowest_free(spans: list[tuple[int, int]]) -> int:
    """The lowest offset at or above 0, of 0 and the spans' aligned ends, that no span [lo, hi)
    covers (first fit; placed buffers end at or above 0, so every end is a candidate).
    One sweep over the spans by their start: the offset moves past each span that covers it,
    and the first span that starts above it ends the sweep (every later one starts higher)."""
    offset = 0
    for lo, hi in sorted(spans):
        if lo > offset:
            break
        if offset < hi:
            offset = align(hi)
    return offset


def _offset(buf: Buffer, placed: list[Buffer], shares: dict[tuple[str, str], int], best_fit: bool) -> int:
    spans = [_forbidden(buf, p, shares) for p in placed if p.overlaps_in_time(buf)]
    if not best_fit:
        return lowest_free(spans)
    candidates = sorted({0} | {align(hi) for _, hi in spans})
    free = [c for c in candidates if not any(lo <= c < hi for lo, hi in spans)]

    def gap(c: int) -> float:       # room above c before the next collision
        return min((lo - c for lo, _ in spans if lo > c), default=float("inf"))
    return min(free, key=lambda c: (gap(c), c))


ORDERS = {
    "size": lambda b: (-b.size, b.first, b.name),
    "lifetime": lambda b: (-(b.last - b.first), -b.size, b.name),
    "first use": lambda b: (b.first, -b.size, b.name),
    "size x lifetime": lambda b: (-b.size * (b.last - b.first + 1), b.name),
}


def _place(buffers: list[Buffer], shares: dict[tuple[str, str], int], order: str, best_fit: bool) -> int:
    placed: list[Buffer] = []
    for buf in sorted(buffers, key=ORDERS[order]):
        buf.offset = _offset(buf, placed, shares, best_fit)
        placed.append(buf)
    return align(max((b.offset + b.size for b in buffers), default=0))


def _place_in_place(buffers: list[Buffer], shares: dict[tuple[str, str], int], room: bool) -> int:
    """In order of first use, put each output exactly D below an input it may
    overwrite when that spot is free, else at the lowest free offset at or above
    the lowest one used so far (with `room`: first trying to leave free below an
    input the D bytes its in-place output will need). Chains of in-place layers
    drift downwards, so offsets may go negative: the plan is shifted up at the
    end (collisions only depend on differences of offsets)."""
    placed: list[Buffer] = []
    below = {}                                   # input -> room its in-place output needs
    if room:
        for (out, inp), d in shares.items():
            below[inp] = max(below.get(inp, 0), d)
    for buf in sorted(buffers, key=ORDERS["first use"]):
        spans = [_forbidden(buf, p, shares) for p in placed if p.overlaps_in_time(buf)]
        floor = min((p.offset for p in placed), default=0)
        inplace = sorted(p.offset - shares[buf.name, p.name] for p in placed if (buf.name, p.name) in shares)
        ends = {floor} | {align(hi) for _, hi in spans if align(hi) >= floor}
        roomy = sorted(c + below[buf.name] for c in ends) if buf.name in below else []
        candidates = inplace[::-1] + roomy + sorted(ends)
        buf.offset = next(c for c in candidates if not any(lo <= c < hi for lo, hi in spans))
        placed.append(buf)
    low = min((b.offset for b in buffers), default=0)
    for b in buffers:
        b.offset -= low
    return align(max((b.offset + b.size for b in buffers), default=0))


STRATEGIES = [(order, fit) for order in ORDERS for fit in ("first fit", "best fit")] + \
    [("in place", "tight"), ("in place", "leaving room")]


EXACT_BUDGET = 20_000        # placements the exact search may try after the greedy strategies


def exact_placement(buffers: list[Buffer], pairs: dict[tuple[str, str], int], best: int,
                    budget: int | None = EXACT_BUDGET) -> tuple[int, list[int]] | None:
    """_exact_placement, kept by its inputs (tinygen/passes/search_memo.py): each buffer's
    name, size and lifetime in order, the pairs, `best`, `budget`, the alignment and this file's source."""
    key = search_key([(b.name, b.size, b.first, b.last) for b in buffers], sorted(pairs.items()), best, budget,
                     ALIGNMENT, code_version(__file__))
    return memoized("placement", key, lambda: _exact_placement(buffers, pairs, best, budget))


def _exact_placement(buffers: list[Buffer], pairs: dict[tuple[str, str], int], best: int,
                     budget: int | None = EXACT_BUDGET) -> tuple[int, list[int]] | None:
    """The smallest arena below `best`, by branch and bound over the order in which
    buffers are placed, each at its lowest free offset: some order reproduces any
    optimal plan (place buffers by their offsets in it, an output before an input it
    overlaps at the same offset; each lands at or below its optimal place). Returns
    (arena, offsets), or None if nothing below `best` was found. With a budget the
    search stops after that many placements (None: exhaustive)."""
    n = len(buffers)
    order = sorted(range(n), key=lambda i: (-buffers[i].size, buffers[i].first))
    # the buffers each one can collide with (live at a common step), each with the span of
    # offsets it forbids (_forbidden's) relative to its own offset: no other placed buffer
    # forbids any, so leaving them out changes no offset, only the time it takes
    rivals = []
    for i, buf in enumerate(buffers):
        spans = []
        for j, p in enumerate(buffers):
            if j != i and p.overlaps_in_time(buf):
                lo, hi = _forbidden(buf, p, pairs)
                spans.append((j, lo - p.offset, hi - p.offset))
        rivals.append(spans)
    offsets = [0] * n
    is_placed = [False] * n
    found: list = [best, None]
    tries = [0]

    def search(rest: list[int], top: int) -> None:
        if not rest:
            found[0], found[1] = top, list(offsets)
            return
        for i in rest:
            if budget is not None and tries[0] >= budget:
                return
            tries[0] += 1
            offset = lowest_free([(offsets[j] + lo, offsets[j] + hi) for j, lo, hi in rivals[i] if is_placed[j]])
            offsets[i] = offset
            end = align(max(top, offset + buffers[i].size))
            if end < found[0]:
                is_placed[i] = True
                search([j for j in rest if j != i], end)
                is_placed[i] = False
    search(order, 0)
    return (found[0], found[1]) if found[1] is not None else None


def _best_placement(buffers: list[Buffer], shares: list[Share], bound: int, strategies) -> tuple[int, str]:
    """Try every strategy; keep the smallest arena (the first one found on ties),
    stopping early at the lower bound."""
    pairs = {(s.output, s.input): s.distance for s in shares}
    best: tuple[int, str, list[int]] | None = None
    for order, fit in strategies:
        if order == "in place":
            arena = _place_in_place(buffers, pairs, fit == "leaving room") if pairs else None
        else:
            arena = _place(buffers, pairs, order, fit == "best fit")
        if arena is not None and (best is None or arena < best[0]):
            best = (arena, f"{order}, {fit}", [b.offset for b in buffers])
        if best is not None and best[0] <= align(bound):
            break
    assert best is not None
    if best[0] > align(bound) and strategies is STRATEGIES:
        exact = exact_placement(buffers, pairs, best[0])
        if exact is not None:
            best = (exact[0], "search over placement orders", exact[1])
    for b, off in zip(buffers, best[2]):
        b.offset = off
    return best[0], best[1]


def plan_memory(graph: Graph, strategies=None, region: str | None = None) -> Graph:
    """`strategies`: the placements to try (default all of STRATEGIES), e.g. only
    ("in place", "tight") to force every allowed overlap (tests). `region`: the
    board's memory region for the arena (--arena-region), recorded in the plan for
    the build, which checks it against the board."""
    buffers, root, delta = _buffers(graph)
    by_name = {b.name: b for b in buffers}
    shares = _shares(graph, by_name, root, delta)
    end = len(graph.nodes)
    peak = max((sum(b.size for b in buffers if b.first <= i <= b.last) for i in range(-1, end + 1)), default=0)
    bound = _lower_bound(buffers, shares, end)
    arena, strategy = _best_placement(buffers, shares, bound, strategies or STRATEGIES)
    offsets = {t.name: by_name[root.get(t.name, t.name)].offset + delta.get(t.name, 0)
               for t in graph.activation_tensors() if t.name != graph.meta.get(INPUT_OUTSIDE_ARENA)}
    scratch = {b.name[: -len(".scratch")]: b.offset for b in buffers if b.name.endswith(".scratch")}
    joined = tuple(sorted({n.name for n in graph.nodes if n.op == "concat" and n.inputs[0] in delta
                           and root.get(n.inputs[0]) == n.outputs[0]}))
    state = {b.name[: -len(STATE_SUFFIX)]: b.offset for b in buffers if b.name.endswith(STATE_SUFFIX)}
    graph.meta["memory"] = MemoryPlan(arena, buffers, offsets, scratch, peak, shares, bound, strategy, region,
                                      joined, state)
    return graph


def check_plan(graph: Graph) -> None:
    """Assert that no two buffers live at the same time overlap in the arena, except
    an output over an input its kernel may overwrite, and then only at least the
    kernel's distance below it."""
    plan: MemoryPlan = graph.meta["memory"]
    shares = {(s.output, s.input): s.distance for s in plan.shares}
    for i, a in enumerate(plan.buffers):
        assert a.offset % ALIGNMENT == 0, f"{a.name} misaligned"
        assert a.offset + a.size <= plan.arena_size, f"{a.name} beyond the arena"
        for b in plan.buffers[i + 1:]:
            if not a.overlaps_in_time(b) or a.offset + a.size <= b.offset or b.offset + b.size <= a.offset:
                continue
            out, inp = (a, b) if (a.name, b.name) in shares else (b, a)
            assert (out.name, inp.name) in shares, f"{a.name} and {b.name} overlap"
            assert out.offset + shares[out.name, inp.name] <= inp.offset, \
                f"{out.name} overlaps {inp.name} less than {shares[out.name, inp.name]} B below it"
