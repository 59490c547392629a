"""Cortex-M board support (firmware/ports/cortexm, stm32f7, stm32f4, stm32u5, stm32n6, rp2350,
mps2) and the Cortex-M linker template, built with each board file's own flags.

- Every port compiles and links warning-free (-Wall -Wextra -Werror -Wshadow
  -Wdouble-promotion) against the linker script rendered for the real part
  and for its stand-in; the vector table sits at the start of flash.
- .data + .bss + stack beyond the part's RAM fails the link ("region `RAM'
  overflowed"); so does a constant beyond its flash.
- On the MPS2 / MPS3 stand-ins (mps2-an500, mps2-an386, mps2-an505 for the
  Cortex-M33 boards, mps3-an547 for the Cortex-M55), a test program echoes bytes
  over the UART, measures a loop of known length with the counter (executed
  instructions: one timer tick per 40, 50 on the AN505, 31.25 on the AN547), times
  out a read, takes a fault, and
  exits with a chosen status through semihosting. Reads sleep in WFI until the
  UART's receive interrupt or the timeout's alarm: a byte sent long after the
  read began still ends it, a timeout still fires, every byte value arrives
  unchanged through the harness's serial chardev (tinygen.run.qemu.serial_args).
- The real STM32F446 image runs on QEMU's netduinoplus2 (an STM32F405 model
  with the same USART2 but no clock tree): the port falls back to the HSI,
  echoes over USART2, and its timeouts end although QEMU's DWT counter stands still.
"""

from __future__ import annotations

import re
import shutil
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest

from standin_lib import TICK_INSTRUCTIONS, layout, port_sources, render_linker_script
from tinygen.board import get_board
from tinygen.codegen.project import write_board_header
from tinygen.hil.deadline import Deadline, clock_for, wait_exit
from tinygen.hil.link import open_port
from tinygen.resources import data_dir
from tinygen.run.qemu import serial_args

CC = "arm-none-eabi-gcc"
QEMU = "qemu-system-arm"
FIRMWARE = data_dir("firmware")
PORTS = FIRMWARE / "ports"
LINK = ("-nostartfiles", "--specs=nano.specs", "-Wl,--gc-sections")
EXIT_FAULT = 0x7F                # TG_EXIT_FAULT in tg_cortexm.h

pytestmark = pytest.mark.skipif(shutil.which(CC) is None,
                                reason=f"{CC} is not installed (make toolchain installs it)")
needs_qemu = pytest.mark.skipif(shutil.which(QEMU) is None,
                                reason=f"{QEMU} is not installed (make toolchain installs it)")

# Exercises the tg_port.h interface: one-letter commands, 32-bit little-endian arguments.
TEST_PROGRAM = r"""
#include <stddef.h>
#include <stdint.h>

#include "tg_port.h"

#ifdef TG_TEST_BIG
volatile uint8_t tg_test_big[TG_TEST_BIG];
#endif
#ifdef TG_TEST_ROM
const uint8_t tg_test_rom[TG_TEST_ROM] = {1};
#endif

static void put(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    tg_port_write(s, n);
}

static void put_kv(const char *key, uint64_t v)
{
    char buf[21];
    size_t i = sizeof buf;
    do {
        buf[--i] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0u);
    put(key);
    tg_port_write(&buf[i], sizeof buf - i);
    put("\n");
}

/* Exactly two instructions per iteration: subs, bne. */
static void spin(uint32_t n)
{
    __asm volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
}

static uint32_t get_u32(void)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        v |= (uint32_t)tg_port_getc(0) << (8 * i);
    }
    return v;
}

static volatile float s_scale = 1.5f; /* a single-precision multiply: faults if the FPU is off */

int main(void)
{
    tg_port_init();
    put("port=");
    put(tg_port_name());
    put("\n");
    put_kv("kind=", (uint64_t)tg_port_counter_kind());
    put_kv("clock=", tg_port_clock_hz());
    put_kv("fpu=", (uint64_t)(s_scale * 2.0f));
#ifdef TG_TEST_BIG
    tg_test_big[0] = 1u;
#endif
#ifdef TG_TEST_ROM
    put_kv("rom=", tg_test_rom[tg_port_counter() & 1u]);
#endif
    put("ready\n");
    for (;;) {
        int c = tg_port_getc(0);
        if (c == 'E') {            /* E n: echo the next n bytes */
            uint32_t n = get_u32();
            for (uint32_t i = 0; i < n; i++) {
                char b = (char)tg_port_getc(0);
                tg_port_write(&b, 1);
            }
        } else if (c == 'C') {     /* C n: the counter across spin(n) */
            uint32_t n = get_u32();
            uint64_t t0 = tg_port_counter();
            spin(n);
            uint64_t t1 = tg_port_counter();
            put_kv("count=", t1 - t0);
        } else if (c == 'T') {     /* T ms: a read that times out */
            uint32_t ms = get_u32();
            uint64_t t0 = tg_port_counter();
            int r = tg_port_getc(ms);
            uint64_t t1 = tg_port_counter();
            put_kv("timeout=", (uint64_t)(r < 0));
            put_kv("elapsed=", t1 - t0);
        } else if (c == 'X') {     /* X code: leave with a status */
            tg_port_exit((int)get_u32());
        } else if (c == 'F') {     /* F: write to an unmapped address */
            put("fault\n");
            *(volatile uint32_t *)0xFFFFFFF0u = 1u;
        }
    }
}
"""

