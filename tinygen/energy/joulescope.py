"""Joulescope JS110 / JS220 through Jetperch's own driver (`pip install joulescope`).

Wiring (boards/README.md, "Energy mode"): the meter's current path in series
with the MCU supply (the Nucleo IDD jumper's pins), the board's timestamp pin
to GPI 0 (JS110, back-panel IO header) or IN0 (JS220), grounds joined.

The driver's v1 API (checked against joulescope 1.5.0): device.start()
streams into the device's stream buffer until device.stop(); then
stream_buffer.samples_get(start, end, fields) gives current and voltage per
sample and "current_lsb", which carries GPI 0 (the JS110 after
parameter_set("current_lsb", "gpi0"); the JS220's v1 stream buffer maps its
gpi0 there). Not device.read(): it restarts streaming on every call, which
would lose samples between reads. Samples the driver marks missing arrive as
NaN and stay NaN. The stream buffer holds the last buffer_duration seconds
(the driver's config): a run must fit in it, which tinygen's (a few seconds)
does.
"""

from __future__ import annotations

import numpy as np

from tinygen.energy.meter import Meter, require
from tinygen.energy.trace import EnergyError, Trace

FIELDS = ["current", "voltage", "current_lsb"]    # current_lsb: GPI 0 / IN0 with current_lsb = gpi0


class Joulescope(Meter):
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

    def start(self) -> None:
        self._dev.start()

    def stop(self) -> Trace:
        self._dev.stop()
        first, end = self._dev.stream_buffer.sample_id_range
        return trace_from_samples([self._dev.stream_buffer.samples_get(first, end, fields=FIELDS)])

    def close(self) -> None:
        self._dev.close()


def trace_from_samples(chunks: list[dict]) -> Trace:
    """samples_get() dicts (consecutive) → one Trace."""
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
