"""The four MLPerf Tiny models on the newest cores' stand-ins, beside the anchors measured there.

    .venv/bin/python benchmarks/mlperf_new_cores.py [--models kws_dscnn ...] [--boards stm32n6570-dk b-u585i-iot02a]
        [--cmsis-nn PATH] [--json out.json]

The Cortex-M55 with Helium (stm32n6570-dk, QEMU mps3-an547): tinygen's kernels (its Helium
kernels where they serve), CMSIS-NN (--kernels cmsis-nn: CMSIS-NN built for the M55 runs its
Helium paths, ARM_MATH_MVEI) and auto. CMSIS-NN's instructions are the anchor: TFLite Micro with
CMSIS-NN's kernels executes the kernels' instructions within 0.15% (../shared/notes/anchors.md,
measured on the M7 stand-in), so calling them directly on the same stand-in is TFLM + CMSIS-NN's
count. Targets: instructions per MAC (KWS <= 0.60, VWW <= 0.45, IC <= 0.45, AD <= 0.80; the
MACs tinygen computes, after compaction drops all-zero filters, as every table here) and at
least 1.5x fewer instructions than the anchor.

The Cortex-M33 (b-u585i-iot02a, QEMU mps2-an505; the pico2's core is the same): the DSP kernels
the M4 and M7 run, beside the same build for the Cortex-M4 stand-in (f446re, mps2-an386), whose
default build (--kernels auto) is there too: its flash beside CMSIS-NN's.
Target: within 5% of the M4's instructions.

Every row: executed instructions for one inference after a warm-up, per MAC, arena and flash
bytes, outputs against TFLite Micro's host interpreter (benchmarks/mlperf_standin.py measures).
A benchmark, not a test: it prints numbers (instructions, never cycles).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from mlperf_standin import MODELS_DIR, TFLM, git_commit, measure

from tinygen.board import get_board
from tinygen.hil.deadline import add_timeout_option
from tinygen.report import table as render

# the boards' own names, as the rows carry them (an alias such as "f446re" would match no row)
M55, M33, M4 = (get_board(name).name for name in ("stm32n6570-dk", "b-u585i-iot02a", "f446re"))
# the issue's targets on the Cortex-M55's stand-in: instructions per MAC, and the speed-up over
# CMSIS-NN's Helium kernels (TFLM + CMSIS-NN) on the same stand-in
PER_MAC_TARGET = {"kws_dscnn": 0.60, "vww_mobilenet": 0.45, "ic_resnet8": 0.45, "ad_autoencoder": 0.80}
SPEEDUP_TARGET = 1.5
# the Cortex-M33's instructions within this fraction of the M4 stand-in's, same build
M33_TOLERANCE = 0.05
KERNELS = {M55: ("tinygen", "cmsis-nn", "auto"), M33: ("tinygen", "cmsis-nn"), M4: ("tinygen", "cmsis-nn", "auto")}


def judge(rows: list[dict]) -> list[dict]:
    """Each row with its targets: the M55's per MAC and speed-up over the cmsis-nn row of the
    same model, the M33's ratio to the M4 row of the same model and kernels."""
    by = {(r["board"], r["model"], r["kernels"]): r for r in rows}
    for r in rows:
        r["targets"] = None
        if r["board"] == M55 and r["kernels"] != "cmsis-nn":
            anchor = by.get((M55, r["model"], "cmsis-nn"))
            goal = PER_MAC_TARGET[r["model"]]
            speedup = anchor["instructions"] / r["instructions"] if anchor else None
            r["targets"] = {"per_mac": goal, "per_mac_met": r["instructions_per_mac"] <= goal,
                            "speedup": speedup, "speedup_target": SPEEDUP_TARGET,
                            "speedup_met": None if speedup is None else speedup >= SPEEDUP_TARGET}
        elif r["board"] == M33:
            m4 = by.get((M4, r["model"], r["kernels"]))
            if m4:
                ratio = r["instructions"] / m4["instructions"]
                r["targets"] = {"vs_m4": ratio, "m4_instructions": m4["instructions"],
                                "vs_m4_met": abs(ratio - 1) <= M33_TOLERANCE}
    return rows


def table(rows: list[dict]) -> str:
    mark = {True: "yes", False: "NO", None: "-"}
    out = []
    for r in rows:
        t = r["targets"] or {}
        if "per_mac" in t:
            goal = (f"<= {t['per_mac']:.2f}/MAC {mark[t['per_mac_met']]}; "
                    + (f"{t['speedup']:.2f}x vs cmsis-nn {mark[t['speedup_met']]}" if t["speedup"] else "no anchor"))
        elif "vs_m4" in t:
            goal = f"{t['vs_m4']:.3f}x the M4's {t['m4_instructions']:,} {mark[t['vs_m4_met']]}"
        else:
            goal = "-"
        out.append([r["board"], r["model"], r["kernels"], f"{r['instructions']:,}", f"{r['instructions_per_mac']:.2f}",
                    f"{r['arena']:,}", f"{r['flash']:,}", mark[r["equals_tflm"]] if r["equals_tflm"] is not None
                    else "n/a", goal])
    return render(["board", "model", "kernels", "instructions", "per MAC", "arena B", "flash B", "== TFLM",
                   "target"], out, "lllrrrrll")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=list(TFLM), choices=list(TFLM))
    ap.add_argument("--boards", nargs="+", default=[M55, M33], choices=[M55, M33],
                    help="the new cores measured (the M33 brings the M4 beside it)")
    ap.add_argument("--cmsis-nn", metavar="PATH", default=os.environ.get("CMSIS_NN_PATH") or None,
                    help="CMSIS-NN source tree (default: $CMSIS_NN_PATH); without one the anchor is not measured")
    ap.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    add_timeout_option(ap)
    args = ap.parse_args(argv)
    boards = list(args.boards) + ([M4] if M33 in args.boards else [])
    if not args.cmsis_nn:
        print("no CMSIS-NN tree (--cmsis-nn PATH or CMSIS_NN_PATH): the anchor rows are skipped", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            for board_name in boards:
                board = get_board(board_name)
                for kernels in KERNELS[board_name]:
                    if kernels == "cmsis-nn" and not args.cmsis_nn:
                        continue
                    print(f"building and running {name} (--kernels {kernels}) on the {board.name} stand-in...",
                          file=sys.stderr, flush=True)
                    r = measure(name, board, MODELS_DIR, Path(tmp), kernels, args.cmsis_nn, args.timeout)
                    for key in ("tflm", "speedup_vs_tflm_cmsis_nn", "arena_vs_tflm", "targets", "tflm_riscv",
                                "portable_instructions", "portable_arena_flash", "per_mac_target"):
                        r.pop(key, None)
                    r["machine"] = board.emulator["machine"]
                    rows.append(r)
    judge(rows)
    print(table(rows))
    print("(executed instructions for one inference after a warm-up on each board's stand-in: stm32n6570-dk "
          "mps3-an547 (Cortex-M55), b-u585i-iot02a mps2-an505 (Cortex-M33), f446re mps2-an386 (Cortex-M4); "
          "cmsis-nn on the M55: CMSIS-NN's Helium kernels, TFLM + CMSIS-NN's count within 0.15%; == TFLM: outputs "
          "equal TFLite Micro's host interpreter)")
    if args.json:
        commit = git_commit()
        for r in rows:
            r["commit"] = commit
            r.pop("layers", None)
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    failed = [r for r in rows if r["equals_tflm"] is False]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
