"""The figures of the guide's low-bit, switchable-precision and dynamic-inference (gating) pages (benchmarks/figures.py).

Each Figure names the benchmark that measures it and renders its JSON as the Markdown between
the figure's markers; benchmarks/figure_list.py collects them with the README's.
"""

from __future__ import annotations

import json
from pathlib import Path

from figure_engine import Figure, python, rows_measure
from tinygen.report import human_bytes

# ---------------------------------------------------------------------------------------- digits data

# writes the 449 test images of examples/lowbit/_digits.py (the fixed split every digits example
# scores on) as DIR/digits.npz and prints, per low-bit model file named, its tinygen.nn
# eval-mode accuracy in PyTorch and its per-layer weight / input bits
DIGITS = """
import json, runpy, sys
from pathlib import Path
import numpy as np
sys.path.insert(0, "examples/lowbit")
import _digits
out = Path(sys.argv[1])
x, y = _digits.dataset()[1]
np.savez(out / "digits.npz", x=x, y=y)
rows = {}
for name in sys.argv[2:]:
    module = runpy.run_path(f"examples/lowbit/{name}_digits.py")
    plan = module.get("PLAN")
    rows[name] = {"eval_accuracy": _digits.accuracy(module["model"]()),
                  "weight_bits": plan.weight_bits() if plan else "32", "input_bits": plan.act_bits() if plan else "32"}
print(json.dumps(rows))
"""


def _digits(work: Path, models: tuple[str, ...] = ()) -> tuple[Path, dict]:
    rows = json.loads(python("-c", DIGITS, work, *models).strip().splitlines()[-1])
    return work / "digits.npz", rows


def _hil(model: str, data: Path, work: Path, label: str, *extra: str) -> dict:
    """`tinygen hil MODEL --board f746zg --emulate --data DATA --json` (default --kernels auto); its JSON."""
    out = work / f"{label}.json"
    python("-m", "tinygen", "hil", model, "--board", "f746zg", "--emulate", "--data", data, "-o", work / label,
           "--json", out, "-q", *extra)
    return json.loads(out.read_text())


def _memory(report: dict, region: str) -> int:
    return next(m["used"] for m in report["memory"] if m["region"] == region)


# ---------------------------------------------------------------------------------------- low-bit digits

LOWBIT_MODELS = ("float", "bnn", "binaryconnect", "pow2", "w4a4")
LOWBIT_LABELS = {"float": "float -> int8 PTQ", "bnn": "BNN", "binaryconnect": "BinaryConnect",
                 "pow2": "power-of-two", "w4a4": "4-bit"}


def measure_lowbit(work: Path, quick: bool) -> list:
    models = LOWBIT_MODELS[:2] if quick else LOWBIT_MODELS
    data, evals = _digits(work, models)
    rows = []
    for name in models:
        r = _hil(f"examples/lowbit/{name}_digits.py", data, work, name)
        rows.append({"model": name, **evals[name], "accuracy": r["accuracy"], "bit_exact": r["bit_exact"],
                     "samples": r["samples"], "instructions": round(r["latency"]["mean"]),
                     "weight_bytes": _memory(r, "weights (flash)"), "arena_bytes": _memory(r, "arena (RAM)"),
                     "flash_bytes": _memory(r, "flash (firmware.elf)")})
    return rows


