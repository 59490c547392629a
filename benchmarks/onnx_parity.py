"""The same int8 network from .tflite and from ONNX: kernels, executed instructions and arena.

The MLPerf Tiny KWS DS-CNN and AD autoencoder (an MLP of ten fully connected layers;
examples/mlperf-tiny/) are written back out as
QDQ ONNX with the same integers and scales (tests/onnx_parity_lib.py), and `tinygen inspect
--board f746zg` (--kernels auto: per layer the fastest kernel by instructions measured on the
f746zg stand-in, QEMU's Cortex-M7) reports each build: the .tflite, the .onnx with the default
--onnx-rounding onnxruntime (the requantization pair that rounds once, as onnxruntime does, which
the DSP kernels take in their rounds-once mode, tinygen/kernels/specialize.py ONCE) and with
--onnx-rounding tflite (TFLite's normalized pair, within 1 LSB of onnxruntime per layer).

The measured rows are docs/onnx.md's figure onnx-parity (benchmarks/figure_onnx.py); --quick
measures the AD autoencoder only.

    .venv/bin/python benchmarks/onnx_parity.py [--quick] [--json out.json]
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from mlperf_models import mlperf_model  # noqa: E402
from onnx_parity_lib import tflite_as_qdq  # noqa: E402

from tinygen.cli import main  # noqa: E402
from tinygen.compiler import load_source  # noqa: E402
from figure_engine import rows_main  # noqa: E402


def inspect(path: Path, tmp: Path, *extra: str) -> dict:
    out = tmp / "inspect.json"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["inspect", str(path), "--board", "f746zg", "--json", str(out), *extra]) == 0
    data = json.loads(out.read_text())
    layers = data["kernels"]["layers"]
    return {"instructions": sum(r["instructions"] or 0 for r in layers), "arena": data["arena_size"],
            "kernels": [r["kernel"] for r in layers]}


MODELS = (("kws_dscnn", "KWS DS-CNN"), ("ad_autoencoder", "AD autoencoder (an MLP)"))
BUILDS = ((".tflite", "tflite", ()), (".onnx (--onnx-rounding onnxruntime)", "onnx", ()),
          (".onnx (--onnx-rounding tflite)", "onnx", ("--onnx-rounding", "tflite")))


def measure(models: tuple[tuple[str, str], ...]) -> list[dict]:
    """One row per model and build: instructions, arena, and how many layers got the .tflite's kernel."""
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for model, label in models:
            tfl = mlperf_model(model)
            paths = {"tflite": tfl, "onnx": tflite_as_qdq(load_source(tfl).graph, tmp / f"{model}.onnx")}
            base = None
            for build, source, extra in BUILDS:
                r = inspect(paths[source], tmp, *extra)
                base = base or r
                rows.append({"model": model, "label": label, "build": build, "instructions": r["instructions"],
                             "arena": r["arena"], "kernels": r["kernels"],
                             "kernels_as_tflite": sum(a == b for a, b in zip(r["kernels"], base["kernels"])),
                             "layers": len(base["kernels"])})
    return rows


def report(quick: bool) -> list[dict]:
    rows = measure(MODELS[1:] if quick else MODELS)
    print(f"{'on the f746zg stand-in':52s} {'instructions':>12s} {'vs .tflite':>10s} {'arena B':>8s} "
          f"{'kernels as .tflite':>18s}")
    base = {}
    for r in rows:
        b = base.setdefault(r["model"], r["instructions"])
        print(f"{r['label'] + ' ' + r['build']:52s} {r['instructions']:12,d} {r['instructions'] / b:9.3f}x "
              f"{r['arena']:8d} {r['kernels_as_tflite']:>11d} of {r['layers']}")
    return rows

if __name__ == "__main__":
    sys.exit(rows_main(__doc__, "the AD autoencoder only", report))
