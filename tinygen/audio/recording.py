"""A long evaluation recording: keywords at known times between other words, over noise.

    samples, truth = make_recording(RecordingSpec(seed=0, minutes=10))
    samples, truth, spoken = make_recording_words(spec)    # ... and every word spoken, keywords or not
    wav, csv = build_recording("build/kws-stream", RecordingSpec(minutes=10))   # cached files
    truth = read_truth(csv)                 # [stream.Truth(label, start, end)], seconds

Words come one after another with a pause of 0.3-1.5 s between them: a keyword with
probability `keyword_share` (the ten keywords in turn, shuffled), else another word (one of
speech.DISTRACTORS: the corpus's "unknown" words less the homophones of a keyword, which
espeak-ng speaks as the keyword itself), both spoken by the voices of one split of the corpus
(`voices`: "test", the default, never heard in training: tinygen.audio.speech.TEST_VARIANTS;
"train" for a validation recording to tune a detector on without touching the test voices),
each at its own SNR over the level of the noise under it (`snr_db`, against the RMS level
each noise segment is drawn at, not the samples under the word: babble falls to digital
silence between its words, and a segment fades out and in, where a word would otherwise be
scaled to nothing; the peak kept at -1 dB full scale at most, which lowers the SNR of a word
over loud noise). Between two keywords there are at
least `keyword_gap` seconds (the detector's refractory second and the scoring's tolerance fit
in). Under everything runs a noise bed that changes every 5-20 s (white, pink, brown, hum,
babble of other words of the same voices) at a level drawn from `noise_level_db` (RMS, dB
full scale).

The truth lists each keyword with the first and last sample of its (trimmed) sound, in
seconds. Its file is CSV with a header: `label,start,end`.

    tinygen recording [--minutes 10] [--seed 0] [--voices test] [--out build/kws-stream]   # tinygen.cli.recording
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from tinygen.audio import noise as nz
from tinygen.audio import speech as sp
from tinygen.audio.stream import Truth
from tinygen.audio.wav import read_wav, write_wav
from tinygen.errors import UsageError

RATE = sp.RATE
DEFAULT_DIR = Path("build") / "kws-stream"
VERSION = 5                      # bump when the recording changes
VOICE_SETS = tuple(sp.VOICE_SETS)


@dataclass(frozen=True)
class RecordingSpec:
    seed: int = 0
    minutes: float = 10.0
    keyword_share: float = 0.5
    keyword_gap: float = 2.5              # seconds from a keyword's end to the next keyword's start, at least
    pause: tuple = (0.3, 1.5)             # seconds between words
    snr_db: tuple = (5.0, 30.0)           # each word's power over the noise bed's level under it
    noise_level_db: tuple = (-60.0, -35.0)
    noise_segment: tuple = (5.0, 20.0)    # seconds of one noise kind
    voices: str = "test"                  # the corpus split whose voices speak (VOICE_SETS)

    def __post_init__(self):
        if self.voices not in VOICE_SETS:
            raise UsageError(f"unknown voice set {self.voices!r}", f"use one of {', '.join(VOICE_SETS)}")

    def name(self) -> str:
        what = {"spec": asdict(self), "version": VERSION, "espeak": sp.espeak_version(),
                "keywords": sp.KEYWORDS, "unknown": sp.DISTRACTORS, "voices": [v.name for v in sp.voices(self.voices)]}
        digest = hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:8]
        own = "" if self.voices == "test" else f"-{self.voices}"
        return f"stream-{self.minutes:g}min-seed{self.seed}{own}-{digest}"


def _noise_bed(spec: RecordingSpec, n: int, rng: np.random.Generator, babble: list[np.ndarray]
               ) -> tuple[np.ndarray, np.ndarray]:
    """The bed, and per sample the RMS level its segment was drawn at (what a word's SNR is
    taken against: babble falls to digital silence between its words, and a fade to nothing)."""
    bed = np.zeros(n)
    level = np.zeros(n)
    pos = 0
    while pos < n:
        length = min(n - pos, int(rng.uniform(*spec.noise_segment) * RATE))
        kind = nz.KINDS[int(rng.integers(len(nz.KINDS)))]
        rms = 32768 * 10 ** (rng.uniform(*spec.noise_level_db) / 20)
        piece = nz.make_noise(kind, length, rng, words=babble) * rms
        ramp = min(length // 2, RATE // 20)                       # 50 ms fades between segments
        if ramp:
            fade = np.linspace(0.0, 1.0, ramp)
            piece[:ramp] *= fade
            piece[length - ramp:] *= fade[::-1]
        bed[pos:pos + length] = piece
        level[pos:pos + length] = rms
        pos += length
    return bed, level


def make_recording(spec: RecordingSpec = RecordingSpec()) -> tuple[np.ndarray, list[Truth]]:
    """The recording (int16 at 16 kHz) and its keywords' truth, from the spec's seed alone."""
    samples, truth, _ = make_recording_words(spec)
    return samples, truth


def make_recording_words(spec: RecordingSpec = RecordingSpec()) -> tuple[np.ndarray, list[Truth], list[Truth]]:
    """make_recording's samples and truth, and every word spoken (keywords and the others,
    in time order; label: the word) where a training script needs to know what each window holds."""
    sp.check_voices()
    rng = np.random.default_rng([spec.seed, 7])
    n = int(spec.minutes * 60 * RATE)
    voices = sp.voices(spec.voices)
    babble = [sp.say(str(w), voices[int(rng.integers(len(voices)))]) for w in rng.choice(sp.DISTRACTORS, 12)]
    bed, level = _noise_bed(spec, n, rng, babble)
    speech = np.zeros(n)
    truth: list[Truth] = []
    spoken: list[Truth] = []
    queue: list[str] = []
    pos = int(rng.uniform(*spec.pause) * RATE)
    last_keyword_end = -np.inf
    while True:
        keyword = rng.uniform() < spec.keyword_share
        if keyword:
            if pos / RATE < last_keyword_end + spec.keyword_gap:
                pos = int((last_keyword_end + spec.keyword_gap) * RATE)
            if not queue:
                queue = [str(w) for w in rng.permutation(sp.KEYWORDS)]
            word = queue.pop()
        else:
            word = str(rng.choice(sp.DISTRACTORS))
        voice = voices[int(rng.integers(len(voices)))]
        audio = sp.say(word, voice, int(rng.integers(sp.SPEEDS[0], sp.SPEEDS[1] + 1)),
                       int(rng.integers(sp.PITCHES[0], sp.PITCHES[1] + 1))).astype(np.float64)
        if pos + len(audio) > n:
            break
        gain = np.sqrt(nz.power(level[pos:pos + len(audio)]) / nz.power(audio) * 10 ** (rng.uniform(*spec.snr_db) / 10))
        speech[pos:pos + len(audio)] += audio * min(gain, 32767 * 10 ** (-1 / 20) / np.abs(audio).max())
        spoken.append(Truth(word, pos / RATE, (pos + len(audio)) / RATE))
        if keyword:
            truth.append(Truth(word, pos / RATE, (pos + len(audio)) / RATE))
            last_keyword_end = (pos + len(audio)) / RATE
        pos += len(audio) + int(rng.uniform(*spec.pause) * RATE)
    samples = sp.to_int16(speech + bed)
    return samples, truth, spoken


def write_truth(path: str | Path, truth: list[Truth]) -> Path:
    p = Path(path)
    with p.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["label", "start", "end"])
        for t in truth:
            w.writerow([t.label, f"{t.start:.4f}", f"{t.end:.4f}"])
    return p


def read_truth(path: str | Path, labels: tuple[str, ...] | None = None) -> list[Truth]:
    """A truth file: CSV with a header naming label, start and end (seconds); other columns
    are ignored. With `labels`, every label must be one of them."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"truth file {str(p)!r} does not exist", "give a CSV file with columns label,start,end")
    with p.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and not {"label", "start", "end"} <= set(rows[0]):
        raise UsageError(f"{p} has columns {', '.join(rows[0])}; a truth file needs label,start,end",
                         "write a header line: label,start,end (times in seconds)")
    out = []
    for i, row in enumerate(rows, start=2):
        try:
            t = Truth(row["label"].strip(), float(row["start"]), float(row["end"]))
        except (TypeError, ValueError):
            raise UsageError(f"{p} line {i}: {row} is not a label and two times in seconds",
                             "e.g. yes,12.34,12.81") from None
        if not 0 <= t.start <= t.end:
            raise UsageError(f"{p} line {i}: start {t.start} and end {t.end} are not 0 <= start <= end")
        if labels is not None and t.label not in labels:
            raise UsageError(f"{p} line {i}: {t.label!r} is not a class of the model",
                             f"use one of {', '.join(labels)}")
        out.append(t)
    return out


