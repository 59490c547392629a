"""The user's ESP-NN source tree: find it, check it, and list what to compile from it.

ESP-NN (https://github.com/espressif/esp-nn, Apache-2.0) is Espressif's int8 kernel
library: portable C ("ansi") versions of every function, and optimized versions for
the ESP32-S3 (assembly), the ESP32-P4 and, as generic C, the ESP32 and ESP32-C3.

- Real ESP32 boards: the generated ESP-IDF project declares the `espressif/esp-nn`
  dependency (main/idf_component.yml), or points ESP-IDF at the tree given here, and
  ESP-IDF's own build selects the optimized versions for the chip. Untested here: no
  Xtensa compiler or ESP-IDF can be installed on the machines tinygen is tested on.
- The esp32-c3 stand-in (QEMU RISC-V virt, tinygen's own Makefile): the tree's portable
  C sources, `--esp-nn PATH` or else the ESP_NN_PATH environment variable, compiled into
  the firmware. tests/kernels/test_esp_nn.py runs them bit-exact there.

The version is idf_component.yml's `version:` (the component manager's), else
`git describe`.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tinygen.errors import TinygenError, UsageError

URL = "https://github.com/espressif/esp-nn"
ENV = "ESP_NN_PATH"
COMPONENT = "espressif/esp-nn"      # ESP-IDF component registry name
# what the generated idf_component.yml asks for: the tree's major.minor (the ESP32-S3's
# planned scratch follows that version's formulas, tinygen.kernels.esp_nn), else this
COMPONENT_VERSION = "~1.2.0"
TESTED = ("master at d45b843 (1.2.3)",)     # CI's tree (docs/backends.md)
HEADER = "include/esp_nn.h"
# the portable C sources (under src/) of the functions the adapters call, per op
OP_SOURCES = {
    "conv2d": ("convolution/esp_nn_conv_ansi.c",),
    "depthwise_conv2d": ("convolution/esp_nn_depthwise_conv_ansi.c",),
    "fully_connected": ("fully_connected/esp_nn_fully_connected_ansi.c",),
    "avg_pool2d": ("pooling/esp_nn_avg_pool_ansi.c",),
    "max_pool2d": ("pooling/esp_nn_max_pool_ansi.c",),
    "add": ("basic_math/esp_nn_add_ansi.c",),
    "mul": ("basic_math/esp_nn_mul_ansi.c",),
    "softmax": ("softmax/esp_nn_softmax_ansi.c",),
}
# include folders inside the tree: the public headers, and common_functions.h that the
# portable sources include
INCLUDES = ("include", "src/common")


def _where_to_get() -> str:
    return (f"get it with `git clone {URL}` and pass --esp-nn PATH or set {ENV}=PATH "
            f"(tested: {', '.join(TESTED)})")


@dataclass(frozen=True)
class EspNN:
    """A checked ESP-NN tree."""
    path: Path
    version: str

    def sources(self, ops) -> list[str]:
        """The portable C sources (relative to src/) the given ops need, sorted."""
        return sorted({rel for op in set(ops) for rel in OP_SOURCES.get(op, ())})

    def meta(self) -> dict:
        return {"path": str(self.path), "version": self.version}

    @property
    def component_version(self) -> str:
        """The espressif/esp-nn versions the ESP-IDF project accepts: this tree's minor series."""
        m = re.match(r"v?(\d+)\.(\d+)\.\d+$", self.version)
        return f"~{m.group(1)}.{m.group(2)}.0" if m else COMPONENT_VERSION


def _component_version(path: Path) -> str | None:
    try:
        text = (path / "idf_component.yml").read_text(errors="replace")
    except OSError:
        return None
    m = re.search(r'^version:\s*"?([^"\s]+)"?', text, re.M)
    return m.group(1) if m else None


def _git_describe(path: Path) -> str | None:
    if not (path / ".git").exists():
        return None
    try:
        done = subprocess.run(["git", "-C", str(path), "describe", "--tags", "--always"], capture_output=True,
                              text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def find_esp_nn(path: str | os.PathLike | None) -> EspNN:
    """The ESP-NN tree at `path` (--esp-nn), else at $ESP_NN_PATH, checked; a UsageError
    saying both ways and where to get it when there is none or it is not ESP-NN."""
    given = path if path else os.environ.get(ENV) or None
    if not given:
        raise UsageError("--kernels esp-nn needs an ESP-NN source tree and none was given", _where_to_get())
    root = Path(given).expanduser().resolve()
    origin = "--esp-nn" if path else f"${ENV}"
    if not root.is_dir():
        what = "is a file, not a folder" if root.exists() else "does not exist"
        raise UsageError(f"the ESP-NN tree {str(given)!r} ({origin}) {what}", _where_to_get())
    missing = [rel for rel in (HEADER, *(f"src/{s}" for srcs in OP_SOURCES.values() for s in srcs))
               if not (root / rel).is_file()]
    if missing:
        raise UsageError(f"{str(given)!r} is not an ESP-NN source tree (no {missing[0]})", _where_to_get())
    version = _component_version(root) or _git_describe(root) or "unknown version"
    return EspNN(root, version)


def require_esp32(board) -> None:
    """ESP-NN's layers build only into ESP32 boards' firmware (ESP-IDF projects and their
    stand-ins); a TinygenError saying what to use otherwise."""
    if board.build != "esp-idf":
        raise TinygenError(f"--kernels esp-nn builds firmware for ESP32 boards (ESP-IDF); {board.name} is not one",
                           "use --kernels tinygen (or cmsis-nn on Cortex-M boards) for this board, or an ESP32 board")


__all__ = ["COMPONENT", "COMPONENT_VERSION", "ENV", "EspNN", "INCLUDES", "TESTED", "URL", "find_esp_nn", "require_esp32"]
