"""`tinygen build`: compile a model into a C project and build it for a board."""

from __future__ import annotations

import time
from pathlib import Path

from tinygen import switches
from tinygen.build.library import check_library_name, check_library_options
from tinygen.build.memory import memory_line, memory_table
from tinygen.codegen.api import library_name
from tinygen.errors import UsageError
from tinygen.passes.analysis import total_macs
from tinygen.report import human_bytes, human_count
from tinygen.package import KINDS, check_packages
from tinygen.cli.common import BOARD_HELP, Progress, add_compile_args, board_of, budgeted, check_output_early, \
    compile_model, print_activations, print_fit, print_kernels, print_weights

EPILOG_BUILD = """examples:
  tinygen build examples/models/dscnn.py --board host --calib calib.npy -o build/dscnn
  tinygen build model.pt2 --board host --calib data.npz --calib-method percentile
  tinygen build model.py --board host --calib random      # no data at hand (accuracy suffers)
  tinygen build kws_dscnn_int8.tflite --board host        # int8 .tflite: its own quantization, no --calib
  tinygen build model.onnx --board host --calib data.npy   # a float .onnx: tinygen quantizes it
  tinygen build model.py --board host --activations int16  # int16 activations where kernels exist
  tinygen build model.py --board host --activations int16:conv1,fc   # only those layers int16
  tinygen build model_qdq.onnx --board host               # QDQ / QOperator .onnx: its own scales, no --calib
  tinygen build kws.tflite --board f746zg --library --name kws -o lib/kws   # a C library for your firmware
  tinygen build vww.tflite --board f746zg --library --arena external        # NAME_init(arena): a shared arena
"""


def cmd_build(args) -> int:
    from tinygen.compiler import build

    board = budgeted(args, board_of(args))
    progress = Progress(args.quiet)
    _check_library_args(args, board)
    check_output_early(args)
    source, graph = compile_model(args, progress, board)
    out = Path(args.output) if args.output else Path("build") / source.name

    library = (args.name or library_name(source.name)) if args.library else None
    result = build(source, graph, board, out, progress, args.force, model_id=args.model_id, library=library,
                   arena_external=args.arena == "external", packages=tuple(args.package or ()))
    if library is not None:
        _print_library(result, library, board, args.quiet)
        return 0

    layers = sum(1 for n in graph.nodes if n.kernel)
    # a switchable image has one arena, its largest switch's (the graph here is the first switch)
    arena = f"arena {human_bytes(switches.arena_size(graph))} (RAM" + \
        (", the largest switch's)" if switches.is_switchable(graph) else ")")
    print(f"built {source.name} for {board.name} in {time.perf_counter() - progress.start:.1f}s → {out}")
    if args.quiet:                      # the one line; errors and warnings still go to stderr
        return 0
    print(f"  layers {layers}, MACs {human_count(total_macs(graph))}, "
          f"weights {human_bytes(result.manifest['weight_bytes'])} (flash{ram_note(result.manifest)}), {arena}")
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
    print_activations(graph)
    print_weights(graph)
    print_kernels(graph)
    print_fit(graph)
    for note in result.notes:
        print(f"  note: {note}")
    for kind, path in result.artifacts.items():
        print(f"  {kind}: {path}")
    return 0


def _check_library_args(args, board) -> None:
    """--name and --arena external go with --library (which --package implies); a --name is a C
    identifier; each --package suits the board (before any work)."""
    if args.package:
        args.library = True
    if not args.library and (args.name is not None or args.arena == "external"):
        raise UsageError(f"{'--name' if args.name is not None else '--arena external'} needs --library",
                         "add --library (a firmware build's arena is its own)")
    if not args.library:
        return

    if args.name is not None:
        check_library_name(args.name)
    check_library_options(kernels=args.kernels, camera=getattr(args, "camera", False),
                          frontend=getattr(args, "frontend", None), arena_region=args.arena_region)

    check_packages(args.package or [], board, args.name or library_name(Path(args.model).stem))


def ram_note(manifest: dict) -> str:
    """ ", 9.2 KiB of them copied to RAM at start-up (--weights-in)", or "" where none are."""
    ram = manifest["weights_in_ram"]["bytes"]
    return f", {human_bytes(ram)} of them copied to RAM at start-up (--weights-in)" if ram else ""


def _print_library(result, name: str, board, quiet: bool) -> None:
    m = result.manifest
    lib = m["library"]
    print(f"built library {name} of {m['model']} for {board.name} → {result.out_dir}")
    if quiet:
        return
    print(f"  {lib['header']}, {len(lib['sources'])} sources in src/, CMakeLists.txt, {name}.mk, README.md")
    stack = f"stack {lib['stack_bytes']} B (invoke)" if lib["stack_bytes"] is not None else "stack not measured"
    print(f"  arena {m['arena_size']} B ({lib['arena']}), weights {m['weight_bytes']} B (flash{ram_note(m)}), "
          f"{stack}")
    for kind, files in m.get("packages", {}).items():
        print(f"  {kind}: {', '.join(files) if len(files) <= 4 else f'{len(files)} files'}")


def add_command(sub, fmt) -> None:
    b = sub.add_parser("build", help="compile a model into a C project and build it for a board",
                       epilog=EPILOG_BUILD, formatter_class=fmt)
    build = add_compile_args(b).build
    build.add_argument("--board", required=True, help=BOARD_HELP)
    build.add_argument("-o", "--output", metavar="DIR", help="output directory (default: build/MODEL_NAME); "
                       "tinygen replaces only the files an earlier build wrote there")
    build.add_argument("--force", action="store_true",
                       help="write into a non-empty folder that is not a tinygen build, beside its files "
                            "(none of them is replaced)")
    build.add_argument("--library", action="store_true",
                       help="write the model as a C library for your own firmware (NAME.h, sources, CMakeLists.txt, "
                            "NAME.mk): no main, runtime, startup or linker script")
    build.add_argument("--name", metavar="NAME", default=None,
                       help="with --library: the prefix of every symbol and macro (default: the model's name "
                            "made a C identifier)")
    build.add_argument("--arena", choices=("static", "external"), default="static",
                       help="with --library: external = NAME_init(void *arena) takes the application's buffer "
                            "(shareable between models); default static")
    build.add_argument("--package", action="append", choices=KINDS, metavar="KIND",
                       help="package the library for your build system (implies --library; repeatable): "
                            f"{', '.join(KINDS)} (docs/packages.md)")
    b.add_argument("-q", "--quiet", action="store_true",
                   help="quiet: no progress messages, and of the summary only its first line (what was built "
                        "where); errors and warnings are still printed")
    b.set_defaults(func=cmd_build)
