"""An energy measurement on a board: the meter records while the device runs
timed inferences framed by its timestamp pin (`tg pin each`), then the
trace is cut into inferences (tinygen.energy.trace).

    result = measure(dev, meter, runs=10)
    print(render(result))
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from tinygen.energy.meter import Meter
from tinygen.energy.trace import EnergyError, EnergyResult, Trace, analyze, analyze_span
from tinygen.hil.client import Device, ProtocolError

IDLE_S = 0.05               # idle recorded before and after the runs: the idle power comes from it
LAP_SECONDS = {"us": 1e-6}


@dataclass
class Measurement:
    result: EnergyResult
    trace: Trace
    runs: int
    pin_edges: int          # edges the firmware drove during the runs (tg pin)
    lap_seconds: float | None


def pin(dev: Device, mode: str | None = None) -> tuple[str, int]:
    """`tg pin [off|each|eembc]`: the timestamp pin's framing and the edges driven since boot."""
    text = dev.command("tg pin" if mode is None else f"tg pin {mode}").value("m-tg-pin")
    try:
        got, edges = text.split(",edges=")
        return got, int(edges)
    except ValueError:
        raise ProtocolError(f"bad m-tg-pin answer {text!r}", "is the firmware as new as this tinygen?") from None


def measure(dev: Device, meter: Meter, runs: int, idle_s: float = IDLE_S) -> Measurement:
    """Record `runs` timed inferences on the loaded input (EEMBC `infer N 0`)."""
    _, before = pin(dev, "each")
    meter.start()
    try:
        time.sleep(idle_s)
        laps = dev.infer(runs, 0)
        time.sleep(idle_s)
    finally:
        trace = meter.stop()
    _, after = pin(dev, "off")          # back to performance mode: the timed loop as without the pin
    lap_s = laps.total * LAP_SECONDS[laps.unit] if laps.unit in LAP_SECONDS else None
    if trace.pin is None:
        if lap_s is None:
            raise EnergyError(f"{trace.meter} records no timestamp pin and the device's laps are in {laps.unit}",
                              "use a meter with a digital input (joulescope, ppk2) on this target")
        result = analyze_span(trace, lap_s, runs)
    else:
        result = analyze(trace, expected=runs)
    if after - before != 2 * runs:
        result.flags.append(f"the firmware drove {after - before} pin edges for {runs} runs (expected {2 * runs})")
    return Measurement(result, trace, runs, after - before, lap_s)


def summary(m: Measurement) -> dict:
    return {**m.result.to_dict(), "meter": m.trace.meter, "runs": m.runs, "pin_edges": m.pin_edges,
            "lap_seconds": m.lap_seconds, "measured": True}


def _joules(j: float) -> str:
    return f"{j * 1e6:,.2f} µJ" if j < 1e-3 else f"{j * 1e3:,.3f} mJ"


def render_rows(s: dict) -> list[list[str]]:
    """Rows for the hil report table."""
    e = s["energy_j"]
    rows = [["energy per inference (measured, " + s["meter"] + ")",
             f"mean {_joules(e['mean'])}, min {_joules(e['min'])}, max {_joules(e['max'])} "
             f"over {s['inferences']} of {s['runs']} runs"],
            ["average power while inferring", f"{s['average_power_w'] * 1e3:,.2f} mW"],
            ["idle power between inferences",
             "n/a" if s["idle_power_w"] is None else f"{s['idle_power_w'] * 1e3:,.2f} mW"],
            ["time per inference (meter)", f"{s['seconds']['mean'] * 1e3:,.3f} ms"]]
    rows += [["energy flag", f] for f in s["flags"]]
    return rows


__all__ = ["IDLE_S", "Measurement", "measure", "pin", "render_rows", "summary"]
