"""Build bare firmware sources with a board's stand-in port and run them on QEMU: the
harness under benchmarks/lowbit_kernels.py (kernel calls) and the popcount comparison.

    text = run_firmware("f746zg", [Path("main.c")], work_dir)   # UART text ending in "done"

Each source is compiled on its own, then linked in the order given. The sources outside the
work folder (the kernels and the port, the same in every harness) come from tinygen's object
cache (tinygen.build.object_cache, in the cache folder `tinygen build` uses) when compiled
with the same compiler, flags and headers before: a kernel test that builds ten harnesses
compiles its kernels once.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tinygen.board import get_board  # noqa: E402
from tinygen.build.object_cache import OBJECT_DIR, CompileCommand, source_object  # noqa: E402
from tinygen.hil.deadline import run_process  # noqa: E402
from tinygen.fit.measure_cache import cache_dir  # noqa: E402
from tinygen.resources import data_dir, kernel_families  # noqa: E402

FIRMWARE = data_dir("firmware")
KERNEL_INCLUDES = tuple(f"-I{d}" for d in kernel_families())     # firmware/kernels/<family>/
PORTS = FIRMWARE / "ports"
LINK = ("-nostartfiles", "--specs=nano.specs", "-Wl,--gc-sections")

RUN_TIMEOUT = 300.0      # seconds of QEMU's own time one firmware may run (--timeout)
RUN_TIMEOUT_HELP = (f"seconds of QEMU's own time (wall time less its waits for a CPU, so a loaded machine does "
                    f"not run it out) one benchmark firmware may run (default {RUN_TIMEOUT:g})")


def _linker_script(board, dest: Path, template: str = "cortex-m.ld.j2") -> Path:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    flash, ram = board.region("flash"), board.region("ram")
    values = {"flash_origin": board.emulator["flash_origin"], "flash_size": flash["size"],
              "ram_origin": board.emulator["ram_origin"], "ram_size": ram["size"],
              "stack_size": board.stack_size}
    boot = board.emulator.get("vector_origin")      # where the stand-in's core reads its reset vectors
    dest.write_text(env.get_template(f"linker/{template}").render(
        {**{k: f"0x{v:X}" for k, v in values.items()}, "arena": None,
         "boot_origin": None if boot is None else f"0x{boot:08X}"}))
    return dest


def _objects(cc: str, flags: list[str], sources: list[Path], work: Path) -> list[str]:
    """The sources' objects, in order: those in `work` compiled there, the others (kernels,
    ports) taken from the object cache, compiled into it first where they are not."""
    store = cache_dir() / OBJECT_DIR
    objs = []
    for src in map(Path, sources):
        obj = work / "obj" / f"{src.name}.o"
        if src.resolve().is_relative_to(work.resolve()):
            obj.parent.mkdir(parents=True, exist_ok=True)
            cmd = [cc, *flags, "-c", str(src), "-o", str(obj)]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"firmware build failed:\n{' '.join(cmd)}\n{done.stderr}")
        else:
            try:
                obj = source_object(CompileCommand(cc, tuple(flags), str(obj.relative_to(work)), str(src)), work,
                                    store)
            except subprocess.CalledProcessError as e:
                raise RuntimeError(f"firmware build failed:\n{' '.join(map(str, e.cmd))}\n"
                                   f"{e.stderr.decode(errors='replace')}") from None
        objs.append(str(obj))
    return objs


def run_firmware(board_name: str, sources: list[Path], work: Path, timeout: float = RUN_TIMEOUT,
                 includes: tuple[Path, ...] = ()) -> str:
    """Build sources with the mps2 port for the board's stand-in (`includes`: more header
    folders, e.g. a CMSIS-NN tree's), run it, return its UART text (which must end with "done")."""
    from tinygen.build.toolchain import RISCV_VIRT, standin_toolchain

    board = get_board(board_name)
    work.mkdir(parents=True, exist_ok=True)
    port = board.emulator["port"]
    elf = work / "bench.elf"
    if standin_toolchain(board) is RISCV_VIRT:        # the esp32-c3's stand-in: RISC-V virt, freestanding
        # compiled with -march=rv32imc_zicsr, linked with -march=rv32imc (notes: the multilib)
        tc = RISCV_VIRT
        flags = [*tc.cflags, *KERNEL_INCLUDES, f"-I{PORTS / port}", f"-I{FIRMWARE / 'runtime'}"]
        objs = _objects(tc.cc, flags, [*sources, *sorted((PORTS / port).glob("*.c")),
                                       *sorted((PORTS / port).glob("*.S"))], work)
        cmd = [tc.cc, *tc.ldflags, "-T", str(_linker_script(board, work / "bench.ld", tc.linker_template)), *objs,
               *tc.libs, "-o", str(elf)]
    else:
        port_sources = sorted((PORTS / "cortexm").glob("*.c")) + sorted((PORTS / port).glob("*.c"))
        flags = [*board.cflags, *KERNEL_INCLUDES, *(f"-I{d}" for d in includes), f"-I{PORTS / 'cortexm'}",
                 f"-I{PORTS / port}", f"-I{FIRMWARE / 'runtime'}"]
        objs = _objects(board.cc, flags, [*sources, *port_sources], work)
        cmd = [board.cc, *board.cflags, *objs, *LINK, "-T", str(_linker_script(board, work / "bench.ld")),
               "-o", str(elf)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"firmware build failed:\n{' '.join(cmd)}\n{done.stderr}")
    log = work / "uart.txt"
    qemu = [board.emulator["qemu"], "-M", board.emulator["machine"], "-display", "none", "-monitor", "none",
            "-serial", f"file:{log}", *board.emulator["args"], "-kernel", str(elf)]
    done = run_process(qemu, timeout, "QEMU")
    text = log.read_text(errors="replace")
    if done.returncode != 0 or not text.rstrip().endswith("done"):
        raise RuntimeError(f"{board.emulator['machine']} run failed (exit {done.returncode}):\n{text[-2000:]}\n"
                           f"{done.stderr}")
    return text
