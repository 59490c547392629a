"""What `tinygen listen --audio` and `--stream` print and write: tables, JSON and the stream plot.

Cost figures are in the device's counter units: cycles on a real board, executed
instructions on a stand-in (never called cycles or time there). The duty cycle is the
counter units one second of audio takes against the core's clock: on a stand-in, the share
of a 216 MHz core the stream would take if every instruction took one cycle.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tinygen.audio import stream as st
from tinygen.audio.curve import CurvePoint, best_within, threshold_curve
from tinygen.audio.device import FEATURE_TOLERANCE, ClipRun, StreamRun
from tinygen.hil.session import SHOW_MISMATCHES
from tinygen.ref import mfcc as fe
from tinygen.report import table


def _mean(values: list[int]) -> float | None:
    return float(np.mean(values)) if values else None


def summarize_clips(run: ClipRun, classes: tuple[str, ...], model: str, target: str, unit: str | None) -> dict:
    frontend, net = _mean(run.frontend_counts), _mean(run.network_counts)
    per_class = None
    if run.labels is not None and run.samples:
        y, p = run.labels[:run.samples], np.asarray(run.predictions)
        per_class = {classes[c]: {"clips": int((y == c).sum()), "correct": int(((y == c) & (p == c)).sum())}
                     for c in range(len(classes)) if (y == c).any()}
    differing = sum(n for n, _ in run.feature_diffs)
    return {"model": model, "target": target, "mode": "clip", "clips": run.samples,
            "features_identical": sum(n == 0 for n, _ in run.feature_diffs),
            "feature_bytes_differing": differing / (run.samples * fe.NUM_FRAMES * fe.NUM_MFCC) if run.samples else 0.0,
            "feature_max_difference": run.feature_max_diff, "feature_tolerance": FEATURE_TOLERANCE,
            "outputs_exact": run.samples - len(run.output_mismatches),
            "output_mismatches": [{"clip": i, "detail": d} for i, d in run.output_mismatches],
            "predictions_as_twin": int(np.sum(np.asarray(run.predictions) == np.asarray(run.twin_predictions))),
            "accuracy": run.accuracy, "per_class": per_class, "unit": unit,
            "frontend_mean": frontend, "network_mean": net,
            "frontend_share": frontend / (frontend + net) if frontend is not None and net else None,
            "ok": not run.output_mismatches and run.feature_max_diff <= FEATURE_TOLERANCE}


def _count(value: float | None, unit: str | None) -> str:
    return "n/a (the host reference counts nothing)" if value is None else f"{value:,.0f} {unit}"


def render_clips(s: dict) -> str:
    n = s["clips"]
    features = (f"{s['features_identical']}/{n} clips identical; {s['feature_bytes_differing']:.3%} of the bytes "
                f"differ, by at most {s['feature_max_difference']}")
    if s["feature_max_difference"] > s["feature_tolerance"]:
        features += f" (MORE than the front end's tolerance {s['feature_tolerance']})"
    rows = [["model", s["model"]], ["target", s["target"]], ["clips", n],
            ["features vs the twin", features],
            ["outputs vs the reference on the device's features", f"{s['outputs_exact']}/{n} bit-exact"],
            ["predictions as on the twin's features", f"{s['predictions_as_twin']}/{n}"]]
    if s["accuracy"] is not None:
        rows.append(["accuracy (labels)", f"{s['accuracy'] * 100:.2f}%"])
    rows.append(["front end per clip", _count(s["frontend_mean"], s["unit"])])
    rows.append(["network per clip", _count(s["network_mean"], s["unit"])])
    if s["frontend_share"] is not None:
        rows.append(["front end share", f"{s['frontend_share'] * 100:.1f}%"])
    parts = [table(["", "value"], rows, "ll")]
    if s["per_class"]:
        parts.append(table(["class", "clips", "correct", "recall"],
                           [[c, v["clips"], v["correct"], f"{v['correct'] / v['clips'] * 100:.1f}%"]
                            for c, v in s["per_class"].items()], "lrrr"))
    if s["output_mismatches"]:
        parts.append("MISMATCH: outputs differ from the reference on the device's own features:\n" + "\n".join(
            f"  clip {m['clip']}: {m['detail']}" for m in s["output_mismatches"][:SHOW_MISMATCHES]))
    return "\n\n".join(parts)


def _score_dict(score: st.StreamScore) -> dict:
    lat = score.latencies
    return {"keywords": score.hits + score.misses, "hits": score.hits, "misses": score.misses,
            "false_accepts": score.false_accepts, "false_accepts_per_hour": score.false_accepts_per_hour,
            "latency_mean_s": float(np.mean(lat)) if lat else None,
            "latency_median_s": float(np.median(lat)) if lat else None,
            "latency_max_s": float(np.max(lat)) if lat else None}


def stream_curve(run: StreamRun, config: st.StreamConfig, truth: list[st.Truth], output_scale: float,
                 tolerance: float = 1.0) -> list[CurvePoint]:
    """Hits against false accepts per hour at every threshold, from the target's own sums (the
    device's m-tg-inf lines; tinygen.audio.curve)."""
    return threshold_curve([r.sample for r in run.rows], [r.sums for r in run.rows], config, truth, run.samples,
                           output_scale, tolerance)


