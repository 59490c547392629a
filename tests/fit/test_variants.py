"""Several firmware variants measured at once (tinygen.fit.variants.measured_variants), with a
fake compile and measure: no compiler, no emulator."""

from __future__ import annotations

import threading

import pytest

from tinygen.board import get_board
from tinygen.errors import TinygenError
from tinygen.fit.variants import measured_variants

BOARD = get_board("f746zg")


def test_counts_come_in_the_variants_order_whichever_ends_first():
    """Variant 0 ends last, yet its counts come first: the caller sees one variant at a time."""
    later = threading.Event()

    def measure(source, graph, board, timeout):
        if graph == "v0":
            assert later.wait(10), "variant 1 was not measured beside variant 0"
        else:
            later.set()
        return {"layer": int(graph[1:])}

    runs = measured_variants([0, 1, 2], lambda i: f"v{i}", measure, None, BOARD, 1.0, print, jobs=2)
    assert list(runs) == [(0, "v0", {"layer": 0}), (1, "v1", {"layer": 1}), (2, "v2", {"layer": 2})]


def test_the_first_failure_in_the_variants_order_is_raised_once_all_under_way_are_done():
    """Variant 1 fails first, variant 0 after it: variant 0's failure is the one raised (as one
    at a time), and no measuring thread is left running when it is."""
    second_failed = threading.Event()

    def measure(source, graph, board, timeout):
        if graph == "v0":
            assert second_failed.wait(10), "variant 1 was not measured beside variant 0"
            raise TinygenError("variant 0 does not compile")
        if graph == "v1":
            second_failed.set()
            raise TinygenError("variant 1 does not compile")
        return {"layer": 1}

    runs = measured_variants(range(4), lambda i: f"v{i}", measure, None, BOARD, 1.0, print, jobs=2)
    with pytest.raises(TinygenError, match="failed: variant 0 does not compile"):
        next(runs)
    assert not [t for t in threading.enumerate() if t.name.startswith("tinygen-measure")]
