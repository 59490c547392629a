"""Keyword spotting on the synthesized corpus: accuracy per model, on the host and on the f746zg
stand-in, what stream mode's normalisation costs against clip mode, and the streams: keywords
detected and false accepts per hour on the evaluation recordings, with the curve of the two as
the detector's threshold moves.

    .venv/bin/python benchmarks/kws.py                    # host only (minutes)
    .venv/bin/python benchmarks/kws.py --standin          # + every model through the f746zg stand-in
    .venv/bin/python benchmarks/kws.py --no-clips --stream-device --roc roc.png   # the streams through the firmware

Models: the MLPerf Tiny KWS int8 .tflite (trained on real speech, unchanged) and the DS-CNNs
of examples/kws/ (trained on the corpus). "compiled" is tinygen's int8 graph run by the
numpy reference (bit-exact with the generated C) on the test clips in clip mode; "stream
mode" the same clips as stream windows (tinygen.audio.evaluate.normalisation_cost). With
--standin each model is built for the f746zg and the test clips' features (the host
twin's) go through `tinygen hil --emulate --data`: accuracy, bit-exactness, instructions
per inference, flash and RAM of the firmware.

The streams: `tinygen listen --stream` on the recordings of tinygen.audio.recording (test
voices only): "test", seed 0, 10 minutes (--minutes), and "demo", the minute of `make
demo-kws` (seed 1), through the host reference or (--stream-device) the stand-in's firmware
with the front end. The wake-word model (examples/kws/wakeword_kws.py) streams with the
detector settings tuned on its validation recordings (held-out voices, neither trained on
nor tested; stored with its weights), the clip-trained DS-CNN with `tinygen listen`'s defaults. Each run's curve of hits
against false accepts per hour comes from the target's own sums per inference
(tinygen.audio.curve; `tinygen listen --roc`); --roc plots them all on one PNG.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MODELS = {"mlperf-kws (real speech)": ROOT / "examples" / "mlperf-tiny" / "kws_dscnn_int8.tflite",
          "dscnn int8": ROOT / "examples" / "kws" / "dscnn_kws.py",
          "w4a4": ROOT / "examples" / "kws" / "w4a4_kws.py",
          "switchable": ROOT / "examples" / "kws" / "sp_kws.py",
          "wakeword": ROOT / "examples" / "kws" / "wakeword_kws.py"}


def host_rows(test, models: dict = MODELS) -> list[dict]:
    from tinygen.audio import evaluate
    from tinygen.compiler import compile_source, load_source
    from tinygen.switches import is_switchable, switch_graphs

    rows = []
    for name, path in models.items():
        if not path.with_suffix(".pt").exists() and path.suffix == ".py":
            print(f"skipped {name}: {path.with_suffix('.pt').name} is missing (train it: python {path})")
            continue
        source = load_source(path)
        graph = compile_source(source)
        graphs = switch_graphs(graph) if is_switchable(graph) else [("", graph)]
        for switch, g in graphs:
            cost = evaluate.normalisation_cost(g, test.clips, test.labels)
            rows.append({"model": name + (f" {switch}" if switch else ""), "file": str(path.relative_to(ROOT)),
                         "switch": switch, "compiled": cost.clip_accuracy, "stream_mode": cost.stream_accuracy,
                         "agreement": cost.agreement, "inputs_equal": cost.inputs_equal,
                         "weights": None, "arena": None,          # memory: the f746zg build's (--standin)
                         "feature_gains": source.feature_gains})
            print(f"  {rows[-1]['model']}: compiled {cost.text()}", flush=True)
    return rows


def standin(rows: list[dict], test, work: Path) -> None:
    """Each model through `tinygen hil --board f746zg --emulate --data` on the test features (the
    model's inputs: times its feature gains where the model file gives feature_gains())."""
    from tinygen.cli import main as tinygen_main

    feats = test.features()
    np.savez(work / "test_nhwc.npz", x=feats[..., None], y=test.labels)
    written = {work / "test_nhwc.npz"}
    done: dict[str, dict] = {}
    for row in rows:
        path = ROOT / row["file"]
        if row["file"] not in done:
            gains = row.get("feature_gains")
            data = work / ("test_nhwc.npz" if path.suffix == ".tflite" else
                           "test_nchw.npz" if gains is None else f"{path.stem}_inputs.npz")
            if data not in written:                   # the NCHW features, shared by the models without gains
                np.savez(data, x=feats[:, None] * np.asarray(gains or 1.0, np.float32), y=test.labels)
                written.add(data)
            report = work / f"{path.stem}.json"
            argv = ["hil", str(path), "--board", "f746zg", "--emulate", "--data", str(data), "--json",
                    str(report), "-o", str(work / path.stem), "-q"]
            if row["switch"]:
                argv += ["--switch", "all"]
            t0 = time.perf_counter()
            if _quietly(tinygen_main, argv, work / f"{path.stem}.txt") != 0:
                raise SystemExit(f"tinygen hil failed on {path}: see {work / f'{path.stem}.txt'}")
            print(f"  {path.name} on the stand-in: {time.perf_counter() - t0:.0f} s", flush=True)
            done[row["file"]] = json.loads(report.read_text())
        summary = done[row["file"]]
        if row["switch"]:
            summary = next(s for s in summary["switches"] if s["switch"]["name"] == row["switch"])
        memory = {m["region"].split(" ")[0]: m["used"] for m in summary["memory"]}
        row.update({"standin": summary["accuracy"], "bit_exact": f"{summary['bit_exact']}/{summary['samples']}",
                    "instructions": summary["latency"]["mean"], "flash": memory.get("flash"),
                    "ram": memory.get("ram"), "weights": memory.get("weights"), "arena": memory.get("arena")})
        if row["switch"]:       # the switch's own weights; flash and RAM are the one image's
            row.update(weights=summary["switch"]["weight_bytes"], arena=summary["switch"]["arena_size"])


def _quietly(fn, argv, log: Path) -> int:
    """fn(argv) with its standard output in `log` (the hil reports), errors still shown."""
    import contextlib

    with log.open("w") as f, contextlib.redirect_stdout(f):
        return fn(argv)


# the streams: the evaluation recording (test voices, 10 minutes) and the demo's minute (make demo-kws)
STREAMS = {"test": {"seed": 0, "minutes": 10.0}, "demo": {"seed": 1, "minutes": 1.0}}
# the wake-word model with the detector tuned on its validation recordings (held-out voices), and the
# clip-trained DS-CNN with `tinygen listen`'s default detector
STREAM_MODELS = ("wakeword", "dscnn int8")
BUDGETS = (6, 12, 30, 60, 120)          # false accepts per hour: the curve's most hits within each
TARGET = (0.9, 60.0)                    # a wake word's bar: 90% of the keywords, one false accept a minute


def detector_options(name: str) -> list[str]:
    """`tinygen listen` detector options: the wake-word model's tuned ones, else none (the defaults)."""
    if name != "wakeword":
        return []
    sys.path.insert(0, str(MODELS[name].parent))
    try:
        import _detector
    finally:
        sys.path.remove(str(MODELS[name].parent))
    return _detector.listen_options(MODELS[name])


def stream_rows(streams: list[str], models: list[str], device: bool, work: Path, minutes: float | None = None
                ) -> list[dict]:
    """Each model through `tinygen listen --stream` on each recording (the stand-in's firmware, or the host
    reference), with the curve of hits against false accepts per hour from its own sums (--roc)."""
    from tinygen.audio.curve import CurvePoint, operating_point
    from tinygen.audio.recording import RecordingSpec, build_recording
    from tinygen.cli import main as tinygen_main

    out = []
    for stream in streams:
        spec = RecordingSpec(**{**STREAMS[stream], **({"minutes": minutes} if minutes and stream == "test" else {})})
        wav, truth = build_recording(spec=spec)
        for name in models:
            path, tag = MODELS[name], f"{MODELS[name].stem}-{stream}"
            report, options = work / f"stream-{tag}.json", detector_options(name)
            argv = ["listen", str(path), "--board", "f746zg", "--stream", str(wav), "--truth", str(truth), "--json",
                    str(report), "-o", str(work / f"fw-{path.stem}"), "-q", "--plot", str(work / f"stream-{tag}.png"),
                    "--roc", str(work / f"roc-{tag}.png"), *options, "--emulate" if device else "--reference"]
            print(f"  streaming {wav.name} ({spec.minutes:g} min) through {name}, "
                  f"{'stand-in' if device else 'host reference'}, {' '.join(options) or 'default detector'}", flush=True)
            if _quietly(tinygen_main, argv, work / f"stream-{tag}.txt") != 0:
                raise SystemExit(f"tinygen listen --stream failed on {path}: see {work / f'stream-{tag}.txt'}")
            s = json.loads(report.read_text())
            curve = [CurvePoint(**p) for p in s["curve"]]
            best = {str(b): getattr(operating_point(curve, b), "hits", 0) for b in BUDGETS}
            out.append({"model": name, "stream": stream, "recording": wav.name, "minutes": spec.minutes,
                        "target": "f746zg stand-in" if device else "host reference", **s["score"],
                        "detector": s["config"], "tuned": bool(options), "curve_hits": best, "curve": s["curve"],
                        "exact": s["exact"], "events_equal_reference": s["events_equal_reference"],
                        "sums_equal_reference": s["sums_equal_reference"], "inferences": s["inferences"],
                        "cost": s["cost"], "plot": str(work / f"stream-{tag}.png"), "roc": str(work / f"roc-{tag}.png")})
    return out


def plot_curves(rows: list[dict], path: Path) -> str:
    """Every stream run's curve on one plot, the target shaded, each run's threshold marked."""
    from tinygen.audio.curve import CurvePoint
    from tinygen.audio.report import plot_curve

    curves = [(f"{r['model']} on the {r['stream']} stream ({r['minutes']:g} min, {r['keywords']} keywords)",
               [CurvePoint(**p) for p in r["curve"]], r["detector"]["threshold_units"]) for r in rows]
    where = rows[0]["target"] if rows else ""
    return plot_curve(curves, f"hits against false accepts per hour as the threshold moves ({where}'s scores)", path,
                      target=TARGET)


def _pct(v) -> str:
    return "" if v is None else f"{v:.2%}"


def _kib(v) -> str:
    return "" if v is None else f"{v / 1024:.1f} KiB"


def _detector(d: dict) -> str:
    return (f"smooth {d['smooth']}, threshold {d['threshold']:.3f}, refractory "
            f"{d['refractory_samples'] / 16000:g} s")


def print_streams(streams: list[dict]) -> None:
    print("\n| model | stream | detector | keywords | hits | misses | false accepts | per hour | latency (mean) "
          "| events = reference | sums = reference | front end / frame | front end / window | duty cycle |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    for s in streams:
        lat = "" if s["latency_mean_s"] is None else f"{s['latency_mean_s'] * 1e3:.0f} ms"
        c = s["cost"] or {}
        fe_frame = "" if not c else f"{c['frontend_per_frame']:,.0f} {c['unit']}"
        fe_window = "" if not c or c.get("window_per_inference") is None else f"{c['window_per_inference']:,.0f}"
        duty = "" if not c or c.get("duty_cycle") is None else f"{c['duty_cycle']:.1%}"
        print(f"| {s['model']} | {s['stream']} ({s['target']}) | {_detector(s['detector'])} | {s['keywords']} "
              f"| {s['hits']} ({s['hits'] / max(1, s['keywords']):.1%}) | {s['misses']} | {s['false_accepts']} "
              f"| {s['false_accepts_per_hour']:.0f} | {lat} | {'yes' if s['events_equal_reference'] else 'no'} "
              f"| {s['sums_equal_reference']}/{s['inferences']} | {fe_frame} | {fe_window} | {duty} |")
    print("\nthe curve from the same sums: the most keywords detected at a threshold within a budget of false accepts "
          "per hour\n")
    print("| model | stream | " + " | ".join(f"<= {b}/h" for b in BUDGETS) + " |")
    print("|---|---|" + "---:|" * len(BUDGETS))
    for s in streams:
        print(f"| {s['model']} | {s['stream']} | " + " | ".join(str(s["curve_hits"][str(b)]) for b in BUDGETS) + " |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--standin", action="store_true", help="also run every model on the f746zg stand-in")
    ap.add_argument("--stream-device", action="store_true", help="stream through the stand-in's firmware")
    ap.add_argument("--minutes", type=float, default=None, help="length of the test recording (default 10)")
    ap.add_argument("--no-stream", action="store_true", help="leave out the streaming scores")
    ap.add_argument("--no-clips", action="store_true", help="leave out the accuracy on the test clips")
    ap.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS), metavar="MODEL",
                    help=f"the models to score on the clips (default all: {', '.join(repr(m) for m in MODELS)})")
    ap.add_argument("--streams", nargs="+", choices=list(STREAMS), default=list(STREAMS),
                    help="the recordings to stream (default: test and demo)")
    ap.add_argument("--stream-models", nargs="+", choices=STREAM_MODELS, default=list(STREAM_MODELS),
                    help="the models to stream (default: wakeword with its tuned detector, dscnn int8 with the "
                         "default one)")
    ap.add_argument("--work", default=None, help="keep builds and reports here (default: a temporary folder)")
    ap.add_argument("--roc", help="write every stream's curve of hits against false accepts per hour here (PNG)")
    ap.add_argument("--json", help="write the results as JSON")
    args = ap.parse_args(argv)
    from tinygen.audio import corpus

    rows, streams = [], []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work or tmp)
        work.mkdir(parents=True, exist_ok=True)
        if not args.no_clips:
            test = corpus.load_split("test", progress=print)
            print(f"accuracy on the {len(test)} test clips (host reference, clip mode and stream mode):")
            rows = host_rows(test, {m: MODELS[m] for m in args.models})
            if args.standin:
                print("on the f746zg stand-in:")
                standin(rows, test, work)
        if not args.no_stream:
            streams = stream_rows(args.streams, args.stream_models, args.stream_device, work, args.minutes)
            if args.roc:
                print(plot_curves(streams, Path(args.roc)))
    if rows:
        print("\n| model | compiled (host) | stream-mode windows | f746zg stand-in | bit-exact | instructions / inference "
              "| flash | RAM | weights (flash) | arena |")
        print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for r in rows:
        instr = "" if r.get("instructions") is None else f"{r['instructions']:,.0f}"
        print(f"| {r['model']} | {_pct(r['compiled'])} | {_pct(r['stream_mode'])} | {_pct(r.get('standin'))} | "
              f"{r.get('bit_exact', '')} | {instr} | {_kib(r.get('flash'))} | {_kib(r.get('ram'))} | "
              f"{_kib(r['weights'])} | {_kib(r['arena'])} |")
    if streams:
        print_streams(streams)
    if args.json:
        Path(args.json).write_text(json.dumps({"models": rows, "streams": streams}, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
