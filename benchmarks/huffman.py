"""Entropy-coded weights (--weights huffman, issue 73): flash of the weights and executed
instructions against the int8 build, on the f746zg stand-in (Cortex-M7, DSP kernels).

    .venv/bin/python benchmarks/huffman.py [--board f746zg] [--models kws ad kws70 ad70] [--json out.json]

Models: the MLPerf Tiny KWS (DS-CNN) and AD (autoencoder) int8 .tflite files as they ship, and
the same with 70% of each conv / fully connected layer's int8 weights zeroed (the smallest
magnitudes per layer, done here on the imported weights: a stand-in for a 70%-pruned network,
with no fine-tuning, so for flash and speed only, not accuracy). Per model: the MAC layers'
weights as int8 and as stored with huffman (coded layers: tables, block offsets and codes;
the others int8), every constant the kernels read (weights, biases, requantization, packed
forms) in each build, and one inference's instructions on the stand-in, in all and in the
coded layers alone. QEMU counts instructions, not cycles (the target is <= 1.5x int8 cycles
on the M7). --timeout: seconds of the emulator's own time per answer beyond the known work.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tinygen.hil.deadline import DEFAULT_TIMEOUT, add_timeout_option  # noqa: E402

MLPERF = ROOT / "examples" / "mlperf-tiny"
MODELS = {"kws": ("kws_dscnn_int8.tflite", 0.0), "ad": ("ad_autoencoder_int8.tflite", 0.0),
          "kws70": ("kws_dscnn_int8.tflite", 0.7), "ad70": ("ad_autoencoder_int8.tflite", 0.7)}
MAC_OPS = ("conv2d", "fully_connected")


def prune_weights(graph, ratio: float) -> None:
    """Zero the `ratio` of each conv / fully connected layer's int8 weights smallest in magnitude."""
    for node in graph.nodes:
        if node.op not in MAC_OPS or node.param("weight") is None:
            continue
        w = graph.tensor(node.param("weight"))
        flat = np.abs(w.data.astype(np.int16)).ravel()
        cut = np.sort(flat)[int(ratio * flat.size)] if ratio > 0 else -1
        w.data = np.where(np.abs(w.data.astype(np.int16)) < cut, 0, w.data).astype(np.int8)


def const_flash(graph) -> int:
    """Flash bytes of every constant the chosen kernels read."""
    from tinygen.kernels.table import KERNELS_BY_NAME, const_bytes

    return sum(const_bytes(KERNELS_BY_NAME[n.kernel], graph, n) for n in graph.nodes if n.kernel)


def measure(name: str, board, timeout: float) -> dict:
    from tinygen.compiler import compile_source, load_source
    from tinygen.fit.autotune import measure_standin
    from tinygen.passes import CompileOptions
    from tinygen.quant.weight_spec import parse_weights

    file, ratio = MODELS[name]
    row = {"model": name, "file": file, "pruned": ratio}
    for label, spec in (("int8", None), ("huffman", "huffman")):
        source = load_source(MLPERF / file)
        prune_weights(source.graph, ratio)
        graph = compile_source(source, None, CompileOptions(features=board.isa_features,
                                                            weights=parse_weights(spec)))
        layers = measure_standin(source, graph, board, timeout)
        row[label] = {"constants": const_flash(graph), "instructions": sum(layers.values()), "layers": layers,
                      "arena": graph.meta["memory"].arena_size}
        if spec:
            coding = graph.meta["weight_coding"]
            row["mac_weights_int8"] = sum(c["before"] for c in coding.values())
            row["mac_weights_huffman"] = sum(min(c["before"], c["after"]) for c in coding.values())
            row["coded"] = sorted(n for n, c in coding.items() if c["coded"])
    row["coded_instructions"] = {label: sum(row[label]["layers"][n] for n in row["coded"])
                                 for label in ("int8", "huffman")}
    return row


def table(rows: list[dict]) -> str:
    head = (f"{'model':<7} {'weights int8':>12} {'huffman':>9} {'ratio':>6} {'consts int8':>11} {'huffman':>9} "
            f"{'instr int8':>11} {'huffman':>11} {'ratio':>6} {'coded layers':>12} {'ratio':>6} {'arena +':>7}")
    lines = [head, "-" * len(head)]
    for r in rows:
        i8, hf = r["int8"], r["huffman"]
        ci8, chf = r["coded_instructions"]["int8"], r["coded_instructions"]["huffman"]
        lines.append(f"{r['model']:<7} {r['mac_weights_int8']:>12,} {r['mac_weights_huffman']:>9,} "
                     f"{r['mac_weights_huffman'] / r['mac_weights_int8']:>6.3f} {i8['constants']:>11,} "
                     f"{hf['constants']:>9,} {i8['instructions']:>11,} {hf['instructions']:>11,} "
                     f"{hf['instructions'] / i8['instructions']:>6.2f} {len(r['coded']):>12} "
                     f"{(chf / ci8 if ci8 else 1.0):>6.2f} {hf['arena'] - i8['arena']:>7,}")
    return "\n".join(lines)


def main(argv=None) -> int:
    from tinygen.board import get_board

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", default="f746zg")
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--json", metavar="FILE")
    add_timeout_option(ap)
    args = ap.parse_args(argv)
    board = get_board(args.board)
    rows = [measure(name, board, args.timeout or DEFAULT_TIMEOUT) for name in args.models]
    print(f"--weights huffman vs int8 on the {args.board} stand-in (bytes; executed instructions of one inference):")
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
