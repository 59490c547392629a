"""The four MLPerf Tiny reference models on the Cortex-M7 stand-in, side by side with TFLM.

    .venv/bin/python benchmarks/mlperf_standin.py [--board f746zg] [--models kws_dscnn ...] [--json out.json]

Builds each int8 .tflite model for the board, boots the firmware on its QEMU
stand-in (mps2-an500 for the F746), and measures one inference after a warm-up:
executed instructions (total, per MAC, per layer), arena, flash and RAM. The
outputs are checked against TFLite Micro's host interpreter on the same input.
TFLM's figures (same stand-in, anchors.md) are printed next to ours. A
benchmark, not a test: it prints numbers (instructions, never cycles).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

MODELS_DIR = Path(__file__).resolve().parents[2] / "shared" / "models" / "mlperf-tiny"
# ../shared/notes/anchors.md: TFLM on mps2-an500, -icount shift=0, one inference after a warm-up
TFLM = {
    "kws_dscnn": {"cmsis_nn": 7_642_160, "reference": 44_212_880, "arena": 22_820},
    "vww_mobilenet": {"cmsis_nn": 24_025_480, "reference": 103_216_240, "arena": 100_708},
    "ic_resnet8": {"cmsis_nn": 30_025_800, "reference": 109_408_600, "arena": 54_996},
    "ad_autoencoder": {"cmsis_nn": 583_200, "reference": 1_962_000, "arena": 2_580},
}


def tflm_output(path: Path, x: np.ndarray) -> np.ndarray | None:
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        return None
    interp = runtime.Interpreter.from_file(str(path), arena_size=1 << 20)
    interp.set_input(x, 0)
    interp.invoke()
    return np.array(interp.get_output(0)).ravel()


def measure(name: str, board, models_dir: Path, work: Path) -> dict:
    from tinygen.analysis import total_macs
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.hil.target import open_device
    from tinygen.passes import CompileOptions

    path = models_dir / f"{name}_int8.tflite"
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features))
    result = build(source, graph, board, work / name)
    x = np.random.default_rng(0).integers(-128, 128, size=source.input_shape).astype(np.int8)
    with open_device(board, result.out_dir, emulate=True) as dev:
        dev.run(x.tobytes())                       # warm-up
        raw, count = dev.run(x.tobytes())
        layers, _, _ = dev.layers()
    macs = total_macs(graph)
    elf = result.manifest["memory"]["firmware.elf"]
    want = tflm_output(path, x)
    kernels = {n.name: n.kernel for n in graph.nodes if n.kernel}
    return {
        "model": name, "board": board.name, "macs": macs, "instructions": count,
        "instructions_per_mac": count / macs,
        "arena": result.manifest["arena_size"], "weights": result.manifest["weight_bytes"],
        "flash": elf["flash"]["used"], "ram": elf["ram"]["used"],
        "equals_tflm": None if want is None else bool(np.array_equal(np.frombuffer(raw, np.int8), want)),
        "layers": [{"name": layer.name, "kernel": kernels.get(layer.name), "instructions": layer.count}
                   for layer in layers],
        "tflm": TFLM.get(name),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--board", default="f746zg")
    ap.add_argument("--models", nargs="+", default=list(TFLM), choices=list(TFLM))
    ap.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--layers", action="store_true", help="also print the per-layer instructions")
    args = ap.parse_args(argv)
    from tinygen.board import get_board
    from tinygen.report import table

    board = get_board(args.board)
    if board.emulator is None:
        print(f"{board.name} has no stand-in", file=sys.stderr)
        return 2
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            print(f"building and running {name} on the {board.name} stand-in...", file=sys.stderr, flush=True)
            results.append(measure(name, board, args.models_dir, Path(tmp)))
    rows = []
    for r in results:
        t = r["tflm"] or {}
        rows.append([r["model"], f"{r['macs']:,}", f"{r['instructions']:,}", f"{r['instructions_per_mac']:.2f}",
                     f"{t.get('cmsis_nn', 0):,}", f"{t['cmsis_nn'] / r['instructions']:.2f}x" if t else "-",
                     f"{r['arena']:,}", f"{t.get('arena', 0):,}", f"{r['flash']:,}", f"{r['ram']:,}",
                     {None: "n/a", True: "yes", False: "NO"}[r["equals_tflm"]]])
    print(table(["model", "MACs", "instructions", "per MAC", "TFLM+CMSIS-NN", "speed-up",
                 "arena B", "TFLM arena B", "flash B", "RAM B", "== TFLM"], rows, "lrrrrrrrrrl"))
    print(f"(executed instructions on the {board.emulator['machine']} stand-in; speed-up > 1 means fewer "
          "instructions than TFLM + CMSIS-NN)")
    if args.layers:
        for r in results:
            print(f"\n{r['model']}:")
            print(table(["layer", "kernel", "instructions"],
                        [[layer["name"], layer["kernel"] or "-", f"{layer['instructions']:,}"] for layer in r["layers"]],
                        "llr"))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0 if all(r["equals_tflm"] is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
