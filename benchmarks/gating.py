"""Dynamic inference on the f746zg stand-in: run-time channel gating and early exits.

    .venv/bin/python benchmarks/gating.py [--samples N] [--json out.json] [--plot out.png]

The three networks of examples/gating (trained on first use, weights cached in
build/gating/) compiled for the board, built, and run on its QEMU stand-in over the first N
test images of the 32x32 shapes set (default all 500):

1. baseline: the dense CNN.
2. gated: the same convolutions as GatedConv2d (FBS, trained at density 0.5), run at
   densities 1.0, 0.7, 0.5, 0.3 (tinygen.gating.sweep: only the gates' k changes).
3. exits: the baseline backbone with two early heads (self-distilled), run at the trained
   thresholds and a sweep of thresholds.

Per point: accuracy, mean / min / max executed instructions per inference (gate predictors
included), the ratio to the baseline's mean, exit rates, and how many samples matched the
reference in every output byte, every gate decision and every exit. Then per gated layer the
instructions of tg_conv2d_gated_s8_dsp at each density against the baseline's dense conv
(`tg layers` on the first image). Instructions, never cycles: QEMU counts executed instructions.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from contextlib import nullcontext
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples" / "gating"))

import _nets

from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.gating import choose, sweep
from tinygen.gating.report import plot_sweep
from tinygen.hil.session import profile_layers, run_samples
from tinygen.hil.target import open_device
from tinygen.passes import CompileOptions
from tinygen.ref.interpreter import quantize_input, run

BOARD = "f746zg"
DENSITIES = (1.0, 0.7, 0.5, 0.3)
EXIT_SWEEP = (0.6, 0.8, 0.95)
EXIT_MARGIN = 0.015     # the chosen thresholds may cost this much validation accuracy against the baseline (the issue: 1.5 points)
COST_SAMPLES = 4        # inputs run to measure each exit's cost


def _run(board, source, graph, inputs, labels, folder: Path, label: str) -> dict:
    project = build(source, graph, board, folder / label, force=True).out_dir
    with open_device(board, project, emulate=True) as dev:
        run = run_samples(dev, graph, inputs, labels)
        layers, _ = profile_layers(dev, graph, inputs[0])
    counts = np.asarray(run.counts)
    exits = np.bincount([d["exit"] for d in run.dynamic], minlength=1) if run.dynamic else np.array([len(counts)])
    row = {"point": label, "accuracy": run.accuracy, "samples": run.samples, "exact": run.exact,
           "mean": float(counts.mean()), "min": int(counts.min()), "max": int(counts.max()),
           "exit_rates": (exits / len(counts)).tolist(),
           "layers": [{"name": layer.name, "count": layer.count} for layer in layers]}
    print(f"  {label}: accuracy {run.accuracy:.4f}, mean {row['mean']:,.0f} instructions, "
          f"exact {run.exact}/{run.samples}, exits {row['exit_rates']}", flush=True)
    return row


def _compiled(kind: str, options: CompileOptions):
    source = load_source(ROOT / "examples" / "gating" / f"shapes_{kind}.py")
    return source, compile_source(source, options=options)


def _choose_exits(board, source, graph, baseline, inputs, labels, folder: Path) -> dict:
    """Per-exit thresholds chosen on the validation split by the host reference: the cheapest
    whose accuracy is within EXIT_MARGIN of the dense baseline's there, each exit's cost
    measured here on a few test inputs."""
    xv, yv = _nets.validation()
    h = choose.heads(graph, quantize_input(graph, source.to_graph_layout(xv)))
    early = h.top.shape[1] - 1
    bsource, bgraph = baseline or _compiled("baseline", CompileOptions(features=frozenset(board.isa_features)))
    floor = float(np.mean([run(bgraph, q)[bgraph.outputs[0]].argmax() == label for q, label in
                           zip(quantize_input(bgraph, bsource.to_graph_layout(xv)), yv)]))
    costs = []
    for k in range(early + 1):      # thresholds forcing exit k: 1 (never) before it, 0 (always) at it
        forced = tuple(1.0 if j < k else 0.0 for j in range(early))
        costs.append(_run(board, source, sweep.at(graph, "exit", forced), inputs[:COST_SAMPLES], labels[:COST_SAMPLES],
                          folder, f"exit {k} cost")["mean"])
    thresholds, accuracy, cost = choose.choose(h, yv, costs, floor - EXIT_MARGIN)
    print(f"  chosen on {len(yv)} validation images: thresholds {sweep.label(thresholds)}, accuracy "
          f"{accuracy:.4f} (floor {floor - EXIT_MARGIN:.4f}), predicted mean {cost:,.0f}", flush=True)
    return {"thresholds": list(thresholds), "validation_accuracy": accuracy, "floor": floor - EXIT_MARGIN,
            "predicted_mean": cost, "exit_costs": costs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=_nets.TEST)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--plot", type=Path)
    ap.add_argument("--keep", type=Path, help="build here instead of a temporary folder")
    ap.add_argument("--models", nargs="+", choices=("baseline", "gated", "exits"), default=("baseline", "gated", "exits"),
                    help="measure only these (the table's ratios need the baseline: --baseline-json)")
    ap.add_argument("--densities", type=float, nargs="+", default=DENSITIES, help="gate densities to run")
    ap.add_argument("--exit-sweep", type=float, nargs="*", default=EXIT_SWEEP,
                    help="thresholds (one for every early exit) to run beside the trained and chosen ones")
    ap.add_argument("--baseline-json", type=Path, help="the JSON of an earlier run that measured the baseline")
    args = ap.parse_args()
    print(f"test data for tinygen hil --data: {_nets.write_test_data()}")
    board = get_board(BOARD)
    options = CompileOptions(features=frozenset(board.isa_features))
    _, (x, y) = _nets.dataset()
    x, y = x[:args.samples], y[:args.samples]
    results: dict = {"board": BOARD, "samples": len(y)}
    with (nullcontext(args.keep) if args.keep else tempfile.TemporaryDirectory()) as tmp:
        folder = Path(tmp)
        sources = {}
        for kind in args.models:
            sources[kind] = _compiled(kind, options)
        if "baseline" in sources:
            source, graph = sources["baseline"]
            inputs = quantize_input(graph, source.to_graph_layout(x))
            print("baseline", flush=True)
            results["baseline"] = _run(board, source, graph, inputs, y, folder, "baseline")
        if "gated" in sources:
            source, graph = sources["gated"]
            inputs = quantize_input(graph, source.to_graph_layout(x))
            print("gated", flush=True)
            results["gated"] = [_run(board, source, sweep.at(graph, "density", d), inputs, y, folder,
                                     f"density {d:g}") for d in args.densities]
        if "exits" in sources:
            source, graph = sources["exits"]
            inputs = quantize_input(graph, source.to_graph_layout(x))
            print("exits", flush=True)
            trained = next(n for n in graph.nodes if n.op == "exit_select").attrs["thresholds"]
            chosen = _choose_exits(board, source, graph, sources.get("baseline"), inputs, y, folder)
            results["exit_choice"] = chosen
            points = [trained, tuple(chosen["thresholds"]), *args.exit_sweep]
            results["exits"] = [_run(board, source, sweep.at(graph, "exit", t), inputs, y, folder,
                                     f"thresholds {sweep.label(t)}") for t in points]
    if args.baseline_json:      # the baseline row of an earlier run (--models baseline), for the ratios
        results.setdefault("baseline", json.loads(args.baseline_json.read_text())["baseline"])
    print_tables(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if args.plot:
        rows = [{"knob": "point", "value": i, "accuracy": r["accuracy"], "mean": r["mean"]}
                for i, r in enumerate([results["baseline"], *results.get("gated", []), *results.get("exits", [])])]
        print(plot_sweep(rows, f"shapes32 on the {BOARD} stand-in: accuracy vs mean instructions",
                         "instructions", args.plot))


def print_tables(results: dict) -> None:
    base = results["baseline"]
    results = {"gated": [], "exits": [], **results}
    print("\n| model | point | accuracy | mean instructions | min | max | x baseline | exits answered | "
          "bit-exact (outputs, gates, exits) |\n|---|---|---|---|---|---|---|---|---|")
    for kind, rows in (("baseline", [base]), ("gated", results["gated"]), ("exits", results["exits"])):
        for r in rows:
            exits = " / ".join(f"{v * 100:.1f}%" for v in r["exit_rates"]) if kind == "exits" else "-"
            print(f"| {kind} | {r['point']} | {r['accuracy'] * 100:.2f}% | {r['mean']:,.0f} | {r['min']:,} | "
                  f"{r['max']:,} | {r['mean'] / base['mean']:.3f} | {exits} | {r['exact']}/{r['samples']} |")
    dense = [layer for layer in base["layers"] if "conv" in layer["name"]]
    print("\n| layer | dense (baseline) | " + " | ".join(f"gated d={r['point'].split()[-1]}"
                                                       for r in results["gated"]) + " |")
    print("|---|---|" + "---|" * len(results["gated"]))
    gated_layers = [[layer for layer in r["layers"] if "conv" in layer["name"]] for r in results["gated"]]
    for i, layer in enumerate(dense):
        cells = [f"{g[i]['count']:,} ({g[i]['count'] / layer['count']:.2f}x)" for g in gated_layers if i < len(g)]
        print(f"| {layer['name']} | {layer['count']:,} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
