"""A synthesized keyword-spotting corpus (no speech data set can be downloaded here).

    splits = build()                      # {"train": Split, "test": Split}, cached in build/kws-corpus
    test = splits["test"]
    test.clips        # int16 [N, 16000]: 1 s at 16 kHz
    test.labels       # int [N]: indices into stream.KWS_LABELS (10 keywords, silence, unknown)
    test.features()   # float32 [N, 49, 10]: tinygen.ref.mfcc.features of every clip

The twelve classes of the MLPerf Tiny KWS model. espeak-ng speaks the ten keywords and
the "unknown" words (tinygen.audio.speech) with random voices, speeds (120-220 words per
minute) and pitches; each word is placed at a random time within the 1 s window and mixed
with synthesised noise (white, pink, brown, mains hum, babble of overlapped unknown words
of the same split; tinygen.audio.noise) at a random SNR, then scaled to a random peak level.
"silence" clips are noise alone. The test split's voices (speech.TEST_VARIANTS, in every
accent) never speak in the training split; babble uses only the split's own voices. The
training split also has "unknown" clips holding only a quarter to a half of a keyword
(its start or its end), so that a stream window with a keyword cut by its edge does not fire.

Everything is drawn from `CorpusSpec.seed`, each split from its own generator, so a split
is the same whether built alone or with the other. The synthesized words are cached in
`cache_dir` (default build/kws-corpus) under a key of the spec, the word and voice lists,
this module's version and espeak-ng's version; the clips are mixed again from them on load
(seconds) and their features cached beside them (keyed by the front end's source too).

    tinygen corpus [--cache DIR] [--seed N]     # build (or check) the cache (tinygen.cli.corpus)
    tinygen corpus --export DIR [--split test]  # ... and write a split as WAV files
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from tinygen.audio import noise as nz
from tinygen.audio import speech as sp
from tinygen.audio.stream import KWS_LABELS
from tinygen.ref import mfcc as fe

VERSION = 2                       # bump when the mixing changes
WORDS_VERSION = 1                 # bump when the synthesis changes
DEFAULT_CACHE = Path("build") / "kws-corpus"
SPLITS = ("train", "test")
SILENCE, UNKNOWN = KWS_LABELS.index("silence"), KWS_LABELS.index("unknown")


@dataclass(frozen=True)
class CorpusSpec:
    seed: int = 0
    keyword_words: dict = field(default_factory=lambda: {"train": 300, "test": 50})   # words per keyword
    unknown_words: dict = field(default_factory=lambda: {"train": 600, "test": 100})
    silence_clips: dict = field(default_factory=lambda: {"train": 400, "test": 50})
    # "unknown" clips holding only the start or the end of a keyword (a quarter to a half of
    # it): what a stream window sees as a keyword comes in or goes out; training only
    fragment_clips: dict = field(default_factory=lambda: {"train": 600, "test": 0})
    fragment_share: tuple = (0.25, 0.5)
    copies: dict = field(default_factory=lambda: {"train": 2, "test": 1})   # clips mixed from each word
    snr_db: tuple = (0.0, 40.0)           # uniform
    level_db: tuple = (-30.0, -1.0)       # the clip's peak, dB full scale, uniform
    silence_level_db: tuple = (-60.0, -20.0)

    def key(self, split: str, words_only: bool = False) -> str:
        """The cache key of a split's clips (or, words_only, of its synthesized words alone)."""
        own = {k: v[split] if isinstance(v, dict) else v for k, v in asdict(self).items()}   # this split's part
        if words_only:
            own = {k: own[k] for k in ("seed", "keyword_words", "unknown_words")}
        what = {"spec": own, "split": split, "espeak": sp.espeak_version(), "keywords": sp.KEYWORDS,
                "unknown": sp.UNKNOWN_WORDS, "voices": [v.name for v in sp.voices(split)], "speeds": sp.SPEEDS,
                "pitches": sp.PITCHES, "version": VERSION if not words_only else WORDS_VERSION}
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Word:
    """One synthesized utterance."""
    word: str
    voice: sp.Voice
    speed: int
    pitch: int

    @property
    def label(self) -> int:
        return KWS_LABELS.index(self.word) if self.word in sp.KEYWORDS else UNKNOWN


