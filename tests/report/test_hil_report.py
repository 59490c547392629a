"""The hil report's units: time and energy only where the counter is time
(cycles at the clock, host nanoseconds); stand-in instructions are never turned
into milliseconds, and their energy is a labelled estimate."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tinygen.board import get_board
from tinygen.hil.client import Layer
from tinygen.report.hil import ESTIMATE, ESTIMATE_BOARD, memory_rows, render, summarize
from tinygen.hil.session import Mismatch, SampleRun

MANIFEST = {"model": "m", "model_hash": "abc", "weight_bytes": 1000, "arena_size": 2000,
            "memory": {"predicted": {"source": "predicted", "flash": {"used": 9000, "capacity": 1 << 20}},
                       "firmware.elf": {"source": "firmware.elf", "arena": 2000,
                                        "flash": {"used": 25000, "capacity": 1 << 20},
                                        "ram": {"used": 17000, "capacity": 327680}}}}
LAYERS = [Layer(0, "conv_0", 300), Layer(1, "fc_1", 100)]


def run_with(counts, labels=None, predictions=None) -> SampleRun:
    r = SampleRun(labels=labels)
    r.counts = list(counts)
    r.predictions = list(predictions or [0] * len(counts))
    return r


def test_report_cycles_on_a_real_board():
    board = get_board("f746zg")
    info = {"counter": "cycles", "clock_hz": 216_000_000, "model": "m", "hash": "abc"}
    s = summarize(run_with([216_000, 432_000]), LAYERS, 400, info, board, MANIFEST, "nucleo-f746zg on /dev/ttyACM0")
    assert s["latency"]["ms"] == pytest.approx({"mean": 1.5, "min": 1.0, "max": 2.0})
    p = board.power
    assert s["energy"]["joules"] == pytest.approx(p["supply_v"] * p["run_current_a"] * 1.5e-3)
    assert s["energy"]["estimate"] == ESTIMATE_BOARD            # the board file's current is not a measurement
    text = render(s)
    assert "324,000 cycles (1.500 ms)" in text and "instructions" not in text
    assert [row["share"] for row in s["layers"]] == [0.75, 0.25]
    json.dumps(s)                                      # the JSON report is plain data


def test_report_instructions_on_a_standin_never_time():
    board = get_board("f746zg")
    info = {"counter": "instructions", "clock_hz": 0}
    s = summarize(run_with([1_000_000]), LAYERS, 400, info, board, MANIFEST, "the nucleo-f746zg stand-in")
    assert "ms" not in s["latency"]
    assert s["energy"]["estimate"] == ESTIMATE
    assert s["energy"]["joules"] == pytest.approx(3.3 * board.power["run_current_a"] * 1e6 / board.clock_hz)
    text = render(s)
    assert "1,000,000 instructions" in text and " ms" not in text and ESTIMATE in text


def test_report_host_nanoseconds_and_no_power_model():
    s = summarize(run_with([2_000_000]), [], 0, {"counter": "ns"}, get_board("host"), MANIFEST, "host")
    assert s["latency"]["ms"]["mean"] == pytest.approx(2.0)
    assert s["energy"] is None and "n/a (no power model" in render(s)


def test_report_accuracy_and_mismatches():
    r = run_with([1, 1, 1, 1], labels=np.array([1, 2, 3, 4]), predictions=[1, 2, 0, 4])
    r.mismatches = [Mismatch(2, "out", "1 of 10 bytes differ")]
    s = summarize(r, [], 0, {"counter": "instructions"}, get_board("host"), MANIFEST, "x")
    assert s["accuracy"] == 0.75 and s["bit_exact"] == 3
    assert "MISMATCH" in render(s) and "sample 2, output out" in render(s)


def test_report_memory_rows_prefer_the_linked_image():
    rows = {r["region"]: r for r in memory_rows(MANIFEST)}
    assert rows["flash (firmware.elf)"] == {"region": "flash (firmware.elf)", "used": 25000, "size": 1 << 20}
    assert rows["ram (firmware.elf)"]["used"] == 17000
    host = memory_rows({"weight_bytes": 5, "arena_size": 7})
    assert [r["used"] for r in host] == [5, 7]
