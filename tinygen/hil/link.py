"""The serial link to a device: one code path for a real port (`/dev/ttyACM0`)
and a TCP socket into an emulator or the host bridge (`socket://127.0.0.1:PORT`).

The link knows lines, deadlines and how to get back in step with a device
after garbage or a timeout; what the lines mean is tinygen.hil.client's job.
"""

from __future__ import annotations

import errno
import os
import socket
import time

from tinygen.errors import TinygenError
from tinygen.hil.deadline import WALL, Clock, Deadline
from tinygen.optional import require

DEFAULT_BAUD = 115200
READY = "m-ready"
NAME_PREFIX = "m-name-dut-"
MAX_LINE = 1 << 20          # a longer line means the stream is not the protocol
GATHER = 0.001              # seconds to let the rest of a line arrive before reading again (Link.readline)
TIMEOUT_HINT = ("the device may be hung or running another firmware: reset it; if it is only slow, raise "
                "--timeout (Device(timeout=...) from Python)")


class LinkError(TinygenError):
    """The serial link failed: no device, no permission, the peer went away."""


class LinkTimeout(LinkError):
    """The device did not answer in time."""


def _serial():
    return require("serial")


LIST_PORTS = "python -m serial.tools.list_ports"
NO_BOARD_HINT = ("connect the board's USB (on Nucleo boards the ST-LINK connector, CN1), list the serial ports "
                 f"with `{LIST_PORTS}` and pass the right one with --port")


def check_port(port: str, option: str = "--port", hint: str = NO_BOARD_HINT) -> None:
    """Refuse a serial port that is not there before any long work (a build) starts;
    a URL (socket://, rfc2217://) is checked when it is opened."""
    if "://" in port or os.name == "nt":        # COM3 is no path to look for
        return
    if not os.path.exists(port):
        raise LinkError(f"no device on {port} ({option})", hint)


def _open_error(url: str, e: Exception) -> LinkError:
    code = getattr(e, "errno", None)
    if url.startswith("socket://"):
        return LinkError(f"cannot connect to {url}: {e}",
                         "is the emulator or device bridge still running? `tinygen flash --emulate --serve` "
                         "prints the URL it serves")
    if code == errno.EACCES or "Permission denied" in str(e):
        return LinkError(f"permission denied on {url}",
                         "add yourself to the dialout group: sudo usermod -aG dialout $USER, then log out and "
                         "in again (or run once with sudo to check)")
    if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO) or "No such file" in str(e):
        return LinkError(f"no device on {url}", NO_BOARD_HINT)
    if code == errno.EBUSY or "busy" in str(e).lower():
        return LinkError(f"{url} is busy", "another program (a serial monitor?) has the port open: close it")
    return LinkError(f"cannot open {url}: {e}")


def open_port(port, url: str) -> None:
    """Open a pyserial port made with do_not_open=True. A socket:// port keeps what already
    arrived: pyserial's open() discards it, and a QEMU stand-in boots the moment the
    connection is accepted, so under load its boot lines (m-init-done, m-ready) can come
    before open() returns and be lost. A real port is flushed as pyserial does (bytes from
    before the link are stale)."""
    if not url.startswith("socket://"):
        port.open()
        return
    port.reset_input_buffer = lambda: None      # only for the length of open()
    try:
        port.open()
    finally:
        del port.reset_input_buffer


