"""The synthesized keyword corpus (tinygen.audio.corpus, speech, noise): deterministic from its
seed, the test voices kept out of training, shapes and labels, the noise kinds and the SNR
of the mix, the cache. The espeak-ng tests skip (saying so) where it is not installed."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tinygen.audio import corpus
from tinygen.audio import noise as nz
from tinygen.audio import speech as sp
from tinygen.audio.stream import KWS_LABELS
from tinygen.errors import TinygenError

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (apt-get install espeak-ng): the corpus "
                                         "is synthesized with it")
SMALL = corpus.CorpusSpec(seed=3, keyword_words={"train": 2, "test": 1}, unknown_words={"train": 4, "test": 2},
                          silence_clips={"train": 3, "test": 2}, copies={"train": 2, "test": 1},
                          fragment_clips={"train": 3, "test": 0})


def fake_audio(words: list[corpus.Word]) -> list[np.ndarray]:
    """A tone per word (no espeak-ng): its length and pitch from the word's speed and pitch."""
    out = []
    for w in words:
        n = 4000 + 20 * w.speed
        t = np.arange(n) / 16000
        out.append((np.sin(2 * np.pi * (100 + 4 * w.pitch) * t) * 12000 * np.hanning(n)).astype(np.int16))
    return out


def test_corpus_voices_split_disjoint():
    train, test = sp.voices("train"), sp.voices("test")
    assert not {v.variant for v in train} & {v.variant for v in test}
    assert {v.accent for v in train} == {v.accent for v in test} == set(sp.ACCENTS)
    for split in corpus.SPLITS:
        variants = {w.voice.variant for w in corpus.plan_words(corpus.CorpusSpec(), split)}
        assert variants <= set(sp.TEST_VARIANTS if split == "test" else sp.TRAIN_VARIANTS)
    # the default test split hears most of its variants
    assert len({w.voice.variant for w in corpus.plan_words(corpus.CorpusSpec(), "test")}) == len(sp.TEST_VARIANTS)


def test_voice_sets_disjoint_and_none_made_from_a_test_voice():
    """The extra and held-out voices share no variant with each other or the corpus's splits, and
    none is a test variant retouched (espeak-ng's AnxiousAndy is Andy's, steph2 steph's)."""
    sets = list(sp.VOICE_SETS.values())
    assert sum(len(s) for s in sets) == len(set().union(*sets))
    for variant in sp.EXTRA_VARIANTS + sp.HELDOUT_VARIANTS:
        assert not any(t.lower() in variant.lower() for t in sp.TEST_VARIANTS if len(t) > 2), variant
    assert {v.variant for v in sp.voices("heldout")} == set(sp.HELDOUT_VARIANTS)


def test_corpus_plan_deterministic_and_per_split():
    a, b = corpus.plan_words(SMALL, "test"), corpus.plan_words(SMALL, "test")
    assert a == b
    assert corpus.plan_words(corpus.CorpusSpec(seed=4), "test") != corpus.plan_words(corpus.CorpusSpec(seed=4 + 1),
                                                                                    "test")
    # a split does not depend on the other split's sizes
    bigger = corpus.CorpusSpec(seed=3, keyword_words={"train": 9, "test": 1}, unknown_words={"train": 9, "test": 2})
    assert corpus.plan_words(bigger, "test") == a
    words = corpus.plan_words(SMALL, "train")
    assert [w.word for w in words[:20]] == [k for k in sp.KEYWORDS for _ in range(2)]
    assert all(w.label == corpus.UNKNOWN and w.word in sp.UNKNOWN_WORDS for w in words[20:])
    assert all(sp.SPEEDS[0] <= w.speed <= sp.SPEEDS[1] and sp.PITCHES[0] <= w.pitch <= sp.PITCHES[1] for w in words)


