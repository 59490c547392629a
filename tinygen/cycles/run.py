"""Run a built firmware's stand-in with QEMU's execution log and fold the log
into one segment per layer (`tg layers` on one input)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

from tinygen.cycles.code_cache import CodeCache, code_cache_for
from tinygen.cycles.qemu_log import LogFolder
from tinygen.hil.deadline import STANDIN, clock_for
from tinygen.errors import TinygenError

LOG_FLAGS = "in_asm,exec,nochain"
LAYER_START = "tg_model_invoke_layer"        # model.c: one call per layer under `tg layers`
LAYER_STOP = "tg_port_counter"               # read right after each layer returns
# a logged run's pace (tinygen.hil.deadline): the stand-in's, each instruction LOG_SLOWDOWN times as long
# (QEMU writes a line per executed block and the log's reader folds it). Measured on the f746zg stand-in
# (benchmarks/cycle_estimates.py, MLPerf Tiny, 2 shared cores): 100-135 ns per instruction logged, against
# STANDIN's 10 ns per instruction: 50x allows 500 ns
LOG_SLOWDOWN = 50
LOGGED = replace(STANDIN, per_count=STANDIN.per_count * LOG_SLOWDOWN)


def symbols(elf: Path, names: tuple[str, ...], nm: str = "arm-none-eabi-nm") -> dict[str, int]:
    """Addresses of functions (Thumb bit cleared)."""
    out = subprocess.run([nm, str(elf)], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] in names:
            found[parts[2]] = int(parts[0], 16) & ~1
    missing = [n for n in names if n not in found]
    if missing:
        raise TinygenError(f"{elf} has no {', '.join(missing)}", "rebuild the project with this tinygen")
    return found


class LoggedRun:
    """QEMU's log through a FIFO into a LogFolder, for the life of the block."""

    def __init__(self, starts: set[int], stops: set[int], cache: CodeCache | None = None):
        self.folder = LogFolder(starts, stops, cache)
        self._dir = tempfile.TemporaryDirectory(prefix="tg-qemu-log-")
        self.fifo = Path(self._dir.name) / "exec.log"
        os.mkfifo(self.fifo)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self.error: Exception | None = None
        self.started = time.monotonic()

    @property
    def qemu_args(self) -> tuple[str, ...]:
        return ("-d", LOG_FLAGS, "-D", str(self.fifo))

    def _read(self) -> None:
        try:
            with open(self.fifo, encoding="ascii", errors="replace") as f:
                self.folder.feed_lines(f)
        except Exception as e:          # noqa: BLE001 - reported by finish()
            self.error = e

    def __enter__(self):
        self._thread.start()
        return self

    def finish(self):
        """After QEMU exited: the folded segments and the seconds the logged run took."""
        self._thread.join()
        self._dir.cleanup()
        if self.error:
            raise TinygenError(f"reading QEMU's execution log failed: {self.error}")
        return self.folder.finish(), time.monotonic() - self.started

    def __exit__(self, *exc):
        if self._thread.is_alive() and exc[0] is not None:
            with open(self.fifo, "w"):          # unblock a reader still waiting for QEMU to open the FIFO
                pass


def firmware_elf(project: Path) -> Path:
    """The stand-in firmware a built project holds."""
    from tinygen.hil.target import EMU_FIRMWARE

    return Path(project) / EMU_FIRMWARE


def layer_segments(board, project: Path, x: bytes | Callable[[int], bytes], timeout: float = 600.0,
                   timing: dict | None = None):
    """(blocks, one segment per layer, the device's layers, seconds of the logged run).
    `x`: the input's bytes, or a function of the input bytes the device states (`tg info`).
    `timeout`: seconds per answer beyond the known work, on the clock of QEMU and this
    process together (the log's reader is this process's: tinygen.hil.deadline), the known
    work at LOGGED's pace. `timing`: the [timing] whose code cache the fetches go through
    (another part of the same core, a calibration point's); default the board's."""
    from tinygen.hil.client import Device
    from tinygen.hil.link import Link
    from tinygen.run.qemu import Emulator

    elf = firmware_elf(project)
    addr = symbols(elf, (LAYER_START, LAYER_STOP))
    cache = code_cache_for(timing or board.raw.get("timing") or {})     # the part's code cache, simulated (memory)
    with LoggedRun({addr[LAYER_START]}, {addr[LAYER_STOP]}, cache) as log:
        emu = Emulator(board, elf, extra_args=log.qemu_args)
        with emu as url:
            clock = clock_for([emu.proc.pid, os.getpid()], "QEMU with its execution log")
            with Link.open(url, clock=clock) as link:
                dev = Device(link, timeout, LOGGED)
                dev.connect(booting=True)
                if callable(x):
                    x = x(sum(int(n) for n in dev.info().get("inputs", [])))
                dev.upload(x)
                layers, _, _ = dev.layers()
        segments, seconds = log.finish()
    if len(segments) != len(layers):
        raise TinygenError(f"the execution log has {len(segments)} layer segments, the device ran {len(layers)} layers",
                           "is the firmware built with this tinygen (tg_model_invoke_layer per layer)?")
    return log.folder.blocks, segments, layers, seconds


__all__ = ["LAYER_START", "LAYER_STOP", "LOGGED", "LOG_SLOWDOWN", "LoggedRun", "firmware_elf", "layer_segments", "symbols"]
