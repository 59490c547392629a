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
from tinygen.kernels.table import BACKENDS

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
"""


class _Progress:
    """Numbered progress lines on stderr with the time each step took."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.start = time.perf_counter()
        self.step = 0

    def __call__(self, message: str) -> None:
        self.step += 1
        if not self.quiet:
            print(f"[{time.perf_counter() - self.start:6.2f}s] {message}", file=sys.stderr, flush=True)


def _add_compile_args(p: argparse.ArgumentParser, model_optional: bool = False) -> None:
    p.add_argument("model", nargs="?" if model_optional else None,
                   help="model file: .py (defines model() and example_input()), .pt2, or int8 .tflite")
    p.add_argument("--calib", metavar="DATA",
                   help="calibration inputs: .npy, .npz, FILE.py:FUNCTION, or 'random' "
                        "(default: the model file's calibration_data())")
    p.add_argument("--calib-method", choices=("minmax", "percentile"), default="minmax",
                   help="how activation ranges are taken from the calibration data (default: minmax)")
    p.add_argument("--percentile", type=float, default=99.99, metavar="P",
                   help="with --calib-method percentile: keep the [100-P, P] percentile range (default 99.99)")
    p.add_argument("--kernels", choices=BACKENDS, default=None,
                   help="kernel implementations: tinygen's (with the board's ISA extensions), portable C only, "
                        "CMSIS-NN where it has the layer, or auto: per layer the fastest by executed "
                        "instructions measured on the board's stand-in, cached "
                        "(default: auto on Cortex-M boards, tinygen otherwise)")
    p.add_argument("--cmsis-nn", metavar="PATH", default=None,
                   help="a CMSIS-NN source tree for --kernels cmsis-nn / auto (default: $CMSIS_NN_PATH)")
    p.add_argument("--no-compact", dest="compact", action="store_false",
                   help="keep the zeroed filters of a pruned model (default: remove them and the matching "
                        "input channels of their readers, where that is exact)")
    p.add_argument("--no-lower-peak", dest="lower_peak", action="store_false",
                   help="keep every layer's preferred kernel (or --kernels auto's choice) even where a "
                        "scratch-free kernel would lower the arena (default: swap at the arena's peak); with "
                        "--kernels cmsis-nn and --no-compact every layer CMSIS-NN has a kernel for runs it")
    p.add_argument("--storage", choices=("separate", "nested"), default="separate",
                   help="switchable-precision models: store each switch's weights at its width (separate, "
                        "exact for any quantizer), or nested layers once as 8 bit planes that every switch "
                        "reads with the bit-serial kernel (nested; needs the nested weight quantizer)")
    p.add_argument("--arena-region", metavar="NAME", default=None,
                   help="put the tensor arena in this RAM region of the board (its [[memory]] name, e.g. dtcm "
                        "on the F746ZG / F767ZI); weights stay in flash (default: with the rest of RAM)")
    from tinygen.vision.cli import add_camera_args

    add_camera_args(p)


def _compile(args, progress, board=None, allow_uncalibrated=False):
    """Load and compile the model for `board` (None: no ISA features). With
    allow_uncalibrated (inspect), a model with no calibration data is calibrated
    on random data without a warning: shapes, MACs and memory do not depend on
    the ranges. --kernels auto measures the candidate kernels on the board's stand-in."""
    from tinygen.autotune import compile_auto, default_kernels, kernel_report
    from tinygen.calib import CalibrationWarning
    from tinygen.compiler import compile_source, load_source
    from tinygen.passes import CompileOptions
    from tinygen.vision.cli import camera_spec

    if not 50.0 < args.percentile <= 100.0:
        raise UsageError(f"--percentile {args.percentile} is out of range", "use a value in (50, 100]")
    progress(f"loading {args.model}")
    source = load_source(args.model)
    calib, quiet = args.calib, False
    if calib is None and source.default_calibration is None and allow_uncalibrated:
        calib, quiet = "random", True
    progress("using the model's own int8 quantization" if source.graph.meta.get("quantized")
             else "calibrating and quantizing (int8)")
    kernels = args.kernels or default_kernels(board)
    if args.cmsis_nn and kernels not in ("cmsis-nn", "auto"):
        missing = "" if Path(args.cmsis_nn).expanduser().is_dir() else f" (and {args.cmsis_nn!r} does not exist)"
        warnings.warn(f"--cmsis-nn is ignored with --kernels {kernels}: only cmsis-nn and auto use CMSIS-NN{missing}")
    if args.arena_region is not None:
        from tinygen.build.memory import arena_region

        if board is None:
            raise UsageError("--arena-region needs --board", "name the board whose memory region to use")
        arena_region(board, args.arena_region)
    options = CompileOptions(args.calib_method, args.percentile, board.isa_features if board else frozenset(),
                             kernels=kernels, cmsis_nn=args.cmsis_nn or os.environ.get("CMSIS_NN_PATH") or None,
                             arena_region=args.arena_region, compact=getattr(args, "compact", True),
                             lower_peak=getattr(args, "lower_peak", True),
                             storage=getattr(args, "storage", "separate"),
                             camera=camera_spec(args, board, implied=_frames_given(args)))
    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore", CalibrationWarning)
        if kernels == "auto" and board is not None:
            graph = compile_auto(source, calib, options, board, progress)
        else:
            graph = compile_source(source, calib, options)
            note = "kernels auto: no --board to measure on; using the preferred kernels" if kernels == "auto" else None
            graph.meta["kernels"] = kernel_report(graph, kernels, note=note)
    return source, graph


def _frames_given(args) -> bool:
    """tinygen hil --images / --frames: camera frames, so the camera front end is built in."""
    return bool(getattr(args, "images", None) or getattr(args, "frames", None))


