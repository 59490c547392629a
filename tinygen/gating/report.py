"""The dynamic part of a `tinygen hil` report: per input the exit that answered and each
gate's density; over the data set exit rates, mean densities and the cost of each exit;
and the accuracy-versus-mean-cost table and plot of a threshold / density sweep."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tinygen.report import table


def summarize(dynamic: list[dict], counts: list[int], channels: list[int], exits: int) -> dict:
    """dynamic: per sample {"exit", "kept"} as `tg dyn` reported; counts: its instructions."""
    per_input = [{"exit": d["exit"], "kept": list(d["kept"]), "count": c,
                  "density": [None if k < 0 else k / n for k, n in zip(d["kept"], channels)]}
                 for d, c in zip(dynamic, counts)]
    answered = [d["exit"] for d in per_input]
    by_exit = []
    for e in range(exits):
        mine = [d["count"] for d in per_input if d["exit"] == e]
        by_exit.append({"exit": e, "rate": len(mine) / max(len(per_input), 1),
                        "mean_count": float(np.mean(mine)) if mine else None})
    gates = []
    for g, n in enumerate(channels):
        ran = [d["density"][g] for d in per_input if d["density"][g] is not None]
        gates.append({"gate": g, "channels": n, "ran": len(ran),
                      "mean_density": float(np.mean(ran)) if ran else None,
                      "min_density": min(ran) if ran else None, "max_density": max(ran) if ran else None})
    return {"exits": by_exit, "gates": gates, "per_input": per_input,
            "answered": np.bincount(answered, minlength=exits).tolist() if answered else []}


def render(d: dict, unit: str, show: int = 10) -> str:
    parts = []
    if len(d["exits"]) > 1:
        parts.append(table(["exit", "answered", f"mean {unit}"],
                           [[e["exit"], f"{e['rate'] * 100:.1f}%",
                             "-" if e["mean_count"] is None else f"{e['mean_count']:,.0f}"] for e in d["exits"]],
                           "rrr"))
    if d["gates"]:
        fmt = lambda v: "-" if v is None else f"{v:.3f}"
        parts.append(table(["gate", "channels", "ran", "mean density", "min", "max"],
                           [[g["gate"], g["channels"], g["ran"], fmt(g["mean_density"]), fmt(g["min_density"]),
                             fmt(g["max_density"])] for g in d["gates"]], "rrrrrr"))
    rows = [[i, p["exit"], " ".join("-" if v is None else f"{v:.2f}" for v in p["density"]), f"{p['count']:,}"]
            for i, p in enumerate(d["per_input"][:show])]
    parts.append(table(["input", "exit", "gate densities", unit], rows, "rrll")
                 + (f"\n(first {show} of {len(d['per_input'])} inputs; all in the JSON report)"
                    if len(d["per_input"]) > show else ""))
    return "\n\n".join(parts)


def render_sweep(rows: list[dict], unit: str) -> str:
    return table([rows[0]["knob"], "accuracy", f"mean {unit}", "min", "max", "x first", "bit-exact"],
                 [[r["value"], "-" if r["accuracy"] is None else f"{r['accuracy'] * 100:.2f}%",
                   f"{r['mean']:,.0f}", f"{r['min']:,}", f"{r['max']:,}", f"{r['mean'] / rows[0]['mean']:.3f}",
                   f"{r['bit_exact']}/{r['samples']}"] for r in rows], "rrrrrrr")


def plot_sweep(rows: list[dict], title: str, unit: str, path: str | Path) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return f"plot skipped: matplotlib is not installed (pip install matplotlib) — {path} not written"
    if any(r["accuracy"] is None for r in rows):
        return "plot skipped: no labels, no accuracy to plot (give --labels or y in the data)"
    fig, ax = plt.subplots(figsize=(5.5, 4.0))
    ax.plot([r["mean"] for r in rows], [r["accuracy"] * 100 for r in rows], "o-", color="#4472c4")
    for r in rows:
        ax.annotate(f"{rows[0]['knob']} {r['value']}", (r["mean"], r["accuracy"] * 100), fontsize=8,
                    textcoords="offset points", xytext=(4, 4))
    ax.set_xlabel(f"mean {unit} per inference")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return f"sweep plot written to {path}"
