"""Audio through a device's front end and network, checked against the host twin.

    target = DeviceAudio(dev)                # the firmware, through tinygen.audio.client
    target = ReferenceAudio(graph)           # or the host twin alone (no device)
    clips = run_clips(target, graph, samples, labels)          # clip mode: 1 s clips
    run = stream_audio(target, graph, config, samples, truth)  # stream mode: a long recording

What must be exact and what need not (firmware/runtime/PROTOCOL.md, "Audio front end"):
the device's front end computes in float (or fixed point), the twin in float64, so its
int8 features may differ from tinygen.ref.mfcc's by FEATURE_TOLERANCE (1) in a few
bytes; everything after the features is integer and must be exact. So clip mode checks the
features against the twin (identical clips, bytes differing, the largest difference, which
must stay within the tolerance) and the outputs against the reference interpreter run on
the device's OWN features, byte for byte; labels give the accuracy, the counters the cost
of front end and network apart.

Stream mode sends the recording in chunks as a microphone would (`realtime` paces them at
the audio's rate) and collects the detector's events as they come; then the host reference
(stream.run_stream) runs the whole recording: its events and sums are compared with the
device's (they may differ where a window does), and both are scored against the ground
truth (stream.score_events). With verbose 2 the device also sends every window it ran the
network on: the network and the detector are replayed on those windows and must give the
device's sums and events exactly. The inference count must always match (framing is
exact).

A target answers tinygen.audio.client's calls (the device's `tg audio`, `tg stream`):

    audio_clip(dev, samples) -> (features int8 [49, 10], outputs int8, frontend_count, network_count)
    stream_start(dev, config, verbose)                      # verbose 1: sums, 2: and windows
    stream_chunk(dev, samples, labels) -> (events, inferences, counts)
    stream_stop(dev) -> totals (samples, frames, inferences, events)

inferences: one per inference with .sample, .sums (and .window with verbose 2); counts:
.frontend and .network of the chunk. DeviceAudio is the one place that reads the answers.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tinygen.audio import stream as st
from tinygen.hil.session import first_difference
from tinygen.ref import mfcc as fe
from tinygen.ref.interpreter import run

CLIENT = "tinygen.audio.client"
FEATURE_TOLERANCE = 1          # the device's features may differ from the twin's by this much (PROTOCOL.md)


def twin_features(graph, samples: np.ndarray) -> np.ndarray:
    """The host twin's int8 [49, 10] features of one clip, on the model input's grid."""
    scales, zero_point = st.input_grid(graph)
    return fe.quantize(fe.features(samples), scales, zero_point)


def network(graph, features: np.ndarray) -> np.ndarray:
    """The reference interpreter's int8 outputs for one int8 feature window."""
    out = run(graph, np.asarray(features, np.int8).reshape(graph.tensor(graph.inputs[0]).shape))
    return out[graph.outputs[0]].reshape(-1)


@dataclass
class Row:
    """One inference of stream mode: where its window ended, the sums after it, the window."""
    sample: int
    sums: np.ndarray
    window: np.ndarray | None = None


@dataclass
class ChunkAnswer:
    events: list[st.Event]
    rows: list[Row]                    # one per inference the chunk completed
    frontend: int | None               # counter units spent on the chunk
    network: int | None
    windows: int | None = None         # the part of frontend spent on the windows (once per inference)


class ReferenceAudio:
    """The host twin behind the client's calls: no device, no counters."""

    name = "the host reference (tinygen.audio, numpy)"

    def __init__(self, graph):
        self.graph = graph
        self.runner: st.StreamRunner | None = None

    def clip(self, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray, int | None, int | None]:
        x = twin_features(self.graph, fe.pad_clip(samples))
        return x, network(self.graph, x), None, None

    def start(self, config: st.StreamConfig, verbose: int) -> None:
        self.runner = st.StreamRunner(self.graph, config, keep_inputs=verbose >= 2)

    def chunk(self, samples: np.ndarray) -> ChunkAnswer:
        if self.runner is None:
            raise RuntimeError("stream_chunk before stream_start")
        r = self.runner.feed(samples)
        windows = r.inputs or [None] * len(r.samples)
        return ChunkAnswer(r.events, [Row(s, v, w) for s, v, w in zip(r.samples, r.sums, windows)], None, None)

    def stop(self):
        self.runner = None