def _print_kernels(graph) -> None:
    """--kernels auto: the kernel chosen per layer and its measured instructions."""
    from tinygen.autotune import choice_table

    report = graph.meta.get("kernels") or {}
    if report.get("mode") != "auto":
        return
    if not any(layer["candidates"] for layer in report["layers"]):
        print(f"\n  note: {report['note']}" if report.get("note") else "")
        return
    print("\n  kernels (auto: per layer the fewest executed instructions on the stand-in):")
    print("\n".join("    " + line for line in choice_table(report).splitlines()))
    if report.get("note"):
        print(f"  note: {report['note']}")


def _inputs(args) -> list[str]:
    """The files a command reads (never replaced by the build it makes)."""
    return [p for p in (getattr(args, key, None) for key in ("model", "calib", "data", "labels", "frames"))
            if p and ":" not in p]


def _check_output(args) -> None:
    """Refuse an -o folder tinygen may not write into before compiling (a build with
    --kernels auto measures for minutes first); the build checks again."""
    from tinygen.build.output import check_output

    if getattr(args, "output", None):
        check_output(args.output, args.force, _inputs(args))


def cmd_build(args) -> int:
    from tinygen.analysis import total_macs
    from tinygen.board import get_board
    from tinygen.build.memory import memory_line, memory_table
    from tinygen.compiler import build
    from tinygen.report import human_bytes, human_count

    board = get_board(args.board)
    progress = _Progress(args.quiet)
    _check_output(args)
    source, graph = _compile(args, progress, board)
    out = Path(args.output) if args.output else Path("build") / source.name
    result = build(source, graph, board, out, progress, args.force)
    plan = graph.meta["memory"]
    layers = sum(1 for n in graph.nodes if n.kernel)
    print(f"built {source.name} for {board.name} in {time.perf_counter() - progress.start:.1f}s → {out}")
    print(f"  layers {layers}, MACs {human_count(total_macs(graph))}, "
          f"weights {human_bytes(result.manifest['weight_bytes'])} (flash), "
          f"arena {human_bytes(plan.arena_size)} (RAM)")
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
    _print_kernels(graph)
    for note in result.notes:
        print(f"  note: {note}")
    for kind, path in result.artifacts.items():
        print(f"  {kind}: {path}")
    return 0


def cmd_inspect(args) -> int:
    from tinygen.analysis import layer_stats
    from tinygen.inspect_report import layer_table, memory_report
    from tinygen.ir import dump

    from tinygen.board import get_board

    progress = _Progress(quiet=True)
    board = get_board(args.board) if args.board else None
    source, graph = _compile(args, progress, board, allow_uncalibrated=True)
    stats = layer_stats(graph)
    pruning = None
    if graph.meta.get("compact", {}).get("layers"):
        from tinygen.inspect_report import pruning_summary

        args.compact = False            # the same model with its zeroed filters in place
        pruning = pruning_summary(graph, _compile(args, progress, board, allow_uncalibrated=True)[1])
    if args.json:
        from dataclasses import asdict

        plan = graph.meta["memory"]
        data = {"model": source.name, "layers": [asdict(s) for s in stats],
                "arena_size": plan.arena_size, "peak_live": plan.peak_live, "kernels": graph.meta["kernels"],
                "buffers": [{"name": b.name, "offset": b.offset, "size": b.size,
                             "first": b.first, "last": b.last} for b in plan.buffers]}
        if pruning is not None:
            data["pruning"] = pruning
        Path(args.json).write_text(json.dumps(data, indent=2, default=list) + "\n")
    if args.ir:
        print(dump(graph))
        return 0
    print(layer_table(source.name, stats, graph))
    if pruning is not None:
        from tinygen.inspect_report import pruning_table

        print()
        print(pruning_table(pruning))
    _print_kernels(graph)
    if args.memory:
        print()
        print(memory_report(graph))
    if args.plot:
        from tinygen.inspect_report import memory_plot

        memory_plot(graph, args.plot)
        print(f"memory plot written to {args.plot}", file=sys.stderr)
    return 0


def cmd_boards(args) -> int:
    from tinygen.board import all_boards
    from tinygen.build.capabilities import board_capabilities
    from tinygen.report import human_bytes, table

    rows, installs = [], {}
    for b in all_boards():
        caps = board_capabilities(b)
        flash, ram = b.region("flash"), b.region("ram")
        rows.append([b.name, ", ".join(b.aliases) or "-", b.core,
                     f"{b.clock_hz / 1e6:.0f} MHz" if b.clock_hz else "-",
                     human_bytes(int(flash["size"])) if flash else "-", human_bytes(int(ram["size"])) if ram else "-",
                     b.emulator["machine"] if b.emulator else "-", caps.summary()])
        for what, command in caps.install:
            installs.setdefault(command, []).append(f"{what} {b.name}")
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
    _add_compile_args(b)
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
    _add_compile_args(i)
    i.add_argument("--board", help="compile for this board: its ISA features and kernels (default: none)")
    i.add_argument("--memory", action="store_true", help="also show the arena plan and its peak")
    i.add_argument("--plot", metavar="FILE.png", help="also draw the memory plan (buffers over ops) as a PNG")
    i.add_argument("--ir", action="store_true", help="print the lowered IR instead of the table")
    i.add_argument("--json", metavar="FILE", help="also write the statistics as JSON to FILE")
    i.set_defaults(func=cmd_inspect)

    bd = sub.add_parser("boards", help="list the supported boards and what this machine can build",
                        epilog="examples:\n  tinygen boards              # names, aliases, cores, toolchain status\n"
                               "  tinygen build m.py --board host\n", formatter_class=fmt)
    bd.set_defaults(func=cmd_boards)

    from tinygen.hil.cli import add_commands
    add_commands(sub, fmt)
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
