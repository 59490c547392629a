"""The README's ESP32-C3 table, rendered from benchmarks/mlperf_standin.py --board esp32-c3's JSON.

    .venv/bin/python benchmarks/mlperf_standin.py --board esp32-c3 --kernels tinygen auto --json rv32.json
    .venv/bin/python benchmarks/rv32_table.py rv32.json        # the Markdown table, to paste

Per model and kernel choice: instructions (per MAC) on the RISC-V stand-in, the portable C
kernels' before the RV32IM kernels (mlperf_standin.RV32_PORTABLE), the speed-up, issue 21's
per-MAC target, TFLite Micro with its reference kernels on the same stand-in
(mlperf_standin.TFLM_RISCV; per MAC over the model's own MACs) and our speed-up over it, arena and flash (the portable build's in brackets), equality with TFLM and
the commit measured at.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SHORT = {"kws_dscnn": "KWS", "vww_mobilenet": "VWW", "ic_resnet8": "IC", "ad_autoencoder": "AD"}
HEADER = ("| model | `--kernels` | instructions (per MAC) | portable C before (per MAC) | speed-up | target per MAC "
          "| TFLM reference kernels (per MAC) | vs TFLM | arena (before) | flash (before) | == TFLM | measured at |\n"
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")


def row(r: dict) -> str:
    before, (arena, flash), goal = r["portable_instructions"], r["portable_arena_flash"], r.get("per_mac_target")
    met = f"≤ {goal:.1f} {'met' if r['instructions_per_mac'] <= goal else 'not met'}" if goal else "-"
    tflm = r.get("tflm_riscv") or {}
    ref = tflm.get("reference")
    anchor = f"{ref:,} ({ref / tflm['macs']:.2f}) | {ref / r['instructions']:.2f}x" if ref else "- | -"
    equal = {None: "n/a", True: "yes", False: "**no**"}[r.get("equals_tflm")]
    return (f"| {SHORT.get(r['model'], r['model'])} | {r['kernels']} | {r['instructions']:,} "
            f"({r['instructions_per_mac']:.2f}) | {before:,} ({before / r['macs']:.2f}) "
            f"| {before / r['instructions']:.2f}x | {met} | {anchor} | {r['arena']:,} B ({arena:,} B) "
            f"| {r['flash']:,} B ({flash:,} B) | {equal} | {r.get('commit') or '?'} |")


def render(results: list[dict]) -> str:
    return "\n".join([HEADER] + [row(r) for r in results if r.get("portable_instructions") is not None])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", type=Path, help="the JSON of benchmarks/mlperf_standin.py --board esp32-c3 --json")
    args = ap.parse_args(argv)
    print(render(json.loads(args.json.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