def curve_dict(points: list[CurvePoint]) -> list[dict]:
    return [{"threshold_units": p.threshold_units, "threshold": p.threshold, "hits": p.hits, "misses": p.misses,
             "false_accepts": p.false_accepts, "false_accepts_per_hour": p.false_accepts_per_hour} for p in points]


def summarize_stream(run: StreamRun, config: st.StreamConfig, model: str, target: str, unit: str | None,
                     clock_hz: int | None, wav: str, curve: list[CurvePoint] | None = None,
                     output_scale: float | None = None) -> dict:
    frames = 0 if run.samples < fe.FRAME_LENGTH else 1 + (run.samples - fe.FRAME_LENGTH) // fe.FRAME_STEP
    cost = None
    if run.frontend is not None and run.network is not None:
        per_second = (run.frontend + run.network) / run.audio_seconds
        windows = run.windows or 0                  # the front end's work once per inference
        cost = {"unit": unit, "frontend": run.frontend, "network": run.network, "windows": run.windows,
                "frontend_per_frame": (run.frontend - windows) / frames if frames else None,
                "window_per_inference": windows / run.inferences if run.inferences and run.windows is not None
                else None,
                "network_per_inference": run.network / run.inferences if run.inferences else None,
                "per_audio_second": per_second, "clock_hz": clock_hz,
                "duty_cycle": per_second / clock_hz if clock_hz else None}
    return {"model": model, "target": target, "mode": "stream", "recording": wav,
            "audio_seconds": run.audio_seconds, "chunks": run.chunks, "inferences": run.inferences,
            "config": {"hop_every": config.hop_every, "smooth": config.smooth,
                       "threshold_units": config.threshold_units, "refractory_samples": config.refractory,
                       "threshold": None if output_scale is None else config.threshold_units * output_scale / config.smooth},
            "curve": None if curve is None else curve_dict(curve),
            "events": [{"label": e.label, "time": e.time, "sample": e.sample, "score": e.score} for e in run.events],
            "score": _score_dict(run.score), "reference_score": _score_dict(run.reference_score),
            "compared_with_reference": run.compared, "exact": run.exact_mismatch is None,
            "exact_mismatch": run.exact_mismatch, "windows_checked": run.windows_checked,
            "events_equal_reference": run.event_difference is None, "event_difference": run.event_difference,
            "sums_equal_reference": run.sums_equal, "windows": run.window_agreement(),
            "wall_seconds": run.seconds, "realtime_factor": run.audio_seconds / run.seconds if run.seconds else None,
            "cost": cost}


def _latency(score: dict) -> str:
    if score["latency_mean_s"] is None:
        return "n/a (no hits)"
    return (f"mean {score['latency_mean_s'] * 1e3:.0f} ms, median {score['latency_median_s'] * 1e3:.0f} ms, "
            f"max {score['latency_max_s'] * 1e3:.0f} ms after the keyword's end")


def render_stream(s: dict) -> str:
    sc = s["score"]
    rows = [["model", s["model"]], ["target", s["target"]],
            ["recording", (f"{s['recording']} ({s['audio_seconds']:.1f} s, {s['chunks']} chunks, "
                           f"{s['inferences']} inferences)")],
            ["keywords in the truth", sc["keywords"]],
            ["hits", f"{sc['hits']} ({sc['hits'] / sc['keywords'] * 100:.1f}%)" if sc["keywords"] else "0"],
            ["misses", sc["misses"]],
            ["false accepts", f"{sc['false_accepts']} ({sc['false_accepts_per_hour']:.1f} per hour)"],
            ["latency", _latency(sc)]]
    if s["compared_with_reference"]:
        rows += _stream_checks(s)
    else:
        rows.append(["checks against the host reference", "n/a (this is the host reference)"])
    cost = s["cost"]
    if cost is None:
        rows.append(["cost", "n/a (the host reference counts nothing)"])
    else:
        unit = cost["unit"]
        rows.append(["front end per frame (20 ms)", f"{cost['frontend_per_frame']:,.0f} {unit}"])
        if cost.get("window_per_inference") is not None:
            rows.append(["front end per inference (the window)", f"{cost['window_per_inference']:,.0f} {unit}"])
        rows += [["network per inference", f"{cost['network_per_inference']:,.0f} {unit}"],
                 ["per second of audio", f"{cost['per_audio_second']:,.0f} {unit}"]]
        if cost["duty_cycle"] is not None:
            note = " (instructions taken as cycles: an estimate)" if unit == "instructions" else ""
            rows.append(["duty cycle", f"{cost['duty_cycle'] * 100:.1f}% of {cost['clock_hz'] / 1e6:g} MHz{note}"])
    if s["realtime_factor"]:
        rows.append(["speed", f"{s['realtime_factor']:.1f}x real time ({s['wall_seconds']:.1f} s wall clock)"])
    return table(["", "value"], rows, "ll")


