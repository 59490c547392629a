"""Row bands with cached halos (passes/band.py) on the f746zg stand-in: arena, RAM and
executed instructions of a model unbanded and banded.

    .venv/bin/python benchmarks/band_standin.py vww_mobilenet:conv2d_8:10 [MODEL:SPLIT:BANDS ...]
        [--board f746zg] [--json out.json]

Each MODEL (an MLPerf Tiny model in examples/mlperf-tiny/, e.g. vww_mobilenet) is compiled
for the board twice, as `tinygen build` does (fit check included): plain, and with
CompileOptions.tile = (SPLIT, "bands", BANDS). Both are built, booted on the board's QEMU
stand-in and run once after a warm-up on the same random input; the script prints the
arena, the input staging buffer (TG_MODEL_INPUT_BYTES; the banded model's input is that
buffer, outside the arena), the linked RAM, the MACs and the executed instructions of one
inference (tinygen.hil, as benchmarks/mlperf_standin.py counts them), and checks that both
outputs are equal. A benchmark, not a test: it prints numbers (instructions, never cycles).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

MODELS_DIR = Path(__file__).resolve().parents[1] / "examples" / "mlperf-tiny"


def run_one(source, graph, board, out: Path, x: np.ndarray) -> dict:
    from tinygen.passes.analysis import total_macs
    from tinygen.build.linked import linked_image
    from tinygen.compiler import build
    from tinygen.hil.target import open_device

    result = build(source, graph, board, out)
    with open_device(board, result.out_dir, emulate=True) as dev:
        dev.run(x.tobytes())                                  # warm-up
        raw, count = dev.run(x.tobytes())
    elf = result.manifest["memory"][linked_image(result.manifest)]
    return {"arena": result.manifest["arena_size"], "ram": elf["ram"]["used"], "instructions": count,
            "macs": total_macs(graph), "output": np.frombuffer(raw, np.int8)}


def measure(spec: str, board, work: Path) -> dict:
    from tinygen.compiler import compile_source, load_source
    from tinygen.fit import fit_model
    from tinygen.passes import CompileOptions

    name, split, bands = spec.split(":")
    source = load_source(MODELS_DIR / f"{name}_int8.tflite")
    x = np.random.default_rng(0).integers(-128, 128, size=source.input_shape).astype(np.int8)
    rows = {}
    for label, tile in (("plain", "off"), ("banded", (split, "bands", int(bands)))):
        options = CompileOptions(features=board.isa_features, tile=tile)
        graph = fit_model(source, None, options, board, compile_source(source, options=options), lambda m: None)
        rows[label] = run_one(source, graph, board, work / f"{name}-{label}", x)
    plain, banded = rows["plain"], rows["banded"]
    return {"model": name, "split": split, "bands": int(bands), "input_bytes": int(x.size),
            **{f"{k}_{label}": rows[label][k] for label in rows for k in ("arena", "ram", "instructions", "macs")},
            "extra_instructions": banded["instructions"] / plain["instructions"] - 1,
            "equal_outputs": bool(np.array_equal(plain["output"], banded["output"]))}


def main() -> int:
    from tinygen.board import get_board

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="+", metavar="MODEL:SPLIT:BANDS")
    parser.add_argument("--board", default="f746zg")
    parser.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    args = parser.parse_args()
    board = get_board(args.board)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(spec, board, Path(tmp)) for spec in args.specs]
    print(f"{'model':<15}{'split':<21}{'bands':>6}{'arena':>9}{'banded':>9}{'input':>8}{'RAM':>9}{'banded':>9}"
          f"{'instructions':>14}{'banded':>14}{'extra':>8}  equal")
    for r in rows:
        print(f"{r['model']:<15}{r['split']:<21}{r['bands']:>6}{r['arena_plain']:>9,}{r['arena_banded']:>9,}"
              f"{r['input_bytes']:>8,}{r['ram_plain']:>9,}{r['ram_banded']:>9,}{r['instructions_plain']:>14,}"
              f"{r['instructions_banded']:>14,}{r['extra_instructions']:>+8.1%}  {r['equal_outputs']}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0 if all(r["equal_outputs"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
