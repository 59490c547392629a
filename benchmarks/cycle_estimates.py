"""Estimated milliseconds of the four MLPerf Tiny models on the STM32F746 (or
another board with a [timing] model), beside the published real-board results.

    .venv/bin/python benchmarks/cycle_estimates.py [--board f746zg] [--models kws_dscnn ...]
        [--kernels tinygen|portable|auto|esp-nn] [--json out.json] [--calibration]

Builds each int8 model, runs one inference layer by layer on the board's
stand-in with QEMU's execution log (tinygen.cycles), and prices the executed
instruction mix with the board's timing model. Printed: exact instructions,
the naive "one instruction = one cycle" time, the model's estimated cycles and
ms, and MLPerf Tiny's published F746 latencies (../shared/notes/anchors.md:
Plumerai v1.1, Bosch HALE v1.1/1.2), with the difference stated. Those are other
inference engines' times: the difference mixes the model's error with the
difference between the engines, and no published figure exists for tinygen's
own kernels on a real board. A benchmark, not a test: every cycle and ms here
is an estimate. `--kernels auto` is the default build's choice (tinygen/cli/common.py:
auto on Cortex-M boards): it measures the kernels on the stand-in first (minutes).
The JSON holds per model the estimated cycles, the exact ("naive", one cycle per
instruction) count and the calibration error: null with the reason where the
board's model is uncalibrated (all of them today).

A fifth model, `tflm_person_detection`: TFLite Micro's person detection architecture
(MobileNetV1 0.25, 96x96x1, two outputs; tests/person_detect_model.py, seeded weights), the
model esp-tflite-micro publishes ESP32-C3 latencies for: with `--board esp32-c3` those are
printed beside it (benchmarks/calibration/published.json; esp-tflite-micro's C3 build is TFLM
+ ESP-NN's C3 C versions, which the stand-in's `--kernels esp-nn`, ESP-NN's portable C, does
not reproduce: a target, not a calibration point). Without --kernels the board's default build
(auto on Cortex-M boards, tinygen's kernels otherwise).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / "examples" / "mlperf-tiny"
sys.path.insert(0, str(ROOT / "tests"))

from person_detect_model import person_detect_model  # noqa: E402

PERSON = "tflm_person_detection"
# anchors.md, "Speed on real boards": MLPerf Tiny closed division, STM32F746 at 216 MHz, ms per inference
PUBLISHED_F746 = {
    "kws_dscnn": {"Plumerai": 17.75, "HALE": 18.42},
    "vww_mobilenet": {"Plumerai": 34.08, "HALE": 57.2},
    "ic_resnet8": {"Plumerai": 62.88, "HALE": 61.57},
    "ad_autoencoder": {"Plumerai": 1.71, "HALE": 1.42},
}

# anchors.md: ST X-CUBE-AI 9.0 on the STM32L4R5 (Cortex-M4 at 120 MHz), ms per inference: compared in
# cycles with the estimate for a Cortex-M4 board (another part, another flash, another engine)
PUBLISHED_L4R5_MS = {"kws_dscnn": 43.2, "vww_mobilenet": 88.9, "ic_resnet8": 165.0, "ad_autoencoder": 5.26}
L4R5_HZ = 120_000_000

# issue 72: the best CPU-only MLPerf Tiny results published (mlcommons/tiny_results v1.1-v1.3, cycles = clock x
# median latency), M cycles, per core of the board's timing model; the M55 set beside the M85's (TFLM + CMSIS-NN)
BEST_PUBLISHED_M_CYCLES = {
    "cortex-m7": {"kws_dscnn": 3.17, "vww_mobilenet": 6.67, "ic_resnet8": 11.44, "ad_autoencoder": 0.303},
    "cortex-m4": {"kws_dscnn": 5.18, "vww_mobilenet": 10.67, "ic_resnet8": 19.8, "ad_autoencoder": 0.486},
    "cortex-m33": {"kws_dscnn": 4.64, "vww_mobilenet": 9.48, "ic_resnet8": 16.69, "ad_autoencoder": 0.495},
    "cortex-m55": {"kws_dscnn": 1.66, "vww_mobilenet": 6.43, "ic_resnet8": 4.07, "ad_autoencoder": 0.255},
}
# issue 72's targets, M cycles (the M55's: at or below the M85's published)
TARGET_M_CYCLES = {
    "cortex-m7": {"kws_dscnn": 2.85, "vww_mobilenet": 6.0, "ic_resnet8": 10.3, "ad_autoencoder": 0.27},
    "cortex-m4": {"kws_dscnn": 4.66, "vww_mobilenet": 9.6, "ic_resnet8": 17.8, "ad_autoencoder": 0.44},
    "cortex-m33": {"kws_dscnn": 4.18, "vww_mobilenet": 8.5, "ic_resnet8": 15.0, "ad_autoencoder": 0.45},
    "cortex-m55": BEST_PUBLISHED_M_CYCLES["cortex-m55"],
}


CALIBRATION = Path(__file__).resolve().parent / "calibration" / "published.json"
# issue 72: the ESP32-C3 target for TFLM's person detection, M cycles (esp-tflite-micro + ESP-NN publishes 68)
TARGET_C3_PERSON_M_CYCLES = 34.0


def published_c3_points() -> list[dict]:
    """published.json's esp-tflite-micro person detection points on the ESP32-C3 (with and without ESP-NN)."""
    points = json.loads(CALIBRATION.read_text())["points"]
    return [p for p in points if p["mcu"] == "ESP32-C3" and p["model"] == "tflm_person_detection_int8"]


