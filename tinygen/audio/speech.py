"""Spoken words from espeak-ng: the voices, the words, and one utterance as 16 kHz int16.

    say("yes", Voice("en-us", "m3"), speed=160, pitch=45)   # int16 [n], the word trimmed

A voice is an espeak-ng accent (`espeak-ng --voices=en`) with a variant (`+m3`, `+f2`,
`+klatt`, `+Andy`, ...). The variant is the speaker: the test split's variants
(TEST_VARIANTS) are never used in training, in any accent. espeak-ng writes 22,050 Hz
WAV; the samples are resampled to 16 kHz (scipy's polyphase filter, 160/441) and the
word's trailing silence is trimmed.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from tinygen.errors import TinygenError

ESPEAK = "espeak-ng"
INSTALL = "sudo apt-get install -y --no-install-recommends espeak-ng sox   (or run `make setup` as root)"

KEYWORDS = ("down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes")
# "unknown": other words, among them near misses of the keywords (so "unknown" is learnt
# from sounds like the keywords, not only from unrelated ones)
UNKNOWN_WORDS = ("bed", "bird", "cat", "dog", "eight", "five", "four", "happy", "house", "marvin", "nine", "one",
                 "seven", "sheila", "six", "three", "tree", "two", "wow", "zero", "learn", "follow", "forward",
                 "backward", "visual", "dune", "gold", "lift", "know", "often", "own", "light", "shop", "cup",
                 "yet", "yellow", "top", "dawn", "open", "water")
# "unknown" words that espeak-ng speaks exactly as a keyword (the same phonemes, so the same
# samples for a voice, speed and pitch): no detector can tell them apart, so a recording never
# uses them as the other words between keywords (DISTRACTORS); the corpus keeps them as they were
HOMOPHONES = {"know": "no"}
DISTRACTORS = tuple(w for w in UNKNOWN_WORDS if w not in HOMOPHONES)
ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029",
           "en-us-nyc")
TRAIN_VARIANTS = ("m1", "m2", "m4", "m5", "m6", "m8", "f1", "f3", "f4", "klatt", "klatt2", "klatt4", "Alex",
                  "Alicia", "Andrea", "Annie", "Denis", "Gene", "Hugo", "Jacky", "Lee", "Michael", "adam",
                  "aunty", "belinda", "boris", "caleb", "david", "grandma", "iven", "john", "max", "michel",
                  "norbert", "paul", "quincy", "rob", "shelby", "travis", "victor")
TEST_VARIANTS = ("m3", "m7", "f2", "f5", "klatt3", "Andy", "anika", "benjamin", "edward", "linda", "robert",
                 "steph", "zac")
# the other variants espeak-ng 1.51 ships, less those made from a test variant (AnxiousAndy,
# anikaRobot, edward2, steph2, steph3: the test voices retouched): more speakers for training
# stream windows ("extra") and speakers neither trained on nor tested, to choose a recipe and
# tune a detector on new voices without the test voices ("heldout"); the corpus uses neither
EXTRA_VARIANTS = ("Demonic", "Diogo", "Gene2", "Marco", "Mario", "Mr", "Nguyen", "RicishayMax", "RicishayMax3",
                  "Storm", "UniRobot", "announcer", "croak", "ed", "fast", "gustave", "iven2", "iven4",
                  "kaukovalta", "klatt6", "miguel", "pablo", "robosoft", "robosoft2", "robosoft4", "robosoft5",
                  "robosoft7", "robosoft8", "sandro", "whisperf")
HELDOUT_VARIANTS = ("Henrique", "Mike", "RicishayMax2", "Tweaky", "antonio", "grandpa", "iven3", "klatt5", "marcelo",
                    "pedro", "robosoft3", "robosoft6", "whisper")
VOICE_SETS = {"train": TRAIN_VARIANTS, "test": TEST_VARIANTS, "extra": EXTRA_VARIANTS, "heldout": HELDOUT_VARIANTS}
SPEEDS = (120, 220)              # words per minute (espeak-ng -s), uniform
PITCHES = (25, 75)               # espeak-ng -p (0..99), uniform
ESPEAK_RATE = 22_050
RATE = 16_000
TRIM_DB = -40.0                  # the word ends where 10 ms blocks stay this far below its peak


@dataclass(frozen=True)
class Voice:
    accent: str
    variant: str

    @property
    def name(self) -> str:
        return f"{self.accent}+{self.variant}"


def voices(split: str) -> list[Voice]:
    """Every accent with the set's variants (VOICE_SETS: "train" or "test", the corpus's splits;
    "extra" or "heldout")."""
    variants = VOICE_SETS[split]
    return [Voice(a, v) for v in variants for a in ACCENTS]


def require_espeak() -> str:
    path = shutil.which(ESPEAK)
    if path is None:
        raise TinygenError("espeak-ng is not installed: the keyword corpus is synthesized with it (and played "
                           "with sox)", f"install it: {INSTALL}")
    return path


@lru_cache(maxsize=1)
def espeak_version() -> str:
    out = subprocess.run([require_espeak(), "--version"], capture_output=True, text=True, check=True).stdout
    return out.split("Data at")[0].strip()


@lru_cache(maxsize=1)
def installed_variants() -> frozenset[str]:
    out = subprocess.run([require_espeak(), "--voices=variant"], capture_output=True, text=True, check=True).stdout
    return frozenset(tok[3:] for line in out.splitlines()[1:] for tok in line.split() if tok.startswith("!v/"))


def check_voices() -> None:
    """espeak-ng takes an unknown variant silently (the plain voice speaks): refuse that."""
    missing = sorted(set().union(*VOICE_SETS.values()) - installed_variants())
    if missing:
        raise TinygenError(f"espeak-ng {espeak_version()} has no voice variants {', '.join(missing)}",
                           "install the Debian espeak-ng-data package, which has them")


def resample(samples: np.ndarray, up: int = RATE // 50, down: int = ESPEAK_RATE // 50) -> np.ndarray:
    """22,050 Hz -> 16 kHz (160 / 441), as float."""
    from scipy.signal import resample_poly

    return resample_poly(np.asarray(samples, np.float64), up, down)


def trim(samples: np.ndarray, block: int = RATE // 100, db: float = TRIM_DB) -> np.ndarray:
    """The samples from the first to the last 10 ms block within `db` of the loudest block."""
    n = len(samples) // block * block
    if n == 0:
        return samples
    levels = np.abs(samples[:n].reshape(-1, block)).max(axis=1)
    loud = np.flatnonzero(levels >= levels.max() * 10 ** (db / 20))
    return samples[loud[0] * block:(loud[-1] + 1) * block]


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def say(word: str, voice: Voice, speed: int = 160, pitch: int = 50) -> np.ndarray:
    """One word spoken by espeak-ng, resampled to 16 kHz and trimmed: int16 [n]."""
    cmd = [require_espeak(), "-v", voice.name, "-s", str(int(speed)), "-p", str(int(pitch)), "--stdout", word]
    done = subprocess.run(cmd, capture_output=True, check=False)
    if done.returncode != 0 or not done.stdout:
        raise TinygenError(f"espeak-ng failed on {word!r} with voice {voice.name}: "
                           f"{done.stderr.decode(errors='replace').strip() or f'exit {done.returncode}'}",
                           f"try it by hand: {' '.join(cmd)} > word.wav")
    with wave.open(io.BytesIO(done.stdout)) as w:
        if w.getframerate() != ESPEAK_RATE or w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise TinygenError(f"espeak-ng wrote {w.getframerate()} Hz, {w.getnchannels()} channels, "
                               f"{8 * w.getsampwidth()}-bit audio; tinygen expects {ESPEAK_RATE} Hz mono 16-bit",
                               "report the espeak-ng version (espeak-ng --version)")
        raw = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    return to_int16(trim(resample(raw)))


__all__ = ["ACCENTS", "DISTRACTORS", "EXTRA_VARIANTS", "HELDOUT_VARIANTS", "HOMOPHONES", "INSTALL", "KEYWORDS", "RATE",
           "TEST_VARIANTS", "TRAIN_VARIANTS", "VOICE_SETS",
           "UNKNOWN_WORDS", "Voice", "check_voices", "espeak_version", "require_espeak", "resample", "say", "to_int16",
           "trim", "voices"]
