"""Boot a firmware on a board's QEMU stand-in with its serial port on a local TCP port.

    with Emulator(board, "build/m/firmware-emu.elf") as url:   # socket://127.0.0.1:PORT
        link = Link.open(url)

QEMU listens with `wait=on`: the guest does not start until the harness
connects, so nothing it prints is lost. The socket goes through QEMU's serial
multiplexer (`mux=on`, SERIAL_CHARDEV), which holds up to 32 received bytes in
front of the guest's UART: the CMSDK UART of the MPS2 stand-ins holds one byte,
and without the multiplexer each byte waits for a round of QEMU's I/O thread
after the guest took the one before; with it the guest's read of the UART pulls
the next byte from the buffer at once (measured with the ports' WFI reads: 10
instead of 24 us of QEMU's CPU per byte, twice the upload speed;
benchmarks/serial_link.py; re-measured 2026-12-01 on a 2-core machine: 27 us, 50 KB/s, two thirds
of it system time, since QEMU 7.2 still moves one byte per turn of its I/O thread: the
multiplexer's can_read answers 1). `-echr 256` turns off the multiplexer's Ctrl-A
commands, which no byte can then start: binary uploads pass unchanged. The port is picked free (bind to port 0);
if another process takes it first, QEMU is started again on a new one.

Its deadlines (starting, waiting for the guest to exit) keep QEMU's own time
(`emu.clock`, tinygen.hil.deadline.ProcessClock): a loaded host slows QEMU
down, it does not make it time out. Links to it keep the same clock.

QEMU is always stopped on the way out: normal exit, exception, Ctrl-C, SIGTERM
(turned into SystemExit while an emulator runs in the main thread), interpreter
exit (atexit), and, should this process be killed outright, by the kernel: on
Linux QEMU is started through `setpriv --pdeathsig TERM --` (util-linux), which
asks for the parent-death signal and execs QEMU in place (same pid, so QEMU's
clock and stop() keep working). The kernel sends it when the *thread* that
started QEMU ends: an emulator must not outlive the thread that started it.

No preexec_fn: with one, CPython forks instead of using vfork, and fork runs
every library's pthread_atfork handlers in the starting thread. OpenBLAS's
(blas_thread_shutdown_) hangs for good when another thread is inside a numpy
matmul, which is what `--kernels auto` did: variants measured in threads while
calibration ran a float reference (tests/run/test_hil_qemu.py).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import signal
import socket
import subprocess
import threading
from collections import deque
from pathlib import Path

from tinygen.board import Board, all_boards
from tinygen.errors import TinygenError, ToolchainError, UsageError
from tinygen.hil.deadline import WALL, Clock, Deadline, clock_for, wait_exit

WAITING = "waiting for connection"
PORT_IN_USE = "Address already in use"
START_TIMEOUT = 10.0
SERIAL_ID = "tgserial"
# above any byte: the multiplexer's escape character (Ctrl-A by default) can never arrive
NO_ESCAPE = "256"
PORT_ATTEMPTS = 5

_live: set["Emulator"] = set()
_lock = threading.Lock()
_saved_sigterm = None


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@functools.lru_cache(maxsize=None)
def die_with_parent() -> tuple[str, ...]:
    """The command prefix that has the kernel send QEMU SIGTERM when the thread that started it
    ends: setpriv's --pdeathsig (util-linux 2.33 and later), or nothing where there is none
    (then only the atexit and SIGTERM cleanup stop QEMU)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return ()
    try:        # an older setpriv lacks the option, and would fail every start
        usage = subprocess.run([setpriv, "--help"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return (setpriv, "--pdeathsig", "TERM", "--") if "--pdeathsig" in usage else ()


def _on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def _register(emu: "Emulator") -> None:
    global _saved_sigterm
    with _lock:
        if not _live and threading.current_thread() is threading.main_thread():
            current = signal.getsignal(signal.SIGTERM)
            if current in (signal.SIG_DFL, None):
                _saved_sigterm = current
                signal.signal(signal.SIGTERM, _on_sigterm)
        _live.add(emu)


def _unregister(emu: "Emulator") -> None:
    global _saved_sigterm
    with _lock:
        _live.discard(emu)
        if not _live and _saved_sigterm is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _saved_sigterm)
            _saved_sigterm = None


@atexit.register
def _stop_all() -> None:
    for emu in list(_live):
        emu.stop()


class Emulator:
    """A QEMU stand-in running one firmware; a context manager giving its socket:// URL."""

    def __init__(self, board: Board, elf: str | Path, extra_args: tuple[str, ...] = (),
                 start_timeout: float = START_TIMEOUT):
        if board.emulator is None:
            raise UsageError(f"board {board.name} has no emulated stand-in",
                             no_emulator_hint(board))
        self.board = board
        self.elf = Path(elf)
        self.extra_args = tuple(extra_args)
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None
        self.clock: Clock = WALL          # QEMU's own time once it runs
        self.port = 0
        self.url = ""
        self._output: deque[str] = deque(maxlen=200)
        self._waiting = threading.Event()
        self._readers: list[threading.Thread] = []

    @property
    def qemu(self) -> str:
        return self.board.emulator.get("qemu", "qemu-system-arm")

    def command(self, port: int) -> list[str]:
        emu = self.board.emulator
        return [self.qemu, "-M", emu["machine"], "-display", "none", "-monitor", "none",
                *serial_args(port), *emu.get("args", []), *self.extra_args, "-kernel", str(self.elf)]

    def __enter__(self) -> str:
        self.start()
        return self.url

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> str:
        exe = shutil.which(self.qemu)
        if exe is None:
            install = self.board.emulator.get("install")
            raise ToolchainError(f"{self.qemu} is not installed (the {self.board.name} stand-in needs it)",
                                 f"install it: {install}" if install else f"install {self.qemu}")
        if not self.elf.is_file():
            raise TinygenError(f"no emulator firmware at {self.elf}",
                               f"build it first: tinygen build MODEL --board {self.board.name} -o DIR "
                               "(writes DIR/firmware-emu.elf)")
        _register(self)
        try:
            for _ in range(PORT_ATTEMPTS):
                if self._launch(free_port()):
                    return self.url
            raise TinygenError(f"QEMU could not get a free TCP port in {PORT_ATTEMPTS} attempts",
                               "another program is grabbing local ports; try again")
        except BaseException:
            self.stop()
            raise

    def _launch(self, port: int) -> bool:
        """Start QEMU on `port`; True once it listens, False if the port was taken."""
        self._output.clear()
        self._waiting.clear()
        # no preexec_fn (see the module's doc): CPython then starts QEMU with vfork, no fork handlers run
        self.proc = subprocess.Popen([*die_with_parent(), *self.command(port)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                                     start_new_session=True)
        self._readers = [threading.Thread(target=self._read, args=(stream,), daemon=True)
                         for stream in (self.proc.stdout, self.proc.stderr)]
        for t in self._readers:
            t.start()
        self.clock = clock_for([self.proc.pid], "QEMU")
        deadline = Deadline(self.clock, self.start_timeout)
        while not self._waiting.wait(0.01):
            if self.proc.poll() is not None:
                for t in self._readers:
                    t.join(timeout=1)
                if any(PORT_IN_USE in line for line in self._output):
                    return False
                raise TinygenError(f"QEMU exited with status {self.proc.returncode} while starting "
                                   f"{self.elf.name} on {self.board.emulator['machine']}:\n{self.output}",
                                   "check that the firmware was built for this board's stand-in "
                                   "(firmware-emu.elf)")
            if deadline.expired():
                raise TinygenError(f"QEMU did not open its serial port within {deadline.describe()}:\n"
                                   f"{self.output}")
        self.port = port
        self.url = f"socket://127.0.0.1:{port}"
        return True

    def _read(self, stream) -> None:
        for line in stream:
            self._output.append(line.rstrip("\n"))
            if WAITING in line:
                self._waiting.set()

    @property
    def output(self) -> str:
        """What QEMU and the guest (semihosting) printed, last 200 lines."""
        return "\n".join(self._output)

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def wait(self, timeout: float) -> int:
        """Wait for the guest to exit (e.g. after `tg exit N`), `timeout` seconds of
        QEMU's own time; its status is QEMU's."""
        status = wait_exit(self.proc, timeout, self.clock)
        if status is None:
            raise TinygenError(f"QEMU ({self.elf.name}) did not exit within {timeout:g} {self.clock.what}")
        return status

    def stop(self) -> None:
        """Terminate QEMU (then kill it); safe to call twice."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                proc.terminate()
                proc.wait(2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            except ProcessLookupError:
                pass
        for t in self._readers:
            t.join(timeout=1)
        _unregister(self)


def serial_args(port: int) -> list[str]:
    """QEMU's first serial port on 127.0.0.1:`port` (a TCP server that waits for its
    client), through the serial multiplexer's 32-byte buffer, escape commands off."""
    return ["-chardev", f"socket,id={SERIAL_ID},host=127.0.0.1,port={port},server=on,wait=on,nodelay=on,mux=on",
            "-serial", f"chardev:{SERIAL_ID}", "-echr", NO_ESCAPE]


def no_emulator_hint(board: Board) -> str:
    with_emulator = [b.name for b in all_boards() if b.emulator is not None]
    if board.name.startswith("esp32"):
        return ("no QEMU for the Xtensa ESP32 here: use --board esp32-c3 --emulate (RISC-V, QEMU virt) "
                "or flash the real board")
    return f"boards with a stand-in: {', '.join(with_emulator) or 'none'}; or run on the real board with --port"


__all__ = ["Emulator", "die_with_parent", "free_port", "no_emulator_hint", "serial_args"]
