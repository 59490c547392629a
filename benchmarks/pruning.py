"""Pruned models on the Cortex-M stand-ins: what compaction and the sparse kernel save.

    .venv/bin/python benchmarks/pruning.py [--boards f746zg f446re] [--json out.json]

1. examples/pruned/resnet8_pruned.py (resnet8, 50% of the filters pruned) compiled with
   compaction on and off (`--no-compact`) for each board: executed instructions of one
   inference on the stand-in, weight bytes in flash, the ELF's flash use, the arena.
2. The break-even of tg_conv2d_sparse_s8 (connection-sparse 1x1 conv): a chain of 1x1
   convs 64 -> 64 over 8x8 pixels, one per weight density 10..90% (random weights kept
   per output channel), built once with the sparse kernel on every layer and once with
   the dense kernel the core uses otherwise (tg_conv2d_1x1_s8_dsp on the DSP cores; also
   tg_conv2d_s8 with --kernels portable on the first board's stand-in); per layer the
   executed instructions of each. The densities below which the sparse kernel wins are
   what tinygen/kernels/table.py's SPARSE_BREAK_EVEN records.

--timeout: seconds of the emulator's own time per answer beyond the known work
(tinygen.hil.deadline). A benchmark, not a test: it prints instructions, never cycles.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tinygen.hil.deadline import DEFAULT_TIMEOUT, add_timeout_option  # noqa: E402

EXAMPLE = ROOT / "examples" / "pruned" / "resnet8_pruned.py"
DENSITIES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
CORES = {"f746zg": "cortex-m7", "f446re": "cortex-m4"}
SPARSE = "tg_conv2d_sparse_s8"


def _instructions(source, graph, board, timeout: float) -> dict[str, int]:
    from tinygen.fit.autotune import measure_standin

    return measure_standin(source, graph, board, timeout)


def compaction(board, work: Path, timeout: float = DEFAULT_TIMEOUT) -> dict:
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.passes import CompileOptions

    source = load_source(EXAMPLE)
    row = {}
    for label, compact in (("before", False), ("after", True)):
        graph = compile_source(source, None, CompileOptions(features=board.isa_features, compact=compact))
        result = build(source, graph, board, work / f"resnet8_{label}")
        use = result.memory[0]
        row[label] = {"instructions": sum(_instructions(source, graph, board, timeout).values()),
                      "weight_bytes": result.manifest["weight_bytes"],
                      "flash_bytes": use.regions["flash"].used, "arena_bytes": graph.meta["memory"].arena_size}
    return row


def _chain_source():
    """1x1 convs 64 -> 64 over 8x8, layer k with weight density DENSITIES[k]."""
    import torch
    from torch import nn

    from tinygen.compiler import SourceModel, graph_hash
    from tinygen.frontend.torch import from_exported

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    layers = []
    for d in DENSITIES:
        conv = nn.Conv2d(64, 64, 1)
        with torch.no_grad():
            mask = np.zeros((64, 64), bool)
            for row in mask:
                row[rng.choice(64, int(round(64 * d)), replace=False)] = True
            conv.weight.mul_(torch.from_numpy(mask).float().view(64, 64, 1, 1))
        layers += [conv, nn.ReLU()]
    net = nn.Sequential(*layers).eval()
    calib = rng.standard_normal((16, 64, 8, 8)).astype(np.float32)
    program = torch.export.export(net, (torch.from_numpy(calib[:1]),))
    graph = from_exported(program, "sparse_chain")
    return SourceModel("sparse_chain", Path("sparse_chain.py"), graph, graph_hash(graph), (1, 64, 8, 8), "NCHW", calib)


def break_even(board, kernels: str, work: Path, timeout: float = DEFAULT_TIMEOUT) -> list[dict]:
    """Per density the instructions of the sparse and the dense kernel on one layer."""
    from tinygen.compiler import compile_source
    from tinygen.kernels import table
    from tinygen.passes import CompileOptions

    source = _chain_source()
    saved = dict(table.SPARSE_BREAK_EVEN)
    counts, kernel_of = {}, {}
    try:
        for label, limit in (("dense", 0.0), ("sparse", 1.01)):      # the sparse kernel on no / every layer
            table.SPARSE_BREAK_EVEN.update({core: limit for core in saved})
            graph = compile_source(source, None, CompileOptions(features=board.isa_features, kernels=kernels,
                                                                lower_peak=False))
            counts[label] = _instructions(source, graph, board, timeout)
            kernel_of[label] = {n.name: n.kernel for n in graph.nodes if n.op == "conv2d"}
    finally:
        table.SPARSE_BREAK_EVEN.update(saved)
    assert all(k == SPARSE for k in kernel_of["sparse"].values())
    return [{"density": d, "dense_kernel": kernel_of["dense"][name], "dense": counts["dense"][name],
             "sparse": counts["sparse"][name]} for d, name in zip(DENSITIES, kernel_of["dense"])]


def threshold(rows: list[dict]) -> float:
    """The highest density below which the sparse kernel wins at every measured density."""
    best = 0.0
    for row in rows:
        if row["sparse"] >= row["dense"]:
            break
        best = row["density"]
    return best


def main(argv=None) -> int:
    from tinygen.board import get_board

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--boards", nargs="+", default=list(CORES))
    ap.add_argument("--json", metavar="FILE")
    add_timeout_option(ap)
    args = ap.parse_args(argv)
    report = {"compaction": {}, "break_even": {}}
    with tempfile.TemporaryDirectory(prefix="tinygen-pruning-") as tmp:
        work = Path(tmp)
        for name in args.boards:
            board = get_board(name)
            row = compaction(board, work / name, args.timeout)
            report["compaction"][name] = row
            print(f"\n{EXAMPLE.name} on the {name} stand-in (compaction off -> on):")
            for key in ("instructions", "weight_bytes", "flash_bytes", "arena_bytes"):
                b, a = row["before"][key], row["after"][key]
                print(f"  {key:<13} {b:>12,} -> {a:>12,}  ({(b - a) / b:.1%} less)")
        runs = [(name, CORES[name], "tinygen") for name in args.boards]
        runs.append((args.boards[0], "portable", "portable"))
        for name, core, kernels in runs:
            rows = break_even(get_board(name), kernels, work / f"{name}_{kernels}", args.timeout)
            report["break_even"][core] = {"board": name, "rows": rows, "threshold": threshold(rows)}
            print(f"\ntg_conv2d_sparse_s8 vs {rows[0]['dense_kernel']} on the {name} stand-in ({core}), "
                  "1x1 conv 64 -> 64, 8x8 pixels, instructions:")
            print(f"  {'density':>7} {'dense':>10} {'sparse':>10} {'sparse/dense':>12}")
            for r in rows:
                print(f"  {r['density']:>7.0%} {r['dense']:>10,} {r['sparse']:>10,} {r['sparse'] / r['dense']:>12.2f}")
            print(f"  sparse wins below {threshold(rows):.0%} density (and at it)" if threshold(rows)
                  else "  sparse never wins")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
