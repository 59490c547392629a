"""The runtime on the RISC-V virt port (firmware/ports/riscv_virt), the ESP32-C3
stand-in: a model's C, the kernels, the runtime and the port compiled with
riscv64-unknown-elf-gcc (freestanding, -Wall -Wextra -Werror), linked with
templates/linker/riscv.ld.j2, run under qemu-system-riscv32 -M virt with
-icount, and driven over its UART through a TCP socket with pyserial.

This test builds the firmware with a few direct compiler calls (build_virt_elf
below); the generated project's Makefile builds the same sources for boards
whose stand-in is RISC-V virt.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import jinja2
import numpy as np
import pytest

from _protocol import ProtocolClient, out_bytes, tg_run
from e2e import build_host, compile_example, random_inputs
from tinygen.board import get_board
from tinygen.codegen.firmware_files import copy_firmware, runtime_files
from tinygen.hil.deadline import DEFAULT_TIMEOUT, STANDIN
from tinygen.hil.link import open_port
from tinygen.resources import data_dir
from tinygen.run.qemu import Emulator

CC = "riscv64-unknown-elf-gcc"
QEMU = "qemu-system-riscv32"
CFLAGS = ["-march=rv32imc_zicsr", "-mabi=ilp32", "-ffreestanding", "-O2", "-ffunction-sections",
          "-fdata-sections", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wdouble-promotion"]
LDFLAGS = ["-march=rv32imc", "-mabi=ilp32", "-nostdlib", "-nostartfiles", "-Wl,--gc-sections"]
# The ESP32-C3's flash and RAM sizes at the virt stand-in's addresses (boards/esp32-c3.toml).
BOARD = get_board("esp32-c3")
FLASH = (int(BOARD.emulator["flash_origin"]), int(BOARD.region("flash")["size"]))
RAM = (int(BOARD.emulator["ram_origin"]), int(BOARD.region("ram")["size"]))
STACK = BOARD.stack_size
MODEL = "mlp"
RUNS = 20

pytestmark = pytest.mark.skipif(
    shutil.which(CC) is None or shutil.which(QEMU) is None,
    reason=f"needs {CC} and {QEMU}: sudo apt-get install -y --no-install-recommends "
           "gcc-riscv64-unknown-elf qemu-system-misc")


def render_linker_script(path: Path) -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
                             undefined=jinja2.StrictUndefined)
    path.write_text(env.get_template("linker/riscv.ld.j2").render(
        flash_origin=f"0x{FLASH[0]:08X}", flash_size=f"0x{FLASH[1]:X}",
        ram_origin=f"0x{RAM[0]:08X}", ram_size=f"0x{RAM[1]:X}", stack_size=f"0x{STACK:X}"))


def build_virt_elf(project: Path) -> Path:
    """Compile a generated project's model + kernels, the runtime and the virt port; link fw.elf."""
    port_srcs = copy_firmware(runtime_files("riscv_virt"), project)
    srcs = ["model.c", "weights.c"] + sorted(f"tinygen/kernels/{p.name}" for p in
                                            (project / "tinygen" / "kernels").glob("*.c")) + port_srcs
    includes = ["-I.", "-Itinygen/kernels", "-Itinygen/runtime", "-Itinygen/ports/riscv_virt"]
    objs = project / "obj-virt"
    objs.mkdir()
    for src in srcs:
        proc = subprocess.run([CC, *CFLAGS, *includes, "-c", src, "-o", str(objs / (Path(src).stem + ".o"))],
                              cwd=project, capture_output=True, text=True)
        assert proc.returncode == 0, f"{src}:\n{proc.stderr}"
    render_linker_script(project / "virt.ld")
    elf = project / "fw.elf"
    proc = subprocess.run([CC, *LDFLAGS, "-T", "virt.ld", "-o", str(elf), *sorted(map(str, objs.glob("*.o"))),
                           "-lgcc"], cwd=project, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return elf


class VirtDevice:
    """fw.elf on the esp32-c3 stand-in (tinygen.run.qemu.Emulator: QEMU virt, its UART on a
    free local TCP port), spoken to through pyserial; timeouts on QEMU's own time."""

    def __init__(self, elf: Path):
        serial = pytest.importorskip("serial", reason="pyserial is needed to talk to the stand-in")
        self.qemu = Emulator(BOARD, elf)
        self.ser = None
        try:
            url = self.qemu.start()
            self.ser = serial.serial_for_url(url, timeout=1, do_not_open=True)
            open_port(self.ser, url)            # keeps the boot line pyserial's open() would drop
            self.ser._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except BaseException:
            self.close()
            raise
        self._serial_error = serial.SerialException
        self.client = ProtocolClient(self.ser.write, self._read_some, self.qemu.clock)

    def _read_some(self, timeout: float) -> bytes:
        self.ser.timeout = timeout
        got = b""
        try:
            got = self.ser.read(1)
            if got:
                got += self.ser.read(self.ser.in_waiting)
        except self._serial_error:       # QEMU left (tg exit): nothing more will come
            if not got:
                time.sleep(timeout)
        # what arrived before QEMU closed the socket (a reply's last byte) is kept
        return got

    def close(self) -> int | None:
        if self.ser is not None:
            self.ser.close()
        self.qemu.stop()
        return self.qemu.returncode


@pytest.fixture(scope="module")
def firmware(tmp_path_factory):
    source, graph = compile_example(MODEL)
    project = tmp_path_factory.mktemp("virt") / MODEL
    build_host(source, graph, project)       # the generated C; the host binaries are not used
    return graph, build_virt_elf(project), random_inputs(source, graph, RUNS, seed=31)


@pytest.fixture
def device(firmware):
    dev = VirtDevice(firmware[1])
    try:
        try:
            boot = dev.client.read_reply()
        except TimeoutError as e:           # say what QEMU printed (a boot line that never came, under load)
            raise AssertionError(f"{e}\nQEMU printed:\n{dev.qemu.output}") from None
        assert boot == ["m-init-done"]
        yield dev
    finally:
        dev.close()


def test_tg_run_bit_exact_riscv_virt(device, firmware):
    graph, _, inputs = firmware
    (info,) = device.client.command("tg info")
    assert "counter=instructions" in info and "clock_hz=0" in info
    counts = []
    for i, x in enumerate(inputs):
        out, count = tg_run(device.client, x)
        assert out == out_bytes(graph, x), f"input {i}: the stand-in differs from the reference"
        counts.append(count)
    assert min(counts) > 0
    # exact instruction counting: the same input costs the same, every time
    assert tg_run(device.client, inputs[0])[1] == counts[0]


def test_lap_lines_count_instructions_riscv_virt(device, firmware):
    graph, _, inputs = firmware
    (lap,) = device.client.command("timestamp")
    assert lap.startswith("m-lap-instr-") and int(lap[len("m-lap-instr-"):]) > 0
    data = inputs[0].astype(np.int8).tobytes()
    device.client.command(f"tg load {len(data)}", data)
    lines = device.client.command("infer 2 1")
    laps = [int(line[len("m-lap-instr-"):]) for line in lines if line.startswith("m-lap-instr-")]
    assert len(laps) == 2 and laps[1] > laps[0]
    assert not any("lap-us" in line for line in lines)


def test_truncated_upload_riscv_virt(device, firmware):
    graph, _, inputs = firmware
    data = inputs[1].astype(np.int8).tobytes()
    device.client.send(f"tg load {len(data)}%".encode() + data[:5])
    # the firmware's 500 ms: virtual time, asleep in WFI, about 0.5 s of the host's
    answer = device.client.read_reply(timeout=STANDIN.device_timeout + DEFAULT_TIMEOUT)
    assert answer == [f"e-[upload truncated: got 5 of {len(data)} bytes]"]
    out, _ = tg_run(device.client, inputs[1])
    assert out == out_bytes(graph, inputs[1])


def test_reads_sleep_until_bytes_come_riscv_virt(device, firmware):
    """The port's reads sleep in WFI until the UART's interrupt: a command sent long after
    the firmware began waiting is still read, and every byte value of an upload arrives."""
    graph, _, inputs = firmware
    time.sleep(0.5)
    for x in inputs[:3]:
        out, _ = tg_run(device.client, x)
        assert out == out_bytes(graph, x)
    size = inputs[0].astype(np.int8).nbytes
    data = ((bytes(range(256)) + b"\x01x\x01c") * (size // 260 + 1))[:size]
    assert device.client.command(f"tg load {size}", data) == ["m-load-done"]
    dump = device.client.command("db print")      # m-buffer-xx-xx-..., 8 bytes a line
    assert bytes.fromhex("".join(line[len("m-buffer-"):].replace("-", "") for line in dump)) == data


@pytest.mark.parametrize("code", [0, 3])
def test_exit_stops_qemu_riscv_virt(device, code):
    device.client.send(f"tg exit {code}%".encode())
    assert device.client.read_line() == f"m-tg-exit-[{code}]"
    assert device.qemu.wait(timeout=DEFAULT_TIMEOUT) == code
