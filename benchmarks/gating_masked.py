"""Masked (gated) depthwise and fully connected kernels on the f746zg stand-in (issue 23).

    .venv/bin/python benchmarks/gating_masked.py [--json out.json] [--predictor-hidden 4 8] [--predictor-pool 4]

Per layer shape, a dense layer (depthwise conv + BN + ReLU, or Linear + ReLU: the dense DSP
kernel) against the same layer gated (tinygen.nn GatedConv2d with groups == channels, or
GatedLinear), compiled for the board, built and run on its QEMU stand-in with `tg layers`:
the gated layer's instructions at densities 1.0, 0.7, 0.5, 0.3, its saliency predictor
(mean, fully connected, gate) included, and the ratio to the dense layer; the JSON has every
layer's count. Each layer with the papers' full predictor (one linear layer in -> out) and
the cheap ones (PREDICTORS: `predictor_hidden` r = 4, 8, and for GatedLinear also on the input
pooled by 4); the last column is the predictor's share (mean, fully connected layers and
top-k gate) of the dense layer's instructions. The predictors' saliencies are kept
positive, so each gate keeps exactly round(density * channels) channels.
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
# (label, input shape without the batch, dense module, gated module of (predictor_hidden, predictor_pool))
LAYERS = (
    ("depthwise 3x3, 16x16x64", (64, 16, 16),
     lambda: nn.Sequential(nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False), nn.BatchNorm2d(64), nn.ReLU()),
     lambda r, g: GatedConv2d(64, 64, 3, padding=1, groups=64, density=1.0, predictor_hidden=r)),
    ("depthwise 3x3, 8x8x128", (128, 8, 8),
     lambda: nn.Sequential(nn.Conv2d(128, 128, 3, padding=1, groups=128, bias=False), nn.BatchNorm2d(128),
                           nn.ReLU()),
     lambda r, g: GatedConv2d(128, 128, 3, padding=1, groups=128, density=1.0, predictor_hidden=r)),
    ("fully connected 256 -> 128", (256,), lambda: nn.Sequential(nn.Linear(256, 128), nn.ReLU()),
     lambda r, g: GatedLinear(256, 128, density=1.0, predictor_hidden=r, predictor_pool=g)),
)
# the saliency predictors measured: (predictor_hidden, predictor_pool); (None, 1) is the papers'
# full predictor (one linear layer in -> out), the others the low-rank bottleneck in -> r -> out,
# with the GatedLinear input first averaged in groups of predictor_pool (depthwise: no pooling)
PREDICTORS = ((None, 1), (4, 1), (4, 4), (8, 1), (8, 4))


def _predictor_label(hidden: int | None, pool: int) -> str:
    return ("full predictor" if hidden is None else f"bottleneck r={hidden}") + (f", pool {pool}" if pool > 1 else "")


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
            for linear in (m for m in predictor.modules() if isinstance(m, nn.Linear)):
                linear.weight.normal_(0.0, 0.05)
                linear.bias.uniform_(1.0, 2.0)
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
    ap.add_argument("--predictor-hidden", type=int, nargs="+", metavar="R",
                    help="bottleneck widths to measure (besides the full predictor); default 4 8")
    ap.add_argument("--predictor-pool", type=int, default=4, metavar="G",
                    help="GatedLinear: also measure each bottleneck on its input averaged in groups of G (1: not)")
    ap.add_argument("--board", default=BOARD, help="f746zg (M7 stand-in) or f446re (M4 stand-in)")
    ap.add_argument("--layers", type=int, nargs="+", default=range(len(LAYERS)), help="indices into LAYERS")
    args = ap.parse_args()
    predictors = PREDICTORS if args.predictor_hidden is None else (
        ((None, 1),) + tuple((r, g) for r in args.predictor_hidden for g in dict.fromkeys((1, args.predictor_pool))))
    board = get_board(args.board)
    options = CompileOptions(features=frozenset(board.isa_features))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in args.layers:
            label, shape, dense_net, gated_net = LAYERS[k]
            source = _source(dense_net(), shape, "dense")
            graph = compile_source(source, options=options)
            dense = sum(_measure(board, source, graph, Path(tmp) / f"d{k}").values())
            for j, (hidden, pool) in enumerate(predictors):
                if pool > 1 and "fully connected" not in label:
                    continue
                rows.append(_gated_row(board, options, (label, shape, gated_net), (hidden, pool), dense,
                                       args.densities, Path(tmp) / f"g{k}_{j}"))
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps({"board": args.board, "rows": rows}, indent=2) + "\n")


def _gated_row(board, options, layer, predictor, dense: int, densities, folder: Path) -> dict:
    """One gated layer with one predictor at every density: total, kernel, gate, the rest of the predictor."""
    (label, shape, gated_net), (hidden, pool) = layer, predictor
    source = _source(gated_net(hidden, pool), shape, "gated")
    graph = compile_source(source, options=options)
    gated = next(n for n in graph.nodes if n.kernel in GATED_KERNELS)
    gate = next(n for n in graph.nodes if n.op == "channel_gate")
    row = {"layer": label, "predictor": _predictor_label(hidden, pool), "predictor_hidden": hidden,
           "predictor_pool": pool, "dense": dense, "kernel": gated.kernel, "points": []}
    for d in densities:
        counts = _measure(board, source, sweep.at(graph, "density", d), folder / f"{d}")
        kernel, total = counts[gated.name], sum(counts.values())
        parts = {f"{name} ({graph.node(name).kernel})": n for name, n in counts.items() if name != gated.name}
        row["points"].append({"density": d, "kernel": kernel, "gate": counts[gate.name], "predictor": total - kernel,
                              "total": total, "ratio": total / dense, "kernel_ratio": kernel / dense,
                              "layers": counts, "parts": parts})
        print(f"  {label}, {row['predictor']}: density {d:g}: {total:,} instructions ({kernel:,} kernel, "
              f"{kernel / dense:.3f}x + {total - kernel:,} predictor: "
              + ", ".join(f"{n} {c:,}" for n, c in parts.items()) + f"), {total / dense:.3f}x dense ({dense:,})",
              flush=True)
    return row


def print_table(rows: list[dict]) -> None:
    densities = [p["density"] for p in rows[0]["points"]]
    print("\n| layer | predictor | dense | " + " | ".join(f"d={d:g}" for d in densities) + " | predictor share |")
    print("|---|---|---|" + "---|" * len(densities) + "---|")
    for r in rows:
        cells = [f"{p['total']:,} ({p['ratio']:.2f}x)" for p in r["points"]]
        share = r["points"][0]["predictor"] / r["dense"]
        print(f"| {r['layer']} (`{r['kernel']}`) | {r['predictor']} | {r['dense']:,} | " + " | ".join(cells)
              + f" | {share:.2f}x |")


if __name__ == "__main__":
    main()
