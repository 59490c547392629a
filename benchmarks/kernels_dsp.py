"""Portable C kernels against the ARMv7E-M DSP kernels, on a Cortex-M stand-in.

    .venv/bin/python benchmarks/kernels_dsp.py [--board f746zg] [--models kws dscnn] [--json out.json]
    .venv/bin/python benchmarks/kernels_dsp.py --specialize [--models kws vww ic ad]

Compiles each model twice for the board: once for a target without features
(portable C kernels only) and once with the board's ISA features (the DSP
kernels where the kernel table has one), builds both firmwares, and measures
one inference after a warm-up on the QEMU stand-in: executed instructions in
total and per layer, with the kernel each layer runs. The two firmwares'
outputs must be equal. With --specialize, the two firmwares are both built
with the DSP kernels, without and with per-layer specialization
(tinygen.kernels.specialize), and flash bytes are compared too. --timeout: seconds
of the emulator's own time per answer beyond the known work (tinygen.hil.deadline).
A benchmark, not a test: it prints instructions, never cycles.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from tinygen.hil.deadline import DEFAULT_TIMEOUT, add_timeout_option

ROOT = Path(__file__).resolve().parents[1]
MLPERF = ROOT / "examples" / "mlperf-tiny"
MODELS = {
    "kws": MLPERF / "kws_dscnn_int8.tflite",
    "vww": MLPERF / "vww_mobilenet_int8.tflite",
    "ic": MLPERF / "ic_resnet8_int8.tflite",
    "ad": MLPERF / "ad_autoencoder_int8.tflite",
    "dscnn": ROOT / "examples" / "models" / "dscnn.py",
}


def measure(path: Path, board, features: frozenset, work: Path, specialize: bool = True,
            timeout: float = DEFAULT_TIMEOUT) -> dict:
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.hil.target import open_device
    from tinygen.passes import CompileOptions
    from tinygen.ref.interpreter import quantize_input

    source = load_source(path)
    graph = compile_source(source, "random" if source.default_calibration is None else None,
                           CompileOptions(features=features))
    graph.meta["specialize"] = specialize
    result = build(source, graph, board, work)
    rng = np.random.default_rng(0)
    if source.graph.meta.get("quantized"):
        x = rng.integers(-128, 128, size=source.input_shape).astype(np.int8)
    else:
        x = quantize_input(graph, source.to_graph_layout(rng.standard_normal(source.input_shape).astype(np.float32)))
    with open_device(board, result.out_dir, emulate=True, timeout=timeout) as dev:
        dev.run(x.tobytes())                       # warm-up
        raw, count = dev.run(x.tobytes())
        layers, _, _ = dev.layers()
    kernels = [n.kernel for n in graph.nodes if n.kernel]
    return {"instructions": count, "output": raw.hex(),
            "flash": result.manifest["memory"]["firmware.elf"]["flash"]["used"],
            "layers": [{"name": layer.name, "kernel": k, "instructions": layer.count}
                       for layer, k in zip(layers, kernels)]}


def main(argv=None) -> int:
    from tinygen.board import get_board

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="f746zg")
    ap.add_argument("--models", nargs="+", default=["kws", "dscnn"], choices=list(MODELS))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--specialize", action="store_true",
                    help="compare the DSP kernels without and with per-layer specialization")
    add_timeout_option(ap)
    args = ap.parse_args(argv)
    board = get_board(args.board)
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            if args.specialize:
                labels = ("generic", "specialized")
                base = measure(MODELS[name], board, board.isa_features, Path(tmp) / f"{name}-generic", False,
                               args.timeout)
                new = measure(MODELS[name], board, board.isa_features, Path(tmp) / f"{name}-specialized", True,
                              args.timeout)
            else:
                labels = ("portable", "dsp")
                base = measure(MODELS[name], board, frozenset(), Path(tmp) / f"{name}-portable", True, args.timeout)
                new = measure(MODELS[name], board, board.isa_features, Path(tmp) / f"{name}-dsp", True, args.timeout)
            if base.pop("output") != new.pop("output"):
                print(f"{name}: the {labels[1]} firmware's output differs from the {labels[0]} one", file=sys.stderr)
                return 1
            report[name] = dict(zip(labels, (base, new)))
            print(f"{name} on the {board.name} stand-in: {base['instructions']:,} instructions {labels[0]}, "
                  f"{new['instructions']:,} {labels[1]} ({base['instructions'] / new['instructions']:.3f}x); "
                  f"flash {base['flash']:,} -> {new['flash']:,} B")
            for p, d in zip(base["layers"], new["layers"]):
                if p["kernel"] != d["kernel"] or (args.specialize and p["instructions"] != d["instructions"]):
                    print(f"  {p['name']:<32} {p['instructions']:>11,} -> {d['instructions']:>11,}  {d['kernel']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
