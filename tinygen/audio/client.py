"""The audio front end's commands (PROTOCOL.md, "Audio front end") over a connected
tinygen.hil.client.Device, for firmware built with `--frontend mfcc`.

    features, outputs, fe_count, net_count = audio_clip(dev, samples)   # one clip, 16 kHz int16

    config = StreamConfig.for_graph(graph, hop_every=2, smooth=3, threshold=0.7)
    stream_start(dev, config, verbose=1)
    for chunk in np.array_split(samples, 20):                            # any lengths
        events, inferences, counts = stream_chunk(dev, chunk, config.labels)
    totals = stream_stop(dev)

Samples are 1-D int16 arrays (numpy), sent little-endian. Events are
tinygen.audio.stream.Event, as the host reference (stream.run_stream) makes them;
inferences (verbose >= 1) carry the window's end sample and the smoothed sums S, and
with verbose=2 the int8 window the network saw. Counts are in the device's counter
units (`tg info` counter: executed instructions on stand-ins). The device rejects bad
input with DeviceError (an odd or oversized chunk, a chunk before stream_start).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from tinygen.audio.stream import KWS_LABELS, Event, StreamConfig
from tinygen.hil.client import Device, ProtocolError, Reply
from tinygen.ref import mfcc as fe

MAX_CLIP_BYTES = 2 * fe.CLIP_SAMPLES       # one upload: 1 s of 16 kHz int16 (TG_AUDIO_MAX_BYTES)
FEATURES_SHAPE = (fe.NUM_FRAMES, fe.NUM_MFCC)
VERBOSE_MAX = 2
# Default deadlines follow the work: the device answers once the whole upload is in and
# computed. A QEMU stand-in takes audio one byte at a time (measured 90-105 KB/s at load 4,
# 24-40 KB/s of wall time with 15-20 busy jobs on 2 cores; benchmarks/
# serial_link.py; a board at 115200 baud 11.5 KB/s): allow 1 KB/s, plus per inference
# the time an emulated network may take.
UPLOAD_BYTES_PER_S = 1000.0
SECONDS_PER_INFERENCE = 1.0


@dataclass(frozen=True)
class Counts:
    """Counter units one command took: the front end's and the network's (their sum is
    what the device prints as m-tg-count); in stream mode `windows`, the part of the front
    end's spent normalising and quantizing the windows (once per inference), so that
    frontend - windows is the frames'."""
    frontend: int
    network: int
    windows: int = 0

    @property
    def frames(self) -> int:
        """The front end's units spent on the frames' MFCCs."""
        return self.frontend - self.windows

    @property
    def total(self) -> int:
        return self.frontend + self.network


@dataclass(frozen=True)
class Inference:
    sample: int                       # the stream position the window ended at
    sums: np.ndarray                  # S per class (int64), after this inference
    window: np.ndarray | None = None  # int8 [49, 10] the network ran on (verbose=2)


class Chunk(NamedTuple):
    events: list[Event]
    inferences: list[Inference]
    counts: Counts


@dataclass(frozen=True)
class StreamTotals:
    samples: int
    frames: int
    inferences: int
    events: int


def _int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ProtocolError(f"bad {what} from the device: {text!r}") from None


def _ints(text: str, what: str, count: int | None = None) -> list[int]:
    values = [_int(v, what) for v in text.split(",")]
    if count is not None and len(values) != count:
        raise ProtocolError(f"{what}: expected {count} numbers, the device sent {text!r}")
    return values


def _hex_int8(text: str, what: str) -> np.ndarray:
    try:
        return np.frombuffer(bytes.fromhex(text), np.int8).copy()
    except ValueError:
        raise ProtocolError(f"bad hex in {what} from the device: {text[:40]!r}") from None


def _samples(samples, what: str) -> bytes:
    x = np.asarray(samples)
    if x.ndim != 1 or x.dtype != np.int16:
        raise ValueError(f"{what} is 1-D int16 samples, got {x.dtype} {list(x.shape)}")
    if x.nbytes > MAX_CLIP_BYTES:
        raise ValueError(f"{what} of {len(x)} samples is longer than one upload ({MAX_CLIP_BYTES // 2} samples, 1 s)")
    return x.astype("<i2").tobytes()


def deadline(dev: Device, nbytes: int, inferences: int = 1) -> float:
    """The default time limit of an audio command uploading `nbytes` and running
    `inferences` networks: the device's own timeout plus the upload and the inferences."""
    return dev.timeout + nbytes / UPLOAD_BYTES_PER_S + inferences * SECONDS_PER_INFERENCE


def _counts(reply: Reply) -> Counts:
    frontend, network = _ints(reply.value("m-tg-split"), "m-tg-split", 2)
    total = _int(reply.value("m-tg-count"), "m-tg-count")
    if total != frontend + network:
        raise ProtocolError(f"m-tg-count-[{total}] is not the sum of m-tg-split-[{frontend},{network}]")
    return Counts(frontend, network)


