"""A meter's recording and what it says about inferences.

A Trace is what every meter driver returns: current (and voltage) samples at
a fixed rate, and the level of the timestamp pin where the meter records one
(Joulescope GPI, PPK2 logic port). Samples the meter dropped are NaN.

The firmware frames each timed inference with the timestamp pin
(firmware/runtime/tg_timestamp.c): the pin idles high, falls as an inference
starts and rises as it ends. `analyze` turns the trace into energy per
inference between those edges. It never guesses: a window it cannot measure
exactly (cut by the trace's start or end, holding dropped samples, or so long
that edges must be missing) is left out and the result carries a flag saying
why; with no window left it raises EnergyError.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tinygen.errors import TinygenError

# A window longer than this times the median window holds more than one
# inference: the edges between them were lost.
MERGED_RATIO = 1.5
# Samples either side of an edge left out of the idle power: the edge's own
# sample may belong to either side.
IDLE_GUARD = 2


class EnergyError(TinygenError):
    """The trace cannot give energy per inference (the message says why)."""


@dataclass
class Trace:
    """Samples from a meter: `current_a` and `voltage_v` per sample (NaN where
    the meter dropped samples), `pin` the timestamp pin's level (0/1, NaN
    unknown) or None when the meter records no digital input."""
    rate_hz: float
    current_a: np.ndarray
    voltage_v: np.ndarray
    pin: np.ndarray | None = None
    meter: str = ""

    def __post_init__(self):
        self.current_a = np.asarray(self.current_a, dtype=np.float64)
        v = np.asarray(self.voltage_v, dtype=np.float64)
        self.voltage_v = np.full_like(self.current_a, float(v)) if v.ndim == 0 else v
        if self.pin is not None:
            self.pin = np.asarray(self.pin, dtype=np.float64)
        lengths = {len(self.current_a), len(self.voltage_v)} | ({len(self.pin)} if self.pin is not None else set())
        if len(lengths) != 1:
            raise EnergyError(f"trace from {self.meter or 'the meter'}: current, voltage and pin have different "
                              f"lengths {sorted(lengths)}", "the meter driver must return one value per sample each")
        if not self.rate_hz > 0:
            raise EnergyError(f"trace sample rate {self.rate_hz} Hz", "the meter driver must report its rate")

    @property
    def power_w(self) -> np.ndarray:
        return self.current_a * self.voltage_v

    def __len__(self) -> int:
        return len(self.current_a)


@dataclass
class Window:
    """One framed inference: samples [start, end) of the trace."""
    start: int
    end: int
    energy_j: float | None = None       # None: not measurable (see flag)
    flag: str = ""

    def seconds(self, rate_hz: float) -> float:
        return (self.end - self.start) / rate_hz


@dataclass
class EnergyResult:
    """Energy per inference from one trace; `flags` say what was left out and why."""
    rate_hz: float
    windows: list[Window]
    expected: int | None
    idle_power_w: float | None
    flags: list[str] = field(default_factory=list)
    runs_per_window: int = 1            # >1: one window spans several runs (analyze_span)

    @property
    def measured(self) -> list[Window]:
        return [w for w in self.windows if w.energy_j is not None]

    def stats(self) -> dict:
        k = self.runs_per_window
        e = [w.energy_j / k for w in self.measured]
        t = [w.seconds(self.rate_hz) / k for w in self.measured]
        return {"inferences": len(e) * k, "energy_j": {"mean": float(np.mean(e)), "min": float(min(e)),
                                                   "max": float(max(e))},
                "seconds": {"mean": float(np.mean(t)), "min": float(min(t)), "max": float(max(t))},
                "average_power_w": float(sum(e) / sum(t)), "idle_power_w": self.idle_power_w}

    def to_dict(self) -> dict:
        return {**self.stats(), "expected": self.expected, "flags": list(self.flags),
                "rate_hz": self.rate_hz,
                "windows": [{"start_s": w.start / self.rate_hz, "seconds": w.seconds(self.rate_hz),
                             "energy_j": w.energy_j, "flag": w.flag} for w in self.windows]}


def edges(pin: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of the first sample after each falling edge, after each rising
    edge, and of the samples whose level is unknown (NaN)."""
    known = ~np.isnan(pin)
    level = np.where(known, pin > 0.5, False)
    change = np.flatnonzero(known[1:] & known[:-1] & (level[1:] != level[:-1])) + 1
    falls = change[~level[change]]
    rises = change[level[change]]
    return falls, rises, np.flatnonzero(~known)


