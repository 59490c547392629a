"""Audio through a device's front end and network, checked against the host twin.

    target = DeviceAudio(dev)                # the firmware, through tinygen.hil.audio_client
    target = ReferenceAudio(graph)           # or the host twin alone (no device)
    clips = run_clips(target, graph, samples, labels)          # clip mode: 1 s clips
    run = stream_audio(target, graph, config, samples, truth)  # stream mode: a long recording

Clip mode sends each clip whole: the device computes its MFCCs (the front end) and runs the
network on them. Its int8 features must equal tinygen.audio.frontend's (quantized on the
model input's grid) and its outputs the reference interpreter's on them, byte for byte;
labels give the accuracy, the device's counters the cost of front end and network apart.

Stream mode sends the recording in chunks, as a microphone would (`realtime` paces them at
the audio's own rate), and collects the detector's events as they come. The host reference
(tinygen.audio.stream.StreamRunner) runs the same chunks: the events must be equal, and
both are scored against the ground truth (stream.score_events).

A target answers four calls, tinygen.hil.audio_client's API (the device's `tg audio` and
`tg stream` commands):

    audio_clip(dev, samples) -> (features int8 [49, 10], outputs int8, frontend_count, network_count)
    stream_start(dev, config, verbose)
    stream_chunk(dev, samples) -> (events, inferences, counts)
    stream_stop(dev)

`inferences` is either how many inferences the chunk completed or, with `verbose`, one
(sample, sums) per inference; `counts` the chunk's (frontend_count, network_count) (a dict
with those keys, or None where the device counts nothing, also do). DeviceAudio is the one
place that reads the client's answers.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tinygen.audio import frontend as fe
from tinygen.audio import stream as st
from tinygen.hil.session import first_difference
from tinygen.ref.interpreter import run

CLIENT = "tinygen.hil.audio_client"


def twin_features(graph, samples: np.ndarray) -> np.ndarray:
    """The host twin's int8 [49, 10] features of one clip, on the model input's grid."""
    q = graph.tensor(graph.inputs[0]).qparams
    return fe.quantize(fe.features(samples), float(q.scale[0]), int(q.zero_point[0]))


def network(graph, features: np.ndarray) -> np.ndarray:
    """The reference interpreter's int8 outputs for one int8 feature window."""
    out = run(graph, np.asarray(features, np.int8).reshape(graph.tensor(graph.inputs[0]).shape))
    return out[graph.outputs[0]].reshape(-1)


@dataclass
class ChunkAnswer:
    events: list[st.Event]
    inferences: list[tuple[int, np.ndarray]] | None     # (sample, sums) per inference, when verbose
    count: int                                          # inferences completed
    frontend: int | None                                # counter units spent on the chunk
    network: int | None


class ReferenceAudio:
    """The host twin behind the client's calls: no device, no counters."""

    name = "the host reference (tinygen.audio, numpy)"

    def __init__(self, graph):
        self.graph = graph
        self.runner: st.StreamRunner | None = None
        self.verbose = False

    def clip(self, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray, int | None, int | None]:
        x = twin_features(self.graph, fe.pad_clip(samples))
        return x, network(self.graph, x), None, None

    def start(self, config: st.StreamConfig, verbose: bool) -> None:
        self.runner, self.verbose = st.StreamRunner(self.graph, config), verbose

    def chunk(self, samples: np.ndarray) -> ChunkAnswer:
        if self.runner is None:
            raise RuntimeError("stream_chunk before stream_start")
        r = self.runner.feed(samples)
        rows = list(zip(r.samples, r.sums)) if self.verbose else None
        return ChunkAnswer(r.events, rows, len(r.samples), None, None)

    def stop(self) -> None:
        self.runner = None


class DeviceAudio:
    """A device through tinygen.hil.audio_client (the firmware built with --frontend mfcc)."""

    def __init__(self, dev, client=None, name: str = "the device"):
        self.dev, self.name = dev, name
        self.client = client if client is not None else importlib.import_module(CLIENT)

    def clip(self, samples: np.ndarray):
        features, outputs, frontend, net = self.client.audio_clip(self.dev, fe.pad_clip(samples))
        return (np.asarray(features, np.int8).reshape(fe.NUM_FRAMES, fe.NUM_MFCC),
                np.asarray(outputs, np.int8).reshape(-1), frontend, net)

    def start(self, config: st.StreamConfig, verbose: bool) -> None:
        self.client.stream_start(self.dev, config, verbose)

    def chunk(self, samples: np.ndarray) -> ChunkAnswer:
        events, inferences, counts = self.client.stream_chunk(self.dev, samples)
        if counts is None:
            frontend, net = None, None
        elif isinstance(counts, dict):
            frontend, net = counts.get("frontend"), counts.get("network")
        else:
            frontend, net = counts
        if isinstance(inferences, (int, np.integer)):
            return ChunkAnswer(list(events), None, int(inferences), frontend, net)
        rows = [(int(s), np.asarray(v, np.int64)) for s, v in inferences]
        return ChunkAnswer(list(events), rows, len(rows), frontend, net)

    def stop(self) -> None:
        self.client.stream_stop(self.dev)


