"""Compile the face models for the Nucleo-F446RE and -F746ZG and run the held-out images
as camera frames on their QEMU stand-ins (Cortex-M4 `mps2-an386`, Cortex-M7 `mps2-an500`):
accuracy, instructions (preprocessing and network), flash and RAM per model; every input
and output checked bit-exact against the host twin and reference by `tinygen camera`.

    python examples/faces/measure.py                       # all models, both boards (~20 min)
    python examples/faces/measure.py --boards f446re --models faces_int8 --json faces.json

The frames are faces_test.npz (60 held-out images) followed by faces_perturbed.npz (the
same under harder conditions, 240 frames), 25x25 gray, in one run per model and board.
Prints a Markdown table (the README's) and writes it into RESULTS.md between markers.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MODELS = ("faces_int8", "faces_w4a4", "faces_bnn", "sp_faces")
BOARDS = ("f446re", "f746zg")
RESULTS = HERE / "RESULTS.md"
BEGIN, END = "<!-- faces-table: written by examples/faces/measure.py -->", "<!-- faces-table end -->"


def combined(out: Path) -> tuple[Path, int]:
    """Both frame files as one, and how many frames the first holds."""
    clean, hard = np.load(HERE / "faces_test.npz"), np.load(HERE / "faces_perturbed.npz")
    path = out / "faces_all.npz"
    np.savez(path, frames=np.concatenate([clean["frames"], hard["frames"]]), y=np.concatenate([clean["y"], hard["y"]]),
             names=np.concatenate([clean["names"], hard["names"]]))
    return path, len(clean["y"])


def run(model: str, board: str, frames: Path, out: Path) -> list[dict]:
    from tinygen.cli import main as tinygen

    report = out / f"{board}-{model}.json"
    argv = ["camera", str(HERE / f"{model}.py"), "--board", board, "--emulate", "--frames", str(frames),
            "--format", "gray", "--size", "25x25", "--classes", "non-face,face", "--json", str(report),
            "-o", str(out / f"{board}-{model}"), "--force", "-q"]
    if model.startswith("sp_"):
        argv += ["--switch", "all"]
    if tinygen(argv) != 0:
        raise SystemExit(f"tinygen camera failed for {model} on {board}")
    summary = json.loads(report.read_text())
    return summary["switches"] if "switches" in summary else [summary]


def row(model: str, board: str, s: dict, clean: int) -> dict:
    frames = s["frames"]["per_frame"]
    right = [r["label"] == r["answer"] for r in frames]
    memory = {m["region"].split(" ")[0]: m["used"] for m in s["memory"] if "firmware.elf" in m["region"]}
    name = model + (f" {s['switch']['name']}" if "switch" in s else "")
    return {"model": name, "board": board, "accuracy": float(np.mean(right[:clean])),
            "perturbed": float(np.mean(right[clean:])), "frames": len(frames),
            "bit_exact": f"{s['bit_exact']}/{s['samples']}", "input_exact": s["frames"]["input_bit_exact"],
            "preprocess": s["frames"]["preprocess_mean"], "network": s["frames"]["network_mean"],
            "flash": memory.get("flash"), "ram": memory.get("ram"),
            "weights": s["switch"]["weight_bytes"] if "switch" in s else
            next(m["used"] for m in s["memory"] if m["region"].startswith("weights")),
            "arena": s["switch"]["arena_size"] if "switch" in s else
            next(m["used"] for m in s["memory"] if m["region"].startswith("arena"))}


def table(rows: list[dict]) -> str:
    lines = ["| model | board | held-out acc (60) | perturbed acc (240) | preprocessing instr. | network instr. "
             "| flash | RAM | weights | arena | bit-exact |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['board']} | {r['accuracy']:.2%} | {r['perturbed']:.2%} | "
                     f"{r['preprocess']:,.0f} | {r['network']:,.0f} | {r['flash']:,} B | {r['ram']:,} B | "
                     f"{r['weights']:,} B | {r['arena']:,} B | {r['bit_exact']} |")
    return "\n".join(lines)


def write_results(text: str) -> None:
    old = RESULTS.read_text() if RESULTS.exists() else ""
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in old:
        new = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda m: block, old, flags=re.S)
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(new)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    ap.add_argument("--boards", nargs="+", default=list(BOARDS))
    ap.add_argument("--out", default=str(ROOT / "build" / "faces"))
    ap.add_argument("--json", help="also write the rows as JSON")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frames, clean = combined(out)
    rows = [row(m, b, s, clean) for b in args.boards for m in args.models for s in run(m, b, frames, out)]
    text = table(rows)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    if set(args.models) == set(MODELS) and set(args.boards) == set(BOARDS):
        write_results(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
