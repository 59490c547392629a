"""Flash fit of one model for one board, checked against the real link.

    .venv/bin/python benchmarks/flash_fit.py [MODEL] [--board f446re] [--tile add_24:bands:8]

The model is compiled for the board's ISA features with the tile setting (as
benchmarks/tiling.py takes it: auto, off, SPLIT:GHxGW or SPLIT:bands:N) and fitted as
`tinygen build` does (tinygen.fit.fit_model). The script prints the linked-size probe's flash
(tinygen/build/code_size.py) with the fastest kernels, then either the kernels fit_model picked
and their image's real link for the part, or its refusal and the real link of the combination
it names (every layer's smallest kernel), built for the same part with FLASH_FOR_REFUSED bytes
of flash so that it links. The probe (the larger of the part's and the stand-in's images) is
ID_STRINGS_BYTES above the larger linked image where the build's model name is the graph's.
Bytes, no timing. benchmarks/flash_prediction.py has the prediction's error per model.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
FLASH_FOR_REFUSED = 2 << 20


def smallest_graph(source, options, graph):
    """`graph`'s model compiled with every layer's smallest option pinned, as the fit step tries it."""
    from tinygen.compiler import compile_source
    from tinygen.fit import _candidates, layer_options, smallest_options

    pick = smallest_options(layer_options(graph, _candidates(options), {}))
    return compile_source(source, None, replace(options, fit_choice={n: o.kernel for n, o in pick.items()},
                                                unfused=frozenset(n for n, o in pick.items() if o.unfuse)))


def linked_flash(source, graph, board, out: Path) -> dict:
    """The flash of the larger image the build links (the part's or the stand-in's), as the probe counts it."""
    from tinygen.compiler import build

    memory = build(source, graph, board, out).manifest["memory"]
    return max((use["flash"] for elf, use in memory.items() if elf != "predicted"), key=lambda f: f["used"])


def main(argv: list[str] | None = None) -> int:
    from tiling import parse_setting

    from tinygen.board import get_board
    from tinygen.build.memory import MemoryFitError
    from tinygen.compiler import compile_source, load_source
    from tinygen.fit import fit_lines, fit_model, predicted
    from tinygen.passes import CompileOptions

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", nargs="?", default="examples/mobilenetv2/model.py")
    ap.add_argument("--board", default="f446re")
    ap.add_argument("--tile", default="add_24:bands:8", help="auto, off, SPLIT:GHxGW or SPLIT:bands:N")
    args = ap.parse_args(argv)
    board = get_board(args.board)
    setting = args.tile if args.tile in ("auto", "off") else parse_setting(args.tile)
    source = load_source(ROOT / args.model if not Path(args.model).is_absolute() else args.model)
    options = CompileOptions(features=board.isa_features, tile=setting)
    graph = compile_source(source, None, options)
    first = predicted(graph, board).regions["flash"]
    print(f"{source.name} for {board.name}, tile {args.tile}: fastest kernels, probe {first.used:,} B "
          f"({', '.join(f'{k} {v:,}' for k, v in first.parts.items())}); the part has {first.capacity:,} B")
    try:
        fitted = fit_model(source, None, options, board, graph, progress=print)
        target, what = board, "picked"
    except MemoryFitError as e:
        print(f"refused: {e.message}")
        fitted = smallest_graph(source, options, graph)
        target = replace(board, memory=tuple(dict(r, size=FLASH_FOR_REFUSED) if r is board.region("flash") else r
                                             for r in board.memory))
        what = "smallest combination (refused)"
    for line in fit_lines(fitted.meta.get("fit")):
        print(line)
    use = predicted(fitted, board).regions["flash"]
    with tempfile.TemporaryDirectory() as tmp:
        linked = linked_flash(source, fitted, target, Path(tmp) / "fw")
    print(f"{what}: probe {use.used:,} B ({', '.join(f'{k} {v:,}' for k, v in use.parts.items())}); "
          f"linked {linked['used']:,} B ({', '.join(f'{k} {v:,}' for k, v in linked['parts'].items())}) "
          f"with {linked['capacity']:,} B of flash; probe - linked = {use.used - linked['used']} B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
