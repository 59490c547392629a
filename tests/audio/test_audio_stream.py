"""The streaming detector's host reference (tinygen.audio.stream): normalisation through
coefficient 0, the integer smoothing / threshold / refractory logic, and the scoring."""

from __future__ import annotations

import math

import numpy as np
import pytest

from audio_data import FakeKwsGraph
from tinygen.ref import mfcc as fe
from tinygen.audio import stream as st


def noisy_clip(seed: int, level: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(16000) / 16000
    tone = np.sin(2 * np.pi * rng.uniform(200, 3000) * t) * (t > 0.3) * (t < 0.7)
    return ((tone * 0.8 + rng.normal(0, 0.05, 16000)) * level).clip(-32768, 32767).astype(np.int16)


@pytest.mark.parametrize("level", [1500.0, 8000.0, 30000.0])
def test_stream_window_normalised_like_a_clip(level):
    """A 16,000-sample stream's first window is the clip, normalised through c0: equal to the
    clip's features (no digital silence, so the log's offset does not matter) but for rare
    rounding ties."""
    cfg = st.StreamConfig.for_graph(FakeKwsGraph())
    clip = noisy_clip(1, level)
    want = fe.quantize(fe.features(clip), cfg.input_scale, cfg.input_zero_point)
    frames = fe.frames(clip)
    mfccs, peaks = zip(*(st.frame_mfcc(f) for f in frames.astype(np.int16)))
    got = st.window_input(np.array(mfccs), np.array(peaks), cfg)
    assert got.shape == want.shape
    diff = np.abs(got.astype(int) - want.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01


def test_stream_config_threshold_in_output_units():
    cfg = st.StreamConfig.for_graph(FakeKwsGraph(), smooth=3, threshold=0.7, refractory_ms=500)
    assert cfg.threshold_units == math.ceil(0.7 * 3 * 256) and cfg.refractory == 8000
    assert cfg.keywords == list(range(10))
    with pytest.raises(ValueError):
        st.StreamConfig.for_graph(FakeKwsGraph(), threshold=0)


def out(probs: dict[int, int]) -> np.ndarray:
    """An int8 softmax output with u_c = probs[c] (others 0)."""
    u = np.zeros(12, np.int64)
    for c, v in probs.items():
        u[c] = v
    return (u - 128).astype(np.int8)


def test_stream_detector_smooths_thresholds_and_waits():
    cfg = st.StreamConfig(hop_every=2, smooth=2, threshold_units=400, refractory=1000, output_zero_point=-128)
    det = st.Detector(cfg)
    sums, event = det.step(out({9: 250}), 100)
    assert event is None and sums[9] == 250
    sums, event = det.step(out({9: 160, 0: 90}), 200)          # 410 >= 400: "yes"
    assert event == st.Event("yes", 200, 410)
    assert det.step(out({9: 255}), 900)[1] is None               # refractory
    # silence and unknown never fire, however high
    det2 = st.Detector(cfg)
    for sample in (100, 200, 300):
        assert det2.step(out({10: 255, 11: 255}), sample)[1] is None
    # two keywords over the threshold: the larger sum wins, a tie goes to the lower index
    det3 = st.Detector(cfg)
    det3.step(out({2: 220, 3: 230}), 0)
    assert det3.step(out({2: 220, 3: 210}), 10)[1].label == "left"
    det4 = st.Detector(cfg)
    det4.step(out({2: 200, 3: 200}), 0)
    assert det4.step(out({2: 200, 3: 200}), 10)[1].label == "left"
    # the window forgets: after `smooth` inferences an old score no longer counts
    det5 = st.Detector(cfg)
    det5.step(out({9: 255}), 0)
    det5.step(out({}), 10)
    assert det5.step(out({9: 200}), 20)[1] is None


def test_stream_scoring():
    truth = [st.Truth("yes", 1.0, 1.5), st.Truth("no", 4.0, 4.4), st.Truth("yes", 8.0, 8.5)]
    events = [st.Event("yes", int(1.7 * 16000), 500), st.Event("go", int(3.0 * 16000), 500),
              st.Event("no", int(6.0 * 16000), 500), st.Event("yes", int(9.2 * 16000), 500)]
    score = st.score_events(events, truth, 36_000 * 16000 // 100)     # 6 minutes
    assert (score.hits, score.misses, score.false_accepts) == (2, 1, 2)
    assert score.latencies == pytest.approx([0.2, 0.7])
    assert score.false_accepts_per_hour == pytest.approx(2 / 0.1)


@pytest.mark.parametrize("seed", range(4))
def test_stream_scoring_equals_its_definition(seed):
    """score_events against its rule written plainly: each keyword, in time order, takes the first
    event not yet taken with its label between its start and `tolerance` after its end."""
    rng = np.random.default_rng(seed)
    labels = ["yes", "no", "up"]
    truth = [st.Truth(str(rng.choice(labels)), float(t), float(t) + 0.4) for t in np.sort(rng.uniform(0, 60, 30))]
    events = [st.Event(str(rng.choice(labels)), int(s), 1) for s in np.sort(rng.integers(0, 61 * 16000, 60))]
    used, hits = set(), 0
    for t in sorted(truth, key=lambda t: t.start):
        found = next((i for i, e in enumerate(events) if i not in used and e.label == t.label
                      and t.start <= e.time <= t.end + 1.0), None)
        if found is not None:
            used.add(found)
            hits += 1
    score = st.score_events(events, truth, 61 * 16000)
    assert (score.hits, score.false_accepts) == (hits, len(events) - len(used)) and hits > 3
