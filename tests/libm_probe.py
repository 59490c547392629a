"""The C library's float functions as a device computes them: tests/libm_probe.c built for
the host (glibc) or for a Cortex-M stand-in (newlib, run under QEMU with semihosting), run on
given float32 inputs. benchmarks/libm_agreement.py compares the two; the float stand-in test
gives the numpy reference the device's values (tinygen.ref.float32_nonlinear.use_libm), so
that a float kernel calling expf or tanhf is checked bit for bit against the reference with the
libm it links, as TFLite Micro built for that device computes it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from tinygen.board import get_board
from tinygen.ref.float32_nonlinear import LIBM

HOST = dict(LIBM)           # the host libm's functions, the first guess of a device's

PROBE = Path(__file__).with_name("libm_probe.c")
FUNCTIONS = ("expf", "tanhf", "expm1f", "logf", "sqrtf", "erff", "cosf", "sinf")       # libm_probe.c's order
LINKER = """MEMORY { FLASH (rx) : ORIGIN = 0, LENGTH = 4M  RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 4M }
SECTIONS {
  .text : { KEEP(*(.vectors)) *(.text*) *(.rodata*) } > FLASH
  .data : { *(.data*) } > RAM
  .bss : { *(.bss*) *(COMMON) } > RAM
  _estack = ORIGIN(RAM) + LENGTH(RAM);
}
"""


def host_probe(folder: Path) -> list[str]:
    """The probe built with the host's gcc and libm: the command that runs it."""
    exe = folder / "probe_host"
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", str(PROBE), "-lm", "-o", str(exe)],
                   check=True)
    return [str(exe)]


def standin_probe(folder: Path, board_name: str = "f746zg") -> list[str]:
    """The probe built for `board_name`'s Cortex-M stand-in with the board's compiler flags
    and its newlib: the QEMU command that runs it."""
    board = get_board(board_name)
    flags = [f for f in board.cflags if f.startswith(("-m", "-O", "-std"))]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "probe.ld").write_text(LINKER)
    elf = folder / "probe.elf"
    subprocess.run([board.cc, *flags, "-DTG_PROBE_SEMIHOSTING", "-nostartfiles", "--specs=nosys.specs", "-T",
                    str(folder / "probe.ld"), str(PROBE), "-lm", "-o", str(elf)], check=True)
    return ["qemu-system-arm", "-M", board.emulator["machine"], "-display", "none", "-monitor", "none",
            "-semihosting-config", "enable=on,target=native", "-icount", "shift=0", "-kernel", str(elf)]


def run_probe(command: list[str], folder: Path, x: np.ndarray) -> dict[str, np.ndarray]:
    """Every probed function on the float32 values `x`, run in `folder` (its in.bin and outputs)."""
    folder.mkdir(parents=True, exist_ok=True)
    np.ascontiguousarray(x, np.float32).ravel().tofile(folder / "in.bin")
    subprocess.run(command, cwd=folder, check=True, timeout=1200)
    return {name: np.fromfile(folder / f"{name}.bin", np.float32) for name in FUNCTIONS}


class DeviceLibm:
    """expf, tanhf, expm1f, logf, cosf, sinf as the stand-in's libm computes them, for use_libm. settle(compute) runs
    `compute` with the values known so far (the host libm's where the device's are not known
    yet, noting those inputs), has the stand-in compute the noted ones in one probe run, and
    runs it again until no input was missing: then every value it used was the device's. The
    libms agree on most inputs, so that takes a few rounds however many calls there are."""

    def __init__(self, folder: Path, board_name: str = "f746zg"):
        self.folder = folder
        self.command = standin_probe(folder, board_name)
        self.known: dict[str, dict[int, int]] = {name: {} for name in FUNCTIONS}
        self.missing: set[int] = set()
        self.probe_runs = 0

    def _values(self, name: str, x) -> np.ndarray:
        x = np.asarray(x, np.float32)
        bits = x.ravel().view(np.uint32).tolist()
        table = self.known[name]
        guess = HOST[name](x).ravel().view(np.uint32)
        out = np.array([table.get(b, int(g)) for b, g in zip(bits, guess)], np.uint32)
        self.missing.update(b for b in bits if b not in table)
        return out.view(np.float32).reshape(x.shape)

    def functions(self) -> dict:
        """Every probed function the reference calls (tinygen.ref.float32_nonlinear.LIBM)."""
        return {name: (lambda x, name=name: self._values(name, x)) for name in FUNCTIONS if name in HOST}

    def settle(self, compute, rounds: int = 20):
        """compute() with the device's values throughout (it must start afresh each call)."""
        for _ in range(rounds):
            self.missing = set()
            result = compute()
            if not self.missing:
                return result
            new = np.array(sorted(self.missing), np.uint32)
            results = run_probe(self.command, self.folder / "run", new.view(np.float32))
            self.probe_runs += 1
            for fn in FUNCTIONS:
                self.known[fn].update(zip(new.tolist(), results[fn].view(np.uint32).tolist()))
        raise AssertionError(f"the device's libm values did not settle in {rounds} probe runs")
