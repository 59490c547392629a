"""The figures of the guide's performance, kernel-library, models, usage and testing pages (benchmarks/figures.py).

Each Figure names the benchmark that measures it and renders its JSON as the Markdown between
the figure's markers; benchmarks/figure_list.py collects them with the README's.
"""

from __future__ import annotations

import json
from pathlib import Path

import zoo
from figure_engine import Figure, python


# ---------------------------------------------------------------------------------------- the mobile model zoo

ZOO_QUICK = ("shufflenet_v2_x0_5",)


def measure_zoo(work: Path, quick: bool) -> list:
    """benchmarks/zoo.py: the five zoo models (quick: ShuffleNetV2 alone)."""
    python("benchmarks/zoo.py", "--json", work / "zoo.json", *(ZOO_QUICK if quick else ()))
    return json.loads((work / "zoo.json").read_text())


def render_zoo(rows: list) -> str:
    return zoo.markdown(rows)


# ---------------------------------------------------------------------------------------- flash prediction

def measure_flash_prediction(work: Path, quick: bool) -> list:
    """benchmarks/flash_prediction.py: MLPerf Tiny on the f746zg and f446re, MobileNetV2 0.35 on the
    f446re (quick: KWS and AD on the f446re)."""
    quick_args = ("--boards", "f446re", "--models", "kws_dscnn,ad_autoencoder", "--no-mobilenetv2")
    python("benchmarks/flash_prediction.py", "--json", work / "flash.json", *(quick_args if quick else ()))
    return json.loads((work / "flash.json").read_text())


FLASH_NAMES = {"kws_dscnn_int8": "KWS (DS-CNN)", "vww_mobilenet_int8": "VWW (MobileNetV1 0.25)",
               "ic_resnet8_int8": "IC (ResNet-8)", "ad_autoencoder_int8": "AD (autoencoder)",
               "mobilenetv2": "MobileNetV2 0.35, 96x96 (tiled)"}


