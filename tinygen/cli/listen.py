"""`tinygen listen MODEL --audio ...` (clip mode) and `--stream ...` (stream mode).

    tinygen listen kws.tflite --board f746zg --emulate --audio clips/ [--labels labels.csv]
    tinygen listen kws.tflite --board f746zg --emulate --stream rec.wav --truth rec.csv --plot rec.png
    tinygen listen kws.tflite --board f746zg --reference --stream rec.wav --truth rec.csv   # host twin, no device

The firmware is built with the MFCC front end (`--frontend mfcc`) and driven through
tinygen.audio.client; `--reference` runs the host twin instead (tinygen.audio: the same
front end, network and detector in numpy), which needs no build and counts nothing.
The run of tinygen.cli.hil calls cmd_audio with its build and model-check steps.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

from tinygen.audio import stream as st
from tinygen.audio.recording import read_truth
from tinygen.audio.wav import read_wav
from tinygen.cli.common import Progress, check_output_early, compile_model
from tinygen.cli.device import add_run_args
from tinygen.errors import TinygenError, UsageError
from tinygen.ref import mfcc as fe


def add_audio_args(h):
    """The audio options, in a group of `h`'s help (returned)."""
    g = h.add_argument_group("audio", "keyword spotting: clips or a recording through the device's MFCC front end "
                                      "and stream detector")
    g.add_argument("--audio", nargs="+", metavar="DIR_OR_WAV",
                   help="clip mode: 16 kHz mono 16-bit WAV files (1 s), or folders of them; labels from --labels "
                        "(CSV file,label) or each WAV's folder name when it is a class (yes/0001.wav)")
    g.add_argument("--stream", metavar="FILE.wav", help="stream mode: a recording of any length, sent in chunks")
    g.add_argument("--truth", metavar="FILE.csv", help="stream mode: the keywords' ground truth (CSV label,start,end)")
    g.add_argument("--chunk-ms", type=int, default=100, metavar="MS", help="stream chunk length (default 100 ms)")
    g.add_argument("--hop", type=int, default=2, metavar="N", help="run the network every N frames of 20 ms (default 2)")
    g.add_argument("--smooth", type=int, default=3, metavar="N", help="inferences averaged (default 3)")
    g.add_argument("--threshold", type=float, default=0.7, metavar="P",
                   help="mean probability of a keyword that fires (default 0.7)")
    g.add_argument("--refractory-ms", type=int, default=1000, metavar="MS",
                   help="after an event, nothing fires for this long (default 1000)")
    g.add_argument("--roc", metavar="FILE.png",
                   help="stream mode: plot hits against false accepts per hour as the threshold moves, from the "
                        "device's own scores (its sums per inference; also in --json as \"curve\")")
    g.add_argument("--realtime", action="store_true", help="stream mode: send the chunks at the audio's own pace")
    g.add_argument("--check-windows", action="store_true",
                   help="stream mode: the device also sends every window it ran the network on (490 bytes per "
                        "inference, slow over a serial link); the network and detector are replayed on them")
    g.add_argument("--reference", action="store_true",
                   help="run the host twin (numpy front end, reference interpreter, detector) instead of a device")
    return g


def audio_classes(args) -> tuple[str, ...]:
    """The model's output classes (`--classes`, shared with the camera options; default the MLPerf Tiny
    KWS twelve)."""
    return tuple(args.classes.split(",")) if getattr(args, "classes", None) else st.KWS_LABELS


def audio_requested(args) -> bool:
    return bool(getattr(args, "audio", None) or getattr(args, "stream", None))


def _wav_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix.lower() == ".wav")
            if not found:
                raise UsageError(f"{p} holds no .wav files", "give WAV files or a folder with some")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise UsageError(f"audio path {str(p)!r} does not exist", "give WAV files or folders of them")
    return files


def _class_index(label: str, classes: tuple[str, ...], where: str) -> int:
    label = label.strip()
    if label in classes:
        return classes.index(label)
    if label.isdigit() and int(label) < len(classes):
        return int(label)
    raise UsageError(f"{where}: label {label!r} is not a class of the model", f"use one of {', '.join(classes)}")


def load_labels(files: list[Path], labels: str | None, classes: tuple[str, ...]) -> np.ndarray | None:
    """Class indices for the WAV files: from a CSV (file,label; file names relative to the CSV's
    folder, or bare names), else from each file's folder name where every one is a class."""
    if labels is None:
        if all(f.parent.name in classes for f in files):
            return np.array([classes.index(f.parent.name) for f in files])
        return None
    path = Path(labels)
    if not path.is_file():
        raise UsageError(f"labels file {labels!r} does not exist", "give a CSV file with lines file,label")
    table = {}
    with path.open(newline="") as f:
        for i, row in enumerate(csv.reader(f), start=1):
            if not row or (i == 1 and row[0].strip().lower() == "file"):
                continue
            if len(row) < 2:
                raise UsageError(f"{path} line {i}: {row} is not file,label", "one WAV file and its label per line")
            table[row[0].strip()] = _class_index(row[1], classes, f"{path} line {i}")
    out = []
    for f in files:
        keys = [str(f), str(f.resolve().relative_to(path.parent.resolve())) if f.resolve().is_relative_to(
            path.parent.resolve()) else None, f.name]
        hit = next((table[k] for k in keys if k in table), None)
        if hit is None:
            raise UsageError(f"{path} has no label for {f}", "add a line: file,label")
        out.append(hit)
    return np.array(out)


