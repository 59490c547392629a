"""Deep Compression's whole pipeline (issue 73) on the trained digits CNN of examples/deepcomp:
each stage built for the f746zg, its weight flash against int8, its test accuracy and its
instructions on the stand-in, bit-exact against the reference.

    .venv/bin/python benchmarks/deep_compression.py [--bits 4 3 2] [--board f746zg] [--no-standin]
                                                    [--estimate] [--json out.json]

Stages: int8 (examples/shared/int8_digits.py); pruned 70% (examples/deepcomp/pruned_digits.py),
int8 and `--weights huffman`; pruned + shared at each --bits (deepcomp<bits>_digits.py: the
codebook indices on the LUT kernels), then `--weights huffman` (the indices Huffman-coded,
Deep Compression's last step); with 4 in --bits, the same for the entropy-constrained shared
model (deepcomp4ec_digits.py: share_weights(net, 4, entropy=LAMBDA), tinygen/nn/ecsq.py). Per stage: the MAC layers' weights as built
(tinygen.report.weights.stored_weight_bytes: packed indices and tables, codes and their tables
and block offsets, int8 otherwise) and their ratio to the int8 weights; top-1 accuracy on the
449 test images through the reference interpreter (tinygen.ref); and, unless --no-standin, one
inference's executed instructions on the board's QEMU stand-in (after a warm-up), the device's
outputs equal to the reference byte for byte on --samples test images, layer by layer.

"entropy bytes": for the coded stages (examples/deepcomp/_deepcomp.py, coded_entropy), what
the coded layers would take if each weight's symbol cost exactly its order-0 entropy (the least
any code of independent symbols stores, Huffman's is at least 1 bit a symbol), plus their
tables, plus the other layers as stored;
--estimate: each stage's estimated cycles too, by the board's timing model (tinygen.cycles; one
logged run per stage, as benchmarks/huffman.py --estimate), in all and per layer.
"H" and "H|prev" are the coded symbols' entropy in bits per weight, alone and given the
previous symbol of the row (a code of zero runs gains only where the second is smaller), and
"H zero" the part of it that says whether the weight is zero (the entropy of zero or not).
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
sys.path.insert(0, str(ROOT / "examples" / "deepcomp"))

import _deepcomp  # noqa: E402

from tinygen.frontend.torch_loader import to_ir_layout  # noqa: E402
from tinygen.hil.deadline import DEFAULT_TIMEOUT, add_timeout_option  # noqa: E402
from tinygen.ref.interpreter import quantize_input, run  # noqa: E402

INT8 = ROOT / "examples" / "shared" / "int8_digits.py"


def stages(bits_list: list[int]) -> list[tuple[str, Path, str | None]]:
    rows = [("int8", INT8, None), ("pruned", _deepcomp.model_file(None), None),
            ("pruned+huffman", _deepcomp.model_file(None), "huffman")]
    for bits in bits_list:
        rows += [(f"pruned+shared{bits}", _deepcomp.model_file(bits), None),
                 (f"pruned+shared{bits}+huffman", _deepcomp.model_file(bits), "huffman")]
        if bits == _deepcomp.ENTROPY_BITS:
            rows += [(f"pruned+shared{bits}ec", _deepcomp.ec_model_file(bits), None),
                     (f"pruned+shared{bits}ec+huffman", _deepcomp.ec_model_file(bits), "huffman")]
    return rows


def test_inputs(graph) -> tuple[list[np.ndarray], np.ndarray]:
    _, (x, y) = _deepcomp._digits.dataset()
    return [quantize_input(graph, xi[None]) for xi in to_ir_layout(x)], y


def accuracy(graph, inputs: list[np.ndarray], labels: np.ndarray) -> float:
    out = graph.outputs[0]
    return float(np.mean([int(np.argmax(run(graph, q)[out])) == int(t) for q, t in zip(inputs, labels)]))


def standin(source, graph, board, inputs: list[np.ndarray], timeout: float) -> int:
    """Instructions of one inference on the stand-in after a warm-up; the outputs and every
    layer's output equal the reference on each input."""
    from tinygen.compiler import build
    from tinygen.hil.target import open_device

    with tempfile.TemporaryDirectory(prefix="tinygen-deepcomp-") as tmp:
        project = build(source, graph, board, Path(tmp) / "fw").out_dir
        with open_device(board, project, emulate=True, timeout=timeout) as dev:
            dev.run(inputs[0].tobytes())                              # warm-up
            counts = []
            for i, x in enumerate(inputs):
                want = run(graph, x, keep_all=True)
                raw, count = dev.run(x.tobytes())
                expected = np.concatenate([want[n].astype(np.int8).ravel() for n in graph.outputs])
                if not np.array_equal(np.frombuffer(raw, np.int8), expected):
                    raise SystemExit(f"{source.name}: the stand-in's output differs from the reference on test image {i}")
                for index, node in enumerate(n for n in graph.nodes if n.kernel):
                    if not np.array_equal(np.frombuffer(dev.layer_out(index), np.int8),
                                          want[node.outputs[0]].astype(np.int8).ravel()):
                        raise SystemExit(f"{source.name}: layer {node.name} ({node.kernel}) differs from the "
                                         f"reference on test image {i}")
                counts.append(count)
    return counts[0]


