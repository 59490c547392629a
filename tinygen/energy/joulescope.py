"""Joulescope JS110 / JS220 through Jetperch's own driver (`pip install joulescope`).

Wiring (boards/README.md, "Energy mode"): the meter's current path in series
with the MCU supply (the Nucleo IDD jumper's pins), the board's timestamp pin
to GPI 0 (JS110, back-panel IO header) or IN0 (JS220), grounds joined.

The driver's v1 API (joulescope.scan_require_one, device.read with
out_format="samples_get"): current and voltage per sample, the JS110's GPI 0
carried in the current's least significant bit (parameter current_lsb =
gpi0), the JS220's general purpose input as its own signal "gpi[0]". Samples
the driver marks missing arrive as NaN and stay NaN.
"""

from __future__ import annotations

import numpy as np

from tinygen.energy.meter import PolledMeter, require
from tinygen.energy.trace import EnergyError, Trace

READ_SECONDS = 0.1          # one read() call's contiguous duration while recording
FIELDS = ["current", "voltage", "current_lsb"]    # current_lsb: GPI 0 / IN0 with current_lsb = gpi0


class Joulescope(PolledMeter):
    name = "joulescope"

    def __init__(self, serial_number: str | None = None):
        js = require("joulescope", "joulescope", "joulescope")
        devices = js.scan(config="auto")
        if serial_number:
            devices = [d for d in devices if serial_number in str(d)]
        if len(devices) != 1:
            found = ", ".join(map(str, devices)) or "none"
            raise EnergyError(f"need exactly one Joulescope, found {found}",
                              "connect one, or name it with --meter-port SERIAL_NUMBER")
        self._dev = devices[0]
        self._dev.open()
        self._dev.parameter_set("i_range", "auto")
        try:
            self._dev.parameter_set("current_lsb", "gpi0")       # JS110: GPI 0 in the current's LSB
        except (KeyError, ValueError, RuntimeError):            # the JS220 has no such parameter
            pass

    def _poll(self) -> None:
        self.chunks.append(self._dev.read(contiguous_duration=READ_SECONDS, out_format="samples_get", fields=FIELDS))

    def _end(self) -> Trace:
        return trace_from_samples(self.chunks)

    def close(self) -> None:
        self._dev.close()


def trace_from_samples(chunks: list[dict]) -> Trace:
    """samples_get() dicts → one Trace. Consecutive reads are joined; the driver
    reads contiguously, so a gap between them is a drop: not visible here, which
    is why analyze() also checks window lengths."""
    if not chunks:
        raise EnergyError("the Joulescope returned no samples", "check its USB connection and record longer")
    current, voltage, pin = [], [], []
    rate = None
    for c in chunks:
        s = c["signals"]
        rate = rate or float(c["time"]["sampling_frequency"]["value"])
        current.append(np.asarray(s["current"]["value"], dtype=np.float64))
        voltage.append(np.asarray(s["voltage"]["value"], dtype=np.float64))
        if "gpi[0]" in s:
            pin.append(np.asarray(s["gpi[0]"]["value"], dtype=np.float64))
        elif "current_lsb" in s:
            pin.append(np.asarray(s["current_lsb"]["value"], dtype=np.float64))
    return Trace(rate, np.concatenate(current), np.concatenate(voltage),
                 np.concatenate(pin) if len(pin) == len(chunks) else None, meter="joulescope")
