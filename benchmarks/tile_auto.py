"""CPU time of `--tile auto`'s choice on the MLPerf Tiny models (passes/tile_choice.py).

    .venv/bin/python benchmarks/tile_auto.py [--models kws_dscnn vww_mobilenet ...] [--board f746zg]

Compiles each model untiled and with tile="auto" (as `tinygen build --tile auto` does) and
prints the CPU seconds of both, the arena before and after, and what tiling chose or why not
(the `inspect --memory` line). A benchmark that prints numbers; no test times it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tinygen.board import get_board  # noqa: E402
from tinygen.compiler import compile_source, load_source  # noqa: E402
from tinygen.passes import CompileOptions  # noqa: E402
from tinygen.passes.tile import tile_lines  # noqa: E402

MODELS = ("kws_dscnn", "ad_autoencoder", "ic_resnet8", "vww_mobilenet")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    ap.add_argument("--board", default="f746zg")
    args = ap.parse_args()
    board = get_board(args.board)
    for name in args.models:
        source = load_source(ROOT / "examples" / "mlperf-tiny" / f"{name}_int8.tflite")
        t0 = time.process_time()
        plain = compile_source(source, None, CompileOptions(features=board.isa_features))
        t1 = time.process_time()
        tiled = compile_source(source, None, CompileOptions(features=board.isa_features, tile="auto"))
        t2 = time.process_time()
        print(f"{name}: untiled {t1 - t0:.1f} s CPU, auto {t2 - t1:.1f} s CPU; arena "
              f"{plain.meta['memory'].arena_size} -> {tiled.meta['memory'].arena_size} B")
        for line in tile_lines(tiled):
            print(f"  {line}")


if __name__ == "__main__":
    main()
