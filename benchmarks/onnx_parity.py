"""The same int8 network from .tflite and from ONNX: kernels, executed instructions and arena.

The MLPerf Tiny KWS DS-CNN and AD autoencoder (an MLP of ten fully connected layers;
examples/mlperf-tiny/) are written back out as
QDQ ONNX with the same integers and scales (tests/onnx_parity_lib.py), and `tinygen inspect
--board f746zg` (--kernels auto: per layer the fastest kernel by instructions measured on the
f746zg stand-in, QEMU's Cortex-M7) reports each build: the .tflite, the .onnx with the default
--onnx-rounding onnxruntime (the requantization pair that rounds once, as onnxruntime does, which
the DSP kernels take in their rounds-once mode, tinygen/kernels/specialize.py ONCE) and with
--onnx-rounding tflite (TFLite's normalized pair, within 1 LSB of onnxruntime per layer).

Measured (docs/onnx.md): KWS 3,040,622 instructions (.tflite), 3,039,240 (.onnx default),
3,040,622 (.onnx tflite rounding), arena 10,880 B each, 12 of 12 kernels as the .tflite's;
AD 356,724, 345,309 (its shallow layer on the batch-1 kernel: 9 of 10), 356,724, arena 768 B.

    .venv/bin/python benchmarks/onnx_parity.py [--json out.json]
"""

from __future__ import annotations

import argparse
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


def inspect(path: Path, tmp: Path, *extra: str) -> dict:
    out = tmp / "inspect.json"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["inspect", str(path), "--board", "f746zg", "--json", str(out), *extra]) == 0
    data = json.loads(out.read_text())
    layers = data["kernels"]["layers"]
    return {"instructions": sum(r["instructions"] or 0 for r in layers), "arena": data["arena_size"],
            "kernels": [r["kernel"] for r in layers]}


def main_() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="write the rows here")
    args = ap.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for model, label in (("kws_dscnn", "KWS DS-CNN"), ("ad_autoencoder", "AD autoencoder (MLP)")):
            tfl = mlperf_model(model)
            onnx_path = tflite_as_qdq(load_source(tfl).graph, tmp / f"{model}.onnx")
            rows[label] = {".tflite": inspect(tfl, tmp), ".onnx (--onnx-rounding onnxruntime)": inspect(onnx_path, tmp),
                           ".onnx (--onnx-rounding tflite)": inspect(onnx_path, tmp, "--onnx-rounding", "tflite")}
    print(f"{'on the f746zg stand-in':52s} {'instructions':>12s} {'vs .tflite':>10s} {'arena B':>8s} "
          f"{'kernels as .tflite':>18s}")
    for label, builds in rows.items():
        base = builds[".tflite"]
        for name, r in builds.items():
            same = sum(a == b for a, b in zip(r["kernels"], base["kernels"]))
            print(f"{label + ' ' + name:52s} {r['instructions']:12,d} {r['instructions'] / base['instructions']:9.3f}x "
                  f"{r['arena']:8d} {same:>11d} of {len(base['kernels'])}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main_())
