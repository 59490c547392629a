"""Estimated cycles, time and energy on the stand-ins (`tinygen power --emulate --cycles`).

QEMU counts instructions, not cycles. This package takes the executed
instruction mix per layer from QEMU's execution log (qemu_log, run), prices
it with a per-core timing model (cortex_m4 from Arm's TRM, a coarser
cortex_m7, cortex_m33, cortex_m55 and esp32_c3 uncalibrated) plus flash wait states behind the board's cache
(memory) and, where the board reads its weights from flash through that cache (the ESP32-C3), the weights'
misses per layer (weights), and
reports estimated cycles, ms and energy per layer next to the exact
instruction counts (price). One entry point: `estimate_standin`.
"""

from __future__ import annotations

from pathlib import Path

from tinygen.cycles.qemu_log import LogFolder
from tinygen.cycles.price import LABEL, layer_rows, model_for, price, render, summary, weight_reads


def estimate_standin(board, project: str | Path, x: bytes) -> dict:
    """Run one input layer by layer on the board's stand-in with the execution
    log on; the estimate (see price.summary), per layer and in total."""
    from tinygen.cycles.disasm import disassemble, redisassemble
    from tinygen.cycles.run import firmware_elf, layer_segments

    model, timing = model_for(board)
    blocks, segments, layers, seconds = layer_segments(board, Path(project), x)
    if getattr(model, "OBJDUMP_ARCH", None):            # a core QEMU's disassembler does not know (cortex_m55)
        blocks = redisassemble(blocks, disassemble(firmware_elf(Path(project)), model.OBJDUMP_ARCH))
    priced = [price(blocks, s, model, timing) for s in segments]
    if weight_reads(timing):                            # weights through the code cache: priced per layer
        _add_weight_reads(priced, segments, [layer.name for layer in layers], board, project, timing)
    rows = layer_rows(priced, [layer.name for layer in layers], board)
    for row, layer in zip(rows, layers):
        row["device_count"] = layer.count
    return summary(rows, board, model, seconds)


def _add_weight_reads(priced, segments, names: list[str], board, project: Path, timing: dict) -> None:
    """Each layer's constant reads from flash (tinygen.cycles.weights), from the compiled graph the build kept."""
    from tinygen.build.saved import load_model
    from tinygen.cycles.weights import streams, weight_stall_cycles

    _, graph, _ = load_model(project, board)
    by_name = {s.name: s for s in streams(graph)}
    line = int(timing.get("code_line_bytes", 32))
    for p, segment, name in zip(priced, segments, names):
        stream = by_name.get(name)
        if stream is None:                              # a layer the device names but the graph does not
            continue
        code = len({a // max(line // LogFolder.LINE, 1) for a in segment.lines}) * line     # its code footprint
        p.weight_cycles = weight_stall_cycles(stream, code, timing)
        p.by_class["flash weight reads"] = p.weight_cycles


__all__ = ["LABEL", "estimate_standin", "render"]
