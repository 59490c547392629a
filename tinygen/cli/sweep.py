"""`tinygen sweep SPEC.yaml` (registered by tinygen.cli)."""

from __future__ import annotations

import sys
from tinygen.errors import UsageError
from tinygen.optional import require

EPILOG = """examples:
  tinygen sweep examples/sweep/digits.yaml                      # local process pool, one worker per core
  tinygen sweep examples/sweep/digits.yaml --workers 2 --out build/sweep-digits
  tinygen sweep examples/sweep/digits.yaml --ray                # a local Ray cluster, started for the sweep
  tinygen sweep examples/sweep/digits.yaml --ray auto           # the Ray cluster running on this machine
  tinygen sweep examples/sweep/digits.yaml --ray 10.0.0.5:6379  # a Ray cluster's head
Run it again to finish an interrupted sweep: points with a row in OUT/results.sqlite are not run again.
"""


def cmd_sweep(args) -> int:
    from tinygen.sweep import run_sweep

    for module in ("yaml", "serial"):           # the spec's reader, the stand-ins' links: before any point
        require(module)

    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers} must be at least 1")
    try:
        result = run_sweep(args.spec, args.out, args.workers, args.ray, args.cache, args.timeout,
                           progress=not args.quiet)
    except KeyboardInterrupt:
        print("interrupted: the finished points are stored; run the same command again to finish the sweep",
              file=sys.stderr)
        return 130
    print(result.report["text"])
    print(f"\nresults: {result.out / 'results.sqlite'} and results.json; report: {result.out / 'report.json'}"
          + (f"; plot: {result.report['png']}" if result.report.get("png") else ""))
    return 0


def add_command(sub, fmt) -> None:
    s = sub.add_parser("sweep", help="build and measure many variants of a model (bit widths, pruning, kernels, "
                                     "boards) and report the Pareto fronts", epilog=EPILOG, formatter_class=fmt)
    s.add_argument("spec", metavar="SPEC.yaml", help="the sweep spec (README, 'Design-space sweeps'); its model: a float PyTorch "
                                                       ".py (model(), example_input()) or an .onnx (float, QDQ or "
                                                       "QOperator: its kernels and boards are swept)")
    s.add_argument("--workers", type=int, default=None, metavar="N",
                   help="points run at once (default: one per core; with --ray: the cluster's CPUs)")
    s.add_argument("--ray", nargs="?", const=True, default=None, metavar="ADDRESS",
                   help="run the points as Ray tasks: no ADDRESS starts a local cluster, auto joins the one "
                        "running here, HOST:PORT joins that head")
    s.add_argument("--out", metavar="DIR", default=None,
                   help="results, report and best points (default build/sweep/SPEC_NAME)")
    s.add_argument("--cache", metavar="DIR", default=None,
                   help="point models and firmware builds, shared by sweeps (default OUT/cache)")
    s.add_argument("--timeout", type=float, default=None, metavar="S",
                   help="seconds of the stand-in's own time per answer beyond the known work (default 10)")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_sweep)
