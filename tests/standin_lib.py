"""What the tests that build for the Cortex-M stand-ins and run QEMU share: the toolchain
marks and strict flags, the linker script and port sources of a bare test image, the
counter's resolution, and the QEMU processes' state read from /proc."""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
import pytest

from tinygen.resources import data_dir

STRICT = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wconversion", "-Wdouble-promotion"]
# the cores the ARMv7E-M DSP kernels serve: the Cortex-M4/M7 boards, and the Cortex-M33 and M55 ones
# (their DSP extension; -mfpu=auto: the M55's FPU and MVE from -mcpu)
CORES = {"cortex-m7": "fpv5-sp-d16", "cortex-m4": "fpv4-sp-d16", "cortex-m33": "fpv5-sp-d16", "cortex-m55": "auto"}
ARM_GCC = shutil.which("arm-none-eabi-gcc")
needs_arm_gcc = pytest.mark.skipif(ARM_GCC is None, reason="arm-none-eabi-gcc is not installed "
                                   "(apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or ARM_GCC is None,
                                reason="the Cortex-M stand-ins need qemu-system-arm and arm-none-eabi-gcc")
INSTRUCTIONS_PER_TICK = 40       # the counter's resolution on the MPS2 AN386 / AN500 stand-ins (M4, M7)
# per stand-in machine (firmware/ports/mps2/tg_mps2.h): the AN505's timer runs at 20 MHz, the AN547's
# SSE-300 system counter at 32 MHz, under -icount shift=0 (1 ns per instruction)
TICK_INSTRUCTIONS = {"mps2-an386": 40, "mps2-an500": 40, "mps2-an505": 50, "mps3-an547": 31.25}
PORTS = data_dir("firmware") / "ports"


def layout(board, standin: bool) -> dict[str, int]:
    """The linker template's variables: the stand-in's addresses or the part's, always the part's sizes
    (and, on a stand-in that reads its reset vectors outside the flash, where it reads them)."""
    flash, ram = board.region("flash"), board.region("ram")
    values = {"flash_origin": board.emulator["flash_origin"] if standin else flash["origin"],
              "flash_size": flash["size"],
              "ram_origin": board.emulator["ram_origin"] if standin else ram["origin"],
              "ram_size": ram["size"], "stack_size": board.stack_size}
    if standin and "vector_origin" in board.emulator:
        values["boot_origin"] = board.emulator["vector_origin"]
    return values


def render_linker_script(values: dict[str, int], dest: Path) -> Path:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    # the arena in the linked RAM (no --arena-region): tests/build/test_arena_region.py covers a region
    text = env.get_template("linker/cortex-m.ld.j2").render({"boot_origin": None,
                                                            **{k: f"0x{v:X}" for k, v in values.items()},
                                                            "arena": None})
    dest.write_text(text)
    return dest


def port_sources(port: str) -> list[Path]:
    return sorted((PORTS / "cortexm").glob("*.c")) + sorted((PORTS / port).glob("*.c"))


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def children(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (from /proc, no procps needed)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found