def audio_clip(dev: Device, samples, timeout: float | None = None) -> tuple[np.ndarray, np.ndarray, int, int]:
    """One clip (at most 16,000 int16 samples; a shorter one is zero-padded) through the
    device's front end and model: (int8 features [49, 10], int8 outputs, front-end count,
    network count)."""
    data = _samples(samples, "a clip")
    reply = dev.command(f"tg audio {len(data)}", data, timeout or deadline(dev, len(data)))
    features = _hex_int8(reply.value("m-tg-features"), "m-tg-features")
    if features.size != fe.NUM_FRAMES * fe.NUM_MFCC:
        raise ProtocolError(f"m-tg-features has {features.size} bytes, expected {fe.NUM_FRAMES * fe.NUM_MFCC}")
    outputs = _hex_int8(reply.value("m-tg-out"), "m-tg-out")
    counts = _counts(reply)
    return features.reshape(FEATURES_SHAPE), outputs, counts.frontend, counts.network


def keyword_mask(config: StreamConfig) -> int:
    """The classes that may fire (bit c for class c): the config's keywords."""
    return sum(1 << c for c in config.keywords)


def stream_start(dev: Device, config: StreamConfig, verbose: int = 0) -> None:
    """Start (or restart) stream mode with the detector of `config` (its hop, smoothing,
    threshold in output units, refractory samples and keywords). verbose 1: every
    inference's sums; 2: and its int8 window."""
    if not 0 <= verbose <= VERBOSE_MAX:
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose}")
    args = [config.hop_every, config.smooth, config.threshold_units, config.refractory, verbose, keyword_mask(config)]
    reply = dev.command("tg stream start " + " ".join(str(int(a)) for a in args))
    echoed = _ints(reply.value("m-tg-stream-start"), "m-tg-stream-start", len(args))
    if echoed != [int(a) for a in args]:
        raise ProtocolError(f"asked for stream settings {args}, the device answered {echoed}")


def parse_chunk(reply: Reply, labels: tuple[str, ...] = KWS_LABELS) -> Chunk:
    """The events, inferences and counts of a `tg stream N` answer, in the device's order."""
    events, inferences = [], []
    window = None
    for line in reply.lines:
        key, _, value = line.partition("-[")
        value = value[:-1] if value.endswith("]") else value
        if key == "m-tg-inf":
            numbers = _ints(value, "m-tg-inf")
            inferences.append(Inference(numbers[0], np.array(numbers[1:], np.int64)))
        elif key == "m-tg-window":
            window = _hex_int8(value, "m-tg-window").reshape(FEATURES_SHAPE)
            if not inferences:
                raise ProtocolError("m-tg-window before any m-tg-inf line")
            inferences[-1] = Inference(inferences[-1].sample, inferences[-1].sums, window)
        elif key == "m-tg-event":
            label, sample, score = _ints(value, "m-tg-event", 3)
            if not 0 <= label < len(labels):
                raise ProtocolError(f"event of class {label}, but there are {len(labels)} labels")
            events.append(Event(labels[label], sample, score))
    counts = _counts(reply)
    windows = _int(reply.value("m-tg-windows"), "m-tg-windows")
    if not 0 <= windows <= counts.frontend:
        raise ProtocolError(f"m-tg-windows-[{windows}] is not a part of m-tg-split's front end ({counts.frontend})")
    return Chunk(events, inferences, Counts(counts.frontend, counts.network, windows))


def stream_chunk(dev: Device, samples, labels: tuple[str, ...] = KWS_LABELS,
                 timeout: float | None = None) -> Chunk:
    """Send the next samples of the stream (1-D int16, any length up to 16,000): the
    events they caused, the inferences run (with verbose) and the counts."""
    data = _samples(samples, "a stream chunk")
    frames = len(data) // 2 // fe.FRAME_STEP + 1          # at most: the frames this chunk completes
    return parse_chunk(dev.command(f"tg stream {len(data)}", data, timeout or deadline(dev, len(data), frames)),
                       labels)


def stream_stop(dev: Device) -> StreamTotals:
    """End stream mode: the totals since stream_start."""
    return StreamTotals(*_ints(dev.command("tg stream stop").value("m-tg-stream-stop"), "m-tg-stream-stop", 4))


def frontend_name(dev: Device) -> str:
    """The device's front end (`tg info` frontend=): "mfcc-f32", "mfcc-q31", or "none"."""
    return str(dev.info().get("frontend", "none"))


__all__ = ["Chunk", "Counts", "Inference", "MAX_CLIP_BYTES", "StreamTotals", "audio_clip", "frontend_name",
           "deadline", "keyword_mask", "parse_chunk", "stream_chunk", "stream_start", "stream_stop"]
