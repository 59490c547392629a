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
instruction) count and the calibration error of the board's core (fitted and
held-out, per published point, from calibration/fitted.json; null with the
reason where the core has no point), the build's seconds (`build_seconds`: compiling, with auto's
measuring where the cache in $TINYGEN_CACHE_DIR lacks the counts; wall time, so a loaded machine
stretches it), auto's metric (`kernels_metric`: "cycles" on a board with a timing model) and
the firmware variants it measured, where each layer with a choice was priced with its constants
(`kernels_priced_with`: flash or ram, as --weights-in puts them) and auto's note (`kernels_note`).
`--calibration` also builds the TFLM +
CMSIS-NN twin of each model with a published point and records its unfitted
components in calibration/fitted.json; calibration/fit.py re-fits from them.

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
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tinygen.codegen.weights_ram import placement
from tinygen.cycles.fit import MIN_POINTS, components

sys.path.insert(0, str(Path(__file__).resolve().parent / "calibration"))
from old_twins import (F746_PLUMERAI, H743_VWW1, L4R5_POINTS, check_bit_exact, old_trees, old_twin,  # noqa: E402
                       prepare_twin)

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
FITTED = CALIBRATION.parent / "fitted.json"
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


# published points whose software the twin build does not reproduce (tinygen.cycles.fit: fitted, never calibrating)
L4R5_2020 = ("TFLM v2.3.1 with the CMSIS-NN of 2020 (CMSIS_5 1150e71e): the twin built on today's CMSIS-NN does not "
             "reproduce its kernels; --cmsis-nn-2020 PATH builds it on that tree (calibration/old_cmsis_nn.py)")
STACK_MISMATCH = {point: L4R5_2020 for point in L4R5_POINTS}
STACK_MISMATCH["eab-2026-02-frdm-mcxn947-person-detect"] = (
    "the twin build executes 22.8 M instructions, about twice the published 11.5 M cycles, which a single-issue "
    "Cortex-M33 cannot do: the twin does not reproduce that build (or the measurement is off: the document says it "
    "corrected this figure from 26.2 M)")
STACK_MISMATCH["tinyengine-readme-2022-12-h743-vww1-tflm-cmsis-nn"] = (
    "TFLM 713b6ed with CMSIS-NN 011bf32 (2022-09-30), inferred from the README's columns: the DSP kernels this "
    "MobileNet-like model spends its time in changed after it (CMSIS-NN's history: 'More SIMD instructions for 1x1 "
    "conv', 'Optimize 3x3 DW conv for DSP extension', 'Non unity stride 1x1', '1x1_conv optimization "
    "improvements'), so the twin on today's CMSIS-NN does not reproduce the measured kernels; --cmsis-nn-2022 PATH "
    "builds it on 011bf32 (calibration/old_cmsis_nn.py)")
STACK_MISMATCH[F746_PLUMERAI] = ("TFLM 2.5 with the CMSIS-NN of CMSIS_5 0d7e4fa7 (2021-02-24): --cmsis-nn-2021 "
                                 "PATH builds the twin on that tree (calibration/old_cmsis_nn.py)")


def point_timing(point: dict, board) -> dict:
    """The [timing] a published point is priced with: the stand-in's, with the point's own part's memory system
    (published.json's `timing`: flash wait states, caches, SRAM read waits, each cited in `timing_source`) over it;
    the instruction stream still comes from the stand-in of the same core."""
    own = point.get("timing") or {}
    if own.get("model", board.raw["timing"]["model"]) != board.raw["timing"]["model"]:
        raise SystemExit(f"{point['id']}: its timing names the {own['model']} model, {board.name}'s core is "
                         f"{board.raw['timing']['model']}")
    return {**board.raw["timing"], **own}


