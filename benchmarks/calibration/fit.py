"""Re-fit each core's timing-model parameters from fitted.json, in seconds.

    .venv/bin/python benchmarks/calibration/fit.py [--write]

fitted.json holds, per published TFLM + CMSIS-NN point, the unfitted components
of tinygen's twin build (--kernels cmsis-nn --no-lower-peak --no-compact) as
benchmarks/cycle_estimates.py --calibration priced them on a stand-in. This
script fits each core's few parameters (tinygen.cycles.fit) and prints, per
point, the published cycles, the unfitted, fitted and held-out (leave-one-out)
errors, and per core the parameters and whether the core is calibrated (every
point within 15%). `--write` stores the fit in fitted.json's "fit"; the core
module's FIT and CALIBRATED (tinygen/cycles/cortex_*.py) are then set by hand to
what it prints (tests/cycles/test_fit.py checks that they agree).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tinygen.cycles.fit import IDENTITY, MIN_POINTS, calibrate, errors, fit
from tinygen.report import table

FITTED = Path(__file__).resolve().parent / "fitted.json"


def fit_all(doc: dict) -> dict[str, dict]:
    cores = sorted({p["core"] for p in doc["points"]})
    return {core: calibrate([p for p in doc["points"] if p["core"] == core]) for core in cores}


def pct(v) -> str:
    return "n/a" if v is None else f"{v:+.1%}"


def used(point: dict, fit: dict) -> str:
    """Whether the point was fitted: points of software the twin does not reproduce only where no other is."""
    if point["id"] not in fit["fit_error"]:
        return "no: stack_note"
    return "yes" if point.get("twin_matches_stack", True) else "report only: stack_note"


def cross_check(points: list[dict]) -> dict[str, float]:
    """Two fitted points: each one's error under the fit to the other alone (held_out needs three). One point is met
    exactly by many parameter sets; this is the one tinygen.cycles.fit picks, so the figure shows how far two points
    disagree, not a held-out error."""
    return {p["id"]: errors([p], fit([points[1 - i]]))[p["id"]] for i, p in enumerate(points)}


def report(doc: dict, fits: dict[str, dict]) -> str:
    rows = []
    for p in doc["points"]:
        f = fits[p["core"]]
        held = (f["held_out_error"] or {}).get(p["id"])
        fitted = f["fit_error"].get(p["id"], f["excluded_error"].get(p["id"]))
        rows.append([p["core"], p["id"], f"{p['published_cycles'] / 1e6:.3f}", pct(f["unfitted_error"][p["id"]]),
                     pct(fitted), pct(held), used(p, f)])
    out = [table(["core", "point", "published M cycles", "unfitted error", "error under the fit", "held-out error",
                  "fitted"], rows, "llrrrrl")]
    for core, f in fits.items():
        params = ", ".join(f"{k} = {v:.3f}" for k, v in f["params"].items())
        mismatch = [p["id"] for p in doc["points"] if p["core"] == core and not p.get("twin_matches_stack", True)]
        state = ("CALIBRATED" if f["calibrated"] else "not calibrated (FIT stays the identity)"
                 + (f"; the twin does not reproduce the software of {len(mismatch)} point(s) (stack_note)"
                    if mismatch else "")
                 + (f"; fewer than the {MIN_POINTS} points a calibration needs" if f["points"] < MIN_POINTS else ""))
        out.append(f"{core}: {f['points']} point(s), {params}; largest fitted error "
                   f"{f['max_abs_fit_error']:.1%}: {state}")
        fitted_points = [p for p in doc["points"] if p["core"] == core and p["id"] in f["fit_error"]]
        if len(fitted_points) == 2:
            out.append("  two points barely constrain three parameters: each under the fit to the other alone "
                       + ", ".join(f"{k} {pct(v)}" for k, v in cross_check(fitted_points).items()))
        module_fit = f["params"] if f["calibrated"] else IDENTITY
        out.append(f"  module: CALIBRATED = {f['calibrated']}; FIT = "
                   + json.dumps({k: round(v, 3) for k, v in module_fit.items()}))
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="store the fit in fitted.json")
    args = ap.parse_args(argv)
    doc = json.loads(FITTED.read_text())
    fits = fit_all(doc)
    print(report(doc, fits))
    if args.write:
        doc["fit"] = fits
        FITTED.write_text(json.dumps(doc, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