def _stream_checks(s: dict) -> list[list[str]]:
    """The device against the host reference: what must be exact, and what may differ where
    the device's front end gives a window that differs from the twin's by 1 somewhere."""
    ref = s["reference_score"]
    events = "yes" if s["events_equal_reference"] else (
        f"no: {s['event_difference']} (the reference: {ref['hits']} hits, {ref['false_accepts']} false accepts)")
    rows = [["events equal to the host reference", events],
            ["sums equal to the host reference", f"{s['sums_equal_reference']}/{s['inferences']} inferences"]]
    if s["exact_mismatch"] is not None:
        rows.append(["exact checks", f"FAILED: {s['exact_mismatch']}"])
    elif s["windows_checked"]:
        rows.append(["network and detector on the device's windows", f"exact ({s['inferences']} replayed)"])
    else:
        rows.append(["network and detector on the device's windows", "not checked (--check-windows sends them)"])
    w = s["windows"]
    if w:
        rows.append(["windows equal to the twin's", f"{w['identical']}/{w['windows']}; {w['bytes_differing']:.3%} "
                                                    f"of the bytes differ, by at most {w['max_difference']}"])
    return rows


def _matplotlib():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


ROW_SECONDS = 60.0          # the plot wraps a long recording into rows of this many seconds
FLOOR_DB = -80.0            # the waveform's envelope is drawn in dB full scale down to this


def _draw_row(ax_w, ax_s, lo: float, samples: np.ndarray, run: StreamRun, truth: list[st.Truth],
              config: st.StreamConfig, output_scale: float, colors: dict, legend: bool) -> None:
    """One row of the stream plot: the seconds [lo, lo + ROW_SECONDS)."""
    hi = min(lo + ROW_SECONDS, len(samples) / fe.SAMPLE_RATE)
    part = samples[int(lo * fe.SAMPLE_RATE):int(hi * fe.SAMPLE_RATE)]
    bins = max(1, len(part) // 3000)                        # an envelope of ~3000 columns, in dB full scale
    env = np.abs(part[:len(part) // bins * bins].reshape(-1, bins).astype(np.float64)).max(axis=1) / 32768
    t = lo + (np.arange(len(env)) + 0.5) * bins / fe.SAMPLE_RATE
    ax_w.fill_between(t, FLOOR_DB, 20 * np.log10(np.maximum(env, 10 ** (FLOOR_DB / 20))), color="#7f7f7f", lw=0)
    found = {id(k): e for k, e in run.score.matched}
    for k in truth:
        if lo <= k.start < hi:
            ax_w.axvspan(k.start, k.end, color=colors.get(k.label, "#cccccc"), alpha=0.4, lw=0)
            ax_w.text((k.start + k.end) / 2, 1.03, k.label, ha="center", va="bottom", fontsize=7,
                      color="black" if found.get(id(k)) else "red", transform=ax_w.get_xaxis_transform())
    ax_w.set_ylim(FLOOR_DB, 0)
    ax_w.set_yticks([FLOOR_DB, -40, 0])
    ax_w.tick_params(axis="y", labelsize=7)
    ax_w.set_ylabel("peak dBFS", fontsize=8)
    rows = [r for r in run.rows if lo <= r.sample / fe.SAMPLE_RATE < hi]
    if rows:
        times = np.array([r.sample for r in rows]) / fe.SAMPLE_RATE
        scores = np.array([r.sums for r in rows], np.float64) * output_scale / config.smooth
        for c in config.keywords:
            name = config.labels[c]
            ax_s.plot(times, scores[:, c], color=colors[name], lw=0.8, label=name)
    threshold = config.threshold_units * output_scale / config.smooth
    ax_s.axhline(threshold, color="black", ls="--", lw=0.8, label=f"threshold {threshold:.2f}")
    hits = {id(e) for _, e in run.score.matched if e is not None}
    for e in run.events:
        if lo <= e.time < hi:
            color = "green" if id(e) in hits else "red"
            ax_s.plot(e.time, 1.04, marker="v", color=color, ms=6, clip_on=False)
            ax_s.text(e.time, 1.09, e.label, ha="center", fontsize=7, color=color, clip_on=False)
    ax_s.set_ylim(0, 1.0)
    ax_s.set_xlim(lo, lo + ROW_SECONDS if lo or hi >= ROW_SECONDS else hi)    # rows share a scale
    ax_s.set_ylabel("mean score", fontsize=8)
    if legend:
        ax_s.legend(loc="upper left", bbox_to_anchor=(1.0, 1.6), fontsize=7, frameon=False)


def plot_stream(samples: np.ndarray, run: StreamRun, truth: list[st.Truth], config: st.StreamConfig,
                output_scale: float, title: str, path: str | Path) -> str:
    """Per row of a minute: the waveform with the truth shaded (its label red where missed),
    the keywords' scores (mean over the smoothed inferences) with the threshold, and the
    events (green: a hit, red: a false accept)."""
    plt = _matplotlib()
    if plt is None:
        return f"plot skipped: matplotlib is not installed (pip install matplotlib) — {path} not written"
    seconds = len(samples) / fe.SAMPLE_RATE
    rows = max(1, int(np.ceil(seconds / ROW_SECONDS - 1e-9)))
    fig = plt.figure(figsize=(14.0, 3.3 * rows + 0.7))
    colors = {name: plt.cm.tab10(i % 10) for i, name in enumerate(config.labels[c] for c in config.keywords)}
    for r, sub in enumerate(np.atleast_1d(fig.subfigures(rows, 1))):
        ax_w, ax_s = sub.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1.7]})
        _draw_row(ax_w, ax_s, r * ROW_SECONDS, samples, run, truth, config, output_scale, colors, r == 0)
        if r == rows - 1:
            ax_s.set_xlabel("time (s)")
    sc = run.score
    fig.suptitle(f"{title}: {sc.hits} hits, {sc.misses} misses, {sc.false_accepts} false accepts "
                 f"(scores from the {'device' if run.compared else 'reference'}; truth shaded, missed in red; events green = hit, red = false "
                 f"accept)", fontsize=9, y=1.0 + 0.35 / (3.3 * rows + 0.7))
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return f"stream plot written to {path}"


