"""`--kernels auto`: per layer, the kernel that executed the fewest instructions on the stand-in.

    graph = compile_auto(source, calib, options, board, progress)
    print(choice_table(graph.meta["kernels"]))

Every node with more than one candidate kernel (kernel_candidates under
"auto": tinygen's DSP kernels, its portable ones, CMSIS-NN's when a tree is
configured) is measured: firmware variant k runs each such node's k-th
candidate on the board's QEMU stand-in, and one inference after a warm-up
gives every layer's executed instructions (the `tg layers` protocol command).
Per node the candidate with the fewest wins; a tie keeps the preferred one.
Counts are cached per layer (tinygen.kernels.measure_cache), so a second
build measures nothing. Without a stand-in able to run the image (no QEMU or
cross compiler here, a board without one) auto keeps the preference order and
says so in one line; it never fails a build for that.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from tinygen.board import Board
from tinygen.build.memory import MemoryFitError
from tinygen.compiler import SourceModel, compile_source
from tinygen.errors import TinygenError
from tinygen.ir import Graph
from tinygen.kernels.measure_cache import MeasurementCache, layer_key
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.passes import CompileOptions
from tinygen.passes.choose_kernels import kernel_candidates

# node name -> executed instructions of that layer, for a graph built as it is
Measure = Callable[[SourceModel, Graph, Board], dict[str, int]]
Progress = Callable[[str], None]


def default_kernels(board: Board | None) -> str:
    """--kernels when the user gives none: measured per layer on Cortex-M, tinygen's otherwise."""
    return "auto" if board is not None and board.build == "cortex-m" else "tinygen"


def unavailable(board: Board) -> str | None:
    """Why kernels cannot be measured for `board` on this machine, or None if they can."""
    from tinygen.build.toolchain import standin_toolchain

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


def measure_standin(source: SourceModel, graph: Graph, board: Board) -> dict[str, int]:
    """Build `graph` for the board, run one inference after a warm-up on its stand-in
    and return each layer's executed instructions."""
    from tinygen.hil.target import open_device

    with tempfile.TemporaryDirectory(prefix="tinygen-auto-") as tmp:
        _build_standin(source, graph, board, Path(tmp))
        with open_device(board, tmp, emulate=True) as dev:
            info = dev.info()
            if info.get("counter") != "instructions":
                raise TinygenError(f"the {board.name} stand-in counts {info.get('counter')}, not instructions")
            size = sum(int(n) for n in info.get("inputs", []))
            x = np.random.default_rng(0).integers(-128, 128, size=size, dtype=np.int8)
            dev.run(x.tobytes())                  # warm-up
            layers, _, _ = dev.layers()
    return {layer.name: layer.count for layer in layers}


def _build_standin(source: SourceModel, graph: Graph, board: Board, dest: Path) -> None:
    """Only the stand-in's image of the firmware project (the real part's is not run)."""
    from tinygen.build.firmware import build_firmware
    from tinygen.build.memory import check_prediction, predict
    from tinygen.codegen.firmware_project import write_firmware_project
    from tinygen.codegen.project import write_project
    from tinygen.hil.target import EMU_FIRMWARE

    info = write_project(graph, dest, source.name, source.source_hash, board)
    predicted = predict(graph, board, info["weight_bytes"])
    check_prediction(predicted, board, str(source.path))        # what cannot fit the part is not measured
    project = write_firmware_project(graph, dest, source.name, board)
    project = replace(project, images=[i for i in project.images if i.elf == EMU_FIRMWARE], idf_target=None)
    build_firmware(dest, project, board, predicted, str(source.path), f"{dest} (measuring kernels)")


def _candidates(graph: Graph, options: CompileOptions) -> dict[str, list[str]]:
    """Node name -> the kernels auto may choose from, preferred first."""
    # CMSIS-NN's kernels are candidates when a tree is configured (as compile_graph does)
    features = frozenset(options.features) | ({"cmsis-nn"} if options.cmsis_nn else set())
    found = {}
    for node in graph.nodes:
        if node.kernel is None:
            continue
        specs = kernel_candidates(graph, node, features, "auto")
        found[node.name] = [s.name for s in specs if s.backend != "cmsis-nn" or options.cmsis_nn]
    return found


