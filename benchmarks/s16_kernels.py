"""The 16x8 multiply-accumulate layers on the f746zg stand-in: executed instructions of one layer
in int8 with tinygen's DSP int8 kernels, in int16 with the portable kernels, and in int16 with
the DSP kernels (firmware/kernels/*/tg_*_s16_dsp.c), and the ratio int16 DSP / int8 DSP.

    .venv/bin/python benchmarks/s16_kernels.py [--board f746zg] [--shapes conv3x3 ...] [--json out.json]

Each shape is a one-layer .tflite built in memory (tests/tflite_builder.py; seeded random int8
weights per channel, int32 biases for int8, int64 for int16), compiled three times for the
board: int8 with its ISA features (the default kernel choice), int16 without features (the
portable tg_*_s16 kernels), int16 with its features (the default: the DSP kernels). Each
firmware runs one inference after a warm-up on the QEMU stand-in (mps2-an500 for the F746's
Cortex-M7); the layer's instructions come from the port's counter, and the output must equal
the numpy reference. A benchmark, not a test: it prints instructions, never cycles.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from tflite.Padding import Padding

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.deadline import add_timeout_option
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions
from tinygen.passes.analysis import node_macs
from tinygen.ref.interpreter import run
from tinygen.report import table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from tflite_builder import ModelBuilder  # noqa: E402

# name: (op, input [h, w, c] or [features], output channels, kernel (h, w)[, stride])
SHAPES = {
    "conv3x3_32_32_20x40": ("CONV_2D", [20, 40, 32], 32, (3, 3)),
    "conv1x1_64_64_16x16": ("CONV_2D", [16, 16, 64], 64, (1, 1)),
    "dw3x3_32_20x40": ("DEPTHWISE_CONV_2D", [20, 40, 32], 32, (3, 3)),
    # the depthwise shapes other than 3x3 stride 1 (tg_depthwise_conv2d_rows_s16_dsp's)
    "dw3x3s2_32_20x40": ("DEPTHWISE_CONV_2D", [20, 40, 32], 32, (3, 3), 2),
    "dw5x5_32_16x16": ("DEPTHWISE_CONV_2D", [16, 16, 32], 32, (5, 5)),
    "dw5x5s2_32_16x16": ("DEPTHWISE_CONV_2D", [16, 16, 32], 32, (5, 5), 2),
    "dw3x1_32_20x20": ("DEPTHWISE_CONV_2D", [20, 20, 32], 32, (3, 1)),
    "dw1x3_32_20x20": ("DEPTHWISE_CONV_2D", [20, 20, 32], 32, (1, 3)),
    "fc_256_64": ("FULLY_CONNECTED", [256], 64, None),
}


def layer_model(shape, dtype: str, seed: int = 0) -> bytes:
    """A one-layer model of `shape` with activations of `dtype` (int8: random zero points; int16:
    zero point 0, TFLite's 16x8 quantization)."""
    op, in_shape, out_c, kernel, stride = (*shape, 1)[:5]
    rng = np.random.default_rng(seed)
    b = ModelBuilder(f"tinygen: {op} {dtype}")
    s16 = dtype == "int16"
    zp = (lambda: 0) if s16 else (lambda: int(rng.integers(-20, 20)))
    x = b.tensor("x", [1, *in_shape], dtype, scale=1e-3 if s16 else 0.02, zero_point=zp())
    if op == "FULLY_CONNECTED":
        w_shape, axis, out_shape, taps = [out_c, in_shape[0]], 0, [1, out_c], in_shape[0]
    elif op == "CONV_2D":
        w_shape, axis, out_shape = [out_c, *kernel, in_shape[2]], 0, [1, in_shape[0], in_shape[1], out_c]
        taps = kernel[0] * kernel[1] * in_shape[2]
    else:
        w_shape, axis = [1, *kernel, out_c], 3
        out_shape = [1, -(-in_shape[0] // stride), -(-in_shape[1] // stride), out_c]     # SAME
        taps = kernel[0] * kernel[1]
    scales = rng.uniform(0.002, 0.02, out_c)
    w = b.tensor("w", w_shape, scale=list(scales), zero_point=[0] * out_c, axis=axis,
                 data=rng.integers(-127, 128, w_shape))
    bias = b.tensor("bias", [out_c], "int64" if s16 else "int32", scale=list(scales * (1e-3 if s16 else 0.02)),
                    zero_point=[0] * out_c, data=rng.integers(-2000, 2000, out_c))
    y = b.tensor("y", out_shape, dtype, scale=float(np.sqrt(taps)) * (1.3e-3 if s16 else 0.05), zero_point=zp())
    if op == "FULLY_CONNECTED":
        b.op(op, [x, w, bias], [y], "FullyConnectedOptions")
    elif op == "CONV_2D":
        b.op(op, [x, w, bias], [y], "Conv2DOptions", Padding=Padding.SAME, StrideH=1, StrideW=1,
             DilationHFactor=1, DilationWFactor=1)
    else:
        b.op(op, [x, w, bias], [y], "DepthwiseConv2DOptions", Padding=Padding.SAME, StrideH=stride, StrideW=stride,
             DepthMultiplier=1, DilationHFactor=1, DilationWFactor=1)
    return b.finish([x], [y])


def measure(model: bytes, board, features: frozenset, work: Path, timeout: float) -> dict:
    """The layer's kernel, MACs and instructions on the board's stand-in, and whether the output
    equals the numpy reference."""
    work.mkdir(parents=True)
    path = work / "m.tflite"
    path.write_bytes(model)
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=features, lower_peak=False))
    node = next(n for n in graph.nodes if n.kernel)
    result = build(source, graph, board, work / "fw")
    dtype = np.dtype(graph.tensor(graph.inputs[0]).dtype)
    info = np.iinfo(dtype)
    x = np.random.default_rng(1).integers(info.min, info.max + 1, graph.tensor(graph.inputs[0]).shape).astype(dtype)
    with open_device(board, result.out_dir, emulate=True, timeout=timeout) as dev:
        dev.run(x.tobytes())
        raw, _ = dev.run(x.tobytes())
        layers, _, _ = dev.layers()
    want = run(graph, x)[graph.outputs[0]]
    return {"kernel": node.kernel, "macs": node_macs(graph, node),
            "instructions": next(layer.count for layer in layers if layer.name == node.name),
            "equals_reference": bool(np.array_equal(np.frombuffer(raw, want.dtype), want.ravel()))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--board", default="f746zg")
    ap.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    ap.add_argument("--json", type=Path)
    add_timeout_option(ap)
    args = ap.parse_args(argv)
    board = get_board(args.board)
    features = frozenset(board.isa_features)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.shapes:
            print(f"building and running {name} on the {board.name} stand-in...", file=sys.stderr, flush=True)
            runs = {label: measure(layer_model(SHAPES[name], dtype), board, feats, Path(tmp) / name / label,
                                   args.timeout)
                    for label, dtype, feats in (("int8_dsp", "int8", features), ("int16_portable", "int16", frozenset()),
                                                ("int16_dsp", "int16", features))}
            rows.append({"shape": name, **runs, "ratio": runs["int16_dsp"]["instructions"]
                         / runs["int8_dsp"]["instructions"]})
    print(table(["shape", "MACs", "int8 DSP", "int16 portable", "int16 DSP", "int16 DSP / int8 DSP", "== reference"],
                [[r["shape"], f"{r['int8_dsp']['macs']:,}",
                  *(f"{r[k]['instructions']:,} ({r[k]['kernel']})" for k in ("int8_dsp", "int16_portable", "int16_dsp")),
                  f"{r['ratio']:.2f}",
                  "yes" if all(r[k]["equals_reference"] for k in ("int8_dsp", "int16_portable", "int16_dsp")) else "NO"]
                 for r in rows], "lrrrrrl"))
    print(f"(executed instructions of the layer on the {board.emulator['machine']} stand-in, one inference after a "
          "warm-up; the int8 layer with the board's default DSP kernel)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0 if all(r[k]["equals_reference"] for r in rows for k in ("int8_dsp", "int16_portable", "int16_dsp")) else 1


if __name__ == "__main__":
    sys.exit(main())