class DeviceAudio:
    """A device through tinygen.audio.client (the firmware built with --frontend mfcc)."""

    def __init__(self, dev, client=None, name: str = "the device"):
        self.dev, self.name = dev, name
        self.client = client if client is not None else importlib.import_module(CLIENT)
        self.labels = st.KWS_LABELS

    def clip(self, samples: np.ndarray):
        features, outputs, frontend, net = self.client.audio_clip(self.dev, fe.pad_clip(samples))
        return (np.asarray(features, np.int8).reshape(fe.NUM_FRAMES, fe.NUM_MFCC),
                np.asarray(outputs, np.int8).reshape(-1), frontend, net)

    def start(self, config: st.StreamConfig, verbose: int) -> None:
        self.labels = config.labels
        self.client.stream_start(self.dev, config, verbose)

    def chunk(self, samples: np.ndarray) -> ChunkAnswer:
        events, inferences, counts = self.client.stream_chunk(self.dev, samples, self.labels)
        rows = [Row(int(i.sample), np.asarray(i.sums, np.int64),
                    None if getattr(i, "window", None) is None else np.asarray(i.window, np.int8)) for i in inferences]
        return ChunkAnswer(list(events), rows, getattr(counts, "frontend", None), getattr(counts, "network", None),
                           getattr(counts, "windows", None))

    def stop(self):
        return self.client.stream_stop(self.dev)


@dataclass
class ClipRun:
    """Clip mode: per clip the prediction, the features against the twin's, the outputs
    against the reference on the device's features, the counts."""
    predictions: list[int] = field(default_factory=list)
    twin_predictions: list[int] = field(default_factory=list)    # the model on the twin's features
    labels: np.ndarray | None = None
    feature_diffs: list[tuple[int, int]] = field(default_factory=list)   # (bytes differing, largest |difference|)
    output_mismatches: list[tuple[int, str]] = field(default_factory=list)
    frontend_counts: list[int] = field(default_factory=list)
    network_counts: list[int] = field(default_factory=list)

    @property
    def samples(self) -> int:
        return len(self.predictions)

    @property
    def accuracy(self) -> float | None:
        if self.labels is None or not self.samples:
            return None
        return float(np.mean(np.asarray(self.predictions) == self.labels[:self.samples]))

    @property
    def feature_max_diff(self) -> int:
        return max((m for _, m in self.feature_diffs), default=0)


def run_clips(target, graph, clips: list[np.ndarray], labels: np.ndarray | None = None,
              progress: bool = False) -> ClipRun:
    """Every clip through the target, compared with the twin and the reference."""
    result = ClipRun(labels=labels)
    items = range(len(clips))
    if progress:
        from tqdm import tqdm

        items = tqdm(items, desc="clips", unit="clip", leave=False)
    for i in items:
        clip = fe.pad_clip(clips[i])
        features, outputs, frontend, net = target.clip(clip)
        twin = twin_features(graph, clip)
        diff = np.abs(features.astype(np.int16) - twin.astype(np.int16))
        result.feature_diffs.append((int(np.count_nonzero(diff)), int(diff.max())))
        want = network(graph, features)
        if not np.array_equal(outputs, want):
            result.output_mismatches.append((i, first_difference(want, outputs)))
        result.predictions.append(int(np.argmax(outputs)))
        result.twin_predictions.append(int(np.argmax(want if not diff.any() else network(graph, twin))))
        if frontend is not None:
            result.frontend_counts.append(int(frontend))
        if net is not None:
            result.network_counts.append(int(net))
    return result


@dataclass
class StreamRun:
    events: list[st.Event]
    reference: list[st.Event]
    score: st.StreamScore
    reference_score: st.StreamScore
    samples: int
    chunks: int
    rows: list[Row]                             # the target's inferences
    reference_rows: list[Row]                   # the host reference's (windows kept with verbose 2)
    frontend: int | None                        # counter units over the whole stream
    network: int | None
    seconds: float                              # wall clock of the target alone
    windows: int | None = None                  # the part of frontend spent on the windows (per inference)
    exact_mismatch: str | None = None           # what must be exact and is not
    event_difference: str | None = None         # the first event that differs from the reference
    compared: bool = True                       # False: the target was the host reference itself

    @property
    def audio_seconds(self) -> float:
        return self.samples / fe.SAMPLE_RATE

    @property
    def inferences(self) -> int:
        return len(self.rows)

    @property
    def sums_equal(self) -> int:
        """Inferences whose sums equal the reference's."""
        return sum(a.sample == b.sample and np.array_equal(a.sums, b.sums)
                   for a, b in zip(self.rows, self.reference_rows))

    @property
    def windows_checked(self) -> bool:
        return bool(self.rows) and all(r.window is not None for r in self.rows)

    def window_agreement(self) -> dict | None:
        """The device's windows against the twin's: identical ones, bytes differing, the most."""
        if not self.windows_checked or not self.compared:
            return None
        diffs = [np.abs(a.window.astype(np.int16) - b.window.astype(np.int16))
                 for a, b in zip(self.rows, self.reference_rows) if b.window is not None]
        if not diffs:
            return None
        return {"windows": len(diffs), "identical": sum(not d.any() for d in diffs),
                "bytes_differing": float(np.mean([np.count_nonzero(d) / d.size for d in diffs])),
                "max_difference": int(max(d.max() for d in diffs))}


def _event_text(e: st.Event) -> str:
    return f"{e.label} at sample {e.sample} (score {e.score})"


