"""The Pareto fronts as a PNG: one row of plots per board, accuracy against instructions,
flash and RAM; every point grey, the front's points joined."""

from __future__ import annotations

from pathlib import Path


def plot_fronts(rows: list[dict], fronts: dict[str, dict[str, list[str]]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import EngFormatter

    by_key = {r["key"]: r for r in rows}
    boards = list(fronts)
    metrics = list(next(iter(fronts.values())))
    fig, axes = plt.subplots(len(boards), len(metrics), figsize=(4.2 * len(metrics), 3.4 * len(boards)),
                             squeeze=False)
    for i, board in enumerate(boards):
        ok = [r for r in rows if r["status"] == "ok" and r["params"]["board"] == board]
        for j, metric in enumerate(metrics):
            ax = axes[i][j]
            ax.scatter([r[metric] for r in ok], [100 * r["accuracy"] for r in ok], s=12, c="0.7", label="points")
            front = [by_key[k] for k in fronts[board][metric]]
            ax.plot([r[metric] for r in front], [100 * r["accuracy"] for r in front], "o-", c="C0", ms=4,
                    label="Pareto front")
            unit = "executed instructions" if metric == "instructions" else f"{metric} bytes"
            ax.set_xlabel(unit)
            ax.xaxis.set_major_formatter(EngFormatter(sep=""))      # 300k, not 300000 crowding the axis
            ax.set_ylabel("accuracy (%)")
            ax.set_title(f"{board}: accuracy vs {metric}", fontsize=9)
            ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
