"""The TFLite Micro micro-speech keyword model's shape on a Cortex-M stand-in: executed instructions per MAC.

    .venv/bin/python benchmarks/micro_speech.py [--board f746zg] [--model X.tflite] [--kernel NAME] [--json out.json]

The model: input 1x49x40x1 int8, DEPTHWISE_CONV_2D from its one channel with depth multiplier 8
(10x8 window, h = 10, w = 8, stride 2, SAME, fused ReLU) to 1x25x20x8, FULLY_CONNECTED 4000 -> 4,
SOFTMAX. Built in memory (tests/tflite_builder.py: seeded random int8 weights, per-channel
scales, int32 bias) unless --model names a .tflite file (e.g. TFLite Micro's
micro_speech_quantized.tflite). Compiled for the board with its default kernels (or, with
--kernel, the depthwise layer on that kernel where it serves), built, run on the QEMU stand-in
(mps2-an500 for the F746): one inference after a warm-up, checked equal to the numpy
reference; prints each layer's kernel, MACs, instructions and instructions per MAC, and the
whole model's. The goal it was written for: at most 2.0 instructions per MAC for the whole
model on the f746zg stand-in (21.6 with the portable depthwise kernel). A benchmark, not a
test: it prints instructions, never cycles.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType as Act

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.hil.deadline import add_timeout_option
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions
from tinygen.passes.analysis import node_macs
from tinygen.passes.choose_kernels import kernel_candidates
from tinygen.ref.interpreter import run
from tinygen.report import table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from tflite_builder import ModelBuilder  # noqa: E402

IN_H, IN_W, MULT, KH, KW, STRIDE, CLASSES = 49, 40, 8, 10, 8, 2, 4


def micro_speech_model(seed: int = 0, in_h: int = IN_H, in_w: int = IN_W, mult: int = MULT, kernel=(KH, KW),
                       stride: int = STRIDE, padding: int = 0, act=Act.RELU) -> bytes:
    """An int8 .tflite of micro-speech's shape: DEPTHWISE_CONV_2D from 1 channel (depth multiplier
    `mult`, `kernel` = (h, w), stride, padding 0 SAME / 1 VALID, fused `act`), FULLY_CONNECTED to
    CLASSES, SOFTMAX; seeded random int8 weights with per-channel scales, int32 bias."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder("tinygen: micro-speech shape")
    kh, kw = kernel
    if padding == 0:
        out_h, out_w = -(-in_h // stride), -(-in_w // stride)
    else:
        out_h, out_w = (in_h - kh) // stride + 1, (in_w - kw) // stride + 1
    x_scale, y_scale = 0.1, 0.05
    x = b.tensor("input", [1, in_h, in_w, 1], scale=x_scale, zero_point=int(rng.integers(-128, 0)))
    w_scales = rng.uniform(0.002, 0.01, mult)
    w = b.tensor("dw_weights", [1, kh, kw, mult], scale=list(w_scales), zero_point=[0] * mult,
                 data=rng.integers(-127, 128, (1, kh, kw, mult)), axis=3)
    bias = b.tensor("dw_bias", [mult], "int32", scale=list(w_scales * x_scale), zero_point=[0] * mult,
                    data=rng.integers(-2000, 2000, mult))
    y = b.tensor("dw_out", [1, out_h, out_w, mult], scale=y_scale, zero_point=-128 if act == Act.RELU else -5)
    b.op("DEPTHWISE_CONV_2D", [x, w, bias], [y], "DepthwiseConv2DOptions", Padding=padding, StrideW=stride,
         StrideH=stride, DepthMultiplier=mult, FusedActivationFunction=act, DilationWFactor=1, DilationHFactor=1)
    flat = out_h * out_w * mult
    fw = b.tensor("fc_weights", [CLASSES, flat], scale=0.004, zero_point=0,
                  data=rng.integers(-127, 128, (CLASSES, flat)))
    fb = b.tensor("fc_bias", [CLASSES], "int32", scale=0.004 * y_scale, zero_point=0,
                  data=rng.integers(-500, 500, CLASSES))
    logits = b.tensor("logits", [1, CLASSES], scale=0.2, zero_point=10)
    b.op("FULLY_CONNECTED", [y, fw, fb], [logits], "FullyConnectedOptions", FusedActivationFunction=Act.NONE,
         WeightsFormat=0, KeepNumDims=False)
    probs = b.tensor("probs", [1, CLASSES], scale=1 / 256, zero_point=-128)
    b.op("SOFTMAX", [logits], [probs], "SoftmaxOptions", Beta=1.0)
    return b.finish([x], [probs])


def measure(path: Path, board, work: Path, timeout: float, kernel: str | None = None) -> dict:
    source = load_source(path)
    options = CompileOptions(features=board.isa_features)
    graph = compile_source(source, options=options)
    node = next(n for n in graph.nodes if n.op == "depthwise_conv2d")
    if kernel and kernel != node.kernel and kernel in {
            s.name for s in kernel_candidates(graph, node, frozenset(board.isa_features))}:
        graph = compile_source(source, options=replace(options, kernel_choice={node.name: kernel}))
    result = build(source, graph, board, work / "fw")
    x = np.random.default_rng(1).integers(-128, 128, size=source.input_shape).astype(np.int8)
    with open_device(board, result.out_dir, emulate=True, timeout=timeout) as dev:
        dev.run(x.tobytes())
        raw, total = dev.run(x.tobytes())
        layers, _, _ = dev.layers()
    nodes = [n for n in graph.nodes if n.kernel]
    rows = [{"layer": n.name, "kernel": n.kernel, "macs": node_macs(graph, n), "instructions": layer.count}
            for n, layer in zip(nodes, layers)]
    macs = sum(r["macs"] for r in rows)
    want = run(graph, x)[graph.outputs[0]]
    return {"layers": rows, "macs": macs, "instructions": total, "instructions_per_mac": total / macs,
            "equals_reference": bool(np.array_equal(np.frombuffer(raw, np.int8), want.ravel()))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--board", default="f746zg")
    ap.add_argument("--model", type=Path, help="a .tflite of this shape (default: the one built in memory)")
    ap.add_argument("--kernel", help="the depthwise layer's kernel (a per-node choice), where it serves the layer")
    ap.add_argument("--json", type=Path)
    add_timeout_option(ap)
    args = ap.parse_args(argv)
    board = get_board(args.board)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.model
        if path is None:
            path = Path(tmp) / "micro_speech_shape.tflite"
            path.write_bytes(micro_speech_model())
        print(f"building and running {path.name} on the {board.name} stand-in...", file=sys.stderr, flush=True)
        r = measure(path, board, Path(tmp), args.timeout, args.kernel)
    rows = [[x["layer"], x["kernel"], f"{x['macs']:,}", f"{x['instructions']:,}",
             f"{x['instructions'] / x['macs']:.2f}" if x["macs"] else "-"] for x in r["layers"]]
    rows.append(["whole model", "", f"{r['macs']:,}", f"{r['instructions']:,}", f"{r['instructions_per_mac']:.2f}"])
    print(table(["layer", "kernel", "MACs", "instructions", "per MAC"], rows, "llrrr"))
    print(f"(executed instructions on the {board.emulator['machine']} stand-in, one inference after a warm-up; "
          f"output {'equals' if r['equals_reference'] else 'DIFFERS FROM'} the numpy reference)")
    if args.json:
        args.json.write_text(json.dumps(r, indent=2) + "\n")
    return 0 if r["equals_reference"] else 1


if __name__ == "__main__":
    sys.exit(main())
