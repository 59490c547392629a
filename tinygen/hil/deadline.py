"""Deadlines that follow the device's work, not the load on the host.

A QEMU stand-in (or the host's tg_device process) shares the host's CPUs with
everything else: on a loaded machine its wall time stretches (a 500 ms upload
timeout that takes 0.6 s on an idle machine took 3.6 s with ten busy jobs on two
cores) while the work it does stays the same. So a link to such a device keeps
time on the device process's own clock:

    clock = ProcessClock([qemu.pid])        # wall time less its waits for a CPU
    deadline = Deadline(clock, 10.0)        # 10 s of the emulator's own time
    while not deadline.expired():
        data = port.read(deadline.wait())   # block at most this long, then look again

ProcessClock counts the wall time during which none of the process's threads was
kept waiting for a CPU (Linux: /proc/PID/task/TID/schedstat, the run-queue delay
of each thread). On an idle machine it runs like the wall clock; on a loaded one
it runs as fast as the process actually gets to run. Time the process spends
sleeping by itself (tg_device's 500 ms poll) counts, time it spends queued does
not. Under `-icount shift=0` QEMU's guest executes instructions in proportion to
it (measured: ~1 ns per instruction with or without ten busy jobs; README, "Time
limits on a loaded machine"); while the firmware waits for serial bytes it sleeps
(WFI) and its virtual time follows real time, which counts too. Where /proc is absent
it is the wall clock. A process that gets no time at all for STALL_LIMIT wall
seconds (starved, or gone) times out anyway: the only wall-clock backstop.

A real board's port keeps wall time (WALL): nothing on the host slows the board.

Pace says what a device's known work costs on its link's clock (seconds per
byte sent, per counter unit, and the device's own 500 ms upload timeout), so a
command's deadline is the user's --timeout plus the time its known work takes.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from typing import Iterable

from tinygen.errors import TinygenError

POLL = 0.2              # wall seconds between looks at a process clock while waiting
STALL_LIMIT = 60.0      # wall seconds a process may get no time at all before its deadline fails
DEFAULT_TIMEOUT = 10.0  # --timeout: seconds per answer beyond the known work
TIMEOUT_HELP = ("seconds the device may take to answer, beyond the work the harness knows of (uploads, "
                "inferences): on a QEMU stand-in or the host's tg_device, that process's own time (wall "
                "time less its waits for a CPU, so a loaded machine does not run it out); on a real board, "
                f"wall seconds (default {DEFAULT_TIMEOUT:g})")


class Clock:
    """The wall clock (a real board's port, a peer whose process is unknown)."""

    what = "s"                  # how a duration on this clock is written in messages
    poll: float | None = None   # None: a wait may last all that is left

    def now(self) -> float:
        return time.monotonic()

    def most(self, wall: float) -> float | None:
        """An upper bound of now() at monotonic time `wall`, known without looking (None: none)."""
        return None


WALL = Clock()


def _run_delays(pid: int) -> dict[int, int] | None:
    """Nanoseconds each thread of `pid` has waited on a run queue; None if unreadable."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    delays = {}
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                delays[int(tid)] = int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue                # the thread ended meanwhile
    return delays or None


class ProcessClock(Clock):
    """Seconds since creation during which no thread of the processes was kept waiting
    for a CPU: wall time less the longest run-queue wait of any of their threads.
    Monotonic; the wall clock where /proc/PID/task/*/schedstat cannot be read."""

    poll = POLL

    def __init__(self, pids: Iterable[int], name: str = "the emulator"):
        self.pids = tuple(pids)
        self.name = name
        self.what = f"s of {name}'s own time"
        self._wall0 = time.monotonic()
        self._base = self._delays() or {}
        self._last = 0.0
        self._last_wall = self._wall0

    def _delays(self) -> dict[tuple[int, int], int] | None:
        found = {}
        for pid in self.pids:
            found.update({(pid, tid): d for tid, d in (_run_delays(pid) or {}).items()})
        return found or None

    def now(self) -> float:
        wall = time.monotonic()
        delays = self._delays()
        if delays is None:              # gone, or no /proc: the wall clock from here on
            self._last += wall - self._last_wall
        else:
            waited = max(d - self._base.get(key, 0) for key, d in delays.items()) / 1e9
            self._last = max(self._last, wall - self._wall0 - waited)
        self._last_wall = wall
        return self._last

    def most(self, wall: float) -> float:
        """now() never passes the wall time since creation: each reading is that less a wait
        (>= 0), and without /proc it runs with the wall clock from a reading below it."""
        return wall - self._wall0


def clock_for(pids: Iterable[int], name: str) -> Clock:
    """A ProcessClock where this system reports run-queue delays, else the wall clock."""
    pids = tuple(pids)
    return ProcessClock(pids, name) if all(_run_delays(p) is not None for p in pids) else WALL


class Deadline:
    """`seconds` on `clock` from now; also over when the clock stood still for STALL_LIMIT
    wall seconds (a process that gets no time at all)."""

    def __init__(self, clock: Clock, seconds: float):
        self.clock = clock
        self.seconds = seconds
        self.start = clock.now()
        self._seen = self.start
        self._seen_wall = time.monotonic()
        self.stalled = False

    def left(self) -> float:
        """Seconds left on the clock (<= 0: over)."""
        now = self.clock.now()
        wall = time.monotonic()
        if now > self._seen:
            self._seen, self._seen_wall = now, wall
        elif self.clock.poll is not None and wall - self._seen_wall > max(STALL_LIMIT, self.seconds):
            self.stalled = True
            return 0.0
        return self.seconds - (now - self.start)

    def expired(self) -> bool:
        return self.left() <= 0

    def wait(self) -> float:
        """Wall seconds to block before looking again (0 when over). A polled clock is not read
        (a ProcessClock reads /proc for each of QEMU's threads) while its upper bound leaves a
        whole poll: a link waits once per few bytes received."""
        poll = self.clock.poll
        if poll is not None:
            most = self.clock.most(time.monotonic())
            if most is not None and self.seconds - (most - self.start) >= poll:
                return poll
        left = max(self.left(), 0.0)
        return left if poll is None else min(left, poll)

    def describe(self) -> str:
        """'10 s' or '10 s of QEMU's own time' (and why, if the process got no time)."""
        text = f"{self.seconds:g} {self.clock.what}"
        if self.stalled:
            text += f" ({getattr(self.clock, 'name', 'the process')} got no CPU time for {STALL_LIMIT:g} s)"
        return text


@dataclass(frozen=True)
class Pace:
    """What a device's known work costs on its link's clock, generously (several times
    what was measured, for slower hosts)."""
    per_byte: float         # seconds per byte sent to the device
    per_count: float        # seconds per unit of its counter (`tg info` counter)
    device_timeout: float   # seconds the device's own 500 ms upload timeout lasts

    def budget(self, slack: float, sent: int = 0, counts: float = 0) -> float:
        return slack + sent * self.per_byte + counts * self.per_count


# QEMU stand-ins, on the emulator's own clock. Measured on a 2-core x86-64 host (QEMU 7.2):
# 6-18 us per byte uploaded (M7, M4, RISC-V virt, load 4 to 15-20 busy jobs; 39-58 us when the
# ports polled the UART), 0.7-2.0 ns per instruction (M7 and RISC-V virt, idle and with ten
# busy jobs), the 500 ms upload timeout 0.5 s (the ports sleep in WFI, where virtual time
# follows real time; benchmarks/serial_link.py).
STANDIN = Pace(per_byte=250e-6, per_count=10e-9, device_timeout=8.0)
# the host's tg_device: nanoseconds counted, the upload timeout in real time (poll)
HOST = Pace(per_byte=50e-6, per_count=5e-9, device_timeout=1.5)
# a Device whose target is not known: the most generous of all
ANY = Pace(per_byte=250e-6, per_count=100e-9, device_timeout=8.0)


def board_pace(baud: int, clock_hz: int | None) -> Pace:
    """A real board on wall time: 10 bits per byte at the baud rate, its cycles at its
    clock, each counted twice; the 500 ms upload timeout with room."""
    per_cycle = 1.0 / clock_hz if clock_hz else ANY.per_count
    return Pace(per_byte=2 * 10 / baud, per_count=2 * per_cycle, device_timeout=1.5)


def wait_exit(proc: subprocess.Popen, seconds: float, clock: Clock | None = None) -> int | None:
    """Wait for `proc` to exit within `seconds` on `clock` (default: its own); its
    status, or None if it still runs."""
    deadline = Deadline(clock or clock_for([proc.pid], "the process"), seconds)
    while True:
        try:
            return proc.wait(max(deadline.wait(), 0.001))
        except subprocess.TimeoutExpired:
            if deadline.expired():
                return proc.poll()


def run_process(cmd: list[str], seconds: float, name: str = "the process", **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run(cmd, capture_output=True, text=True, ...) with a limit of `seconds`
    on the process's own clock; TinygenError (the process killed) past it."""
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs) as proc:
        deadline = Deadline(clock_for([proc.pid], name), seconds)
        while True:
            try:
                out, err = proc.communicate(timeout=max(deadline.wait(), 0.001))
                return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
            except subprocess.TimeoutExpired:
                if deadline.expired():
                    proc.kill()
                    proc.communicate()
                    raise TinygenError(f"{name} ran past {deadline.describe()}: {' '.join(cmd[:3])} ...",
                                       "raise --timeout if it is only slow") from None


def add_timeout_option(parser, default: float = DEFAULT_TIMEOUT, help: str = TIMEOUT_HELP) -> None:
    """The --timeout option of tinygen's commands and the benchmarks that talk to devices."""
    parser.add_argument("--timeout", type=float, default=default, metavar="S", help=help)


__all__ = ["ANY", "DEFAULT_TIMEOUT", "HOST", "STALL_LIMIT", "STANDIN", "TIMEOUT_HELP", "WALL", "Clock", "Deadline",
           "Pace", "ProcessClock", "add_timeout_option", "board_pace", "clock_for", "run_process", "wait_exit"]
