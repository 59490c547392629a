"""Timestamp edges to energy per inference on synthetic traces with known
answers, and the ways a trace goes wrong: flagged or refused, never a wrong number."""

from __future__ import annotations

import numpy as np
import pytest

from energy_fakes import RATE, V, synth, window_energy
from tinygen.energy.trace import EnergyError, Trace, analyze, analyze_span, edges


def test_energy_trace_exact_per_inference_and_idle():
    r = analyze(synth(5), expected=5)
    s = r.stats()
    assert s["inferences"] == 5 and not r.flags
    assert s["energy_j"]["mean"] == pytest.approx(window_energy(), rel=1e-12)
    assert s["energy_j"]["min"] == s["energy_j"]["max"] == pytest.approx(window_energy(), rel=1e-12)
    assert s["seconds"]["mean"] == pytest.approx(200 / RATE)
    assert s["average_power_w"] == pytest.approx(0.030 * V)
    assert s["idle_power_w"] == pytest.approx(0.005 * V)


def test_energy_trace_varying_windows_min_max():
    t = synth(3)
    falls, rises, _ = edges(t.pin)
    t.current_a[falls[1]:rises[1]] = 0.040            # the second inference draws more
    s = analyze(t, expected=3).stats()
    assert s["energy_j"]["max"] == pytest.approx(window_energy(0.040))
    assert s["energy_j"]["min"] == pytest.approx(window_energy(0.030))
    assert s["energy_j"]["mean"] == pytest.approx((2 * window_energy(0.030) + window_energy(0.040)) / 3)


def test_energy_trace_starts_mid_inference():
    t = synth(4, lead=0)
    cut = Trace(t.rate_hz, t.current_a[50:], t.voltage_v[50:], t.pin[50:])   # 50 samples into the first
    r = analyze(cut, expected=4)
    assert len(r.measured) == 3 and r.stats()["energy_j"]["mean"] == pytest.approx(window_energy())
    assert any("starts inside an inference" in f for f in r.flags)
    assert any("expected 4 inferences, the pin framed 3" in f for f in r.flags)


def test_energy_trace_ends_mid_inference():
    t = synth(3, tail=0)
    cut = Trace(t.rate_hz, t.current_a[:-50], t.voltage_v[:-50], t.pin[:-50])
    r = analyze(cut, expected=3)
    assert len(r.measured) == 2 and any("ends inside an inference" in f for f in r.flags)


def test_energy_trace_dropped_samples_flag_the_window():
    t = synth(4)
    falls, _, _ = edges(t.pin)
    t.current_a[falls[2] + 10:falls[2] + 20] = np.nan          # the meter lost 10 samples
    r = analyze(t, expected=4)
    assert len(r.measured) == 3
    assert r.stats()["energy_j"]["mean"] == pytest.approx(window_energy())
    assert any("dropped 10 samples" in f for f in r.flags)
    assert r.windows[2].energy_j is None


def test_energy_trace_dropped_pin_samples_hide_edges():
    t = synth(4)
    falls, rises, _ = edges(t.pin)
    t.pin[rises[1] - 5:falls[2] + 5] = np.nan                  # both edges between inference 2 and 3 unknown
    r = analyze(t, expected=4)
    assert all(w.energy_j is None or w.end - w.start == 200 for w in r.windows)
    assert r.stats()["energy_j"]["mean"] == pytest.approx(window_energy())
    assert r.flags


def test_energy_trace_missing_edges_merge_two_inferences():
    t = synth(5)
    falls, rises, _ = edges(t.pin)
    t.pin[rises[2]:falls[3]] = 0                               # the pulse between 3 and 4 was missed
    r = analyze(t, expected=5)
    assert len(r.windows) == 4 and len(r.measured) == 3
    assert r.stats()["energy_j"]["max"] == pytest.approx(window_energy())
    assert any("edges between inferences were missed" in f for f in r.flags)


@pytest.mark.parametrize("change, says", [
    (lambda t: t.pin.fill(1), "no edge on the timestamp pin"),
    (lambda t: t.pin.__setitem__(slice(0, None), np.r_[np.ones(100), np.zeros(len(t) - 100)]), "no whole inference"),
    (lambda t: t.current_a.fill(np.nan), "no framed inference could be measured"),
])
def test_energy_trace_refuses_when_nothing_is_measurable(change, says):
    t = synth(2)
    change(t)
    with pytest.raises(EnergyError, match=says):
        analyze(t)


def test_energy_trace_without_pin_channel():
    with pytest.raises(EnergyError, match="recorded no timestamp pin"):
        analyze(synth(2, with_pin=False))


def test_energy_trace_span_for_meters_without_pin():
    """The LPM01A way: the trace starts at the first timed run, the laps give the length."""
    runs, length = 4, 250
    t = Trace(RATE, np.r_[np.full(runs * length, 0.02), np.full(500, 0.004)], V, None, meter="lpm01a")
    r = analyze_span(t, runs * length / RATE, runs)
    s = r.stats()
    assert s["inferences"] == runs
    assert s["energy_j"]["mean"] == s["energy_j"]["min"] == pytest.approx(window_energy(0.02, length))
    assert s["idle_power_w"] == pytest.approx(0.004 * V)
    assert any("min = max = mean" in f for f in r.flags)
    with pytest.raises(EnergyError, match="shorter than the timed runs"):
        analyze_span(t, 1.0, runs)


def test_energy_lpm01a_parses_ascii_dec():
    from tinygen.energy.lpm01a import parse_samples

    amps = parse_samples([b"1234-06\r\n", b"TimeStamp: 000s 010ms, buff 00%\r\n", b"0500-03\r\n"])
    assert amps.tolist() == pytest.approx([1234e-6, 0.5])


def test_energy_missing_driver_gives_install_line(monkeypatch):
    import builtins

    from tinygen.energy import open_meter
    from tinygen.errors import UsageError

    real = builtins.__import__

    def no_drivers(name, *args, **kwargs):
        if name.split(".")[0] in ("joulescope", "ppk2_api"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_drivers)
    for kind, line in (("joulescope", "pip install joulescope"), ("ppk2", "pip install ppk2-api")):
        with pytest.raises(UsageError) as e:
            open_meter(kind)
        assert e.value.hint == line


def test_energy_ppk2_counter_gaps_become_dropped_samples():
    """The PPK2's 6-bit sample counter: a jump marks lost samples (NaN), and a window
    holding them is not integrated; the wrap from 63 to 0 is no loss."""
    from tinygen.energy.ppk2 import trace_from_samples

    t = synth(3)
    counters = np.arange(len(t)) % 64
    gap = int(edges(t.pin)[0][1]) + 20                   # inside the second inference
    keep = np.r_[np.arange(gap), np.arange(gap + 5, len(t))]
    got = trace_from_samples(t.current_a[keep] * 1e6, t.pin[keep], V, counters[keep])
    assert len(got) == len(t) and int(np.isnan(got.current_a).sum()) == 5
    r = analyze(got, expected=3)
    assert len(r.measured) == 2 and r.stats()["energy_j"]["mean"] == pytest.approx(window_energy())
    assert any("dropped samples" in f for f in r.flags)
    whole = trace_from_samples(t.current_a * 1e6, t.pin, V, counters)
    assert not np.isnan(whole.current_a).any()