def model_path(name: str, work: Path) -> Path:
    """The model's .tflite: an MLPerf Tiny file, or the person detection architecture written to `work`."""
    if name != PERSON:
        return MODELS_DIR / f"{name}_int8.tflite"
    path = work / f"{PERSON}.tflite"
    if not path.exists():
        work.mkdir(parents=True, exist_ok=True)
        path.write_bytes(person_detect_model())
    return path


def calibration_points(core: str) -> dict[str, dict]:
    """benchmarks/calibration/published.json's usable points (CPU-only TFLM + CMSIS-NN, clock stated) of the core,
    by MLPerf model."""
    points = json.loads(CALIBRATION.read_text())["points"]
    return {p["model"].removeprefix("mlperf_"): p for p in points if p["core"] == core and p["usable_for_calibration"]}


def check_calibration(est: dict, name: str, board, work: Path) -> None:
    """The model's error on the TFLM + CMSIS-NN twin build (--kernels cmsis-nn --no-lower-peak --no-compact)
    against the published point of this core and model, if any. The model is not fitted to it."""
    point = calibration_points(board.raw["timing"]["model"]).get(name)
    if point is None:
        est["calibration_note"] = f"{est['calibration_note']}; no published TFLM + CMSIS-NN point for this core"
        return
    twin = estimate(name, board, work / "twin", "cmsis-nn")
    est["calibration_error"] = twin["total"]["cycles"] / point["cycles"] - 1
    est["calibration_point"] = {"id": point["id"], "published_cycles": point["cycles"],
                                "estimated_cycles": twin["total"]["cycles"], "memory": point["memory_setup"]}
    est["calibration_note"] = (f"{est['calibration_note']}; error of the unfitted model on the TFLM + CMSIS-NN build "
                               f"against {point['id']} (another part: its memory system differs from this board's)")


def estimate(name: str, board, work: Path, kernels: str) -> dict:
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.cycles import estimate_standin
    from tinygen.passes import CompileOptions

    path = model_path(name, work)
    source = load_source(path)
    if kernels in ("auto", "cmsis-nn", "esp-nn"):   # cmsis-nn: the TFLM + CMSIS-NN twin (check_calibration)
        from tinygen.fit.compile import CompileRequest, compile_model

        twin = kernels == "cmsis-nn"
        request = CompileRequest(str(path), kernels=kernels, compact=not twin, lower_peak=not twin)
        source, graph = compile_model(request, board, lambda *a, **k: None)
    else:
        graph = compile_source(source, options=CompileOptions(features=board.isa_features, kernels=kernels))
    result = build(source, graph, board, work / name)
    x = np.random.default_rng(0).integers(-128, 128, size=source.input_shape).astype(np.int8)
    t0 = time.monotonic()
    est = estimate_standin(board, result.out_dir, x.tobytes())
    est["wall_seconds"] = time.monotonic() - t0
    est["model_name"] = name
    est["kernels"] = kernels
    est["estimated_cycles"] = est["total"]["cycles"]
    est["naive_instructions"] = est["total"]["instructions"]
    # the memory system's share: code fetch misses, and (ESP32-C3) the weights' misses through the same cache
    est["fetch_cycles"] = sum(layer["fetch_cycles"] for layer in est["layers"])
    est["weight_read_cycles"] = sum(layer["weight_cycles"] for layer in est["layers"])
    est["calibration_error"] = None         # no calibration point fitted (tinygen.cycles.price.UNCALIBRATED)
    core = board.raw["timing"]["model"]
    est["best_published_m_cycles"] = BEST_PUBLISHED_M_CYCLES.get(core, {}).get(name)
    est["target_m_cycles"] = TARGET_M_CYCLES.get(core, {}).get(name)
    if core == "esp32-c3" and name == PERSON:
        est["target_m_cycles"] = TARGET_C3_PERSON_M_CYCLES
        est["published"] = [{"id": p["id"], "cycles": p["cycles"], "stack": p["software_stack"]}
                            for p in published_c3_points()]
    return est


