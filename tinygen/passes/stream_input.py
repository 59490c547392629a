"""A banded model's input that streams in (issue 18 part 2): which input rows each band reads.

A banded graph (passes/band.py) keeps its input outside the arena
(plan_memory.INPUT_OUTSIDE_ARENA) and reads it only through `slice` nodes, one per band
that needs new input rows, in schedule order. With plan_memory.STREAM_INPUT set (the camera
front end does, passes/plan_camera.py) the generated model's input buffer holds only one
band's window of rows: the camera preprocessing writes rows as the frame arrives and runs
each band once its rows are there (firmware/camera/tg_camera.c, tg_model_invoke_band).

    reads = input_reads(graph)        # [(node index, first row, end row)] per band, in order
    window_bytes(graph)               # the streamed input buffer: the widest window's rows x W x C
"""

from __future__ import annotations

from typing import NamedTuple

from tinygen.ir import Graph
from tinygen.passes.plan_memory import INPUT_OUTSIDE_ARENA, STREAM_INPUT


class InputRead(NamedTuple):
    node: int          # index of the node reading the rows (a slice of the input)
    first: int         # rows [first, end) of the input
    end: int


def input_reads(graph: Graph) -> list[InputRead]:
    """The row windows the schedule reads from the input outside the arena, in order; [] when
    the input is in the arena. Each reader is a slice along H (passes/band.py writes nothing else)."""
    source = graph.meta.get(INPUT_OUTSIDE_ARENA)
    if not source:
        return []
    reads = []
    for i, node in enumerate(graph.nodes):
        if source not in node.inputs:
            continue
        assert node.op == "slice" and node.attrs["axis"] == 1, f"{node.name} reads the banded input whole"
        first = node.attrs["begin"]
        reads.append(InputRead(i, first, first + graph.tensor(node.outputs[0]).shape[1]))
    for a, b in zip(reads, reads[1:]):      # the firmware only moves its window down
        assert a.first <= b.first and a.end <= b.end, f"input windows {a} then {b} move up"
    return reads


def row_bytes(graph: Graph) -> int:
    """Bytes of one row of the (single) input: W x C int8."""
    _, _, w, c = graph.tensor(graph.inputs[0]).shape
    return w * c


def window_rows(graph: Graph) -> int:
    """The most rows one band's window spans (TG_MODEL_INPUT_WINDOW_ROWS)."""
    return max((r.end - r.first for r in input_reads(graph)), default=0)


def streamed(graph: Graph) -> bool:
    return bool(graph.meta.get(STREAM_INPUT)) and bool(graph.meta.get(INPUT_OUTSIDE_ARENA))


def input_buffer_bytes(graph: Graph) -> int:
    """The firmware's input buffer: one band's window when streamed, else every input whole."""
    if streamed(graph):
        return window_rows(graph) * row_bytes(graph)
    return sum(graph.tensor(n).nbytes for n in graph.inputs)


def last_read(graph: Graph) -> int:
    """Index of the node making the last band's input read (-1: none)."""
    reads = input_reads(graph)
    return reads[-1].node if reads else -1


__all__ = ["InputRead", "input_buffer_bytes", "input_reads", "last_read", "row_bytes", "streamed", "window_rows"]
