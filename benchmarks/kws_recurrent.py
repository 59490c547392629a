"""The GRU keyword spotter (examples/kws/gru_kws.py) beside the DS-CNN (examples/kws/dscnn_kws.py):
accuracy and instructions per inference on the f746zg stand-in, through the audio path.

    .venv/bin/python benchmarks/kws_recurrent.py [--every 10] [--minutes 1] [--json out.json]

Per model, on the synthesized corpus's test split (tinygen.audio.corpus):

- compiled: tinygen's int8 graph run by the numpy reference on the test clips' features, in
  clip mode and as stream windows (benchmarks/kws.py's host_rows);
- stand-in: the same features through the firmware (`tinygen hil --board f746zg --emulate
  --data`, benchmarks/kws.py's standin): accuracy, outputs bit-exact with the reference,
  instructions per inference, flash and RAM;
- audio: every EVERY-th test clip as a WAV file through the firmware's MFCC front end and the
  network (`tinygen listen --emulate --audio`): accuracy, outputs exact on the device's own
  features, front end and network instructions;
- stream: a recording of tinygen.audio.recording (seed 0, MINUTES) through `tinygen listen
  --emulate --stream`: keywords detected, false accepts, the firmware exact against the host
  reference (sums and events), network instructions per inference.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path


import kws

ROOT = Path(__file__).resolve().parent.parent
MODELS = {"dscnn int8": ROOT / "examples" / "kws" / "dscnn_kws.py",
          "gru": ROOT / "examples" / "kws" / "gru_kws.py"}


def write_clips(test, every: int, out: Path) -> int:
    """Every `every`-th test clip as out/<label>/<index>.wav (the layout `listen --audio` labels by)."""
    from tinygen.audio.stream import KWS_LABELS
    from tinygen.audio.wav import write_wav

    picked = range(0, len(test.labels), every)
    for i in picked:
        path = out / KWS_LABELS[test.labels[i]] / f"{i:05d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_wav(path, test.clips[i])
    return len(picked)


def listen(path: Path, mode: list[str], work: Path, tag: str) -> dict:
    """`tinygen listen MODEL --board f746zg --emulate MODE...`; its JSON report."""
    from tinygen.cli import main as tinygen_main

    report = work / f"{tag}-{path.stem}.json"
    argv = ["listen", str(path), "--board", "f746zg", "--emulate", *mode, "--json", str(report),
            "-o", str(work / f"fw-{path.stem}"), "-q"]
    if kws._quietly(tinygen_main, argv, work / f"{tag}-{path.stem}.txt") != 0:
        raise SystemExit(f"tinygen listen {' '.join(mode[:1])} failed on {path}: see {work / f'{tag}-{path.stem}.txt'}")
    return json.loads(report.read_text())


def audio_path(rows: list[dict], test, every: int, minutes: float, work: Path) -> None:
    from tinygen.audio.recording import RecordingSpec, build_recording

    clips = work / "clips"
    count = write_clips(test, every, clips)
    wav, truth = build_recording(spec=RecordingSpec(seed=0, minutes=minutes))
    for row in rows:
        path = ROOT / row["file"]
        c = listen(path, ["--audio", str(clips)], work, "clips")
        print(f"  {row['model']}: {count} clips through the firmware's front end: accuracy {c['accuracy']:.2%}, "
              f"outputs exact {c['outputs_exact']}/{c['clips']}", flush=True)
        s = listen(path, ["--stream", str(wav), "--truth", str(truth)], work, "stream")
        print(f"  {row['model']}: {minutes:g} min stream: {s['score']['hits']}/{s['score']['keywords']} keywords, "
              f"{s['score']['false_accepts']} false accepts, exact {s['exact']}", flush=True)
        row.update({"audio_clips": c["clips"], "audio_accuracy": c["accuracy"],
                    "audio_exact": f"{c['outputs_exact']}/{c['clips']}", "audio_ok": c["ok"],
                    "frontend_instructions": c["frontend_mean"], "network_instructions": c["network_mean"],
                    "stream_keywords": s["score"]["keywords"], "stream_hits": s["score"]["hits"],
                    "stream_false_accepts": s["score"]["false_accepts"], "stream_exact": s["exact"],
                    "stream_inferences": s["inferences"],
                    "stream_network_per_inference": s["cost"]["network_per_inference"]})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--every", type=int, default=10, help="every N-th test clip goes through the audio path")
    ap.add_argument("--minutes", type=float, default=1.0, help="length of the streamed recording (default 1)")
    ap.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS), metavar="MODEL")
    ap.add_argument("--work", default=None, help="keep builds and reports here (default: a temporary folder)")
    ap.add_argument("--json", help="write the rows as JSON")
    args = ap.parse_args(argv)
    from tinygen.audio import corpus

    test = corpus.load_split("test", progress=print)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work or tmp)
        work.mkdir(parents=True, exist_ok=True)
        print(f"accuracy on the {len(test)} test clips (host reference, clip mode and stream mode):")
        rows = kws.host_rows(test, {m: MODELS[m] for m in args.models})
        print("on the f746zg stand-in (features):")
        kws.standin(rows, test, work)
        print("on the f746zg stand-in (audio through the firmware's MFCC front end):")
        audio_path(rows, test, args.every, args.minutes, work)
    for r in rows:
        r = {k: v for k, v in r.items() if k != "file"}
        print(json.dumps(r, default=str))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, default=str) + "\n")
    return 0 if all(r["audio_ok"] and r["stream_exact"] and r["bit_exact"].split("/")[0] == r["bit_exact"].split("/")[1]
                    for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
