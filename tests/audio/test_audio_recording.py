"""The long evaluation recording (tinygen.audio.recording) and its ground truth; the chunked
host reference of stream mode (stream.StreamRunner) against run_stream."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tinygen.audio import recording as rc
from tinygen.audio import speech as sp
from tinygen.audio import stream as st
from tinygen.errors import UsageError

MLPERF_KWS = Path(__file__).resolve().parents[2] / "examples" / "mlperf-tiny" / "kws_dscnn_int8.tflite"


def test_recording_truth_and_determinism(no_espeak):
    spec = rc.RecordingSpec(seed=2, minutes=1.0)
    samples, truth = rc.make_recording(spec)
    assert samples.dtype == np.int16 and len(samples) == 60 * 16000
    assert len(truth) >= 10 and {t.label for t in truth} <= set(sp.KEYWORDS)
    # keywords in turn: the first ten are the ten keywords
    assert sorted(t.label for t in truth[:10]) == sorted(sp.KEYWORDS)
    for a, b in zip(truth, truth[1:]):
        assert b.start - a.end >= spec.keyword_gap - 1e-9
    for t in truth:
        lo, hi = int(t.start * 16000), int(t.end * 16000)
        assert hi - lo == 3000 + 30 * (hi - lo - 3000) // 30          # a whole fake word
        word = samples[lo:hi].astype(float)
        quiet = samples[max(0, lo - 4000):lo].astype(float)       # the noise bed alone (>= 0.3 s pause)
        assert np.mean(word ** 2) > 10 ** (spec.snr_db[0] / 10) * np.mean(quiet ** 2) * 0.8
    again, truth2 = rc.make_recording(spec)
    assert np.array_equal(again, samples) and truth2 == truth
    other, _ = rc.make_recording(rc.RecordingSpec(seed=3, minutes=1.0))
    assert not np.array_equal(other, samples)


def test_recording_no_keyword_scaled_to_nothing(no_espeak):
    """A word's SNR is over the level its noise segment was drawn at: babble falls to digital silence
    between its words and a segment fades out, and a word there was once scaled to nothing (seed 10:
    a keyword at RMS 0.4). None is fainter than the quietest bed plus the lowest SNR."""
    spec = rc.RecordingSpec(seed=10, minutes=1.0)
    samples, truth = rc.make_recording(spec)
    floor = 32768 * 10 ** ((spec.noise_level_db[0] + spec.snr_db[0]) / 20)
    for t in truth:
        word = samples[int(t.start * 16000):int(t.end * 16000)].astype(float)
        assert np.sqrt(np.mean(word ** 2)) > 0.9 * floor, t


def test_recording_voices_words_and_no_homophones(no_espeak, monkeypatch):
    """Every word spoken, in time order, keywords as the truth has them; the other words never a
    keyword's homophone; the voices of the asked split only (test by default, train for a
    validation recording), the same placement otherwise."""
    said = []
    fake = sp.say
    monkeypatch.setattr(sp, "say", lambda word, voice, *a: said.append((word, voice)) or fake(word, voice, *a))
    spec = rc.RecordingSpec(seed=2, minutes=1.0)
    samples, truth, spoken = rc.make_recording_words(spec)
    assert [t for t in spoken if t.label in sp.KEYWORDS] == truth and len(spoken) > len(truth)
    assert all(a.end <= b.start for a, b in zip(spoken, spoken[1:]))
    others = {t.label for t in spoken} - set(sp.KEYWORDS)
    assert others and others <= set(sp.DISTRACTORS) and not others & set(sp.HOMOPHONES)
    assert {v.variant for _, v in said} <= set(sp.TEST_VARIANTS)
    said.clear()
    train = rc.RecordingSpec(seed=2, minutes=1.0, voices="train")
    other, truth_train, _ = rc.make_recording_words(train)
    assert {v.variant for _, v in said} <= set(sp.TRAIN_VARIANTS) and len(said) > 10
    assert [t.label for t in truth_train] == [t.label for t in truth]      # the same draws, other speakers
    assert not np.array_equal(other, samples)
    assert train.name() != spec.name() and "-train-" in train.name() and "-train-" not in spec.name()
    with pytest.raises(UsageError, match="unknown voice set 'dev'"):
        rc.RecordingSpec(voices="dev")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng speaks the words: it says which are alike")
def test_recording_homophones_are_a_keywords_phonemes():
    """speech.HOMOPHONES are spoken as their keyword (espeak-ng's phonemes, so its samples); no
    distractor word is."""
    def phonemes(word: str) -> str:
        return subprocess.run(["espeak-ng", "-q", "-x", word], capture_output=True, text=True, check=True).stdout.strip()

    keywords = {phonemes(k): k for k in sp.KEYWORDS}
    for word, keyword in sp.HOMOPHONES.items():
        assert keywords.get(phonemes(word)) == keyword, word
    assert not [w for w in sp.DISTRACTORS if phonemes(w) in keywords]
    assert set(sp.DISTRACTORS) | set(sp.HOMOPHONES) == set(sp.UNKNOWN_WORDS)


def test_recording_files_cached(no_espeak, tmp_path, monkeypatch):
    spec = rc.RecordingSpec(seed=1, minutes=0.25)
    wav, csv = rc.build_recording(tmp_path, spec)
    samples, truth, _ = rc.load_recording(tmp_path, spec)
    assert wav.suffix == ".wav" and csv.read_text().startswith("label,start,end\n")
    assert len(samples) == 15 * 16000 and truth and all(isinstance(t, st.Truth) for t in truth)
    monkeypatch.setattr(rc, "make_recording", lambda spec: pytest.fail("made again despite the files"))
    assert rc.build_recording(tmp_path, spec) == (wav, csv)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([wav.name, csv.name])


def test_recording_truth_file_errors(tmp_path):
    good = tmp_path / "t.csv"
    truth = [st.Truth("yes", 1.0, 1.5), st.Truth("no", 3.25, 3.75)]
    rc.write_truth(good, truth)
    assert rc.read_truth(good, st.KWS_LABELS) == truth
    (tmp_path / "extra.csv").write_text("start,end,label,snr\n1,2,yes,10\n")
    assert rc.read_truth(tmp_path / "extra.csv") == [st.Truth("yes", 1.0, 2.0)]
    cases = {"cols.csv": ("word,t0\nyes,1\n", "needs label,start,end"),
             "num.csv": ("label,start,end\nyes,one,2\n", "line 2"),
             "order.csv": ("label,start,end\nyes,2,1\n", "0 <= start <= end"),
             "class.csv": ("label,start,end\nhello,1,2\n", "not a class")}
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(UsageError, match=message):
            rc.read_truth(tmp_path / name, st.KWS_LABELS)
    with pytest.raises(UsageError, match="does not exist"):
        rc.read_truth(tmp_path / "missing.csv")


@pytest.fixture(scope="module")
def kws_graph():
    from tinygen.compiler import compile_source, load_source

    return compile_source(load_source(MLPERF_KWS))


@pytest.mark.parametrize("chunk", [1, 333, 1600, 7000])
def test_stream_runner_chunks_equal_run_stream(kws_graph, chunk):
    rng = np.random.default_rng(chunk)
    n = 16000 + 320 * 12 + 123
    t = np.arange(n) / 16000
    samples = (np.sin(2 * np.pi * 440 * t) * (t > 0.4) * 9000 + rng.normal(0, 300, n)).astype(np.int16)
    cfg = st.StreamConfig.for_graph(kws_graph, hop_every=2, smooth=2, threshold=0.3)
    whole = st.run_stream(samples, kws_graph, cfg, keep_inputs=True)
    runner = st.StreamRunner(kws_graph, cfg, keep_inputs=True)
    parts = [runner.feed(samples[i:i + chunk]) for i in range(0, n, chunk)] if chunk > 1 else \
        [runner.feed(samples[i:i + 4000]) for i in range(0, n, 4000)]
    assert [s for p in parts for s in p.samples] == whole.samples
    assert len(whole.samples) == (1 + (n - 480) // 320 - 49) // 2 + 1
    assert all(np.array_equal(a, b) for a, b in zip([x for p in parts for x in p.inputs], whole.inputs))
    assert all(np.array_equal(a, b) for a, b in zip([x for p in parts for x in p.sums], whole.sums))
    assert [e for p in parts for e in p.events] == whole.events
    with pytest.raises(ValueError):
        runner.feed(np.zeros(10, np.float32))
