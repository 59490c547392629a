"""Plan the camera front end's scratch into the arena (`tinygen build --camera`).

The front end (firmware/camera, firmware/vision) runs before the model's first layer,
between inferences: its buffers (the chunk receive buffer and tg_image's rows, taps and
line) take arena bytes that no tensor holds then. Only the model's input lives at that
time (an application may preprocess straight into tg_model_input(0)), so the scratch is a
buffer living "before the first layer" placed at the lowest offset clear of the input;
the arena grows only if the model's own plan has no such room. The result is recorded in
graph.meta["camera"] (tinygen.vision.plan.CameraPlan) and as a buffer of the memory plan,
so `tinygen inspect --memory`, the fit check and the generated arena all count it.
"""

from __future__ import annotations

from tinygen.ir import Graph
from tinygen.passes.plan_memory import Buffer, align
from tinygen.vision.plan import CameraPlan, CameraSpec, chunk_bytes, image_input, pixel_lut, scratch_bytes

BUFFER = "camera front end"         # its name in the memory plan


def plan_camera(graph: Graph, spec: CameraSpec) -> Graph:
    plan = graph.meta["memory"]
    h, w, c = image_input(graph)
    size = scratch_bytes(w, h, c, spec.max_width)
    live = sorted((b.offset, b.offset + b.size) for b in plan.buffers if b.first <= -1 <= b.last)
    offset = 0
    for lo, hi in live:                              # first fit below, between or above them
        if offset + size <= lo:
            break
        offset = max(offset, align(hi))
    model_arena = plan.arena_size
    plan.buffers = [b for b in plan.buffers if b.name != BUFFER] + [Buffer(BUFFER, size, -1, -1, offset)]
    plan.arena_size = max(plan.arena_size, align(offset + size))
    graph.meta["camera"] = CameraPlan(spec, w, h, c, pixel_lut(graph, spec.pixel_range), offset, size,
                                      chunk_bytes(spec.max_width), model_arena)
    return graph


__all__ = ["BUFFER", "plan_camera"]
