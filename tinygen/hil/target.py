"""Where the device is: the host process, a QEMU stand-in or a real board's port.

    with open_device(board, "build/kws", emulate=True) as dev:   # a connected Device
        print(dev.info())

The built project is only used to find the program to start (tg_device for
the host, firmware-emu.elf for a stand-in); everything after that goes through
the protocol.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

from tinygen.board import Board
from tinygen.errors import UsageError
from tinygen.hil.client import DEFAULT_TIMEOUT, Device
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


@contextmanager
def device_url(board: Board, project: str | Path, emulate: bool = False,
               port: str | None = None) -> Iterator[str]:
    """A URL for the link: socket:// for the host bridge or a stand-in, the
    port for a real board. The host process / QEMU lives as long as the block."""
    project = Path(project)
    if board.build == "host":
        from tinygen.hil.bridge import HostBridge

        with HostBridge(project / HOST_DEVICE) as url:
            yield url
    elif emulate:
        from tinygen.run.qemu import Emulator

        with Emulator(board, project / EMU_FIRMWARE) as url:
            yield url
    else:
        yield resolve_port(board, port)


@contextmanager
def open_device(board: Board, project: str | Path, emulate: bool = False, port: str | None = None,
                timeout: float = DEFAULT_TIMEOUT) -> Iterator[Device]:
    """A connected Device (resynced, name answered) for the duration of the block."""
    with ExitStack() as stack:
        url = stack.enter_context(device_url(board, project, emulate, port))
        link = stack.enter_context(Link.open(url, int(board.serial.get("baud", DEFAULT_BAUD))))
        dev = Device(link, timeout)
        dev.connect()
        yield dev


__all__ = ["EMU_FIRMWARE", "HOST_DEVICE", "describe", "device_url", "open_device", "resolve_port"]