def measure(bits_list: list[int], board_name: str, on_standin: bool, samples: int, timeout: float,
            estimate: bool = False) -> list[dict]:
    from tinygen.board import get_board
    from tinygen.fit.standin import measure_standin_cycles

    board = get_board(board_name)
    rows = []
    for name, file, weights in stages(bits_list):
        source, graph = _deepcomp.compile_for(file, weights, board_name)
        plain, stored = _deepcomp.graph_weight_bytes(graph)
        inputs, labels = test_inputs(graph)
        row = {"stage": name, "model": str(file.relative_to(ROOT)), "weights_option": weights,
               "weights_int8": plain, "weights": stored, "ratio": stored / plain,
               "accuracy": accuracy(graph, inputs, labels), "test_images": len(labels),
               "kernels": sorted({n.kernel for n in graph.nodes if n.kernel and n.param("weight")})}
        if name.startswith(f"pruned+shared{_deepcomp.ENTROPY_BITS}ec"):
            row["entropy_lambda"] = _deepcomp.ENTROPY
            row["zeros"] = _deepcomp.zero_share(graph)
        if weights == "huffman":
            row.update(_deepcomp.coded_entropy(graph))
            row["entropy_ratio"] = row["entropy_bytes"] / plain
        if on_standin:
            row["instructions"] = standin(source, graph, board, inputs[:samples], timeout)
            row["bit_exact_images"] = samples
        if estimate:
            row["layer_cycles"] = measure_standin_cycles(source, graph, board, timeout)
            row["cycles"] = sum(row["layer_cycles"].values())
        rows.append(row)
        print(f"  {name}: {stored:,} B ({stored / plain:.3f}x), {row['accuracy']:.2%}"
              + (f", {row['instructions']:,} instructions" if on_standin else "")
              + (f", {row['cycles']:,} est. cycles" if estimate else ""), file=sys.stderr, flush=True)
    return rows


def table(rows: list[dict]) -> str:
    base = rows[0]
    cycles = all("cycles" in r for r in rows)
    head = (f"{'stage':<26} {'weight bytes':>12} {'x int8':>7} {'test acc':>8} {'instructions':>12} {'x int8':>7} "
            + (f"{'est. cycles':>12} {'x int8':>7} " if cycles else "")
            + f"{'entropy bytes':>13} {'x int8':>7} {'H':>5} {'H|prev':>6} {'H zero':>6}")
    lines = [head, "-" * len(head)]
    for r in rows:
        ins = r.get("instructions")
        ent = (f"{r['entropy_bytes']:>13,} {r['entropy_ratio']:>7.3f} {r['H']:>5.2f} {r['H_prev']:>6.2f} "
               f"{r['H_zero']:>6.2f}" if r.get("H") is not None else "")
        lines.append(f"{r['stage']:<26} {r['weights']:>12,} {r['ratio']:>7.3f} {r['accuracy']:>8.2%} "
                     + (f"{ins:>12,} {ins / base['instructions']:>7.2f} " if ins else f"{'':>12} {'':>7} ")
                     + (f"{r['cycles']:>12,} {r['cycles'] / base['cycles']:>7.2f} " if cycles else "") + ent)
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bits", type=int, nargs="+", default=[4, 3, 2], choices=[4, 3, 2])
    ap.add_argument("--board", default=_deepcomp.BOARD)
    ap.add_argument("--samples", type=int, default=3, help="test images checked bit-exact on the stand-in")
    ap.add_argument("--no-standin", action="store_true", help="leave out the stand-in runs (instructions)")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--estimate", action="store_true",
                    help="also the board's estimated cycles per stage and layer (tinygen.cycles)")
    add_timeout_option(ap)
    args = ap.parse_args(argv)
    rows = measure(args.bits, args.board, not args.no_standin, args.samples, args.timeout or DEFAULT_TIMEOUT,
                   args.estimate)
    print(f"Deep Compression on the digits CNN (examples/deepcomp), built for the {args.board}: the MAC layers' "
          f"weights as built against int8, top-1 on the {rows[0]['test_images']} test images (reference interpreter), "
          + ("executed instructions of one inference on the stand-in (bit-exact with the reference on "
             f"{args.samples} test images, layer by layer)" if not args.no_standin else "no stand-in runs"))
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
