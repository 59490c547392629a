"""The current trace of one inference with the layer boundaries on it (PNG)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tinygen.energy.trace import EnergyResult, Trace

MARGIN = 0.2                # of the window's length, shown before and after it


def layer_edges(seconds: float, layers: list[dict]) -> list[tuple[float, str]]:
    """Where each layer starts inside a window of `seconds`: the per-layer
    counter profile (`tg layers`) scaled to the window, so proportional to the
    layers' counts, not separately measured."""
    total = sum(layer["count"] for layer in layers)
    out, acc = [], 0
    for layer in layers:
        out.append((seconds * acc / total if total else 0.0, layer["name"]))
        acc += layer["count"]
    return out


def plot_inference(trace: Trace, result: EnergyResult, layers: list[dict], path: str | Path, title: str) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return f"plot skipped: matplotlib is not installed (pip install matplotlib) — {path} not written"
    if not result.measured:
        return "plot skipped: no measured inference"
    w = result.measured[0]
    pad = max(int((w.end - w.start) * MARGIN), 2)
    lo, hi = max(w.start - pad, 0), min(w.end + pad, len(trace))
    t_ms = (np.arange(lo, hi) - w.start) / trace.rate_hz * 1e3
    fig, ax = plt.subplots(figsize=(9.0, 4.0))
    ax.plot(t_ms, trace.current_a[lo:hi] * 1e3, lw=0.8, color="#4472c4")
    ax.set_ylim(bottom=0.0, top=float(np.nanmax(trace.current_a[lo:hi])) * 1e3 * 1.15)
    ax.axvspan(0, (w.end - w.start) / trace.rate_hz * 1e3, color="#ffd966", alpha=0.3, label="timestamp pin low")
    for start, name in layer_edges(w.seconds(trace.rate_hz), layers) if result.runs_per_window == 1 else []:
        ax.axvline(start * 1e3, color="#7f7f7f", lw=0.6, ls="--")
        ax.text(start * 1e3, ax.get_ylim()[1], name, rotation=90, fontsize=6, va="top", ha="right")
    ax.set_xlabel("ms from the falling edge")
    ax.set_ylabel("current (mA)")
    ax.set_title(f"{title}: {w.energy_j * 1e6:,.1f} µJ (layer boundaries scaled from the per-layer counts)",
                 fontsize=9)
    ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return f"current trace of one inference written to {path}"


__all__ = ["layer_edges", "plot_inference"]