def compile_auto(source: SourceModel, calib: str | None, options: CompileOptions, board: Board,
                 progress: Progress = lambda msg: None, measure: Measure | None = None,
                 cache: MeasurementCache | None = None) -> Graph:
    """Compile with, per layer, the candidate kernel that executed the fewest instructions.
    graph.meta["kernels"] records the choice (kernel_report)."""
    options = replace(options, kernels="auto")
    if source.switches:                 # each switch its own choice: same layer names, other formats
        return _compile_auto_switches(source, calib, options, board, progress, measure, cache)
    fixed = dict(options.kernel_choice or {})
    graph = compile_source(source, calib, options)
    candidates = _candidates(graph, options)
    open_nodes = {n: names for n, names in candidates.items() if len(names) > 1 and n not in fixed}
    counts: dict[str, dict[str, int | None]] = {n: dict.fromkeys(names) for n, names in candidates.items()}
    note, variants = None, 0
    if not open_nodes:
        note = f"kernels auto: no layer has more than one candidate kernel on {board.name}; nothing to measure"
    else:
        cache = cache if cache is not None else MeasurementCache.default()
        nodes = {n.name: n for n in graph.nodes}
        keys = {n: {k: layer_key(graph, nodes[n], KERNELS_BY_NAME[k], board, options.cmsis_nn) for k in names}
                for n, names in candidates.items()}
        for n, names in candidates.items():
            for k in names:
                counts[n][k] = cache.get(keys[n][k])
        todo = sorted({i for n, names in open_nodes.items() for i, k in enumerate(names) if counts[n][k] is None})
        note = unavailable(board) if todo and measure is None else None
        if note:
            note = f"kernels auto: {note}; using the preferred kernels where nothing is cached"
            progress(note)
        elif todo:
            measure = measure or measure_standin
            progress(f"kernels auto: measuring {len(todo)} firmware variants on {board.name}'s stand-in "
                     f"({len(open_nodes)} layers with a choice)")
            try:
                for i in todo:
                    choice = {n: names[min(i, len(names) - 1)] for n, names in open_nodes.items()}
                    variant = compile_source(source, calib, replace(options, kernel_choice={**choice, **fixed}))
                    got = measure(source, variant, board)
                    variants += 1
                    # every layer's count is worth keeping, those without a choice too
                    for n, k in {v.name: v.kernel for v in variant.nodes if v.name in candidates}.items():
                        if n in got:
                            counts[n][k] = got[n]
                            cache.put(keys[n][k], got[n], {"kernel": k, "op": nodes[n].op,
                                                           "machine": keys[n][k]["machine"]})
            except MemoryFitError:
                raise                   # the model does not fit the part: the build would refuse it too
            except (TinygenError, OSError) as e:
                first = (str(e).splitlines() or [type(e).__name__])[0].rstrip(":")
                note = f"kernels auto: measuring failed ({first}); using the preferred kernels where nothing is cached"
                progress(note)
            cache.save()
    choice = {n: pick_fastest(open_nodes[n], counts[n]) for n in open_nodes}
    graph = compile_source(source, calib, replace(options, kernel_choice={**choice, **fixed}))
    graph.meta["kernels"] = kernel_report(graph, "auto", counts, note, variants)
    return graph


def _compile_auto_switches(source: SourceModel, calib: str | None, options: CompileOptions, board: Board,
                           progress: Progress, measure: Measure | None, cache: MeasurementCache | None) -> Graph:
    """compile_auto per switch of a switchable model; the report lists every switch's
    layers as SWITCH/LAYER."""
    from tinygen.compiler import switch_sources
    from tinygen.switches import attach

    compiled = []
    for name, one in switch_sources(source):
        progress(f"kernels auto: switch {name}")
        compiled.append((name, compile_auto(one, calib, options, board, progress, measure, cache)))
    graph = attach(compiled)
    reports = [(name, g.meta["kernels"]) for name, g in compiled]
    graph.meta["kernels"] = {**reports[0][1],
                             "layers": [{**layer, "name": f"{name}/{layer['name']}"}
                                        for name, report in reports for layer in report["layers"]],
                             "measured_variants": sum(r.get("measured_variants") or 0 for _, r in reports),
                             "note": "; ".join(dict.fromkeys(r["note"] for _, r in reports if r.get("note"))) or None}
    return graph


def pick_fastest(names: list[str], counts: dict[str, int | None]) -> str:
    """The candidate with the fewest measured instructions; unmeasured ones lose to
    measured ones, and ties keep the preference order."""
    return min(names, key=lambda k: (counts.get(k) is None, counts.get(k) or 0, names.index(k)))


def kernel_report(graph: Graph, mode: str, counts: dict | None = None, note: str | None = None,
                  variants: int = 0) -> dict:
    """Per layer the kernel chosen, its measured instructions and its rivals' (JSON)."""
    counts = counts or {}
    layers = []
    for node in graph.nodes:
        if node.kernel is None:
            continue
        measured = counts.get(node.name, {})
        layers.append({"name": node.name, "op": node.op, "kernel": node.kernel,
                       "instructions": measured.get(node.kernel),
                       "candidates": {k: v for k, v in measured.items()} if len(measured) > 1 else {}})
    return {"mode": mode, "note": note, "measured_variants": variants, "layers": layers}


def choice_table(report: dict) -> str:
    """The kernel chosen per layer with its measured instructions and the other candidates'."""
    from tinygen.report import table

    rows = []
    for layer in report["layers"]:
        count = layer["instructions"]
        others = ", ".join(f"{k} {v:,}" if v is not None else f"{k} -"
                           for k, v in layer["candidates"].items() if k != layer["kernel"])
        rows.append([layer["name"], layer["kernel"], f"{count:,}" if count is not None else "-", others or "-"])
    return table(["layer", "kernel", "instructions", "other candidates (instructions)"], rows, "llrl")


__all__ = ["choice_table", "compile_auto", "default_kernels", "kernel_report", "measure_standin", "pick_fastest",
           "unavailable"]
