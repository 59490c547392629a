"""Estimated cycles, time and energy on the stand-ins (`tinygen power --emulate --cycles`).

QEMU counts instructions, not cycles. This package takes the executed
instruction mix per layer from QEMU's execution log (qemu_log, run), prices
it with a per-core timing model (cortex_m4 from Arm's TRM, a coarser
cortex_m7; cortex_m4, cortex_m7 and cortex_m33 calibrated against published points, cortex_m55 and
esp32_c3 not) plus flash wait states behind the
board's cache (memory), the kernels' weight reads from flash (weight_reads) and, on a part that has them,
SRAM read wait states (sram), and
reports estimated cycles, ms and energy per layer next to the exact
instruction counts (price). One entry point: `estimate_standin`.
"""

from __future__ import annotations

from pathlib import Path

from tinygen.build.saved import load_model
from tinygen.cycles.price import LABEL, layer_rows, model_for, price, render, summary
from tinygen.cycles.memory import code_bytes
from tinygen.cycles.sram import sram_wait_cycles
from tinygen.cycles.weight_reads import block_pixels, graph_weight_reads


def estimate_standin(board, project: str | Path, x: bytes, timing: dict | None = None) -> dict:
    """Run one input layer by layer on the board's stand-in with the execution
    log on; the estimate (see price.summary), per layer and in total. `timing`:
    price with this [timing] instead of the board's (another part of the same core)."""
    from tinygen.cycles.run import layer_segments

    model, timing = model_for(board, timing)
    blocks, segments, layers, seconds = layer_segments(board, Path(project), x, timing=timing)
    _, graph, _ = load_model(project, board)
    rows = layer_estimates(board, Path(project), graph, blocks, segments, layers, timing=timing)
    return summary(rows, board, model, seconds, timing)


def layer_estimates(board, project: Path, graph, blocks, segments, layers, only: set[str] | None = None,
                    timing: dict | None = None) -> list[dict]:
    """The rows (price.layer_rows, with the device's count) of a logged run's layers:
    core, code fetch, weight reads and SRAM read waits priced; `only`: those layers alone
    (--kernels auto prices the layers it chooses for); `timing`: as estimate_standin's."""
    from tinygen.cycles.disasm import disassemble, redisassemble
    from tinygen.cycles.run import firmware_elf

    model, timing = model_for(board, timing)
    if getattr(model, "OBJDUMP_ARCH", None):            # a core QEMU's disassembler does not know (cortex_m55)
        blocks = redisassemble(blocks, disassemble(firmware_elf(project), model.OBJDUMP_ARCH))
    kept = [(s, layer) for s, layer in zip(segments, layers) if only is None or layer.name in only]
    priced = [price(blocks, s, model, timing) for s, _ in kept]
    code = {layer.name: code_bytes(s, timing) for s, layer in kept}      # a cache shared with code
    reads = graph_weight_reads(graph, timing, code, block_pixels(board.cflags))
    ram = str(timing.get("weights_in", "flash")) == "ram"
    for p, (_, layer) in zip(priced, kept):
        got = reads.get(layer.name)
        if got is not None:
            p.add_weight_reads(got.cycles)
        flash_bytes = got.bytes_read if got is not None and not got.in_ram and not ram else 0
        p.add_sram_waits(sram_wait_cycles(p.mix, flash_bytes, timing))
    rows = layer_rows(priced, [layer.name for _, layer in kept], board, model.FIT)
    for row, (_, layer) in zip(rows, kept):
        row["device_count"] = layer.count
    return rows


__all__ = ["LABEL", "estimate_standin", "layer_estimates", "render"]