def load_clips(paths: list[str], limit: int | None = None) -> tuple[list[Path], list[np.ndarray]]:
    files = _wav_files(paths)[:limit]
    clips = []
    for f in files:
        x = read_wav(f)
        if len(x) > fe.CLIP_SAMPLES:
            raise UsageError(f"{f} is {len(x) / fe.SAMPLE_RATE:.2f} s long; clip mode takes clips of at most 1 s",
                             "stream longer recordings with --stream FILE.wav --truth FILE.csv")
        clips.append(x)
    return files, clips


def _check_model(graph, classes: tuple[str, ...]) -> None:
    shape = graph.tensor(graph.inputs[0]).shape
    if int(np.prod(shape)) != fe.NUM_FRAMES * fe.NUM_MFCC or len(graph.inputs) != 1:
        raise UsageError(f"the model's input is {list(shape)}; the MFCC front end gives [49, 10] per window",
                         "give a keyword-spotting model with a [1, 49, 10, 1] (or [1, 1, 49, 10]) input")
    outputs = int(np.prod(graph.tensor(graph.outputs[0]).shape))
    if outputs != len(classes):
        raise UsageError(f"the model has {outputs} outputs and --classes names {len(classes)}",
                         "name every output class in order with --classes")


def stream_config(args, graph, classes) -> st.StreamConfig:
    try:
        return st.StreamConfig.for_graph(graph, hop_every=args.hop, smooth=args.smooth, threshold=args.threshold,
                                         refractory_ms=args.refractory_ms, labels=classes)
    except ValueError as e:
        raise UsageError(str(e), "--threshold in (0, 1], --hop and --smooth at least 1") from None


def print_event(e: st.Event, scale: float, smooth: int) -> None:
    minutes, seconds = divmod(e.time, 60)
    print(f"  {int(minutes):2d}:{seconds:05.2f}  {e.label:<8s} score {e.score * scale / smooth:.2f}", flush=True)


def load_audio(args) -> tuple:
    """The inputs, read before anything is built: (clips, labels) or (samples, truth)."""
    classes = audio_classes(args)
    if args.audio:
        files, clips = load_clips(args.audio, args.limit)
        return clips, load_labels(files, args.labels, classes)

    return read_wav(args.stream), read_truth(args.truth, classes)