def rows(results: list[dict], board) -> list[list[str]]:
    out = []
    for est in results:
        t = est["total"]
        naive = t["instructions"] / board.clock_hz * 1e3
        pub = PUBLISHED_F746.get(est["model_name"], {}) if board.name in ("nucleo-f746zg", "nucleo-f767zi") else {}
        diffs = ", ".join(f"{k} {v:g} ms ({(t['ms'] / v - 1) * 100:+.0f}%)" for k, v in pub.items())
        l4r5 = board.raw.get("timing", {}).get("model") == "cortex-m4" and est["model_name"] in PUBLISHED_L4R5_MS
        if not pub and l4r5:
            cycles = PUBLISHED_L4R5_MS[est["model_name"]] * 1e-3 * L4R5_HZ
            diffs = f"X-CUBE-AI on L4R5: {cycles / 1e6:.2f} M cycles ({(t['cycles'] / cycles - 1) * 100:+.0f}% in cycles)"
        core = board.raw["timing"]["model"]
        if est.get("published"):
            diffs = "; ".join(f"{'with' if 'with-esp-nn' in p['id'] else 'without'} ESP-NN {p['cycles'] / 1e6:g} M "
                              f"({(t['cycles'] / p['cycles'] - 1) * 100:+.0f}%)" for p in est["published"])
            diffs = f"esp-tflite-micro on C3: {diffs}, target {est['target_m_cycles']:g} M"
        if not diffs and core in ("cortex-m33", "cortex-m55") and est["model_name"] in BEST_PUBLISHED_M_CYCLES[core]:
            best = BEST_PUBLISHED_M_CYCLES[core][est["model_name"]]
            diffs = (f"best published {'M85' if core == 'cortex-m55' else 'M33'}: {best:g} M cycles "
                     f"({(t['cycles'] / (best * 1e6) - 1) * 100:+.0f}%), target {TARGET_M_CYCLES[core][est['model_name']]:g} M")
        out.append([est["model_name"], f"{t['instructions']:,}", f"{naive:.2f}", f"{t['cycles']:,.0f}",
                    f"{t['ms']:.2f}", diffs or "none published", f"{est['logging_seconds']:.1f} s"])
    return out


def main(argv=None) -> int:
    from tinygen.board import get_board
    from tinygen.fit.autotune import default_kernels
    from tinygen.report import table

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", default="f746zg")
    ap.add_argument("--models", nargs="+", default=list(PUBLISHED_F746), choices=[*PUBLISHED_F746, PERSON])
    ap.add_argument("--kernels", choices=("tinygen", "portable", "auto", "cmsis-nn", "esp-nn"),
                    help="default: the board's default build (auto on Cortex-M boards, tinygen otherwise)")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--calibration", action="store_true",
                    help="also build the TFLM + CMSIS-NN twin and state the model's error against "
                         "benchmarks/calibration/published.json's points for the board's core")
    args = ap.parse_args(argv)
    board = get_board(args.board)
    kernels = args.kernels or default_kernels(board)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            print(f"building {name} for {board.name} and estimating on its stand-in ...", file=sys.stderr, flush=True)
            results.append(estimate(name, board, Path(tmp), kernels))
            if args.calibration:
                check_calibration(results[-1], name, board, Path(tmp))
    print(f"ESTIMATES on {board.name} at {board.clock_hz / 1e6:g} MHz ({results[0]['model']}); published "
          "figures are other engines' measured latencies")
    print(table(["model", "instructions (exact)", "ms if 1 instr = 1 cycle", "est. cycles", "est. ms",
                 "published (est. vs published)", "logged run"], rows(results, board), "lrrrrll"))
    if not results[0]["calibrated"]:
        print(f"model {results[0]['calibration_note']}")
    for est in results:
        if est["weight_read_cycles"]:
            print(f"{est['model_name']}: of the estimate, {est['fetch_cycles'] / 1e6:.2f} M cycles code fetch misses, "
                  f"{est['weight_read_cycles'] / 1e6:.2f} M weight read misses")
    for est in results:
        if est["calibration_error"] is not None:
            point = est["calibration_point"]
            print(f"{est['model_name']}: TFLM + CMSIS-NN build est. {point['estimated_cycles'] / 1e6:.2f} M cycles, "
                  f"{point['id']} {point['published_cycles'] / 1e6:.2f} M: error {est['calibration_error']:+.0%}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
