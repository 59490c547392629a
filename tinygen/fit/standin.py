"""Measuring a build on the board's QEMU stand-in, for `--kernels auto` (tinygen.fit.autotune)
and the tiling's measure (tinygen.fit.tile_measure).

    metric = metric_for(board)              # "cycles" where the board has a timing model
    counts = measure_standin(source, graph, board, timeout)          # layer -> instructions
    cycles = measure_standin_cycles(source, graph, board, timeout)   # layer -> estimated cycles

Instructions: one inference after a warm-up, each layer's executed instructions (`tg
layers`). Cycles: one inference with QEMU's execution log on (tinygen.cycles.run), each
layer's instruction mix priced by the board's timing model with its flash fetch and weight
reads (tinygen.cycles.layer_estimates, as `benchmarks/cycle_estimates.py` and `tinygen power
--cycles` price a run): one logged run per firmware variant, priced only for the layers asked
for (`only`: those with a choice). Both keep the deadline rules of tinygen.hil.deadline (the
logged run at tinygen.cycles.run.LOGGED's pace).

Measuring builds are linked for the stand-in's memory (STANDIN_BYTES), not the part's:
neither count depends on it.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from tinygen.board import Board
from tinygen.build.firmware_project import write_firmware_project
from tinygen.build.memory import check_prediction, predict
from tinygen.build.toolchain import standin_toolchain
from tinygen.codegen.project import write_project
from tinygen.compiler import SourceModel
from tinygen.cycles import layer_estimates
from tinygen.cycles.price import MODELS
from tinygen.errors import TinygenError
from tinygen.hil.deadline import DEFAULT_TIMEOUT
from tinygen.ir import Graph

METRICS = ("instructions", "cycles")
PLACEMENTS = ("flash", "ram")      # where a build's constants are, as --kernels auto prices them
# flash and RAM of the Cortex-M stand-ins (mps2-an500, mps2-an386: 4 MB each, notes/emulation.md):
# measuring builds are linked for them, not for the real part (instructions do not depend on it)
STANDIN_BYTES = 4 << 20


def metric_for(board: Board) -> str:
    """What --kernels auto measures on `board`: estimated cycles where its board file has a
    timing model ([timing] model, tinygen.cycles), executed instructions elsewhere."""
    timing = board.raw.get("timing") or {}
    return "cycles" if timing.get("model") in MODELS else "instructions"


def unavailable(board: Board) -> str | None:
    """Why kernels cannot be measured for `board` on this machine, or None if they can."""
    if board.build == "host":
        return "the host board has no instruction-counting stand-in"
    if board.emulator is None:
        return f"{board.name} has no emulated stand-in to measure on"
    toolchain = standin_toolchain(board)
    missing = toolchain.missing() if toolchain else []
    qemu = board.emulator.get("qemu", "qemu-system-arm")
    if shutil.which(qemu) is None:
        missing.append(qemu)
    if missing:
        return f"{', '.join(missing)} not found, cannot measure on the {board.emulator['machine']} stand-in"
    return None


def _input(size: int) -> bytes:
    return np.random.default_rng(0).integers(-128, 128, size=size, dtype=np.int8).tobytes()


def measure_standin(source: SourceModel, graph: Graph, board: Board,
                    timeout: float = DEFAULT_TIMEOUT) -> dict[str, int]:
    """Build `graph` for the board, run one inference after a warm-up on its stand-in
    and return each layer's executed instructions. `timeout`: seconds of the
    emulator's own time per answer beyond the known work (tinygen.hil.deadline)."""
    from tinygen.hil.target import open_device

    with tempfile.TemporaryDirectory(prefix="tinygen-auto-") as tmp:
        build_standin(source, graph, standin_memory(board), Path(tmp))
        with open_device(board, tmp, emulate=True, timeout=timeout) as dev:
            info = dev.info()
            if info.get("counter") != "instructions":
                raise TinygenError(f"the {board.name} stand-in counts {info.get('counter')}, not instructions")
            dev.run(_input(sum(int(n) for n in info.get("inputs", []))))      # warm-up
            layers, _, _ = dev.layers()
    return {layer.name: layer.count for layer in layers}


