"""Nordic Power Profiler Kit II through `ppk2-api` (`pip install ppk2-api`).

Wiring (boards/README.md, "Energy mode"): ampere-meter mode with the PPK2's
VIN/VOUT in series with the MCU supply (the Nucleo IDD jumper's pins), or
source-meter mode powering the MCU from VOUT; the board's timestamp pin to
logic input D0, grounds joined.

ppk2-api (IRNAS/ppk2-api-python): PPK2_API(port), get_modifiers(),
use_ampere_meter() / use_source_meter() + set_source_voltage(mV),
start_measuring(), get_data() bytes, get_samples(bytes) -> (µA samples, raw
digital), digital_channels(raw) -> 8 lists of 0/1, stop_measuring() (checked against
ppk2-api 0.9.2). It samples at 100 kHz and measures no voltage: the trace
carries the supply voltage given (the source voltage in source-meter mode,
the board file's supply_v in ampere-meter mode). ppk2-api does not report
dropped samples; each 4-byte sample word carries a 6-bit counter (bits 18-23,
as Nordic's nRF Connect Power Profiler reads it: MEAS_COUNTER), so a jump in
it becomes NaN samples here, which the analysis refuses to integrate across.
"""

from __future__ import annotations

import time

import numpy as np

from tinygen.energy.meter import PolledMeter, port_error, require
from tinygen.energy.trace import EnergyError, Trace

RATE_HZ = 100_000           # PPK2 sample rate (Nordic PPK2 user guide; ppk2-api README)
WORD = 4                    # bytes per sample word
COUNTER_SHIFT, COUNTER_MASK = 18, 0x3F
PIN_CHANNEL = 0             # logic port D0
POLL_S = 0.005


class PPK2(PolledMeter):
    name = "ppk2"

    def __init__(self, port: str | None, supply_v: float, source: bool = False):
        api = require("ppk2_api.ppk2_api", "ppk2-api", "ppk2").PPK2_API
        if port is None:
            found = api.list_devices()
            if len(found) != 1:
                raise EnergyError(f"need exactly one PPK2, found {len(found)}", "name it with --meter-port /dev/ttyACMn")
            port = found[0][0] if isinstance(found[0], (tuple, list)) else found[0]
        try:
            self._ppk = api(port, timeout=1, write_timeout=1, exclusive=True)
        except OSError as e:            # ppk2-api opens the port with pyserial: serial.SerialException is one
            raise port_error("PPK2", port, e) from None
        self._ppk.get_modifiers()
        self.supply_v = supply_v
        if source:
            self._ppk.use_source_meter()
            self._ppk.set_source_voltage(int(round(supply_v * 1000)))
            self._ppk.toggle_DUT_power("ON")
        else:
            self._ppk.use_ampere_meter()

    def _begin(self) -> None:
        self._ppk.start_measuring()

    def _poll(self) -> None:
        data = self._ppk.get_data()
        if data:
            self.chunks.append(data)
        time.sleep(POLL_S)

    def _end(self) -> Trace:
        self._ppk.stop_measuring()
        got = self._ppk.get_samples(b"".join(self.chunks))
        if not isinstance(got, tuple):
            raise EnergyError("this ppk2-api returns no logic-port samples",
                              "pip install --upgrade ppk2-api (0.9.2 or newer returns them)")
        microamps, raw_digital = got
        pin = self._ppk.digital_channels(raw_digital)[PIN_CHANNEL]
        data = b"".join(self.chunks)
        counters = np.frombuffer(data[:len(data) // WORD * WORD], dtype="<u4") >> COUNTER_SHIFT & COUNTER_MASK
        if len(counters) != len(microamps):
            raise EnergyError(f"ppk2-api converted {len(microamps)} of {len(counters)} sample words (some out of "
                              "range): the samples cannot be placed in time", "record again")
        return trace_from_samples(microamps, pin, self.supply_v, counters)

    def close(self) -> None:
        try:
            self._ppk.ser.close()
        except AttributeError:
            pass


def trace_from_samples(microamps, pin, supply_v: float, counters=None) -> Trace:
    """µA samples, logic levels and the words' counters → a Trace with a NaN
    (current and pin) for every sample the counter says was lost."""
    if len(microamps) == 0:
        raise EnergyError("the PPK2 returned no samples", "check its USB connection and record longer")
    amps = np.asarray(microamps, dtype=np.float64) * 1e-6
    level = np.asarray(pin, dtype=np.float64)
    if counters is not None and len(counters) > 1:
        lost = (np.diff(np.asarray(counters, dtype=np.int64)) - 1) % (COUNTER_MASK + 1)
        where = np.repeat(np.arange(1, len(amps)), lost)
        amps = np.insert(amps, where, np.nan)
        level = np.insert(level, where, np.nan)
    return Trace(RATE_HZ, amps, supply_v, level, meter="ppk2")
