"""examples/kws: the shipped keyword-spotting models load through tinygen's model loader from
their small .pt files (no corpus needed), and their accuracy on the synthesized test clips is
the one examples/kws/RESULTS.md reports: in PyTorch (eval mode) and, for the int8 DS-CNN,
compiled by tinygen (the numpy reference, bit-exact with the generated C). The accuracy
tests need the corpus's test split, synthesized with espeak-ng (cached in build/kws-corpus)."""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from audio_data import FakeKwsGraph
from tinygen.audio import stream as st
from tinygen.frontend import torch_loader

KWS = Path(__file__).resolve().parents[2] / "examples" / "kws"
MODELS = {"dscnn": 0, "w4a4": 6, "sp": 6, "wakeword": 0}   # name: tinygen ops in the exported program (per switch)
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed: the test clips are synthesized with it")


def _section(title: str | None) -> str:
    """RESULTS.md's first part (title None), or its section `## title...`."""
    text = (KWS / "RESULTS.md").read_text()
    if title is None:
        return text.split("\n## ")[0]
    return next(part for part in text.split("\n## ")[1:] if part.startswith(title))


def _results() -> dict[str, float]:
    """The eval accuracy per model (| name | file | eval acc | ...)."""
    rows = re.findall(r"^\| ([\w-]+) \| \S+ \| ([\d.]+)% \|", _section(None), re.M)
    return {name: float(acc) / 100 for name, acc in rows}


def _compiled_results() -> dict[str, float]:
    """The compiled int8 accuracy per model (| name | compiled acc | ...)."""
    rows = re.findall(r"^\| ([\w-]+) \| ([\d.]+)% \|", _section("Compiled"), re.M)
    return {name: float(acc) / 100 for name, acc in rows}


@pytest.fixture(scope="module")
def test_split():
    from tinygen.audio import corpus

    return corpus.load_split("test")


@pytest.mark.parametrize("name", list(MODELS))
def test_kws_example_loads_small_and_self_contained(name):
    path = KWS / f"{name}_kws.py"
    limit = 350 if name == "wakeword" else 300                       # KB; the wake word holds two networks
    assert path.with_suffix(".pt").stat().st_size < limit * 1024
    loaded = torch_loader.load(path)
    programs = [p for _, p in loaded.switches] or [loaded.program]
    for program in programs:
        targets = [str(n.target) for n in program.graph.nodes if n.op == "call_function"]
        assert sum(t.startswith("tinygen.") for t in targets) == MODELS[name]
    assert loaded.calibration is not None and loaded.calibration.shape == (64, 1, 49, 10)
    assert loaded.example_input.shape == (1, 1, 49, 10)


@needs_espeak
@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
def test_kws_example_accuracy_matches_results(name, module, test_split):
    from tinygen.nn import set_switch, switches

    mod = module(name)
    net = mod.model()
    x = torch.from_numpy(test_split.features()[:, None])
    want = _results()
    names = [f"sp-{s}" for s in switches(net)] if name == "sp" else [name]
    if hasattr(mod, "feature_gains"):               # the model takes the features times its gains
        x = x * torch.tensor(mod.feature_gains(), dtype=torch.float32)
    for row in names:
        if name == "sp":
            set_switch(net, row[3:])
        with torch.no_grad():
            pred = net(x).argmax(1).numpy()
        # the same weights, features and torch give the same predictions; one clip is 0.15 points
        assert np.mean(pred == test_split.labels) == pytest.approx(want[row], abs=5e-5), row


@needs_espeak
@pytest.mark.slow
def test_kws_dscnn_compiled_accuracy_matches_results(test_split):
    from tinygen.audio import evaluate
    from tinygen.compiler import compile_source, load_source

    graph = compile_source(load_source(KWS / "dscnn_kws.py"))
    pred = evaluate.predict(graph, evaluate.clip_inputs(graph, test_split.clips))
    assert np.mean(pred == test_split.labels) == pytest.approx(_compiled_results()["dscnn"], abs=5e-5)


