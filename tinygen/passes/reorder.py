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

Runs after choose_kernels (scratch bytes and in-place rules depend on the
kernels) and before plan_memory. graph.meta["order"] records the peak of both
orders.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinygen.ir import Graph, schema
from tinygen.passes.inplace import overlap_distance
from tinygen.passes.plan_memory import INPUT_OUTSIDE_ARENA, align, concat_views

MAX_STATES = 2000           # sets of run nodes kept per level of the search


@dataclass(frozen=True)
class OrderChoice:
    original_peak: int      # largest step cost of the frontend's order
    peak: int               # the same for the order kept
    changed: bool           # the nodes were reordered
    exact: bool             # the search was exhaustive (no level over MAX_STATES)


class _Costs:
    """Buffer sizes, readers and in-place pairs of a graph, by node index."""

    def __init__(self, graph: Graph):
        nodes = graph.nodes
        # pieces of a concat planned in place live in its output's buffer (plan_memory.concat_views)
        root: dict[str, str] = {piece: out for piece, (out, _) in concat_views(graph).items()}
        for node in nodes:
            if schema(node.op).alias:
                root[node.outputs[0]] = root.get(node.inputs[0], node.inputs[0])
        self.root = lambda t: root.get(t, t)
        producer = {t: i for i, n in enumerate(nodes) for t in n.outputs}
        self.preds = [{producer[t] for t in n.inputs if t in producer} for n in nodes]
        self.readers: dict[str, set[int]] = {}
        for i, n in enumerate(nodes):
            for t in n.inputs:
                self.readers.setdefault(self.root(t), set()).add(i)
        outside = graph.meta.get(INPUT_OUTSIDE_ARENA)      # not an arena buffer: no bytes
        self.size = {self.root(t.name): 0 if t.name == outside else graph.tensors[self.root(t.name)].nbytes
                     for t in graph.activation_tensors()}
        self.kept = {self.root(t) for t in graph.outputs}
        self.inputs = {self.root(t) for t in graph.inputs}
        joined = set(root.values())
        self.new = [[self.root(t) for t in n.outputs if not schema(n.op).alias
                     and not (n.op == "concat" and t in joined)] for n in nodes]
        self.scratch = [n.scratch_bytes for n in nodes]
        self.inputs_of = [list(n.inputs) for n in nodes]
        # (input root, distance) pairs each node's output may overlap, if the input dies there
        self.inplace: list[list[tuple[str, int]]] = []
        for n in nodes:
            pairs = []
            if not schema(n.op).alias and len(n.outputs) == 1:
                for t in n.inputs:
                    d = overlap_distance(graph, n, t)
                    if d is not None:       # as the planner places it: D rounded up to the alignment
                        pairs.append((self.root(t), align(d)))
            self.inplace.append(pairs)

    def after(self, done: frozenset, live: frozenset, i: int) -> frozenset:
        """The buffers live once node i has run after the nodes in `done`."""
        now = done | {i}
        dead = {r for r in [*map(self.root, self.inputs_of[i]), *self.new[i]]
                if r not in self.kept and self.readers.get(r, set()) <= now}
        return (live | set(self.new[i])) - dead

    def step(self, done: frozenset, live_bytes: int, i: int) -> int:
        """Bytes live while node i runs after the nodes in `done`."""
        out = sum(self.size[r] for r in self.new[i])
        saving = 0
        for r, d in self.inplace[i]:
            if r not in self.kept and self.readers[r] <= done | {i} and len(self.new[i]) == 1:
                size_in = self.size[r]
                saving = max(saving, out + size_in - max(out, size_in + d))
        return live_bytes + out + self.scratch[i] - saving


def _run(costs: _Costs, order) -> int:
    done: frozenset = frozenset()
    live = frozenset(costs.inputs)
    peak = 0
    for i in order:
        peak = max(peak, costs.step(done, sum(costs.size[r] for r in live), i))
        live = costs.after(done, live, i)
        done = done | {i}
    return peak


def order_peak(graph: Graph, order: list[int] | None = None) -> int:
    """The largest step cost of running the nodes in `order` (default: as listed)."""
    return _run(_Costs(graph), order if order is not None else range(len(graph.nodes)))


def _search(costs: _Costs, count: int) -> tuple[list[int], int, bool]:
    """(order, peak, exact): dynamic programming over the sets of run nodes."""
    # run nodes -> (peak so far, order, live buffers, their bytes)
    level = {frozenset(): (0, [], frozenset(costs.inputs), sum(costs.size[r] for r in costs.inputs))}
    exact = True
    for _ in range(count):
        nxt: dict[frozenset, tuple] = {}
        for done, (peak, order, live, live_bytes) in level.items():
            for i in range(count):
                if i in done or not costs.preds[i] <= done:
                    continue
                key = done | {i}
                cost = max(peak, costs.step(done, live_bytes, i))
                if key not in nxt or cost < nxt[key][0]:
                    after = costs.after(done, live, i)
                    nxt[key] = (cost, order + [i], after, sum(costs.size[r] for r in after))
        if len(nxt) > MAX_STATES:
            exact = False
            nxt = dict(sorted(nxt.items(), key=lambda kv: (kv[1][0], kv[1][3]))[:MAX_STATES])
        level = nxt
    (peak, order, _, _), = level.values()
    return order, peak, exact


def reorder(graph: Graph) -> Graph:
    count = len(graph.nodes)
    costs = _Costs(graph)
    original = _run(costs, range(count))
    if any(n.op == "exit_select" for n in graph.nodes):
        # early exits: each head runs where the model computes it, before the layers it lets
        # the model skip; another order could defer a head past them and save nothing
        graph.meta["order"] = OrderChoice(original, original, False, True)
        return graph
    order, peak, exact = _search(costs, count)
    changed = peak < original and order != list(range(count))
    if changed:
        graph.nodes = [graph.nodes[i] for i in order]
    graph.meta["order"] = OrderChoice(original, peak if changed else original, changed, exact)
    return graph
