"""What `tinygen hil` prints and writes: a terminal table, a JSON file and a
per-layer plot.

Cost figures come in the device's counter units (`tg info` counter): core
cycles on a real board, which with the clock give time; executed
instructions on an emulated stand-in, which are never called cycles or
milliseconds. The energy row is always an estimate from the board file's run
current (a figure read off a datasheet, not measured): on a board × the
measured time, on a stand-in × the instructions taken as cycles at the board's
clock. Measured energy comes from a meter (`--meter`, tinygen.energy);
estimated cycles from the instruction mix (`--cycles`, tinygen.cycles).
"""

from __future__ import annotations

from pathlib import Path

from tinygen.board import Board
from tinygen.build.linked import memory_use
from tinygen.gating.report import render as render_dynamic, summarize as dynamic_summary
from tinygen.hil.client import Layer
from tinygen.hil.device_libm import summary_text as libm_text
from tinygen.hil.onnx_check import agreement_rows
from tinygen.hil.tflm_check import agreement_rows as tflm_rows
from tinygen.hil.session import SHOW_MISMATCHES, SampleRun
from tinygen.report import human_bytes, table

ESTIMATE = ("estimate: board-file run current × instructions taken as cycles at the board clock, not measured "
            "(--cycles prices the instruction mix, --meter measures a board)")
ESTIMATE_BOARD = "estimate: board-file run current × the measured time, not a measured energy (--meter measures it)"


def _stats(counts: list[int]) -> dict:
    if not counts:
        return {"mean": None, "min": None, "max": None}
    return {"mean": sum(counts) / len(counts), "min": min(counts), "max": max(counts)}


def seconds_per_count(counter: str, clock_hz: int | None) -> float | None:
    """Real time per counter unit: cycles at the device's clock, the host's
    nanoseconds; None for executed instructions (a stand-in has no time)."""
    if counter == "cycles" and clock_hz:
        return 1.0 / clock_hz
    if counter == "ns":
        return 1e-9
    return None


def energy(board: Board, counter: str, per_inference: float, clock_hz: int | None) -> dict | None:
    """E = V × I × t for one inference, or None without a power model. On a
    stand-in, t is estimated as instructions / the real board's clock."""
    p = board.power
    clock = clock_hz or board.clock_hz
    if not p.get("supply_v") or not p.get("run_current_a") or not clock:
        return None
    seconds = per_inference * (seconds_per_count(counter, clock) or 1.0 / clock)
    joules = p["supply_v"] * p["run_current_a"] * seconds
    out = {"joules": joules, "supply_v": p["supply_v"], "run_current_a": p["run_current_a"],
           "clock_hz": clock, "source": p.get("source", ""), "confirmed": bool(p.get("confirmed", True))}
    out["estimate"] = ESTIMATE if counter == "instructions" else ESTIMATE_BOARD
    return out


def memory_rows(manifest: dict) -> list[dict]:
    """Flash and RAM use from the build manifest: per region of the image tinygen linked
    (tinygen.build.linked: firmware.elf, or firmware-emu.elf on ESP32 boards), or as
    predicted when nothing was linked, else the weights and the arena (host builds)."""
    rows = [{"region": "weights (flash)", "used": manifest.get("weight_bytes"), "size": None},
            {"region": "arena (RAM)", "used": manifest.get("arena_size"), "size": None}]
    memory = manifest.get("memory")
    if isinstance(memory, dict):
        use = memory_use(manifest)
        rows += [{"region": f"{kind} ({use.get('source', '?')})", "used": r["used"], "size": r.get("capacity")}
                 for kind, r in use.items() if isinstance(r, dict) and "used" in r]
    return rows


SHOW_VALUES = 4          # values of the first sample shown per output in the terminal


def outputs_summary(run: SampleRun, graph) -> list[dict]:
    """Per model output (head): its name, shape, type and grid (a float32 output: scale 1, zero
    point 0), the samples on which the device's output equals the reference's, whether accuracy
    is taken on it, and the device's values per sample (dequantize: scale * (q - zero_point))."""
    rows = []
    for k, name in enumerate(graph.outputs):
        t = graph.tensor(name)
        q = t.qparams           # None: a float32 output, its values the real values
        rows.append({"index": k, "name": name, "shape": list(t.shape), "dtype": t.dtype,
                     "scale": float(q.scale[0]) if q is not None else 1.0,
                     "zero_point": int(q.zero_point[0]) if q is not None else 0, "bit_exact": run.exact_output(name),
                     "accuracy_head": k == run.head, "q": [o[k].ravel().tolist() for o in run.outputs]})
    return rows


def summarize(run: SampleRun, layers: list[Layer], layer_total: int, info: dict, board: Board,
              manifest: dict, target: str, graph=None) -> dict:
    """The report as data (what --json writes); `graph` (the compiled graph) adds every
    output's section (outputs_summary)."""
    counter = info.get("counter", "cycles")
    clock = info.get("clock_hz") or (board.clock_hz if counter == "cycles" else None)
    latency = {"unit": counter, **_stats(run.counts)}
    seconds = seconds_per_count(counter, clock)
    if seconds is not None and latency["mean"] is not None:
        latency["ms"] = {k: latency[k] * seconds * 1e3 for k in ("mean", "min", "max")}
    layer_sum = sum(layer.count for layer in layers)
    return {
        "model": info.get("model", manifest.get("model")),
        "model_hash": info.get("hash"),
        "board": board.name,
        "target": target,
        "device": info,
        "samples": run.samples,
        "bit_exact": run.exact,
        "mismatches": [{"sample": m.sample, "output": m.output, "detail": m.detail} for m in run.mismatches],
        "accuracy": run.accuracy,
        "head": run.head,
        "outputs": [] if graph is None else outputs_summary(run, graph),
        "latency": latency,
        "layers": [{"index": layer.index, "name": layer.name, "count": layer.count,
                    "share": layer.count / layer_sum if layer_sum else None} for layer in layers],
        "layers_total": layer_total,
        "memory": memory_rows(manifest),
        "energy": energy(board, counter, latency["mean"], clock) if latency["mean"] is not None else None,
        # dynamic models (tinygen.gating): which exit answered, each gate's density, per input
        "dynamic": dynamic_summary(run.dynamic, run.counts, manifest.get("gate_channels", []),
                                   manifest.get("exits", 1)) if run.dynamic else None,
    }