def compare_events(got: list[st.Event], want: list[st.Event]) -> str | None:
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            return f"event {i}: {_event_text(g)}, reference {_event_text(w)}"
    if len(got) != len(want):
        extra = (got if len(got) > len(want) else want)[min(len(got), len(want))]
        return (f"{len(got)} events, reference {len(want)}; first unmatched: {_event_text(extra)} "
                f"({'device' if len(got) > len(want) else 'reference'})")
    return None


def replay(graph, config: st.StreamConfig, rows: list[Row], events: list[st.Event]) -> str | None:
    """The network and the detector on the device's own windows: they must give its sums and
    events exactly. None if they do, else the first difference."""
    detector, replayed = st.Detector(config), []
    for r in rows:
        sums, event = detector.step(network(graph, r.window), r.sample)
        if not np.array_equal(sums, r.sums):
            return f"inference ending at sample {r.sample}: sums {list(r.sums)}, the reference on its window {list(sums)}"
        if event is not None:
            replayed.append(event)
    difference = compare_events(events, replayed)
    return None if difference is None else f"events against the replay on the device's windows: {difference}"


def _exact_checks(run: StreamRun, graph, config: st.StreamConfig, totals) -> str | None:
    if len(run.rows) != len(run.reference_rows):
        return f"{len(run.rows)} inferences, the reference {len(run.reference_rows)}"
    moved = next((a.sample for a, b in zip(run.rows, run.reference_rows) if a.sample != b.sample), None)
    if moved is not None:
        return f"an inference ends at sample {moved}, not on the reference's frame grid"
    if totals is not None and (getattr(totals, "inferences", len(run.rows)) != len(run.rows)
                               or getattr(totals, "events", len(run.events)) != len(run.events)):
        return (f"the device's totals (inferences {totals.inferences}, events {totals.events}) differ from what "
                f"it sent ({len(run.rows)}, {len(run.events)})")
    return replay(graph, config, run.rows, run.events) if run.windows_checked else None


def stream_audio(target, graph, config: st.StreamConfig, samples: np.ndarray, truth: list[st.Truth],
                 chunk: int = 1600, realtime: bool = False, verbose: int = 1,
                 on_event: Callable[[st.Event], None] | None = None, tolerance: float = 1.0) -> StreamRun:
    """The recording through the target chunk by chunk (verbose 1: its sums per inference, 2:
    and its windows), then through the host reference; compared and scored against the truth."""
    samples = np.asarray(samples)
    if samples.ndim != 1 or samples.dtype != np.int16:
        raise ValueError(f"a stream is 1-D int16 samples, got {samples.dtype} {list(samples.shape)}")
    if chunk < 1 or verbose not in (1, 2):
        raise ValueError(f"chunk {chunk} must be at least one sample and verbose 1 or 2, not {verbose}")
    own = isinstance(target, ReferenceAudio)        # the target is the reference: nothing to compare
    events, rows, frontend, net, windows, chunks = [], [], None, None, None, 0
    target.start(config, verbose)
    t0, totals = time.perf_counter(), None
    try:
        for pos in range(0, len(samples), chunk):
            piece = samples[pos:pos + chunk]
            if realtime:
                time.sleep(max(0.0, t0 + pos / fe.SAMPLE_RATE - time.perf_counter()))
            answer = target.chunk(piece)
            chunks += 1
            for e in answer.events:
                if on_event is not None:
                    on_event(e)
            events += answer.events
            rows += answer.rows
            if answer.frontend is not None:
                frontend = (frontend or 0) + int(answer.frontend)
            if answer.network is not None:
                net = (net or 0) + int(answer.network)
            if answer.windows is not None:
                windows = (windows or 0) + int(answer.windows)
    finally:
        totals = target.stop()
    seconds = time.perf_counter() - t0             # the target's time alone: the reference runs after
    if own:
        ref_events, ref_rows = list(events), list(rows)
    else:                                          # chunks change nothing in the reference (StreamRunner)
        ref = st.run_stream(samples, graph, config, keep_inputs=verbose >= 2)
        inputs = ref.inputs or [None] * len(ref.samples)
        ref_events, ref_rows = ref.events, [Row(s, v, w) for s, v, w in zip(ref.samples, ref.sums, inputs)]
    result = StreamRun(events, ref_events, st.score_events(events, truth, len(samples), tolerance),
                       st.score_events(ref_events, truth, len(samples), tolerance), len(samples), chunks, rows,
                       ref_rows, frontend, net, seconds, windows, compared=not own)
    if not own:
        result.exact_mismatch = _exact_checks(result, graph, config, totals)
        result.event_difference = compare_events(events, ref_events)
    return result


__all__ = ["CLIENT", "FEATURE_TOLERANCE", "ChunkAnswer", "ClipRun", "DeviceAudio", "ReferenceAudio", "Row",
           "StreamRun", "compare_events", "network", "replay", "run_clips", "stream_audio", "twin_features"]
