"""The ONNX page's figures (docs/onnx.md): onnxruntime's agreement on the test models
(benchmarks/onnx_agreement.py), the digits demo through ONNX (examples/onnx/digits_onnx.py) and
the same int8 networks' speed from .tflite and from ONNX (benchmarks/onnx_parity.py)."""

from __future__ import annotations

import json
from pathlib import Path

from figure_engine import Figure, python, rows_measure

from tinygen.hil.onnx_check import fused_label


measure_agreement = rows_measure("benchmarks/onnx_agreement.py")


def render_agreement(rows: list) -> str:
    lines = ["| model | form | activations / weights | samples | equal to onnxruntime | within 1 LSB | largest "
             "difference | same top-1 | bytes differing | equal with TFLite's two roundings |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {'QDQ' if r['form'] == 'qdq' else 'QOperator'} | {r['variant']} | "
                     f"{r['samples']} | {r['exact']} | {r['within_1_lsb']} | {r['max_lsb']} LSB | {r['top1_same']} | "
                     f"{r['bytes_differing']} of {r['bytes']:,} | {r['double_rounding_exact']} |")
    return "\n".join(lines)


def measure_digits(work: Path, quick: bool) -> dict:
    out = work / "digits"
    python("examples/onnx/digits_onnx.py", "--out", out)
    return json.loads((out / "results.json").read_text())


def render_digits(r: dict) -> str:
    a = r["onnx_vs_onnxruntime"]
    rows = [["float PyTorch", f"{r['float_pytorch_accuracy']:.2%}", "-", "-"],
            ["onnxruntime, QDQ model (quantize_static)", f"{r['onnxruntime_qdq_accuracy']:.2%}", "-", "-"],
            [f"tinygen from the QDQ .onnx, {r['board']} stand-in", f"{r['tinygen_onnx_accuracy']:.2%}",
             f"{r['onnx_instructions']:,.0f}", f"{r['onnx_bit_exact']} (stand-in = host build: "
             f"{r['onnx_device_equals_host']})"],
            [f"tinygen from PyTorch (its own PTQ), {r['board']} stand-in", f"{r['tinygen_pytorch_accuracy']:.2%}",
             f"{r['pytorch_instructions']:,.0f}", r["pytorch_bit_exact"]]]
    lines = ["| the digits CNN | accuracy | instructions per inference | bit-exact with the reference |",
             "|---|---:|---:|---|"] + ["| " + " | ".join(row) + " |" for row in rows]
    trained = ("the shipped network, examples/digits_demo.npz" if r["epochs"] == "shipped"
               else f"{r['epochs']} epochs of training")
    text = (f"\n\n{r['samples']} test images ({trained}); the ONNX build's outputs "
            f"against onnxruntime's, the graph as written: {a['within_1_lsb']} of {a['samples']} within 1 LSB, "
            f"{a['exact']} equal, {a['top1_same']} with the same top-1.")
    fused = r.get("onnx_vs_onnxruntime_fused")
    if fused:
        text += (f" Against onnxruntime's default session, {fused_label(fused['cpu'])}: {fused['exact']} equal, "
                 f"{fused['top1_same']} with the same top-1.")
    return "\n".join(lines) + text


measure_parity = rows_measure("benchmarks/onnx_parity.py")


PARITY_BUILDS = {".tflite": "{label} `.tflite`",
                 ".onnx (--onnx-rounding onnxruntime)": "its `.onnx` (default, `--onnx-rounding onnxruntime`)",
                 ".onnx (--onnx-rounding tflite)": "its `.onnx --onnx-rounding tflite`"}


def render_parity(rows: list) -> str:
    lines = ["| build | instructions | arena | kernels as the `.tflite`'s |", "|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {PARITY_BUILDS[r['build']].format(label=r['label'])} | {r['instructions']:,} | "
                     f"{r['arena']:,} B | {r['kernels_as_tflite']} of {r['layers']} |")
    return "\n".join(lines)


FIGURES = [
    Figure("onnx-agreement", "quantized ONNX models: tinygen's reference against onnxruntime "
           "(benchmarks/onnx_agreement.py)", measure_agreement, render_agreement, minutes=8, quick_minutes=2,
           rows=("model", "form", "variant"),
           # TFLite's two roundings land on onnxruntime's float ties in the QDQ graphs (float Conv between
           # DequantizeLinear and QuantizeLinear), whose last bits follow the CPU's summation order: shown,
           # never compared (kws qdq: 17 bytes differing on an Intel Xeon, 15 on an AMD EPYC, both AVX-512)
           volatile=("double_rounding_exact", "double_rounding_bytes_differing", "double_rounding_max_lsb")),
    Figure("onnx-digits", "the digits CNN through ONNX on the f746zg stand-in (examples/onnx/digits_onnx.py)",
           measure_digits, render_digits, minutes=6,
           # the fused session's agreement depends on the CPU (shown, labelled, never compared)
           volatile=("ms", "seconds", "onnx_vs_onnxruntime_fused"),
           counts=("onnx_instructions", "pytorch_instructions")),
    Figure("onnx-parity", "the MLPerf Tiny KWS DS-CNN and AD autoencoder from .tflite and from QDQ ONNX on the "
           "f746zg stand-in (benchmarks/onnx_parity.py)", measure_parity, render_parity, minutes=3,
           quick_minutes=0.5, rows=("model", "build")),
]
