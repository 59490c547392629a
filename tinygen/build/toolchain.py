"""Cross toolchains for firmware images: which compiler, with which flags.

A board's real part is built with the toolchain in its board file. Its
emulated stand-in is built either with the same toolchain (the Cortex-M parts:
the MPS2 machines have the same cores) or, for the RISC-V `virt` stand-in of
the ESP32-C3, with Debian's freestanding riscv64-unknown-elf-gcc: ESP-IDF's
own compiler is not installable here, and there is no C library for it
(emulation.md: compile with -march=rv32imc_zicsr, link with -march=rv32imc so
GCC picks the 32-bit multilib of libgcc).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field

from tinygen.board import Board
from tinygen.errors import TinygenError
from tinygen.kernels.float_table import MATH_KERNELS

# Warnings every firmware source must compile cleanly under (house quality bar).
WARNINGS = ("-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wdouble-promotion")

ARM_INSTALL = "sudo apt-get install -y --no-install-recommends gcc-arm-none-eabi libnewlib-arm-none-eabi"
RISCV_INSTALL = "sudo apt-get install -y --no-install-recommends gcc-riscv64-unknown-elf"


@dataclass(frozen=True)
class Toolchain:
    """A C cross compiler and the flags of one firmware image."""
    cc: str
    cflags: tuple[str, ...]          # compile (and preprocess) flags
    ldflags: tuple[str, ...]         # link flags (before the objects)
    libs: tuple[str, ...]            # after the objects
    objcopy: str
    size: str
    linker_template: str             # templates/linker/<name>
    install: str                     # the command that installs it
    tools: tuple[str, ...] = field(default=())

    def missing(self) -> list[str]:
        """Programs this toolchain needs that are not on PATH (make included)."""
        needed = [self.cc, self.objcopy, *self.tools, "make"]
        return [t for t in dict.fromkeys(needed) if shutil.which(t) is None]


def _prefix(cc: str) -> str:
    return cc[:-3] if cc.endswith("gcc") else ""


def install_command(line: str) -> str:
    """A board file's install line as a user runs it: apt-get lines need sudo."""
    return f"sudo {line}" if line.startswith("apt-get ") else line


def _install(board: Board, default: str) -> str:
    line = board.toolchain.get("install")
    return install_command(line) if line else default


def cortex_m(board: Board) -> Toolchain:
    """arm-none-eabi-gcc with the board's flags; newlib-nano for memcpy/memset, our own startup."""
    cc = board.cc
    arch = tuple(f for f in board.cflags if f.startswith("-m"))
    return Toolchain(
        cc=cc, cflags=tuple(board.cflags),
        ldflags=arch + ("-nostartfiles", "--specs=nano.specs", "-Wl,--gc-sections"),
        libs=("-lm", "-lc", "-lgcc"),          # libm: the float32 kernels' expf, tanhf (as TFLite Micro's)
        objcopy=_prefix(cc) + "objcopy", size=_prefix(cc) + "size",
        linker_template="cortex-m.ld.j2", install=_install(board, ARM_INSTALL),
        tools=tuple(board.toolchain.get("tools", [])))


RISCV_VIRT = Toolchain(
    cc="riscv64-unknown-elf-gcc",
    cflags=("-march=rv32imc_zicsr", "-mabi=ilp32", "-ffreestanding", "-O2", "-ffunction-sections",
            "-fdata-sections") + WARNINGS,
    ldflags=("-march=rv32imc", "-mabi=ilp32", "-nostdlib", "-nostartfiles", "-Wl,--gc-sections"),
    libs=("-lgcc",),
    objcopy="riscv64-unknown-elf-objcopy", size="riscv64-unknown-elf-size",
    linker_template="riscv.ld.j2", install=RISCV_INSTALL)


def math_layers(graph, toolchain: Toolchain | None) -> list[str]:
    """The layers of `graph` whose kernels call the C library's math functions (expf, tanhf,
    sqrtf: the float kernels, as TFLite Micro's) where `toolchain` builds without a C library
    (-ffreestanding: the RISC-V stand-in); [] where they link."""
    if toolchain is None or "-ffreestanding" not in toolchain.cflags:
        return []
    return [node.name for node in graph.nodes if node.kernel in MATH_KERNELS]


def real_toolchain(board: Board) -> Toolchain | None:
    """The toolchain tinygen drives for the real part, or None when another build
    system compiles it (ESP-IDF's idf.py) or there is nothing to cross-compile (host)."""
    return cortex_m(board) if board.build == "cortex-m" else None


def standin_toolchain(board: Board) -> Toolchain | None:
    """The toolchain for the board's emulated stand-in, or None if it has none."""
    if board.emulator is None:
        return None
    qemu = board.emulator.get("qemu", "")
    if "riscv32" in qemu:
        return RISCV_VIRT
    if "arm" in qemu and board.build == "cortex-m":
        return cortex_m(board)
    raise TinygenError(f"board {board.name!r}: tinygen cannot build for its stand-in {qemu!r}",
                       f"fix [emulator] in {board.path}: qemu-system-arm for a Cortex-M board, "
                       "qemu-system-riscv32 for a RISC-V one")


__all__ = ["RISCV_VIRT", "Toolchain", "WARNINGS", "cortex_m", "install_command", "math_layers", "real_toolchain",
           "standin_toolchain"]
