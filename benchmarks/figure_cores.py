"""The performance page's cycles-per-core figure (benchmarks/figures.py): the four MLPerf Tiny models'
estimated cycles on one board of each Cortex-M core, beside the best published CPU-only result of that
core, issue 72's target and the core model's calibration.

Measured by benchmarks/cycle_estimates.py (the default build: --kernels auto, --weights-in auto) once per
board; rendered as one table with the naive instruction count kept beside each estimate.
"""

from __future__ import annotations

import json
from pathlib import Path

from cycle_estimates import (BEST_PUBLISHED_M_CYCLES, PERSON, TARGET_C3_PERSON_M_CYCLES, TARGET_M_CYCLES,
                             published_c3_points)
from figure_engine import Figure, python

from tinygen.cycles.fit import MIN_POINTS

CORE_BOARDS = (("cortex-m7", "f746zg"), ("cortex-m4", "f446re"), ("cortex-m33", "u585"), ("cortex-m55", "n6570"))
MODELS = ("kws_dscnn", "vww_mobilenet", "ic_resnet8", "ad_autoencoder")
QUICK_MODELS = ("ad_autoencoder",)
NAMES = {"kws_dscnn": "KWS", "vww_mobilenet": "VWW", "ic_resnet8": "IC", "ad_autoencoder": "AD",
         PERSON: "TFLM person detection"}
CORE_NAMES = {"cortex-m7": "Cortex-M7", "cortex-m4": "Cortex-M4", "cortex-m33": "Cortex-M33",
              "cortex-m55": "Cortex-M55", "esp32-c3": "ESP32-C3 (RV32IMC)"}
# issue 72's table: who published the best CPU-only MLPerf Tiny result of the core (mlcommons/tiny_results
# v1.1-v1.3; benchmarks/calibration/published.json holds every point); the M55 has none, the M85's is shown
PUBLISHED_BY = {
    "cortex-m7": {"kws_dscnn": "ST H7A3, X-CUBE-AI", "vww_mobilenet": "ST H7A3, X-CUBE-AI",
                  "ic_resnet8": "ST H7A3, X-CUBE-AI", "ad_autoencoder": "Bosch H7A3"},
    "cortex-m4": {"kws_dscnn": "ST L4R5, X-CUBE-AI", "vww_mobilenet": "ST L4R5, X-CUBE-AI",
                  "ic_resnet8": "ST L4R5, X-CUBE-AI", "ad_autoencoder": "Plumerai L4R5"},
    "cortex-m33": {"kws_dscnn": "ST U575, X-CUBE-AI", "vww_mobilenet": "ST U575, X-CUBE-AI",
                   "ic_resnet8": "Plumerai U575", "ad_autoencoder": "Bosch U575"},
    "cortex-m55": {m: "Cortex-M85 (Renesas RA8D1), TFLM + CMSIS-NN" for m in MODELS},
}


def calibration_cell(est: dict) -> str:
    """What the figure says of the core model's error: none known, or the largest off a published point, and
    why no fit is applied (cycle_estimates.core_calibration's note says it at length)."""
    error = est.get("calibration_error")
    if not error:
        if est["calibration_note"] and "TFLM + CMSIS-NN" not in est["calibration_note"]:
            return "none: no published point this stand-in reproduces"
        return "none: no published TFLM + CMSIS-NN point of this core"
    n = len(error["points"])
    cell = f"off by up to {error['overall_max_abs']:.0%} on {n} published point{'s' if n > 1 else ''}"
    if error["fit"]["applied"]:
        held = max((abs(v) for v in (error["fit"]["held_out"] or {}).values()), default=None)
        return cell + ", fitted" + ("" if held is None else f" (each point left out of the fit: up to {held:.0%})")
    if "does not reproduce these points' software" in est["calibration_note"]:
        return cell + "; not fitted: the points ran older CMSIS-NN kernels than the twin build"
    if n < MIN_POINTS:
        return cell + f"; not fitted: a calibration needs at least {MIN_POINTS} points"
    return cell + "; not fitted: the fit stays over 15%"


def _row(core: str, board: str, est: dict, published: float, by: str, target: float) -> dict:
    return {"core": core, "board": board, "model": est["model_name"], "clock_hz": est["clock_hz"],
            "instructions": est["naive_instructions"], "cycles": est["estimated_cycles"],
            "flash_cycles": est["estimated_cycles"] + est["weights_in_ram_cycles_saved"],
            "weights_in_ram": est["weights_in_ram_bytes"], "published_m_cycles": published, "published_by": by,
            "target_m_cycles": target, "calibration": calibration_cell(est)}


def measure_cores(work: Path, quick: bool) -> list:
    """benchmarks/cycle_estimates.py on each board (quick: AD alone), then TFLM's person detection on the
    ESP32-C3 beside esp-tflite-micro's published time with ESP-NN (not quick)."""
    rows = []
    for core, board in CORE_BOARDS:
        out = work / f"cycles-{board}.json"
        python("benchmarks/cycle_estimates.py", "--board", board, "--models", *(QUICK_MODELS if quick else MODELS),
               "--json", out)
        for est in json.loads(out.read_text()):
            name = est["model_name"]
            rows.append(_row(core, board, est, BEST_PUBLISHED_M_CYCLES[core][name], PUBLISHED_BY[core][name],
                             TARGET_M_CYCLES[core][name]))
    if not quick:
        out = work / "cycles-esp32-c3.json"
        python("benchmarks/cycle_estimates.py", "--board", "esp32-c3", "--models", PERSON, "--json", out)
        esp_nn = [p for p in published_c3_points() if "with-esp-nn" in p["id"]][0]
        for est in json.loads(out.read_text()):
            rows.append(_row("esp32-c3", "esp32-c3", est, esp_nn["cycles"] / 1e6, "esp-tflite-micro + ESP-NN",
                             TARGET_C3_PERSON_M_CYCLES))
    return rows


def met(r: dict) -> str:
    return "yes" if r["cycles"] <= r["target_m_cycles"] * 1e6 else "no"


def render_cores(rows: list) -> str:
    lines = ["| core (board) | model | instructions (exact) | est. M cycles | with weights in flash | weights in RAM "
             "| best published, M cycles | target | met | core model's calibration |",
             "|---|---|---:|---:|---:|---:|---|---:|---|---|"]
    for r in rows:
        ram = f"{r['weights_in_ram']:,} B" if r["weights_in_ram"] else "none"
        lines.append(f"| {CORE_NAMES[r['core']]} ({r['board']}) | {NAMES[r['model']]} | {r['instructions']:,} "
                     f"| {r['cycles'] / 1e6:.3f} | {r['flash_cycles'] / 1e6:.3f} | {ram} "
                     f"| {r['published_m_cycles']:g} ({r['published_by']}) | <= {r['target_m_cycles']:g} "
                     f"| {met(r)} | {r['calibration']} |")
    return "\n".join(lines)


FIGURES = [
    Figure("cycle-cores", "estimated cycles of the MLPerf Tiny models on the M7, M4, M33 and M55 beside the best "
           "published results (benchmarks/cycle_estimates.py per board)", measure_cores, render_cores, minutes=10,
           quick_minutes=1.5, rows=("board", "model"), tolerant=("cycles", "flash_cycles"), rel_tol=1e-3),
]