def plot_curve(curves: list[tuple[str, list[CurvePoint], int | None]], title: str, path: str | Path,
               target: tuple[float, float] | None = None) -> str:
    """Hits (%) against false accepts per hour as the threshold moves, one colour per (name,
    points, the threshold in use in output units: marked, or None): a dot per threshold, and
    the line of the most hits within each number of false accepts per hour (best_within);
    `target` (hit rate, false accepts per hour) shades what meets both. The x axis is linear
    to 10 per hour, logarithmic above."""
    plt = _matplotlib()
    if plt is None:
        return f"curve skipped: matplotlib is not installed (pip install matplotlib) — {path} not written"
    fig, ax = plt.subplots(figsize=(7.5, 5.0))
    top = max([p.false_accepts_per_hour for _, points, _ in curves for p in points] + [100.0])
    if target is not None:
        ax.fill_between([0, target[1]], target[0] * 100, 100, color="#2ca02c", alpha=0.12, lw=0,
                        label=f"target: >= {target[0]:.0%} hits, <= {target[1]:g} false accepts per hour")
    for i, (name, points, used) in enumerate(curves):
        color = plt.cm.tab10(i % 10)
        ax.plot([p.false_accepts_per_hour for p in points], [p.hit_rate * 100 for p in points], ".", color=color,
                ms=3, alpha=0.35)
        frontier = best_within(points)
        ax.step([p.false_accepts_per_hour for p in frontier] + [top * 1.2], [p.hit_rate * 100 for p in frontier]
                + [frontier[-1].hit_rate * 100], where="post", color=color, lw=1.4, label=name)
        at = None if used is None else next((p for p in points if p.threshold_units >= used), None)
        if at is not None:                  # the events at `used` are those of the next threshold up the curve
            ax.plot(at.false_accepts_per_hour, at.hit_rate * 100, "o", color=color, ms=7)
            ax.annotate(f"in use: {at.hit_rate:.1%}, {at.false_accepts_per_hour:.0f}/h",
                        (at.false_accepts_per_hour, at.hit_rate * 100), textcoords="offset points", xytext=(8, -14),
                        fontsize=8, color=color)
    ax.set_xscale("symlog", linthresh=10.0)
    ax.set_xlim(0, top * 1.2)
    ax.set_ylim(0, 100.5)
    ax.set_xlabel("false accepts per hour")
    ax.set_ylabel("keywords detected (%)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return f"curve written to {path}"


__all__ = ["curve_dict", "plot_curve", "plot_stream", "render_clips", "render_stream", "stream_curve", "summarize_clips",
           "summarize_stream"]
