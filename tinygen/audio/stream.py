"""Streaming keyword detection: the host reference of what the device's stream mode does.

    config = StreamConfig.for_graph(graph, hop_every=2, smooth=3, threshold=0.7, refractory_ms=1000)
    result = run_stream(samples, graph, config)        # int16 samples at 16 kHz, any length
    result.events                                      # [Event(label, sample, score), ...]
    score_events(result.events, truth, len(samples))   # hits, misses, false accepts, latency

The stream is cut into the front end's frames as it arrives (480 samples every 320,
tinygen.ref.mfcc): each frame's MFCCs are computed once, from the samples at a fixed
gain (s / 32768), and kept in a ring of the last 49 frames together with the frame's
largest sample. Every `hop_every` frames, once 49 are there, the network runs on them.

Normalisation. The model was trained on clips divided by their own maximum; a stream has no
clip. Scaling the signal by g scales every mel energy by g (the spectrum is a magnitude), so
ln(g m + eps) = ln(m + eps / g) + ln g: up to the log's 1e-6 offset it adds ln g to every
log-mel value, which the DCT turns into sqrt(2 * 40) ln g on coefficient 0 and nothing on
the others. So the window is normalised like a clip, by its largest sample P over its 49
frames, without recomputing a frame: c0 += sqrt(80) ln(32768 / P) for every frame, then
the int8 quantization. What differs from clip mode: the offset acts as eps * 32768 / P
instead of eps (only near-digital-silence bins notice), the peak is over the 15,840 samples
the frames cover, and windows start on the 20 ms grid. benchmarks/ measures the accuracy
this costs against clip mode.

Detection, in integers so that the device and this reference agree exactly: per inference
u_c = q_c - zero_point of the int8 output (a softmax: 0..255); S_c = the sum of u_c over the
last `smooth` inferences; a keyword class c (not silence, not unknown) fires when
S_c >= threshold_units (threshold * smooth / scale, rounded up), the largest S_c winning
(ties: the lower class index), unless the previous event is less than `refractory`
samples before. An event's time is the sample just past the window's last frame.

The device's stream mode (`tg stream`, PROTOCOL.md; firmware/audio/tg_audio_cmd.c) is this
in C: frame_mfcc is tg_frontend_stream_frame, window_input tg_frontend_stream_window,
Detector tg_detector_step; tinygen.audio.client drives it.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np

from tinygen.ref import mfcc as fe

WINDOW = fe.NUM_FRAMES
FIXED_GAIN = 1.0 / 32768.0
C0_PER_LOG = math.sqrt(2.0 * fe.NUM_MEL)       # what ln(g) on every log-mel adds to coefficient 0
KWS_LABELS = ("down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes", "silence", "unknown")
NOT_KEYWORDS = ("silence", "unknown")


@dataclass(frozen=True)
class StreamConfig:
    labels: tuple[str, ...] = KWS_LABELS
    hop_every: int = 2                 # run the network every N frames (N x 20 ms)
    smooth: int = 3                    # inferences averaged
    threshold_units: int = 0           # S_c needed to fire, in output units (see for_graph)
    refractory: int = 16_000           # samples after an event in which nothing fires
    input_scale: float = 1.0           # the model input's int8 grid
    input_zero_point: int = 0
    output_zero_point: int = 0
    input_gains: tuple[float, ...] | None = None   # the model's feature_gains(), per coefficient

    @property
    def input_scales(self) -> np.ndarray:
        """Each coefficient's step on the input grid (tinygen.ref.mfcc.coefficient_scales)."""
        return fe.coefficient_scales(self.input_scale, self.input_gains)

    @classmethod
    def for_graph(cls, graph, hop_every: int = 2, smooth: int = 3, threshold: float = 0.7,
                  refractory_ms: int = 1000, labels: tuple[str, ...] = KWS_LABELS) -> "StreamConfig":
        """The configuration for a compiled KWS graph, the threshold as a mean probability."""
        inp = graph.tensor(graph.inputs[0]).qparams
        out = graph.tensor(graph.outputs[0]).qparams
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold {threshold} must be in (0, 1]")
        if hop_every < 1 or smooth < 1:
            raise ValueError("hop_every and smooth must be at least 1")
        units = math.ceil(threshold * smooth / float(out.scale[0]) - 1e-9)
        return cls(tuple(labels), hop_every, smooth, units, refractory_ms * fe.SAMPLE_RATE // 1000,
                   float(inp.scale[0]), int(inp.zero_point[0]), int(out.zero_point[0]),
                   graph.meta.get("feature_gains"))

    @property
    def keywords(self) -> list[int]:
        return [i for i, name in enumerate(self.labels) if name not in NOT_KEYWORDS]


