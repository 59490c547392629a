"""Estimated milliseconds of the four MLPerf Tiny models on the STM32F746 (or
another board with a [timing] model), beside the published real-board results.

    .venv/bin/python benchmarks/cycle_estimates.py [--board f746zg] [--models kws_dscnn ...]
        [--kernels tinygen] [--json out.json]

Builds each int8 model, runs one inference layer by layer on the board's
stand-in with QEMU's execution log (tinygen.cycles), and prices the executed
instruction mix with the board's timing model. Printed: exact instructions,
the naive "one instruction = one cycle" time, the model's estimated cycles and
ms, and MLPerf Tiny's published F746 latencies (../shared/notes/anchors.md:
Plumerai v1.1, Bosch HALE v1.1/1.2), with the difference stated. Those are other
inference engines' times: the difference mixes the model's error with the
difference between the engines, and no published figure exists for tinygen's
own kernels on a real board. A benchmark, not a test: every cycle and ms here
is an estimate.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MODELS_DIR = Path(__file__).resolve().parents[1] / "examples" / "mlperf-tiny"
# anchors.md, "Speed on real boards": MLPerf Tiny closed division, STM32F746 at 216 MHz, ms per inference
PUBLISHED_F746 = {
    "kws_dscnn": {"Plumerai": 17.75, "HALE": 18.42},
    "vww_mobilenet": {"Plumerai": 34.08, "HALE": 57.2},
    "ic_resnet8": {"Plumerai": 62.88, "HALE": 61.57},
    "ad_autoencoder": {"Plumerai": 1.71, "HALE": 1.42},
}

# anchors.md: ST X-CUBE-AI 9.0 on the STM32L4R5 (Cortex-M4 at 120 MHz), ms per inference: compared in
# cycles with the estimate for a Cortex-M4 board (another part, another flash, another engine)
PUBLISHED_L4R5_MS = {"kws_dscnn": 43.2, "vww_mobilenet": 88.9, "ic_resnet8": 165.0, "ad_autoencoder": 5.26}
L4R5_HZ = 120_000_000


def estimate(name: str, board, work: Path, kernels: str) -> dict:
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.cycles import estimate_standin
    from tinygen.passes import CompileOptions

    source = load_source(MODELS_DIR / f"{name}_int8.tflite")
    graph = compile_source(source, options=CompileOptions(features=board.isa_features, kernels=kernels))
    result = build(source, graph, board, work / name)
    x = np.random.default_rng(0).integers(-128, 128, size=source.input_shape).astype(np.int8)
    t0 = time.monotonic()
    est = estimate_standin(board, result.out_dir, x.tobytes())
    est["wall_seconds"] = time.monotonic() - t0
    est["model_name"] = name
    return est


def rows(results: list[dict], board) -> list[list[str]]:
    out = []
    for est in results:
        t = est["total"]
        naive = t["instructions"] / board.clock_hz * 1e3
        pub = PUBLISHED_F746.get(est["model_name"], {}) if board.name in ("nucleo-f746zg", "nucleo-f767zi") else {}
        diffs = ", ".join(f"{k} {v:g} ms ({(t['ms'] / v - 1) * 100:+.0f}%)" for k, v in pub.items())
        if not pub and board.raw.get("timing", {}).get("model") == "cortex-m4":
            cycles = PUBLISHED_L4R5_MS[est["model_name"]] * 1e-3 * L4R5_HZ
            diffs = f"X-CUBE-AI on L4R5: {cycles / 1e6:.2f} M cycles ({(t['cycles'] / cycles - 1) * 100:+.0f}% in cycles)"
        out.append([est["model_name"], f"{t['instructions']:,}", f"{naive:.2f}", f"{t['cycles']:,.0f}",
                    f"{t['ms']:.2f}", diffs or "none published", f"{est['logging_seconds']:.1f} s"])
    return out


def main(argv=None) -> int:
    from tinygen.board import get_board
    from tinygen.report import table

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", default="f746zg")
    ap.add_argument("--models", nargs="+", default=list(PUBLISHED_F746), choices=list(PUBLISHED_F746))
    ap.add_argument("--kernels", default="tinygen", choices=("tinygen", "portable"))
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args(argv)
    board = get_board(args.board)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            print(f"building {name} for {board.name} and estimating on its stand-in ...", file=sys.stderr, flush=True)
            results.append(estimate(name, board, Path(tmp), args.kernels))
    print(f"ESTIMATES on {board.name} at {board.clock_hz / 1e6:g} MHz ({results[0]['model']}); published "
          "figures are other engines' measured latencies")
    print(table(["model", "instructions (exact)", "ms if 1 instr = 1 cycle", "est. cycles", "est. ms",
                 "published (est. vs published)", "logged run"], rows(results, board), "lrrrrll"))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
