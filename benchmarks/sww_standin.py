"""The streaming wake word network's shape (MLPerf Tiny sww01's DS-TCN, examples/models/sww_dstcn.py:
untrained, seeded weights) on the Cortex-M7 and Cortex-M4 stand-ins.

    .venv/bin/python benchmarks/sww_standin.py [--boards f746zg f446re] [--kernels tinygen cmsis-nn auto]
        [--layers] [--json out.json]

Compiles the PyTorch model (int8 post-training quantization on its calibration windows) once
per board and kernel choice, boots the firmware on the board's QEMU stand-in and measures one
inference after a warm-up: executed instructions (total, per MAC, per layer with its kernel),
arena and flash bytes, and whether the output equals tinygen's numpy reference byte for byte.
The target (executed instructions per MAC on the M7 and M4 stand-ins, default build): at most
1.25. The reference network itself is not shipped (the project has no sww01 model file): the
shape is its training code's default configuration, so the counts are those of its layers.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from mlperf_standin import compile_for, git_commit, layer_table
from tinygen.hil.deadline import add_timeout_option

MODEL = Path(__file__).resolve().parents[1] / "examples" / "models" / "sww_dstcn.py"
TARGET_PER_MAC = 1.25


def measure(board, kernels: str, work: Path, cmsis_nn: str | None, timeout: float) -> dict:
    from tinygen.build.linked import linked_image
    from tinygen.compiler import build, load_source
    from tinygen.hil.target import open_device
    from tinygen.passes.analysis import total_macs
    from tinygen.ref.interpreter import quantize_input, run

    source = load_source(MODEL)
    graph = compile_for(source, board, kernels, cmsis_nn, lambda msg: print(msg, file=sys.stderr, flush=True),
                        timeout)
    result = build(source, graph, board, work / f"{board.name}-{kernels}")
    x = quantize_input(graph, source.to_graph_layout(
        source.default_calibration[:1].reshape(source.input_shape).astype(np.float32)))
    with open_device(board, result.out_dir, emulate=True, timeout=timeout) as dev:
        dev.run(x.tobytes())                       # warm-up
        raw, count = dev.run(x.tobytes())
        layers, _, _ = dev.layers()
    macs = total_macs(graph)
    elf = result.manifest["memory"][linked_image(result.manifest)]
    want = run(graph, x)[graph.outputs[0]]
    kernel_of = {n.name: n.kernel for n in graph.nodes if n.kernel}
    return {
        "board": board.name, "machine": board.emulator["machine"], "kernels": kernels, "macs": macs,
        "instructions": count, "instructions_per_mac": count / macs, "target_per_mac": TARGET_PER_MAC,
        "arena": result.manifest["arena_size"], "flash": elf["flash"]["used"],
        "equals_reference": bool(np.array_equal(np.frombuffer(raw, np.int8), want.ravel())),
        "layers": [{"name": layer.name, "kernel": kernel_of.get(layer.name), "instructions": layer.count}
                   for layer in layers],
    }


def main(argv=None) -> int:
    from tinygen.board import get_board
    from tinygen.report import table

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--boards", nargs="+", default=["f746zg", "f446re"])
    ap.add_argument("--kernels", nargs="+", default=["tinygen", "cmsis-nn", "auto"],
                    choices=["tinygen", "cmsis-nn", "auto"])
    ap.add_argument("--cmsis-nn", metavar="PATH", default=None,
                    help="a CMSIS-NN source tree for --kernels cmsis-nn / auto (default: $CMSIS_NN_PATH)")
    ap.add_argument("--layers", action="store_true", help="also print each layer's instructions and kernel")
    ap.add_argument("--json", type=Path)
    add_timeout_option(ap)
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.boards:
            board = get_board(name)
            for kernels in args.kernels:
                print(f"building and running sww_dstcn (--kernels {kernels}) on the {board.name} stand-in...",
                      file=sys.stderr, flush=True)
                rows.append(measure(board, kernels, Path(tmp), args.cmsis_nn, args.timeout))
    print(table(["board", "`--kernels`", "instructions (per MAC)", "target", "arena", "flash", "== reference"],
                [[f"`{r['board']}` (`{r['machine']}`)", r["kernels"],
                  f"{r['instructions']:,} ({r['instructions_per_mac']:.2f})",
                  f"<= {r['target_per_mac']:g} per MAC: {'met' if r['instructions_per_mac'] <= r['target_per_mac'] else 'not met'}",
                  f"{r['arena']:,} B", f"{r['flash']:,} B", "yes" if r["equals_reference"] else "NO"] for r in rows],
                "llrlrrl"))
    if args.layers:
        for r in rows:
            print(f"\n{r['board']} --kernels {r['kernels']}:")
            print(layer_table(r["layers"]))
    if args.json:
        args.json.write_text(json.dumps({"commit": git_commit(), "rows": rows}, indent=2) + "\n")
    return 0 if all(r["equals_reference"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
