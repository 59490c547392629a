"""The MLPerf Tiny performance table, rendered from benchmarks/mlperf_standin.py's JSON.

    .venv/bin/python benchmarks/mlperf_standin.py --json mlperf.json      # measure (minutes)
    .venv/bin/python benchmarks/readme_table.py mlperf.json               # print the Markdown table

The README's copy is the figure `mlperf-f746zg` (benchmarks/figure_list.py), which renders
with this module: `benchmarks/figures.py measure mlperf-f746zg` measures and rewrites it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SHORT = {"kws_dscnn": "KWS", "vww_mobilenet": "VWW", "ic_resnet8": "IC", "ad_autoencoder": "AD"}
ORDER = ("kws_dscnn", "vww_mobilenet", "ic_resnet8", "ad_autoencoder")
KERNELS = ("tinygen", "cmsis-nn", "auto")
HEADER = ("| model | `--kernels` | instructions (per MAC) | TFLM + CMSIS-NN | speed-up (target ≥ 1.5×; AD > 1×) "
          "| arena (of TFLM's; target ≤ 60%) | TFLM arena | flash | == TFLM | measured at |\n"
          "|---|---|---:|---:|---:|---:|---:|---:|---|---|")


def row(r: dict) -> str:
    """One table row from one result of mlperf_standin.measure."""
    goal, tflm = r.get("targets") or {}, r.get("tflm") or {}
    met = {True: "met", False: "not met"}
    speedup = f"{goal['speedup']:.2f}x {met[goal['speedup_met']]}" if goal else "-"
    arena = (f"{r['arena']:,} B ({goal['arena_ratio']:.0%}) {met[goal['arena_met']]}" if goal
             else f"{r['arena']:,} B")
    equal = {None: "n/a", True: "yes", False: "**no**"}[r.get("equals_tflm")]
    at = r.get("commit") or "?"
    if r.get("cmsis_nn_version") and r["kernels"] != "tinygen":
        at += f", CMSIS-NN {r['cmsis_nn_version']}"
    return (f"| {SHORT.get(r['model'], r['model'])} | {r['kernels']} | {r['instructions']:,} "
            f"({r['instructions_per_mac']:.2f}) | {tflm.get('cmsis_nn', 0):,} | {speedup} | {arena} "
            f"| {tflm.get('arena', 0):,} B | {r['flash']:,} B | {equal} | {at} |")


def render(results: list[dict]) -> str:
    """The table: a row per model and kernels, in the models' and kernel choices' order."""
    fresh = {(r["model"], r["kernels"]): row(r) for r in results}
    return "\n".join([HEADER] + [fresh[(m, k)] for m in ORDER for k in KERNELS if (m, k) in fresh])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", type=Path, help="the JSON written by benchmarks/mlperf_standin.py --json")
    args = ap.parse_args(argv)
    results = json.loads(args.json.read_text())
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
