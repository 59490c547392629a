"""Hits against false accepts per hour as the threshold moves (tinygen.audio.curve): a synthetic
score stream whose events at every threshold are worked out by hand, the same events as the
detector's own decision (stream.Detector.decide) on random sums, and the plot."""

from __future__ import annotations

import numpy as np
import pytest

from tinygen.audio import curve as cv
from tinygen.audio import stream as st
from tinygen.audio.report import plot_curve

RATE = 16_000
YES, NO, GO, UNKNOWN = (st.KWS_LABELS.index(n) for n in ("yes", "no", "go", "unknown"))


def row(**sums) -> np.ndarray:
    s = np.zeros(len(st.KWS_LABELS), np.int64)
    for name, v in sums.items():
        s[st.KWS_LABELS.index(name)] = v
    return s


# (seconds, sums): the inferences of a 10 s stream; truth: "yes" at 0.5-0.9 s, "no" at 5.0-5.4 s
STREAM = [(1.00, row(yes=100)), (1.04, row(yes=200)), (1.08, row(yes=150)),   # "yes": a hit at any threshold up to 200
          (3.00, row(no=120, yes=60)),                                          # nothing said: a false accept
          (4.80, row(go=90)),                                                   # a false accept that, at 90, blocks...
          (5.50, row(no=220, yes=220)),                                         # ... "no" (a tie: the lower class wins)
          (7.00, row(unknown=255, silence=255))]                                # never fires
TRUTH = [st.Truth("yes", 0.5, 0.9), st.Truth("no", 5.0, 5.4)]
CONFIG = st.StreamConfig(smooth=2, refractory=RATE)                             # refractory 1 s
# threshold -> (hits, false accepts), worked out from the rules by hand
EXPECTED = {90: (1, 2),      # yes@1.00, no@3.00 (FA), go@4.80 (FA); no@5.50 is 0.7 s after go: refractory
            100: (2, 1),     # yes@1.00, no@3.00 (FA), no@5.50
            120: (2, 1),
            150: (2, 0),     # yes@1.04 (the first reaching 150), no@5.50
            200: (2, 0),
            220: (1, 0),     # only no@5.50
            221: (0, 0)}     # above every sum: nothing fires


def curve(points_config=CONFIG):
    samples = [int(round(t * RATE)) for t, _ in STREAM]
    return cv.threshold_curve(samples, [s for _, s in STREAM], points_config, TRUTH, 10 * RATE, output_scale=1 / 256)


def test_curve_synthetic_stream_known_answers():
    points = curve()
    assert [p.threshold_units for p in points] == sorted(EXPECTED)
    for p in points:
        assert (p.hits, p.false_accepts) == EXPECTED[p.threshold_units], p
        assert p.misses == 2 - p.hits
        assert p.false_accepts_per_hour == pytest.approx(p.false_accepts * 360)      # 10 s: an hour is 360 of them
        assert p.threshold == pytest.approx(p.threshold_units / 256 / 2)              # mean probability over smooth 2
    assert points[0].hit_rate == 0.5 and points[-1].hit_rate == 0.0
    # the most hits within a budget; among equals the fewest false accepts, then the highest threshold
    assert cv.operating_point(points, 400).threshold_units == 200
    assert cv.operating_point(points, 0).threshold_units == 200
    assert cv.operating_point([p for p in points if p.false_accepts], 100) is None


def test_curve_labels_and_refractory_of_the_detector():
    samples = np.array([int(round(t * RATE)) for t, _ in STREAM])
    top, label = cv.best_keywords(np.array([s for _, s in STREAM]), CONFIG)
    assert list(top) == [100, 200, 150, 120, 90, 220, 0]
    assert [st.KWS_LABELS[c] for c in label[:6]] == ["yes", "yes", "yes", "no", "go", "no"]   # the tie: "no"
    events = cv.events_at(90, samples, top, label, CONFIG)
    assert [(e.label, e.time) for e in events] == [("yes", 1.0), ("no", 3.0), ("go", 4.8)]
    # no refractory period: every inference at or over the threshold fires
    free = st.StreamConfig(smooth=2, refractory=0)
    assert [e.sample for e in cv.events_at(150, samples, top, label, free)] == list(samples[[1, 2, 5]])


@pytest.mark.parametrize("seed", range(6))
def test_curve_events_equal_the_detectors_decisions(seed):
    """On random sums, the events at each threshold are those of Detector.decide with that threshold."""
    rng = np.random.default_rng(seed)
    n = 400
    samples = np.cumsum(rng.integers(320, 1300, n))
    sums = rng.integers(0, 3 * 256, (n, 12))
    sums[rng.random((n, 12)) < 0.7] = 0
    config = st.StreamConfig(smooth=3, refractory=int(rng.integers(0, 20_000)))
    top, label = cv.best_keywords(sums, config)
    for threshold in [1, *rng.choice(np.unique(top), 8), int(top.max()), int(top.max()) + 1]:
        detector = st.Detector(st.StreamConfig(smooth=3, refractory=config.refractory, threshold_units=int(threshold)))
        want = [e for e in (detector.decide(s, int(x)) for s, x in zip(sums, samples)) if e is not None]
        assert cv.events_at(int(threshold), samples, top, label, config) == want


def test_curve_refuses_rows_out_of_order():
    with pytest.raises(ValueError, match="not in stream order"):
        cv.threshold_curve([2000, 1000], [row(), row()], CONFIG, TRUTH, 10 * RATE, 1 / 256)
    with pytest.raises(ValueError, match="rows of sums"):
        cv.threshold_curve([1000], [row(), row()], CONFIG, TRUTH, 10 * RATE, 1 / 256)


def test_curve_plot(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "roc.png"
    msg = plot_curve([("synthetic", curve(), 150), ("again", curve(), None)], "curve", out, target=(0.9, 60))
    assert "written" in msg and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("seed", range(4))
def test_curve_best_within_is_the_operating_point_at_every_budget(seed):
    """The plotted line: hits and false accepts both grow along it, and at every budget its last
    point within it has the hits operating_point picks, on random sums and truth."""
    rng = np.random.default_rng(seed)
    n = 600
    samples = np.cumsum(rng.integers(320, 1300, n))
    sums = rng.integers(0, 3 * 256, (n, 12))
    sums[rng.random((n, 12)) < 0.8] = 0
    truth = [st.Truth(st.KWS_LABELS[int(rng.integers(2, 12))], t, t + 0.5)
             for t in np.sort(rng.uniform(0, samples[-1] / RATE, 30))]
    config = st.StreamConfig(smooth=3, refractory=int(rng.integers(0, 20_000)))
    points = cv.threshold_curve(samples, sums, config, truth, int(samples[-1]), 1 / 256)
    line = cv.best_within(points)
    assert len(line) > 1 and all(a.hits < b.hits and a.false_accepts < b.false_accepts for a, b in zip(line, line[1:]))
    for budget in sorted({p.false_accepts_per_hour for p in points}):
        at = [p for p in line if p.false_accepts_per_hour <= budget][-1]
        assert at.hits == cv.operating_point(points, budget).hits