def _pair(falls: np.ndarray, rises: np.ndarray, n: int, flags: list[str]) -> list[Window]:
    """Falling edge → next rising edge. A rise with no fall before it (the trace
    began mid-inference) or a fall with no rise after it (it ended mid-inference)
    frames no whole inference."""
    windows = []
    events = sorted([(int(i), "fall") for i in falls] + [(int(i), "rise") for i in rises])
    open_at = None
    for i, kind in events:
        if kind == "fall":
            open_at = i
        elif open_at is None:
            flags.append(f"the trace starts inside an inference (pin low at sample 0, first rising edge at "
                         f"sample {i}): that partial inference is left out")
        else:
            windows.append(Window(open_at, i))
            open_at = None
    if open_at is not None:
        flags.append(f"the trace ends inside an inference (falling edge at sample {open_at}, no rising edge "
                     f"before the end at {n}): that partial inference is left out")
    return windows


def analyze(trace: Trace, expected: int | None = None) -> EnergyResult:
    """Energy of each inference framed by the timestamp pin, idle power between them."""
    if trace.pin is None:
        raise EnergyError(f"{trace.meter or 'the meter'} recorded no timestamp pin",
                          "wire the board's timestamp pin to the meter's digital input (boards/README.md, "
                          "'Energy mode')")
    flags: list[str] = []
    falls, rises, unknown = edges(trace.pin)
    if len(falls) + len(rises) == 0:
        raise EnergyError("no edge on the timestamp pin during the run",
                          "check the wiring of the timestamp pin to the meter's digital input and its ground")
    windows = _pair(falls, rises, len(trace), flags)
    if not windows:
        raise EnergyError("the timestamp pin framed no whole inference",
                          "record longer: start the meter before the run and stop it after")
    power = trace.power_w
    for w in windows:
        if np.any((unknown >= w.start) & (unknown < w.end)):
            w.flag = "the pin level is unknown inside this window (dropped samples)"
        elif np.isnan(power[w.start:w.end]).any():
            w.flag = f"the meter dropped {int(np.isnan(power[w.start:w.end]).sum())} samples in this window"
        else:
            w.energy_j = float(power[w.start:w.end].sum() / trace.rate_hz)
    good = [w for w in windows if w.energy_j is not None]
    if good:
        median = float(np.median([w.end - w.start for w in good]))
        for w in good:
            if w.end - w.start > MERGED_RATIO * median:
                w.energy_j, w.flag = None, (f"{(w.end - w.start) / median:.1f}x the median length: edges between "
                                            "inferences were missed")
    bad = [w for w in windows if w.energy_j is None]
    if bad:
        flags.append(f"{len(bad)} of {len(windows)} framed inferences left out: {bad[0].flag}")
    if not any(w.energy_j is not None for w in windows):
        raise EnergyError(f"no framed inference could be measured ({bad[0].flag})",
                          "record again; a meter that drops samples needs a lower rate or a faster USB port")
    if expected is not None and len(windows) != expected:
        flags.append(f"expected {expected} inferences, the pin framed {len(windows)}: edges were missed or extra")
    return EnergyResult(trace.rate_hz, windows, expected, _idle_power(power, windows), flags)


def analyze_span(trace: Trace, seconds: float, runs: int) -> EnergyResult:
    """For meters with no digital input (the LPM01A): the trace starts at the
    first timed inference (the meter triggered on the pin) and the runs last
    `seconds` by the device's own laps. Gives the mean over the runs only."""
    end = int(round(seconds * trace.rate_hz))
    if end < 1:
        raise EnergyError(f"the timed runs took {seconds * 1e6:.0f} µs, shorter than one meter sample",
                          "run more inferences per measurement (--meter-runs)")
    if end > len(trace):
        raise EnergyError(f"the trace ({len(trace)} samples) is shorter than the timed runs ({end} samples)",
                          "the meter stopped early or triggered late: record again")
    power = trace.power_w
    dropped = int(np.isnan(power[:end]).sum())
    if dropped:
        raise EnergyError(f"the meter dropped {dropped} samples during the timed runs", "record again")
    window = Window(0, end, float(power[:end].sum() / trace.rate_hz))
    flags = [f"{trace.meter or 'the meter'} records no timestamp pin: one window over {runs} runs framed by "
             "the device's laps, so min = max = mean"]
    return EnergyResult(trace.rate_hz, [window], runs, _idle_power(power, [window]), flags, runs_per_window=runs)


def _idle_power(power: np.ndarray, windows: list[Window]) -> float | None:
    """Mean power outside every window (and IDLE_GUARD samples around each edge)."""
    idle = np.ones(len(power), dtype=bool)
    for w in windows:
        idle[max(w.start - IDLE_GUARD, 0):w.end + IDLE_GUARD] = False
    idle &= ~np.isnan(power)
    return float(power[idle].mean()) if idle.any() else None


__all__ = ["EnergyError", "EnergyResult", "Trace", "Window", "analyze", "analyze_span", "edges"]
