"""The small interface every energy meter implements, and how to open one.

    meter = open_meter("joulescope", port=None, supply_v=3.3)
    with meter:
        meter.start()
        ...                     # run inferences on the board
        trace = meter.stop()    # a tinygen.energy.trace.Trace

The drivers are imported only when their meter is asked for; a missing
driver package gives its install line. Tests replace a meter by adding a
factory to METERS (the fakes live in tests/, never here).
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod

from tinygen.energy.trace import EnergyError, Trace
from tinygen.errors import UsageError
from tinygen.hil.link import LIST_PORTS

METER_PORT_HINT = (f"connect the meter's USB, list the serial ports with `{LIST_PORTS}` and pass the meter's "
                   "with --meter-port")


class Meter(ABC):
    """A current/voltage recorder with a digital input for the timestamp pin."""
    name = "meter"

    @abstractmethod
    def start(self) -> None:
        """Begin recording (returns once samples flow)."""

    @abstractmethod
    def stop(self) -> Trace:
        """Stop recording; everything since start()."""

    def close(self) -> None:
        """Release the instrument."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class PolledMeter(Meter):
    """A meter read by a background thread from start() to stop(): subclasses
    say how to begin, read once (appending to self.chunks) and end."""

    def _begin(self) -> None:
        """Tell the instrument to start streaming (if it needs telling)."""

    @abstractmethod
    def _poll(self) -> None:
        """One read: append what arrived to self.chunks."""

    @abstractmethod
    def _end(self) -> Trace:
        """Stop the instrument; the trace from self.chunks."""

    def start(self) -> None:
        import threading

        self.chunks: list = []
        self._running = True
        self._begin()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while self._running:
            self._poll()

    def stop(self) -> Trace:
        self._running = False
        self._thread.join()
        return self._end()


def port_error(meter: str, port: str, e: OSError) -> EnergyError:
    """A meter's serial port that would not open, in one line (pyserial chains its
    SerialException over the OSError; the OS's words are the OSError's)."""
    cause = e.__context__ if isinstance(e.__context__, OSError) else e
    return EnergyError(f"cannot open the {meter}'s port {port}: {getattr(cause, 'strerror', None) or e}",
                       METER_PORT_HINT)


def require(module: str, package: str, meter: str):
    """Import a meter's driver module, or fail with the line that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise UsageError(f"--meter {meter} needs the Python package {package!r}, which is not installed",
                         f"pip install {package}") from None


__all__ = ["METER_PORT_HINT", "Meter", "PolledMeter", "port_error", "require"]
