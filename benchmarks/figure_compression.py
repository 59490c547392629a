"""The figure of compressed weights (issue 73), on docs/performance.md and docs/memory.md: the MLPerf
KWS and IC models with shared weights (benchmarks/lut_models.py: weight flash, accuracy on the
synthesized keyword corpus or top-1 agreement with int8, instructions on the f746zg stand-in and the
Cortex-M7's estimated cycles) and the entropy-coded ones (benchmarks/huffman.py, the same two), each
against the int8 build."""

from __future__ import annotations

import json
from pathlib import Path

from figure_engine import Figure, python

LUT_SPECS = ("lut:4:tensor", "lut:4:channel", "lut:3:channel", "lut:2:channel")
OTHER_BOARDS = {"n6570": "Cortex-M55, Helium kernels", "esp32-c3": "ESP32-C3, RV32IMC kernels"}
NAMES = {"kws": "MLPerf KWS (DS-CNN)", "ic": "MLPerf IC (ResNet-8)", "ad": "MLPerf AD (autoencoder)",
         "kws70": "MLPerf KWS, 70% pruned", "ad70": "MLPerf AD, 70% pruned"}


def measure(work: Path, quick: bool) -> dict:
    """Shared weights at 4, 3 and 2 bits on KWS (the corpus's accuracy) and IC on the f746zg, and on
    the Cortex-M55 and ESP32-C3 stand-ins with AD (one-row fully connected layers) too; huffman and
    lut:4,huffman on KWS and AD as shipped and 70% pruned (quick: KWS at 4 bits per tensor on each board; KWS pruned
    lut:4,huffman)."""
    lut = ["benchmarks/lut_models.py", "--standin", "--estimate", "--kws-corpus", "--json", work / "lut.json",
           "--work", work / "lut"]
    if quick:
        lut += ["--models", "kws", "--bits", "4", "--tables", "tensor"]
    python(*lut)
    huffman = ["benchmarks/huffman.py", "--estimate", "--json", work / "huffman.json"]
    if quick:
        huffman += ["--models", "kws70", "--weights", "lut:4,huffman"]
    python(*huffman)
    rows = [{"board": "f746zg", **{k: v for k, v in r.items() if k != "layers"}}
            for r in json.loads((work / "lut.json").read_text()) if quick or r["spec"] in LUT_SPECS]
    cores = []
    for board in OTHER_BOARDS:
        other = ["benchmarks/lut_models.py", "--standin", "--estimate", "--board", board, "--samples", "8",
                 "--json", work / f"{board}.json", "--work", work / board, "--tables", "tensor"]
        other += ["--models", "kws", "--bits", "4"] if quick else ["--models", "kws", "ic", "ad", "--bits", "4", "3", "2"]
        python(*other)
        cores += [{"board": board, **{k: v for k, v in r.items() if k != "layers"}}
                  for r in json.loads((work / f"{board}.json").read_text())]
    coded = []
    for r in json.loads((work / "huffman.json").read_text()):
        base = r["int8"]
        for spec, v in r.items():
            if not isinstance(v, dict) or spec == "int8":
                continue
            coded.append({"board": "f746zg", "model": r["model"], "spec": spec, "bytes": v["weights"], "int8_bytes": base["weights"],
                          "instructions": v["instructions"], "int8_instructions": base["instructions"],
                          "cycles": v["cycles"], "int8_cycles": base["cycles"], "coded_layers": len(v["coded"]),
                          "coded_instructions": sum(v["layers"][n] for n in v["coded"]),
                          "coded_int8_instructions": sum(base["layers"][n] for n in v["coded"]),
                          "coded_cycles": sum(v["layer_cycles"][n] for n in v["coded"]),
                          "coded_int8_cycles": sum(base["layer_cycles"][n] for n in v["coded"])})
    return {"lut": rows, "cores": cores, "huffman": coded}


def _x(a: int, b: int) -> str:
    return f"`{a / b:.2f}x`"