def test_corpus_mix_shapes_labels_spans():
    words = corpus.plan_words(SMALL, "train")
    audio = fake_audio(words)
    s = corpus.mix_split(SMALL, "train", words, audio)
    n = len(words) * 2 + 3 + 3
    assert len(s) == n and s.clips.shape == (n, 16000) and s.clips.dtype == np.int16
    assert s.spans.shape == (n, 2) and set(s.noise) <= set(nz.KINDS)
    counts = np.bincount(s.labels, minlength=12)
    assert list(counts[:10]) == [4] * 10 and counts[KWS_LABELS.index("silence")] == 3
    assert counts[KWS_LABELS.index("unknown")] == 4 * 2 + 3            # unknown words and keyword fragments
    for i in range(n):
        lo, hi = s.spans[i]
        if s.labels[i] == corpus.SILENCE:
            assert (lo, hi) == (0, 0) and s.words[i] == "" and np.isnan(s.snr[i])
            continue
        assert 0 <= lo < hi <= 16000 and SMALL.snr_db[0] <= s.snr[i] <= SMALL.snr_db[1]
        peak_db = 20 * np.log10(np.abs(s.clips[i].astype(float)).max() / 32767)
        assert SMALL.level_db[0] - 0.01 <= peak_db <= SMALL.level_db[1] + 0.01
        if "fragment" in s.words[i]:
            whole = len(audio[words.index(next(w for w in words if w.word == s.words[i].split()[0]
                                                and w.voice.name == s.voices[i]))])
            assert hi - lo <= whole * SMALL.fragment_share[1] + 1
        else:
            assert hi - lo == min(len(audio[i // 2]), 16000)
    # the word sounds inside its span: at high SNR most of the clip's energy is there
    clean = [i for i in range(n) if s.labels[i] != corpus.SILENCE and s.snr[i] > 30]
    for i in clean:
        lo, hi = s.spans[i]
        x = s.clips[i].astype(float)
        assert np.sum(x[lo:hi] ** 2) > 0.9 * np.sum(x ** 2)
    # deterministic: the same spec mixes the same clips, another seed others
    again = corpus.mix_split(SMALL, "train", words, audio)
    assert np.array_equal(again.clips, s.clips) and again.noise == s.noise
    other = corpus.mix_split(corpus.CorpusSpec(**{**SMALL.__dict__, "seed": 4}), "train", words, audio)
    assert not np.array_equal(other.clips, s.clips)


def test_corpus_test_split_has_no_fragments():
    words = corpus.plan_words(SMALL, "test")
    s = corpus.mix_split(SMALL, "test", words, fake_audio(words))
    assert not any("fragment" in w for w in s.words) and len(s) == len(words) + 2


@pytest.mark.parametrize("snr", [0.0, 7.5, 30.0])
def test_corpus_mix_snr_exact(snr):
    rng = np.random.default_rng(1)
    speech = rng.standard_normal(5000) * 3000
    noise = nz.make_noise("pink", 16000, rng)
    x = nz.mix(speech, 2000, noise, snr)
    placed = np.zeros(16000)
    placed[2000:7000] = speech
    assert nz.snr_db(speech, x - placed) == pytest.approx(snr, abs=1e-9)
    assert np.array_equal(nz.mix(speech, 2000, noise, None), placed)
    # speech running past the end is cut
    assert np.count_nonzero(nz.mix(speech, 14000, noise, None)) == 2000


def _band_power(x: np.ndarray, lo: float, hi: float) -> float:
    f = np.fft.rfftfreq(len(x), 1 / 16000)
    p = np.abs(np.fft.rfft(x)) ** 2
    return float(p[(f >= lo) & (f < hi)].sum())


def test_corpus_noise_kinds():
    rng = np.random.default_rng(0)
    pool = [np.sin(np.arange(3000) / 5) * 1000]
    tilt = {}
    for kind in nz.KINDS:
        x = nz.make_noise(kind, 16000, rng, words=pool)
        assert x.shape == (16000,) and np.isfinite(x).all()
        assert np.sqrt(np.mean(x ** 2)) == pytest.approx(1.0, rel=1e-9)
        tilt[kind] = _band_power(x, 2000, 8000) / _band_power(x, 50, 500)
    assert tilt["white"] > 10 * tilt["pink"] > 10 * tilt["brown"]
    # babble over a long stretch is continuous: 3 to 6 words a second, no second left silent
    long = nz.make_noise("babble", 10 * 16000, np.random.default_rng(2), words=pool)
    seconds = np.sqrt(np.mean(long.reshape(10, 16000) ** 2, axis=1))
    assert seconds.min() > 0.2
    hum = nz.make_noise("hum", 16000, np.random.default_rng(5))
    peak = np.fft.rfftfreq(16000, 1 / 16000)[np.argmax(np.abs(np.fft.rfft(hum)))]
    assert 49 <= peak <= 61
    with pytest.raises(ValueError, match="pool"):
        nz.make_noise("babble", 100, rng)
    with pytest.raises(ValueError, match="unknown noise"):
        nz.make_noise("rain", 100, rng)


def test_corpus_trim():
    x = np.zeros(16000)
    x[3200:5120] = 10000                  # 12 blocks of 10 ms
    x[5120:5600] = 50                     # -46 dB: trimmed
    x[1600:1700] = 150                    # -36 dB: kept, from its block's start
    got = sp.trim(x)
    assert len(got) == 5120 - 1600 and got[:100].min() == 150 and got[-1920:].min() == 10000


def test_corpus_missing_espeak_says_what_to_install(monkeypatch):
    monkeypatch.setattr(sp.shutil, "which", lambda name: None)
    with pytest.raises(TinygenError) as e:
        sp.say("yes", sp.Voice("en-us", "m1"))
    assert "espeak-ng is not installed" in str(e.value) and "apt-get install" in str(e.value)
    assert "espeak-ng sox" in str(e.value)


@needs_espeak
def test_corpus_say_espeak():
    sp.check_voices()
    a = sp.say("yes", sp.Voice("en-us", "m3"), 160, 50)
    b = sp.say("yes", sp.Voice("en-us", "m3"), 160, 50)
    assert a.dtype == np.int16 and 2000 < len(a) < 16000 and np.array_equal(a, b)
    assert not np.array_equal(a, sp.say("yes", sp.Voice("en-us", "f2"), 160, 50)[:len(a)])
    # trimmed: no silent tail
    assert np.abs(a[-160:].astype(float)).max() > 0.005 * np.abs(a.astype(float)).max()


@needs_espeak
def test_corpus_build_cached_and_deterministic(tmp_path, monkeypatch):
    first = corpus.build(tmp_path, SMALL, splits=("test",))["test"]
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 1 and files[0].startswith("words-test-")
    feats = first.features()
    assert feats.shape == (len(first), 49, 10) and feats.dtype == np.float32
    # the second build synthesizes nothing and gives the same clips and features
    monkeypatch.setattr(sp, "say", lambda *a, **k: pytest.fail("synthesized again despite the cache"))
    again = corpus.build(tmp_path, SMALL, splits=("test",))["test"]
    assert np.array_equal(again.clips, first.clips) and np.array_equal(again.features(), feats)
    assert {v.split("+")[1] for v in again.voices if v} <= set(sp.TEST_VARIANTS)
