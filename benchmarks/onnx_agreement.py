"""How close tinygen's int8 outputs come to onnxruntime's on quantized ONNX models.

The four test networks of tests/onnx_lib.py (a KWS-shaped CNN with depthwise layers, an MLP of
MatMul + Add + Sigmoid, a residual block, a MobileNet-style block with HardSwish), quantized by
onnxruntime's quantize_static in QDQ and QOperator form (uint8 activations, per-channel int8
weights, 7-bit in QOperator form, whose u8s8 kernels saturate on CPUs without VNNI; and the QDQ
variants int8 activations, per-tensor weights, symmetric int8 activations),
each run on the same seeded inputs by tinygen's reference (bit-exact with the generated C) and by
onnxruntime's graph as written (run_onnxruntime's default: graph optimizations off, the same on
every x86-64 CPU; its default session's fused kernels are not). Per model: the samples whose
every output byte equals onnxruntime's, those within 1 LSB, the largest difference and the same
top-1; once with tinygen's mapping (requantization that rounds once:
tinygen/frontend/onnx/quantized.py) and once with TFLite's normalized multipliers (two
roundings), to show what the mapping buys.

    .venv/bin/python benchmarks/onnx_agreement.py [--samples 200] [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import warnings
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from onnx_lib import MODELS, onnx_inputs, onnx_model  # noqa: E402

from tinygen.compiler import compile_source, load_source  # noqa: E402
from tinygen.frontend.onnx import quantized  # noqa: E402
from tinygen.hil.onnx_check import compare_outputs, run_onnxruntime  # noqa: E402
from tinygen.quant.fixedpoint import quantize_multiplier  # noqa: E402
from tinygen.ref.interpreter import quantize_input, run  # noqa: E402

VARIANTS = {"": {}, "int8 activations": {"activation": "int8"}, "per-tensor weights": {"per_channel": False},
            "symmetric int8 activations": {"activation": "int8", "symmetric_activations": True}}


def agreement(path: Path, name: str, samples: int, double_rounding: bool) -> dict:
    single = quantized.single_rounding_multiplier
    if double_rounding:             # TFLite's normalized multipliers, for comparison
        quantized.single_rounding_multiplier = quantize_multiplier
    try:
        source = load_source(path)
        graph = compile_source(source)
    finally:
        quantized.single_rounding_multiplier = single
    x = onnx_inputs(name, samples, seed=5)
    q = quantize_input(graph, source.to_graph_layout(x))
    ours = [[run(graph, q[i:i + 1])[o] for o in graph.outputs] for i in range(len(q))]
    return compare_outputs(graph, run_onnxruntime(path, [x]), ours).as_dict()


def measure(samples: int, quick: bool) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for variant, options in VARIANTS.items():
            if quick and variant:
                continue
            for name in MODELS[:2] if quick else MODELS:
                forms = ("qdq", "qoperator") if not variant else ("qdq",)
                for form in forms:
                    path = onnx_model(Path(tmp), name, form, **options)
                    ours = agreement(path, name, samples, False)
                    tflite = agreement(path, name, samples, True)
                    rows.append({"model": name, "form": form, "variant": variant or "uint8 activations",
                                 "samples": samples, "exact": ours["exact"], "within_1_lsb": ours["within_1_lsb"],
                                 "max_lsb": ours["max_lsb"], "bytes": ours["bytes"],
                                 "bytes_differing": ours["bytes_differing"], "top1_same": ours["top1_same"],
                                 "double_rounding_exact": tflite["exact"],
                                 "double_rounding_bytes_differing": tflite["bytes_differing"],
                                 "double_rounding_max_lsb": tflite["max_lsb"]})
                    print(f"{name:10s} {form:10s} {variant or 'uint8 activations':28s} equal {ours['exact']}/{samples}"
                          f" within 1 LSB {ours['within_1_lsb']}/{samples} (TFLite's rounding: equal "
                          f"{tflite['exact']}/{samples})", flush=True)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="two models, uint8 activations only")
    ap.add_argument("--json", help="write the rows here")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    rows = measure(args.samples, args.quick)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