def record_twin(point: dict, board, twin: dict, model_file: Path | None = None, stack: str | None = None) -> None:
    """Keep the twin build's unfitted components for `point` in fitted.json (benchmarks/calibration/fit.py
    re-fits from them in seconds)."""
    doc = json.loads(FITTED.read_text()) if FITTED.exists() else {"points": []}
    doc["points"] = [p for p in doc["points"] if p["id"] != point["id"]]
    doc["points"].append({"id": point["id"], "core": point["core"], "model": point["model"],
                          "published_cycles": point["cycles"], "standin_board": board.name,
                          "twin_matches_stack": stack is not None or point["id"] not in STACK_MISMATCH,
                          "components": components(twin["layers"])})
    if stack is not None:               # built on the CMSIS-NN the point ran (--cmsis-nn-2020)
        doc["points"][-1]["twin_stack"] = stack
    if point.get("timing"):             # priced on the point's own part's memory system, not the stand-in's
        doc["points"][-1]["part_timing"] = point["timing"]
    if point["id"] in STACK_MISMATCH and stack is None:
        doc["points"][-1]["stack_note"] = STACK_MISMATCH[point["id"]]
    if model_file is not None:          # a model that is not in the repository: say which file was built
        doc["points"][-1]["model_sha256"] = hashlib.sha256(model_file.read_bytes()).hexdigest()
    doc["points"].sort(key=lambda p: (p["core"], p["id"]))
    FITTED.write_text(json.dumps(doc, indent=1) + "\n")


def check_calibration(est: dict, name: str, board, work: Path, trees: dict[str, Path] | None = None) -> None:
    """Build the TFLM + CMSIS-NN twin (--kernels cmsis-nn --no-lower-peak --no-compact) of the published point of
    this core and model, if any: its error under the model as fitted, its components recorded in fitted.json.
    `trees`: old_cmsis_nn's trees by stack, on which the points that ran them are built (checked bit-exact first)."""
    point = calibration_points(board.raw["timing"]["model"]).get(name)
    if point is None:
        return
    old = old_twin(point, board, trees or {})
    twin = estimate(name, old.board if old else board, work / "twin", "cmsis-nn", timing=point_timing(point, board),
                    cmsis_nn=old and old.tree, check=old is not None)
    record_twin(point, board, twin, stack=old and old.stack)
    est["calibration_point"] = {"id": point["id"], "published_cycles": point["cycles"],
                                "estimated_cycles": twin["total"]["cycles"], "memory": point["memory_setup"],
                                "error": twin["total"]["cycles"] / point["cycles"] - 1}


def calibrate_file(point_id: str, model_file: Path, board, work: Path, trees: dict[str, Path] | None = None) -> dict:
    """--point: price the twin of a published point whose model is not one of the four MLPerf Tiny models (the
    file given must be the point's model: its sha256 is recorded) and record it in fitted.json."""
    points = {p["id"]: p for p in json.loads(CALIBRATION.read_text())["points"]}
    point = points.get(point_id)
    if point is None or not point["usable_for_calibration"] or point["core"] != board.raw["timing"]["model"]:
        raise SystemExit(f"--point {point_id}: not a usable point of {board.name}'s core in {CALIBRATION.name}")
    old = old_twin(point, board, trees or {})
    twin = estimate(point["model"], old.board if old else board, work / "point", "cmsis-nn", model_file,
                    timing=point_timing(point, board), cmsis_nn=old and old.tree, check=old is not None)
    record_twin(point, board, twin, model_file, old and old.stack)
    return {"id": point_id, "published_cycles": point["cycles"], "estimated_cycles": twin["total"]["cycles"],
            "error": twin["total"]["cycles"] / point["cycles"] - 1}


