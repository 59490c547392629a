"""TFLite Micro's compressed models: file sizes and what tinygen keeps in flash.

    .venv/bin/python benchmarks/tflm_compressed.py [--models kws_dscnn ic_resnet8] [--json out.json]

Each MLPerf model's weights clustered to 16 values per tensor or per quantization channel and
compressed with 4-bit LUT indices by TFLM's own compressor (tests/tflm_compress_lib.py, as the
tests do), then imported by tinygen. Per model and clustering it prints: the int8 .tflite's
size, TFLM's compressed file's, the int8 weights' bytes, what the codebooks tinygen imports
hold when packed (Codebook.packed_bytes: the indices at 4 bits plus the tables, 16 int8 values
each), and the flash tinygen's compiled graph gives its layers' constants (weights, biases,
requantization constants: the figure `tinygen inspect` totals) next to the int8 model's.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from tflm_compress_lib import clustered, tflm_compressed  # noqa: E402
from tinygen.compiler import compile_source, load_source  # noqa: E402
from tinygen.passes.analysis import layer_stats  # noqa: E402

MODELS = ("kws_dscnn", "ic_resnet8")
VALUES, BITS = 16, 4
GROUPINGS = {"tensor": False, "channel": True}


def flash(path: Path) -> tuple[int, int, int]:
    """(int8 weight bytes, their codebooks' packed bytes, the compiled layers' constant bytes)."""
    graph = compile_source(load_source(path))
    weights = [t for t in graph.tensors.values() if t.codebook is not None]
    return (sum(t.data.size for t in weights), sum(t.codebook.packed_bytes() for t in weights),
            sum(s.param_bytes for s in layer_stats(graph)))


def measure(name: str, folder: Path) -> list[dict]:
    original = ROOT / "examples" / "mlperf-tiny" / f"{name}_int8.tflite"
    plain_flash = sum(s.param_bytes for s in layer_stats(compile_source(load_source(original))))
    rows = []
    for grouping, per_channel in GROUPINGS.items():
        data = clustered(original.read_bytes(), VALUES, per_channel)
        packed = tflm_compressed(data, BITS)
        path = folder / f"{name}_{grouping}.tflite"
        path.write_bytes(packed)
        weights, codebooks, layers = flash(path)
        rows.append({"model": name, "clustering": grouping, "int8_file": original.stat().st_size,
                     "tflm_file": len(packed), "int8_weights": weights, "codebooks_packed": codebooks,
                     "layers_flash": layers, "int8_layers_flash": plain_flash})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            rows += measure(name, Path(tmp))
    head = ("model", "clustering", "int8 file", "TFLM file", "int8 weights", "codebooks packed", "layers flash",
            "int8 layers flash")
    print("  ".join(f"{h:>17}" for h in head))
    for r in rows:
        print("  ".join(f"{v:>17}" for v in r.values()))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
