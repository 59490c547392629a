"""The switchable report marks switches off the accuracy-versus-cost Pareto front."""

from __future__ import annotations

from tinygen.report.switches import dominated_by, render_switches


def _row(name, mean, accuracy):
    return {"switch": 0, "name": name, "samples": 10, "bit_exact": 10, "accuracy": accuracy, "unit": "instructions",
            "mean": mean, "ms": None, "weight_bytes": None, "arena_size": None, "energy": None}


def test_dominated_switches_issue_20_table():
    """The f746zg numbers issue 20 started from: only w8a8 and w1a1 on the front."""
    rows = [_row("w8a8", 547045, 0.9933), _row("w4a4", 774704, 0.9889), _row("w2a2", 764094, 0.9866),
            _row("w1a8", 1590747, 0.9889), _row("w1a1", 321670, 0.9777)]
    assert dominated_by(rows) == [None, "w8a8", "w8a8", "w8a8", None]


def test_front_ties_and_unknowns():
    rows = [_row("a", 100, 0.9), _row("b", 100, 0.9), _row("c", 50, 0.9), _row("d", None, 0.99),
            _row("e", 40, None)]
    # equal cost and accuracy: neither dominates the other; c is cheaper at the same accuracy
    assert dominated_by(rows) == ["c", "c", None, None, None]


def test_render_names_the_dominating_switch():
    rows = [_row("w8a8", 10, 0.99), _row("w4a4", 20, 0.98)]
    for r, by in zip(rows, dominated_by(rows)):
        r["dominated_by"] = by
    text = render_switches(rows)
    assert "dominated by w8a8" in text and "Pareto front" in text