def core_calibration(core: str) -> tuple[dict | None, str | None]:
    """fitted.json's fit of the core (per point: fitted and held-out error; overall: the largest) and the note
    that goes beside every figure of the core (None: published.json knows nothing of the core)."""
    doc = json.loads(FITTED.read_text()) if FITTED.exists() else {}
    fit = doc.get("fit", {}).get(core)
    fitted = {p["id"] for p in doc.get("points", [])}
    published = json.loads(CALIBRATION.read_text())
    usable = [p for p in published["points"] if p["core"] == core and p["usable_for_calibration"]]
    unbuilt = [p["id"] for p in usable
               if p["model"].removeprefix("mlperf_") not in PUBLISHED_F746 and p["id"] not in fitted]
    unpriced = [p["id"] for p in usable if p["id"] not in fitted and p["id"] not in unbuilt]
    aside = (f"; usable published point(s) not priced, their model is not one of the four MLPerf Tiny models this "
             f"script builds (--point prices one from its file): {', '.join(unbuilt)}" if unbuilt else "")
    aside += f"; not yet priced (run --calibration): {', '.join(unpriced)}" if unpriced else ""
    if not fit or not fit["points"]:
        searched = (published["cores_without_usable_point"].get(core)
                    or published.get("calibration_search", {}).get(core, ""))
        if not usable and not searched:     # a core published.json says nothing of (esp32-c3): the model's own note
            return None, None
        return None, f"uncalibrated: no published TFLM + CMSIS-NN point of this core was fitted{aside}. {searched}".strip()
    mine = [p for p in doc["points"] if p["core"] == core]
    mismatched = [p["id"] for p in mine if not p.get("twin_matches_stack", True)]
    # "points": the error of the model as it prices (fitted where calibrated, else unfitted); the fit's beside it
    applied = fit["fit_error"] if fit["calibrated"] else {k: fit["unfitted_error"][k] for k in fit["fit_error"]}
    error = {"points": applied, "overall_max_abs": max(abs(v) for v in applied.values()),
             "fit": {"points": fit["fit_error"], "held_out": fit["held_out_error"], "excluded": fit["excluded_error"],
                     "params": fit["params"], "applied": fit["calibrated"]}}
    held = max((abs(v) for v in (fit["held_out_error"] or {}).values()), default=None)
    held = "" if held is None else f", held-out (leave-one-out) up to {held:.0%}"
    if fit["calibrated"]:
        note = (f"calibrated: fitted to {fit['points']} published TFLM + CMSIS-NN point(s) "
                f"(benchmarks/calibration/fitted.json), largest error {fit['max_abs_fit_error']:.0%}{held}")
    else:
        why = ("the twin build does not reproduce these points' software (fitted.json's stack_note)"
               if len(mismatched) == len(mine) else f"fewer than {MIN_POINTS} points" if fit["points"] < MIN_POINTS
               else f"its largest error stays {fit['max_abs_fit_error']:.0%} > 15%")
        note = (f"uncalibrated: off by up to {error['overall_max_abs']:.0%} on {fit['points']} published TFLM + "
                f"CMSIS-NN point(s) (benchmarks/calibration/fitted.json); a fit is not applied: {why}")
    if fit["points"] < 2:
        note += "; fewer than two points: the fit is not checked by any other point"
    if mismatched and len(mismatched) < len(mine):
        note += f"; left out, the twin does not reproduce their software: {', '.join(mismatched)}"
    return error, note + aside


