"""ST X-NUCLEO-LPM01A (PowerShield) over its serial command line, with pyserial.

The protocol is ST's user manual UM2269 ("Getting started with PowerShield
firmware"), section "Command-line interface": ASCII commands ending in "\\n",
each answered "ack <command>" or "error ..."; the virtual COM port runs at
3686400 baud 8N1. Used here: htc (host takes control), format ascii_dec,
freq <rate>, acqtime 0 (until stop), volt <mV>m, trigsrc d7 (start the
acquisition on the Arduino connector's D7: the board's timestamp pin),
pwr on, start, stop, hrc (give control back). In ascii_dec each sample is a
line "MMMM-EE": MMMM × 10^-EE amperes; other lines (TimeStamp, summary) are
skipped. ASCII output is limited to 10 kHz (UM2269, "freq").

The PowerShield powers the board (its CN14 3V3 out to the MCU side of the
removed IDD jumper) and measures current only; it records no digital input,
so its trace has no timestamp pin: the acquisition starts at the first edge
on D7 and the host frames the run with the device's own m-lap-us laps
(tinygen.energy.trace.analyze_span): energy per inference is then the mean
over the timed runs, with no per-inference spread.
"""

from __future__ import annotations

import re

import numpy as np

from tinygen.energy.meter import PolledMeter, port_error, require
from tinygen.energy.trace import EnergyError, Trace

BAUD = 3686400
RATE_HZ = 10_000
_SAMPLE = re.compile(rb"^(\d{4})-(\d{2})$")
ACK_TIMEOUT_S = 2.0


def parse_samples(lines: list[bytes]) -> np.ndarray:
    """ascii_dec sample lines → amperes; other lines are skipped."""
    out = [int(m.group(1)) * 10.0 ** -int(m.group(2)) for m in (_SAMPLE.match(x.strip()) for x in lines) if m]
    return np.asarray(out, dtype=np.float64)


class LPM01A(PolledMeter):
    name = "lpm01a"

    def __init__(self, port: str | None, supply_v: float):
        serial = require("serial", "pyserial", "lpm01a")
        if port is None:
            raise EnergyError("the LPM01A needs its serial port", "pass --meter-port /dev/ttyACMn (its ST-LINK VCP)")
        try:
            self._ser = serial.Serial(port, BAUD, timeout=ACK_TIMEOUT_S)
        except OSError as e:            # serial.SerialException is one
            raise port_error("LPM01A", port, e) from None
        self.supply_v = supply_v
        for cmd in ("htc", "format ascii_dec", f"freq {RATE_HZ // 1000}k", "acqtime 0",
                    f"volt {int(round(supply_v * 1000))}m", "trigsrc d7", "pwr on"):
            self._command(cmd)

    def _command(self, cmd: str) -> None:
        self._ser.write(cmd.encode() + b"\n")
        for _ in range(20):
            line = self._ser.readline().strip()
            if line.startswith(b"ack"):
                return
            if line.startswith(b"error") or not line:
                raise EnergyError(f"the LPM01A answered {line.decode(errors='replace')!r} to {cmd!r}",
                                  "check the port and that the PowerShield runs firmware 3.x (UM2269)")

    def _begin(self) -> None:
        self._command("start")

    def _poll(self) -> None:
        self.chunks += self._ser.readlines()

    def _end(self) -> Trace:
        self._ser.write(b"stop\n")
        self.chunks += self._ser.readlines()
        amps = parse_samples(self.chunks)
        if not len(amps):
            raise EnergyError("the LPM01A sent no samples: D7 never triggered it",
                              "wire the board's timestamp pin to the PowerShield's D7 (boards/README.md)")
        return Trace(RATE_HZ, amps, self.supply_v, None, meter="lpm01a")

    def close(self) -> None:
        try:
            self._ser.write(b"hrc\n")
        finally:
            self._ser.close()
