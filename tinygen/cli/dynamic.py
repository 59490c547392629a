"""`tinygen hil --sweep density=... | exit=...`: the same compiled dynamic model at each
operating point (tinygen.gating.sweep), built into its own folder beside the main build,
run over the data set on the same target: accuracy and mean / min / max cost per point
(table, and in the JSON report and the --plot PNG)."""

from __future__ import annotations

from pathlib import Path

from tinygen.gating import sweep
from tinygen.gating.report import plot_sweep, render_sweep
from tinygen.hil.session import run_samples


def run_sweep(spec: str, graph, inputs, labels, build_at, open_at, progress) -> list[dict]:
    """build_at(graph, folder) -> project folder; open_at(folder) -> a Device context."""
    knob, values = sweep.parse_sweep(spec)
    rows = []
    for value in values:
        point = sweep.at(graph, knob, value)
        project = build_at(point, f"sweep_{knob}_{sweep.label(value).replace('/', '_')}")
        progress(f"sweep {knob}={sweep.label(value)}: {len(inputs)} samples")
        with open_at(project) as dev:
            run = run_samples(dev, point, inputs, labels)
        rows.append({"knob": knob, "value": sweep.label(value), "accuracy": run.accuracy, "samples": run.samples,
                     "bit_exact": run.exact, "mean": sum(run.counts) / len(run.counts),
                     "min": min(run.counts), "max": max(run.counts),
                     "exits": [sum(d["exit"] == e for d in run.dynamic) for e in range(1 + max(
                         (d["exit"] for d in run.dynamic), default=0))]})
    return rows


def report_sweep(rows: list[dict], summary: dict, plot_path: str | None) -> str | None:
    """Print the table, add the rows to the JSON summary, plot to FILE.sweep.png beside --plot."""
    unit = summary["latency"]["unit"]
    print("\n" + render_sweep(rows, unit))
    summary["sweep"] = rows
    if not plot_path:
        return None
    path = Path(plot_path)
    return plot_sweep(rows, f"{summary['model']} on {summary['board']}: accuracy vs cost", unit,
                      path.with_suffix(".sweep" + path.suffix))
