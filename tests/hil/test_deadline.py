"""tinygen.hil.deadline: a process's own clock (wall time less its waits for a CPU),
deadlines on it with their stall backstop, the work-based budgets, and the
process helpers built on them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tinygen.errors import TinygenError
from tinygen.hil import deadline as dl
from tinygen.hil.client import Device
from tinygen.hil.deadline import (STANDIN, WALL, Clock, Deadline, Pace, ProcessClock, board_pace, clock_for,
                                  run_process, wait_exit)
from tinygen.hil.link import Link, LinkTimeout

schedstat = pytest.mark.skipif(not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/schedstat").exists(),
                               reason="needs Linux's /proc/PID/task/TID/schedstat (run-queue delays)")
BUSY = "while True: pass"


SLEEP = "import time; print('asleep', flush=True); time.sleep(30)"


def child(code: str, cpu: int | None = None) -> subprocess.Popen:
    """A Python child running `code`, pinned to one CPU if given."""
    def pin():
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
    return subprocess.Popen([sys.executable, "-c", code], preexec_fn=pin, stdout=subprocess.PIPE, text=True)


def sleeper() -> subprocess.Popen:
    """A child that has started and sleeps (its start-up, busy, is over)."""
    proc = child(SLEEP)
    assert proc.stdout.readline() == "asleep\n"
    return proc


def elapsed(clock: Clock, seconds: float) -> tuple[float, float]:
    """(clock seconds, wall seconds) over about `seconds` of wall time."""
    c0, w0 = clock.now(), time.monotonic()
    time.sleep(seconds)
    return clock.now() - c0, time.monotonic() - w0


@schedstat
def test_process_clock_of_a_sleeping_process_runs_like_the_wall_clock():
    """Sleeping is the process's own time (tg_device's 500 ms poll must count)."""
    proc = sleeper()
    try:
        clock = ProcessClock([proc.pid], "sleeper")
        own, wall = elapsed(clock, 0.6)
        assert 0.9 * wall <= own <= wall + 0.01, (own, wall)
    finally:
        proc.kill()
        proc.wait()


@schedstat
@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs os.sched_setaffinity to share one CPU")
def test_process_clock_leaves_out_the_waits_for_a_cpu():
    """Two busy processes on one CPU: each runs at most half the time, and its own clock
    says so, however busy the rest of the machine is (which only slows it further)."""
    cpu = min(os.sched_getaffinity(0))
    busy = [child(BUSY, cpu) for _ in range(2)]
    try:
        time.sleep(0.3)                     # both running
        clock = ProcessClock([busy[0].pid], "busy")
        own, wall = elapsed(clock, 1.5)
        assert 0 <= own < 0.7 * wall, (own, wall)
        assert clock_for([busy[0].pid], "busy").now() >= 0
    finally:
        for p in busy:
            p.kill()
            p.wait()


def test_process_clock_of_a_gone_process_falls_back_to_the_wall_clock():
    proc = child("pass")
    proc.wait()
    assert clock_for([proc.pid], "gone") is WALL
    clock = ProcessClock([proc.pid], "gone")
    own, wall = elapsed(clock, 0.2)
    assert abs(own - wall) < 0.05


class Frozen(Clock):
    """A process clock that never advances: a process that gets no CPU time at all."""
    what = "s of frozen's own time"
    poll = 0.01
    name = "frozen"

    def now(self) -> float:
        return 5.0


def test_deadline_stall_backstop(monkeypatch):
    monkeypatch.setattr(dl, "STALL_LIMIT", 0.2)
    deadline = Deadline(Frozen(), 0.1)
    assert deadline.left() == pytest.approx(0.1) and 0 < deadline.wait() <= 0.01
    time.sleep(0.3)
    assert deadline.expired() and deadline.stalled
    assert "frozen got no CPU time for 0.2 s" in deadline.describe()
    # the wall clock has no backstop: it always advances
    wall = Deadline(WALL, 0.05)
    assert wall.wait() == pytest.approx(0.05, abs=0.01)
    time.sleep(0.06)
    assert wall.expired() and not wall.stalled


def test_pace_budgets_follow_the_work():
    assert STANDIN.budget(10) == 10
    # a 27648-byte upload and one 9 M-instruction inference on a stand-in (VWW)
    assert STANDIN.budget(10, sent=27648, counts=9_000_000) == pytest.approx(10 + 27648 * 250e-6 + 0.09)
    # a real board: 10 bits per byte at its baud rate and its cycles at its clock, each twice
    board = board_pace(115200, 216_000_000)
    assert board.budget(1, sent=11520, counts=216_000_000) == pytest.approx(1 + 2.0 + 2.0)


def test_device_budget_counts_the_last_inference():
    pace = Pace(per_byte=1e-3, per_count=1e-6, device_timeout=0.5)
    dev = Device(link=None, timeout=2.0, pace=pace)
    assert dev.budget(sent=100, inferences=5) == pytest.approx(12.1)       # no count yet: 2 s per inference
    assert dev.budget(sent=100) == pytest.approx(2.1)
    dev.last_count = 1000
    assert dev.budget(sent=100, inferences=5) == pytest.approx(2.1 + 5e-3)
    assert dev.budget(inferences=1, timeout=0.5) == pytest.approx(0.501)
    assert dev.upload_timeout() == 2.5


@schedstat
def test_link_timeout_names_the_clock_and_the_option():
    """A peer that never answers, timed on a (sleeping) process's own clock."""
    server = socket.create_server(("127.0.0.1", 0))
    held = []
    threading.Thread(target=lambda: held.append(server.accept()), daemon=True).start()
    asleep = sleeper()
    try:
        clock = ProcessClock([asleep.pid], "QEMU")
        with Link.open(f"socket://127.0.0.1:{server.getsockname()[1]}", clock=clock) as link:
            with pytest.raises(LinkTimeout, match=r"timed out after 0\.25 s of QEMU's own time on socket://") as err:
                link.readline(0.25, awaiting="the answer to `tg info`")
            assert "--timeout" in err.value.hint
    finally:
        asleep.kill()
        asleep.wait()
        server.close()
        for conn, _ in held:
            conn.close()