def plan_words(spec: CorpusSpec, split: str) -> list[Word]:
    """The split's utterances: keywords first (in KWS_LABELS order), then unknown words."""
    rng = np.random.default_rng([spec.seed, SPLITS.index(split), 0])
    voices = sp.voices(split)
    words = [w for w in sp.KEYWORDS for _ in range(spec.keyword_words[split])]
    words += list(rng.choice(sp.UNKNOWN_WORDS, spec.unknown_words[split]))
    return [Word(str(w), voices[int(rng.integers(len(voices)))], int(rng.integers(sp.SPEEDS[0], sp.SPEEDS[1] + 1)),
                 int(rng.integers(sp.PITCHES[0], sp.PITCHES[1] + 1))) for w in words]


@dataclass
class Split:
    """One split's clips, labels and where each clip's word sounds."""
    name: str
    clips: np.ndarray            # int16 [N, 16000]
    labels: np.ndarray           # int [N]
    words: list[str]             # the spoken word ("" for silence)
    voices: list[str]            # espeak-ng voice ("" for silence)
    noise: list[str]             # noise kind
    snr: np.ndarray              # dB (nan for silence)
    spans: np.ndarray            # [N, 2] first and last+1 sample of the word in the clip (0, 0 for silence)
    feature_file: Path | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def features(self) -> np.ndarray:
        """float32 [N, 49, 10]: the front end's MFCCs of every clip (clip mode), cached."""
        if self.feature_file is not None and self.feature_file.exists():
            with np.load(self.feature_file) as z:
                return z["features"]
        out = np.stack([fe.features(c) for c in self.clips]).astype(np.float32)
        if self.feature_file is not None:
            save_npz(self.feature_file, features=out)
        return out

    def subset(self, index) -> Split:
        index = np.asarray(index)
        pick = (lambda xs: [xs[i] for i in index])
        return Split(self.name, self.clips[index], self.labels[index], pick(self.words), pick(self.voices),
                     pick(self.noise), self.snr[index], self.spans[index])


def _frontend_key() -> str:
    """The front end's source: cached features are computed again when it changes."""
    return hashlib.sha256(Path(fe.__file__).read_bytes()).hexdigest()[:8]


def save_npz(path: Path, **arrays) -> None:
    """Write an .npz atomically (a stopped build leaves no half file in the cache)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)


def synthesize(words: list[Word], progress: Callable[[str], None] | None = None,
               workers: int = 2) -> list[np.ndarray]:
    """Every planned word through espeak-ng (two processes at a time)."""
    sp.check_voices()
    out: list[np.ndarray] = []
    with ThreadPoolExecutor(workers) as pool:
        for i, audio in enumerate(pool.map(lambda w: sp.say(w.word, w.voice, w.speed, w.pitch), words)):
            out.append(audio)
            if progress and (i + 1) % 500 == 0:
                progress(f"synthesized {i + 1} / {len(words)} words")
    return out


def load_words(spec: CorpusSpec, split: str, cache_dir: Path,
               progress: Callable[[str], None] | None = None) -> tuple[list[Word], list[np.ndarray]]:
    """The split's planned words and their audio, synthesized once and cached."""
    words = plan_words(spec, split)
    path = Path(cache_dir) / f"words-{split}-{spec.key(split, words_only=True)}.npz"
    if path.exists():
        with np.load(path) as z:
            return words, np.split(z["audio"], z["ends"][:-1])
    if progress:
        progress(f"synthesizing the {split} split's {len(words)} words with espeak-ng into {path.parent}")
    audio = synthesize(words, progress)
    save_npz(path, audio=np.concatenate(audio), ends=np.cumsum([len(a) for a in audio]))
    return words, audio


def _uniform(rng, bounds) -> float:
    return float(rng.uniform(*bounds))


