"""The figures of the recurrent models (benchmarks/figures.py): the GRU keyword spotter beside the
DS-CNN on the f746zg stand-in (benchmarks/kws_recurrent.py, docs/models.md), and the LSTM and SVDF
layers against TFLite Micro + CMSIS-NN on the Cortex-M7, M4 and M33 stand-ins in estimated cycles
(benchmarks/recurrent.py, docs/performance.md; issue 72's target: the LSTM in at least 3x fewer).
"""

from __future__ import annotations

import json
from pathlib import Path

from figure_engine import Figure, python
from tinygen.report import human_bytes

KWS_KEEP = ("model", "compiled", "stream_mode", "standin", "bit_exact", "instructions", "flash", "ram", "weights",
            "arena", "audio_clips", "audio_accuracy", "audio_exact", "frontend_instructions", "network_instructions",
            "stream_keywords", "stream_hits", "stream_false_accepts", "stream_exact", "stream_inferences",
            "stream_network_per_inference")


def kws_rows(report: list) -> list:
    """benchmarks/kws_recurrent.py's JSON -> the figure's rows."""
    return [{k: r.get(k) for k in KWS_KEEP} for r in report]


def measure_kws(work: Path, quick: bool) -> list:
    python("benchmarks/kws_recurrent.py", "--work", work / "kws", "--json", work / "kws.json",
           *(("--models", "gru") if quick else ()))
    return kws_rows(json.loads((work / "kws.json").read_text()))


def render_kws(rows: list) -> str:
    lines = ["| model | int8, host reference | as stream windows | on the f746zg stand-in | bit-exact "
             "| instructions / inference | flash | RAM | weights | arena |",
             "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['compiled']:.2%} | {r['stream_mode']:.2%} | {r['standin']:.2%} "
                     f"| {r['bit_exact']} | {r['instructions']:,.0f} | {human_bytes(r['flash'])} "
                     f"| {human_bytes(r['ram'])} | {human_bytes(r['weights'])} | {human_bytes(r['arena'])} |")
    lines += ["", "Through the firmware's MFCC front end (`tinygen listen --emulate`): test clips as WAV files, "
              "and a recording of the test voices in stream mode:", "",
              "| model | clips | accuracy | outputs exact | front end / clip | network / clip | recording: keywords "
              "| hits | false accepts | inferences | exact | network / inference |",
              "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['audio_clips']} | {r['audio_accuracy']:.2%} | {r['audio_exact']} "
                     f"| {r['frontend_instructions']:,.0f} | {r['network_instructions']:,.0f} "
                     f"| {r['stream_keywords']} | {r['stream_hits']} | {r['stream_false_accepts']} "
                     f"| {r['stream_inferences']} | {'yes' if r['stream_exact'] else '**no**'} "
                     f"| {r['stream_network_per_inference']:,.0f} |")
    return "\n".join(lines)


LAYER_BOARDS = ("f746zg", "f446re", "u585")
LSTM_TARGET = 3.0            # issue 72: at least 3x fewer est. cycles than TFLM + CMSIS-NN


def measure_layers(work: Path, quick: bool) -> list:
    """benchmarks/recurrent.py per board, the default build's constants (--weights-in auto), the LSTM and
    SVDF (int8 .tflite layers with seeded weights; CMSIS-NN has no GRU) with tinygen's and CMSIS-NN's
    kernels (quick: the f746zg's LSTM)."""
    rows = []
    for board in LAYER_BOARDS[:1] if quick else LAYER_BOARDS:
        out = work / f"recurrent-{board}.json"
        python("benchmarks/recurrent.py", "--board", board, "--layers", "lstm" if quick else "lstm,svdf",
               "--weights-in", "auto", "--json", out)
        rows += [r for r in json.loads(out.read_text()) if r["kernels"] in ("tinygen", "cmsis-nn")]
    return rows


def render_layers(rows: list) -> str:
    base = {(r["board"], r["layer"]): r for r in rows if r["kernels"] == "cmsis-nn"}
    lines = ["| board | layer | `--kernels` | kernel | instructions (per MAC) | est. cycles | TFLM + CMSIS-NN / it, "
             "est. cycles | target | arena | flash |",
             "|---|---|---|---|---:|---:|---:|---|---:|---:|"]
    for r in rows:
        ref = base[(r["board"], r["layer"])]
        ratio = ref["cycles"] / r["cycles"]
        target = ""
        if r["layer"] == "LSTM" and r["kernels"] == "tinygen":
            target = f">= {LSTM_TARGET:g}x: " + ("met" if ratio >= LSTM_TARGET else "**not met**")
        lines.append(f"| {r['board']} | {r['layer']} | {r['kernels']} | `{r['kernel']}` "
                     f"| {r['instructions']:,} ({r['instructions'] / r['macs']:.2f}) | {r['cycles']:,.0f} "
                     f"| {ratio:.2f}x | {target} | {human_bytes(r['arena'])} | {human_bytes(r['flash'])} |")
    return "\n".join(lines)


FIGURES = [
    Figure("recurrent-layers", "the LSTM and SVDF layers against TFLite Micro + CMSIS-NN in estimated cycles on the "
           "Cortex-M7, M4 and M33 stand-ins (benchmarks/recurrent.py)", measure_layers, render_layers, minutes=4,
           quick_minutes=1, rows=("board", "layer", "kernels")),
    Figure("kws-recurrent", "the GRU keyword spotter beside the DS-CNN on the f746zg stand-in, features and audio "
           "(benchmarks/kws_recurrent.py)", measure_kws, render_kws, minutes=10, quick_minutes=5, rows=("model",)),
]
