"""The four MLPerf Tiny reference models on the Cortex-M7 stand-in, side by side with TFLM
(or on the ESP32-C3's, --board esp32-c3: beside the portable kernels and issue 21's targets).

    .venv/bin/python benchmarks/mlperf_standin.py [--board f746zg] [--models kws_dscnn ...]
        [--kernels tinygen cmsis-nn esp-nn auto] [--cmsis-nn PATH] [--esp-nn PATH] [--layers] [--json out.json]
        [--fit [--fit-kernels auto] [--fit-boards f746zg f767zi f446re] [--fit-models PATH.tflite ...]]

Builds each int8 .tflite model for the board once per kernel choice (--kernels:
tinygen's kernels with the board's ISA extensions, CMSIS-NN's where it has the
layer, and auto: per layer the kernel measured fastest on the stand-in,
tinygen.fit.autotune), boots the firmware on its QEMU stand-in (mps2-an500 for the
F746), and measures one inference after a warm-up: executed instructions (total,
per MAC, per layer with its kernel), arena and flash bytes. The outputs are
checked against TFLite Micro's host interpreter on the same input. TFLM's figures
(same stand-in, ../shared/notes/anchors.md) are printed next to ours, with the
issue's targets: at least 1.5x fewer instructions than TFLM + CMSIS-NN on KWS, VWW
and IC (fewer on AD), and an arena at most 60% of TFLM's; then the moonshot line (issue
17): per model the fewest instructions per MAC measured, beside where the issue started and
the best published F746 cycles per MAC. cmsis-nn needs a
CMSIS-NN tree (--cmsis-nn or $CMSIS_NN_PATH); without one it is skipped and the
script says why. esp-nn (ESP32 boards, e.g. --board esp32-c3, whose stand-in is QEMU's
RISC-V virt) needs an ESP-NN tree (--esp-nn or $ESP_NN_PATH) and runs its portable C
there; on RISC-V the table sets ours beside TFLM with its reference kernels on the same
stand-in (TFLM_RISCV). --timeout: seconds of the emulator's own time per answer beyond the
known work (tinygen.hil.deadline), for measuring auto's variants too: a loaded machine
makes the benchmark slower, not different. --fit adds the fit table (benchmarks/fit_boards.py):
per board and model, whether the default kernel choice fits the board (tinygen.fit),
the linked flash and RAM, the instructions and the layers traded for flash; --fit-models
adds other .tflite / .py models to it, --fit-boards picks the boards. A benchmark, not
a test: it prints numbers (instructions, never cycles).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from tinygen.build.linked import linked_image
from tinygen.hil.deadline import DEFAULT_TIMEOUT, add_timeout_option

MODELS_DIR = Path(__file__).resolve().parents[1] / "examples" / "mlperf-tiny"   # shipped, Apache-2.0
# ../shared/notes/anchors.md: TFLM on mps2-an500, -icount shift=0, one inference after a warm-up
TFLM = {
    "kws_dscnn": {"cmsis_nn": 7_642_160, "reference": 44_212_880, "arena": 22_820},
    "vww_mobilenet": {"cmsis_nn": 24_025_480, "reference": 103_216_240, "arena": 100_708},
    "ic_resnet8": {"cmsis_nn": 30_025_800, "reference": 109_408_600, "arena": 54_996},
    "ad_autoencoder": {"cmsis_nn": 583_200, "reference": 1_962_000, "arena": 2_580},
}
# TFLM with its reference kernels on the esp32-c3's stand-in (QEMU riscv32 virt, -icount
# shift=0): rdinstret around one Invoke() after a warm-up Invoke (the input written again
# between them, outside the count), and arena_used_bytes(). Measured outside this repository
# (nothing of it is committed): tflite-micro at 90b983c2b (2026-08-20), its sources built by
# Debian's riscv64-unknown-elf-g++ 12.2 -march=rv32imc -mabi=ilp32 -O2 -fno-exceptions -fno-rtti
# -DTF_LITE_STATIC_MEMORY -DNDEBUG -DTF_LITE_STRIP_ERROR_STRINGS (freestanding: the host's
# libstdc++ 12 headers, newlib's C headers, memcpy/frexp/round... written for the run), a
# MicroMutableOpResolver with the seven ops the models use, the model linked in. Outputs equal
# the tflite-micro host interpreter's on the same input (a fixed LCG). .text without the model:
# 69,280 B for every model (the same seven kernels linked). MACs: the models' own (anchors.md;
# tinygen's count is lower where compaction removed all-zero filters, as in VWW).
TFLM_RISCV = {
    "kws_dscnn": {"reference": 44_310_967, "arena": 22_780, "macs": 2_656_768},
    "vww_mobilenet": {"reference": 109_939_147, "arena": 100_668, "macs": 7_489_664},
    "ic_resnet8": {"reference": 125_524_039, "arena": 54_364, "macs": 12_501_632},
    "ad_autoencoder": {"reference": 2_480_065, "arena": 2_380, "macs": 264_192},
}
TFLM_RISCV_TEXT = 69_280
TFLM_RISCV_HOW = "tflite-micro 90b983c2b, -O2, one inference after a warm-up (TFLM_RISCV)"

# the esp32-c3 stand-in (QEMU RISC-V virt), issue 21: executed instructions per MAC to reach with
# the RV32IM kernels, and the portable C kernels' instructions before them (measured
# with this script at 1be5cf4, --board esp32-c3 --kernels tinygen, when the board had no ISA features)
RV32_PER_MAC_TARGET = {"kws_dscnn": 4.0, "ic_resnet8": 3.5}
RV32_PORTABLE = {"kws_dscnn": 38_329_256, "vww_mobilenet": 66_343_160, "ic_resnet8": 118_852_395,
                 "ad_autoencoder": 2_231_300}
# the same builds' arena and flash (firmware-emu.elf) bytes
RV32_PORTABLE_MEMORY = {"kws_dscnn": (9_840, 53_992), "vww_mobilenet": (46_080, 87_016),
                        "ic_resnet8": (32_768, 107_168), "ad_autoencoder": (768, 303_360)}
# the stand-in TFLM's figures above were measured on
TFLM_MACHINE = "mps2-an500"
# the targets: instructions TFLM + CMSIS-NN needs / ours (speed-up), our arena / TFLM's
SPEEDUP_TARGET = {"kws_dscnn": 1.5, "vww_mobilenet": 1.5, "ic_resnet8": 1.5, "ad_autoencoder": 1.0}
ARENA_TARGET = 0.60
KERNEL_MODES = ("tinygen", "cmsis-nn", "esp-nn", "auto")
# the moonshot (issue 17, part 4): instructions per MAC toward one. Where the issue started
# (the best mode's instructions per MAC on the f746zg stand-in, compaction on), and the best
# published STM32F746 results, about one cycle per MAC (MLPerf Tiny v1.1, Plumerai: KWS 17.75 ms,
# VWW 34.08 ms, IC 62.88 ms at 216 MHz; ../shared/notes/anchors.md). Cycles and instructions
# differ (an M7 can issue two instructions a cycle), so the line is a direction, not a match.
MOONSHOT_START = {"kws_dscnn": 1.54, "vww_mobilenet": 2.09, "ic_resnet8": 1.25}
PUBLISHED_CYCLES_PER_MAC = {"kws_dscnn": 1.44, "vww_mobilenet": 0.98, "ic_resnet8": 1.09}


def tflm_output(path: Path, x: np.ndarray) -> np.ndarray | None:
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        return None
    interp = runtime.Interpreter.from_file(str(path), arena_size=1 << 20)
    interp.set_input(x, 0)
    interp.invoke()
    return np.array(interp.get_output(0)).ravel()


def compile_for(source, board, kernels: str, cmsis_nn: str | None, progress, timeout: float,
                esp_nn: str | None = None):
    from tinygen.fit.autotune import compile_auto
    from tinygen.compiler import compile_source
    from tinygen.passes import CompileOptions

    from tinygen.fit import fit_model

    options = CompileOptions(features=board.isa_features, kernels=kernels, cmsis_nn=cmsis_nn, esp_nn=esp_nn)
    if kernels == "auto":
        graph = compile_auto(source, None, options, board, progress, timeout=timeout)
    else:
        graph = compile_source(source, options=options)
    return fit_model(source, None, options, board, graph, progress)     # as tinygen build does


def measure(name: str, board, models_dir: Path, work: Path, kernels: str = "tinygen",
            cmsis_nn: str | None = None, timeout: float = DEFAULT_TIMEOUT, esp_nn: str | None = None) -> dict:
    from tinygen.passes.analysis import total_macs
    from tinygen.compiler import build, load_source
    from tinygen.hil.target import open_device

    path = models_dir / f"{name}_int8.tflite"
    source = load_source(path)
    graph = compile_for(source, board, kernels, cmsis_nn, lambda msg: print(msg, file=sys.stderr, flush=True), timeout,
                        esp_nn)
    result = build(source, graph, board, work / f"{name}-{kernels}")
    x = np.random.default_rng(0).integers(-128, 128, size=source.input_shape).astype(np.int8)
    with open_device(board, result.out_dir, emulate=True, timeout=timeout) as dev:
        dev.run(x.tobytes())                       # warm-up
        raw, count = dev.run(x.tobytes())
        layers, _, _ = dev.layers()
    macs = total_macs(graph)
    image = linked_image(result.manifest)     # ESP-IDF boards: the stand-in's image is firmware-emu.elf
    if image is None:
        raise KeyError(f"the build's manifest records no linked image (images: {sorted(result.manifest['images'])})")
    elf = result.manifest["memory"][image]
    want = tflm_output(path, x)
    kernel_of = {n.name: n.kernel for n in graph.nodes if n.kernel}
    tflm = TFLM.get(name) if board.emulator["machine"] == TFLM_MACHINE else None     # same stand-in only
    riscv = board.emulator["machine"] == "virt"      # RISC-V: beside TFLM_RISCV
    return {
        "model": name, "board": board.name, "kernels": kernels, "macs": macs, "instructions": count,
        "instructions_per_mac": count / macs,
        "arena": result.manifest["arena_size"], "weights": result.manifest["weight_bytes"],
        "flash": elf["flash"]["used"], "ram": elf["ram"]["used"], "image": image,
        # the fit check's prediction (tinygen/build/code_size.py: compiled and linked ahead of the build)
        "flash_predicted": ((result.manifest.get("fit") or {}).get("flash") or {}).get("used"),
        "equals_tflm": None if want is None else bool(np.array_equal(np.frombuffer(raw, np.int8), want)),
        "layers": [{"name": layer.name, "kernel": kernel_of.get(layer.name), "instructions": layer.count}
                   for layer in layers],
        "tflm": tflm,
        "speedup_vs_tflm_cmsis_nn": tflm["cmsis_nn"] / count if tflm else None,
        "arena_vs_tflm": result.manifest["arena_size"] / tflm["arena"] if tflm else None,
        "targets": targets(name, count, result.manifest["arena_size"]) if tflm else None,
        "notes": [graph.meta["kernels"]["note"]] if graph.meta.get("kernels", {}).get("note") else [],
        "cmsis_nn_version": (graph.meta.get("cmsis_nn") or {}).get("version"),
        "esp_nn_version": (graph.meta.get("esp_nn") or {}).get("version"),
        "tflm_riscv": TFLM_RISCV.get(name) if riscv else None,
        "portable_instructions": RV32_PORTABLE.get(name) if riscv else None,
        "portable_arena_flash": RV32_PORTABLE_MEMORY.get(name) if riscv else None,
        "per_mac_target": RV32_PER_MAC_TARGET.get(name) if riscv else None,
    }


def targets(name: str, instructions: int, arena: int) -> dict:
    """Whether the issue's targets are met: speed-up over TFLM + CMSIS-NN, arena vs TFLM's."""
    t = TFLM[name]
    speedup = t["cmsis_nn"] / instructions
    want = SPEEDUP_TARGET[name]
    return {"speedup": speedup, "speedup_target": want,
            "speedup_met": speedup >= want if want > 1.0 else speedup > want,
            "arena_ratio": arena / t["arena"], "arena_target": ARENA_TARGET,
            "arena_met": arena <= ARENA_TARGET * t["arena"]}


def summary_table(results: list[dict]) -> str:
    from tinygen.report import table

    rows = []
    for r in results:
        t, goal = r["tflm"] or {}, r["targets"] or {}
        mark = {True: "yes", False: "no"}
        rows.append([r["model"], r["kernels"], f"{r['instructions']:,}", f"{r['flash']:,}",
                     f"{r['instructions_per_mac']:.2f}", f"{t['cmsis_nn']:,}" if t else "-",
                     f"{goal['speedup']:.2f}x ({mark[goal['speedup_met']]})" if goal else "-",
                     f"{r['arena']:,}", f"{t['arena']:,}" if t else "-",
                     f"{goal['arena_ratio']:.0%} ({mark[goal['arena_met']]})" if goal else "-",
                     {None: "n/a", True: "yes", False: "NO"}[r["equals_tflm"]]])
    return table(["model", "kernels", "instructions", "flash B", "per MAC", "TFLM+CMSIS-NN", "speed-up (target met)",
                  "arena B", "TFLM arena B", "arena/TFLM (<=60%)", "== TFLM"], rows, "llrrrrrrrrl")


def riscv_table(results: list[dict]) -> str:
    """The RISC-V stand-in's table: beside TFLM with its reference kernels on the same
    stand-in (TFLM_RISCV), not the Cortex-M7 anchor."""
    from tinygen.report import table

    rows = []
    for r in results:
        t = r["tflm_riscv"] or {}
        ref = t.get("reference")
        rows.append([r["model"], r["kernels"], f"{r['instructions']:,}", f"{r['instructions_per_mac']:.2f}",
                     f"{ref:,} ({ref / t['macs']:.2f})" if ref else "-",
                     f"{ref / r['instructions']:.2f}x" if ref else "-", f"{r['arena']:,}",
                     f"{t['arena']:,}" if t.get("arena") else "-", f"{r['flash']:,}",
                     {None: "n/a", True: "yes", False: "NO"}[r["equals_tflm"]]])
    return table(["model", "kernels", "instructions", "per MAC", "TFLM ref (per MAC)", "speed-up", "arena B",
                  "TFLM arena B", "flash B", "== TFLM"], rows, "llrrrrrrrl")


def moonshot_line(results: list[dict]) -> str | None:
    """One line: per model the fewest instructions per MAC over the measured modes, beside
    where the issue started and the best published F746 cycles per MAC."""
    best: dict[str, dict] = {}
    for r in results:
        if r["model"] in MOONSHOT_START and (r["model"] not in best
                                             or r["instructions_per_mac"] < best[r["model"]]["instructions_per_mac"]):
            best[r["model"]] = r
    if not best:
        return None
    parts = [f"{name.split('_')[0].upper()} {r['instructions_per_mac']:.2f} ({r['kernels']}; "
             f"was {MOONSHOT_START[name]:.2f}, F746 best published {PUBLISHED_CYCLES_PER_MAC[name]:.2f} cycles/MAC)"
             for name, r in best.items()]
    return "moonshot, instructions per MAC toward 1: " + "; ".join(parts)


def rv32_lines(results: list[dict]) -> list[str]:
    """On the esp32-c3 stand-in: per result the portable kernels' instructions before the RV32IM
    kernels and issue 21's per-MAC target, met or not."""
    lines = []
    for r in results:
        if r.get("portable_instructions") is None:
            continue
        goal = r.get("per_mac_target")
        verdict = (f"; target <= {goal:.2f} per MAC {'met' if r['instructions_per_mac'] <= goal else 'NOT met'}"
                   if goal else "")
        before = r["portable_instructions"]
        lines.append(f"{r['model']} (--kernels {r['kernels']}): {r['instructions']:,} instructions, "
                     f"{r['instructions_per_mac']:.2f} per MAC; portable C kernels {before:,} "
                     f"({before / r['macs']:.2f} per MAC), {before / r['instructions']:.2f}x{verdict}")
    return lines