@pytest.mark.parametrize("gains, reads", [
    # every coefficient its own gain: a convolution per output column, reading the coefficients the
    # stem's 10x4 kernel at stride 2 and padding 1 reads (the edges' padding left out)
    ((0.125, 1.0, 2.0, 0.5, 1.0, 1.5, 1.0, 3.0, 1.0, 0.25),
     [(0, 3, 0, 0), (1, 5, 0, 0), (3, 7, 0, 0), (5, 9, 0, 0), (7, 10, 0, 0)]),
    # the wake word's: the column reading coefficient 0, and the other four sharing their weights
    # over coefficients 1-9 and the right edge's padding
    ("wake", [(0, 3, 0, 0), (1, 10, 0, 1)]),
])
def test_gained_stem_is_the_stem_on_gained_features(module, gains, reads):
    """_kws.gained: every network of an Average takes the features times the gains, its stem,
    batch norm and ReLU convolutions over groups of output columns with the weights over the
    gains: the same outputs as the network on the features (float rounding apart)."""
    kws = module("kws")
    gains = kws.WAKE_GAINS if gains == "wake" else gains
    nets = [kws.dscnn(channels=8) for _ in range(2)]
    rng = np.random.default_rng(0)
    for net in nets:
        for p in net.parameters():
            p.data = torch.from_numpy(rng.normal(0, 0.5, p.shape).astype(np.float32))
        net[1].running_mean.uniform_(-1, 1)
        net[1].running_var.uniform_(0.5, 2)
    plain = kws.Average(nets).eval()
    x = torch.from_numpy(rng.normal(0, 20, (16, 1, 49, 10)).astype(np.float32))
    with torch.no_grad():
        want = plain(x)
        got = kws.gained(plain, gains)(x * torch.tensor(gains))
    torch.testing.assert_close(got, want, rtol=0, atol=1e-5)
    stem = kws.members(plain)[0][0]
    assert isinstance(stem, kws.GainedStem) and stem.reads == reads
    with torch.no_grad():
        assert not torch.allclose(plain(x), want, atol=1e-3), "the gains changed nothing: no teeth"


def test_wakeword_window_labels(module):
    """A stream window's label: the keyword entirely inside (LEFT_MARGIN past the window's start),
    nothing to learn where a keyword is cut with half of it or more inside, "unknown" for less of
    it or for another word, "silence" for the noise bed alone."""
    wake = module("wake")
    rate, step = 16000, 320
    spoken = [st.Truth("yes", 2.0, 2.4), st.Truth("cat", 5.0, 5.5)]
    labels = wake.window_labels(spoken, 400)
    yes, unknown, silence = st.KWS_LABELS.index("yes"), wake.UNKNOWN, wake.SILENCE

    def at(start_s: float) -> int:
        """The label of the window starting at `start_s` (a multiple of 20 ms)."""
        return int(labels[round(start_s * rate / step) + 48])

    assert (labels[:48] == wake.IGNORE).all()
    assert at(0.0) == silence and at(3.0) == silence                  # before "yes" comes; between the words
    assert at(1.9) == yes and at(1.42) == yes                         # [1.42, 2.41): the last window holding it
    assert at(1.40) == wake.IGNORE                                    # its end cut off: 0.39 of 0.4 s inside
    assert at(1.96) == yes and at(1.98) == wake.IGNORE                # 40 ms, then 20 ms after the window's start
    assert at(2.2) == wake.IGNORE and at(2.22) == unknown             # half of it inside, then less
    assert at(2.4) == silence
    assert at(4.04) == silence and at(4.06) == unknown                # 30 ms of "cat": too little; 50 ms
    assert at(5.4) == unknown and at(5.46) == silence


