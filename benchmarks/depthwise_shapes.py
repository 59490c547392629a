"""Depthwise convolution per shape on a Cortex-M stand-in: executed instructions per MAC.

    .venv/bin/python benchmarks/depthwise_shapes.py [--board f746zg] [--shapes temporal_k3 ...] [--json out.json]
        [--kernel tg_depthwise_conv2d_kx1_s8_dsp]

Each shape is a one-layer model (a depthwise conv, int8, calibrated on random data), built
for the board with its default kernels, its fastest (or the one --kernel names, where it
serves the layer), without lower_peak's memory trade (the layer alone sets the arena: the
pass would take a leaner kernel, e.g. tg_depthwise_conv2d_kx1_s8_dsp for
tg_depthwise_conv2d_kx1_raw_s8_dsp), and run on its QEMU stand-in (mps2-an500 for the
F746): one inference after a warm-up, the depthwise layer's instructions and its kernel,
checked equal to the numpy reference. The shapes are those the issue names: temporal k x 1
(width 1) with 128 channels, dilated; 1 x k (height 1); VWW's 3x3 at stride 1 and 2;
channel counts that are not multiples of 4; depth multipliers 2 (stride 1 and 2) and 4 (3 channels); MLPerf KWS's
25 x 5 rows and a 5-wide one without padding. The issue's target: at
most 2.5 instructions per MAC on the k x 1 temporal shapes with 128 channels. A benchmark,
not a test: it prints instructions, never cycles.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from tinygen.hil.deadline import add_timeout_option

# name: (channels in, depth multiplier, input H x W, kernel, stride, dilation, padding[, "relu": a ReLU after it])
SHAPES = {
    "temporal_k3": (128, 1, (49, 1), (3, 1), (1, 1), (1, 1), (1, 0)),
    "temporal_k3_relu": (128, 1, (49, 1), (3, 1), (1, 1), (1, 1), (1, 0), "relu"),
    "temporal_k9": (128, 1, (49, 1), (9, 1), (1, 1), (1, 1), (4, 0)),
    "temporal_k3_dilated4": (128, 1, (49, 1), (3, 1), (1, 1), (4, 1), (4, 0)),
    "temporal_k5_stride2": (128, 1, (49, 1), (5, 1), (2, 1), (1, 1), (2, 0)),
    "row_1xk5": (128, 1, (1, 49), (1, 5), (1, 1), (1, 1), (0, 2)),
    "vww_3x3_s1": (64, 1, (24, 24), (3, 3), (1, 1), (1, 1), (1, 1)),
    "vww_3x3_s2": (64, 1, (24, 24), (3, 3), (2, 2), (1, 1), (1, 1)),
    "odd_3x3_c67": (67, 1, (12, 12), (3, 3), (1, 1), (1, 1), (1, 1)),
    "dilated_3x3_d2": (32, 1, (16, 16), (3, 3), (1, 1), (2, 2), (2, 2)),
    "multiplier2_3x3": (32, 2, (12, 12), (3, 3), (1, 1), (1, 1), (1, 1)),
    "multiplier2_3x3_s2": (32, 2, (12, 12), (3, 3), (2, 2), (1, 1), (1, 1)),
    "multiplier4_3x3_c3": (3, 4, (24, 24), (3, 3), (1, 1), (1, 1), (1, 1)),
    # MLPerf KWS's 3x3 layers (rows of 5 pixels: tg_depthwise_conv2d_3x3_narrow_s8_dsp), and one without padding
    "kws_3x3_25x5_relu": (64, 1, (25, 5), (3, 3), (1, 1), (1, 1), (1, 1), "relu"),
    "narrow_3x3_valid": (32, 1, (12, 7), (3, 3), (1, 1), (1, 1), (0, 0)),
}


def _model(shape, tmp: Path):
    import torch
    from torch import nn

    channels, mult, hw, kernel, stride, dilation, padding = shape[:7]
    torch.manual_seed(0)
    net = nn.Conv2d(channels, channels * mult, kernel, stride=stride, padding=padding, dilation=dilation,
                    groups=channels).eval()
    if shape[7:] == ("relu",):
        net = nn.Sequential(net, nn.ReLU()).eval()
    x = torch.randn(1, channels, *hw)
    torch.export.save(torch.export.export(net, (x,)), tmp / "m.pt2")
    calib = np.random.default_rng(0).standard_normal((8, channels, *hw)).astype(np.float32)
    np.save(tmp / "calib.npy", calib)
    macs = channels * mult * kernel[0] * kernel[1] * net(x).shape[2] * net(x).shape[3]
    return tmp / "m.pt2", tmp / "calib.npy", macs


def measure(name: str, board, work: Path, timeout: float, kernel: str | None = None) -> dict:
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.hil.target import open_device
    from tinygen.passes import CompileOptions
    from tinygen.passes.choose_kernels import kernel_candidates
    from tinygen.ref.interpreter import quantize_input, run

    work.mkdir(parents=True)
    path, calib, macs = _model(SHAPES[name], work)
    source = load_source(path)
    options = CompileOptions(features=board.isa_features, lower_peak=False)
    graph = compile_source(source, str(calib), options)
    node = next(n for n in graph.nodes if n.op == "depthwise_conv2d")
    if kernel and kernel != node.kernel and kernel in {
            s.name for s in kernel_candidates(graph, node, frozenset(board.isa_features))}:
        graph = compile_source(source, str(calib), replace(options, kernel_choice={node.name: kernel}))
    result = build(source, graph, board, work / "fw")
    rng = np.random.default_rng(1)
    x = quantize_input(graph, source.to_graph_layout(rng.standard_normal(source.input_shape).astype(np.float32)))
    with open_device(board, result.out_dir, emulate=True, timeout=timeout) as dev:
        dev.run(x.tobytes())
        raw, _ = dev.run(x.tobytes())
        layers, _, _ = dev.layers()
    node = next(n for n in graph.nodes if n.op == "depthwise_conv2d")
    count = next(layer.count for layer in layers if layer.name == node.name)
    want = run(graph, x)[graph.outputs[0]]
    return {"shape": name, "kernel": node.kernel, "macs": macs, "instructions": count,
            "instructions_per_mac": count / macs,
            "equals_reference": bool(np.array_equal(np.frombuffer(raw, np.int8), want.ravel()))}


def main(argv=None) -> int:
    from tinygen.board import get_board
    from tinygen.report import table

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--board", default="f746zg")
    ap.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--kernel", help="the depthwise layer's kernel (a per-node choice), where it serves the layer")
    add_timeout_option(ap)
    args = ap.parse_args(argv)
    board = get_board(args.board)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.shapes:
            print(f"building and running {name} on the {board.name} stand-in...", file=sys.stderr, flush=True)
            rows.append(measure(name, board, Path(tmp) / name, args.timeout, args.kernel))
    print(table(["shape", "kernel", "MACs", "instructions", "per MAC", "== reference"],
                [[r["shape"], r["kernel"], f"{r['macs']:,}", f"{r['instructions']:,}",
                  f"{r['instructions_per_mac']:.2f}", "yes" if r["equals_reference"] else "NO"] for r in rows],
                "llrrrl"))
    print(f"(executed instructions of the depthwise layer on the {board.emulator['machine']} stand-in, one "
          "inference after a warm-up; target <= 2.5 per MAC on the temporal k x 1 shapes)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0 if all(r["equals_reference"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
