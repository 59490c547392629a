"""Synthesised background noise and mixing at a signal-to-noise ratio.

    n = make_noise("pink", 16_000, rng)               # float, unit RMS
    n = make_noise("babble", 16_000, rng, words=pool) # overlapped words from `pool`
    clip = mix(speech, start, n, snr_db=10)            # float: speech at `start` over the noise

Kinds: white; pink (1/f power) and brown (1/f^2), shaped in the frequency domain;
hum (mains at 50 or 60 Hz with decaying harmonics, over a little white noise); babble
(3 to 6 words a second from a pool, each at its own level and place, overlapping).

The SNR is taken over the speech's own samples (its power while it sounds) against the
noise's power over the whole clip: 10 log10(P_speech / P_noise).
"""

from __future__ import annotations

import numpy as np

KINDS = ("white", "pink", "brown", "hum", "babble")


def _unit(x: np.ndarray) -> np.ndarray:
    rms = np.sqrt(np.mean(np.square(x)))
    return x / rms if rms > 0 else x


def _coloured(n: int, rng: np.random.Generator, exponent: float) -> np.ndarray:
    """Gaussian noise with power falling as 1/f^exponent (DC removed), unit RMS."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spectrum), dtype=np.float64)
    f[0] = 1.0
    spectrum *= f ** (-exponent / 2.0)
    spectrum[0] = 0.0
    return _unit(np.fft.irfft(spectrum, n))


def _hum(n: int, rng: np.random.Generator, rate: int) -> np.ndarray:
    mains = rng.choice([50.0, 60.0]) * rng.uniform(0.99, 1.01)
    t = np.arange(n) / rate
    x = sum(rng.uniform(0.3, 1.0) / k * np.sin(2 * np.pi * mains * k * t + rng.uniform(0, 2 * np.pi))
            for k in range(1, 8))
    return _unit(_unit(x) + 0.05 * rng.standard_normal(n))


def _babble(n: int, rng: np.random.Generator, words: list[np.ndarray]) -> np.ndarray:
    if not words:
        raise ValueError("babble noise needs a pool of words")
    x = np.zeros(n)
    for _ in range(int(rng.integers(3, 7)) * max(1, n // 16_000)):      # 3 to 6 words a second
        w = _unit(words[int(rng.integers(len(words)))].astype(np.float64)) * rng.uniform(0.3, 1.0)
        start = int(rng.integers(-len(w) // 2, n))
        lo, hi = max(start, 0), min(start + len(w), n)
        if hi > lo:
            x[lo:hi] += w[lo - start:hi - start]
    return _unit(x + 1e-3 * rng.standard_normal(n))


def make_noise(kind: str, n: int, rng: np.random.Generator, rate: int = 16_000,
               words: list[np.ndarray] | None = None) -> np.ndarray:
    """`n` samples of one kind of noise, float with unit RMS."""
    if kind == "white":
        return _unit(rng.standard_normal(n))
    if kind == "pink":
        return _coloured(n, rng, 1.0)
    if kind == "brown":
        return _coloured(n, rng, 2.0)
    if kind == "hum":
        return _hum(n, rng, rate)
    if kind == "babble":
        return _babble(n, rng, words or [])
    raise ValueError(f"unknown noise kind {kind!r}; one of {', '.join(KINDS)}")


def power(x: np.ndarray) -> float:
    return float(np.mean(np.square(np.asarray(x, np.float64))))


def snr_db(speech: np.ndarray, noise: np.ndarray) -> float:
    """10 log10 of the speech's power over the noise's."""
    return 10.0 * np.log10(power(speech) / power(noise))


def mix(speech: np.ndarray, start: int, noise: np.ndarray, snr: float | None) -> np.ndarray:
    """The speech placed at `start` (cut at the noise's end) over the noise scaled to `snr`
    dB against it; snr None: the speech alone on silence. Float, not yet scaled to int16."""
    out = np.zeros(len(noise))
    s = np.asarray(speech, np.float64)[:max(0, len(noise) - start)]
    out[start:start + len(s)] = s
    if snr is None:
        return out
    scale = np.sqrt(power(s) / power(noise) / 10 ** (snr / 10.0)) if len(s) else 1.0
    return out + noise * scale


__all__ = ["KINDS", "make_noise", "mix", "power", "snr_db"]