@dataclass
class ClipRun:
    """Clip mode: per clip the prediction, agreement with the twin and the counts."""
    predictions: list[int] = field(default_factory=list)
    labels: np.ndarray | None = None
    feature_mismatches: list[tuple[int, str]] = field(default_factory=list)
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


def run_clips(target, graph, clips: list[np.ndarray], labels: np.ndarray | None = None,
              progress: bool = False) -> ClipRun:
    """Every clip through the target, compared with the twin."""
    result = ClipRun(labels=labels)
    items = range(len(clips))
    if progress:
        from tqdm import tqdm

        items = tqdm(items, desc="clips", unit="clip", leave=False)
    for i in items:
        clip = fe.pad_clip(clips[i])
        features, outputs, frontend, net = target.clip(clip)
        want_x = twin_features(graph, clip)
        if not np.array_equal(features, want_x):
            result.feature_mismatches.append((i, first_difference(want_x, features)))
        want_y = network(graph, want_x)
        if not np.array_equal(outputs, want_y):
            result.output_mismatches.append((i, first_difference(want_y, outputs)))
        result.predictions.append(int(np.argmax(outputs)))
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
    inferences: int
    sums: list[tuple[int, np.ndarray]]          # (sample, sums) per inference, for the plot
    sums_from: str                              # "device" or "reference"
    frontend: int | None                        # counter units over the whole stream
    network: int | None
    seconds: float                              # wall clock
    mismatch: str | None = None                 # the first difference from the reference
    compared: bool = True                       # False: the target was the host reference itself

    @property
    def audio_seconds(self) -> float:
        return self.samples / fe.SAMPLE_RATE


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


def stream_audio(target, graph, config: st.StreamConfig, samples: np.ndarray, truth: list[st.Truth],
                 chunk: int = 1600, realtime: bool = False, verbose: bool = True,
                 on_event: Callable[[st.Event], None] | None = None, tolerance: float = 1.0) -> StreamRun:
    """The recording through the target chunk by chunk, then through the host reference;
    events compared and scored against the truth."""
    samples = np.asarray(samples)
    if samples.ndim != 1 or samples.dtype != np.int16:
        raise ValueError(f"a stream is 1-D int16 samples, got {samples.dtype} {list(samples.shape)}")
    if chunk < 1:
        raise ValueError(f"chunk {chunk} must be at least one sample")
    own = isinstance(target, ReferenceAudio)        # the target is the reference: nothing to compare
    events, rows, count, frontend, net, chunks = [], [], 0, None, None, 0
    target.start(config, verbose or own)
    t0 = time.perf_counter()
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
            count += answer.count
            if answer.inferences is not None:
                rows += answer.inferences
            if answer.frontend is not None:
                frontend = (frontend or 0) + int(answer.frontend)
            if answer.network is not None:
                net = (net or 0) + int(answer.network)
    finally:
        target.stop()
    seconds = time.perf_counter() - t0             # the target's time alone: the reference runs after
    if own:
        ref_events, ref_sums = list(events), list(rows)
    else:                                          # chunks change nothing in the reference (StreamRunner)
        ref = st.run_stream(samples, graph, config)
        ref_events, ref_sums = ref.events, list(zip(ref.samples, ref.sums))
    mismatch = compare_events(events, ref_events)
    if mismatch is None and rows:
        for (s, v), (rs, rv) in zip(rows, ref_sums):
            if s != rs or not np.array_equal(v, rv):
                mismatch = f"inference ending at sample {s}: sums {list(v)}, reference {list(rv)} at {rs}"
                break
        else:
            if len(rows) != len(ref_sums):
                mismatch = f"{len(rows)} inferences, reference {len(ref_sums)}"
    if mismatch is None and count != len(ref_sums):
        mismatch = f"{count} inferences, reference {len(ref_sums)}"
    return StreamRun(events, ref_events, st.score_events(events, truth, len(samples), tolerance),
                     st.score_events(ref_events, truth, len(samples), tolerance), len(samples), chunks, count,
                     rows or ref_sums, "device" if rows and not own else "reference", frontend, net, seconds,
                     mismatch, not own)


__all__ = ["CLIENT", "ChunkAnswer", "ClipRun", "DeviceAudio", "ReferenceAudio", "StreamRun", "compare_events",
           "network", "run_clips", "stream_audio", "twin_features"]