def layer_table(layers: list[dict]) -> str:
    """A measurement's layers (name, kernel, instructions) as a terminal table."""
    from tinygen.report import table

    return table(["layer", "kernel", "instructions"],
                 [[layer["name"], layer["kernel"] or "-", f"{layer['instructions']:,}"] for layer in layers], "llr")


def git_commit() -> str:
    """The checkout's commit (with -dirty when it has changes), for the README's table."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=7"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "?"
    return done.stdout.strip() or "?"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--board", default="f746zg")
    ap.add_argument("--models", nargs="+", default=list(TFLM), choices=list(TFLM))
    ap.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    ap.add_argument("--kernels", nargs="+", default=list(KERNEL_MODES), choices=KERNEL_MODES + ("none",),
                    help="kernel choices to measure (default: all three; none: only the fit table)")
    ap.add_argument("--cmsis-nn", metavar="PATH", default=os.environ.get("CMSIS_NN_PATH") or None,
                    help="CMSIS-NN source tree for --kernels cmsis-nn and auto (default: $CMSIS_NN_PATH)")
    ap.add_argument("--esp-nn", metavar="PATH", default=os.environ.get("ESP_NN_PATH") or None,
                    help="ESP-NN source tree for --kernels esp-nn (default: $ESP_NN_PATH)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--layers", action="store_true", help="also print the per-layer instructions and kernels")
    ap.add_argument("--fit", action="store_true", help="also print the fit table (benchmarks/fit_boards.py)")
    ap.add_argument("--fit-kernels", default="auto", choices=("tinygen", "cmsis-nn", "auto"),
                    help="the kernel choice fitted in the fit table (default: auto, the default on Cortex-M)")
    ap.add_argument("--fit-boards", nargs="+", default=None, help="boards of the fit table (default: F746ZG, "
                                                                   "F767ZI, F446RE)")
    ap.add_argument("--fit-models", nargs="+", type=Path, default=[],
                    help="more models for the fit table besides --models (.tflite or .py)")
    add_timeout_option(ap)
    args = ap.parse_args(argv)
    from tinygen.fit.autotune import unavailable
    from tinygen.board import get_board

    board = get_board(args.board)
    if board.emulator is None:
        print(f"{board.name} has no stand-in", file=sys.stderr)
        return 2
    modes = list(args.kernels) if args.kernels != ["none"] else []
    if "cmsis-nn" in modes and not args.cmsis_nn:
        modes.remove("cmsis-nn")
        print("skipping --kernels cmsis-nn: no CMSIS-NN tree (give --cmsis-nn PATH or set CMSIS_NN_PATH; "
              "auto then chooses among tinygen's kernels only)", file=sys.stderr)
    if "esp-nn" in modes and (not args.esp_nn or board.build != "esp-idf"):
        modes.remove("esp-nn")
        print("skipping --kernels esp-nn: " + ("it is for ESP32 boards" if args.esp_nn else
              "no ESP-NN tree (give --esp-nn PATH or set ESP_NN_PATH)"), file=sys.stderr)
    if "auto" in modes and unavailable(board):
        print(f"note: auto cannot measure here ({unavailable(board)}): it keeps the preferred kernels",
              file=sys.stderr)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            for kernels in modes:
                print(f"building and running {name} (--kernels {kernels}) on the {board.name} stand-in...",
                      file=sys.stderr, flush=True)
                esp_nn = args.esp_nn if kernels in ("esp-nn", "auto") and board.build == "esp-idf" else None
                results.append(measure(name, board, args.models_dir, Path(tmp), kernels, args.cmsis_nn, args.timeout,
                                       esp_nn))
    print(riscv_table(results) if board.emulator["machine"] == "virt" else summary_table(results))
    if board.emulator["machine"] == "virt":
        print(f"(executed instructions on the RISC-V virt stand-in for one inference after a warm-up; TFLM ref: "
              f"TFLite Micro's reference kernels on the same stand-in, {TFLM_RISCV_HOW}; speed-up = its "
              "instructions / ours; == TFLM: outputs equal TFLite Micro's host interpreter)")
    else:
        print(f"(executed instructions on the {board.emulator['machine']} stand-in for one inference after a "
              "warm-up; speed-up = TFLM + CMSIS-NN's instructions / ours, target >= 1.5x on KWS, VWW, IC and > 1x "
              "on AD; == TFLM: outputs equal TFLite Micro's host interpreter)")
    line = moonshot_line(results) if board.emulator["machine"] == TFLM_MACHINE else None     # an F746 line
    if line:
        print(line)
    for line in rv32_lines(results):
        print(line)
    for r in results:
        for note in r["notes"]:
            print(f"note ({r['model']}, {r['kernels']}): {note}")
    if args.layers:
        for r in results:
            print(f"\n{r['model']}, --kernels {r['kernels']}:")
            print(layer_table(r["layers"]))
    if args.fit:
        from fit_boards import FIT_BOARDS, fit_rows, fit_table

        boards = [get_board(b) for b in (args.fit_boards or FIT_BOARDS)]
        paths = [args.models_dir / f"{name}_int8.tflite" for name in args.models] + list(args.fit_models)
        fits = fit_rows(paths, boards, args.fit_kernels, args.cmsis_nn, args.timeout)
        print(f"\nfit table (--kernels {args.fit_kernels}, fitted to each board's flash; flash and RAM of the "
              "linked firmware.elf; instructions on the board's stand-in; traded: kernel used instead of the "
              "fastest, flash saved, instructions added as the trade counted them):")
        print(fit_table(fits))
        results_fit = fits
    else:
        results_fit = []
    if args.json:
        commit = git_commit()
        for r in results:
            r["commit"] = commit
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
        if results_fit:
            Path(args.json).with_suffix(".fit.json").write_text(json.dumps(results_fit, indent=2) + "\n")
        print(f"results written to {args.json}; benchmarks/readme_table.py {args.json} --update puts them "
              "in README.md", file=sys.stderr)
    return 0 if all(r["equals_tflm"] is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
