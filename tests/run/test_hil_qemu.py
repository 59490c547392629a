"""The QEMU launcher (tinygen.run.qemu): free ports, the serial link, and that
QEMU never outlives its `with` block, whatever ends it."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from e2e import compile_example
from tinygen.board import get_board
from tinygen.compiler import build
from tinygen.errors import TinygenError, ToolchainError, UsageError
from tinygen.hil.client import Device, DeviceError
from tinygen.hil.deadline import STANDIN, Deadline, clock_for, wait_exit
from tinygen.hil.link import Link, LinkError
from standin_lib import alive
from tinygen.run import qemu
from tinygen.run.qemu import Emulator

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(qemu.shutil.which("qemu-system-arm") is None or
                                qemu.shutil.which("arm-none-eabi-gcc") is None,
                                reason="needs qemu-system-arm and arm-none-eabi-gcc (make toolchain)")


def gone_within(pid: int, seconds: float) -> bool:
    """Whether `pid` ends within `seconds` of its own time (a loaded machine only slows it)."""
    deadline = Deadline(clock_for([pid], f"process {pid}"), seconds)
    while not deadline.expired():
        if not alive(pid):
            return True
        time.sleep(0.05)
    return not alive(pid)


@pytest.fixture(scope="module")
def f746():
    return get_board("f746zg")


@pytest.fixture(scope="module")
def elf(f746, tmp_path_factory) -> Path:
    source, graph = compile_example("mlp")
    out = tmp_path_factory.mktemp("qemu") / "mlp"
    build(source, graph, f746, out)
    return out / "firmware-emu.elf"


def handshake(emu: Emulator) -> str:
    with Link.open(emu.url, clock=emu.clock) as link:
        return Device(link, pace=STANDIN).connect()


def test_qemu_two_emulators_get_their_own_ports(f746, elf):
    a, b = Emulator(f746, elf), Emulator(f746, elf)
    with a as url_a, b as url_b:
        assert url_a != url_b and url_a.startswith("socket://127.0.0.1:")
        assert handshake(a) == handshake(b) == "tinygen"


def test_qemu_stopped_after_exception(f746, elf):
    emu = Emulator(f746, elf)
    with pytest.raises(RuntimeError, match="boom"):
        with emu:
            assert handshake(emu) == "tinygen"
            pid = emu.proc.pid
            raise RuntimeError("boom")
    assert not alive(pid)
    assert emu not in qemu._live


def test_qemu_stopped_after_keyboard_interrupt_before_connect(f746, elf):
    emu = Emulator(f746, elf)
    with pytest.raises(KeyboardInterrupt):
        with emu:
            pid = emu.proc.pid                 # QEMU waits for a connection that never comes
            raise KeyboardInterrupt
    assert not alive(pid)


def test_qemu_exit_status_is_the_firmware_s(f746, elf):
    emu = Emulator(f746, elf)
    with emu as url, Link.open(url, clock=emu.clock) as link:
        dev = Device(link, pace=STANDIN)
        dev.connect()
        dev.exit(42)
        assert emu.wait(10) == 42
        with pytest.raises(LinkError, match="went away"):
            dev.name()


def test_qemu_retries_when_the_port_is_taken(f746, elf, monkeypatch):
    taken = socket.create_server(("127.0.0.1", 0))
    ports = [taken.getsockname()[1]]
    real = qemu.free_port

    def pick():
        return ports.pop() if ports else real()

    monkeypatch.setattr(qemu, "free_port", pick)
    try:
        emu = Emulator(f746, elf)
        with emu:
            assert emu.port != taken.getsockname()[1]
            assert handshake(emu) == "tinygen"
    finally:
        taken.close()


def test_qemu_missing_gives_install_line(f746, elf):
    board = dataclasses.replace(f746, emulator={**f746.emulator, "qemu": "qemu-system-nonexistent"})
    with pytest.raises(ToolchainError, match="qemu-system-nonexistent is not installed") as err:
        with Emulator(board, elf):
            pass
    assert f746.emulator["install"] in err.value.hint


def test_qemu_dying_early_shows_its_stderr(f746, elf):
    emu = Emulator(f746, elf, extra_args=("-no-such-option",))
    with pytest.raises(TinygenError, match=r"QEMU exited with status 1 .*\n.*-no-such-option"):
        with emu:
            pass
    assert emu.returncode is not None


def test_qemu_missing_firmware(f746, tmp_path):
    with pytest.raises(TinygenError, match="no emulator firmware") as err:
        with Emulator(f746, tmp_path / "firmware-emu.elf"):
            pass
    assert "tinygen build" in err.value.hint


def test_qemu_board_without_standin_suggests_esp32_c3():
    with pytest.raises(UsageError, match="esp32-devkitc has no emulated stand-in") as err:
        Emulator(get_board("esp32"), "x.elf")
    assert "esp32-c3 --emulate" in err.value.hint


def qemu_cpu_seconds(pid: int) -> float:
    """User + system CPU time of all of a process's threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


