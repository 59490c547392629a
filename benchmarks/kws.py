"""Keyword spotting on the synthesized corpus: accuracy per model, on the host and on the f746zg
stand-in, the streaming scores on the long evaluation recording, and what stream mode's
normalisation costs against clip mode.

    .venv/bin/python benchmarks/kws.py                    # host only (minutes)
    .venv/bin/python benchmarks/kws.py --standin          # + every model through the f746zg stand-in
    .venv/bin/python benchmarks/kws.py --stream-device    # + the recording through the firmware (needs
                                                          #   the device audio path, tinygen.audio.client)

Models: the MLPerf Tiny KWS int8 .tflite (trained on real speech, unchanged) and the DS-CNNs
of examples/kws/ (trained on the corpus). "compiled" is tinygen's int8 graph run by the
numpy reference (bit-exact with the generated C) on the test clips in clip mode; "stream
mode" the same clips as stream windows (tinygen.audio.evaluate.normalisation_cost). With
--standin each model is built for the f746zg and the test clips' features (the host
twin's) go through `tinygen hil --emulate --data`: accuracy, bit-exactness, instructions
per inference, flash and RAM of the firmware. The stream: `tinygen listen --stream` on the
recording of tinygen.audio.recording (seed 0, --minutes, default 10), host reference or
(--stream-device) the stand-in's firmware with the front end.
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
          "switchable": ROOT / "examples" / "kws" / "sp_kws.py"}


def host_rows(test, models: dict = MODELS) -> list[dict]:
    from tinygen.audio import evaluate
    from tinygen.compiler import compile_source, load_source
    from tinygen.switches import is_switchable, switch_graphs

    rows = []
    for name, path in models.items():
        if not path.with_suffix(".pt").exists() and path.suffix == ".py":
            print(f"skipped {name}: {path.with_suffix('.pt').name} is missing (train it: python {path})")
            continue
        graph = compile_source(load_source(path))
        graphs = switch_graphs(graph) if is_switchable(graph) else [("", graph)]
        for switch, g in graphs:
            cost = evaluate.normalisation_cost(g, test.clips, test.labels)
            rows.append({"model": name + (f" {switch}" if switch else ""), "file": str(path.relative_to(ROOT)),
                         "switch": switch, "compiled": cost.clip_accuracy, "stream_mode": cost.stream_accuracy,
                         "agreement": cost.agreement, "inputs_equal": cost.inputs_equal,
                         "weights": None, "arena": None})        # memory: the f746zg build's (--standin)
            print(f"  {rows[-1]['model']}: compiled {cost.text()}", flush=True)
    return rows


def standin(rows: list[dict], test, work: Path) -> None:
    """Each model through `tinygen hil --board f746zg --emulate --data` on the test features."""
    from tinygen.cli import main as tinygen_main

    feats = test.features()
    data = {".tflite": work / "test_nhwc.npz", ".py": work / "test_nchw.npz"}
    np.savez(data[".tflite"], x=feats[..., None], y=test.labels)
    np.savez(data[".py"], x=feats[:, None], y=test.labels)
    done: dict[str, dict] = {}
    for row in rows:
        path = ROOT / row["file"]
        if row["file"] not in done:
            report = work / f"{path.stem}.json"
            argv = ["hil", str(path), "--board", "f746zg", "--emulate", "--data", str(data[path.suffix]), "--json",
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


def stream_rows(minutes: float, device: bool, work: Path) -> list[dict]:
    from tinygen.audio.recording import RecordingSpec, build_recording
    from tinygen.cli import main as tinygen_main

    wav, truth = build_recording(spec=RecordingSpec(seed=0, minutes=minutes))
    out = []
    for name in ("dscnn int8", "mlperf-kws (real speech)"):
        path = MODELS[name]
        report = work / f"stream-{path.stem}.json"
        argv = ["listen", str(path), "--board", "f746zg", "--stream", str(wav), "--truth", str(truth), "--json",
                str(report), "-o", str(work / f"fw-{path.stem}"), "-q", "--plot", str(work / f"stream-{path.stem}.png")]
        argv += ["--emulate"] if device else ["--reference"]
        print(f"  streaming {wav.name} ({minutes:g} min) through {name}, {'stand-in' if device else 'host reference'}",
              flush=True)
        if _quietly(tinygen_main, argv, work / f"stream-{path.stem}.txt") != 0:
            raise SystemExit(f"tinygen listen --stream failed on {path}: see {work / f'stream-{path.stem}.txt'}")
        s = json.loads(report.read_text())
        out.append({"model": name, **s["score"], "cost": s["cost"], "plot": str(work / f"stream-{path.stem}.png")})
    return out


def _pct(v) -> str:
    return "" if v is None else f"{v:.2%}"


def _kib(v) -> str:
    return "" if v is None else f"{v / 1024:.1f} KiB"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--standin", action="store_true", help="also run every model on the f746zg stand-in")
    ap.add_argument("--stream-device", action="store_true", help="stream through the stand-in's firmware")
    ap.add_argument("--minutes", type=float, default=10.0, help="length of the evaluation recording (default 10)")
    ap.add_argument("--no-stream", action="store_true", help="leave out the streaming scores")
    ap.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS), metavar="MODEL",
                    help=f"the models to score (default all: {', '.join(repr(m) for m in MODELS)})")
    ap.add_argument("--work", default=None, help="keep builds and reports here (default: a temporary folder)")
    ap.add_argument("--json", help="write the results as JSON")
    args = ap.parse_args(argv)
    from tinygen.audio import corpus

    test = corpus.load_split("test", progress=print)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work or tmp)
        work.mkdir(parents=True, exist_ok=True)
        print(f"accuracy on the {len(test)} test clips (host reference, clip mode and stream mode):")
        rows = host_rows(test, {m: MODELS[m] for m in args.models})
        if args.standin:
            print("on the f746zg stand-in:")
            standin(rows, test, work)
        streams = [] if args.no_stream else stream_rows(args.minutes, args.stream_device, work)
    print("\n| model | compiled (host) | stream-mode windows | f746zg stand-in | bit-exact | instructions / inference "
          "| flash | RAM | weights (flash) | arena |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for r in rows:
        instr = "" if r.get("instructions") is None else f"{r['instructions']:,.0f}"
        print(f"| {r['model']} | {_pct(r['compiled'])} | {_pct(r['stream_mode'])} | {_pct(r.get('standin'))} | "
              f"{r.get('bit_exact', '')} | {instr} | {_kib(r.get('flash'))} | {_kib(r.get('ram'))} | "
              f"{_kib(r['weights'])} | {_kib(r['arena'])} |")
    if streams:
        print(f"\n{args.minutes:g}-minute recording (seed 0), detector: hop 40 ms, 3 inferences smoothed, "
              "threshold 0.7, refractory 1 s:\n")
        print("| model | keywords | hits | misses | false accepts | per hour | latency (mean) | front end / frame "
              "| duty cycle |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for s in streams:
            lat = "" if s["latency_mean_s"] is None else f"{s['latency_mean_s'] * 1e3:.0f} ms"
            c = s["cost"] or {}
            fe_frame = "" if not c else f"{c['frontend_per_frame']:,.0f} {c['unit']}"
            duty = "" if not c or c.get("duty_cycle") is None else f"{c['duty_cycle']:.1%}"
            print(f"| {s['model']} | {s['keywords']} | {s['hits']} | {s['misses']} | {s['false_accepts']} | "
                  f"{s['false_accepts_per_hour']:.0f} | {lat} | {fe_frame} | {duty} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"models": rows, "streams": streams}, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
