"""The mobile model zoo table in the README: five architectures at 96 x 96 (tests/zoo_models.py,
random weights, perturbed batch-norm statistics, 10 classes).

    PYTHONPATH=. .venv/bin/python benchmarks/zoo.py [--json out.json]

For each model: MACs, int8 weight bytes (flash, the f746zg build's, DSP kernels' packed
weights included), the planned arena (f746zg and f446re kernels), whether the host C
equals the numpy reference on 3 images (outputs and every layer), the int8 error against
the float model (RMS error / RMS of the float outputs on 24 images) for tinygen and for
PyTorch's FX post-training quantization on the same calibration images, and whether the
model fits the F746ZG and the F446RE (predicted flash and RAM, tinygen.build.memory). A
benchmark, not a test: it prints numbers (tests/e2e/test_zoo.py asserts them).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

BOARDS = ("f746zg", "f446re")


def fits(name: str, board_name: str) -> tuple[bool, int, int]:
    """(fits, arena bytes, weight bytes) of zoo model `name` compiled for `board_name`."""
    from zoo_lib import compiled

    from tinygen import __version__
    from tinygen.board import get_board
    from tinygen.build.memory import predict
    from tinygen.codegen.emit import project_data

    board = get_board(board_name)
    _, source, graph = compiled(name, board_name)
    weights = project_data(graph, source.name, source.source_hash, __version__)["weight_bytes"]
    use = predict(graph, board, weights)
    ok = all(r.used <= r.capacity for r in use.regions.values() if r.capacity)
    return ok, use.arena, weights


def row(name: str) -> dict:
    import numpy as np
    from e2e import ALL_AGREE, build_host, diff_layers
    from zoo_lib import EXACT, compiled, images, zoo_agreement

    from tinygen.passes.analysis import total_macs
    from tinygen.ref.interpreter import quantize_input, run

    _, source, graph = compiled(name)
    with tempfile.TemporaryDirectory() as tmp:
        host = build_host(source, graph, Path(tmp) / "host")
        exact = True
        for x in images(EXACT, 2):
            q = quantize_input(graph, source.to_graph_layout(x[None]))
            exact &= bool(np.array_equal(host.invoke(q)[0].ravel(), run(graph, q)[graph.outputs[0]].ravel()))
        exact &= diff_layers(graph, host, q) == ALL_AGREE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        agreement = zoo_agreement(name)
    out = {"model": name, "accepted": True, "macs": total_macs(graph), "host_bit_exact": exact, **agreement}
    for board in BOARDS:
        ok, arena, weights = fits(name, board)
        out[f"fits_{board}"], out[f"arena_{board}"], out[f"weights_{board}"] = ok, arena, weights
    return out


def markdown(rows: list[dict]) -> str:
    lines = ["| model (96x96, 10 classes) | accepted | MACs | weights | arena f746zg / f446re | host C = reference "
             "| int8 error: tinygen / PyTorch PTQ | fits f746zg | fits f446re |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {'yes' if r['accepted'] else 'no'} | {r['macs'] / 1e6:.1f} M "
                     f"| {r['weights_f746zg'] / 1024:.0f} KiB | {r['arena_f746zg'] / 1024:.1f} / "
                     f"{r['arena_f446re'] / 1024:.1f} KiB | {'bit-exact' if r['host_bit_exact'] else 'DIFFERS'} "
                     f"| {r['tinygen_error']:.3f} / {r['ptq_error']:.3f} | {'yes' if r['fits_f746zg'] else 'no'} "
                     f"| {'yes' if r['fits_f446re'] else 'no'} |")
    return "\n".join(lines)


def main() -> None:
    from zoo_models import ZOO

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    parser.add_argument("models", nargs="*", default=list(ZOO), help="zoo models (default: all)")
    args = parser.parse_args()
    rows = []
    for name in args.models:
        rows.append(row(name))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(markdown(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
