"""The `tinygen` command line: build, inspect, boards."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

from tinygen import __version__
from tinygen.errors import TinygenError, UsageError
from tinygen.cli.common import (Progress, add_compile_args, board_of, budgeted, check_output_early, compile_model, print_fit,
                                print_kernels)

EPILOG_BUILD = """examples:
  tinygen build examples/models/dscnn.py --board host --calib calib.npy -o build/dscnn
  tinygen build model.pt2 --board host --calib data.npz --calib-method percentile
  tinygen build model.py --board host --calib random      # no data at hand (accuracy suffers)
  tinygen build kws_dscnn_int8.tflite --board host        # int8 .tflite: its own quantization, no --calib
"""
EPILOG_INSPECT = """examples:
  tinygen inspect examples/models/dscnn.py            # per-layer shapes, params, MACs, bytes
  tinygen inspect examples/models/dscnn.py --memory   # the arena plan and its peak
  tinygen inspect model.py --ir                       # the lowered IR as text
  tinygen inspect model.py --memory --plot mem.png    # and the plan drawn as buffers over ops
  tinygen inspect model.py --board f746zg --tile auto --memory --measure   # tiling's extra instructions
"""


def cmd_build(args) -> int:
    from tinygen.passes.analysis import total_macs
    from tinygen.build.memory import memory_line, memory_table
    from tinygen.compiler import build
    from tinygen.report import human_bytes, human_count

    board = budgeted(args, board_of(args))
    progress = Progress(args.quiet)
    check_output_early(args)
    source, graph = compile_model(args, progress, board)
    out = Path(args.output) if args.output else Path("build") / source.name
    result = build(source, graph, board, out, progress, args.force, model_id=args.model_id)
    from tinygen import switches

    layers = sum(1 for n in graph.nodes if n.kernel)
    # a switchable image has one arena, its largest switch's (the graph here is the first switch)
    arena = f"arena {human_bytes(switches.arena_size(graph))} (RAM" + \
        (", the largest switch's)" if switches.is_switchable(graph) else ")")
    print(f"built {source.name} for {board.name} in {time.perf_counter() - progress.start:.1f}s → {out}")
    print(f"  layers {layers}, MACs {human_count(total_macs(graph))}, "
          f"weights {human_bytes(result.manifest['weight_bytes'])} (flash), {arena}")
    from tinygen.report.inspect import io_lines

    print("\n".join("  " + line for line in io_lines(source, graph)))
    print(f"  model id {result.manifest['model_id']} ({result.manifest['model_id_source']}): "
          f"profile% answers m-model-[{result.manifest['model_id']}]")
    images = result.manifest.get("images", {})

    def title(use) -> str:
        if use.source in images:
            return f"{use.source} ({images[use.source]['for']})"
        return "predicted" + (" (ESP-IDF's own code and data come on top)" if board.build == "esp-idf" else "")

    if result.memory:
        first, *others = result.memory
        print(f"\n  memory of {board.name}, {title(first)}:")
        print("\n".join("    " + line for line in memory_table(first).splitlines()))
        for use in others:
            print(f"    {title(use)}: {memory_line(use)}")
        print()
    print_kernels(graph)
    print_fit(graph)
    for note in result.notes:
        print(f"  note: {note}")
    for kind, path in result.artifacts.items():
        print(f"  {kind}: {path}")
    return 0


def cmd_inspect(args) -> int:
    from tinygen.passes.analysis import layer_stats
    from tinygen.report.inspect import layer_table, memory_report
    from tinygen.ir import dump

    from tinygen.board import get_board

    progress = Progress(quiet=True)
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

        from tinygen import switches

        plan = graph.meta["memory"]
        data = {"model": source.name, "layers": [asdict(s) for s in stats],
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
    from tinygen.report.inspect import io_lines

    print("\n".join(io_lines(source, graph)))
    from tinygen.gating.inspect import notes as gating_notes

    dynamic = gating_notes(graph)
    if dynamic:
        print("\ndynamic inference:\n  " + "\n  ".join(dynamic))
    if pruning is not None:
        from tinygen.report.inspect import pruning_table

        print()
        print(pruning_table(pruning))
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


def cmd_boards(args) -> int:
    from tinygen.board import all_boards
    from tinygen.build.capabilities import board_capabilities
    from tinygen.report import human_bytes, table

    rows, installs, records = [], {}, []
    for b in all_boards():
        caps = board_capabilities(b)
        flash, ram = b.region("flash"), b.region("ram")
        records.append({"board": b.name, "aliases": list(b.aliases), "core": b.core, "description": b.description,
                        "clock_hz": b.clock_hz, "flash": int(flash["size"]) if flash else None,
                        "ram": int(ram["size"]) if ram else None,
                        "stand_in": b.emulator["machine"] if b.emulator else None})
        rows.append([b.name, ", ".join(b.aliases) or "-", b.core,
                     f"{b.clock_hz / 1e6:.0f} MHz" if b.clock_hz else "-",
                     human_bytes(int(flash["size"])) if flash else "-", human_bytes(int(ram["size"])) if ram else "-",
                     b.emulator["machine"] if b.emulator else "-", caps.summary()])
        for what, command in caps.install:
            installs.setdefault(command, []).append(f"{what} {b.name}")
    if args.json:
        print(json.dumps(records, indent=1))
        return 0
    print(table(["board", "aliases", "core", "clock", "flash", "RAM", "stand-in", "on this machine"], rows,
                "llllrrll"))
    if installs:
        print("\nto do more on this machine:")
        for command, purposes in installs.items():
            print(f"  {command}    ({', '.join(purposes)})")
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygen",
        description="Compile quantized PyTorch models to readable C for microcontrollers.",
        epilog="run `tinygen COMMAND --help` for a command's options and examples",
    )
    parser.add_argument("--version", action="version", version=f"tinygen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    fmt = argparse.RawDescriptionHelpFormatter
    b = sub.add_parser("build", help="compile a model into a C project and build it for a board",
                       epilog=EPILOG_BUILD, formatter_class=fmt)
    add_compile_args(b)
    b.add_argument("--board", required=True, help="target board (see `tinygen boards`)")
    b.add_argument("-o", "--output", metavar="DIR", help="output directory (default: build/MODEL_NAME); "
                   "tinygen replaces only the files an earlier build wrote there")
    b.add_argument("--force", action="store_true",
                   help="write into a non-empty folder that is not a tinygen build, beside its files "
                        "(none of them is replaced)")
    b.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    b.set_defaults(func=cmd_build)

    i = sub.add_parser("inspect", help="per-layer shapes, parameters, MACs and memory of a model",
                       epilog=EPILOG_INSPECT, formatter_class=fmt)
    add_compile_args(i, builds=False)
    i.add_argument("--board", help="compile for this board: its ISA features and kernels (default: none)")
    i.add_argument("--memory", action="store_true", help="also show the arena plan and its peak")
    i.add_argument("--measure", action="store_true",
                   help="where tiling is applied: build the untiled and the tiled model for the board's QEMU "
                        "stand-in and print the executed instructions of one inference of each")
    i.add_argument("--plot", metavar="FILE.png", help="also draw the memory plan (buffers over ops) as a PNG")
    i.add_argument("--ir", action="store_true", help="print the lowered IR instead of the table")
    i.add_argument("--json", metavar="FILE", help="also write the statistics as JSON to FILE")
    i.set_defaults(func=cmd_inspect)

    bd = sub.add_parser("boards", help="list the supported boards and what this machine can build",
                        epilog="examples:\n  tinygen boards              # names, aliases, cores, toolchain status\n"
                               "  tinygen boards --json       # the same, as JSON\n"
                               "  tinygen build m.py --board host\n", formatter_class=fmt)
    bd.add_argument("--json", action="store_true", help="print the boards as JSON (name, aliases, core, clock, "
                    "the real part's flash and RAM bytes, stand-in)")
    bd.set_defaults(func=cmd_boards)

    from tinygen.cli.hil import add_commands
    add_commands(sub, fmt)
    from tinygen.cli.sweep import add_command as add_sweep
    add_sweep(sub, fmt)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        return args.func(args)
    except UsageError as e:
        print(f"tinygen {args.command}: error: {e}", file=sys.stderr)
        return 2
    except TinygenError as e:
        print(f"tinygen {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: stop quietly, as other CLI tools do
        sys.stdout = open(os.devnull, "w")
        return 0


if __name__ == "__main__":
    sys.exit(main())
