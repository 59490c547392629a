"""Assign every arena tensor an offset in one static arena.

Buffers: each activation tensor not aliasing another (a reshape's output
shares its input's buffer), plus each node's scratch space. A buffer lives
from the node that writes it to the last node that reads it (or any of its
aliases); graph inputs live from the start, graph outputs to the end.
Placement is greedy by size (largest first, lowest offset that overlaps no
placed buffer with an intersecting lifetime), as TFLite Micro's greedy
planner does. The result is stored in graph.meta["memory"].
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tinygen.ir import Graph, schema

ALIGNMENT = 16


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


@dataclass
class MemoryPlan:
    arena_size: int
    buffers: list[Buffer]
    offsets: dict[str, int]          # tensor name -> byte offset in the arena
    scratch: dict[str, int]          # node name -> scratch offset
    peak_live: int                   # max over time of live bytes: a lower bound on the arena

    def timeline(self, num_nodes: int) -> list[int]:
        """Live bytes at each node index."""
        return [sum(b.size for b in self.buffers if b.first <= i <= b.last) for i in range(num_nodes)]


def _align(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _buffers(graph: Graph) -> tuple[list[Buffer], dict[str, str]]:
    root: dict[str, str] = {}            # tensor -> tensor that owns its storage
    for node in graph.nodes:
        if schema(node.op).alias:
            src = node.inputs[0]
            root[node.outputs[0]] = root.get(src, src)
    end = len(graph.nodes)
    buffers: dict[str, Buffer] = {}
    for t in graph.activation_tensors():
        r = root.get(t.name, t.name)
        buffers.setdefault(r, Buffer(r, graph.tensors[r].nbytes, first=end, last=-1))
        buffers[r].tensors.append(t.name)
    for name in graph.inputs:
        buffers[root.get(name, name)].first = -1
    for i, node in enumerate(graph.nodes):
        for t in node.outputs:
            b = buffers[root.get(t, t)]
            b.first = min(b.first, i)
            b.last = max(b.last, i)
        for t in node.inputs:
            b = buffers[root.get(t, t)]
            b.last = max(b.last, i)
    for name in graph.outputs:
        buffers[root.get(name, name)].last = end
    scratch = [Buffer(f"{n.name}.scratch", n.scratch_bytes, i, i)
               for i, n in enumerate(graph.nodes) if n.scratch_bytes > 0]
    return list(buffers.values()) + scratch, root


def _place(buffers: list[Buffer]) -> int:
    placed: list[Buffer] = []
    for buf in sorted(buffers, key=lambda b: (-b.size, b.first, b.name)):
        conflicts = sorted((p for p in placed if p.overlaps_in_time(buf)), key=lambda p: p.offset)
        offset = 0
        for p in conflicts:
            if offset + buf.size <= p.offset:
                break
            offset = max(offset, _align(p.offset + p.size))
        buf.offset = offset
        placed.append(buf)
    return _align(max((b.offset + b.size for b in buffers), default=0))


def plan_memory(graph: Graph) -> Graph:
    buffers, root = _buffers(graph)
    arena = _place(buffers)
    by_name = {b.name: b for b in buffers}
    offsets = {t.name: by_name[root.get(t.name, t.name)].offset for t in graph.activation_tensors()}
    scratch = {b.name[: -len(".scratch")]: b.offset for b in buffers if b.name.endswith(".scratch")}
    horizon = range(-1, len(graph.nodes) + 1)
    peak = max((sum(b.size for b in buffers if b.first <= i <= b.last) for i in horizon), default=0)
    graph.meta["memory"] = MemoryPlan(arena, buffers, offsets, scratch, peak)
    return graph


def check_plan(graph: Graph) -> None:
    """Assert that no two buffers live at the same time overlap in the arena."""
    plan: MemoryPlan = graph.meta["memory"]
    for i, a in enumerate(plan.buffers):
        assert a.offset % ALIGNMENT == 0, f"{a.name} misaligned"
        assert a.offset + a.size <= plan.arena_size, f"{a.name} beyond the arena"
        for b in plan.buffers[i + 1:]:
            if a.overlaps_in_time(b):
                assert a.offset + a.size <= b.offset or b.offset + b.size <= a.offset, \
                    f"{a.name} and {b.name} overlap"