def render_lowbit(rows: list) -> str:
    lines = ["| model | weight bits | input bits | eval acc (PyTorch) | on the stand-in | bit-exact | weights flash "
             "| arena | firmware flash | instructions / inference |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        bits = ("int8 (PTQ)", "int8 (PTQ)") if r["model"] == "float" else (r["weight_bits"], r["input_bits"])
        lines.append(f"| {LOWBIT_LABELS.get(r['model'], r['model'])} | {bits[0]} | {bits[1]} "
                     f"| {r['eval_accuracy']:.2%} | {r['accuracy']:.2%} | {r['bit_exact']}/{r['samples']} "
                     f"| {human_bytes(r['weight_bytes'])} | {human_bytes(r['arena_bytes'])} "
                     f"| {human_bytes(r['flash_bytes'])} | {r['instructions']:,} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- switchable digits

def measure_switchable(work: Path, quick: bool) -> dict:
    data, _ = _digits(work)
    r = _hil("examples/switchable/sp_digits.py", data, work, "sp", "--switch", "all")
    first = r["switches"][0]
    return {"weight_bytes": first["device"]["weights"], "arena_bytes": first["device"]["arena"],
            "flash_bytes": _memory(first, "flash (firmware.elf)"),
            "switches": [{"switch": t["name"], "accuracy": t["accuracy"], "bit_exact": t["bit_exact"],
                          "samples": t["samples"], "instructions": round(t["mean"]), "weight_bytes": t["weight_bytes"],
                          "arena_bytes": t["arena_size"], "dominated_by": t["dominated_by"]}
                         for t in r["table"]]}


def render_switchable(r: dict) -> str:
    top = r["switches"][0]["instructions"]
    lines = ["| switch | accuracy | bit-exact | instructions / inference | x w8a8 | weights used | arena used | trade |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for s in r["switches"]:
        trade = f"dominated by {s['dominated_by']}" if s["dominated_by"] else "Pareto front"
        lines.append(f"| {s['switch']} | {s['accuracy']:.2%} | {s['bit_exact']}/{s['samples']} "
                     f"| {s['instructions']:,} | {s['instructions'] / top:.2f} | {human_bytes(s['weight_bytes'])} "
                     f"| {human_bytes(s['arena_bytes'])} | {trade} |")
    lines.append(f"\nThe one image: weights {human_bytes(r['weight_bytes'])}, arena {human_bytes(r['arena_bytes'])}, "
                 f"firmware {human_bytes(r['flash_bytes'])} of flash.")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- gated layers

def measure_gating_masked(work: Path, quick: bool) -> list:
    args = ["benchmarks/gating_masked.py", "--predictor-hidden", "4", "--predictor-pool", "1",
            "--json", work / "gm.json"]
    if quick:
        args += ["--layers", "0", "--densities", "0.5"]
    python(*args)
    out = []
    for r in json.loads((work / "gm.json").read_text())["rows"]:
        # one row per layer (graph node) of each point: each node's count is exact to the timer's tick, a sum is not
        out.append({"layer": r["layer"], "predictor": "dense", "density": None, "node": "dense",
                    "instructions": r["dense"]})
        for p in r["points"]:
            parts = {part.split(" (")[0]: part for part in p["parts"]}
            out += [{"layer": r["layer"], "predictor": r["predictor"], "density": p["density"],
                     "node": parts.get(name, name), "gated": name not in parts,
                     "kernel": r["kernel"] if name not in parts else None, "instructions": n}
                    for name, n in p["layers"].items()]
    return out


def render_gating_masked(rows: list) -> str:
    densities = list(dict.fromkeys(r["density"] for r in rows if r["density"] is not None))
    dense = {r["layer"]: r["instructions"] for r in rows if r["predictor"] == "dense"}
    lines = ["| layer | saliency predictor | dense | " + " | ".join(f"d={d:g}" for d in densities)
             + " | predictor's share |", "|---|---|---:|" + "---:|" * len(densities) + "---:|"]
    for layer, predictor in dict.fromkeys((r["layer"], r["predictor"]) for r in rows if r["predictor"] != "dense"):
        mine = [r for r in rows if (r["layer"], r["predictor"]) == (layer, predictor)]
        kernel = next(r["kernel"] for r in mine if r["gated"])
        totals = [sum(r["instructions"] for r in mine if r["density"] == d) for d in densities]
        first = [r for r in mine if r["density"] == densities[0]]
        share = sum(r["instructions"] for r in first if not r["gated"]) / dense[layer]
        cells = [f"{t:,} ({t / dense[layer]:.2f}x)" for t in totals]
        lines.append(f"| {layer} (`{kernel}`) | {predictor} | {dense[layer]:,} | " + " | ".join(cells)
                     + f" | {share:.2f}x |")
    return "\n".join(lines)


def render_brevitas(rows: list, head: str = "model", label=lambda r: r["model"], kernels: bool = False) -> str:
    """The agreement tables: per model, output values equal / within 1 LSB, the largest difference,
    the same top-1; with `kernels`, the first layers' kernels."""
    lines = [f"| {head} | equal | within 1 LSB | max | same top-1 |" + (" kernels |" if kernels else ""),
             "|---|---:|---:|---:|---:|" + ("---|" if kernels else "")]
    for r in rows:
        n = r["values"]
        names = ", ".join(f"`{k}`" for k in r["kernels"]) + " |" if kernels else ""
        lines.append(f"| {label(r)} | {r['equal']}/{n} | {r['within_1_lsb']}/{n} | {r['max_lsb']} | "
                     f"{r['top1_same']}/{r['samples']} | {names}".rstrip())
    return "\n".join(lines)


def render_qcdq(rows: list) -> str:
    return render_brevitas(rows, "model (export)", lambda r: f"{r['model']} ({r['export']})", kernels=True)


def render_qonnx(rows: list) -> str:
    return render_brevitas(rows, kernels=True)


PT2E_COLUMNS = {"per_channel": "XNNPACK per channel", "per_tensor": "XNNPACK per tensor",
                "qat": "quantization-aware training (per channel)"}


def render_pt2e(rows: list) -> str:
    """Per net, its outputs over all samples; per quantizer config, the outputs that differ from PyTorch."""
    configs = [c for c in PT2E_COLUMNS if any(r["config"] == c for r in rows)]
    lines = ["| model (outputs) | " + " | ".join(PT2E_COLUMNS[c] for c in configs) + " |",
             "|---|" + "---|" * len(configs)]
    for net in dict.fromkeys(r["net"] for r in rows):
        cells = {r["config"]: r for r in rows if r["net"] == net}
        first = next(iter(cells.values()))
        shown = [f"{cells[c]['differ']} differ, at most {cells[c]['max_lsb']} LSB" if c in cells else "" for c in configs]
        lines.append(f"| {first['model']} ({first['values']}) | " + " | ".join(shown) + " |")
    return "\n".join(lines)


FIGURES: list[Figure] = [
    Figure("lowbit-digits", "the low-bit digits models on the f746zg stand-in (tinygen hil, examples/lowbit)",
           measure_lowbit, render_lowbit, minutes=1.5, quick_minutes=0.7, rows=("model",)),
    Figure("switchable-digits", "every switch of sp_digits from one image on the f746zg stand-in (tinygen hil "
           "--switch all)", measure_switchable, render_switchable, minutes=1.5, rows=("switch",)),
    Figure("gating-masked", "gated depthwise and fully connected layers against dense on the f746zg stand-in "
           "(benchmarks/gating_masked.py)", measure_gating_masked, render_gating_masked, minutes=2,
           quick_minutes=0.4, rows=("layer", "predictor", "density", "node")),
    Figure("brevitas-agreement", "Brevitas models built for the host against Brevitas' own outputs "
           "(benchmarks/brevitas_agreement.py)", rows_measure("benchmarks/brevitas_agreement.py"), render_brevitas,
           minutes=4, quick_minutes=0.6, rows=("arch", "bits")),
    Figure("brevitas-qcdq-agreement", "Brevitas' QCDQ ONNX exports built for the host against onnxruntime's "
           "execution (benchmarks/brevitas_qcdq_agreement.py)", rows_measure("benchmarks/brevitas_qcdq_agreement.py"),
           render_qcdq, minutes=1, quick_minutes=0.4, rows=("arch", "bits", "export")),
    Figure("qonnx-agreement", "Brevitas' QONNX exports built for the host against qonnx's execution "
           "(benchmarks/qonnx_agreement.py)", rows_measure("benchmarks/qonnx_agreement.py"), render_qonnx,
           minutes=2, quick_minutes=0.4, rows=("arch", "bits")),
    Figure("pt2e-agreement", "PT2E-quantized models built for the host against PyTorch's converted program "
           "(benchmarks/pt2e_agreement.py)", rows_measure("benchmarks/pt2e_agreement.py"), render_pt2e,
           minutes=1.5, quick_minutes=0.4, rows=("net", "config")),
]
