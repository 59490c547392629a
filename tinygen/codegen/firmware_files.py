"""Which firmware files (relative to firmware/; tinygen.resources.firmware_path finds each on
disk) a generated project copies: the on-device runtime, one board port and the audio front
end (or the stub answering that there is none: tinygen.codegen.audio). Shared by every build
recipe that puts the protocol on a device (the host `tg_device`, the firmware builds)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tinygen.codegen.audio import firmware_files
from tinygen.resources import data_dir, firmware_path

SOURCE_SUFFIXES = (".c", ".h", ".S")
MAIN = "runtime/tg_main.c"     # left out where the platform owns main() (ESP-IDF's app_main)


def _files(folder: str) -> list[str]:
    root = data_dir("firmware")
    return sorted(p.relative_to(root).as_posix() for p in (root / folder).iterdir()
                  if p.is_file() and p.suffix in SOURCE_SUFFIXES)


def runtime_files(port: str, with_main: bool = True, frontend=None) -> list[str]:
    """The runtime (firmware/runtime) plus firmware/ports/<port>, sources and headers, and
    the audio files of `frontend` (a tinygen.codegen.audio.Frontend, or None)."""
    if not (data_dir("firmware") / "ports" / port).is_dir():
        raise FileNotFoundError(f"tinygen has no firmware port {port!r} (firmware/ports/{port} is missing)")
    files = _files("runtime") + _files(f"ports/{port}") + firmware_files(frontend)
    return [f for f in files if with_main or f != MAIN]


def copy_firmware(files: list[str], dest: Path) -> list[str]:
    """Copy firmware files into dest/tinygen/; returns the copied .c/.S paths relative to dest."""
    for rel in files:
        target = dest / "tinygen" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(firmware_path(rel), target)
    return [f"tinygen/{rel}" for rel in files if not rel.endswith(".h")]


__all__ = ["MAIN", "copy_firmware", "runtime_files"]