def estimate(name: str, board, work: Path, kernels: str, path: Path | None = None, weights_in: str = "auto",
             timing: dict | None = None, cmsis_nn: str | None = None, check: bool = False) -> dict:
    """The estimate of MLPerf Tiny model `name` (or of the .tflite at `path`) built with `kernels`, its
    constants placed by `weights_in` (the twin: always in flash, as TFLM keeps them), priced with `timing`
    (point_timing: a published point's own part) or the board's [timing]. `cmsis_nn`: the CMSIS-NN tree
    (default $CMSIS_NN_PATH); `check`: first run one input on the stand-in against the numpy reference."""
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.cycles import estimate_standin
    from tinygen.passes import CompileOptions

    path = path or model_path(name, work)
    started = time.monotonic()
    source = load_source(path)
    if kernels in ("auto", "cmsis-nn", "esp-nn"):   # cmsis-nn: the TFLM + CMSIS-NN twin (check_calibration)
        from tinygen.fit.compile import CompileRequest, compile_model

        twin = kernels == "cmsis-nn"
        request = CompileRequest(str(path), kernels=kernels, compact=not twin, cmsis_nn=cmsis_nn,
                                 lower_peak=not twin, weights_in="flash" if twin else weights_in)
        source, graph = compile_model(request, board, lambda *a, **k: None)
        if twin:
            prepare_twin(graph, cmsis_nn)       # an old tree's table of TFLM v2.3.1's per-Eval work, if its stack has one
    else:
        from tinygen.fit.weights_ram import place_weights

        graph = place_weights(compile_source(source, options=CompileOptions(features=board.isa_features,
                                                                            kernels=kernels)), board, weights_in)
    build_seconds = time.monotonic() - started        # compiling, with auto's measuring (cached counts: less)
    result = build(source, graph, board, work / name)
    x = np.random.default_rng(0).integers(-128, 128, size=source.input_shape).astype(np.int8)
    if check:
        check_bit_exact(board, graph, result.out_dir, x)
    t0 = time.monotonic()
    est = estimate_standin(board, result.out_dir, x.tobytes(), timing)
    est["wall_seconds"] = time.monotonic() - t0
    est["build_seconds"] = build_seconds
    report = graph.meta.get("kernels") or {}
    est["kernels_metric"] = report.get("metric")
    est["kernels_measured_variants"] = report.get("measured_variants")
    # --kernels auto by cycles: where each layer with a choice had its constants when priced (flash or ram,
    # tinygen/fit/placed_choice.py), and the choice's note (a choice made again with the constants in RAM)
    est["kernels_priced_with"] = {layer["name"]: layer.get("priced_with") for layer in report.get("layers", [])
                                  if layer.get("candidates")}
    est["kernels_note"] = report.get("note")
    est["model_name"] = name
    est["kernels"] = kernels
    est["estimated_cycles"] = est["total"]["cycles"]
    est["naive_instructions"] = est["total"]["instructions"]
    # the memory system's share: code fetch misses and the weights' read misses
    est["fetch_cycles"] = sum(layer["fetch_cycles"] for layer in est["layers"])
    est["weight_read_cycles"] = sum(layer["weight_read_cycles"] for layer in est["layers"])
    moved = placement(graph)
    # --weights-in: the constants in RAM and the flash read cycles that saves (the same instructions run
    # either way, so estimated_cycles + weights_in_ram_cycles_saved is the estimate with them in flash:
    # the saving as the estimate counts it, scaled by the core's fitted memory_scale)
    est["weights_in_ram_bytes"] = moved.nbytes if moved else 0
    est["weights_in_ram_layers"] = sorted(moved.layers) if moved else []
    est["weights_in_ram_cycles_saved"] = moved.saved_in_estimate if moved else 0.0
    core = board.raw["timing"]["model"]
    est["calibration_error"], note = core_calibration(core)
    est["calibration_note"] = note or est["calibration_note"]
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
    ap.add_argument("--models", nargs="*", default=list(PUBLISHED_F746), choices=[*PUBLISHED_F746, PERSON],
                    help="the models to estimate (none: only --point)")
    ap.add_argument("--kernels", choices=("tinygen", "portable", "auto", "cmsis-nn", "esp-nn"),
                    help="default: the board's default build (auto on Cortex-M boards, tinygen otherwise)")
    ap.add_argument("--weights-in", default="auto", choices=("auto", "flash", "ram"),
                    help="where the build's constants go (tinygen build --weights-in; default auto, a firmware "
                         "build's default)")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--calibration", action="store_true",
                    help="also build the TFLM + CMSIS-NN twin and state the model's error against "
                         "benchmarks/calibration/published.json's points for the board's core")
    ap.add_argument("--cmsis-nn-2020", metavar="PATH",
                    help="with --calibration: build the twins of the NUCLEO-L4R5ZI points on the CMSIS-NN TFLM v2.3.1 "
                         "ran, a CMSIS_5 tree of commit 1150e71e at PATH (calibration/old_cmsis_nn.py)")
    ap.add_argument("--cmsis-nn-2021", metavar="PATH",
                    help=f"with --point {F746_PLUMERAI}: build its twin on TFLM v2.5's CMSIS-NN, a CMSIS_5 tree of "
                         "commit 0d7e4fa7 at PATH (calibration/old_cmsis_nn.py)")
    ap.add_argument("--cmsis-nn-2022", metavar="PATH",
                    help=f"with --point {H743_VWW1}: build its twin on the CMSIS-NN it ran, a CMSIS-NN tree of "
                         "commit 011bf32 at PATH (calibration/old_cmsis_nn.py)")
    ap.add_argument("--point", nargs=2, action="append", default=[], metavar=("ID", "TFLITE"),
                    help="also price the TFLM + CMSIS-NN twin of published.json's point ID, whose model (not one of "
                         "the four) is the file TFLITE, and record it in calibration/fitted.json")
    args = ap.parse_args(argv)
    board = get_board(args.board)
    kernels = args.kernels or default_kernels(board)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        trees = old_trees({"2020": args.cmsis_nn_2020, "2021": args.cmsis_nn_2021, "2022": args.cmsis_nn_2022},
                          Path(tmp))
        for name in args.models:
            print(f"building {name} for {board.name} and estimating on its stand-in ...", file=sys.stderr, flush=True)
            results.append(estimate(name, board, Path(tmp), kernels, weights_in=args.weights_in))
            if args.calibration:
                check_calibration(results[-1], name, board, Path(tmp), trees)
        for point_id, model_file in args.point:
            print(f"building {point_id}'s model {model_file} (TFLM + CMSIS-NN twin) ...", file=sys.stderr, flush=True)
            point = calibrate_file(point_id, Path(model_file), board, Path(tmp), trees)
            print(f"{point_id}: twin est. {point['estimated_cycles'] / 1e6:.3f} M cycles, published "
                  f"{point['published_cycles'] / 1e6:.3f} M: error {point['error']:+.1%}")
    if results:
        print(f"ESTIMATES on {board.name} at {board.clock_hz / 1e6:g} MHz ({results[0]['model']}); published "
              "figures are other engines' measured latencies")
        print(table(["model", "instructions (exact)", "ms if 1 instr = 1 cycle", "est. cycles", "est. ms",
                     "published (est. vs published)", "logged run"], rows(results, board), "lrrrrll"))
        for est in results:
            if est["weights_in_ram_bytes"]:
                print(f"{est['model_name']}: constants of {len(est['weights_in_ram_layers'])} layers in RAM "
                      f"(--weights-in {args.weights_in}, {est['weights_in_ram_bytes']:,} B): "
                      f"{est['weights_in_ram_cycles_saved']:,.0f} flash read cycles saved, "
                      f"{est['estimated_cycles'] + est['weights_in_ram_cycles_saved']:,.0f} with them in flash")
        print(f"model {'CALIBRATED' if results[0]['calibrated'] else 'not calibrated'}: "
              f"{results[0]['calibration_note']}")
    for est in results:
        if est["weight_read_cycles"]:
            print(f"{est['model_name']}: of the estimate, {est['fetch_cycles'] / 1e6:.2f} M cycles code fetch misses, "
                  f"{est['weight_read_cycles'] / 1e6:.2f} M weight read misses")
    for point in (est["calibration_point"] for est in results if "calibration_point" in est):
        print(f"TFLM + CMSIS-NN twin est. {point['estimated_cycles'] / 1e6:.2f} M cycles, {point['id']} "
              f"{point['published_cycles'] / 1e6:.2f} M: error {point['error']:+.0%} (recorded in {FITTED.name}; "
              "re-fit with benchmarks/calibration/fit.py)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
