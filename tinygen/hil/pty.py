"""A pseudo-terminal in front of a socket:// device (a QEMU stand-in or the host
bridge), for programs that open only serial ports: `serial.Serial("/dev/pts/N")`
then talks to the stand-in as to a board's USB serial port.

    with PtyBridge("socket://127.0.0.1:4444") as path:    # "/dev/pts/7"
        ...                                                # the MLPerf Tiny runner opens path

The bridge holds the socket (QEMU serves one client at a time) and the pty's
terminal side for as long as it runs, so programs may open and close the pty
again and again; bytes go both ways unchanged (raw mode: no echo, no line
editing, no CR/LF translation). POSIX only.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time

from tinygen.errors import TinygenError

POLL = 0.1                  # seconds between checks for shutdown
CONNECT_TIMEOUT = 10.0


def _parse_socket_url(url: str) -> tuple[str, int]:
    if not url.startswith("socket://"):
        raise TinygenError(f"the pty bridge relays a socket:// device, not {url}",
                           "a real board's port is already a serial port: give it to the program directly")
    host, _, port = url[len("socket://"):].partition(":")
    try:
        return host, int(port.split("/")[0])
    except ValueError:
        raise TinygenError(f"bad socket URL {url}", "expected socket://HOST:PORT") from None


def _connect(url: str, timeout: float) -> socket.socket:
    """Connect, retrying while the emulator is still starting."""
    address = _parse_socket_url(url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock = socket.create_connection(address, timeout=timeout)
            break
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise TinygenError(f"cannot connect to {url}: refused",
                                   "is the stand-in still running?") from None
            time.sleep(0.05)
        except OSError as e:
            raise TinygenError(f"cannot connect to {url}: {e}", "is the stand-in still running?") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(None)
    return sock


class PtyBridge:
    """Relays a pseudo-terminal to a socket:// device; a context manager giving the pty's path."""

    def __init__(self, url: str, connect_timeout: float = CONNECT_TIMEOUT):
        self.url = url
        self.connect_timeout = connect_timeout
        self.path = ""
        self._master = self._slave = -1
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.error: str | None = None            # why the relay stopped early (the device went away)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> str:
        import termios
        import tty

        self._sock = _connect(self.url, self.connect_timeout)
        try:
            self._master, self._slave = os.openpty()
            # the terminal side raw, as a UART: programs that open it set their own modes on top
            tty.setraw(self._slave, termios.TCSANOW)
            self.path = os.ttyname(self._slave)
        except BaseException:
            self.close()
            raise
        for target in (self._to_device, self._from_device):
            t = threading.Thread(target=target, daemon=True, name=f"tg-pty-{target.__name__}")
            t.start()
            self._threads.append(t)
        return self.path

    def close(self) -> None:
        self._stop.set()
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)     # wakes the thread blocked in recv
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=2)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1

    @property
    def alive(self) -> bool:
        return not self._stop.is_set()

    def _to_device(self) -> None:
        """What programs write to the pty goes to the device."""
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], POLL)
            if not ready:
                continue
            try:
                data = os.read(self._master, 4096)
                self._sock.sendall(data)
            except OSError as e:
                self._fail(f"relaying to {self.url} failed: {e}")
                return

    def _from_device(self) -> None:
        """What the device sends goes to the pty (queued there while no program has it open)."""
        while not self._stop.is_set():
            try:
                data = self._sock.recv(4096)
            except (ConnectionResetError, ConnectionAbortedError):
                data = b""                    # the peer closed with unread data: a reset, not an EOF
            except OSError as e:
                self._fail(f"reading from {self.url} failed: {e}")
                return
            if not data:
                self._fail(f"{self.url} closed the connection (the stand-in exited)")
                return
            view = memoryview(data)
            while view and not self._stop.is_set():
                _, writable, _ = select.select([], [self._master], [], POLL)
                if writable:
                    view = view[os.write(self._master, view):]

    def _fail(self, message: str) -> None:
        if not self._stop.is_set():
            self.error = message
            self._stop.set()


__all__ = ["PtyBridge"]
