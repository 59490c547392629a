"""`tinygen inspect`: per-layer shapes, parameters, MACs and memory of a model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tinygen import switches
from tinygen.board import get_board
from tinygen.cli.common import BOARD_HELP, Progress, add_compile_args, budgeted, compile_model, print_activations, \
    print_fit, print_kernels, print_weights
from tinygen.ir import dump
from tinygen.optional import require
from tinygen.passes.analysis import layer_stats

EPILOG_INSPECT = """examples:
  tinygen inspect examples/models/dscnn.py            # per-layer shapes, params, MACs, bytes
  tinygen inspect examples/models/dscnn.py --memory   # the arena plan and its peak
  tinygen inspect model.py --ir                       # the lowered IR as text
  tinygen inspect model.py --memory --plot mem.png    # and the plan drawn as buffers over ops
  tinygen inspect model.py --board f746zg --tile auto --memory --measure   # tiling's extra instructions
"""


def cmd_inspect(args) -> int:
    from tinygen.report.inspect import layer_table, memory_report

    progress = Progress(quiet=True)
    if args.plot:
        require("matplotlib")                   # before the compile, not after it
    board = budgeted(args, get_board(args.board) if args.board else None)
    source, graph = compile_model(args, progress, board, allow_uncalibrated=True)
    stats = layer_stats(graph)
    measured = _measure_tiling(args, progress, source, graph, board) if args.measure else None
    pruning = None
    if graph.meta.get("compact", {}).get("layers"):
        from tinygen.report.inspect import pruning_summary

        args.compact = False            # the same model with its zeroed filters in place
        pruning = pruning_summary(graph, compile_model(args, progress, board, allow_uncalibrated=True)[1])
    if args.json:
        from dataclasses import asdict

        plan = graph.meta["memory"]
        data = {"model": source.name, "board": board.name if board else None, "layers": [asdict(s) for s in stats],
                "arena_size": switches.arena_size(graph), "peak_live": plan.peak_live, "kernels": graph.meta["kernels"],
                "fit": graph.meta.get("fit"),
                "inputs": [{"name": name, "shape": list(shape), "tensor": t, "bytes": graph.tensor(t).nbytes}
                           for name, shape, t in zip(source.input_names, source.input_shapes, graph.inputs)],
                "outputs": [{"tensor": t, "shape": list(graph.tensor(t).shape), "bytes": graph.tensor(t).nbytes}
                            for t in graph.outputs],
                "buffers": [{"name": b.name, "offset": b.offset, "size": b.size,
                             "first": b.first, "last": b.last} for b in plan.buffers]}
        if pruning is not None:
            data["pruning"] = pruning
        if measured is not None:
            data["tiling_measured"] = measured
        Path(args.json).write_text(json.dumps(data, indent=2, default=list) + "\n")
    if args.ir:
        print(dump(graph))
        return 0
    print(layer_table(source.name, stats, graph))
    from tinygen.report.inspect import basis_lines, io_lines

    print("\n".join(basis_lines(graph, board.name if board else None) + io_lines(source, graph)))
    from tinygen.gating.inspect import notes as gating_notes

    dynamic = gating_notes(graph)
    if dynamic:
        print("\ndynamic inference:\n  " + "\n  ".join(dynamic))
    if pruning is not None:
        from tinygen.report.inspect import pruning_table

        print()
        print(pruning_table(pruning))
    print_activations(graph)
    print_weights(graph)
    print_kernels(graph)
    print_fit(graph)
    if args.memory:
        print()
        print(memory_report(graph))
    if measured is not None:
        from tinygen.fit.tile_measure import measure_lines

        print("\n".join(measure_lines(measured)))
    if args.plot:
        from tinygen.report.inspect import memory_plot

        memory_plot(graph, args.plot)
        print(f"memory plot written to {args.plot}", file=sys.stderr)
    return 0


def _measure_tiling(args, progress, source, graph, board) -> dict:
    """inspect --measure: the untiled and the tiled build's instructions on the board's stand-in."""
    from argparse import Namespace

    from tinygen.fit.tile_measure import measure_tiling

    def compile_with(tile, room):       # as inspect compiled, but for the stand-in's memory
        return compile_model(Namespace(**{**vars(args), "tile": tile}), progress, room, allow_uncalibrated=True)[1]

    return measure_tiling(source, graph, board, compile_with, getattr(args, "timeout", None))


def add_command(sub, fmt) -> None:
    i = sub.add_parser("inspect", help="per-layer shapes, parameters, MACs and memory of a model",
                       epilog=EPILOG_INSPECT, formatter_class=fmt)
    add_compile_args(i, builds=False).build.add_argument(
        "--board", help=BOARD_HELP + "; its ISA features, kernels and memory, so that the figures are what "
                        "`tinygen build --board BOARD` gives (default: none: tinygen's portable C kernels, as for "
                        "--board host; a board's own kernels can need more flash and RAM)")
    report = i.add_argument_group("report", "what inspect shows and writes")
    report.add_argument("--memory", action="store_true", help="also show the arena plan and its peak")
    report.add_argument("--measure", action="store_true",
                        help="where tiling is applied: build the untiled and the tiled model for the board's QEMU "
                             "stand-in and print the executed instructions of one inference of each")
    report.add_argument("--plot", metavar="FILE.png", help="also draw the memory plan (buffers over ops) as a PNG")
    report.add_argument("--ir", action="store_true", help="print the lowered IR instead of the table")
    report.add_argument("--json", metavar="FILE", help="also write the statistics as JSON to FILE")
    i.set_defaults(func=cmd_inspect)
