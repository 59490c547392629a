"""A link that fails because a memory region overflowed is a memory refusal (MemoryFitError,
a ModelError: one line naming the region and the overflow, and what to do), never "a tinygen
bug": FLASH and RAM (the board's part), the arena's own ARENA region (--arena-region), and a
linker that says only "will not fit in region". The linker output is the real
arm-none-eabi-ld's, linking a small program against a linker script with regions too small.
(A whole model linked for a part too small for it: tests/fit/test_memory_fit.py.)"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tinygen.board import get_board
from tinygen.build.memory import MemoryFitError, MemoryUse, RegionUse, overflow_error
from tinygen.errors import ModelError
from tinygen.report import human_bytes

CC = "arm-none-eabi-gcc"
pytestmark = pytest.mark.skipif(shutil.which(CC) is None, reason=f"{CC} is not installed (make setup installs it)")

PROGRAM = """
__attribute__((section(".tg_arena"))) unsigned char arena[256];
const unsigned char weights[2048] = {1};
void Reset_Handler(void) { arena[0] = weights[arena[1]]; for (;;) {} }
"""

SCRIPT = """
MEMORY
{{
    FLASH (rx)  : ORIGIN = 0x08000000, LENGTH = {flash}
    RAM   (rwx) : ORIGIN = 0x20000000, LENGTH = 1K
    ARENA (rw)  : ORIGIN = 0x20010000, LENGTH = {arena}
}}
ENTRY(Reset_Handler)
SECTIONS
{{
    .text : {{ *(.text*) *(.rodata*) }} > FLASH
    .tg_arena (NOLOAD) : {{ *(.tg_arena) }} > ARENA
    .bss (NOLOAD) : {{ *(.bss*) *(COMMON) }} > RAM
}}
"""


def link(tmp_path, flash: int, arena: int) -> str:
    """The linker's output for PROGRAM linked with regions of these sizes (it must fail)."""
    (tmp_path / "a.c").write_text(PROGRAM)
    (tmp_path / "a.ld").write_text(SCRIPT.format(flash=flash, arena=arena))
    proc = subprocess.run([CC, "-mcpu=cortex-m4", "-mthumb", "-nostdlib", "-nostartfiles", "-T", "a.ld", "a.c",
                           "-o", "a.elf"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode != 0, "the link was meant to fail"
    return proc.stdout + proc.stderr


def predicted(board) -> MemoryUse:
    return MemoryUse({"flash": RegionUse("flash", board.region("flash")["size"], {"weights": 2048, "code": 200}),
                      "ram": RegionUse("ram", board.region("ram")["size"], {"stack": 512})},
                     arena=256, weights=2048, stack=512, source="predicted", arena_region="dtcm")


def test_link_overflow_flash_is_a_memory_refusal_cortexm(tmp_path):
    board = get_board("f746zg")
    output = link(tmp_path, flash=1024, arena=4096)
    over = int(re.search(r"region `FLASH' overflowed by (\d+) bytes", output)[1])
    e = overflow_error(output, board, predicted(board), "firmware.elf", "m.py")
    assert isinstance(e, MemoryFitError) and isinstance(e, ModelError)
    assert f"flash overflowed by {human_bytes(over)} when linking firmware.elf" in e.message
    assert "tinygen inspect m.py --memory" in e.hint


def test_link_overflow_arena_region_names_it_and_the_bytes_cortexm(tmp_path):
    """The arena's own region (ARENA, from --arena-region): not FLASH or RAM, a refusal all the same."""
    board = get_board("f746zg")
    output = link(tmp_path, flash=64 * 1024, arena=64)
    assert "region `ARENA' overflowed by 192 bytes" in output
    e = overflow_error(output, board, predicted(board), "firmware.elf", "m.py")
    assert isinstance(e, ModelError)
    assert e.message == "does not fit nucleo-f746zg: the linker's region ARENA overflowed by 192 B when linking " \
                        "firmware.elf"
    assert "--arena-region" in e.hint and "256 B" in e.hint and "(dtcm)" in e.hint


def test_link_will_not_fit_alone_is_a_memory_refusal_cortexm(tmp_path):
    """A linker that says only "section `.text' will not fit in region `FLASH'" (no byte count)."""
    board = get_board("f746zg")
    output = "\n".join(line for line in link(tmp_path, flash=1024, arena=4096).splitlines()
                       if "overflowed by" not in line)
    assert "will not fit in region `FLASH'" in output
    e = overflow_error(output, board, predicted(board), "firmware.elf", "m.py")
    assert isinstance(e, ModelError)
    assert "flash overflowed when linking firmware.elf: it needs more than" in e.message


def test_other_link_errors_are_not_memory_refusals(tmp_path):
    board = get_board("f746zg")
    output = "a.c:(.text+0x4): undefined reference to `tg_missing'\ncollect2: error: ld returned 1 exit status\n"
    assert overflow_error(output, board, predicted(board), "firmware.elf", "m.py") is None