def build_recording(out_dir: str | Path = DEFAULT_DIR, spec: RecordingSpec = RecordingSpec()) -> tuple[Path, Path]:
    """The recording as WAV and its truth as CSV in `out_dir` (made once, then reused)."""
    out = Path(out_dir)
    wav, truth = out / f"{spec.name()}.wav", out / f"{spec.name()}.csv"
    if not (wav.exists() and truth.exists()):
        samples, keywords = make_recording(spec)
        out.mkdir(parents=True, exist_ok=True)
        tmp = out / f".{spec.name()}.partial.wav"
        write_wav(tmp, samples)
        write_truth(truth, keywords)
        tmp.replace(wav)
    return wav, truth


def load_recording(out_dir: str | Path = DEFAULT_DIR, spec: RecordingSpec = RecordingSpec()
                   ) -> tuple[np.ndarray, list[Truth], Path]:
    wav, truth = build_recording(out_dir, spec)
    return read_wav(wav), read_truth(truth), wav


if __name__ == "__main__":
    import sys

    print("note: `python -m tinygen.audio.recording` is now `tinygen recording`, with the same options",
          file=sys.stderr)
    sys.exit(2)


__all__ = ["DEFAULT_DIR", "VOICE_SETS", "RecordingSpec", "build_recording", "load_recording", "make_recording",
           "make_recording_words", "read_truth", "write_truth"]