def test_wakeword_window_draws_keep_the_keyword_share(module):
    """Each epoch's stream windows: KEYWORD_SHARE of them hold a whole keyword, the rest other
    words and the noise bed; never a window labelled IGNORE; each window the one its label
    belongs to."""
    wake = module("wake")
    rng = np.random.default_rng(0)
    recordings = []
    for r in range(2):
        labels = rng.choice([wake.SILENCE, wake.UNKNOWN, wake.IGNORE, 3, 9], 600, p=[0.4, 0.3, 0.1, 0.1, 0.1])
        labels[:48] = wake.IGNORE
        mfcc = np.tile(np.arange(600, dtype=np.float64)[:, None] + 1000 * r, (1, 10))  # a frame's values name it
        recordings.append(wake.StreamData(mfcc, np.full(600, 32768), labels, None, []))
    x, y = wake.draw_windows(recordings, 100, np.random.default_rng(1))
    keyword = (y != wake.SILENCE) & (y != wake.UNKNOWN)
    assert x.shape == (100, 49, 10) and keyword.sum() == round(wake.KEYWORD_SHARE * 100) and (y >= 0).all()
    last = x[:, -1, 1].astype(int)                                     # the window's last frame: recording, frame
    assert all(recordings[f // 1000].labels[f % 1000] == label for f, label in zip(last, y))


def test_wakeword_recording_is_synthesized_once(module, monkeypatch, tmp_path):
    """A recording's words are synthesized once: its frames and labels are cached beside its
    samples, and an edit to the front end or the labelling (another frames key) computes the
    frames and labels again from the cached samples; with_samples gives the recording back."""
    wake = module("wake")

    class Spec:
        def name(self):
            return "stream-test"

    made = []
    samples = np.random.default_rng(0).integers(-3000, 3000, 3 * 16000).astype(np.int16)
    truth = [st.Truth("yes", 1.0, 1.4)]
    spoken = truth + [st.Truth("cat", 2.0, 2.3)]

    def make(spec):
        made.append(spec)
        return samples, truth, spoken

    monkeypatch.setattr(wake.rc, "make_recording_words", make)
    first = wake.stream_data(Spec(), tmp_path, with_samples=True)
    mfcc, peaks = st.recording_frames(samples)
    assert np.array_equal(first.mfcc, mfcc) and np.array_equal(first.peaks, peaks)
    assert np.array_equal(first.labels, wake.window_labels(spoken, len(peaks)))
    assert np.array_equal(first.samples, samples) and first.truth == truth
    again = wake.stream_data(Spec(), tmp_path)
    assert again.samples is None and np.array_equal(again.mfcc, mfcc) and again.truth == truth
    key = wake._key(Spec())
    monkeypatch.setattr(wake, "_key", lambda spec: "stream-test-edited")
    edited = wake.stream_data(Spec(), tmp_path, with_samples=True)
    assert len(made) == 1
    assert np.array_equal(edited.labels, first.labels) and np.array_equal(edited.samples, samples)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["wake-audio-stream-test.npz", f"wake-{key}.npz",
                                                                 "wake-stream-test-edited.npz"])


def test_wakeword_augment_warps_and_stretches(module):
    """No warp and no stretch leave a window as it is; the mel axis warped by 1 keeps what the
    10 coefficients describe; a stretch keeps the middle frame and moves the others about it."""
    wake = module("wake")
    x = np.random.default_rng(0).normal(size=(8, 1, 49, 10)).astype(np.float32)
    np.testing.assert_allclose(wake._warp_matrix(1.0), np.eye(10), atol=1e-12)
    assert not np.allclose(wake._warp_matrix(1.1), np.eye(10))
    try:
        wake.WARP, wake.TEMPO = (1.0, 1.0), (1.0, 1.0)
        np.testing.assert_allclose(wake.augment(x, np.random.default_rng(1)), x, atol=1e-6)
        wake.TEMPO = (1.5, 1.5)                                        # frame 24 + (t - 24) * 1.5
        y = wake.augment(x, np.random.default_rng(1))
        np.testing.assert_allclose(y[:, :, 24], x[:, :, 24], atol=1e-6)
        np.testing.assert_allclose(y[:, :, 26], x[:, :, 27], atol=1e-6)
        np.testing.assert_allclose(y[:, :, 25], (x[:, :, 25] + x[:, :, 26]) / 2, atol=1e-6)
        np.testing.assert_allclose(y[:, :, 48], x[:, :, 48], atol=1e-6)  # past the edge: held
    finally:
        importlib.reload(wake)


def test_wakeword_tuning_picks_most_hits_within_the_budget(module):
    """On a minute whose keywords last five inferences and one spike lasts one, the least
    smoothing that keeps the spike under a threshold the keywords reach wins."""
    wake = module("wake")
    tuning = module("detector")
    graph = FakeKwsGraph()
    samples = np.arange(1, 1501) * 640                                # an inference every 40 ms: 60 s
    u = np.zeros((1500, 12), np.int64)
    u[:, wake.SILENCE] = 255
    truth = []
    for i, word in enumerate(["yes", "no", "up", "go", "on"]):
        first = 150 + 250 * i
        u[first:first + 5] = 0
        u[first:first + 5, st.KWS_LABELS.index(word)] = 250
        truth.append(st.Truth(word, samples[first] / 16000 - 0.5, samples[first] / 16000 - 0.1))
    u[1400] = 0
    u[1400, st.KWS_LABELS.index("stop")] = 255                         # one inference: a false accept at smooth 1
    detector, point, points = tuning.tune(graph, samples, u, truth, 1500 * 640)
    assert (point.hits, point.false_accepts) == (5, 0)
    assert detector.smooth == 2 and detector.refractory_ms == max(tuning.REFRACTORY_MS) and detector.hop == tuning.HOP
    units = detector.config(graph).threshold_units
    assert 255 < units <= 500 and 0 < detector.threshold <= 1         # over the spike's sum, at most the keywords'
    assert detector.options() == ["--hop", str(tuning.HOP), "--smooth", "2", "--threshold", f"{detector.threshold:g}",
                                  "--refractory-ms", str(detector.refractory_ms)]


def test_wakeword_detector_stored_with_the_weights(module):
    """The shipped weights hold the detector RESULTS.md reports, within the tuning's grid."""
    tuning = module("detector")
    detector = tuning.stored_detector(KWS / "wakeword_kws.py")
    assert detector.hop == tuning.HOP and detector.smooth in tuning.SMOOTHS
    assert detector.refractory_ms in tuning.REFRACTORY_MS and 0 < detector.threshold <= 1
    row = re.search(r"^\| (\d+) frames \| (\d+) \| ([\d.]+) \| (\d+) ms \|", _section("Wake word"), re.M)
    assert row and (int(row[1]), int(row[2]), float(row[3]), int(row[4])) == (
        detector.hop, detector.smooth, detector.threshold, detector.refractory_ms)


@needs_espeak
def test_wakeword_detector_on_the_demos_first_seconds(module):
    """The shipped model with its stored detector, through the host twin of the device's stream
    mode, on the first 10 s of `make demo-kws`'s recording (seed 1, test voices): the three
    keywords spoken there are detected, each once and in order, and at most one other event
    fires (the bar's one false accept a minute). The filler "own" in a Scottish test voice
    (m3), which the model takes for "on" even alone as a clean clip, falls in these seconds
    (an earlier detector setting fired on it); docs/audio.md's kws-stream figure says how far
    the demo is from the bar."""
    from tinygen.audio import recording as rc
    from tinygen.compiler import compile_source, load_source

    tuning = module("detector")
    samples, truth, spoken = rc.make_recording_words(rc.RecordingSpec(seed=1, minutes=1.0))
    n = 10 * 16000
    truth = [t for t in truth if t.end * 16000 < n]
    assert [t.label for t in truth] == ["on", "left", "stop"]
    assert any(w.label not in [t.label for t in truth] and w.end * 16000 < n for w in spoken)   # other words too
    graph = compile_source(load_source(KWS / "wakeword_kws.py"))
    result = st.run_stream(samples[:n], graph, tuning.stored_detector(KWS / "wakeword_kws.py").config(graph))
    score = st.score_events(result.events, truth, n)
    assert score.hits == 3 and score.false_accepts <= 1
    assert [e.label for e in result.events][:3] == ["on", "left", "stop"] and len(result.events) <= 4