class Placed(int):
    """A layer's estimated cycles by the board's own [timing], with its price under each placement
    of the constants asked for (`by_placement`: "flash" or "ram" -> cycles) from the same logged run."""

    by_placement: dict[str, int]

    def __new__(cls, cycles: int, by_placement: dict[str, int]):
        self = super().__new__(cls, cycles)
        self.by_placement = dict(by_placement)
        return self


def priced_in(board: Board, placement: str) -> Board:
    """`board` priced with every constant in `placement` ("flash" or "ram"): a copy whose [timing]
    says weights_in = "ram" (tinygen.cycles.weight_reads: no flash read stalls), or the board
    itself where its [timing] already says so (no [timing]: the board). The cache keys of its
    estimated cycles (tinygen.fit.measure_cache.layer_key) differ by themselves."""
    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {PLACEMENTS}, not {placement!r}")
    timing = board.raw.get("timing")
    if not timing or str(timing.get("weights_in", "flash")) == placement:
        return board
    if placement == "flash":
        timing = {k: v for k, v in timing.items() if k != "weights_in"}
    else:
        timing = {**timing, "weights_in": placement}
    return replace(board, raw={**board.raw, "timing": timing})


def measure_standin_cycles(source: SourceModel, graph: Graph, board: Board, timeout: float = DEFAULT_TIMEOUT,
                           only: set[str] | None = None, placements: tuple[str, ...] = ()) -> dict[str, int]:
    """Build `graph` for the board, run one inference on its stand-in with QEMU's execution
    log and return each layer's estimated cycles (rounded) by the board's timing model;
    `only`: price those layers alone; `placements` ("flash", "ram"): each count a Placed, the
    same run priced with the constants in each (priced_in). `timeout` as for measure_standin."""
    from tinygen.cycles.run import layer_segments

    with tempfile.TemporaryDirectory(prefix="tinygen-auto-cycles-") as tmp:
        build_standin(source, graph, standin_memory(board), Path(tmp))
        blocks, segments, layers, _ = layer_segments(board, Path(tmp), _input, timeout)
        rows = layer_estimates(board, Path(tmp), graph, blocks, segments, layers, only)
        others = {p: rows if priced_in(board, p) is board else layer_estimates(
            board, Path(tmp), graph, blocks, segments, layers, only, timing=priced_in(board, p).raw["timing"])
            for p in placements}
    cycles = {row["name"]: int(round(row["cycles"])) for row in rows}
    if not placements:
        return cycles
    priced = {p: {row["name"]: int(round(row["cycles"])) for row in got} for p, got in others.items()}
    return {n: Placed(c, {p: priced[p][n] for p in placements}) for n, c in cycles.items()}


def standin_memory(board: Board) -> Board:
    """The board with the stand-in's flash and RAM (at least the part's), for measuring builds."""
    memory = tuple(dict(r, size=max(int(r["size"]), STANDIN_BYTES)) if r.get("link") else r for r in board.memory)
    return replace(board, memory=memory, budget={})


def build_standin(source: SourceModel, graph: Graph, board: Board, dest: Path) -> None:
    """Only the stand-in's image of the firmware project (the real part's is not run)."""
    from tinygen.build.firmware import build_firmware
    from tinygen.hil.target import EMU_FIRMWARE

    info = write_project(graph, dest, source.name, source.source_hash, board)
    predicted = predict(graph, board, info["weight_bytes"])
    check_prediction(predicted, board, str(source.path))        # what cannot fit the part is not measured
    project = write_firmware_project(graph, dest, source.name, board)
    project = replace(project, images=[i for i in project.images if i.elf == EMU_FIRMWARE], idf_target=None)
    build_firmware(dest, project, board, predicted, str(source.path), f"{dest} (measuring kernels)")


__all__ = ["METRICS", "PLACEMENTS", "STANDIN_BYTES", "Placed", "build_standin", "measure_standin",
           "measure_standin_cycles", "metric_for", "priced_in", "standin_memory", "unavailable"]