def mix_split(spec: CorpusSpec, split: str, words: list[Word], audio: list[np.ndarray]) -> Split:
    """The split's clips from its words: place, add noise, scale (deterministic from the seed)."""
    rng = np.random.default_rng([spec.seed, SPLITS.index(split), 1])
    n = fe.CLIP_SAMPLES
    pool = [a for w, a in zip(words, audio) if w.label == UNKNOWN]
    clips, labels, names, voices, kinds, snrs, spans = [], [], [], [], [], [], []
    keywords = [i for i, w in enumerate(words) if w.label != UNKNOWN]
    plan = [(i, False) for i in range(len(words)) for _ in range(spec.copies[split])]
    plan += [(None, False)] * spec.silence_clips[split]
    plan += [(keywords[int(k)], True) for k in rng.integers(len(keywords), size=spec.fragment_clips[split])]
    for index, fragment in plan:
        kind = nz.KINDS[int(rng.integers(len(nz.KINDS)))]
        noise = nz.make_noise(kind, n, rng, words=pool)
        if index is None:
            x, label, word, voice, snr, span = noise, SILENCE, "", "", np.nan, (0, 0)
            level = _uniform(rng, spec.silence_level_db)
        else:
            s, label, word = audio[index][:n], words[index].label, words[index].word
            if fragment:
                keep = max(1, int(len(s) * _uniform(rng, spec.fragment_share)))
                s = s[:keep] if rng.uniform() < 0.5 else s[len(s) - keep:]
                label, word = UNKNOWN, f"{word} (fragment)"
            start = int(rng.integers(0, n - len(s) + 1))
            snr = _uniform(rng, spec.snr_db)
            x = nz.mix(s, start, noise, snr)
            voice, span = words[index].voice.name, (start, start + len(s))
            level = _uniform(rng, spec.level_db)
        peak = np.abs(x).max()
        clips.append(sp.to_int16(x * (32767 * 10 ** (level / 20) / peak)))
        labels.append(label)
        names.append(word)
        voices.append(voice)
        kinds.append(kind)
        snrs.append(snr)
        spans.append(span)
    return Split(split, np.stack(clips), np.array(labels), names, voices, kinds, np.array(snrs, np.float64),
                 np.array(spans, np.int64))


def load_split(split: str, spec: CorpusSpec | None = None, cache_dir: str | Path = DEFAULT_CACHE,
               progress: Callable[[str], None] | None = None) -> Split:
    """One split: its words synthesized (or read from the cache), mixed into clips."""
    spec = spec or CorpusSpec()
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; one of {', '.join(SPLITS)}")
    words, audio = load_words(spec, split, Path(cache_dir), progress)
    result = mix_split(spec, split, words, audio)
    result.feature_file = Path(cache_dir) / f"features-{split}-{spec.key(split)}-{_frontend_key()}.npz"
    return result


def build(cache_dir: str | Path = DEFAULT_CACHE, spec: CorpusSpec | None = None, splits=SPLITS,
          progress: Callable[[str], None] | None = None) -> dict[str, Split]:
    """The corpus: every split in `splits`, synthesized once, cached in `cache_dir`."""
    return {name: load_split(name, spec, cache_dir, progress) for name in splits}


def export_wavs(split: Split, out_dir: str | Path) -> Path:
    """The split's clips as WAV files, one folder per class (out_dir/yes/0001.wav, the layout
    `tinygen listen --audio` reads labels from), and labels.csv (file,label,word,voice,noise,snr);
    returns the CSV's path."""
    from tinygen.audio.wav import write_wav

    out = Path(out_dir)
    rows = []
    for i, clip in enumerate(split.clips):
        label = KWS_LABELS[split.labels[i]]
        path = out / label / f"{i:05d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_wav(path, clip)
        snr = "" if np.isnan(split.snr[i]) else f"{split.snr[i]:.1f}"
        rows.append(f"{path.relative_to(out)},{label},{split.words[i]},{split.voices[i]},{split.noise[i]},{snr}")
    csv = out / "labels.csv"
    csv.write_text("file,label,word,voice,noise,snr_db\n" + "\n".join(rows) + "\n")
    return csv


def summary(split: Split) -> str:
    counts = np.bincount(split.labels, minlength=len(KWS_LABELS))
    voices = sorted({v for v in split.voices if v})
    return (f"{split.name}: {len(split)} clips ({', '.join(f'{KWS_LABELS[i]} {c}' for i, c in enumerate(counts))}), "
            f"{len(voices)} voices")


if __name__ == "__main__":
    import sys

    print("note: `python -m tinygen.audio.corpus` is now `tinygen corpus`, with the same options", file=sys.stderr)
    sys.exit(2)


__all__ = [
    "DEFAULT_CACHE",
    "SILENCE",
    "SPLITS",
    "UNKNOWN",
    "CorpusSpec",
    "Split",
    "Word",
    "build",
    "export_wavs",
    "load_split",
    "mix_split",
    "plan_words",
    "save_npz",
    "summary",
    "synthesize",
]
