"""The test suite's time on a fresh clone, as CI runs it: `make test` (set-up included), idle or under load.

    .venv/bin/python benchmarks/suite_time.py [--load 8] [--json out.json]

Clones this repository's HEAD into a temporary folder (with an empty tinygen cache, as on a
fresh machine), runs `make test` there as CI does (with .ci/third_party.sh's environment: the
third-party trees beside this repository, where they are, so that their tests run too) and records its wall time, the CPU time (user + sys)
of everything it ran, pytest's counts, the machine's cores and load average. --load N keeps N
busy processes (pure Python loops at normal priority) running beside it for the whole run, so
the suite shares the cores as on a loaded CI machine. Wall times are measurements of one run
on one machine: the figure shows them with their date and load, and check-figures does not
compare them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def spin() -> None:
    while True:
        pass


def counts(output: str) -> dict:
    """pytest's closing line as numbers: passed, failed, skipped, errors."""
    line = next((ln for ln in reversed(output.splitlines()) if re.search(r"\d+ (passed|failed)", ln)), "")
    found = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|skipped|errors?)", line)}
    return {k: found.get(k, 0) for k in ("passed", "failed", "skipped", "error")} | {"line": line.strip("= ")}


def run(load: int, keep_log: Path | None) -> dict:
    spinners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(load)]
    with tempfile.TemporaryDirectory(prefix="suite-time-") as tmp:
        clone, cache = Path(tmp) / "tinygen", Path(tmp) / "cache"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        if (ROOT.parent / "shared").is_dir():       # the clone's neighbour, as in CI
            (Path(tmp) / "shared").symlink_to(ROOT.parent / "shared")
        commit = subprocess.run(["git", "-C", str(clone), "rev-parse", "--short=7", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        for p in spinners:
            p.start()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_start, t0 = os.getloadavg()[0], time.monotonic()
        done = subprocess.run(["bash", "-c", "source .ci/third_party.sh && make test"], cwd=clone, capture_output=True, text=True,
                              env={**os.environ, "TINYGEN_CACHE_DIR": str(cache)})
        wall = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_end = os.getloadavg()[0]
        for p in spinners:
            p.terminate()
    output = done.stdout + done.stderr
    if keep_log:
        keep_log.write_text(output)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # pytest's short summary: which tests failed or errored (a run that did not pass says why)
    problems = [ln for ln in output.splitlines() if ln.startswith(("FAILED ", "ERROR "))]
    return {"problems": problems, "commit": commit, "date": date.today().isoformat(), "cores": os.cpu_count(), "extra_load": load,
            "load_start": round(load_start, 1), "load_end": round(load_end, 1), "wall_seconds": round(wall),
            "cpu_seconds": round(cpu), "exit": done.returncode, **counts(output)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--load", type=int, default=0, help="busy processes beside the suite (default 0: idle)")
    ap.add_argument("--json", type=Path, help="also write the result as JSON")
    ap.add_argument("--log", type=Path, help="keep make test's output here")
    args = ap.parse_args(argv)
    result = run(args.load, args.log)
    print(f"make test at {result['commit']}: {result['line']} in {result['wall_seconds'] / 60:.1f} min wall, "
          f"{result['cpu_seconds'] / 60:.1f} min CPU, {result['cores']} cores, {args.load} busy processes beside "
          f"(load average {result['load_start']} -> {result['load_end']}); exit {result['exit']}")
    for line in result["problems"]:
        print(f"  {line}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return result["exit"]


if __name__ == "__main__":
    sys.exit(main())
