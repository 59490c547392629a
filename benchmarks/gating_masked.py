"""Masked (gated) depthwise and fully connected kernels on the f746zg stand-in (issue 23).

    .venv/bin/python benchmarks/gating_masked.py [--json out.json]

Per layer shape, a dense layer (depthwise conv + BN + ReLU, or Linear + ReLU: the dense DSP
kernel) against the same layer gated (tinygen.nn GatedConv2d with groups == channels, or
GatedLinear), compiled for the board, built and run on its QEMU stand-in with `tg layers`:
the gated layer's instructions at densities 1.0, 0.7, 0.5, 0.3, its saliency predictor
(mean, fully connected, gate) included, and the ratio to the dense layer. The predictors'
saliencies are kept positive, so each gate keeps exactly round(density * channels) channels.
Instructions, never cycles: QEMU counts executed instructions. The issue's target for
masked kernels: <= 0.6x dense at density 0.5 (>= 80% of the ideal saving).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tinygen.board import get_board
from tinygen.compiler import SourceModel, build, compile_source, graph_hash
from tinygen.frontend.torch import from_exported
from tinygen.gating import sweep
from tinygen.hil.session import profile_layers
from tinygen.hil.target import open_device
from tinygen.nn.gating import GatedConv2d, GatedLinear
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import quantize_input

BOARD = "f746zg"
DENSITIES = (1.0, 0.7, 0.5, 0.3)
GATED_KERNELS = ("tg_depthwise_conv2d_gated_s8_dsp", "tg_fully_connected_gated_s8_dsp")
# (label, input shape without the batch, dense module, gated module)
LAYERS = (
    ("depthwise 3x3, 16x16x64", (64, 16, 16),
     lambda: nn.Sequential(nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False), nn.BatchNorm2d(64), nn.ReLU()),
     lambda: GatedConv2d(64, 64, 3, padding=1, groups=64, density=1.0)),
    ("depthwise 3x3, 8x8x128", (128, 8, 8),
     lambda: nn.Sequential(nn.Conv2d(128, 128, 3, padding=1, groups=128, bias=False), nn.BatchNorm2d(128),
                           nn.ReLU()),
     lambda: GatedConv2d(128, 128, 3, padding=1, groups=128, density=1.0)),
    ("fully connected 256 -> 128", (256,), lambda: nn.Sequential(nn.Linear(256, 128), nn.ReLU()),
     lambda: GatedLinear(256, 128, density=1.0)),
)


def _source(net: nn.Module, shape, name: str) -> SourceModel:
    torch.manual_seed(0)
    calib = np.random.default_rng(0).standard_normal((16, *shape)).astype(np.float32)
    net = net.eval()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_var.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
        predictor = getattr(net, "predictor", None)
        if predictor is not None:       # every saliency > 0: each gate keeps exactly k channels
            predictor.weight.normal_(0.0, 0.05)
            predictor.bias.uniform_(1.0, 2.0)
    x = torch.from_numpy(calib[:1])
    graph = from_exported(torch.export.export(net, (x,)), name)
    return SourceModel(name, Path(f"{name}.py"), graph, graph_hash(graph), tuple(x.shape), "NCHW", calib)


def _measure(board, source, graph, folder: Path) -> dict[str, int]:
    """Per-layer instructions of one inference (`tg layers`), by node name."""
    project = build(source, graph, board, folder, force=True).out_dir
    x = quantize_input(graph, source.to_graph_layout(source.default_calibration[:1]))
    with open_device(board, project, emulate=True) as dev:
        layers, _ = profile_layers(dev, graph, x)
    return {layer.name: layer.count for layer in layers}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--densities", type=float, nargs="+", default=DENSITIES)
    ap.add_argument("--board", default=BOARD, help="f746zg (M7 stand-in) or f446re (M4 stand-in)")
    ap.add_argument("--layers", type=int, nargs="+", help="indices into LAYERS (default: all)")
    args = ap.parse_args()
    board = get_board(args.board)
    options = CompileOptions(features=frozenset(board.isa_features))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, (label, shape, dense_net, gated_net) in enumerate(LAYERS):
            if args.layers and k not in args.layers:
                continue
            source = _source(dense_net(), shape, "dense")
            graph = compile_source(source, options=options)
            dense = sum(_measure(board, source, graph, Path(tmp) / f"d{k}").values())
            source = _source(gated_net(), shape, "gated")
            graph = compile_source(source, options=options)
            gated = next(n for n in graph.nodes if n.kernel in GATED_KERNELS)
            row = {"layer": label, "dense": dense, "kernel": gated.kernel, "points": []}
            for d in args.densities:
                counts = _measure(board, source, sweep.at(graph, "density", d), Path(tmp) / f"g{k}_{d}")
                kernel = counts[gated.name]
                total = sum(counts.values())
                parts = {graph.node(name).kernel: n for name, n in counts.items() if name != gated.name}
                row["points"].append({"density": d, "kernel": kernel, "predictor": total - kernel, "total": total,
                                      "ratio": total / dense, "kernel_ratio": kernel / dense, "parts": parts})
                print(f"  {label}: density {d:g}: {total:,} instructions ({kernel:,} kernel, {kernel / dense:.3f}x "
                      f"+ {total - kernel:,} predictor: " + ", ".join(f"{n} {c:,}" for n, c in parts.items())
                      + f"), {total / dense:.3f}x dense ({dense:,})", flush=True)
            rows.append(row)
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps({"board": args.board, "rows": rows}, indent=2) + "\n")


def print_table(rows: list[dict]) -> None:
    densities = [p["density"] for p in rows[0]["points"]]
    print("\n| layer | dense | " + " | ".join(f"d={d:g}" for d in densities) + " |")
    print("|---|---|" + "---|" * len(densities))
    for r in rows:
        cells = [f"{p['total']:,} ({p['ratio']:.2f}x)" for p in r["points"]]
        print(f"| {r['layer']} (`{r['kernel']}`) | {r['dense']:,} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
