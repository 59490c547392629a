"""`tinygen hil --switch all`: every precision switch of one flashed image, side by side.

Each switch gets the ordinary per-switch summary (tinygen.hil.report.summarize); this
module adds the accuracy-versus-cost table, its JSON and its PNG plot.
"""

from __future__ import annotations

from pathlib import Path

from tinygen.hil.report import energy_text
from tinygen.report import human_bytes, table


def switch_rows(summaries: list[dict]) -> list[dict]:
    """One row per switch: agreement with the reference, accuracy, cost, weights, energy."""
    rows = []
    for s in summaries:
        lat = s["latency"]
        rows.append({"switch": s["switch"]["index"], "name": s["switch"]["name"], "samples": s["samples"],
                     "bit_exact": s["bit_exact"], "accuracy": s["accuracy"], "unit": lat["unit"],
                     "mean": lat["mean"], "ms": lat.get("ms", {}).get("mean"),
                     "weight_bytes": s["switch"].get("weight_bytes"), "arena_size": s["switch"].get("arena_size"),
                     "energy_joules": None if s["energy"] is None else s["energy"]["joules"],
                     "energy": s["energy"]})
    return rows


def render_switches(rows: list[dict]) -> str:
    """The terminal table: accuracy against cost per switch."""
    unit = rows[0]["unit"] if rows else ""
    body = []
    for r in rows:
        cost = "n/a" if r["mean"] is None else f"{r['mean']:,.0f}" + (f" ({r['ms']:.3f} ms)" if r["ms"] else "")
        body.append([r["switch"], r["name"], f"{r['bit_exact']}/{r['samples']}",
                     "n/a" if r["accuracy"] is None else f"{r['accuracy'] * 100:.2f}%", cost,
                     "n/a" if r["weight_bytes"] is None else human_bytes(r["weight_bytes"]),
                     "n/a" if r["arena_size"] is None else human_bytes(r["arena_size"]),
                     energy_text(r["energy"]).split(" (")[0]])
    return table(["#", "switch", "bit-exact", "accuracy", f"{unit} per inference", "weights used",
                  "arena used", "energy (estimate)"], body, "rllrrrrl")


def plot_switches(rows: list[dict], model: str, board: str, path: str | Path) -> str:
    """Accuracy against cost, one labelled point per switch, to PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return f"plot skipped: matplotlib is not installed (pip install matplotlib) — {path} not written"
    points = [r for r in rows if r["mean"] is not None and r["accuracy"] is not None]
    if not points:
        return "plot skipped: no switch has both a cost and an accuracy (give labels with --data / --labels)"
    unit = points[0]["unit"]
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    ax.scatter([r["mean"] for r in points], [r["accuracy"] * 100 for r in points], color="#4472c4", zorder=3)
    for r in points:
        ax.annotate(r["name"], (r["mean"], r["accuracy"] * 100), textcoords="offset points", xytext=(5, 5),
                    fontsize=9)
    ax.set_xlabel(f"{unit} per inference")
    ax.set_ylabel("accuracy (%)")
    where = board + (" stand-in" if unit == "instructions" else "")
    ax.set_title(f"{model} on {where}: accuracy against cost per switch", fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return f"accuracy-versus-cost plot written to {path}"


__all__ = ["plot_switches", "render_switches", "switch_rows"]
