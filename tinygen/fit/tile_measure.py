"""`tinygen inspect --measure`: tiling's extra instructions, measured on the board's stand-in.

Where the tile pass applied a tiling (graph.meta["tile"]), the model is compiled twice for
the stand-in's memory (standin.standin_memory: the untiled model need not fit the real
part), once untiled and once with the tiling that was applied (the same split, grid or
bands), otherwise alike; each is built for the board's QEMU stand-in and runs one inference
after a warm-up on the same seeded input. The executed instructions of both, their ratio
and whether the outputs are equal are returned: instructions, never cycles.

    result = measure_tiling(source, graph, board, compile_with)
    print("\\n".join(measure_lines(result)))
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from tinygen.board import Board
from tinygen.errors import TinygenError
from tinygen.ir import Graph

# (tile setting for CompileOptions.tile, board to compile for) -> the compiled graph
CompileWith = Callable[[object, Board], Graph]


def applied_setting(graph: Graph):
    """The CompileOptions.tile setting that reproduces the tiling applied to `graph`, or None."""
    info = graph.meta.get("tile")
    if not info or not info.get("applied"):
        return None
    if info.get("mode") == "bands":
        return (info["split"], "bands", int(info["grid"][0]))
    return (info["split"], tuple(int(x) for x in info["grid"]))


def run_once(source, graph: Graph, board: Board, timeout: float | None = None) -> tuple[int, bytes]:
    """Build `graph` for the stand-in of `board` (its memory, standin.standin_memory) and run
    one inference after a warm-up on a seeded input: (executed instructions, raw outputs)."""
    from tinygen.fit.standin import build_standin, standin_memory
    from tinygen.hil.deadline import DEFAULT_TIMEOUT
    from tinygen.hil.target import open_device

    size = sum(graph.tensor(t).nbytes for t in graph.inputs)
    x = np.random.default_rng(0).integers(-128, 128, size=size, dtype=np.int8).tobytes()
    with tempfile.TemporaryDirectory(prefix="tinygen-measure-") as tmp:
        build_standin(source, graph, standin_memory(board), Path(tmp))
        with open_device(board, tmp, emulate=True, timeout=timeout or DEFAULT_TIMEOUT) as dev:
            counter = dev.info().get("counter")
            if counter != "instructions":
                raise TinygenError(f"the {board.name} stand-in counts {counter}, not instructions")
            dev.run(x)                                  # warm-up
            raw, count = dev.run(x)
    return count, raw


def measure_tiling(source, graph: Graph, board: Board | None, compile_with: CompileWith,
                   timeout: float | None = None) -> dict:
    """Untiled and tiled instructions of one inference on the board's stand-in, or why not
    ({"skipped": reason}). `graph`: the graph inspect compiled (its meta["tile"] says what was applied)."""
    setting = applied_setting(graph)
    if setting is None:
        info = graph.meta.get("tile")
        why = f"not applied: {info['why']}" if info else "off"
        return {"skipped": f"tiling is {why}: nothing to measure"}
    if board is None:
        return {"skipped": "no --board: no stand-in to measure tiling's instructions on"}
    from tinygen.fit.standin import standin_memory, unavailable

    why = unavailable(board)
    if why is not None:
        return {"skipped": f"tiling's instructions not measured: {why}"}
    machine = board.emulator["machine"]
    room = standin_memory(board)
    counts, outputs = {}, {}
    for label, tile in (("untiled", "off"), ("tiled", setting)):
        counts[label], outputs[label] = run_once(source, compile_with(tile, room), board, timeout)
    return {"board": board.name, "standin": machine, "setting": list(setting),
            "untiled_instructions": counts["untiled"], "tiled_instructions": counts["tiled"],
            "extra": counts["tiled"] / counts["untiled"] - 1,
            "outputs_equal": outputs["untiled"] == outputs["tiled"]}


def measure_lines(result: dict) -> list[str]:
    """What `inspect --measure` prints."""
    if "skipped" in result:
        return [f"tiling, measured: {result['skipped']}"]
    same = "outputs equal" if result["outputs_equal"] else "OUTPUTS DIFFER"
    return [f"tiling, measured: {result['extra']:+.1%} instructions on the {result['board']} stand-in "
            f"({result['standin']}): {result['tiled_instructions']:,} tiled vs "
            f"{result['untiled_instructions']:,} untiled, one inference after a warm-up ({same})"]