def test_run_process_and_wait_exit():
    done = run_process([sys.executable, "-c", "print('hello')"], 30, "python")
    assert done.returncode == 0 and done.stdout == "hello\n"
    t = time.monotonic()
    with pytest.raises(TinygenError, match=r"sleeper ran past 0\.3 s") as err:
        run_process([sys.executable, "-c", "import time; time.sleep(30)"], 0.3, "sleeper")
    assert time.monotonic() - t < 10 and "--timeout" in err.value.hint
    proc = sleeper()
    try:
        assert wait_exit(proc, 0.2) is None
        proc.terminate()
        assert wait_exit(proc, 10) == -15
    finally:
        proc.kill()
        proc.wait()


@schedstat
def test_process_clock_bound_and_deadline_waits_without_reading_it(monkeypatch):
    """ProcessClock.now() never passes its bound (the wall time since creation), so a deadline
    with more than a poll left by that bound waits a poll without reading /proc; near its end it
    reads the clock again, and it still expires on the process's own time."""
    proc = sleeper()
    try:
        clock = ProcessClock([proc.pid], "sleeper")
        for _ in range(5):
            now = clock.now()
            assert now <= clock.most(time.monotonic())
            time.sleep(0.02)
        assert WALL.most(time.monotonic()) is None
        reads = []
        real = dl._run_delays
        monkeypatch.setattr(dl, "_run_delays", lambda pid: reads.append(pid) or real(pid))
        deadline = Deadline(clock, 0.5)
        reads.clear()
        assert deadline.wait() == clock.poll and reads == []       # 0.5 s left by the bound: no read
        time.sleep(0.35)
        wait = deadline.wait()                                      # under a poll left: the clock is read
        assert reads and 0 < wait < clock.poll
        time.sleep(0.2)
        assert deadline.wait() == 0 and deadline.expired()
    finally:
        proc.kill()
        proc.wait()