def render_flash_prediction(rows: list) -> str:
    lines = ["| model | board | predicted | old estimate | `firmware.elf` | `firmware-emu.elf` | error |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        top = max(r["linked"].values())
        lines.append(f"| {FLASH_NAMES.get(r['model'], r['model'])} | {r['board']} | {r['predicted']:,} | "
                     f"{r['estimate']:,} | {r['linked'].get('firmware.elf', 0):,} | "
                     f"{r['linked'].get('firmware-emu.elf', 0):,} | {100.0 * (r['predicted'] - top) / top:+.2f}% |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- operators

OPERATORS = """
import json
from tinygen.frontend.tflite import FLOAT_OPS, INT16_OPS, SUPPORTED_OPS
from tinygen.frontend.tflite.op_types import custom_operators, operator_types
from tinygen.frontend.torch import SUPPORTED_LAYERS
from tinygen.frontend.torch_advice import _ADVICE, DATA_DEPENDENT, ELEMENTWISE, GENERAL, RANDOM
print(json.dumps({"tflite": list(SUPPORTED_OPS), "tflite_int16": list(INT16_OPS), "tflite_float32": list(FLOAT_OPS),
                  "tflite_types": operator_types(), "tflite_custom": custom_operators(),
                  "torch": list(SUPPORTED_LAYERS),
                  "refused": _ADVICE,
                  "families": [["a random op (rand..., bernoulli, normal, ...)", RANDOM],
                               ["its output's size depends on the input's values (torch's dynamic_output_shape "
                                "or data_dependent_output tag)", DATA_DEPENDENT],
                               ["an elementwise function (torch's pointwise tag)", ELEMENTWISE],
                               ["any other", GENERAL]]}))
"""


def measure_operators(work: Path, quick: bool) -> dict:
    """The frontends' own tables: what each accepts, and the rewrite each refusal suggests."""
    return json.loads(python("-c", OPERATORS))


def render_operators(r: dict) -> str:
    torch = "\n".join(f"- {layer}" for layer in r["torch"])
    yes = {True: "yes", False: "-"}
    tflite = "\n".join(f"| `{op}` | {yes[t['int8']]} | {yes[t['int16']]} | {yes[t['float32']]} | {t['other'] or '-'} |"
                       for op, t in r["tflite_types"].items())
    custom = ", ".join(f"`{op}`" for op in r["tflite_custom"])
    by_use: dict[str, list[str]] = {}          # one row per line, its operators together
    for op, use in sorted(r["refused"].items()):
        by_use.setdefault(use, []).append(f"`{op.removeprefix('aten.')}`")
    refused = "\n".join(f"| {', '.join(ops)} | {use} |" for use, ops in by_use.items())
    families = "\n".join(f"| {family} | {use} |" for family, use in r.get("families", []))
    text = (f"PyTorch layers and functions the frontend accepts (`tinygen/frontend/torch.py`, "
            f"`SUPPORTED_LAYERS`):\n\n{torch}\n\n"
            f"`.tflite` operators (`tinygen/frontend/tflite/importer.py`, `SUPPORTED_OPS`), besides fused "
            f"activations, and the tensor types each runs on (`tinygen/frontend/tflite/op_types.py`): quantized "
            f"int8, int16 (TFLite's 16x8 quantization, `INT16_OPS`), float32 (a float model run as it is, "
            f"`FLOAT_OPS`), and unquantized integers or bools:\n\n"
            f"| operator | int8 | int16 | float32 | other types |\n|---|---|---|---|---|\n{tflite}\n\n"
            f"Custom operators, on the types TFLite Micro's kernels take (the signal library's and "
            f"CIRCULAR_BUFFER's integers; DETECTION_POSTPROCESS's float32, inside an int8 model too): {custom}.\n\n"
            f"PyTorch operators (or forms of them) tinygen does not compile, and the rewrite its refusal "
            f"suggests or why the operator cannot run on a microcontroller (`tinygen/frontend/torch_advice.py`):"
            f"\n\n| operator | what to use, or why not |\n|---|---|\n{refused}")
    if families:
        text += (f"\n\nEvery other operator tinygen has no handler for gets its family's line, the first "
                 f"that applies:\n\n"
                 f"| family | line |\n|---|---|\n{families}")
    return text


# ---------------------------------------------------------------------------------------- depthwise shapes

DEPTHWISE_QUICK = ("temporal_k3", "vww_3x3_s1", "multiplier2_3x3")


def measure_depthwise(work: Path, quick: bool) -> list:
    """benchmarks/depthwise_shapes.py on the f746zg stand-in: each shape's kernel and instructions per MAC."""
    python("benchmarks/depthwise_shapes.py", "--board", "f746zg", "--json", work / "dw.json",
           *(("--shapes", *DEPTHWISE_QUICK) if quick else ()))
    return json.loads((work / "dw.json").read_text())


def render_depthwise(rows: list) -> str:
    lines = ["| shape | kernel it takes | MACs | instructions | per MAC | == reference |",
             "|---|---|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| `{r['shape']}` | `{r['kernel']}` | {r['macs']:,} | {r['instructions']:,} "
                     f"| {r['instructions_per_mac']:.2f} | {'yes' if r['equals_reference'] else '**no**'} |")
    return "\n".join(lines)


PORTABLE_DEPTHWISE = "tg_depthwise_conv2d_s8"


def measure_micro_speech(work: Path, quick: bool) -> list:
    """benchmarks/micro_speech.py on the f746zg stand-in: the micro-speech-shaped model per layer and
    whole, with the default kernels and with the depthwise layer on the portable kernel (quick: the
    default kernels alone)."""
    rows = []
    for build, extra in (("default", ()), ("portable depthwise", ("--kernel", PORTABLE_DEPTHWISE)))[:1 if quick else 2]:
        python("benchmarks/micro_speech.py", "--board", "f746zg", "--json", work / "ms.json", *extra)
        r = json.loads((work / "ms.json").read_text())
        rows += [{"build": build, **layer} for layer in r["layers"]]
        rows.append({"build": build, "layer": "whole model", "kernel": "", "macs": r["macs"],
                     "instructions": r["instructions"], "equals_reference": r["equals_reference"]})
    return rows


def render_micro_speech(rows: list) -> str:
    lines = ["| build | layer | kernel | MACs | instructions | per MAC | == reference |",
             "|---|---|---|---:|---:|---:|---|"]
    for r in rows:
        per_mac = f"{r['instructions'] / r['macs']:.2f}" if r["macs"] else "-"
        same = ("yes" if r["equals_reference"] else "**no**") if "equals_reference" in r else ""
        kernel = f"`{r['kernel']}`" if r["kernel"] else ""
        lines.append(f"| {r['build']} | {r['layer']} | {kernel} | {r['macs']:,} | {r['instructions']:,} | {per_mac} "
                     f"| {same} |")
    return "\n".join(lines)


def measure_sww(work: Path, quick: bool) -> list:
    """benchmarks/sww_standin.py: the streaming wake word shape per stand-in and kernel choice
    (quick: the f746zg's default build)."""
    python("benchmarks/sww_standin.py", "--json", work / "sww.json",
           *(("--boards", "f746zg", "--kernels", "auto") if quick else ()))
    return [{k: v for k, v in r.items() if k != "layers"} for r in json.loads((work / "sww.json").read_text())["rows"]]


def render_sww(rows: list) -> str:
    lines = ["| stand-in | `--kernels` | instructions (per MAC) | target | arena | flash | == reference |",
             "|---|---|---:|---|---:|---:|---|"]
    for r in rows:
        met = "met" if r["instructions_per_mac"] <= r["target_per_mac"] else "not met"
        lines.append(f"| `{r['board']}` (`{r['machine']}`) | {r['kernels']} | {r['instructions']:,} "
                     f"({r['instructions_per_mac']:.2f}) | <= {r['target_per_mac']:g} per MAC: {met} | {r['arena']:,} B "
                     f"| {r['flash']:,} B | {'yes' if r['equals_reference'] else '**no**'} |")
    return "\n".join(lines)


FIGURES: list[Figure] = [
    Figure("flash-prediction", "the fit's flash prediction against the linked images (benchmarks/flash_prediction.py)",
           measure_flash_prediction, render_flash_prediction, minutes=6, quick_minutes=1.5, rows=("model", "board")),
    Figure("depthwise-shapes", "depthwise layers per shape on the f746zg stand-in (benchmarks/depthwise_shapes.py)",
           measure_depthwise, render_depthwise, minutes=5, quick_minutes=1.5, rows=("shape",)),
    Figure("micro-speech", "TFLite Micro's micro-speech model's shape on the f746zg stand-in, per layer "
           "(benchmarks/micro_speech.py)", measure_micro_speech, render_micro_speech, minutes=0.5,
           quick_minutes=0.3, rows=("build", "layer")),
    Figure("sww-standin", "the streaming wake word network's shape on the f746zg and f446re stand-ins "
           "(benchmarks/sww_standin.py)", measure_sww, render_sww, minutes=5, quick_minutes=1,
           rows=("board", "kernels")),
    Figure("operators", "the operators each frontend accepts and the rewrites it suggests (the frontends' tables)",
           measure_operators, render_operators, minutes=0.1),
    Figure("zoo", "the mobile model zoo at 96x96: MACs, flash, arena, bit-exactness, int8 error, fit (benchmarks/zoo.py)",
           measure_zoo, render_zoo, minutes=5, quick_minutes=1.5, rows=("model",), tolerant=("error",),
           # the errors are against torch's float output, and both int8 paths calibrate on torch's float
           # sums, whose order follows the CPU's vector width: ShuffleNetV2's PyTorch PTQ error is 0.0458
           # here (AVX-512), 0.0443 with torch's AVX2 kernels (ATEN_CPU_CAPABILITY=avx2 ...), 3.2% apart
           rel_tol=0.05),
]