BOARDS = ("nucleo-f746zg", "nucleo-f767zi", "nucleo-f446re", "stm32n6570-dk", "b-u585i-iot02a", "pico2", "nano33ble",
          "portenta-h7", "nicla-vision", "nucleo-h743zi")
CONFIGS = [(b, standin) for b in BOARDS for standin in (False, True)]


def config_id(config) -> str:
    board, standin = config
    return f"{board}-{'standin' if standin else 'real'}"


def build(tmp: Path, board_name: str, standin: bool, *defines: str) -> tuple[subprocess.CompletedProcess, Path]:
    board = get_board(board_name)
    port = board.emulator["port"] if standin else board.port
    tag = config_id((board_name, standin)) + "".join(f"-{d}" for d in defines).replace("=", "")
    (tmp / "port_test.c").write_text(TEST_PROGRAM)
    include = tmp / f"{board_name}-board"
    include.mkdir(exist_ok=True)
    write_board_header(board, include)          # the timestamp pin of the STM32 ports
    ld = render_linker_script(layout(board, standin), tmp / f"{tag}.ld")
    elf = tmp / f"{tag}.elf"
    arch = [f for f in board.cflags if f.startswith("-m")]
    cmd = [board.cc, *board.cflags, f"-I{PORTS / 'cortexm'}", f"-I{PORTS / port}", f"-I{FIRMWARE / 'runtime'}", f"-I{include}",
           *(f"-D{d}" for d in defines), str(tmp / "port_test.c"), *map(str, port_sources(port)),
           *arch, *LINK, "-T", str(ld), "-o", str(elf)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300), elf


@pytest.fixture(scope="module")
def elfs(tmp_path_factory) -> dict[tuple[str, bool], Path]:
    tmp = tmp_path_factory.mktemp("cortexm")
    out = {}
    for config in CONFIGS:
        proc, elf = build(tmp, *config)
        assert proc.returncode == 0 and proc.stderr == "", f"{config_id(config)}:\n{proc.stderr}"
        out[config] = elf
    return out


def symbol(elf: Path, name: str) -> int:
    nm = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True, check=True).stdout
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise AssertionError(f"{name} is not in {elf.name}")


def section_bytes(elf: Path, section: str, tmp: Path) -> bytes:
    out = tmp / (elf.stem + section + ".bin")
    subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", "-j", section, str(elf), str(out)], check=True)
    return out.read_bytes()


def vector_words(elf: Path, tmp: Path) -> tuple[int, int]:
    sp, reset = struct.unpack("<II", section_bytes(elf, ".isr_vector", tmp)[:8])
    return sp, reset


