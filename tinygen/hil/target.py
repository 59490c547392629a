"""Where the device is: the host process, a QEMU stand-in or a real board's port.

    with open_device(board, "build/kws", emulate=True) as dev:   # a connected Device
        print(dev.info())

The built project is only used to find the program to start (tg_device for
the host, firmware-emu.elf for a stand-in); everything after that goes through
the protocol. Deadlines on a stand-in or the host process keep that process's own
time, on a board's port wall time (tinygen.hil.deadline).
"""

from __future__ import annotations

import os
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from tinygen.board import Board
from tinygen.errors import UsageError
from tinygen.hil.client import Device
from tinygen.hil.deadline import DEFAULT_TIMEOUT, HOST, STANDIN, WALL, Clock, Pace, board_pace, clock_for
from tinygen.hil.link import DEFAULT_BAUD, Link

HOST_DEVICE = "tg_device"
EMU_FIRMWARE = "firmware-emu.elf"


def describe(board: Board, emulate: bool, port: str | None) -> str:
    if board.build == "host":
        return "this computer (host tg_device process)"
    if emulate:
        return f"the {board.name} stand-in (QEMU {board.emulator['machine']})"
    return f"{board.name} on {resolve_port(board, port)}"


def resolve_port(board: Board, port: str | None) -> str:
    port = port or board.serial.get("port_hint")
    if not port:
        raise UsageError(f"no serial port known for {board.name}", "pass --port /dev/ttyACM0 (or --emulate)")
    return port


@dataclass
class Endpoint:
    """Where to connect, the clock its deadlines keep and what its work costs."""
    url: str
    clock: Clock
    pace: Pace
    boots: bool = False     # a QEMU stand-in started for this link: its boot lines come first


@contextmanager
def endpoint(board: Board, project: str | Path, emulate: bool = False,
             port: str | None = None) -> Iterator[Endpoint]:
    """socket:// for the host bridge or a stand-in (deadlines on that process's own
    time: the bridge's relay threads are this process's, so it counts too), the port
    for a real board (wall time). The host process / QEMU lives as long as the block."""
    project = Path(project)
    if board.build == "host":
        from tinygen.hil.bridge import HostBridge

        bridge = HostBridge(project / HOST_DEVICE)
        with bridge as url:
            yield Endpoint(url, clock_for([bridge.proc.pid, os.getpid()], "tg_device"), HOST)
    elif emulate:
        from tinygen.run.qemu import Emulator

        emu = Emulator(board, project / EMU_FIRMWARE)
        with emu as url:
            yield Endpoint(url, emu.clock, STANDIN, boots=True)
    else:
        yield Endpoint(resolve_port(board, port), WALL,
                       board_pace(int(board.serial.get("baud", DEFAULT_BAUD)), board.clock_hz))


@contextmanager
def device_url(board: Board, project: str | Path, emulate: bool = False,
               port: str | None = None) -> Iterator[str]:
    """endpoint()'s URL alone."""
    with endpoint(board, project, emulate, port) as ep:
        yield ep.url


@contextmanager
def open_device(board: Board, project: str | Path, emulate: bool = False, port: str | None = None,
                timeout: float = DEFAULT_TIMEOUT) -> Iterator[Device]:
    """A connected Device (resynced, name answered) for the duration of the block;
    `timeout`: seconds per answer beyond the known work (tinygen.hil.deadline)."""
    with ExitStack() as stack:
        ep = stack.enter_context(endpoint(board, project, emulate, port))
        link = stack.enter_context(Link.open(ep.url, int(board.serial.get("baud", DEFAULT_BAUD)), clock=ep.clock))
        dev = Device(link, timeout, ep.pace)
        dev.connect(booting=ep.boots)
        yield dev


__all__ = ["EMU_FIRMWARE", "HOST_DEVICE", "Endpoint", "describe", "device_url", "endpoint", "open_device",
           "resolve_port"]
