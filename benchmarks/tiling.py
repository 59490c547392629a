"""Patch-based inference (issue 18): untiled and tiled builds side by side, per (model, board, setting).

    .venv/bin/python benchmarks/tiling.py [--case MODEL BOARD SETTING ...] [--fallback f746zg]
        [--out tiling.json] [--no-run]

SETTING is `auto`, `SPLIT:GHxGW` (the stage up to tensor SPLIT in a GH x GW grid of
recompute-halo tiles, passes/tile.py) or `SPLIT:bands:N` (N row bands); it goes to
CompileOptions.tile as "auto", (SPLIT, (GH, GW)) or (SPLIT, "bands", N). A setting this
tinygen's tile pass does not support is reported as such (the pass's UsageError), not run.

For each case the model is compiled untiled and tiled as `tinygen build` does for the
board (its ISA features, then tinygen.fit's flash and RAM trade of kernels), and the table
gives per build: arena, the RAM the firmware needs (tinygen.build.memory.predict: arena +
input staging buffer + stack + runtime), MACs, extra MACs, and the executed instructions of
one inference on the board's QEMU stand-in after a warm-up, its output checked byte for byte
against the untiled graph's numpy reference. Where the untiled model does not fit the
board, both are also built for the --fallback board and run on its stand-in, and the extra
instructions are taken there, where both run (that board's own kernel choice: with more
flash, fewer layers may be traded); the table says where each count is from. Instructions,
never cycles.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CASES = [("examples/mobilenetv2/model.py", "f446re", "add_24:2x4")]
SETTING_HELP = "auto, SPLIT:GHxGW (recompute tiles) or SPLIT:bands:N (row bands)"


def parse_setting(text: str):
    """`auto` | `SPLIT:GHxGW` | `SPLIT:bands:N` -> what CompileOptions.tile takes."""
    if text == "auto":
        return "auto"
    m = re.fullmatch(r"(.+):bands:(\d+)", text)
    if m:
        return (m[1], "bands", int(m[2]))
    m = re.fullmatch(r"(.+):(\d+)x(\d+)", text)
    if m:
        return (m[1], (int(m[2]), int(m[3])))
    raise argparse.ArgumentTypeError(f"tile setting {text!r}: expected {SETTING_HELP}")


def compile_for(source, board, setting):
    """The graph `tinygen build` would build for `board` with tile `setting` (the flash and RAM
    trade of tinygen.fit included), or why not: the setting unsupported, or the model not fitting."""
    from tinygen.build.memory import MemoryFitError
    from tinygen.compiler import compile_source
    from tinygen.errors import UsageError
    from tinygen.fit import fit_model
    from tinygen.passes import CompileOptions

    options = CompileOptions(features=board.isa_features, tile=setting)
    try:
        return fit_model(source, None, options, board, compile_source(source, None, options))
    except UsageError as e:
        return f"not supported: {e}"
    except MemoryFitError as e:
        return f"does not fit: {e}"
    except ValueError as e:
        # passes/tile.py before row bands unpacks (split, grid) and fails on (split, "bands", n)
        if isinstance(setting, tuple) and len(setting) == 3:
            return f"not supported: this tinygen's tile pass takes no row bands ({e})"
        raise


def ram_need(graph, board) -> tuple[int, str]:
    from tinygen.build.memory import predict
    from tinygen.report import human_bytes

    ram = predict(graph, board, 0).regions["ram"]
    return ram.used, " + ".join(f"{k} {human_bytes(v)}" for k, v in ram.parts.items())


def run_on_standin(source, graph, board, work: Path, x: np.ndarray) -> tuple[int, np.ndarray]:
    """Build `graph` for `board`; one inference after a warm-up on its stand-in: (instructions, outputs)."""
    from tinygen.compiler import build
    from tinygen.hil.target import open_device

    result = build(source, graph, board, work)
    with open_device(board, result.out_dir, emulate=True) as dev:
        dev.run(x.tobytes())
        raw, count = dev.run(x.tobytes())
    return count, np.frombuffer(raw, np.int8)


def measure(model: str, board_name: str, text: str, fallback: str, work: Path, run_it: bool) -> dict:
    """One case: untiled and tiled, each compiled and fitted as `tinygen build` does, on the
    case's board and (where the untiled model does not fit it) on the fallback board."""
    from tinygen.passes.analysis import total_macs
    from tinygen.board import get_board
    from tinygen.build.memory import MemoryFitError, capacity
    from tinygen.compiler import compile_source, load_source
    from tinygen.passes import CompileOptions
    from tinygen.ref.interpreter import run

    board = get_board(board_name)
    source = load_source(ROOT / model if not Path(model).is_absolute() else model)
    plain = compile_source(source, None, CompileOptions(features=board.isa_features))
    ram, parts = ram_need(plain, board)
    row = {"model": model, "board": board.name, "setting": text, "macs": total_macs(plain),
           "untiled_arena": plain.meta["memory"].arena_size, "untiled_ram": ram, "untiled_ram_parts": parts,
           "untiled_fits": ram <= (capacity(board, "ram") or 0), "builds": []}
    x = np.random.default_rng(0).integers(-128, 128, plain.tensor(plain.inputs[0]).shape, dtype=np.int8)
    want = np.concatenate([v.ravel() for v in (run(plain, x)[n] for n in plain.outputs)])
    standins = [board] + ([] if row["untiled_fits"] else [get_board(fallback)])
    for sb in standins:
        for tiling, setting in (("off", "off"), (text, parse_setting(text))):
            print(f"{Path(model).stem}: {tiling} for {sb.name}", file=sys.stderr, flush=True)
            g = compile_for(source, sb, setting)
            b = {"tiling": tiling, "standin": sb.name}
            row["builds"].append(b)
            if isinstance(g, str):
                b["error"] = g
                continue
            b["arena"] = g.meta["memory"].arena_size
            b["ram"], b["ram_parts"] = ram_need(g, sb)
            b["macs"] = total_macs(g)
            if "tile" in g.meta:
                b["tile"] = {k: list(v) if isinstance(v, tuple) else v for k, v in g.meta["tile"].items()}
            if "fit" in g.meta:
                b["fit"] = str(g.meta["fit"])[:300]
            if run_it:
                try:
                    b["instructions"], got = run_on_standin(source, g, sb, work / f"{Path(model).stem}-{tiling}-{sb.name}", x)
                except MemoryFitError as e:         # the linked image, not the prediction, overflowed
                    b["error"] = f"does not link: {e}"
                    continue
                b["equals_untiled_reference"] = bool(np.array_equal(got, want))
    done = {(b["standin"], b["tiling"]): b for b in row["builds"] if "arena" in b}
    for sb in standins:
        u, t = done.get((sb.name, "off")), done.get((sb.name, text))
        if u and t:
            row.setdefault("extra_macs", t["macs"] / u["macs"] - 1)
            if "instructions" in u and "instructions" in t:
                row.setdefault("extra_instructions", {"standin": sb.name,
                                                      "ratio": t["instructions"] / u["instructions"] - 1})
        if t and sb is board:
            row["tiled_ram"], row["ram_ratio"] = t["ram"], t["ram"] / row["untiled_ram"]
    return row