def test_rp2350_image_carries_its_image_def_in_the_first_4k(elfs, tmp_path):
    """The RP2350 boot ROM starts a flash image only with an IMAGE_DEF block in its first
    4 KB: the port's block follows the vector table (a START marker, an Arm Secure RP2350
    executable's IMAGE_TYPE item, the LAST item, a loop to itself, the END marker)."""
    elf = elfs[("pico2", False)]
    data = section_bytes(elf, ".isr_vector", tmp_path)
    words = struct.unpack(f"<{len(data) // 4}I", data)
    start = words.index(0xFFFFDED3)
    assert 16 <= start and 4 * (start + 5) <= 4096
    assert words[start + 1:start + 5] == (0x10210142, 0x000001FF, 0, 0xAB123579)


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_vector_table_starts_flash(config, elfs, tmp_path):
    board_name, standin = config
    board, elf = get_board(board_name), elfs[config]
    values = layout(board, standin)
    assert symbol(elf, "tg_vector_table") == values["flash_origin"]
    if "boot_origin" in values:     # the AN547 reads its reset vectors from its ITCM: a copy of the first two
        sp, reset = struct.unpack("<II", section_bytes(elf, ".tg_boot", tmp_path)[:8])
        assert (sp, reset) == (values["ram_origin"] + values["ram_size"], symbol(elf, "Reset_Handler") | 1)
        assert symbol(elf, "tg_vector_table") != values["boot_origin"]
    sp, reset = vector_words(elf, tmp_path)
    assert sp == values["ram_origin"] + values["ram_size"], "initial SP: the top of the part's RAM"
    assert reset == symbol(elf, "Reset_Handler") | 1, "reset vector: Reset_Handler, Thumb bit set"
    assert symbol(elf, "__stack_top__") - symbol(elf, "__stack_limit__") == board.stack_size


@pytest.mark.parametrize("board_name", BOARDS)
def test_ram_overflow_fails_the_link(board_name, tmp_path):
    board = get_board(board_name)
    room = board.region("ram")["size"] - board.stack_size
    proc, _ = build(tmp_path, board_name, False, f"TG_TEST_BIG={room - 1024}")
    assert proc.returncode == 0, proc.stderr
    proc, _ = build(tmp_path, board_name, False, f"TG_TEST_BIG={room + 8}")
    assert proc.returncode != 0 and "region `RAM' overflowed" in proc.stderr, proc.stderr
    # the stand-in keeps the real part's limit although QEMU's RAM is 4 MB
    proc, _ = build(tmp_path, board_name, True, f"TG_TEST_BIG={room + 8}")
    assert proc.returncode != 0 and "region `RAM' overflowed" in proc.stderr, proc.stderr


@pytest.mark.parametrize("board_name", ("nucleo-f446re",))
def test_flash_overflow_fails_the_link(board_name, tmp_path):
    proc, _ = build(tmp_path, board_name, False, f"TG_TEST_ROM={get_board(board_name).region('flash')['size'] + 1}")
    assert proc.returncode != 0 and "region `FLASH' overflowed" in proc.stderr, proc.stderr


def test_port_code_sizes(tmp_path):
    """text/data/bss of each port's objects (cortexm shared code counted once, apart)."""
    rows = []
    for port, board_name in (("cortexm", "nucleo-f746zg"), ("stm32f7", "nucleo-f746zg"),
                             ("stm32f4", "nucleo-f446re"), ("stm32u5", "b-u585i-iot02a"), ("stm32n6", "stm32n6570-dk"),
                             ("rp2350", "pico2"), ("nrf52840", "nano33ble"), ("stm32h7", "portenta-h7"),
                             ("mps2", "nucleo-f746zg")):
        board = get_board(board_name)
        include = tmp_path / f"{board_name}-board"
        include.mkdir(exist_ok=True)
        write_board_header(board, include)
        objs = []
        for src in sorted((PORTS / port).glob("*.c")):
            obj = tmp_path / f"{port}-{src.stem}.o"
            subprocess.run([board.cc, *board.cflags, f"-I{PORTS / 'cortexm'}", f"-I{FIRMWARE / 'runtime'}",
                            f"-I{include}", "-c", str(src), "-o", str(obj)], check=True, capture_output=True, text=True)
            objs.append(str(obj))
        size = subprocess.run(["arm-none-eabi-size", "-t", *objs], capture_output=True, text=True, check=True).stdout
        text, data, bss = map(int, size.strip().splitlines()[-1].split()[:3])
        rows.append((port, text, data, bss))
    print("\nport       text  data   bss")
    for port, text, data, bss in rows:
        print(f"{port:<9}{text:>6}{data:>6}{bss:>6}")
        # board support stays small: under 2 KB of code, a few words of state
        assert text < 2048 and data + bss <= 64, (port, text, data, bss)


