"""Plan the camera front end's scratch into the arena (`tinygen build --camera`).

The front end (firmware/camera, firmware/vision) preprocesses frame rows into the model's
input: its buffers (the chunk receive buffer and tg_image's rows, taps and line) take arena
bytes that no tensor holds while they live.

- Whole input (the default for an unbanded model): the front end runs before the model's
  first layer, between inferences. Only the model's input lives then (an application may
  preprocess straight into tg_model_input(0)), so the scratch is a buffer living "before
  the first layer" (first = last = -1).
- Streamed input (a banded model whose input is outside the arena, passes/band.py, unless
  `stream` is False or its bands do not read the input in order, passes/stream_input.py):
  graph.meta[STREAM_INPUT] is set, the input buffer holds one band's
  window of rows, and the firmware runs each band as soon as its rows arrived, between
  frame rows (tg_model_invoke_band). The scratch then lives from before the first layer
  through the node making the last band's input read (passes/stream_input.py last_read).

Either way it goes at the lowest offset clear of every buffer live in that range (first
fit); the arena grows only if the model's own plan has no such room. The result is recorded
in graph.meta["camera"] (tinygen.passes.camera_input.CameraPlan) and as a buffer of the memory plan,
so `tinygen inspect --memory`, the fit check and the generated arena all count it.
"""

from __future__ import annotations

from tinygen.ir import Graph
from tinygen.passes.camera_input import CameraPlan, CameraSpec, chunk_bytes, image_input, pixel_lut, scratch_bytes
from tinygen.passes.plan_memory import STREAM_INPUT, Buffer, align
from tinygen.passes.stream_input import banded_input, last_read, why_not_streamable

BUFFER = "camera front end"         # its name in the memory plan


def plan_camera(graph: Graph, spec: CameraSpec, stream: bool = True) -> Graph:
    plan = graph.meta["memory"]
    h, w, c = image_input(graph)
    why = why_not_streamable(graph) if stream else "--whole-input"
    graph.meta[STREAM_INPUT] = why is None
    last = last_read(graph) if why is None else -1
    size = scratch_bytes(w, h, c, spec.max_width)
    others = [b for b in plan.buffers if b.name != BUFFER]
    live = sorted((b.offset, b.offset + b.size) for b in others if b.first <= last and b.last >= -1)
    offset = 0
    for lo, hi in live:                              # first fit below, between or above them
        if offset + size <= lo:
            break
        offset = max(offset, align(hi))
    model_arena = plan.arena_size
    plan.buffers = others + [Buffer(BUFFER, size, -1, last, offset)]
    plan.arena_size = max(plan.arena_size, align(offset + size))
    graph.meta["camera"] = CameraPlan(spec, w, h, c, pixel_lut(graph, spec.pixel_range), offset, size,
                                      chunk_bytes(spec.max_width), model_arena, last,
                                      why if banded_input(graph) else None)
    return graph


__all__ = ["BUFFER", "plan_camera"]
