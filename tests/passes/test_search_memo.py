"""The planning searches kept per process by their inputs (tinygen/passes/search_memo.py): the
order search (passes/reorder.py) and the exact placement (passes/plan_memory.py) run once for
equal inputs, give the same answer from the memo, and run again for any changed input."""

from __future__ import annotations

import gc
import importlib

import pytest

from test_plan_memory import Chain
from tinygen.passes.plan_memory import Buffer, exact_placement
from tinygen.passes.reorder import reorder
from tinygen.passes.search_memo import forget, gc_paused, memoized

REORDER = importlib.import_module("tinygen.passes.reorder")
PLAN = importlib.import_module("tinygen.passes.plan_memory")


@pytest.fixture
def counted(monkeypatch, tmp_path):
    """Calls of the two searches themselves (behind the memo), from an empty memo and an empty
    cache folder."""
    monkeypatch.setenv("TINYGEN_CACHE_DIR", str(tmp_path / "cache"))
    forget()
    calls = {"reorder": 0, "placement": 0}

    def count(module, name, key):
        real = getattr(module, name)

        def wrapped(*args, **kwargs):
            calls[key] += 1
            return real(*args, **kwargs)
        monkeypatch.setattr(module, name, wrapped)
    count(REORDER, "_search_orders", "reorder")
    count(PLAN, "_exact_placement", "placement")
    yield calls
    forget()


def branches(size_b1: int = 1000, scratch: int = 0):
    """Two expand-then-shrink branches of the input (the search runs: the greedy order's peak is
    above the floor)."""
    c = Chain(16)
    a1 = c.node("logistic", ["input"], 1000, name="a1")
    b1 = c.node("logistic", ["input"], size_b1, name="b1", scratch=scratch)
    a2 = c.node("logistic", [a1], 16, name="a2")
    b2 = c.node("logistic", [b1], 16, name="b2")
    c.node("add", [a2, b2], 16, name="output")
    return c.finish("output")


def test_order_search_runs_once_for_equal_inputs_and_again_for_changed_ones(counted):
    first = reorder(branches())
    searched = counted["reorder"]
    assert searched > 0 and first.meta["order"].changed
    again = reorder(branches())                     # an equal graph: the kept order, no search
    assert counted["reorder"] == searched
    assert [n.name for n in again.nodes] == [n.name for n in first.nodes]
    assert again.meta["order"] == first.meta["order"]
    for changed in (branches(size_b1=1008), branches(scratch=32)):     # a size, a scratch: searched anew
        before = counted["reorder"]
        reorder(changed)
        assert counted["reorder"] > before
    forget()                                        # the memo's answer is the search's own
    fresh = reorder(branches())
    assert [n.name for n in fresh.nodes] == [n.name for n in first.nodes] and fresh.meta["order"] == first.meta["order"]


def _buffers(last_c: int = 3) -> list[Buffer]:
    return [Buffer("a", 48, 0, 1), Buffer("b", 32, 1, 2), Buffer("c", 64, 2, last_c), Buffer("d", 16, 0, 3)]


def test_exact_placement_runs_once_for_equal_inputs_and_again_for_changed_ones(counted):
    first = exact_placement(_buffers(), {}, 1 << 20, budget=None)
    assert counted["placement"] == 1 and first is not None
    again = exact_placement(_buffers(), {}, 1 << 20, budget=None)
    assert counted["placement"] == 1 and again == first
    again[1][0] = -5                                # a copy: the kept answer is untouched
    assert exact_placement(_buffers(), {}, 1 << 20, budget=None) == first
    none = exact_placement(_buffers(), {}, first[0], budget=None)      # nothing below the optimum
    assert none is None and counted["placement"] == 2
    assert exact_placement(_buffers(), {}, first[0], budget=None) is None and counted["placement"] == 2
    for args in ((_buffers(last_c=1), {}, 1 << 20, None),            # a lifetime
                 (_buffers(), {("b", "a"): 16}, 1 << 20, None),     # an in-place pair
                 (_buffers(), {}, 1 << 19, None),                    # the bound
                 (_buffers(), {}, 1 << 20, 2)):                      # the budget
        before = counted["placement"]
        exact_placement(*args[:3], budget=args[3])
        assert counted["placement"] == before + 1, args


def test_results_kept_on_disk_serve_another_process_until_the_search_changes(counted, tmp_path, monkeypatch):
    """What one process searched, another (here: this one with its memo forgotten) reads from
    the cache folder; an unreadable file is a miss; a changed searching module is another key."""
    from tinygen.passes import search_memo

    first = reorder(branches())
    searched = counted["reorder"]
    files = list((tmp_path / "cache" / search_memo.DISK_DIR / "reorder").glob("*.pickle"))
    assert searched > 0 and len(files) == searched
    forget()                                        # a new process: nothing in memory
    again = reorder(branches())
    assert counted["reorder"] == searched and again.meta["order"] == first.meta["order"]
    assert [n.name for n in again.nodes] == [n.name for n in first.nodes]
    forget()
    for path in files:
        path.write_bytes(b"not a pickle")
    assert reorder(branches()).meta["order"] == first.meta["order"]
    assert counted["reorder"] == 2 * searched       # unreadable: searched again (and rewritten)
    forget()
    monkeypatch.setattr(search_memo, "code_version", lambda path: "another version of the search")
    monkeypatch.setattr(REORDER, "code_version", search_memo.code_version)
    reorder(branches())
    assert counted["reorder"] == 3 * searched


def test_gc_paused_restores_the_collector_as_it_was():
    """The collector is off inside the block and back as it was after it, also when the block raises."""
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with gc_paused():
            assert not gc.isenabled()
            raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()                 # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_memoized_keeps_a_none_result_and_runs_with_the_collector_paused(monkeypatch, tmp_path):
    """A search that found nothing (None) is kept like any result; the search runs with the
    collector off, and the collector is back on afterwards."""
    monkeypatch.setenv("TINYGEN_CACHE_DIR", str(tmp_path / "cache"))
    forget()
    runs = []

    def search():
        runs.append(gc.isenabled())
        return None

    assert memoized("test", "k", search) is None and memoized("test", "k", search) is None
    assert runs == [False] and gc.isenabled()
    forget()                                                   # another process: from the disk
    assert memoized("test", "k", search) is None and runs == [False]
