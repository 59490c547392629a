"""Estimated cycles, time and energy on the stand-ins (`tinygen power --emulate --cycles`).

QEMU counts instructions, not cycles. This package takes the executed
instruction mix per layer from QEMU's execution log (qemu_log, run), prices
it with a per-core timing model (cortex_m4 from Arm's TRM, a coarser
cortex_m7, cortex_m33, cortex_m55 and esp32_c3 uncalibrated) plus flash wait states behind the board's cache
(memory) and the kernels' weight reads from flash (weight_reads), and
reports estimated cycles, ms and energy per layer next to the exact
instruction counts (price). One entry point: `estimate_standin`.
"""

from __future__ import annotations

from pathlib import Path

from tinygen.build.saved import load_model
from tinygen.cycles.price import LABEL, layer_rows, model_for, price, render, summary
from tinygen.cycles.memory import code_bytes
from tinygen.cycles.weight_reads import graph_weight_reads


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
    _, graph, _ = load_model(project, board)
    code = {layer.name: code_bytes(s, timing) for s, layer in zip(segments, layers)}      # a cache shared with code
    reads = graph_weight_reads(graph, timing, code)
    for p, layer in zip(priced, layers):
        if layer.name in reads:
            p.add_weight_reads(reads[layer.name].cycles)
    rows = layer_rows(priced, [layer.name for layer in layers], board, model.FIT)
    for row, layer in zip(rows, layers):
        row["device_count"] = layer.count
    return summary(rows, board, model, seconds)


__all__ = ["LABEL", "estimate_standin", "render"]
