"""Real audio for the front end's tests: the spoken words of tests/data/audio/speech.npz
(eSpeak NG, three voices; provenance in make_speech.py and the file itself) placed in
1 s clips at several levels, with and without noise and level changes, and a keyword
stream; plus the agreement statistic the C front end is held to.

Everything is seeded: the same clips every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from tinygen.audio.stream import Truth
from tinygen.ref import mfcc as fe

SPEECH = Path(__file__).resolve().parent / "data" / "audio" / "speech.npz"
KWS_SCALE, KWS_ZERO_POINT = 0.5847029, 83         # the MLPerf Tiny KWS model's input grid
# (peak level as a fraction of full scale, white noise rms as a fraction of full scale)
CONDITIONS = ((0.6, 0.0), (0.02, 0.0), (0.9, 0.003), (0.15, 0.01), (2.0, 0.0))   # the last one clips
IDENTICAL_MIN = 0.995     # the stated agreement: at least 99.5% of feature bytes identical ...
MAX_APART = 1             # ... and none more than 1 apart


@lru_cache(maxsize=None)
def speech() -> dict[str, np.ndarray]:
    """name (VOICE_WORD) -> int16 samples at 16 kHz."""
    assert SPEECH.is_file(), f"{SPEECH} is missing (regenerate it: python tests/data/audio/make_speech.py)"
    with np.load(SPEECH) as z:
        return {k: z[k] for k in z.files if k != "provenance"}


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def place(word: np.ndarray, level: float, noise: float, rng: np.random.Generator,
          length: int = fe.CLIP_SAMPLES, step: bool = False) -> np.ndarray:
    """`word` scaled to a peak of level * 32767 at a random offset in `length` samples, with
    white noise of rms noise * 32767 over the whole clip; step: the gain falls to a quarter
    halfway through the word (a level change inside the clip)."""
    x = word.astype(np.float64) * (level * 32767.0 / max(1, int(np.abs(word).max())))
    if step:
        x[len(x) // 2:] *= 0.25
    out = np.zeros(length)
    offset = int(rng.integers(0, max(1, length - len(x))))
    n = min(len(x), length - offset)
    out[offset:offset + n] = x[:n]
    if noise:
        out += rng.normal(0.0, noise * 32767.0, length)
    return to_int16(out)


@lru_cache(maxsize=None)
def speech_clips(seed: int = 15) -> tuple[tuple[str, np.ndarray], ...]:
    """Every word under every condition, 1 s each, plus a level change inside some."""
    rng = np.random.default_rng(seed)
    clips = []
    for name, word in speech().items():
        for i, (level, noise) in enumerate(CONDITIONS):
            clips.append((f"{name} level {level:g} noise {noise:g}", place(word, level, noise, rng)))
        clips.append((f"{name} level step", place(word, 0.8, 0.002, rng, step=True)))
    return tuple(clips)


def few_clips(count: int, seed: int = 16) -> list[tuple[str, np.ndarray]]:
    """`count` clips cut to the word (the device zero-pads them), spread over the words
    and conditions: for stand-ins, whose serial link takes audio slowly."""
    rng = np.random.default_rng(seed)
    names = sorted(speech())
    out = []
    for i in range(count):
        name = names[(i * 7) % len(names)]
        level, noise = CONDITIONS[i % len(CONDITIONS)]
        word = speech()[name]
        x = place(word, level, noise, rng, length=len(word) + 800)
        out.append((f"{name} level {level:g} noise {noise:g}", x))
    return out


@dataclass
class KeywordStream:
    samples: np.ndarray
    truth: list[Truth]


def keyword_stream(words=("us_yes", "us_left", "f3_right", "rp_yes", "us_off", "f3_go"), seed: int = 17,
                   gap: float = 0.5, noise: float = 0.002) -> KeywordStream:
    """The words one after another (gap seconds apart, each at its own level), over white
    noise: ~6 s."""
    rng = np.random.default_rng(seed)
    pieces, truth, t = [np.zeros(int(0.4 * fe.SAMPLE_RATE))], [], 0.4
    for name in words:
        word = speech()[name].astype(np.float64)
        level = rng.uniform(0.3, 0.9)
        pieces.append(word * (level * 32767.0 / np.abs(word).max()))
        truth.append(Truth(name.split("_")[1], t, t + len(word) / fe.SAMPLE_RATE))
        t += len(word) / fe.SAMPLE_RATE
        pieces.append(np.zeros(int(gap * fe.SAMPLE_RATE)))
        t += gap
    x = np.concatenate(pieces)
    return KeywordStream(to_int16(x + rng.normal(0.0, noise * 32767.0, len(x))), truth)


@dataclass
class Agreement:
    """Int8 features against the twin's: how many bytes are identical, how far apart the rest."""
    total: int
    identical: int
    max_apart: int

    @property
    def fraction(self) -> float:
        return self.identical / self.total if self.total else 1.0

    def ok(self) -> bool:
        return self.fraction >= IDENTICAL_MIN and self.max_apart <= MAX_APART

    def __str__(self) -> str:
        return (f"{100 * self.fraction:.3f}% of {self.total} feature bytes identical, at most {self.max_apart} apart "
                f"(stated: >= {100 * IDENTICAL_MIN:g}%, <= {MAX_APART})")


def agreement(pairs) -> Agreement:
    """Over (got, want) int8 arrays."""
    total = identical = worst = 0
    for got, want in pairs:
        d = np.abs(np.asarray(got, np.int64) - np.asarray(want, np.int64))
        total += d.size
        identical += int((d == 0).sum())
        worst = max(worst, int(d.max()) if d.size else 0)
    return Agreement(total, identical, worst)


def twin_features(clip: np.ndarray) -> np.ndarray:
    """The twin's int8 features of one clip on the KWS model's grid, [49, 10]."""
    return fe.quantize(fe.features(clip), KWS_SCALE, KWS_ZERO_POINT)


# synthesized speech without espeak-ng: tone bursts, for tests of what is built from the words
def fake_say(word, voice, speed=160, pitch=50):
    """A tone burst per word (no espeak-ng), its length set by the speed."""
    n = 3000 + 30 * speed
    seed = sum(map(ord, word + voice.name))
    t = np.arange(n) / 16000
    return (np.sin(2 * np.pi * (150 + seed % 700) * t) * 20000 * np.hanning(n)).astype(np.int16)


class _Grid:
    def __init__(self, scale: float, zero_point: int):
        self.scale, self.zero_point = np.array([scale]), np.array([zero_point])


class FakeKwsGraph:
    """Just what StreamConfig.for_graph and a detector's tuning read of a KWS graph: the input's
    grid (the MLPerf Tiny KWS model's), a softmax output's (1/256, -128) and its meta (no
    feature_gains unless given)."""
    inputs, outputs = ["in"], ["out"]

    def __init__(self, feature_gains=None):
        self.meta = {} if feature_gains is None else {"feature_gains": tuple(feature_gains)}

    def tensor(self, name: str):
        grid = _Grid(KWS_SCALE, KWS_ZERO_POINT) if name == "in" else _Grid(1 / 256, -128)
        return type("T", (), {"qparams": grid})()
