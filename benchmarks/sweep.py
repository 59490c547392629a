"""Sweep throughput: points per minute of `tinygen sweep` on this machine, in a local process
pool with 1 and 2 workers and as Ray tasks on a local Ray cluster with 2 workers, with
the per-point cost split (train, compile, reference accuracy, C build, stand-in run).

    .venv/bin/python benchmarks/sweep.py [--points 12] [--json out.json] [--no-ray]

The space is the digits CNN of examples/sweep/digits.yaml without fine-tuning (weights of
conv 3 at 8 / 4 bits, conv 6 at 8 / 4 / 2 bits, 0 / 50% of their filters pruned, f746zg
and f446re), cut to --points points; every configuration starts with an empty results
store and an empty firmware cache, so every point is built. Wall times on a shared machine
depend on its load (printed with the results); the cost split is each phase's mean wall
seconds per point as the workers saw it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tinygen.sweep import run_sweep  # noqa: E402

PHASES = ("train", "compile", "reference", "build", "run")


def spec_file(folder: Path, points: int) -> Path:
    raw = {"model": str(ROOT / "examples" / "lowbit" / "float_digits.py"),
           "data": f"{ROOT / 'examples' / 'sweep' / 'digits_data.py'}:test_set",
           "search": "random", "trials": points, "seed": 0, "samples": 2,
           "space": {"bits": {"3": [8, 4], "6": [8, 4, 2]}, "prune": {"3,6": [0, 0.5]},
                     "board": ["f746zg", "f446re"]}}
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def measure(spec: Path, folder: Path, name: str, workers: int, ray: bool) -> dict:
    out = folder / name
    start = time.perf_counter()
    result = run_sweep(spec, out, workers=workers, ray=True if ray else None, cache=out / "cache", progress=False)
    seconds = time.perf_counter() - start
    ok = [r for r in result.rows if r["status"] == "ok"]
    split = {p: sum(r["timing"].get(p, 0.0) for r in ok) / max(len(ok), 1) for p in PHASES}
    cpu = {p: sum(r["timing"].get(f"{p}_cpu", 0.0) for r in ok) / max(len(ok), 1) for p in PHASES}
    return {"config": name, "workers": workers, "points": len(result.rows), "ok": len(ok), "seconds": seconds,
            "points_per_minute": 60.0 * len(result.rows) / seconds, "split": split, "cpu": cpu,
            "rows": [{k: r[k] for k in ("params", "accuracy", "instructions", "flash", "ram")} for r in ok]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=12, help="points per configuration (default 12)")
    ap.add_argument("--json", metavar="FILE", help="also write the measurements as JSON")
    ap.add_argument("--no-ray", action="store_true", help="leave out the Ray configuration")
    args = ap.parse_args(argv)
    configs = [("local-1", 1, False), ("local-2", 2, False)] + ([] if args.no_ray else [("ray-2", 2, True)])
    load = os.getloadavg()[0]
    results = []
    with tempfile.TemporaryDirectory(prefix="tg-sweep-bench-") as tmp:
        spec = spec_file(Path(tmp), args.points)
        for name, workers, ray in configs:
            print(f"{name}: {args.points} points ...", flush=True)
            results.append(measure(spec, Path(tmp), name, workers, ray))
    cores = os.cpu_count() or 1
    print(f"\n{cores} cores, load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    print(f"{'config':10} {'points':>6} {'wall s':>7} {'points/min':>10}   "
          + "  ".join(f"{p:>9}" for p in PHASES) + "   (mean s per point)")
    for r in results:
        for what, key in (("wall", "split"), ("cpu", "cpu")):
            print(f"{r['config'] if what == 'wall' else '':10} {r['points'] if what == 'wall' else '':>6} "
                  f"{r['seconds'] if what == 'wall' else '':>7.5} "
                  f"{round(r['points_per_minute'], 2) if what == 'wall' else '':>10}   "
                  + "  ".join(f"{r[key][p]:>9.2f}" for p in PHASES) + f"   {what}")
    base = results[0]
    per_point = sum(base["cpu"].values())
    build_share = base["cpu"]["build"] / per_point if per_point else 0.0
    print(f"\none point costs {per_point:.1f} CPU seconds ({build_share:.0%} of them the C build, compilers "
          f"included); the points are independent and the driver's share per point (a SQLite row, a tell) is "
          f"milliseconds, so N machines with c free cores each should give about N x c x 60 / {per_point:.1f} = "
          f"{60 / per_point:.1f} x N x c points per minute, until the driver's store or the cluster's object "
          f"transfers (a row is < 1 KB) bind; this {cores}-core machine, shared, bounds the measured wall figures")
    same = all(r["rows"] == base["rows"] for r in results[1:])
    print(f"rows identical across configurations: {same}")
    if args.json:
        Path(args.json).write_text(json.dumps({"load": load, "cores": cores, "results": results}, indent=1) + "\n")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
