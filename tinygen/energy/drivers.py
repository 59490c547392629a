"""The meters `tinygen hil --meter` knows, by name, and how to open one. Each driver
module imports its maintained Python package lazily (tinygen.energy.meter.require).

    meter = open_meter("ppk2", "/dev/ttyACM1", supply_v=3.3)
"""

from __future__ import annotations

from typing import Callable

from tinygen.energy.meter import Meter
from tinygen.errors import UsageError


def _joulescope(port: str | None, supply_v: float) -> Meter:
    from tinygen.energy.joulescope import Joulescope

    return Joulescope(port)


def _ppk2(port: str | None, supply_v: float) -> Meter:
    from tinygen.energy.ppk2 import PPK2

    return PPK2(port, supply_v)


def _lpm01a(port: str | None, supply_v: float) -> Meter:
    from tinygen.energy.lpm01a import LPM01A

    return LPM01A(port, supply_v)


# name -> factory(port, supply_v); the first line of each driver's docstring says what it drives
METERS: dict[str, Callable[[str | None, float], Meter]] = {
    "joulescope": _joulescope,
    "ppk2": _ppk2,
    "lpm01a": _lpm01a,
}


def open_meter(kind: str, port: str | None = None, supply_v: float = 3.3) -> Meter:
    if kind not in METERS:
        raise UsageError(f"unknown meter {kind!r}", f"use one of: {', '.join(METERS)}")
    return METERS[kind](port, supply_v)


__all__ = ["METERS", "open_meter"]
