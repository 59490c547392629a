"""tinygen's transposed convolution against CMSIS-NN's arm_transpose_conv_s8, on a Cortex-M stand-in.

    .venv/bin/python benchmarks/transpose_conv.py [--board f746zg] [--cmsis-nn PATH] [--layers up3_32_16 ...]
                                                  [--json out.json]

LAYERS are the upsampling layers of small convolutional autoencoders' decoders: 2x upsampling
with 3x3 kernels (PyTorch's padding=1, output_padding=1, TFLite's SAME) and 4x4 kernels
(padding=1), 8 to 32 channels. For each, a model of that one nn.ConvTranspose2d (seeded
weights and bias, calibrated on seeded noise) is compiled for the board twice: with tinygen's
kernels (the board's DSP kernel, tg_transpose_conv2d_s8_dsp) and with `--kernels cmsis-nn`
(tg_transpose_conv2d_s8_cmsis_nn, which calls arm_transpose_conv_s8). Both firmwares run one
inference on the QEMU stand-in after a warm-up; the layer's executed instructions come from
the device's per-layer counter (tinygen.hil: exact under -icount), and both outputs must
equal the numpy reference byte for byte, or the script stops. It prints instructions,
instructions per MAC (the products that land in the output) and CMSIS-NN's instructions over
tinygen's; the issue's target is SPEEDUP_TARGET. Instructions, never cycles.

CMSIS-NN needs a tree: --cmsis-nn PATH or $CMSIS_NN_PATH (CI's: source .ci/third_party.sh).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tinygen.hil.deadline import DEFAULT_TIMEOUT, add_timeout_option  # noqa: E402

SPEEDUP_TARGET = 1.5        # CMSIS-NN's instructions / tinygen's, on each layer

# name -> (in_c, out_c, input H = W, kernel, stride, padding, output_padding)
LAYERS = {
    "up3_8_8": (8, 8, 8, 3, 2, 1, 1),
    "up3_16_8": (16, 8, 8, 3, 2, 1, 1),
    "up3_32_16": (32, 16, 4, 3, 2, 1, 1),
    "up3_16_16": (16, 16, 7, 3, 2, 1, 1),
    "up4_8_8": (8, 8, 8, 4, 2, 1, 0),
    "up4_16_8": (16, 8, 14, 4, 2, 1, 0),
    "up4_32_16": (32, 16, 7, 4, 2, 1, 0),
    "up4_32_32": (32, 32, 4, 4, 2, 1, 0),
}


def layer_model(name: str, work: Path):
    """The layer's model exported to work/<name>.pt2 and its calibration (seeded): (source, calib path)."""
    import torch
    from torch import nn

    from tinygen.compiler import load_source

    in_c, out_c, hw, k, s, p, op = LAYERS[name]
    torch.manual_seed(sum(map(ord, name)))
    net = nn.Sequential(nn.ConvTranspose2d(in_c, out_c, k, stride=s, padding=p, output_padding=op)).eval()
    path = work / f"{name}.pt2"
    torch.export.save(torch.export.export(net, (torch.randn(1, in_c, hw, hw),)), path)
    calib = work / f"{name}_calib.npy"
    np.save(calib, np.random.default_rng(0).standard_normal((16, in_c, hw, hw)).astype(np.float32))
    return load_source(path), calib


def measure(name: str, board, kernels: str, cmsis_nn: str | None, work: Path, timeout: float) -> dict:
    """One layer on the stand-in with `kernels`: its kernel, instructions and MACs."""
    from tinygen.compiler import build, compile_source
    from tinygen.hil.target import open_device
    from tinygen.passes import CompileOptions
    from tinygen.passes.analysis import total_macs
    from tinygen.ref.interpreter import quantize_input, run

    source, calib = layer_model(name, work)
    graph = compile_source(source, str(calib), CompileOptions(features=board.isa_features, kernels=kernels,
                                                              cmsis_nn=cmsis_nn))
    (node,) = [n for n in graph.nodes if n.kernel]
    result = build(source, graph, board, work / f"{name}-{kernels}")
    rng = np.random.default_rng(1)
    x = quantize_input(graph, source.to_graph_layout(rng.standard_normal(source.input_shape).astype(np.float32)))
    with open_device(board, result.out_dir, emulate=True, timeout=timeout) as dev:
        dev.run(x.tobytes())                      # warm-up
        raw, _ = dev.run(x.tobytes())
        layers, _, _ = dev.layers()
    want = run(graph, x)[graph.outputs[0]].ravel()
    if not np.array_equal(np.frombuffer(raw, np.int8), want):
        raise SystemExit(f"{name} with --kernels {kernels}: the stand-in's output differs from the reference")
    return {"kernel": node.kernel, "instructions": layers[0].count, "macs": total_macs(graph),
            "scratch": node.scratch_bytes}


def main(argv=None) -> int:
    from tinygen.board import get_board
    from tinygen.report import table

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", default="f746zg")
    ap.add_argument("--layers", nargs="+", choices=sorted(LAYERS), default=list(LAYERS))
    ap.add_argument("--cmsis-nn", metavar="PATH", default=os.environ.get("CMSIS_NN_PATH") or None)
    ap.add_argument("--json", type=Path, help="write the rows here")
    add_timeout_option(ap, DEFAULT_TIMEOUT)
    args = ap.parse_args(argv)
    if not args.cmsis_nn:
        ap.error("needs a CMSIS-NN tree: --cmsis-nn PATH or $CMSIS_NN_PATH (source .ci/third_party.sh)")
    board = get_board(args.board)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.layers:
            ours = measure(name, board, "tinygen", None, Path(tmp), args.timeout)
            theirs = measure(name, board, "cmsis-nn", args.cmsis_nn, Path(tmp), args.timeout)
            in_c, out_c, hw, k, s, _, _ = LAYERS[name]
            rows.append({"layer": name, "shape": f"{hw}x{hw}x{in_c} -> {out_c}, {k}x{k} stride {s}",
                         "macs": ours["macs"], "tinygen": ours, "cmsis_nn": theirs,
                         "speedup": theirs["instructions"] / ours["instructions"]})
            print(f"{name}: {ours['instructions']:,} / {theirs['instructions']:,}", file=sys.stderr, flush=True)
    print(table(["layer", "shape", "MACs", "tinygen", "per MAC", "CMSIS-NN", "per MAC", "CMSIS-NN / tinygen"],
                [[r["layer"], r["shape"], f"{r['macs']:,}", f"{r['tinygen']['instructions']:,}",
                  f"{r['tinygen']['instructions'] / r['macs']:.2f}", f"{r['cmsis_nn']['instructions']:,}",
                  f"{r['cmsis_nn']['instructions'] / r['macs']:.2f}",
                  f"{r['speedup']:.2f}x" + ("" if r["speedup"] >= SPEEDUP_TARGET else " (below target)")]
                 for r in rows]))
    print(f"{board.name} stand-in ({board.emulator['machine']}), executed instructions of the layer; "
          f"kernels: {rows[0]['tinygen']['kernel']} against {rows[0]['cmsis_nn']['kernel']} (arm_transpose_conv_s8); "
          f"target: CMSIS-NN / tinygen >= {SPEEDUP_TARGET}")
    if args.json:
        args.json.write_text(json.dumps({"board": board.name, "rows": rows}, indent=2) + "\n")
    return 0 if all(r["speedup"] >= SPEEDUP_TARGET for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