class Emulator:
    """qemu-system-arm with its serial port on a free local TCP port, always killed on exit.
    Reads and waits allow TIMEOUT seconds of QEMU's own time (tinygen.hil.deadline)."""

    TIMEOUT = 10.0

    def __init__(self, args: list[str], serial_index: int = 0):
        self.args, self.serial_index = args, serial_index
        self._buf = b""

    def __enter__(self):
        serial = pytest.importorskip("serial", reason="pyserial is needed to talk to the stand-in")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        serials = ["-serial", "null"] * self.serial_index + serial_args(port)
        self.proc = subprocess.Popen([QEMU, "-display", "none", "-monitor", "none", *serials, *self.args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.clock = clock_for([self.proc.pid], "QEMU")
        deadline = Deadline(self.clock, self.TIMEOUT)
        while True:
            try:
                url = f"socket://127.0.0.1:{port}"
                self.serial = serial.serial_for_url(url, timeout=0, do_not_open=True)
                open_port(self.serial, url)      # keeps the boot lines pyserial's open() would drop
                break
            except serial.SerialException:
                if self.proc.poll() is not None or deadline.expired():
                    self.proc.kill()
                    raise AssertionError(f"QEMU did not listen: {self.proc.communicate()[1].decode()}")
                time.sleep(0.02)
        self.serial._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self

    def __exit__(self, *exc):
        self.serial.close()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def _fill(self, enough) -> None:
        """Read until enough(buffer) holds or TIMEOUT seconds of QEMU's own time passed."""
        deadline = Deadline(self.clock, self.TIMEOUT)
        while not enough(self._buf):
            wait = deadline.wait()
            self.serial.timeout = wait
            data = self.serial.read(max(self.serial.in_waiting, 1))
            self._buf += data
            if wait <= 0 and not data:
                return

    def line(self) -> str:
        self._fill(lambda buf: b"\n" in buf)
        text, newline, rest = self._buf.partition(b"\n")
        assert newline, f"no line from the firmware (got {text!r})"
        self._buf = rest
        return text.decode(errors="replace").strip()

    def value(self, key: str) -> str:
        text = self.line()
        assert text.startswith(key + "="), f"expected {key}=..., got {text!r}"
        return text[len(key) + 1:]

    def send(self, cmd: bytes, arg: int) -> None:
        self.serial.write(cmd + struct.pack("<I", arg))

    def header(self) -> dict[str, str]:
        fields = dict(self.line().split("=", 1) for _ in range(4))
        assert self.line() == "ready"
        return fields

    def count(self, n: int) -> int:
        self.send(b"C", n)
        return int(self.value("count"))

    def timeout(self, ms: int) -> tuple[int, int]:
        self.send(b"T", ms)
        return int(self.value("timeout")), int(self.value("elapsed"))

    def echo(self, data: bytes, pause: float = 0.0) -> bytes:
        """The firmware's echo of `data`, sent `pause` seconds after the command."""
        self.send(b"E", len(data))
        time.sleep(pause)
        self.serial.write(data)
        self._fill(lambda buf: len(buf) >= len(data))
        got, self._buf = self._buf[:len(data)], self._buf[len(data):]
        return got

    def exit_status(self) -> int | None:
        return wait_exit(self.proc, self.TIMEOUT, self.clock)


def standin_args(board, elf: Path) -> list[str]:
    return ["-M", board.emulator["machine"], *board.emulator["args"], "-kernel", str(elf)]


STANDINS = [("nucleo-f746zg", "cortex-m7"), ("nucleo-f767zi", "cortex-m7"), ("nucleo-f446re", "cortex-m4"),
            ("stm32n6570-dk", "cortex-m55"), ("b-u585i-iot02a", "cortex-m33"), ("pico2", "cortex-m33")]


@needs_qemu
@pytest.mark.parametrize("board_name, core", STANDINS)
def test_standin_serial_counter_and_exit(board_name, core, elfs):
    board = get_board(board_name)
    with Emulator(standin_args(board, elfs[(board_name, True)])) as emu:
        head = emu.header()
        assert board.emulator["machine"] in head["port"] and core in head["port"]
        assert head["kind"] == "1" and head["clock"] == "0", "stand-ins count instructions and have no clock"
        assert head["fpu"] == "3", "single-precision arithmetic after the FPU enable"

        data = bytes(range(256)) * 4
        assert emu.echo(data) == data

        tick = TICK_INSTRUCTIONS[board.emulator["machine"]]
        counts = {n: emu.count(n) for n in (1_000, 100_000, 1_000_000)}
        for n, c in counts.items():   # 2 instructions per iteration, a few more around the loop
            assert 2 * n - tick <= c <= 2 * n + 3 * tick, (n, c)
        # the vernier readings are exact whatever the timer's phase (each count starts after a
        # serial wait, at a random phase), the AN547's quarter-instruction tick edges included
        overhead = {c - 2 * n for n, c in counts.items()}
        assert len(overhead) == 1, f"counts of 2n instructions + a fixed cost: {counts}"
        # the readings leave themselves out: what remains is the code around the loop (none here)
        assert 0 <= min(overhead) <= 8, overhead
        assert all(emu.count(n) == c for n, c in counts.items()), "exactly repeatable"
        assert all(emu.count(n) - 2 * n in overhead for n in (1, 7, 12_345)), "exact for every n"

        timed_out, elapsed = emu.timeout(10)   # 10 ms of virtual time: 10 M counted
        assert timed_out == 1 and elapsed >= 10_000_000, elapsed

        emu.send(b"X", 42)
        assert emu.exit_status() == 42


@needs_qemu
@pytest.mark.parametrize("board_name", ("nucleo-f746zg", "nucleo-f446re", "stm32n6570-dk", "b-u585i-iot02a"))
def test_standin_reads_sleep_until_a_byte_or_the_timeout(board_name, elfs):
    """A read sleeps in WFI: the UART's receive interrupt ends it, however late the byte
    comes; the timeout's alarm ends it when none comes. While the core sleeps, virtual
    time (the counter) follows the host's real time, so a timed-out read counts its
    budget plus at most the wall time the exchange took."""
    board = get_board(board_name)
    with Emulator(standin_args(board, elfs[(board_name, True)])) as emu:
        emu.header()
        # every byte value, and the serial multiplexer's escape sequences (Ctrl-A x quits,
        # Ctrl-A c switches to the monitor where they are on), sent while the read sleeps
        data = bytes(range(256)) + b"\x01x\x01c\x01h\x01\x01" + bytes(range(255, -1, -1))
        assert emu.echo(data, pause=0.3) == data

        emu.send(b"T", 60_000)                 # a 60 s read: a byte ends it
        time.sleep(0.2)
        emu.serial.write(b"!")
        assert emu.value("timeout") == "0"
        assert 0 < int(emu.value("elapsed")) < 60_000_000_000

        for ms in (1, 10, 50):
            t0 = time.monotonic()
            timed_out, elapsed = emu.timeout(ms)
            wall_ns = (time.monotonic() - t0) * 1e9
            budget = ms * 1_000_000           # ns of virtual time, the counter's unit
            assert timed_out == 1, f"a {ms} ms read with nothing sent did not time out"
            assert budget <= elapsed <= budget + wall_ns + 100 * TICK_INSTRUCTIONS[board.emulator["machine"]], \
                (ms, elapsed, wall_ns)

        emu.send(b"X", 0)
        assert emu.exit_status() == 0


@needs_qemu
@pytest.mark.parametrize("board_name", ("nucleo-f746zg", "stm32n6570-dk", "b-u585i-iot02a"))
def test_standin_fault_reports_and_exits(board_name, elfs):
    board = get_board(board_name)
    with Emulator(standin_args(board, elfs[(board_name, True)])) as emu:
        emu.header()
        emu.serial.write(b"F")
        assert emu.line() == "fault"
        assert "fault" in emu.line() + emu.line()
        assert emu.exit_status() == EXIT_FAULT


@needs_qemu
def test_stm32f4_port_on_an_stm32f405_model(elfs):
    """The real-part F446 image (linked at 0x08000000) on netduinoplus2: USART2 is
    QEMU's second serial port; RCC, PWR and FLASH are not modelled (they read 0)."""
    elf = elfs[("nucleo-f446re", False)]
    with Emulator(["-M", "netduinoplus2", "-icount", "shift=0", "-kernel", str(elf)], serial_index=1) as emu:
        head = emu.header()
        assert head["port"] == "stm32f446 16MHz (PLL did not start)" and head["clock"] == "16000000"
        assert head["kind"] == "0" and head["fpu"] == "3"
        data = bytes(range(256))
        assert emu.echo(data) == data
        assert emu.timeout(10)[0] == 1, "the read ends although the DWT counter stands still"
        emu.send(b"X", 3)   # on a board, exit resets the part: it boots again
        assert re.fullmatch(r"port=stm32f446 .*", emu.line())
