"""Energy measured with a meter on a real board (`tinygen power --meter`).

One entry point, `measure_hil`: open the meter, record timed inferences
framed by the board's timestamp pin, cut the trace into inferences, plot one.
Drivers (joulescope, ppk2-api, pyserial for the LPM01A) load only when asked for.
"""

from __future__ import annotations

from tinygen.energy.drivers import METERS, open_meter
from tinygen.energy.meter import Meter
from tinygen.energy.trace import EnergyError, EnergyResult, Trace, analyze, analyze_span


def measure_hil(dev, kind: str, port: str | None, supply_v: float, runs: int, layers: list[dict],
                plot: str | None = None, title: str = "") -> tuple[dict, str | None]:
    """Measure energy per inference on the connected device; the report's
    energy section and, with `plot`, the message of the PNG written."""
    from tinygen.energy.run import measure, summary

    with open_meter(kind, port, supply_v) as meter:
        m = measure(dev, meter, runs)
    note = None
    if plot:
        from tinygen.energy.plot import plot_inference

        note = plot_inference(m.trace, m.result, layers, plot, title)
    return summary(m), note


__all__ = ["METERS", "EnergyError", "EnergyResult", "Meter", "Trace", "analyze", "analyze_span", "measure_hil",
           "open_meter"]
