"""Entropy-coded weights (--weights huffman, issue 73): flash of the weights and executed
instructions against the int8 build, on the f746zg stand-in (Cortex-M7, DSP kernels).

    .venv/bin/python benchmarks/huffman.py [--board f746zg] [--models kws ad kws70 ad70]
        [--weights huffman lut:4 lut:4,huffman] [--json out.json]

Models: the MLPerf Tiny KWS (DS-CNN) and AD (autoencoder) int8 .tflite files as they ship, and
the same with 70% of each conv / fully connected layer's int8 weights zeroed (the smallest
magnitudes per layer, done here on the imported weights: a stand-in for a 70%-pruned network,
with no fine-tuning, so for flash and speed only, not accuracy). Per model and --weights spec
(int8, huffman, lut:4 and the combination lut:4,huffman, Deep Compression's prune, share, code):
the layers' weights as their kernels store them (coded layers: tables, block offsets and codes)
against the int8 weights, every constant the kernels read (weights, biases, requantization,
packed forms), and one inference's instructions on the stand-in, in all and in the coded
layers alone, against the int8 build's. QEMU counts instructions, not cycles (the target is <= 1.5x int8 cycles
on the M7): --estimate also prices each build's layers with the board's timing model (tinygen.cycles; one logged
run per build, constants in flash as built here). --timeout: seconds of the emulator's own time per answer beyond the known work.
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
VARIANTS = ("huffman", "lut:4", "lut:4,huffman")


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


def weight_flash(graph) -> tuple[int, int]:
    """(int8 bytes of the layers' weight tensors, bytes their kernels store them in): each
    layer's constants less its biases and requantization, as the kernel stores those."""
    from tinygen.kernels.table import KERNELS_BY_NAME, const_bytes

    plain = stored = 0
    for node in graph.nodes:
        if not node.kernel or node.param("weight") is None:
            continue
        spec = KERNELS_BY_NAME[node.kernel]
        rest = sum(spec.stored_bytes(role, graph.const(node, role)) for role in ("bias", "multiplier", "shift")
                   if role in spec.const_roles and node.param(role))
        plain += graph.const(node, "weight").size
        stored += const_bytes(spec, graph, node) - rest
    return plain, stored


def measure(name: str, board, variants: list[str], timeout: float, estimate: bool = False) -> dict:
    from tinygen.compiler import compile_source, load_source
    from tinygen.fit.standin import measure_standin, measure_standin_cycles
    from tinygen.passes import CompileOptions
    from tinygen.quant.weight_spec import parse_weights

    file, ratio = MODELS[name]
    row = {"model": name, "file": file, "pruned": ratio}
    for label in ["int8", *variants]:
        source = load_source(MLPERF / file)
        prune_weights(source.graph, ratio)
        spec = parse_weights(None if label == "int8" else label)
        graph = compile_source(source, None, CompileOptions(features=board.isa_features, weights=spec))
        layers = measure_standin(source, graph, board, timeout)
        coded = sorted(n.name for n in graph.nodes if n.attrs.get("weight_coding"))
        plain, stored = weight_flash(graph)
        row[label] = {"weights_int8": plain, "weights": stored, "constants": const_flash(graph),
                      "instructions": sum(layers.values()), "layers": layers, "coded": coded,
                      "arena": graph.meta["memory"].arena_size}
        if estimate:
            cycles = measure_standin_cycles(source, graph, board, timeout)
            row[label].update(cycles=sum(cycles.values()), layer_cycles=cycles)
    return row


def _coded_ratio(v: dict, base: dict, key: str) -> float:
    """The coded layers' `key` ("layers": instructions, "layer_cycles": est. cycles) against int8's."""
    c8 = sum(base[key][n] for n in v["coded"])
    return sum(v[key][n] for n in v["coded"]) / c8 if c8 else 1.0


def table(rows: list[dict], variants: list[str]) -> str:
    cycles = all("cycles" in r["int8"] for r in rows)
    head = (f"{'model':<6} {'weights':<15} {'weight bytes':>12} {'x int8':>7} {'constants':>10} "
            f"{'instructions':>12} {'x int8':>7} {'coded':>5} {'x int8 (coded)':>14} {'arena +':>7}"
            + (f" {'est. cycles':>12} {'x int8':>7} {'x int8 (coded)':>14}" if cycles else ""))
    lines = [head, "-" * len(head)]
    for r in rows:
        base = r["int8"]
        for label in ["int8", *variants]:
            v = r[label]
            lines.append(f"{r['model']:<6} {label:<15} {v['weights']:>12,} {v['weights'] / base['weights']:>7.3f} "
                         f"{v['constants']:>10,} {v['instructions']:>12,} "
                         f"{v['instructions'] / base['instructions']:>7.2f} {len(v['coded']):>5} "
                         f"{_coded_ratio(v, base, 'layers'):>14.2f} {v['arena'] - base['arena']:>7,}"
                         + (f" {v['cycles']:>12,} {v['cycles'] / base['cycles']:>7.2f} "
                            f"{_coded_ratio(v, base, 'layer_cycles'):>14.2f}" if cycles else ""))
    return "\n".join(lines)


def main(argv=None) -> int:
    from tinygen.board import get_board

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", default="f746zg")
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--weights", nargs="+", default=list(VARIANTS), metavar="SPEC",
                    help=f"--weights specs to compare with int8 (default: {' '.join(VARIANTS)})")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--estimate", action="store_true",
                    help="also the board's estimated cycles per layer (tinygen.cycles), in all and in the coded layers")
    add_timeout_option(ap)
    args = ap.parse_args(argv)
    board = get_board(args.board)
    rows = [measure(name, board, args.weights, args.timeout or DEFAULT_TIMEOUT, args.estimate) for name in args.models]
    print(f"--weights vs int8 on the {args.board} stand-in: bytes of the layers' weights as the kernels store them "
          "(the int8 build's DSP kernels store some widened) and of all constants; executed instructions of one "
          "inference, in all and in the huffman-coded layers; each against the int8 build")
    print(table(rows, args.weights))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