def _count(value: float | None, unit: str) -> str:
    return "n/a" if value is None else f"{value:,.0f} {unit}"


def energy_text(e: dict | None) -> str:
    if e is None:
        return "n/a (no power model for this board)"
    uj = e["joules"] * 1e6
    amount = f"{uj:,.1f} µJ" if uj < 1000 else f"{uj / 1000:,.2f} mJ"
    text = f"{amount} at {e['supply_v']} V × {e['run_current_a'] * 1e3:g} mA"
    if not e.get("confirmed", True):
        text += " (current not confirmed against the datasheet)"
    return f"{text} ({e['estimate']}, {e['clock_hz'] / 1e6:g} MHz)" if "estimate" in e else text


def render(summary: dict) -> str:
    """The terminal report."""
    lat = summary["latency"]
    unit = lat["unit"]
    rows = [["model", summary["model"]], ["target", summary["target"]],
            ["samples", summary["samples"]],
            ["bit-exact vs reference", f"{summary['bit_exact']}/{summary['samples']}"]]
    if summary.get("libm"):
        rows.append(["reference libm", libm_text(summary["libm"])])
    rows += agreement_rows(summary.get("onnxruntime"))
    rows += tflm_rows(summary.get("tflite_micro"))
    outputs = summary.get("outputs") or []
    if summary["accuracy"] is not None:
        head = f", output {summary.get('head', 0)}" if len(outputs) > 1 else ""
        rows.append([f"accuracy (labels{head})", f"{summary['accuracy'] * 100:.2f}%"])
    for key in ("mean", "min", "max"):
        text = _count(lat[key], unit)
        if "ms" in lat:
            text += f" ({lat['ms'][key]:.3f} ms)"
        rows.append([f"{key} per inference", text])
    for m in summary["memory"]:
        used = "n/a" if m["used"] is None else human_bytes(m["used"])
        rows.append([m["region"], used + (f" of {human_bytes(m['size'])}" if m["size"] else "")])
    rows.append(["energy per inference (estimate)", energy_text(summary["energy"])])
    if summary.get("energy_measured"):
        from tinygen.energy.run import render_rows

        rows += render_rows(summary["energy_measured"])
    parts = [table(["", "value"], rows, "ll")]
    if len(outputs) > 1:
        parts.append(outputs_table(summary))
    if summary.get("cycles_estimate"):
        from tinygen.cycles import render as render_cycles

        parts.append(render_cycles(summary["cycles_estimate"]))
    if summary.get("dynamic"):
        parts.append(render_dynamic(summary["dynamic"], unit))
    if summary["layers"]:
        lrows = [[layer["index"], layer["name"], f"{layer['count']:,}",
                  "" if layer["share"] is None else f"{layer['share'] * 100:.1f}%"] for layer in summary["layers"]]
        parts.append(table(["#", "layer", unit, "share"], lrows, "rlrr"))
    if summary["mismatches"]:
        shown = summary["mismatches"][:SHOW_MISMATCHES]
        parts.append("MISMATCH: device outputs differ from the reference:\n" + "\n".join(
            f"  sample {m['sample']}, output {m['output']}: {m['detail']}" for m in shown))
    return "\n\n".join(parts)


def outputs_table(summary: dict) -> str:
    """Each output (head) of a model with several: shape, bit-exact samples, and the first
    sample's values dequantized."""
    rows = []
    for o in summary["outputs"]:
        first = o["q"][0] if o["q"] else []
        values = ", ".join(f"{o['scale'] * (q - o['zero_point']):.3f}" for q in first[:SHOW_VALUES])
        rows.append([o["index"], o["name"] + (" (accuracy)" if o["accuracy_head"] and summary["accuracy"] is not None
                                              else ""),
                     "x".join(map(str, o["shape"])), f"{o['bit_exact']}/{summary['samples']}",
                     values + (", ..." if len(first) > SHOW_VALUES else "")])
    return table(["#", "output", "shape", "bit-exact", "sample 0 (dequantized)"], rows, "rllrl")


def plot(summary: dict, path: str | Path) -> str:
    """A bar chart of per-layer cost to PNG; returns a message (or why it was skipped)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return f"plot skipped: matplotlib is not installed (pip install matplotlib) — {path} not written"
    layers = summary["layers"]
    if not layers:
        return "plot skipped: the device reported no layers"
    unit = summary["latency"]["unit"]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.45 * len(layers)), 4.0))
    ax.bar(range(len(layers)), [layer["count"] for layer in layers], color="#4472c4")
    ax.set_xticks(range(len(layers)), [layer["name"] for layer in layers], rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(f"{unit} per inference")
    where = summary["board"] + (" stand-in" if unit == "instructions" else "")
    ax.set_title(f"{summary['model']} on {where}: {unit} per layer", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return f"per-layer plot written to {path}"


__all__ = ["ESTIMATE", "ESTIMATE_BOARD", "energy", "energy_text", "memory_rows", "outputs_summary", "outputs_table",
           "plot", "render", "summarize"]
