"""Build time and generated sizes for the DS-CNN example (target: build < 10 s on 2 cores).

    .venv/bin/python benchmarks/build_time.py [--model examples/models/dscnn.py] [--repeat 3] [--json out.json]

Times each phase of `tinygen build --board host` separately (load and
torch.export, passes, C generation, gcc) and prints the generated code and
weight sizes. A benchmark, not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_build(model: Path, out: Path) -> dict[str, float]:
    from tinygen.board import get_board
    from tinygen.build.host import build_host
    from tinygen.codegen.project import write_project
    from tinygen.compiler import compile_source, load_source

    board = get_board("host")
    times = {}
    t = time.perf_counter()
    source = load_source(model)
    times["load + torch.export"] = time.perf_counter() - t
    t = time.perf_counter()
    graph = compile_source(source)
    times["passes (calibrate, quantize, plan)"] = time.perf_counter() - t
    out.mkdir(parents=True)
    t = time.perf_counter()
    write_project(graph, out, source.name, source.source_hash, board)
    times["generate C"] = time.perf_counter() - t
    t = time.perf_counter()
    build_host(out, board)
    times["gcc"] = time.perf_counter() - t
    times["total"] = sum(times.values())
    return times


def sizes(out: Path) -> dict[str, int]:
    result = {f: (out / f).stat().st_size for f in ("model.c", "weights.c")}
    manifest = json.loads((out / "tinygen.json").read_text())
    result["weight bytes (const data)"] = manifest["weight_bytes"]
    result["arena bytes"] = manifest["arena_size"]
    text = subprocess.run(["size", str(out / "libtgmodel.so")], capture_output=True, text=True).stdout.split("\n")
    if len(text) > 1 and text[1].split():
        result["libtgmodel.so .text (x86-64)"] = int(text[1].split()[0])
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "examples/models/dscnn.py"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", help="also write the numbers to this file")
    args = ap.parse_args()
    from tinygen.report import table

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            runs.append(one_build(Path(args.model), Path(tmp) / f"run{i}"))
        size = sizes(Path(tmp) / "run0")
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tinygen", "build", args.model, "--board", "host", "-q",
                        "-o", str(Path(tmp) / "cli")], check=True, stdout=subprocess.DEVNULL)
        cli_seconds = time.perf_counter() - t
    phases = list(runs[0])
    median = {p: statistics.median(r[p] for r in runs) for p in phases}
    print(f"build of {Path(args.model).name} for --board host, median of {args.repeat} (in-process; the first "
          "run also pays Python imports)")
    print(table(["phase", "seconds"], [[p, f"{median[p]:.2f}"] for p in phases], "lr"))
    print()
    print(table(["generated", "bytes"], [[k, v] for k, v in size.items()], "lr"))
    print(f"\n`tinygen build` in a fresh process (imports torch, exports, compiles): {cli_seconds:.2f} s")
    print(f"target: build < 10 s → {'met' if cli_seconds < 10 else 'NOT met'}")
    if args.json:
        Path(args.json).write_text(json.dumps({"seconds": median, "runs": runs, "cli_seconds": cli_seconds,
                                                  "sizes": size}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
