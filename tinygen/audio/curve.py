"""Hits against false accepts per hour as the detector's threshold moves, from the smoothed
sums S a stream run produced (the device's, or the host reference's).

    points = threshold_curve(samples, sums, config, truth, num_samples)   # one CurvePoint per threshold
    best = operating_point(points, max_per_hour=60)                       # most hits within the budget

The sums S do not depend on the threshold (tinygen.audio.stream.Detector smooths first, then
decides), so one run gives the detector's events at every threshold: for each threshold T
(in output units, as the device's THRESHOLD) the decision of Detector.decide is taken again
on every inference's S, in the same integers. A keyword class fires when its S reaches T; of
those the largest S wins (ties: the lower class), so an inference fires at T exactly when
its largest keyword S does, with that class's label, whatever T is. The events at T are then
the inferences whose largest keyword S reaches T, taken in order, each one at least the
refractory period after the last event (Detector.decide's rule), and scored against the truth
as a stream run is (stream.score_events). The thresholds tried are every distinct value of
the largest keyword S (where the events change), and one above the largest, where nothing
fires.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinygen.audio import stream as st


@dataclass(frozen=True)
class CurvePoint:
    threshold_units: int          # T: S_c >= T fires
    threshold: float              # T as a mean probability: T * output scale / smooth
    hits: int
    misses: int
    false_accepts: int
    false_accepts_per_hour: float

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


def best_keywords(sums: np.ndarray, config: st.StreamConfig) -> tuple[np.ndarray, np.ndarray]:
    """Per inference, the largest S of a keyword class and that class (ties: the lower class)."""
    keywords = np.asarray(config.keywords, np.int64)
    s = np.asarray(sums, np.int64).reshape(len(sums), -1)[:, keywords]
    best = np.argmax(s, axis=1)                          # the first of equal maxima: the lower class
    return s[np.arange(len(s)), best], keywords[best]


def events_at(threshold_units: int, samples: np.ndarray, top: np.ndarray, label: np.ndarray,
              config: st.StreamConfig) -> list[st.Event]:
    """The detector's events at one threshold, from best_keywords' top and label."""
    candidates = np.flatnonzero(top >= threshold_units)
    at = np.asarray(samples, np.int64)[candidates]
    events, k = [], 0
    while k < len(candidates):
        i = candidates[k]
        events.append(st.Event(config.labels[int(label[i])], int(at[k]), int(top[i])))
        k = max(k + 1, int(np.searchsorted(at, at[k] + config.refractory, side="left")))   # the next one allowed
    return events


def threshold_curve(samples, sums, config: st.StreamConfig, truth: list[st.Truth], num_samples: int,
                    output_scale: float, tolerance: float = 1.0) -> list[CurvePoint]:
    """Hits and false accepts at every threshold where the events change, lowest threshold
    first. `samples`: each inference's window end; `sums`: its S per class (as the device's
    m-tg-inf lines give them); `output_scale`: the model output's int8 scale."""
    samples = np.asarray(samples, np.int64)
    if len(samples) != len(sums):
        raise ValueError(f"{len(samples)} inference ends but {len(sums)} rows of sums")
    if np.any(np.diff(samples) < 0):
        raise ValueError("the inferences are not in stream order")
    top, label = best_keywords(sums, config) if len(samples) else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    thresholds = np.unique(np.concatenate([top, [int(top.max()) + 1 if len(top) else 1]]))
    thresholds = thresholds[thresholds >= 1]              # the device's THRESHOLD: S >= T, T >= 1
    points = []
    for t in thresholds:
        score = st.score_events(events_at(int(t), samples, top, label, config), truth, num_samples, tolerance)
        points.append(CurvePoint(int(t), float(t) * output_scale / config.smooth, score.hits, score.misses,
                                 score.false_accepts, score.false_accepts_per_hour))
    return points


def operating_point(points: list[CurvePoint], max_per_hour: float) -> CurvePoint | None:
    """The point with the most hits among those within `max_per_hour` false accepts (the
    highest threshold among equals: fewest false accepts); None if none is."""
    within = [p for p in points if p.false_accepts_per_hour <= max_per_hour]
    if not within:
        return None
    return max(within, key=lambda p: (p.hits, -p.false_accepts, p.threshold_units))


def best_within(points: list[CurvePoint]) -> list[CurvePoint]:
    """The points where the most hits within a budget of false accepts grows, by false accepts:
    a wake word's curve (raising the threshold need not lose hits or drop false accepts
    together: the refractory period and the largest sum's rule make the raw points zigzag)."""
    out: list[CurvePoint] = []
    for p in sorted(points, key=lambda p: (p.false_accepts, -p.hits)):
        if not out or p.hits > out[-1].hits:
            out.append(p)
    return out


__all__ = ["CurvePoint", "best_keywords", "best_within", "events_at", "operating_point", "threshold_curve"]
