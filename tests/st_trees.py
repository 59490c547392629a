"""Arm's CMSIS core headers and ST's device files (test inputs, never copied into the project):
CMSIS_6_PATH, CMSIS_DEVICE_F7_PATH and CMSIS_DEVICE_F4_PATH name the trees; .ci/third_party.sh
exports them in CI (shared/third_party beside the clone, README.md there gives the versions).

Unset on a developer's machine, the tests that need a tree skip and say how to run them. Set to
a folder that is not the tree (as in CI when shared/third_party lacks it), they fail, naming the
variable and the file that is missing: the register check and the Cube-style builds must not
pass silently where CI was meant to run them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

# variable -> (what it is, a file every such tree holds, relative to it)
TREES = {
    "CMSIS_6_PATH": ("Arm's CMSIS_6 (github.com/ARM-software/CMSIS_6)", "CMSIS/Core/Include/core_cm7.h"),
    "CMSIS_DEVICE_F7_PATH": ("ST's cmsis_device_f7 (github.com/STMicroelectronics/cmsis_device_f7)",
                             "Include/stm32f7xx.h"),
    "CMSIS_DEVICE_F4_PATH": ("ST's cmsis_device_f4 (github.com/STMicroelectronics/cmsis_device_f4)",
                             "Include/stm32f4xx.h"),
}
# device tree variable per STM32 family (the part name's first four letters after "stm32")
FAMILY_TREE = {"f7": "CMSIS_DEVICE_F7_PATH", "f4": "CMSIS_DEVICE_F4_PATH"}


def tree(var: str) -> Path:
    """The tree `var` names; skips when unset, fails when set to something else."""
    what, marker = TREES[var]
    value = os.environ.get(var)
    if not value:
        pytest.skip(f"{var} not set: this test needs {what}; `source .ci/third_party.sh` sets it "
                    f"(CI does), or {var}=PATH")
    root = Path(value)
    if not (root / marker).is_file():
        pytest.fail(f"{var}={value} is not {what}: {marker} is missing there. CI exports it from "
                    f".ci/third_party.sh (shared/third_party beside the clone): put the tree there "
                    f"(shared/third_party/README.md names the version) or point {var} at one", pytrace=False)
    return root


@dataclass(frozen=True)
class Part:
    """An STM32 part of a board file, named as ST's device files name it."""
    name: str                  # "stm32f746zg": the board file's alias
    board: str                 # "nucleo-f746zg"

    @property
    def family(self) -> str:   # "f7"
        return self.name[5:7]

    @property
    def line(self) -> str:     # "stm32f746"
        return self.name[:9]

    @property
    def header(self) -> str:   # "stm32f746xx.h"
        return f"{self.line}xx.h"

    @property
    def define(self) -> str:   # "STM32F746xx", what a Cube project passes with -D
        return f"{self.line.upper()}xx"

    @property
    def family_header(self) -> str:   # "stm32f7xx.h", what a Cube project includes
        return f"stm32{self.family}xx.h"


def stm32_parts(boards) -> list[Part]:
    """Every STM32 part of the board files (their alias starting with "stm32")."""
    return [Part(a, b.name) for b in boards for a in b.aliases if a.startswith("stm32")]


def device_tree(part: Part) -> Path | None:
    """ST's device tree for the part's family (skip / fail as tree() does), or None where no
    such tree is known to these tests (the U5, the N6)."""
    var = FAMILY_TREE.get(part.family)
    return tree(var) if var else None
