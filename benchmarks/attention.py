"""An attention block (8 tokens x 64: a transformer encoder block's LayerNorm,
nn.MultiheadAttention with 4 heads, MLP and residuals) on the f746zg stand-in: executed
instructions per layer, per MAC for the layers that multiply, and in total, with tinygen's
kernels beside --kernels cmsis-nn (CMSIS-NN's arm_batch_matmul_s8 where it applies, its FC,
softmax and add); and the integer layer norm's agreement with float PyTorch.

    .venv/bin/python benchmarks/attention.py [--board f746zg] [--cmsis-nn PATH] [--causal] [--json out.json]
    .venv/bin/python benchmarks/attention.py --norm        # the layer norm against float PyTorch
    .venv/bin/python benchmarks/attention.py --kernels     # the batch matmul kernels on the block's shapes

Each build runs one inference on its QEMU stand-in through `tg layers` (the port counter around
every layer); the outputs are checked against the numpy reference first. cmsis-nn needs a
CMSIS-NN tree (--cmsis-nn or $CMSIS_NN_PATH); without one that column is left out and the script
says why. A benchmark, not a test: it prints numbers (instructions, never cycles).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from attention_lib import EncoderBlock, matmul_shapes, op_node, seeded  # noqa: E402
from tinygen.board import get_board  # noqa: E402
from tinygen.compiler import build, compile_source, load_source  # noqa: E402
from tinygen.hil.session import profile_layers  # noqa: E402
from tinygen.hil.target import open_device  # noqa: E402
from tinygen.passes import CompileOptions  # noqa: E402
from tinygen.passes.analysis import node_macs  # noqa: E402
from tinygen.ref.interpreter import quantize_input  # noqa: E402

TOKENS, DIM, HEADS = 8, 64, 4


def block_source(work: Path, causal: bool):
    torch.manual_seed(0)
    net = seeded(EncoderBlock(DIM, HEADS, 2 * DIM, causal=causal), 2)
    x = torch.randn(1, TOKENS, DIM)
    torch.export.save(torch.export.export(net, (x,)), work / "block.pt2")
    np.save(work / "calib.npy", np.random.default_rng(0).standard_normal((64, TOKENS, DIM)).astype(np.float32))
    return load_source(work / "block.pt2")


def profile(board_name: str, kernels: str, cmsis_nn: str | None, causal: bool, work: Path) -> list[dict]:
    """Per layer of one build: name, op, kernel, MACs, instructions."""
    board = get_board(board_name)
    source = block_source(work, causal)
    graph = compile_source(source, str(work / "calib.npy"),
                           CompileOptions(features=board.isa_features, kernels=kernels, cmsis_nn=cmsis_nn))
    project = build(source, graph, board, work / f"fw_{kernels}").out_dir
    x = quantize_input(graph, source.to_graph_layout(np.random.default_rng(1).standard_normal((1, TOKENS, DIM))))
    with open_device(board, project, emulate=True) as dev:
        layers, total = profile_layers(dev, graph, x)
    nodes = [n for n in graph.nodes if n.kernel]
    rows = [{"layer": n.name, "op": n.op, "kernel": n.kernel, "macs": node_macs(graph, n), "instructions": layer.count}
            for n, layer in zip(nodes, layers)]
    rows.append({"layer": "total", "op": "", "kernel": "", "macs": sum(r["macs"] for r in rows),
                 "instructions": total})
    return rows


def _per_mac(row: dict) -> str:
    return f"{row['instructions'] / row['macs']:.2f}" if row["macs"] else ""


def print_table(ours: list[dict], cmsis: list[dict] | None, board: str) -> None:
    head = f"{'layer':<22} {'op':<14} {'MACs':>7}  {'kernel':<30} {'instr':>8} {'/MAC':>6}"
    if cmsis:
        head += f"  {'cmsis-nn build':<42} {'instr':>8} {'/MAC':>6}"
    print(head)
    for k, row in enumerate(ours):
        line = (f"{row['layer']:<22} {row['op']:<14} {row['macs']:>7}  {row['kernel']:<30} "
                f"{row['instructions']:>8} {_per_mac(row):>6}")
        if cmsis:
            other = cmsis[k] if k < len(cmsis) and cmsis[k]["layer"] == row["layer"] else None
            if other:
                line += f"  {other['kernel']:<42} {other['instructions']:>8} {_per_mac(other):>6}"
        print(line)
    print(f"(executed instructions of one inference on the {board} stand-in, {TOKENS} tokens x {DIM}, {HEADS} heads)")


def matmul_kernels(board: str, work: Path) -> list[dict]:
    """The block's two batch matmuls (q k^T: 4 x 8 x 8 x 16, adj_y; softmax v: 4 x 8 x 16 x 8) with
    each tinygen kernel the board runs."""
    import attention_kernels  # noqa: F401  (adds the kernels to the harness)
    from lowbit_kernels import Call, run_calls

    isa = "_rv32" if "rv32im" in get_board(board).isa_features else "_dsp"
    rng = np.random.default_rng(0)
    calls, shapes = [], []
    for rows, cols, depth, adj_y in ((TOKENS, TOKENS, DIM // HEADS, True), (TOKENS, DIM // HEADS, TOKENS, False)):
        lhs, rhs, out = matmul_shapes([HEADS], [HEADS], rows, cols, depth, False, adj_y)
        p = op_node("batch_matmul", [lhs, rhs], out, [(0.05, 3), (0.04, -2), (0.3, 1)],
                    {"adj_x": False, "adj_y": adj_y})[1].attrs["kparams"]
        arrays = attention_kernels.matmul_operands(p, rng)
        calls += [Call("tg_batch_matmul_s8", p, arrays), Call(f"tg_batch_matmul_s8{isa}", p, arrays)]
        shapes.append(f"{HEADS} x {rows} x {cols} x {depth}{' (adj_y)' if adj_y else ''}")
    run_calls(board, calls, work / "matmul")
    out = []
    for shape, pair in zip(shapes, zip(calls[::2], calls[1::2])):
        macs = HEADS * pair[0].p["rows"] * pair[0].p["cols"] * pair[0].p["depth"]
        for c in pair:
            out.append({"shape": shape, "kernel": c.name, "macs": macs, "instructions": c.instructions})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="f746zg")
    ap.add_argument("--cmsis-nn", default=os.environ.get("CMSIS_NN_PATH"))
    ap.add_argument("--causal", action="store_true", help="the attention with a causal mask")
    ap.add_argument("--norm", action="store_true", help="the integer layer norm against float PyTorch")
    ap.add_argument("--kernels", action="store_true", help="the batch matmul kernels on the block's shapes")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if args.norm:
        from ref.test_norm_vs_torch import norm_agreement

        counts = norm_agreement(400)
        total = sum(counts.values())
        for d, n in sorted(counts.items()):
            print(f"|int8 - float rounded| = {d} step(s): {n:>7} of {total} outputs ({n / total:.2%})")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.kernels:
            rows = matmul_kernels(args.board, work)
            for r in rows:
                print(f"{r['shape']:<26} {r['kernel']:<26} {r['instructions']:>8}  {r['instructions'] / r['macs']:.2f}/MAC")
            result = {"kernels": rows}
        else:
            ours = profile(args.board, "tinygen", None, args.causal, work)
            cmsis = None
            if args.cmsis_nn and "dsp" in get_board(args.board).isa_features:
                cmsis = profile(args.board, "cmsis-nn", args.cmsis_nn, args.causal, work)
            elif not args.cmsis_nn:
                print("(no CMSIS-NN tree: --cmsis-nn PATH or $CMSIS_NN_PATH; its column is left out)")
            print_table(ours, cmsis, args.board)
            result = {"board": args.board, "tinygen": ours, "cmsis-nn": cmsis}
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
