"""Portable C kernels against the ARMv7E-M DSP kernels, on a Cortex-M stand-in.

    .venv/bin/python benchmarks/kernels_dsp.py [--board f746zg] [--models kws dscnn] [--json out.json]

Compiles each model twice for the board: once for a target without features
(portable C kernels only) and once with the board's ISA features (the DSP
kernels where the kernel table has one), builds both firmwares, and measures
one inference after a warm-up on the QEMU stand-in: executed instructions in
total and per layer, with the kernel each layer runs. The two firmwares'
outputs must be equal. A benchmark, not a test: it prints instructions, never
cycles.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS = {
    "kws": ROOT.parent / "shared" / "models" / "mlperf-tiny" / "kws_dscnn_int8.tflite",
    "dscnn": ROOT / "examples" / "models" / "dscnn.py",
}


def measure(path: Path, board, features: frozenset, work: Path) -> dict:
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.hil.target import open_device
    from tinygen.passes import CompileOptions
    from tinygen.ref.interpreter import quantize_input

    source = load_source(path)
    graph = compile_source(source, "random" if source.default_calibration is None else None,
                           CompileOptions(features=features))
    result = build(source, graph, board, work)
    rng = np.random.default_rng(0)
    if source.graph.meta.get("quantized"):
        x = rng.integers(-128, 128, size=source.input_shape).astype(np.int8)
    else:
        x = quantize_input(graph, source.to_graph_layout(rng.standard_normal(source.input_shape).astype(np.float32)))
    with open_device(board, result.out_dir, emulate=True) as dev:
        dev.run(x.tobytes())                       # warm-up
        raw, count = dev.run(x.tobytes())
        layers, _, _ = dev.layers()
    kernels = [n.kernel for n in graph.nodes if n.kernel]
    return {"instructions": count, "output": raw.hex(),
            "layers": [{"name": layer.name, "kernel": k, "instructions": layer.count}
                       for layer, k in zip(layers, kernels)]}


def main(argv=None) -> int:
    from tinygen.board import get_board

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="f746zg")
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    board = get_board(args.board)
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            portable = measure(MODELS[name], board, frozenset(), Path(tmp) / f"{name}-portable")
            dsp = measure(MODELS[name], board, board.isa_features, Path(tmp) / f"{name}-dsp")
            if portable.pop("output") != dsp.pop("output"):
                print(f"{name}: the DSP firmware's output differs from the portable one", file=sys.stderr)
                return 1
            report[name] = {"portable": portable, "dsp": dsp}
            print(f"{name} on the {board.name} stand-in: {portable['instructions']:,} instructions portable, "
                  f"{dsp['instructions']:,} with {sorted(board.isa_features)} "
                  f"({portable['instructions'] / dsp['instructions']:.2f}x)")
            for p, d in zip(portable["layers"], dsp["layers"]):
                if p["kernel"] != d["kernel"]:
                    print(f"  {p['name']:<32} {p['instructions']:>11,} -> {d['instructions']:>11,}  {d['kernel']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
