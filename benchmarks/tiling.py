"""Patch-based inference (issue 18): untiled and tiled builds side by side, per (model, board, setting).

    .venv/bin/python benchmarks/tiling.py [--case MODEL BOARD SETTING ...] [--fallback f746zg]
        [--out tiling.json] [--no-run]

SETTING is `auto`, `SPLIT:GHxGW` (the stage up to tensor SPLIT in a GH x GW grid of
recompute-halo tiles, passes/tile.py) or `SPLIT:bands:N` (N row bands); it goes to
CompileOptions.tile as "auto", (SPLIT, (GH, GW)) or (SPLIT, "bands", N). A setting this
tinygen's tile pass does not support is reported as such (the pass's UsageError), not run.

For each case the model is compiled untiled and tiled for the board's ISA features (as
`tinygen build` does), and the table gives per build: arena, the RAM the firmware needs
(tinygen.build.memory.predict: arena + input staging buffer + stack + runtime), MACs,
extra MACs, and the executed instructions of one inference on the board's QEMU stand-in
after a warm-up, with the tiled output checked byte for byte against the untiled graph's
numpy reference. Where the untiled build does not fit the board's RAM, both builds are
also run on the --fallback board's stand-in (same kernels: the graphs are compiled for the
case board's ISA features) and the extra instructions are taken there, where both run;
the table says which stand-in each count is from. Instructions, never cycles.
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
DEFAULT_CASES = [("examples/mobilenetv2/model.py", "f446re", "add_24:2x2")]
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


def compile_tiled(source, board, setting):
    """The compiled graph for `setting`, or the reason this tinygen cannot apply it."""
    from tinygen.compiler import compile_source
    from tinygen.errors import UsageError
    from tinygen.passes import CompileOptions

    try:
        return compile_source(source, None, CompileOptions(features=board.isa_features, tile=setting))
    except UsageError as e:
        return f"not supported: {e}"
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


def instructions(source, graph, board, work: Path, x: np.ndarray, want: np.ndarray) -> dict:
    """Build `graph` for `board`, one inference after a warm-up on its stand-in."""
    from tinygen.compiler import build
    from tinygen.hil.target import open_device

    result = build(source, graph, board, work)
    with open_device(board, result.out_dir, emulate=True) as dev:
        dev.run(x.tobytes())
        raw, count = dev.run(x.tobytes())
    return {"standin": board.name, "instructions": count,
            "equals_untiled": bool(np.array_equal(np.frombuffer(raw, np.int8), want))}


def fits(graph, board) -> bool:
    from tinygen.build.memory import capacity

    return ram_need(graph, board)[0] <= (capacity(board, "ram") or 0)


def measure(model: str, board_name: str, text: str, fallback: str, work: Path, run_it: bool) -> dict:
    from tinygen.analysis import total_macs
    from tinygen.board import get_board
    from tinygen.compiler import compile_source, load_source
    from tinygen.passes import CompileOptions
    from tinygen.ref.interpreter import run

    board = get_board(board_name)
    source = load_source(ROOT / model if not Path(model).is_absolute() else model)
    untiled = compile_source(source, None, CompileOptions(features=board.isa_features))
    row = {"model": model, "board": board.name, "setting": text}
    tiled = compile_tiled(source, board, parse_setting(text))
    builds = {"untiled": untiled}
    if isinstance(tiled, str):
        row["error"] = tiled
    else:
        builds["tiled"] = tiled
        row["tile"] = {k: list(v) if isinstance(v, tuple) else v for k, v in tiled.meta["tile"].items()}
    for key, g in builds.items():
        ram, parts = ram_need(g, board)
        row[key] = {"arena": g.meta["memory"].arena_size, "ram": ram, "ram_parts": parts, "macs": total_macs(g),
                    "fits": fits(g, board), "runs": []}
    if "tiled" in builds:
        row["extra_macs"] = row["tiled"]["macs"] / row["untiled"]["macs"] - 1
        row["ram_ratio"] = row["tiled"]["ram"] / row["untiled"]["ram"]
    if not run_it:
        return row
    x = np.random.default_rng(0).integers(-128, 128, untiled.tensor(untiled.inputs[0]).shape, dtype=np.int8)
    want = np.concatenate([v.ravel() for v in (run(untiled, x)[n] for n in untiled.outputs)])
    standins = [board] if row["untiled"]["fits"] else [get_board(fallback), board]
    for sb in standins:
        for key, g in builds.items():
            if sb is board and not row[key]["fits"]:
                continue
            tag = f"{Path(model).stem}-{board.name}-{key}-on-{sb.name}"
            print(f"building and running {tag}", file=sys.stderr, flush=True)
            row[key]["runs"].append(instructions(source, g, sb, work / tag, x, want))
    both = [(u, t) for u in row["untiled"]["runs"] for t in row.get("tiled", {}).get("runs", [])
            if u["standin"] == t["standin"]]
    if both:
        u, t = both[0]
        row["extra_instructions"] = {"standin": u["standin"], "ratio": t["instructions"] / u["instructions"] - 1}
    return row


def _runs(build: dict) -> str:
    return ", ".join(f"{r['instructions']:,} ({r['standin']}{'' if r['equals_untiled'] else ', DIFFERS'})"
                     for r in build["runs"]) or "-"


def print_table(rows: list[dict]) -> None:
    from tinygen.report import table

    out = []
    for r in rows:
        for key in ("untiled", "tiled"):
            if key not in r:
                continue
            b = r[key]
            extra = (f"{r['extra_macs']:+.1%}" if key == "tiled" else "")
            ins = (f"{r['extra_instructions']['ratio']:+.1%} ({r['extra_instructions']['standin']})"
                   if key == "tiled" and "extra_instructions" in r else "")
            out.append([Path(r["model"]).name, r["board"], r["setting"] if key == "tiled" else "off",
                        f"{b['arena']:,}", f"{b['ram']:,}", "yes" if b["fits"] else "NO", f"{b['macs']:,}", extra,
                        _runs(b), ins])
        if "error" in r:
            out.append([Path(r["model"]).name, r["board"], r["setting"], r["error"]] + [""] * 6)
    print(table(["model", "board", "tiling", "arena B", "RAM B", "fits", "MACs", "extra MACs",
                 "instructions (stand-in)", "extra instr."], out, "lllrrlrrll"))
    for r in rows:
        if "ram_ratio" in r:
            print(f"{Path(r['model']).name} {r['board']} {r['setting']}: RAM {r['untiled']['ram']:,} B -> "
                  f"{r['tiled']['ram']:,} B ({r['ram_ratio']:.2f}x); tiled RAM = {r['tiled']['ram_parts']}")


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