def print_table(rows: list[dict]) -> None:
    from tinygen.report import table

    out = []
    for r in rows:
        for b in r["builds"]:
            head = [Path(r["model"]).name, r["board"], b["tiling"], b["standin"]]
            if "arena" not in b:
                out.append(head + [b["error"][:90]] + [""] * 5)
                continue
            count = f"{b['instructions']:,}" if "instructions" in b else b.get("error", "-")[:60]
            same = {True: "yes", False: "NO", None: "-"}[b.get("equals_untiled_reference")]
            out.append(head + [f"{b['arena']:,}", f"{b['ram']:,}", f"{b['macs']:,}",
                               f"{b['macs'] / r['macs'] - 1:+.1%}", count, same])
    print(table(["model", "board", "tiling", "built for", "arena B", "RAM B", "MACs", "extra MACs",
                 "instructions", "== untiled ref"], out, "llllrrrrrl"))
    for r in rows:
        line = (f"{Path(r['model']).name} on {r['board']}: untiled RAM {r['untiled_ram']:,} B "
                f"({r['untiled_ram_parts']}){'' if r['untiled_fits'] else ', does not fit'}")
        if "ram_ratio" in r:
            line += f"; tiled {r['setting']} RAM {r['tiled_ram']:,} B ({r['ram_ratio']:.2f}x)"
        if "extra_instructions" in r:
            e = r["extra_instructions"]
            line += f"; extra instructions {e['ratio']:+.1%} (both on the {e['standin']} stand-in)"
        print(line)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", nargs=3, action="append", metavar=("MODEL", "BOARD", "SETTING"),
                    help=f"a model file, a board and a tile setting ({SETTING_HELP}); repeatable "
                         f"(default: {' '.join(DEFAULT_CASES[0])})")
    ap.add_argument("--fallback", default="f746zg",
                    help="board whose stand-in runs both builds where the untiled one does not fit the case's board")
    ap.add_argument("--out", help="write the rows as JSON")
    ap.add_argument("--no-run", action="store_true", help="compile and plan only: no firmware, no stand-in")
    ap.add_argument("--work", help="folder for the builds (default: a temporary one)")
    args = ap.parse_args(argv)
    cases = [tuple(c) for c in args.case] if args.case else DEFAULT_CASES
    for _, _, text in cases:
        try:
            parse_setting(text)
        except argparse.ArgumentTypeError as e:
            ap.error(str(e))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work or tmp)
        rows = [measure(m, b, s, args.fallback, work, not args.no_run) for m, b, s in cases]
    print_table(rows)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
