"""The figures README.md and docs/ show: what measures each, how it is rendered (benchmarks/figures.py).

Each entry names the benchmark that measures it; `measure` runs it into a temporary folder
and returns its JSON; `render` turns that JSON into the Markdown between the figure's markers.
A figure's quick measurement (check --quick, CI's run) covers every table with fewer rows.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import figure_capabilities
import figure_compression
import figure_cores
import figure_dynamic
import figure_onnx
import figure_perf
import figure_recurrent
import readme_table
from figure_engine import ROOT, Figure, python
from tinygen.report.hil import render as render_hil
from tinygen.report import human_bytes

SHARED = ROOT.parent / "shared" / "third_party"     # the project's unmodified third-party trees, beside the clone


def tree(env: str, name: str) -> str | None:
    """A third-party source tree: $ENV, else shared/third_party/NAME beside the clone, else None."""
    if os.environ.get(env):
        return os.environ[env]
    return str(SHARED / name) if (SHARED / name).is_dir() else None


# ---------------------------------------------------------------------------------------- make demo

def measure_digits(work: Path, quick: bool) -> dict:
    out = work / "demo"
    text = python("examples/digits_demo.py", "--out", out)
    report = json.loads((out / "report.json").read_text())
    float_line = next(line for line in text.splitlines() if line.startswith("float PyTorch accuracy"))
    report["float_accuracy"] = float(float_line.split()[3].rstrip("%,")) / 100
    for key in ("layers_plot", "layers", "layers_total"):      # not in the block (render shows the summary)
        report.pop(key, None)
    return report


def render_digits(r: dict) -> str:
    head = "\n".join("    " + line for line in render_hil({**r, "layers": []}).splitlines())
    return (f"{head}\n\nFloat PyTorch accuracy on the same test set: {r['float_accuracy']:.2%}; "
            f"{r['bit_exact']} of {r['samples']} outputs bit-exact with the reference.")


def measure_vww(work: Path, quick: bool) -> dict:
    python("examples/camera/vww_demo.py", "--out", work / "vww")
    summary = json.loads((work / "vww" / "report.json").read_text())
    keep = ("frame", "label_name", "answer_name", "scores", "preprocess", "preprocess_readings", "network")
    return {"per_frame": [{k: r[k] for k in keep} for r in summary["frames"]["per_frame"]],
            "bit_exact": summary.get("bit_exact"), "samples": summary.get("samples")}


def render_vww(r: dict) -> str:
    lines = ["    per photo: the answer, the person score, instructions (preprocessing + network):"]
    for f in r["per_frame"]:
        mark = "" if f["label_name"] == f["answer_name"] else f"   <- labelled {f['label_name']}"
        lines.append(f"      {f['frame']:<24} {f['answer_name']:<10} person {f['scores'][1]:.3f}   "
                     f"{f['preprocess']:>10,} + {f['network']:>11,}{mark}")
    right = sum(f["label_name"] == f["answer_name"] for f in r["per_frame"])
    return "\n".join(lines) + f"\n\n{right} of {len(r['per_frame'])} photos answered as labelled."


# ---------------------------------------------------------------------------------------- the suite's time

def measure_suite(work: Path, quick: bool) -> list:
    """make test on a fresh clone, idle and beside busy processes ($SUITE_TIME_LOADS, default 0,8)."""
    runs = []
    for load in map(int, os.environ.get("SUITE_TIME_LOADS", "0,8").split(",")):
        python("benchmarks/suite_time.py", "--load", load, "--json", work / f"suite-{load}.json",
               "--log", work / f"suite-{load}.log")
        runs.append(json.loads((work / f"suite-{load}.json").read_text()))
    return runs


def render_suite(runs: list) -> str:
    lines = ["| `make test` on a fresh clone | tests | wall | CPU (user + sys) | cores | busy processes beside "
             "| load average | commit | date |", "|---|---|---:|---:|---:|---:|---|---|---|"]
    for r in runs:
        errors = f", {r['error']} error{'s' if r['error'] > 1 else ''}" if r.get("error") else ""
        lines.append(f"| exit {r['exit']} | {r['passed']:,} passed, {r['skipped']} skipped, {r['failed']} failed{errors} "
                     f"| {r['wall_seconds'] / 60:.1f} min | {r['cpu_seconds'] / 60:.1f} min | {r['cores']} "
                     f"| {r['extra_load']} | {r['load_start']} -> {r['load_end']} | {r['commit']} | {r['date']} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- boards

def measure_boards(work: Path, quick: bool) -> list:
    return json.loads(python("-m", "tinygen", "boards", "--json"))


def render_boards(boards: list) -> str:
    lines = ["| board (aliases) | core | clock | flash | RAM | stand-in under `--emulate` |", "|---|---|---:|---:|---:|---|"]
    for b in boards:
        aliases = f" ({', '.join(f'`{a}`' for a in b['aliases'])})" if b["aliases"] else ""
        clock = f"{b['clock_hz'] / 1e6:.0f} MHz" if b["clock_hz"] else "-"
        size = lambda n: human_bytes(n) if n else "-"       # noqa: E731
        stand_in = f"QEMU `{b['stand_in']}`" if b["stand_in"] else "none (project and image only)"
        lines.append(f"| `{b['board']}`{aliases} | {b['core']} | {clock} | {size(b['flash'])} | {size(b['ram'])} "
                     f"| {stand_in} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- MLPerf Tiny

def measure_mlperf(board: str, kernels: tuple[str, ...], quick_models: tuple[str, ...]):
    def measure(work: Path, quick: bool) -> list:
        args = ["benchmarks/mlperf_standin.py", "--board", board, "--kernels", *kernels, "--json", work / "out.json"]
        if quick:
            args += ["--models", *quick_models]
        for flag, env, name in (("--cmsis-nn", "CMSIS_NN_PATH", "CMSIS-NN"), ("--esp-nn", "ESP_NN_PATH", "esp-nn")):
            path = tree(env, name)
            if path and flag.strip("-").replace("-", "") in "".join(kernels).replace("-", ""):
                args += [flag, path]
        python(*args)
        rows = json.loads((work / "out.json").read_text())
        for r in rows:
            r.pop("layers", None)
            for k in ("portable_instructions", "portable_arena_flash"):
                r.pop(k, None)
        return rows
    return measure


def render_mlperf_m7(rows: list) -> str:
    return readme_table.render([{**r, "commit": r.get("commit", "").removesuffix("-dirty")} for r in rows])


SHORT = readme_table.SHORT


def render_mlperf_rv32(rows: list) -> str:
    lines = ["| model | `--kernels` | instructions (per MAC) | TFLM reference kernels (per MAC) | vs TFLM "
             "| arena | flash | == TFLM |", "|---|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        ref = (r.get("tflm_riscv") or {}).get("reference")
        macs = (r.get("tflm_riscv") or {}).get("macs") or r["macs"]
        anchor = f"{ref:,} ({ref / macs:.2f}) | {ref / r['instructions']:.2f}x" if ref else "- | -"
        equal = {None: "n/a", True: "yes", False: "**no**"}[r.get("equals_tflm")]
        lines.append(f"| {SHORT.get(r['model'], r['model'])} | {r['kernels']} | {r['instructions']:,} "
                     f"({r['instructions_per_mac']:.2f}) | {anchor} | {r['arena']:,} B | {r['flash']:,} B | {equal} |")
    return "\n".join(lines)


MLPERF_VOLATILE = ("commit", "seconds", "build_seconds", "wall", "cmsis_nn_version", "esp_nn_version")

FIGURES = [
    Figure("demo-digits", "make demo: the digits CNN on the f746zg stand-in", measure_digits, render_digits,
           minutes=1.5, volatile=("ms", "seconds"), counts=("mean", "min", "max", "count", "layers_total")),
    Figure("demo-vww", "make demo-vww: photographs through the camera front end on the f746zg stand-in",
           measure_vww, render_vww, minutes=5, counts=("preprocess", "network"), tolerant=("scores",)),
    Figure("suite-time", "make test on a fresh clone, idle and under load (benchmarks/suite_time.py)",
           measure_suite, render_suite, minutes=75, recheck=False),
    Figure("boards", "the boards tinygen builds for (tinygen boards --json)", measure_boards, render_boards,
           minutes=0.1, rows=("board",)),
    Figure("mlperf-f746zg", "the MLPerf Tiny models on the f746zg stand-in (benchmarks/mlperf_standin.py)",
           measure_mlperf("f746zg", ("tinygen", "cmsis-nn", "auto"), ("ad_autoencoder", "kws_dscnn")),
           render_mlperf_m7, minutes=12, quick_minutes=3, volatile=MLPERF_VOLATILE, rows=("model", "kernels")),
    Figure("mlperf-esp32c3", "the MLPerf Tiny models on the ESP32-C3 stand-in (mlperf_standin.py --board esp32-c3)",
           measure_mlperf("esp32-c3", ("tinygen", "esp-nn", "auto"), ("ad_autoencoder",)),
           render_mlperf_rv32, minutes=12, quick_minutes=2, volatile=MLPERF_VOLATILE, rows=("model", "kernels")),
]

FIGURES += figure_perf.FIGURES + figure_dynamic.FIGURES + figure_capabilities.FIGURES


# ---------------------------------------------------------------------------------------- the newest cores

CORES = {"stm32n6570-dk": "Cortex-M55", "b-u585i-iot02a": "Cortex-M33", "nucleo-f446re": "Cortex-M4"}


def measure_new_cores(work: Path, quick: bool) -> list:
    """benchmarks/mlperf_new_cores.py: the M55 (tinygen, cmsis-nn, auto) and the M33 beside the M4
    (quick: AD on both)."""
    args = ["benchmarks/mlperf_new_cores.py", "--json", work / "cores.json"]
    path = tree("CMSIS_NN_PATH", "CMSIS-NN")
    args += ["--cmsis-nn", path] if path else []
    python(*args, *(("--models", "ad_autoencoder") if quick else ()))
    return json.loads((work / "cores.json").read_text())


def render_new_cores(rows: list) -> str:
    lines = ["| board (core, stand-in) | model | `--kernels` | instructions (per MAC) | arena | flash | == TFLM "
             "| target |", "|---|---|---|---:|---:|---:|---|---|"]
    verdict = {True: "met", False: "**not met**"}
    for r in rows:
        t = r.get("targets") or {}
        if "per_mac" in t:
            speed = f"{t['speedup']:.2f}x fewer than cmsis-nn (>= 1.5x)" if t.get("speedup") else "no anchor"
            goal = f"<= {t['per_mac']:.2f} per MAC, {speed}: {verdict[bool(t['per_mac_met'] and t.get('speedup_met'))]}"
        elif "vs_m4" in t:
            goal = f"{t['vs_m4']:.3f}x the Cortex-M4's (within 5%): {verdict[t['vs_m4_met']]}"
        elif r["kernels"] == "cmsis-nn" and r["board"] == "stm32n6570-dk":
            goal = "the anchor (TFLM + CMSIS-NN)"
        else:
            goal = "-"
        equal = {None: "n/a", True: "yes", False: "**no**"}[r.get("equals_tflm")]
        board = f"`{r['board']}` ({CORES.get(r['board'], '?')}, `{r['machine']}`)"
        lines.append(f"| {board} | {SHORT.get(r['model'], r['model'])} | {r['kernels']} "
                     f"| {r['instructions']:,} ({r['instructions_per_mac']:.2f}) | {r['arena']:,} B "
                     f"| {r['flash']:,} B | {equal} | {goal} |")
    return "\n".join(lines)


FIGURES.append(Figure("mlperf-new-cores", "the MLPerf Tiny models on the Cortex-M55 and M33 stand-ins "
                      "(benchmarks/mlperf_new_cores.py)", measure_new_cores, render_new_cores, minutes=25,
                      quick_minutes=3, volatile=MLPERF_VOLATILE, rows=("board", "model", "kernels"),
                      tolerant=("per_mac", "speedup", "ratio", "vs_m4")))

# -- ONNX (docs/onnx.md) --
FIGURES += figure_onnx.FIGURES
# -- recurrent models (docs/models.md) --
FIGURES += figure_recurrent.FIGURES
# -- compressed weights (docs/performance.md, docs/memory.md) --
FIGURES += figure_compression.FIGURES
FIGURES += figure_cores.FIGURES


# ---------------------------------------------------------------------------------------- what each figure depends on

# Beyond the code, per figure: the host CPU (figure_env.CPU: torch's, onnxruntime's and numpy's float
# kernels differ by vector width) and the tools whose versions move its values (code sizes and
# instruction counts: the cross compilers; the stand-ins: QEMU; the speech corpus: espeak-ng, sox).
# A figure named with none is exact on any x86-64 machine with the pinned Python packages.
ARM = ("arm-none-eabi-gcc", "qemu-system-arm")
RISCV = ("riscv64-unknown-elf-gcc", "qemu-system-riscv32")
SPEECH = ("espeak-ng", "sox")
STANDIN = "instructions and flash bytes come from the firmware arm-none-eabi-gcc builds, counted on QEMU"
CALIBRATED = "int8 scales come from a float calibration run by torch (its last bits may move a scale)"
DEPENDS: dict[str, tuple[tuple[str, ...], str]] = {
    "demo-digits": (("cpu", *ARM), f"the weights ship (examples/digits_demo.npz), no training; the float accuracy "
                    f"and the calibration run torch (same under ATEN_CPU_CAPABILITY=avx2 and =default); {STANDIN}"),
    "demo-vww": (ARM, f"an int8 .tflite and integer preprocessing on the device; {STANDIN}"),
    "suite-time": (("cpu",), "wall times of one machine: shown with their date, never re-measured"),
    "boards": ((), "the board files"),
    "mlperf-f746zg": (ARM, f"int8 .tflite models; {STANDIN}"),
    "mlperf-esp32c3": (RISCV, "int8 .tflite models; instructions and bytes from riscv64-unknown-elf-gcc's "
                       "firmware, counted on QEMU"),
    "depthwise-shapes": (("cpu", *ARM), f"seeded torch layers; {CALIBRATED}; {STANDIN}"),
    "micro-speech": (ARM, f"an int8 model built from seeded numpy weights; {STANDIN}"),
    "sww-standin": (ARM, f"an int8 model of the network's shape; {STANDIN}"),
    "operators": ((), "the frontends' tables"),
    "flash-prediction": (("arm-none-eabi-gcc",), "bytes of flash from the images arm-none-eabi-gcc links"),
    "zoo": (("cpu", "arm-none-eabi-gcc"), f"seeded torch models; {CALIBRATED}; the int8 errors are against torch's "
            "float output, compared within 5% relative (ShuffleNetV2's PyTorch PTQ error: 0.0458 on AVX-512, "
            "0.0443 with torch's AVX2 kernels); the PyTorch PTQ column is PyTorch's reference quantized model "
            "(quantize / dequantize around float ops), not the x86 engine's kernels, which saturate without "
            "AVX-512 VNNI (0.046 -> 0.260 on QEMU's Haswell); flash bytes from arm-none-eabi-gcc"),
    "lowbit-digits": (("cpu", *ARM), f"the weights ship (examples/lowbit/*.pt); the float accuracy runs torch; "
                      f"{STANDIN}"),
    "switchable-digits": (("cpu", *ARM), f"the weights ship (examples/switchable/sp_digits.pt); {STANDIN}"),
    "gating-masked": (("cpu", *ARM), f"seeded torch layers; {CALIBRATED}; {STANDIN}"),
    "bands-standin": (("cpu", *ARM), f"seeded torch models; {CALIBRATED}; {STANDIN}"),
    "mobilenetv2-f446re": (("cpu", "arm-none-eabi-gcc"), f"a seeded torch model; {CALIBRATED}; planned and sized "
                           "with arm-none-eabi-gcc, not run"),
    "camera-preprocess": (ARM, f"integer preprocessing and an int8 .tflite network; {STANDIN}"),
    "audio-frontend": (ARM, f"the audio front end's firmware; {STANDIN}"),
    "audio-stages": (ARM, f"the float MFCC stages as the device computes them; {STANDIN}"),
    "audio-stages-q31": (ARM, f"the fixed-point MFCC stages as the device computes them; {STANDIN}"),
    "kws-models": (("cpu", *ARM, *SPEECH), "the weights ship (examples/kws/*.pt); the test clips are synthesized "
                   "by espeak-ng and sox, their float features and host accuracies computed by numpy and torch; "
                   f"{STANDIN}"),
    "kws-stream": (("cpu", *ARM, *SPEECH), "the weights ship (examples/kws/*.pt); the streams are synthesized by "
                   f"espeak-ng and sox; {STANDIN}"),
    "cycle-estimates": (ARM, "int8 .tflite models; the estimate prices the instruction mix of arm-none-eabi-gcc's "
                        "firmware, run on QEMU"),
    "cycle-cores": (ARM, "int8 .tflite models; the estimate prices the instruction mix of arm-none-eabi-gcc's "
                        "firmware, run on QEMU"),
    "sweep-digits": (("cpu", *ARM), f"the float weights ship (examples/lowbit/float_digits.pt); {CALIBRATED}; the "
                     f"accuracies of the pruned variants run torch; {STANDIN}"),
    "mlperf-new-cores": (ARM, f"int8 .tflite models on the Cortex-M55 and M33 stand-ins; {STANDIN}"),
    "onnx-agreement": (("cpu",), "onnxruntime's kernels on the host pick their code by the CPU's vector width; "
                       "the double-rounding columns (TFLite's multipliers) fall on onnxruntime's float ties, which "
                       "move with the CPU's summation order: shown, never compared"),
    "onnx-digits": (("cpu", *ARM), "the CNN's weights ship (examples/digits_demo.npz); onnxruntime quantizes it on "
                    f"the host, calibrating with its float kernels; {STANDIN}"),
    "onnx-parity": (ARM, "int8 .tflite models, and the same integers and scales written out as QDQ ONNX; "
                    f"{STANDIN}"),
    "brevitas-agreement": (("cpu",), "seeded Brevitas models, their batch-norm statistics and activation "
                           "scales from a float calibration pass run by torch; Brevitas' outputs are torch's float "
                           "arithmetic on the host, rounded onto the output grid"),
    "brevitas-qcdq-agreement": (("cpu",), "seeded Brevitas models calibrated by torch, exported by Brevitas "
                                "through torch.onnx; onnxruntime's float32 kernels on the host pick their code by "
                                "the CPU's vector width"),
    "qonnx-agreement": (("cpu",), "seeded Brevitas models calibrated by torch, exported by Brevitas through "
                        "torch.onnx; qonnx executes the graph with onnxruntime and numpy in float on the host"),
    "pt2e-agreement": (("cpu",), "seeded torch models calibrated on noise (the QAT one trained a few steps) by "
                       "torch; PyTorch's converted program is torch's float32 arithmetic on the host"),
    "figure-dependences": ((), "this table (DEPENDS in benchmarks/figure_list.py)"),
    "deep-compression": (ARM, "the pruned and shared weights ship (examples/deepcomp/*.pt); accuracy by the integer "
                         f"reference on the digits test images; {STANDIN}"),
    "compression": (("cpu", *ARM, *SPEECH), "int8 .tflite models, clustered in integer arithmetic (the KWS model "
                    "weighed on corpus clips synthesized by espeak-ng and sox, their float features computed by "
                    f"numpy; the IC model on seeded random inputs); {STANDIN}"),
    "recurrent-layers": (ARM, "int8 .tflite layers with seeded numpy weights; the estimate prices the instruction "
                         "mix of arm-none-eabi-gcc's firmware, run on QEMU, by each core's timing model"),
    "kws-recurrent": (("cpu", *ARM, *SPEECH), "the weights ship (examples/kws/*.pt); the clips and streams are "
                      "synthesized by espeak-ng and sox, their float features computed by numpy; "
                      f"{STANDIN}"),
}


def measure_dependences(work: Path, quick: bool) -> list:
    return [{"figure": name, "depends": list(depends), "why": why} for name, (depends, why) in DEPENDS.items()]


def render_dependences(rows: list) -> str:
    lines = ["| figure | depends on | which values, and why |", "|---|---|---|"]
    for r in rows:
        lines.append(f"| `{r['figure']}` | {', '.join(r['depends']) or 'nothing beyond the code'} | {r['why']} |")
    return "\n".join(lines)


FIGURES.append(Figure("figure-dependences", "what each figure depends on beyond the code (DEPENDS)",
                      measure_dependences, render_dependences, minutes=0.1, rows=("figure",)))
FIGURES = [dataclasses.replace(f, depends=DEPENDS[f.name][0], why=DEPENDS[f.name][1]) if f.name in DEPENDS else f
           for f in FIGURES]
