"""The code each kernel links, measured from its objects, for --kernels auto's balanced pick.

    units = kernel_code("tg_depthwise_conv2d_widen_s8_dsp", board, defines)
    # {code unit: bytes}, or None where it is not measured here

tinygen/kernels/auto_pick.py weighs the flash a kernel choice adds; the constants a layer keeps
are known from its records, the code a kernel links is measured here. A code unit is one input
section the linker keeps, named by its object and section ("tg_depthwise_conv2d_s8_dsp.o
.text.tg_dw_pixel_s8": with -ffunction-sections, one function) or by a library member's. The
kernel's translation units (its spec's source and the files it calls) are compiled with the
board's compiler and cflags and the build's per-model defines (kx1_case_flags, build_flags.switch_flags),
in a scratch folder holding its files flat as a generated project does, and linked with
-nostartfiles --gc-sections from the kernel's entry symbol; the linker map lists the sections
kept, text and read-only data. Two kernels linking the same unit share it (the widen depthwise
kernel calls tg_depthwise_conv2d_s8_dsp.c's pixel functions), so the pick counts a unit once per
image (auto_pick.marginal_code).

Deterministic: the same compiler, flags and sources give the same units; measured once for
each (kernel, compiler, flags) and kept on disk (tinygen.resources.cache_dir()/kernel-code/<key>.json,
the key the SHA-256 of the compiler, its first --version line, the flags and every file
compiled from, name and bytes: a changed source, header, flag or toolchain measures again),
so a new process does not compile again what an earlier one measured; the least recently used
records go past CODE_CACHE_BYTES (object_cache.prune). Not measured (None): other build recipes than
"cortex-m", kernels of another backend (CMSIS-NN, ESP-NN: their trees build by other recipes),
specialized kernels (tinygen.kernels.specialize.INLINE: their body is emitted per layer into
model.c, their out-of-line code maybe not linked at all, so its units would misstate what they
add: VWW's last dense layer measured 44 B more with the kernel whose units were smaller), a
missing compiler or a compile error.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from tinygen.board import Board
from tinygen.build.object_cache import compiler_version, prune
from tinygen.codegen.kernel_files import kernel_files
from tinygen.kernels.specialize import INLINE
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.resources import cache_dir, firmware_path

# the kept input sections of a GNU ld map: name (maybe alone on its line), address, size, object
_MAP_SECTION = re.compile(r"^ (\.(?:text|rodata)\S*)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)$", re.M)


def kernel_code(kernel: str, board: Board, defines: tuple[str, ...] = ()) -> dict[str, int] | None:
    """The code units (object and section -> bytes) linking `kernel`'s entry keeps with
    `board`'s compiler and cflags plus `defines`; None where not measured (module docstring)."""
    spec = KERNELS_BY_NAME[kernel]
    if board.build != "cortex-m" or spec.backend != "tinygen" or kernel in INLINE or shutil.which(board.cc) is None:
        return None
    return _measure(kernel, board.cc, tuple(board.cflags) + tuple(defines))


CODE_DIR = "kernel-code"
CODE_CACHE_BYTES = 4 << 20           # a record is a few hundred bytes


def _files(kernel: str) -> dict[str, Path]:
    """The kernel's files as the scratch folder holds them (flat): name -> the firmware tree's file."""
    files = {Path(rel).name: firmware_path(rel) for rel in kernel_files(KERNELS_BY_NAME[kernel])}
    return {name: path for name, path in files.items() if path.is_file()}


def measure_key(kernel: str, cc: str, flags: tuple[str, ...]) -> str:
    """The disk cache's key: SHA-256 of the compiler, its version, the flags, the kernel and its
    files' names and bytes."""
    h = hashlib.sha256()
    for part in (cc, compiler_version(cc), "\0".join(flags), kernel):
        h.update(part.encode() + b"\0\1")
    for name, path in sorted(_files(kernel).items()):
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0\1")
    return h.hexdigest()


@functools.lru_cache(maxsize=None)
def _measure(kernel: str, cc: str, flags: tuple[str, ...]) -> dict[str, int] | None:
    try:
        stored = cache_dir() / CODE_DIR / f"{measure_key(kernel, cc, flags)}.json"
    except (OSError, subprocess.CalledProcessError, IndexError):
        return None                                      # no usable compiler
    try:
        units = json.loads(stored.read_text())
        os.utime(stored)                                 # recently used: the last to be pruned
        return units
    except (OSError, ValueError):
        pass
    units = _compile_and_link(kernel, cc, flags)
    if units is not None:
        try:
            stored.parent.mkdir(parents=True, exist_ok=True)
            tmp = stored.with_name(f"{stored.stem}.{uuid.uuid4().hex[:8]}.tmp")
            tmp.write_text(json.dumps(units, sort_keys=True))
            os.replace(tmp, stored)
            prune(stored.parent, CODE_CACHE_BYTES, "*.json")
        except OSError:
            pass                                         # a read-only cache: measured again next time
    return units


def _compile_and_link(kernel: str, cc: str, flags: tuple[str, ...]) -> dict[str, int] | None:
    spec = KERNELS_BY_NAME[kernel]
    with tempfile.TemporaryDirectory(prefix="tinygen-code-") as tmp:
        work = Path(tmp)
        for name, path in _files(kernel).items():
            shutil.copyfile(path, work / name)
        sources = [Path(s).name for s in (spec.source, *spec.calls) if s.endswith(".c")]
        try:
            for src in sources:
                subprocess.run([cc, *flags, "-I.", "-c", src, "-o", f"{src}.o"], cwd=work, capture_output=True,
                               check=True)
            subprocess.run([cc, *flags, "-nostartfiles", "-Wl,--gc-sections", f"-Wl,-e,{kernel}",
                            "-Wl,-Map=code.map", "-o", "code.elf", *(f"{s}.o" for s in sources)],
                           cwd=work, capture_output=True, check=True)
        except (subprocess.CalledProcessError, OSError):
            return None
        text = (work / "code.map").read_text()
    memory_map = text[text.find("Linker script and memory map"):]
    units: dict[str, int] = {}
    for name, size, obj in _MAP_SECTION.findall(memory_map):
        if int(size, 16):
            key = f"{Path(obj).name} {name}"
            units[key] = units.get(key, 0) + int(size, 16)
    return units


__all__ = ["kernel_code", "measure_key"]
