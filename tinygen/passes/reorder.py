"""Choose the order of the nodes (a topological order) that lowers the peak of
live arena bytes, on graphs with branches (residual blocks, concatenations).

The bytes live after running a set S of nodes depend only on S: every buffer
written in S (or a graph input) that a node outside S still reads, or that is
a graph output. So the best order is a shortest-path problem over the sets S
that are closed under predecessors, solved exactly by dynamic programming in
order of |S| (a chain has one such set per length; each two-way branch
multiplies the count by its lengths). Running node n from S costs

    live(S) + n's new buffers + n's scratch - the in-place saving

where the saving is the largest one of n's output over an input whose storage
dies at n (inplace.py's distance D, rounded up to the arena alignment as the
planner places it: the pair takes max(out, in + D) bytes, not out + in), so the
peak of the order kept is the planner's lower bound for it. The cost of an order is its largest step. Past MAX_STATES sets
per level the search continues greedily from the best sets kept (a beam).
The original order is kept unless the new one has a strictly lower peak.

A banded graph's input (outside the arena) is read by its slices in their order (it may
stream in band by band). Kept fast on large graphs (row-banded stages: 100-220 nodes) without a worse peak:
- forced moves (in _search_orders): a ready node that runs within the peak so far and leaves no more
  bytes live is run at once, without branching (never worse than later);
- bounds: the best order known (the frontend's, a greedy one, then a narrow search of
  SEED_STATES sets per level) prunes every set whose peak already reaches it, and no search
  runs where that order meets the floor (no order runs a node with fewer bytes live than
  its own buffers and scratch). All of it counts states, never time: the order is
  deterministic.

Runs after choose_kernels (scratch bytes and in-place rules depend on the
kernels) and before plan_memory. graph.meta["order"] records the peak of both
orders.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinygen.ir import Graph, schema
from tinygen.passes.inplace import overlap_distance
from tinygen.passes.plan_memory import INPUT_OUTSIDE_ARENA, align, concat_views
from tinygen.passes.search_memo import code_version, memoized, search_key

MAX_STATES = 2000           # sets of run nodes kept per level of the search
SEED_STATES = 64            # the same for a first, narrow search whose peak bounds the full one


@dataclass(frozen=True)
class OrderChoice:
    original_peak: int      # largest step cost of the frontend's order
    peak: int               # the same for the order kept
    changed: bool           # the nodes were reordered
    exact: bool             # the search was exhaustive (no level over MAX_STATES)


class _Costs:
    """Buffer sizes, readers and in-place pairs of a graph, by node index; sets of nodes and
    of buffers are int bit masks (node i: bit i; buffer b: bit b)."""

    def __init__(self, graph: Graph):
        nodes = graph.nodes
        # pieces of a concat planned in place live in its output's buffer (plan_memory.concat_views)
        root: dict[str, str] = {piece: out for piece, (out, _) in concat_views(graph).items()}
        joined = set(root.values())          # the outputs of concats planned in place (not aliases')
        for node in nodes:
            if schema(node.op).alias:
                root[node.outputs[0]] = root.get(node.inputs[0], node.inputs[0])
        roots = list(dict.fromkeys(root.get(t.name, t.name) for t in graph.activation_tensors()))
        index = {r: b for b, r in enumerate(roots)}
        self.buffer = lambda t: index[root.get(t, t)]
        producer = {t: i for i, n in enumerate(nodes) for t in n.outputs}
        outside = graph.meta.get(INPUT_OUTSIDE_ARENA)      # not an arena buffer: no bytes
        # a banded input may stream in band by band (codegen/tile_loop.py): the slices reading
        # it keep their order, each after the one before it
        readers_of_input = [i for i, n in enumerate(nodes) if outside is not None and outside in n.inputs]
        after_read = dict(zip(readers_of_input[1:], readers_of_input))
        deps = [{producer[t] for t in n.inputs if t in producer} | ({after_read[i]} if i in after_read else set())
                for i, n in enumerate(nodes)]
        self.preds = [_mask(d) for d in deps]
        self.succs: list[list[int]] = [[] for _ in nodes]
        for i, d in enumerate(deps):
            for p in sorted(d):
                self.succs[p].append(i)
        readers = [0] * len(roots)
        for i, n in enumerate(nodes):
            for t in n.inputs:
                readers[self.buffer(t)] |= 1 << i
        self.readers = readers
        self.size = [0 if r == outside else graph.tensors[r].nbytes for r in roots]
        self.kept = _mask(self.buffer(t) for t in graph.outputs)
        self.inputs = _mask(self.buffer(t) for t in graph.inputs)
        # a concat planned in place allocates nothing: its first piece's producer made the buffer
        self.new = [list(dict.fromkeys(self.buffer(t) for t in n.outputs
                                       if not (n.op == "concat" and t in joined)))
                    if not schema(n.op).alias else [] for n in nodes]
        self.new_mask = [_mask(b) for b in self.new]
        self.out_bytes = [sum(self.size[b] for b in new) for new in self.new]
        self.scratch = [n.scratch_bytes for n in nodes]
        # buffers node i reads or writes: those that may die at i
        self.touched = [list(dict.fromkeys([*(self.buffer(t) for t in n.inputs), *new]))
                        for n, new in zip(nodes, self.new)]
        # (input buffer, distance) pairs each node's output may overlap, if the input dies there
        self.inplace: list[list[tuple[int, int]]] = []
        for n in nodes:
            pairs = []
            if not schema(n.op).alias and len(n.outputs) == 1:
                for t in n.inputs:
                    d = overlap_distance(graph, n, t)
                    if d is not None:       # as the planner places it: D rounded up to the alignment
                        pairs.append((self.buffer(t), align(d)))
            self.inplace.append(pairs)
        # bytes live while node i runs in any order: the buffers it reads and writes, its
        # scratch, less the largest in-place saving it could have (its inputs may die at it)
        self.floor = []
        for i, new in enumerate(self.new):
            out = self.out_bytes[i]
            saving = max((out + self.size[b] - max(out, self.size[b] + d) for b, d in self.inplace[i]),
                         default=0) if len(new) == 1 else 0
            self.floor.append(sum(self.size[b] for b in self.touched[i]) + self.scratch[i] - saving)

    def bytes_of(self, live: int) -> int:
        return sum(self.size[b] for b in _bits(live))

    def after(self, done: int, live: int, live_bytes: int, i: int) -> tuple[int, int]:
        """The buffers live once node i has run after the nodes in `done`, and their bytes
        (node i's outputs were not live before it; what dies at i is its inputs or outputs)."""
        now = done | 1 << i
        added = self.new_mask[i] & ~live       # a joined buffer is live from its first piece on
        live |= added
        live_bytes += self.out_bytes[i] if added == self.new_mask[i] else self.bytes_of(added)
        for b in self.touched[i]:
            if not self.kept >> b & 1 and not self.readers[b] & ~now and live >> b & 1:
                live ^= 1 << b
                live_bytes -= self.size[b]
        return live, live_bytes

    def step(self, done: int, live: int, live_bytes: int, i: int) -> int:
        """Bytes live while node i runs after the nodes in `done` (`live`: buffers, `live_bytes` theirs)."""
        added = self.new_mask[i] & ~live
        out = self.out_bytes[i] if added == self.new_mask[i] else self.bytes_of(added)
        saving = 0
        if len(self.new[i]) == 1:
            now = done | 1 << i
            for b, d in self.inplace[i]:
                if not self.kept >> b & 1 and not self.readers[b] & ~now:
                    size_in = self.size[b]
                    saving = max(saving, out + size_in - max(out, size_in + d))
        return live_bytes + out + self.scratch[i] - saving


def _mask(bits) -> int:
    m = 0
    for b in bits:
        m |= 1 << b
    return m


def _bits(mask: int):
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _run(costs: _Costs, order) -> int:
    done = 0
    live = costs.inputs
    live_bytes = costs.bytes_of(live)
    peak = 0
    for i in order:
        peak = max(peak, costs.step(done, live, live_bytes, i))
        live, live_bytes = costs.after(done, live, live_bytes, i)
        done |= 1 << i
    return peak


def order_peak(graph: Graph, order: list[int] | None = None) -> int:
    """The largest step cost of running the nodes in `order` (default: as listed)."""
    return _run(_Costs(graph), order if order is not None else range(len(graph.nodes)))


def _greedy(costs: _Costs, count: int) -> tuple[list[int], int]:
    """One order, node by node: the ready node whose step costs least (then the fewest bytes
    live after it, then the lowest index). Its peak bounds the search from above."""
    done, live = 0, costs.inputs
    live_bytes = costs.bytes_of(live)
    ready = _mask(i for i in range(count) if not costs.preds[i])
    order, peak = [], 0
    for _ in range(count):
        best = None
        for i in _bits(ready):
            after, after_bytes = costs.after(done, live, live_bytes, i)
            key = (costs.step(done, live, live_bytes, i), after_bytes, i)
            if best is None or key < best[0]:
                best = (key, after, after_bytes)
        (cost, _, i), live, live_bytes = best
        peak = max(peak, cost)
        order.append(i)
        done |= 1 << i
        ready &= ~(1 << i)
        for s in costs.succs[i]:
            if not costs.preds[s] & ~done:
                ready |= 1 << s
    return order, peak


def _search(costs: _Costs, count: int, bound: int, width: int = MAX_STATES) -> tuple[list[int] | None, int, bool]:
    """_search_orders, kept by its inputs (tinygen/passes/search_memo.py): every field of
    `costs` the search reads, the node count, the bound, the width and this file's source."""
    key = search_key(count, bound, width, costs.preds, costs.succs, costs.readers, costs.size, costs.kept,
                     costs.inputs, costs.new, costs.new_mask, costs.out_bytes, costs.scratch, costs.touched,
                     costs.inplace, code_version(__file__))
    return memoized("reorder", key, lambda: _search_orders(costs, count, bound, width))


def _search_orders(costs: _Costs, count: int, bound: int, width: int = MAX_STATES) -> tuple[list[int] | None, int, bool]:
    """(order, peak, exact): dynamic programming over the sets of run nodes (bit masks),
    keeping only orders that stay below `bound` (the peak of an order already known);
    (None, bound, exact) where none does. exact: no level was cut to MAX_STATES, so no
    order has a lower peak than the one returned (or than `bound`).

    Each state keeps the nodes ready to run (predecessors all run) and its order as a
    linked list (last node, rest), so a step costs the ready nodes, not the graph.

    Forced moves: of a state's ready nodes (by index) the first that runs within the peak so
    far and leaves no more bytes live than before it is run at once, without branching. Running
    such a node now is never worse than later: until it runs, its inputs stay live instead of
    its no larger outputs, and its own step fits under the peak already reached (an in-place
    saving depends only on its inputs dying at it, which does not change with the time it runs).

    The step and the bytes after it are _Costs.step's and _Costs.after's, computed here inline
    from per-node tuples: this loop runs millions of times on banded graphs."""
    size, readers, kept, succs, preds = costs.size, costs.readers, costs.kept, costs.succs, costs.preds
    # per node: its bit, new buffers' mask and bytes, scratch, the in-place pairs that can
    # save bytes (a single new buffer; (input's readers, distance, input's bytes) of each pair
    # whose input is not a graph output) and the buffers it touches that may die at it
    nodes = []
    for i in range(count):
        pairs = tuple((readers[b], d, size[b]) for b, d in costs.inplace[i] if not kept >> b & 1) \
            if len(costs.new[i]) == 1 else ()
        dying = tuple((readers[b], 1 << b, size[b]) for b in costs.touched[i] if not kept >> b & 1)
        nodes.append((1 << i, costs.new_mask[i], costs.out_bytes[i], costs.scratch[i], pairs, dying, succs[i]))
    bytes_of = costs.bytes_of
    ready0 = _mask(i for i in range(count) if not preds[i])
    # run nodes -> (peak so far, order, live buffers, their bytes, ready nodes)
    level = {0: (0, None, costs.inputs, costs.bytes_of(costs.inputs), ready0)}
    exact = True
    for _ in range(count):
        nxt: dict[int, tuple] = {}
        for done, (peak, order, live, live_bytes, ready) in level.items():
            moves = []
            rest = ready
            while rest:
                low = rest & -rest
                rest ^= low
                i = low.bit_length() - 1
                bit, new_mask, out_bytes, scratch, pairs, dying, _ = nodes[i]
                now = done | bit
                added = new_mask & ~live
                out = out_bytes if added == new_mask else bytes_of(added)
                saving = 0
                for node_readers, d, size_in in pairs:
                    if not node_readers & ~now:
                        s = out + size_in - (out if out > size_in + d else size_in + d)
                        if s > saving:
                            saving = s
                step = live_bytes + out + scratch - saving
                after, after_bytes = live | added, live_bytes + out
                for node_readers, b_bit, b_size in dying:
                    if not node_readers & ~now and after & b_bit:
                        after ^= b_bit
                        after_bytes -= b_size
                if step <= peak and after_bytes <= live_bytes:
                    moves = [(i, step, now, after, after_bytes)]
                    break
                moves.append((i, step, now, after, after_bytes))
            for i, step, key, after, after_bytes in moves:
                cost = peak if peak > step else step
                if cost >= bound:           # no better than the order known: pruned
                    continue
                if key not in nxt or cost < nxt[key][0]:
                    now_ready = ready & ~(1 << i)
                    for s in nodes[i][6]:
                        if not preds[s] & ~key:
                            now_ready |= 1 << s
                    nxt[key] = (cost, (i, order), after, after_bytes, now_ready)
        if len(nxt) > width:
            exact = False
            nxt = dict(sorted(nxt.items(), key=lambda kv: (kv[1][0], kv[1][3]))[:width])
        if not nxt:
            return None, bound, exact
        level = nxt
    (peak, linked, _, _, _), = level.values()
    order = []
    while linked is not None:
        order.append(linked[0])
        linked = linked[1]
    return order[::-1], peak, exact


def reorder(graph: Graph) -> Graph:
    count = len(graph.nodes)
    costs = _Costs(graph)
    original = _run(costs, range(count))
    if any(n.op == "exit_select" for n in graph.nodes):
        # early exits: each head runs where the model computes it, before the layers it lets
        # the model skip; another order could defer a head past them and save nothing
        graph.meta["order"] = OrderChoice(original, original, False, True)
        return graph
    # the best order known: the frontend's, or the greedy one if lower; the search looks
    # only for lower peaks, and not at all where the known one meets the floor (no order
    # runs a node with fewer bytes live than its own buffers and scratch)
    order, peak = list(range(count)), original
    greedy, greedy_peak = _greedy(costs, count)
    if greedy_peak < peak:
        order, peak = greedy, greedy_peak
    exact = True
    for width in (SEED_STATES, MAX_STATES):
        if peak <= max(costs.floor, default=0):
            break
        found, found_peak, exact = _search(costs, count, peak, width)
        if found is not None:
            order, peak = found, found_peak
    changed = peak < original and order != list(range(count))
    if changed:
        graph.nodes = [graph.nodes[i] for i in order]
    graph.meta["order"] = OrderChoice(original, peak if changed else original, changed, exact)
    return graph
