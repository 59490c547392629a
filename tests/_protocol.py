"""A minimal PROTOCOL.md client for tests, over any byte transport, and the
host-side mirrors of what the device prints (hex outputs, 3-decimal results).

The real harness lives in tinygen/hil; this one is deliberately tiny so that the
runtime's tests do not depend on it. It only borrows tinygen.hil.deadline's clocks:
timeouts count the device process's own time, so a loaded machine does not fail them.
"""

from __future__ import annotations

import os
import select
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

import numpy as np

from tinygen.hil.deadline import WALL, Clock, Deadline, clock_for, wait_exit
from tinygen.ref.interpreter import run

READY = "m-ready"


class ProtocolClient:
    """Send `%`-terminated commands; read `\\r\\n` lines up to `m-ready`.

    `read_some(timeout)` returns whatever bytes arrived within `timeout`
    seconds (b"" if none); `write(data)` sends bytes. Timeouts are seconds on
    `clock` (the device process's own time, or the wall clock).
    """

    def __init__(self, write: Callable[[bytes], None], read_some: Callable[[float], bytes], clock: Clock = WALL):
        self._write = write
        self._read_some = read_some
        self._buf = b""
        self.clock = clock

    def read_line(self, timeout: float = 10.0) -> str:
        deadline = Deadline(self.clock, timeout)
        while b"\r\n" not in self._buf:
            wait = deadline.wait()
            if wait <= 0:
                self._buf += self._read_some(0)         # what came while this process waited for a CPU
                if b"\r\n" in self._buf:
                    break
                raise TimeoutError(f"no complete line within {deadline.describe()}; partial: {self._buf[-200:]!r}")
            self._buf += self._read_some(min(wait, 1.0))
        line, self._buf = self._buf.split(b"\r\n", 1)
        return line.decode("ascii")

    def read_reply(self, timeout: float = 10.0) -> list[str]:
        """Lines up to (not including) the next m-ready."""
        lines = []
        while (line := self.read_line(timeout)) != READY:
            lines.append(line)
        return lines

    def send(self, data: bytes) -> None:
        self._write(data)

    def command(self, text: str, payload: bytes = b"", timeout: float = 10.0) -> list[str]:
        self._write(text.encode("latin-1") + b"%" + payload)
        return self.read_reply(timeout)

    def pending(self, wait: float = 0.2) -> bytes:
        """Whatever the device sent beyond the last reply, waiting `wait` s for more."""
        self._buf += self._read_some(wait)
        data, self._buf = self._buf, b""
        return data


class PipeDevice:
    """The host build's ./tg_device as a child process, spoken to over pipes."""

    def __init__(self, executable: Path):
        self.proc = subprocess.Popen([str(executable)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        # tg_device's own time, and this process's: it reads the pipe (a wait for a CPU in
        # either one is no time the device took)
        self.client = ProtocolClient(self._write, self._read_some, clock_for([self.proc.pid, os.getpid()], "tg_device"))

    def _write(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def _read_some(self, timeout: float) -> bytes:
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        return os.read(fd, 65536) if ready else b""

    def close(self) -> int:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.stdin.close()
        self.proc.stdout.close()
        return wait_exit(self.proc, 10)


class SocketDevice:
    """A firmware on its QEMU stand-in (tinygen.run.qemu), spoken to over the serial port's
    TCP socket, with QEMU's own time as the clock."""

    def __init__(self, url: str, clock: Clock):
        import socket

        host, port = url.removeprefix("socket://").rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client = ProtocolClient(self.sock.sendall, self._read_some, clock)

    def _read_some(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.sock], [], [], timeout)
        return self.sock.recv(65536) if ready else b""

    def close(self) -> None:
        self.sock.close()


@contextmanager
def booted_standin(board, elf: Path):
    """The client of a firmware on the board's QEMU stand-in past its boot lines, QEMU
    stopped afterwards."""
    from tinygen.run.qemu import Emulator

    emu = Emulator(board, elf)
    with emu as url:
        dev = SocketDevice(url, emu.clock)
        try:
            assert dev.client.read_line() == "m-init-done"
            assert dev.client.read_line() == "m-ready"
            yield dev.client
        finally:
            dev.close()


@contextmanager
def booted(executable: Path):
    """The client of a host tg_device past its boot lines (m-init-done, m-ready); the
    process is killed afterwards."""
    dev = PipeDevice(executable)
    try:
        assert dev.client.read_line() == "m-init-done"
        assert dev.client.read_line() == "m-ready"
        yield dev.client
    finally:
        dev.close()


def field(line: str, prefix: str) -> str:
    """The text between `PREFIX[` and the closing `]` of a line."""
    assert line.startswith(prefix + "[") and line.endswith("]"), f"expected {prefix}[...], got {line!r}"
    return line[len(prefix) + 1:-1]


def tg_run(client: ProtocolClient, x: np.ndarray) -> tuple[bytes, int]:
    """`tg run N` + the input's bytes: the raw outputs and the counter units of the invoke."""
    data = x.astype(np.int8).tobytes()
    out, count = client.command(f"tg run {len(data)}", data)
    return bytes.fromhex(field(out, "m-tg-out-")), int(field(count, "m-tg-count-"))


def out_bytes(graph, x: np.ndarray) -> bytes:
    """What m-tg-out carries for input x: the reference outputs' int8 bytes, back to back."""
    ref = run(graph, x)
    return b"".join(ref[name].astype(np.int8).tobytes() for name in graph.outputs)


def layer_bytes(graph, x: np.ndarray) -> list[bytes]:
    """Each layer's (kernel node's) reference output bytes, in layer order."""
    values = run(graph, x, keep_all=True)
    return [values[n.outputs[0]].astype(np.int8).tobytes() for n in graph.nodes if n.kernel]


def f3(v: np.float32) -> str:
    """tg_io_f3 (firmware/runtime/tg_io.c) in float32: v * 1000 rounded half away from zero."""
    v = np.float32(v)
    if np.isnan(v):
        return "nan"
    sign = "-" if v < 0 else ""
    m = np.float32(np.abs(v) * np.float32(1000.0))
    if not m < np.float32(9.2e18):
        return sign + "inf"
    t = int(m)
    if np.float32(m - np.float32(t)) >= np.float32(0.5):
        t += 1
    return f"{sign}{t // 1000}.{t % 1000:03d}"


def results_text(graph, x: np.ndarray) -> str:
    """What m-results carries for input x: every output dequantized in float32, 3 decimals."""
    ref = run(graph, x)
    values = []
    for name in graph.outputs:
        q = graph.tensor(name).qparams
        scale, zero_point = np.float32(q.scale[0]), int(q.zero_point[0])
        values += [f3(scale * np.float32(int(v) - zero_point)) for v in ref[name].ravel()]
    return ",".join(values)