def render(r: dict) -> str:
    lines = ["Shared weights (`--weights lut:BITS`), f746zg stand-in (Cortex-M7, DSP kernels; exact instructions, "
             "and est. cycles by `tinygen.cycles`' Cortex-M7 model, fitted on two published points, every constant in "
             "flash), each "
             "against the int8 build:", "",
             "| model | `--weights` | weight bytes (vs int8) | accuracy (int8) | instructions (vs int8) "
             "| est. cycles (vs int8) |", "|---|---|---:|---|---:|---:|"]
    for row in r["lut"]:
        if "accuracy" in row:
            acc = f"`{row['accuracy']:.2%}` top-1 (`{row['int8_accuracy']:.2%}`), corpus clips"
        else:
            acc = f"`{row['agreement']:.1%}` same top-1 as int8, random inputs (no test set)"
        lines.append(f"| {NAMES[row['model']]} | `{row['spec']}` | `{row['bytes']:,}` ({_x(row['bytes'], row['int8_bytes'])}) "
                     f"| {acc} | `{row['instructions']:,}` ({_x(row['instructions'], row['int8_instructions'])}) "
                     f"| `{row['cycles']:,.0f}` ({_x(row['cycles'], row['int8_cycles'])}) |")
    lines += ["", "The same on the Cortex-M55 (n6570) and ESP32-C3 stand-ins, one table per tensor (est. cycles: "
              "`tinygen.cycles`' timing models, uncalibrated):", "",
              "| board | model | `--weights` | instructions (vs int8) | est. cycles vs int8 |", "|---|---|---|---:|---:|"]
    for row in r["cores"]:
        lines.append(f"| `{row['board']}` ({OTHER_BOARDS[row['board']]}) | {NAMES[row['model']]} | `{row['spec']}` "
                     f"| `{row['instructions']:,}` ({_x(row['instructions'], row['int8_instructions'])}) "
                     f"| {_x(row['cycles'], row['int8_cycles'])} |")
    lines += ["", "Entropy-coded weights (`--weights huffman`), the f746zg stand-in, instructions and est. cycles as "
              "above (pruned: the smallest 70% of each layer's weights zeroed, not retrained):", "",
              "| model | `--weights` | weight bytes (vs int8) | instructions (vs int8) | est. cycles (vs int8) "
              "| coded layers: instructions, est. cycles (vs int8) |", "|---|---|---:|---:|---:|---:|"]
    for row in r["huffman"]:
        coded = (f"{row['coded_layers']}: {_x(row['coded_instructions'], row['coded_int8_instructions'])}, "
                 f"{_x(row['coded_cycles'], row['coded_int8_cycles'])}" if row["coded_layers"]
                 else "none coded smaller")
        lines.append(f"| {NAMES[row['model']]} | `{row['spec']}` | `{row['bytes']:,}` ({_x(row['bytes'], row['int8_bytes'])}) "
                     f"| `{row['instructions']:,}` ({_x(row['instructions'], row['int8_instructions'])}) "
                     f"| `{row['cycles']:,}` ({_x(row['cycles'], row['int8_cycles'])}) | {coded} |")
    return "\n".join(lines)


STAGES = {"int8": "int8", "pruned": "pruned `70%`", "pruned+huffman": "pruned, huffman"}


def measure_deep(work: Path, quick: bool) -> list:
    """benchmarks/deep_compression.py: the digits CNN's stages, with the f746zg's estimated cycles
    (quick: 4 bits only)."""
    python("benchmarks/deep_compression.py", "--estimate", "--json", work / "deep.json",
           *(("--bits", "4") if quick else ()))
    return json.loads((work / "deep.json").read_text())


def _stage(name: str) -> str:
    if name in STAGES:
        return STAGES[name]
    bits, coded = name.removeprefix("pruned+shared").partition("+")[::2]
    ec = bits.endswith("ec")
    return (f"pruned, shared {bits.removesuffix('ec')} bits" + (", entropy-constrained" if ec else "")
            + (", huffman" if coded else ""))


def render_deep(rows: list) -> str:
    lines = ["| stage | weight bytes | vs int8 | test top-1 | instructions (f746zg stand-in) "
             "| est. cycles (vs int8) | entropy bytes |", "|---|---:|---:|---:|---:|---:|---:|"]
    int8 = next(r for r in rows if r["stage"] == "int8")
    for r in rows:
        entropy = f"`{r['entropy_bytes']:,}` (`{r['entropy_ratio']:.3f}x`)" if "entropy_bytes" in r else ""
        lines.append(f"| {_stage(r['stage'])} | `{r['weights']:,}` | `{r['ratio']:.3f}x` | `{r['accuracy']:.2%}` "
                     f"| `{r['instructions']:,}` | `{r['cycles']:,}` (`{r['cycles'] / int8['cycles']:.2f}x`) "
                     f"| {entropy} |")
    lines.append("")
    for r in rows:
        if r["stage"].endswith("+huffman") and "shared" in r["stage"]:
            bits = r["stage"].removeprefix("pruned+shared").split("ec")[0]
            ec = (f" (`share_weights(net, {bits}, entropy={r['entropy_lambda']})`: `{r['zeros']:.1%}` of the weights zero)"
                  if "entropy_lambda" in r else "")
            lines.append(f"- {_stage(r['stage'])}{ec}: the coded indices carry `{r['H']:.2f}` bits of entropy a "
                         f"weight (`{r['H_zero']:.2f}` of them for zero or not), `{r['H_prev']:.2f}` given the "
                         f"previous weight of the row.")
    return "\n".join(lines)


FIGURES = [Figure("compression", "compressed weights on the MLPerf models (benchmarks/lut_models.py, "
                  "benchmarks/huffman.py)", measure, render, minutes=20, quick_minutes=5,
                  rows=("board", "model", "spec"),
                  # est. cycles: in 2 of 5 checks the C3's estimates moved, by up to 0.02% (IC at lut:2:
                  # 45,831,441 against 45,823,114 stored) with the instructions the same: within rel_tol
                  tolerant=("accuracy", "agreement", "mean_abs_lsb", "cycles")),
           Figure("deep-compression", "Deep Compression's pipeline on the digits CNN (benchmarks/deep_compression.py)",
                  measure_deep, render_deep, minutes=5, quick_minutes=2, rows=("stage",),
                  tolerant=("ratio", "cycles"))]