@dataclass(frozen=True)
class Event:
    label: str
    sample: int          # the stream position the window ended at
    score: int           # S_c, in output units summed over `smooth` inferences

    @property
    def time(self) -> float:
        return self.sample / fe.SAMPLE_RATE


def frame_mfcc(samples: np.ndarray) -> tuple[np.ndarray, int]:
    """One frame's 10 MFCCs at the fixed gain, and its largest sample."""
    x = samples.astype(np.float64) * FIXED_GAIN
    return fe.mfcc(fe.log_mel(fe.spectrum(x[None, :])))[0], int(samples.max())


def recording_frames(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every whole frame of a recording at once, as stream mode computes them one by one
    (frame_mfcc, whose values these equal up to float64 rounding in the batched FFT): float
    [F, 10] MFCCs at the fixed gain and int [F] largest samples; the window of the inference
    after frame f is frames f - 48 .. f. For training on stream windows, not for the reference."""
    framed = fe.frames(np.asarray(samples, np.int16).astype(np.float64))
    if not len(framed):
        return np.zeros((0, fe.NUM_MFCC)), np.zeros(0, np.int64)
    return fe.mfcc(fe.log_mel(fe.spectrum(framed * FIXED_GAIN))), framed.max(axis=1).astype(np.int64)


def window_values(mfccs: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """[49, 10] frame MFCCs (fixed gain) and their peaks -> the window's float features,
    normalised by its largest sample through coefficient 0 (what a model is trained on). Any
    leading axes are windows: [n, 49, 10] and [n, 49] give [n, 49, 10]."""
    peak = np.max(np.asarray(peaks, np.int64), axis=-1)
    shift = np.array([C0_PER_LOG * math.log(32768.0 / int(p)) if p > 0 else 0.0 for p in peak.reshape(-1)])
    values = np.array(mfccs, np.float64)
    values[..., 0] += shift.reshape(peak.shape)[..., None]
    return values


def window_input(mfccs: np.ndarray, peaks: np.ndarray, config: StreamConfig) -> np.ndarray:
    """[49, 10] frame MFCCs (fixed gain) and their peaks -> the model's int8 input, normalised
    by the window's largest sample through coefficient 0."""
    return fe.quantize(window_values(mfccs, peaks), config.input_scales, config.input_zero_point)


def input_grid(graph) -> tuple[np.ndarray, int]:
    """A KWS graph's input grid as the front end quantizes onto it: each coefficient's scale
    (the input's over the model file's feature_gains(), graph.meta) and the zero point."""
    q = graph.tensor(graph.inputs[0]).qparams
    return fe.coefficient_scales(float(q.scale[0]), graph.meta.get("feature_gains")), int(q.zero_point[0])


class Detector:
    """Integer smoothing, threshold and refractory period over the network's int8 outputs."""

    def __init__(self, config: StreamConfig):
        self.config = config
        self.history: list[np.ndarray] = []
        self.last_event: int | None = None

    def step(self, output: np.ndarray, sample: int) -> tuple[np.ndarray, Event | None]:
        """The smoothed sums S and the event (if any) for the inference ending at `sample`."""
        cfg = self.config
        self.history.append(output.astype(np.int64).reshape(-1) - cfg.output_zero_point)
        self.history = self.history[-cfg.smooth:]
        sums = np.sum(self.history, axis=0)
        return sums, self.decide(sums, sample)

    def decide(self, sums: np.ndarray, sample: int) -> Event | None:
        """The threshold and the refractory period on the sums S of the inference ending at
        `sample` (tg_detector_step after its sums): the event, if a keyword fires."""
        cfg = self.config
        if self.last_event is not None and sample - self.last_event < cfg.refractory:
            return None
        firing = [c for c in cfg.keywords if sums[c] >= cfg.threshold_units]
        if not firing:
            return None
        best = max(firing, key=lambda c: (sums[c], -c))
        self.last_event = sample
        return Event(cfg.labels[best], sample, int(sums[best]))


@dataclass
class StreamResult:
    events: list[Event] = field(default_factory=list)
    samples: list[int] = field(default_factory=list)           # where each inference's window ended
    sums: list[np.ndarray] = field(default_factory=list)       # smoothed S per inference
    inputs: list[np.ndarray] = field(default_factory=list)     # the int8 windows (keep_inputs)


class StreamRunner:
    """run_stream one chunk at a time, as the device gets the stream: `feed(samples)`
    returns what the frames the chunk completes produced (events, inferences); chunks of
    any size give exactly what run_stream gives for the whole stream."""

    def __init__(self, graph, config: StreamConfig, keep_inputs: bool = False):
        self.graph, self.config, self.keep_inputs = graph, config, keep_inputs
        self.pending = np.zeros(0, np.int16)        # samples of frames not yet complete
        self.frames = 0                             # frames done; pending starts at frames * FRAME_STEP
        self.ring_mfcc, self.ring_peak = np.zeros((WINDOW, fe.NUM_MFCC)), np.zeros(WINDOW, np.int64)
        self.detector = Detector(config)

    def feed(self, samples: np.ndarray) -> StreamResult:
        from tinygen.ref.interpreter import run

        samples = np.asarray(samples)
        if samples.ndim != 1 or samples.dtype != np.int16:
            raise ValueError(f"a stream is 1-D int16 samples, got {samples.dtype} {list(samples.shape)}")
        self.pending = np.concatenate([self.pending, samples])
        config, result, used = self.config, StreamResult(), 0
        while len(self.pending) - used >= fe.FRAME_LENGTH:
            f = self.frames
            self.ring_mfcc[f % WINDOW], self.ring_peak[f % WINDOW] = frame_mfcc(self.pending[used:used + fe.FRAME_LENGTH])
            used += fe.FRAME_STEP
            self.frames += 1
            if f + 1 < WINDOW or (f + 1 - WINDOW) % config.hop_every:
                continue
            order = [(f + 1 + i) % WINDOW for i in range(WINDOW)]           # oldest frame first
            x = window_input(self.ring_mfcc[order], self.ring_peak[order], config)
            out = run(self.graph, x.reshape(self.graph.tensor(self.graph.inputs[0]).shape))[self.graph.outputs[0]]
            end = f * fe.FRAME_STEP + fe.FRAME_LENGTH
            sums, event = self.detector.step(out, end)
            result.samples.append(end)
            result.sums.append(sums)
            if self.keep_inputs:
                result.inputs.append(x)
            if event is not None:
                result.events.append(event)
        self.pending = self.pending[used:]
        return result


def run_stream(samples: np.ndarray, graph, config: StreamConfig, keep_inputs: bool = False) -> StreamResult:
    """The whole stream through the front end, the network (tinygen's reference interpreter)
    and the detector, as the device's stream mode does it."""
    return StreamRunner(graph, config, keep_inputs).feed(samples)


@dataclass(frozen=True)
class Truth:
    label: str
    start: float         # seconds
    end: float


@dataclass
class StreamScore:
    hits: int
    misses: int
    false_accepts: int
    hours: float
    latencies: list[float]                 # event time - the keyword's end, per hit (seconds)
    matched: list[tuple[Truth, Event | None]]

    @property
    def false_accepts_per_hour(self) -> float:
        return self.false_accepts / self.hours if self.hours else 0.0


def score_events(events: list[Event], truth: list[Truth], num_samples: int, tolerance: float = 1.0) -> StreamScore:
    """A hit is an event of the keyword's label between its start and `tolerance` seconds
    after its end (each keyword matched once, in time order, to the first event not yet
    matched); other events are false accepts, unmatched keywords misses."""
    by_label: dict[str, list[int]] = {}
    for i, e in enumerate(events):
        by_label.setdefault(e.label, []).append(i)
    times = {label: [events[i].time for i in index] for label, index in by_label.items()}
    used: set[int] = set()
    matched = []
    for t in sorted(truth, key=lambda t: t.start):
        index, found = by_label.get(t.label, []), None
        for k in range(bisect.bisect_left(times.get(t.label, []), t.start), len(index)):
            if events[index[k]].time > t.end + tolerance:
                break
            if index[k] not in used:
                found = index[k]
                break
        if found is not None:
            used.add(found)
        matched.append((t, events[found] if found is not None else None))
    hits = [(t, e) for t, e in matched if e is not None]
    return StreamScore(len(hits), len(truth) - len(hits), len(events) - len(used), num_samples / fe.SAMPLE_RATE / 3600,
                       [e.time - t.end for t, e in hits], matched)


__all__ = ["Detector", "Event", "KWS_LABELS", "StreamConfig", "StreamResult", "StreamRunner", "StreamScore", "Truth",
           "frame_mfcc", "input_grid", "recording_frames", "run_stream", "score_events", "window_input",
           "window_values"]
