"""A banded model's input that streams in (issue 18 part 2): which input rows each band reads.

A banded graph (passes/band.py) keeps its input outside the arena
(plan_memory.INPUT_OUTSIDE_ARENA) and reads it only through `slice` nodes of band b
(attrs[BAND]). With plan_memory.STREAM_INPUT set (the camera front end sets it,
passes/plan_camera.py) the generated model's input buffer holds only one band's window of
rows (codegen/tile_loop.py): the camera preprocessing writes rows as the frame arrives and
runs each band once its rows are there (firmware/camera/tg_camera.c, tg_model_invoke_band).
The windows here are the generated model's (TG_MODEL_INPUT_BANDS, _WINDOW_ROWS): codegen
uses these functions.

    windows, last = band_windows_of(graph, graph.nodes)   # per band: rows [first, end), its last read
    window_rows(graph)                                    # TG_MODEL_INPUT_WINDOW_ROWS
    input_buffer_bytes(graph)                             # the firmware's input buffer (predict)
"""

from __future__ import annotations

from tinygen.ir import Graph, Node
from tinygen.passes.band import BAND
from tinygen.passes.plan_memory import INPUT_OUTSIDE_ARENA, STREAM_INPUT


def input_rows(graph: Graph, node: Node) -> tuple[int, int]:
    """The input rows a slice of the (whole) banded input copies."""
    begin = node.attrs["begin"]
    return begin, begin + graph.tensor(node.outputs[0]).shape[1]


def band_windows_of(graph: Graph, nodes: list[Node]) -> tuple[list[tuple[int, int]], list[int]]:
    """Per band: the input rows its slices read, and the index (in `nodes`) of its last one."""
    source = graph.meta[INPUT_OUTSIDE_ARENA]
    bands = 1 + max(n.attrs[BAND] for n in nodes if BAND in n.attrs)
    windows: list[tuple[int, int] | None] = [None] * bands
    last = [-1] * bands
    for i, node in enumerate(nodes):
        if node.op != "slice" or node.inputs[0] != source:
            continue
        b = node.attrs[BAND]
        lo, hi = input_rows(graph, node)
        w = windows[b]
        windows[b] = (lo, hi) if w is None else (min(w[0], lo), max(w[1], hi))
        last[b] = i
    # a band reading no input row (possible where a stride skips rows) reads an empty window at its start
    prev_end, prev_last = 0, -1
    for b in range(bands):
        if windows[b] is None:
            windows[b], last[b] = (prev_end, prev_end), prev_last
        prev_end, prev_last = windows[b][1], last[b]
    return windows, last


def check_streamable(windows: list[tuple[int, int]], last: list[int]) -> str | None:
    """Why the input cannot stream in band by band, or None."""
    for b in range(1, len(windows)):
        if windows[b][0] < windows[b - 1][0] or windows[b][1] < windows[b - 1][1]:
            return f"band {b} reads input rows {windows[b]} above band {b - 1}'s {windows[b - 1]}"
        if last[b] < last[b - 1]:
            return f"band {b}'s input is read before band {b - 1}'s"
    return None


def banded_input(graph: Graph) -> bool:
    """The graph reads its input band by band, from outside the arena."""
    return bool(graph.meta.get(INPUT_OUTSIDE_ARENA)) and any(BAND in n.attrs for n in graph.nodes)


def why_not_streamable(graph: Graph) -> str | None:
    """Why this graph's input cannot stream in (None: it can)."""
    if not banded_input(graph):
        return "the input is not read band by band (no row bands, or it is in the arena)"
    return check_streamable(*band_windows_of(graph, graph.nodes))


def streamed(graph: Graph) -> bool:
    return bool(graph.meta.get(STREAM_INPUT)) and banded_input(graph)


def row_bytes(graph: Graph) -> int:
    """Bytes of one row of the (single) input: W x C int8."""
    _, _, w, c = graph.tensor(graph.inputs[0]).shape
    return w * c


def window_rows(graph: Graph) -> int:
    """The most rows one band's window spans (TG_MODEL_INPUT_WINDOW_ROWS)."""
    windows, _ = band_windows_of(graph, graph.nodes)
    return max((end - first for first, end in windows), default=0)


def last_read(graph: Graph) -> int:
    """Index (in graph.nodes) of the last band's last input read."""
    return max(band_windows_of(graph, graph.nodes)[1])


def input_buffer_bytes(graph: Graph) -> int:
    """The firmware's input buffer: one band's window when streamed, else every input whole."""
    if streamed(graph):
        return window_rows(graph) * row_bytes(graph)
    return sum(graph.tensor(n).nbytes for n in graph.inputs)


__all__ = ["band_windows_of", "banded_input", "check_streamable", "input_buffer_bytes", "input_rows", "last_read",
           "row_bytes", "streamed", "why_not_streamable", "window_rows"]
