"""The fit's flash prediction against the linked images, per model and board.

    .venv/bin/python benchmarks/flash_prediction.py [--boards f746zg,f446re] [--models kws_dscnn,...]
        [--no-mobilenetv2] [--json out.json]

Each model is compiled and fitted as `tinygen build` does with its defaults
(tinygen.fit.compile.compile_model: --kernels auto where the board measures, the fit trade,
tiling where the RAM needs it) and built; the four MLPerf Tiny models
(examples/mlperf-tiny/*.tflite) on every board named, the MobileNetV2 0.35 example
(examples/mobilenetv2/model.py, 96x96) on the F446RE. A row gives the fit's prediction
(graph.meta["fit"]: the largest image compiled and linked ahead of the build,
tinygen/build/code_size.py), the old per-layer estimate (tinygen.build.memory.predict: weights
+ a code estimate) for contrast, the flash of both images the build links (the real part's and
the stand-in's) and the prediction's error against the larger: (predicted - linked) / linked.
Bytes, no timing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MLPERF = ("kws_dscnn", "vww_mobilenet", "ic_resnet8", "ad_autoencoder")


def row(path: Path, board_name: str, work: Path) -> dict:
    from tinygen.board import get_board
    from tinygen.build.memory import predict
    from tinygen.codegen.emit import project_data
    from tinygen.compiler import build
    from tinygen.fit.compile import CompileRequest, compile_model

    board = get_board(board_name)
    source, graph = compile_model(CompileRequest(path), board, lambda msg: print(f"  {msg}", file=sys.stderr))
    estimate = predict(graph, board, project_data(graph, graph.name, "", "")["weight_bytes"]).regions["flash"].used
    memory = build(source, graph, board, work / f"{source.name}-{board_name}").manifest["memory"]
    linked = {elf: use["flash"]["used"] for elf, use in memory.items() if elf != "predicted"}
    return {"model": path.parent.name if path.stem == "model" else source.name, "board": board.name,
            "predicted": graph.meta["fit"]["flash"]["used"], "estimate": estimate, "linked": linked,
            "capacity": graph.meta["fit"]["flash"]["capacity"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--boards", default="f746zg,f446re", help="boards for the MLPerf Tiny models, comma-separated")
    ap.add_argument("--models", default=",".join(MLPERF), help="MLPerf Tiny models, comma-separated")
    ap.add_argument("--no-mobilenetv2", action="store_true", help="leave out MobileNetV2 0.35 on the F446RE")
    ap.add_argument("--json", type=Path, help="write the rows here (the guide's figure 'flash-prediction')")
    args = ap.parse_args(argv)
    jobs = [(ROOT / "examples" / "mlperf-tiny" / f"{name}_int8.tflite", board)
            for board in args.boards.split(",") for name in args.models.split(",")]
    if not args.no_mobilenetv2:
        jobs.append((ROOT / "examples" / "mobilenetv2" / "model.py", "f446re"))
    print(f"{'model':<16} {'board':<14} {'predicted':>10} {'estimate':>10} {'firmware':>10} {'stand-in':>10} "
          f"{'error':>7} {'of flash':>10}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for path, board in jobs:
            r = row(path, board, Path(tmp))
            rows.append(r)
            top = max(r["linked"].values())
            print(f"{r['model']:<16} {r['board']:<14} {r['predicted']:>10,} {r['estimate']:>10,} "
                  f"{r['linked'].get('firmware.elf', 0):>10,} {r['linked'].get('firmware-emu.elf', 0):>10,} "
                  f"{100.0 * (r['predicted'] - top) / top:>+6.2f}% {r['capacity']:>10,}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
