"""The host board's "device": a `tg_device` process speaking the protocol on
stdin/stdout, served on a local TCP port so the harness reaches it through the
same socket:// link as an emulator or a real port.

    with HostBridge("build/m/tg_device") as url:    # socket://127.0.0.1:PORT
        link = Link.open(url)
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from collections import deque
from pathlib import Path

from tinygen.errors import TinygenError


class HostBridge:
    """Runs a host device binary and relays one TCP client at a time to its stdin/stdout."""

    def __init__(self, exe: str | Path):
        self.exe = Path(exe)
        self.proc: subprocess.Popen | None = None
        self._server: socket.socket | None = None
        self._client: socket.socket | None = None
        self._stderr: deque[bytes] = deque(maxlen=50)
        self._threads: list[threading.Thread] = []
        self.url = ""

    def __enter__(self) -> str:
        if not self.exe.is_file():
            raise TinygenError(f"no host device binary at {self.exe}",
                               "build the model for the host first: tinygen build MODEL --board host -o DIR")
        self.proc = subprocess.Popen([str(self.exe.resolve())], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, bufsize=0)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"socket://127.0.0.1:{self._server.getsockname()[1]}"
        for target in (self._accept_loop, self._from_device, self._collect_stderr):
            t = threading.Thread(target=target, daemon=True, name=f"tg-bridge-{target.__name__}")
            t.start()
            self._threads.append(t)
        return self.url

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for s in (self._client, self._server):
            if s is not None:
                try:
                    s.shutdown(socket.SHUT_RDWR)      # wakes the threads blocked in accept / recv
                except OSError:
                    pass
                s.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for t in self._threads:
            t.join(timeout=1)

    @property
    def stderr(self) -> str:
        return b"".join(self._stderr).decode(errors="replace")

    def _accept_loop(self) -> None:
        while self.proc.poll() is None:
            try:
                client, _ = self._server.accept()
            except OSError:           # server closed: we are shutting down
                return
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._client = client
            self._to_device(client)
            self._client = None
            client.close()

    def _to_device(self, client: socket.socket) -> None:
        while True:
            try:
                data = client.recv(65536)
            except OSError:
                return
            if not data:
                return
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError):
                return

    def _from_device(self) -> None:
        fd = self.proc.stdout.fileno()
        while True:
            data = os.read(fd, 65536)
            if not data:                  # the process ended: the client sees the link close
                client = self._client
                if client is not None:
                    try:
                        client.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            client = self._client
            if client is None:        # nobody connected: output goes nowhere, as on a UART
                continue
            try:
                client.sendall(data)
            except OSError:
                pass

    def _collect_stderr(self) -> None:
        for chunk in iter(lambda: self.proc.stderr.read(4096), b""):
            self._stderr.append(chunk)


__all__ = ["HostBridge"]
