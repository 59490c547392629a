"""Fake energy meters and synthetic traces with known answers (tests only:
the product has no fakes). A FakeMeter implements tinygen.energy.meter.Meter
and returns a trace built by `synth`."""

from __future__ import annotations

import numpy as np

from tinygen.energy.meter import Meter
from tinygen.energy.trace import Trace

RATE = 100_000              # samples per second
V = 3.3


def synth(windows: int, run_a: float = 0.030, idle_a: float = 0.005, length: int = 200, gap: int = 100,
          lead: int = 300, tail: int = 300, rate: float = RATE, voltage: float = V, with_pin: bool = True) -> Trace:
    """`windows` inferences of `length` samples at `run_a` (pin low), `gap`
    samples of `idle_a` between them (pin high), idle lead and tail. Energy of
    one inference: run_a × voltage × length / rate, exactly."""
    current, pin = [np.full(lead, idle_a)], [np.ones(lead)]
    for k in range(windows):
        current.append(np.full(length, run_a))
        pin.append(np.zeros(length))
        current.append(np.full(gap if k < windows - 1 else tail, idle_a))
        pin.append(np.ones(gap if k < windows - 1 else tail))
    return Trace(rate, np.concatenate(current), voltage, np.concatenate(pin) if with_pin else None, meter="fake")


def window_energy(run_a: float = 0.030, length: int = 200, rate: float = RATE, voltage: float = V) -> float:
    return run_a * voltage * length / rate


class FakeMeter(Meter):
    """Returns a synthesized trace of `windows` inferences; records its calls."""
    name = "fake"

    def __init__(self, windows: int, supply_v: float = V, **synth_args):
        self.windows, self.supply_v, self.synth_args = windows, supply_v, synth_args
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> Trace:
        self.calls.append("stop")
        return synth(self.windows, voltage=self.supply_v, **self.synth_args)

    def close(self) -> None:
        self.calls.append("close")