def run_audio(args, inputs: tuple, target, graph, model: str, where: str, unit: str | None,
              clock_hz: int | None) -> dict:
    """Clip or stream mode on a ready target with load_audio's inputs; prints the report,
    returns its summary."""
    from tinygen.audio.device import run_clips, stream_audio
    from tinygen.audio.report import (
        plot_curve,
        plot_stream,
        render_clips,
        render_stream,
        stream_curve,
        summarize_clips,
        summarize_stream,
    )

    classes = audio_classes(args)
    if args.audio:
        clips, labels = inputs
        result = run_clips(target, graph, clips, labels, progress=not args.quiet and len(clips) > 20)
        summary = summarize_clips(result, classes, model, where, unit)
        print(render_clips(summary))
        return summary
    config = stream_config(args, graph, classes)
    samples, truth = inputs
    scale = float(graph.tensor(graph.outputs[0]).qparams.scale[0])
    print(f"streaming {args.stream} ({len(samples) / fe.SAMPLE_RATE:.1f} s) to {where}; detections:", flush=True)
    run = stream_audio(target, graph, config, samples, truth, chunk=max(1, args.chunk_ms * fe.SAMPLE_RATE // 1000),
                       realtime=args.realtime, verbose=2 if args.check_windows else 1,
                       on_event=lambda e: print_event(e, scale, config.smooth))
    curve = stream_curve(run, config, truth, scale)
    summary = summarize_stream(run, config, model, where, unit, clock_hz, str(args.stream), curve, scale)
    print(render_stream(summary))
    if args.plot:
        print(plot_stream(samples, run, truth, config, scale, f"{model} on {where}", args.plot), file=sys.stderr)
    if getattr(args, "roc", None):
        source = "the device's scores" if run.compared else "the host reference's scores"
        print(plot_curve([(f"{Path(args.stream).name} ({source})", curve, config.threshold_units)],
                         f"{model} on {where}: hits against false accepts as the threshold moves (smooth "
                         f"{config.smooth}, refractory {config.refractory / fe.SAMPLE_RATE:g} s)", args.roc),
              file=sys.stderr)
    return summary


def cmd_audio(args, board, build, check_model) -> int:
    """The command: compile, build with the front end, open the device (or the twin), run, report.
    `build(source, graph, progress)` and `check_model(info, manifest, board, project)` come
    from tinygen.cli.hil."""
    from tinygen.audio.device import ReferenceAudio

    if not audio_requested(args):
        raise UsageError("--reference runs audio through the host twin", "add --audio WAVS or --stream FILE.wav")
    if args.audio and args.stream:
        raise UsageError("--audio (clips) and --stream (a recording) are two modes", "give one of them")
    if args.stream and not args.truth:
        raise UsageError("--stream needs the recording's ground truth", "add --truth FILE.csv (label,start,end)")
    if getattr(args, "roc", None) and not args.stream:
        raise UsageError("--roc plots a stream's hits against its false accepts", "add --stream FILE.wav --truth FILE.csv")
    if args.data:
        raise UsageError("--data feeds precomputed inputs; --audio / --stream feed audio", "give one of them")
    if args.reference and args.emulate:
        raise UsageError("--reference runs the host twin, --emulate a stand-in", "give one of them")
    if not 1 <= args.chunk_ms <= 1000:
        raise UsageError(f"--chunk-ms {args.chunk_ms} is out of range", "a chunk is 1 ms to 1 s (one upload)")
    progress = Progress(args.quiet)
    check_output_early(args)
    inputs = load_audio(args)
    if not args.reference and getattr(args, "frontend", None) is None:
        args.frontend = "mfcc"                  # the firmware computes the features (tinygen build --frontend)
    source, graph = compile_model(args, progress, board)
    _check_model(graph, audio_classes(args))
    if args.reference:
        summary = run_audio(args, inputs, ReferenceAudio(graph), graph, source.name, ReferenceAudio.name, None, None)
    else:
        summary = _on_device(args, inputs, board, source, graph, progress, build, check_model)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")
        progress(f"report written to {args.json}")
    failed = not summary.get("ok", True) if args.audio else not summary["exact"]
    if failed:
        print("tinygen hil: the device differs from the host reference where it must agree", file=sys.stderr)
    return 1 if failed else 0


def _on_device(args, inputs, board, source, graph, progress, build, check_model) -> dict:
    from tinygen.audio import client as client
    from tinygen.audio.device import DeviceAudio
    from tinygen.hil.target import describe, open_device

    result = build(source, graph, progress)
    if args.flash and not args.emulate and board.build != "host":
        from tinygen.run.flash import flash

        progress(f"flashing {board.name}")
        flash(board, result.out_dir, probe=args.probe, port=args.port, log=progress)
    where = describe(board, args.emulate, args.port)
    with open_device(board, result.out_dir, args.emulate, args.port, args.timeout) as dev:
        info = dev.info()
        check_model(info, result.manifest, board, result.out_dir)
        if info.get("frontend", "none") == "none":
            raise TinygenError(f"{where} runs a firmware without an audio front end",
                               "build it with --frontend mfcc (tinygen hil does; flash that build)")
        unit = info.get("counter")
        clock = board.clock_hz                  # the real part's budget (a stand-in has no clock)
        summary = run_audio(args, inputs, DeviceAudio(dev, client, where), graph, source.name, where, unit, clock)
    from tinygen.report.hil import memory_rows

    summary["memory"] = memory_rows(result.manifest)
    return summary


EPILOG_LISTEN = """examples:
  tinygen listen kws.tflite --board f746zg --emulate --audio clips/ --labels labels.csv
  tinygen listen kws.tflite --board f746zg --emulate --stream rec.wav --truth rec.csv --plot rec.png
  tinygen listen kws.tflite --board f746zg --reference --stream rec.wav --truth rec.csv   # the host twin
"""


def cmd_listen(args, run) -> int:
    if not (audio_requested(args) or args.reference):
        raise UsageError("give the audio: --audio WAVS (1 s clips) or --stream FILE.wav (a recording)")
    return run(args)


def add_command(sub, fmt, run, defaults: dict) -> None:
    """`tinygen listen`: `run` is the run of tinygen.cli.hil, `defaults` its options' defaults."""
    p = sub.add_parser("listen", help="keyword spotting: audio clips or a recording through the device's MFCC "
                                      "front end and stream detector", epilog=EPILOG_LISTEN, formatter_class=fmt,
                       add_help=False)
    add_run_args(p, "with --stream: also plot the waveform, scores, truth and events (needs matplotlib)")
    g = add_audio_args(p)
    g.add_argument("--labels", metavar="FILE.csv", help="clip mode: the clips' labels (CSV file,label)")
    g.add_argument("--classes", metavar="A,B,...", help="class names in the model's output order (default the "
                                                        "MLPerf Tiny KWS twelve)")
    g.add_argument("--limit", type=int, metavar="N", help="use only the first N clips")
    p.set_defaults(**defaults)
    p.set_defaults(func=lambda args: cmd_listen(args, run))


__all__ = ["add_audio_args", "add_command", "audio_requested", "cmd_audio", "cmd_listen", "load_audio", "load_clips",
           "load_labels", "run_audio",
           "stream_config"]
