"""The meters `tinygen power --meter` knows, by name, and how to open one. Each driver
module imports its maintained Python package lazily (tinygen.energy.meter.require).

    check_meter("ppk2", "/dev/ttyACM1")         # before the build: the package, the port
    meter = open_meter("ppk2", "/dev/ttyACM1", supply_v=3.3)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from tinygen.energy.meter import METER_PORT_HINT, Meter, require
from tinygen.errors import UsageError
from tinygen.hil.link import check_port


def _joulescope(port: str | None, supply_v: float) -> Meter:
    from tinygen.energy.joulescope import Joulescope

    return Joulescope(port)


def _ppk2(port: str | None, supply_v: float) -> Meter:
    from tinygen.energy.ppk2 import PPK2

    return PPK2(port, supply_v)


def _lpm01a(port: str | None, supply_v: float) -> Meter:
    from tinygen.energy.lpm01a import LPM01A

    return LPM01A(port, supply_v)


@dataclass(frozen=True)
class Driver:
    """A meter's factory(port, supply_v), the Python package it needs and whether
    its --meter-port is a serial port (the Joulescope's is a serial number)."""
    open: Callable[[str | None, float], Meter]
    module: str
    package: str
    serial_port: bool

    def __call__(self, port: str | None, supply_v: float) -> Meter:
        return self.open(port, supply_v)

    def check(self, name: str, port: str | None) -> None:
        """What can be known without the instrument: its package installed, its port there."""
        require(self.module, self.package, name)
        if port is not None and self.serial_port:
            check_port(port, "--meter-port", METER_PORT_HINT)


# name -> factory(port, supply_v); the first line of each driver's docstring says what it drives
METERS: dict[str, Callable[[str | None, float], Meter]] = {
    "joulescope": Driver(_joulescope, "joulescope", "joulescope", serial_port=False),
    "ppk2": Driver(_ppk2, "ppk2_api.ppk2_api", "ppk2-api", serial_port=True),
    "lpm01a": Driver(_lpm01a, "serial", "pyserial", serial_port=True),
}


def _known(kind: str) -> Callable[[str | None, float], Meter]:
    if kind not in METERS:
        raise UsageError(f"unknown meter {kind!r}", f"use one of: {', '.join(METERS)}")
    return METERS[kind]


def check_meter(kind: str, port: str | None = None) -> None:
    """Refuse a meter that cannot open before any long work: its driver package missing,
    its serial port not there. A factory that is no Driver (a test's fake) has nothing to check."""
    factory = _known(kind)
    if isinstance(factory, Driver):
        factory.check(kind, port)


def open_meter(kind: str, port: str | None = None, supply_v: float = 3.3) -> Meter:
    return _known(kind)(port, supply_v)


__all__ = ["METERS", "Driver", "check_meter", "open_meter"]
