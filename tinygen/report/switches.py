"""`tinygen hil --switch all`: every precision switch of one flashed image, side by side.

Each switch gets the ordinary per-switch summary (tinygen.report.hil.summarize); this
module adds the accuracy-versus-cost table, its JSON and its PNG plot.
"""

from __future__ import annotations

from pathlib import Path

from tinygen.report.hil import energy_text
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
    for r, by in zip(rows, dominated_by(rows)):
        r["dominated_by"] = by
    return rows


def dominated_by(rows: list[dict]) -> list[str | None]:
    """Per switch, the name of another switch that makes it pointless on this board (at most
    its cost and at least its accuracy, better in one of them: off the accuracy-versus-cost
    Pareto front), or None; a switch without a cost or an accuracy is never dominated."""
    def known(r):
        return r["mean"] is not None and r["accuracy"] is not None

    out: list[str | None] = []
    for r in rows:
        better = [o for o in rows if o is not r and known(o) and known(r) and o["mean"] <= r["mean"]
                  and o["accuracy"] >= r["accuracy"] and (o["mean"] < r["mean"] or o["accuracy"] > r["accuracy"])]
        out.append(min(better, key=lambda o: o["mean"])["name"] if better else None)
    return out


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
                     energy_text(r["energy"]).split(" (")[0],
                     f"dominated by {r['dominated_by']}" if r.get("dominated_by") else "Pareto front"])
    return table(["#", "switch", "bit-exact", "accuracy", f"{unit} per inference", "weights used",
                  "arena used", "energy (estimate)", "trade"], body, "rllrrrrll")


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
    front = sorted((r for r in points if not r.get("dominated_by")), key=lambda r: r["mean"])
    ax.step([r["mean"] for r in front], [r["accuracy"] * 100 for r in front], where="post", color="#4472c4",
            alpha=0.5, zorder=2, label="Pareto front")
    for r in points:
        off = bool(r.get("dominated_by"))
        ax.scatter([r["mean"]], [r["accuracy"] * 100], color="#a0a0a0" if off else "#4472c4", zorder=3)
        ax.annotate(r["name"] + (f" (dominated by {r['dominated_by']})" if off else ""),
                    (r["mean"], r["accuracy"] * 100), textcoords="offset points", xytext=(5, 5), fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_xlabel(f"{unit} per inference")
    ax.set_ylabel("accuracy (%)")
    where = board + (" stand-in" if unit == "instructions" else "")
    ax.set_title(f"{model} on {where}: accuracy against cost per switch", fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return f"accuracy-versus-cost plot written to {path}"


__all__ = ["dominated_by", "plot_switches", "render_switches", "switch_rows"]