class Link:
    """Lines in, bytes out, with deadlines on `clock` (tinygen.hil.deadline: the wall
    clock for a board's port, the emulator's own time for a stand-in). Use `Link.open(url)`."""

    def __init__(self, port, url: str, clock: Clock = WALL):
        self.port = port
        self.url = url
        self.clock = clock
        self._buf = bytearray()
        self.bytes_sent = 0
        self.bytes_received = 0

    @classmethod
    def open(cls, url: str, baud: int = DEFAULT_BAUD, connect_timeout: float = 5.0, clock: Clock = WALL) -> "Link":
        """Open a port or socket:// URL. Socket connections are retried until
        `connect_timeout` (an emulator may still be starting). Deadlines keep `clock`."""
        serial = _serial()
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                port = serial.serial_for_url(url, baudrate=baud, timeout=0, write_timeout=30, do_not_open=True)
                # ESP32 boards wire DTR/RTS to EN/IO0: released, the chip keeps running
                port.dtr = False
                port.rts = False
                open_port(port, url)
                break
            except (serial.SerialException, OSError, ValueError) as e:
                refused = url.startswith("socket://") and "refused" in str(e).lower()
                if refused and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                raise _open_error(url, e) from None
        sock = getattr(port, "_socket", None)
        if sock is not None:          # socket://: small exchanges stall ~40 ms each without it
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(port, url, clock)

    def close(self) -> None:
        sock = getattr(self.port, "_socket", None)
        if sock is not None:
            # socket:// (a stand-in, the host bridge): pyserial's close() sleeps 0.3 s after
            # closing, for quick reconnects to the same server; Link.open retries a refused
            # connection instead, so close the socket here and mark the port closed
            self.port._socket = None
            self.port.is_open = False
            for end in (lambda: sock.shutdown(socket.SHUT_RDWR), sock.close):
                try:
                    end()
                except OSError:     # the peer is gone already
                    pass
            return
        try:
            self.port.close()
        except Exception:       # closing a port whose peer is gone must not raise
            pass

    def __enter__(self) -> "Link":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def write(self, data: bytes) -> None:
        serial = _serial()
        try:
            self.port.write(data)
        except (serial.SerialException, OSError) as e:
            raise LinkError(f"writing to {self.url} failed: {e}",
                            "the device or emulator went away: check the cable / that it still runs") from None
        self.bytes_sent += len(data)

    def _read_some(self, timeout: float) -> bytes:
        """Wait up to `timeout` for at least one byte, then take all that is there."""
        serial = _serial()
        try:
            self.port.timeout = max(timeout, 0.0)
            data = self.port.read(1)
            if data:
                self.port.timeout = 0
                data += self.port.read(1 << 16)
        except (serial.SerialException, OSError) as e:
            raise LinkError(f"reading from {self.url} failed: {e}",
                            "the device or emulator went away (crashed, reset or unplugged)") from None
        self.bytes_received += len(data)
        return data

    def readline(self, timeout: float, awaiting: str = "a reply", hint: str = TIMEOUT_HINT) -> str:
        """The next non-empty line (without `\\r\\n`), decoded leniently, within
        `timeout` seconds on the link's clock."""
        deadline = Deadline(self.clock, timeout)
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                raw = bytes(self._buf[:nl])
                del self._buf[:nl + 1]
                line = raw.strip(b"\r \0").decode("ascii", errors="replace")
                if line:
                    return line
                continue
            if len(self._buf) > MAX_LINE:
                raise LinkError(f"{self.url} sent over {MAX_LINE} bytes without a line end",
                                "is something else than a tinygen firmware on this port? check the baud rate")
            wait = deadline.wait()
            if wait <= 0:
                # what arrived while this process itself waited for a CPU is no timeout
                late = self._read_some(0)
                if late:
                    self._buf += late
                    continue
                pending = bytes(self._buf[:60])
                tail = f" (partial line: {pending!r})" if pending else ""
                raise LinkTimeout(f"timed out after {deadline.describe()} on {self.url} waiting for {awaiting}{tail}",
                                  hint)
            data = self._read_some(wait)
            self._buf += data
            if data and b"\n" not in data:
                # mid-line: a stand-in sends each byte as it is written (a socket write per byte) and
                # a reader woken per byte spends more CPU than the emulator; let the line come in
                time.sleep(GATHER)

    def drain(self, quiet: float = 0.05, limit: float = 2.0) -> bytes:
        """Read and discard until nothing arrives for `quiet` seconds."""
        end = time.monotonic() + limit
        dropped = bytearray(self._buf)
        self._buf.clear()
        while time.monotonic() < end:
            data = self._read_some(quiet)
            if not data:
                break
            dropped += data
        return bytes(dropped)

    def await_line(self, wanted: str, timeout: float) -> bool:
        """Read until the line `wanted` (True) or `timeout` seconds on the link's clock pass
        without it (False); the lines before it are dropped."""
        try:
            while self.readline(timeout, awaiting=wanted) != wanted:
                pass
        except LinkTimeout:
            return False
        return True

    def resync(self, attempts: int = 3, timeout: float = 10.0) -> str:
        """Get back in step after garbage, a timeout or a half-sent upload: end
        any partial command with `%`, ask `name%` and wait for its answer
        (`timeout` seconds on the link's clock per line). Returns the device name.

        A device in the middle of a binary upload takes our bytes as data; it
        answers `e-[upload ...]` once the upload ends (at the latest after its
        500 ms upload timeout: `timeout` must cover it, see Pace.device_timeout),
        and `name%` is sent again."""
        for _ in range(attempts):
            self.drain(quiet=0.02, limit=0.5)
            self.write(b"%name%")
            try:
                name = self._await_name(timeout, resends=attempts)
            except LinkTimeout:
                continue
            self.drain(quiet=0.05)     # late answers to the bytes that came before
            return name
        raise LinkTimeout(f"no tinygen device answered on {self.url} after {attempts} attempts to resync",
                          "check that the board runs a tinygen firmware (tinygen flash) and the port and baud "
                          "rate are right; reset the board")

    def _await_name(self, timeout: float, resends: int) -> str:
        name, upload_error = None, False
        while True:
            line = self.readline(timeout, awaiting="the answer to name%")
            if line.startswith(NAME_PREFIX):
                name = line[len(NAME_PREFIX):].strip("[]")
            elif line.startswith("e-[upload"):
                upload_error = True
            elif line == READY:
                if name is not None:
                    return name
                if upload_error and resends > 0:       # our name% went into an upload
                    self.write(b"name%")
                    resends -= 1
                upload_error = False


__all__ = ["LIST_PORTS", "Link", "LinkError", "LinkTimeout", "READY", "check_port", "open_port"]