AUDIO_BYTES_PER_S = 32_000          # 16 kHz int16: what the link must carry for real-time audio


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads QEMU's CPU time from /proc")
def test_qemu_serial_link_carries_audio_in_qemu_cpu_time(f746, elf):
    """The link in the emulator's own terms, QEMU's CPU time, which the host's load hardly
    changes (its wall time is benchmarks/serial_link.py's business): 32,000 bytes, a second
    of 16 kHz audio, cost QEMU under a CPU-second (measured 0.3-0.4 s; 1.4-2 s when the port
    polled the UART), every byte value arrives unchanged, and a firmware waiting for a
    command sleeps instead of spinning."""
    emu = Emulator(f746, elf)
    with emu as url, Link.open(url, clock=emu.clock) as link:
        dev = Device(link, pace=STANDIN)
        dev.connect()
        size = dev.info()["max_upload"]
        payload = bytes(range(256)) * (AUDIO_BYTES_PER_S // 256 + 1)
        n = AUDIO_BYTES_PER_S if AUDIO_BYTES_PER_S != size else AUDIO_BYTES_PER_S + 2
        cpu0 = qemu_cpu_seconds(emu.proc.pid)
        with pytest.raises(DeviceError, match=rf"\(discarded {n} bytes\)"):   # read whole, then dropped
            dev.command(f"tg load {n}", payload[:n])
        cpu = qemu_cpu_seconds(emu.proc.pid) - cpu0
        assert cpu < n / AUDIO_BYTES_PER_S, f"QEMU took {cpu:.2f} CPU-s for {n} bytes: slower than audio"

        data = ((bytes(range(256)) + b"\x01x\x01c") * (size // 260 + 1))[:size]   # Ctrl-A x: quit, if escapes were on
        assert dev.command(f"tg load {size}", data).lines == ["m-load-done"]
        dump = dev.command("db print").lines                                     # m-buffer-xx-xx-..., 8 a line
        assert bytes.fromhex("".join(line[len("m-buffer-"):].replace("-", "") for line in dump)) == data

        cpu0 = qemu_cpu_seconds(emu.proc.pid)
        time.sleep(1.0)
        idle = qemu_cpu_seconds(emu.proc.pid) - cpu0
        assert idle < 0.3, f"QEMU used {idle:.2f} CPU-s in 1 s while the firmware waited for a command"
        assert dev.name() == "tinygen"


SCRIPT = textwrap.dedent("""
    import sys, threading, time
    from tinygen.board import get_board
    from tinygen.run.qemu import Emulator

    def hold():
        emu = Emulator(get_board("f746zg"), sys.argv[1])
        with emu:
            print(emu.proc.pid, flush=True)
            time.sleep(60)

    if sys.argv[2] == "thread":
        threading.Thread(target=hold).start()
    else:
        hold()
""")
# the parent-death signal: without setpriv nothing ends QEMU when its harness is killed outright
needs_setpriv = pytest.mark.skipif(not qemu.die_with_parent(), reason="needs util-linux's setpriv --pdeathsig")


@pytest.mark.parametrize("how, where", [(signal.SIGTERM, "main"),
                                        pytest.param(signal.SIGKILL, "main", marks=needs_setpriv),
                                        pytest.param(signal.SIGKILL, "thread", marks=needs_setpriv)],
                         ids=["sigterm", "sigkill", "sigkill-thread"])
def test_qemu_stopped_when_the_harness_is_killed(elf, how, where, tmp_path):
    """SIGTERM unwinds the `with` block; SIGKILL leaves that no chance, and the
    kernel ends QEMU (parent-death signal), also one a thread other than the main
    one started (as `--kernels auto` measures variants)."""
    script = tmp_path / "hold.py"
    script.write_text(SCRIPT)
    harness = subprocess.Popen([sys.executable, str(script), str(elf), where], stdout=subprocess.PIPE, text=True,
                               cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        line = harness.stdout.readline().strip()
        assert line, "the harness script did not start QEMU"
        qemu_pid = int(line)
        assert alive(qemu_pid)
        harness.send_signal(how)
        assert wait_exit(harness, 10) is not None, "the harness did not end"
        assert gone_within(qemu_pid, 5), f"QEMU (pid {qemu_pid}) outlived its harness after {how.name}"
    finally:
        if harness.poll() is None:
            harness.kill()
            harness.wait()


@needs_setpriv
def test_qemu_pid_is_qemu_s_through_setpriv(f746, elf):
    """setpriv execs QEMU in place: the process the emulator keeps (its clock, stop()) is QEMU."""
    emu = Emulator(f746, elf)
    with emu:
        assert emu.proc.args[:4] == list(qemu.die_with_parent())
        assert Path(f"/proc/{emu.proc.pid}/exe").resolve().name == Path(qemu.shutil.which(emu.qemu)).name
        pid = emu.proc.pid
    assert not alive(pid)


BLAS_SCRIPT = textwrap.dedent("""
    import sys, threading
    import numpy as np
    from tinygen.board import get_board
    from tinygen.run.qemu import Emulator

    board, going, done = get_board("f746zg"), threading.Event(), threading.Event()

    def products():             # OpenBLAS's threads at work the whole time
        a = np.ones((1500, 1500))
        while not done.is_set():
            a @ a
            going.set()

    def starts():
        for _ in range(8):
            with Emulator(board, sys.argv[1]):
                pass
        started.append(True)

    started, busy = [], threading.Thread(target=products)
    busy.start()
    going.wait()
    starters = [threading.Thread(target=starts) for _ in range(3)]
    for t in starters:
        t.start()
    for t in starters:
        t.join()
    done.set()
    busy.join()         # OpenBLAS's exit handler, too, hangs while its threads are at work
    sys.exit(0 if len(started) == len(starters) else 1)
""")
BLAS_THREADS = "4"
HANG_S = 60         # 24 starts take a few seconds; a start that deadlocked never returns


def test_qemu_starts_in_threads_beside_numpy_matmuls(elf, tmp_path):
    """Threads start stand-ins while another runs numpy matmuls on OpenBLAS's threads (as
    `--kernels auto` measures variants while calibration runs a float reference): every start
    returns. With a preexec_fn CPython forked, and OpenBLAS's fork handler in the starting thread
    waited for good for its busy workers (in 6 of 6 runs of this script on 2 cores)."""
    script = tmp_path / "blas.py"
    script.write_text(BLAS_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": BLAS_THREADS}  # the suite's is 1
    try:
        done = subprocess.run([sys.executable, str(script), str(elf)], capture_output=True, text=True, cwd=ROOT,
                              env=env, timeout=HANG_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"starting QEMU beside numpy matmuls hung (no start returned within {HANG_S} s)")
    assert done.returncode == 0, done.stderr
