"""The executed blocks' instructions from binutils' disassembly of the ELF, by
address: for a core whose instructions QEMU's disassembler does not know
(Helium / MVE and the Armv8.1-M loop instructions on QEMU 7.2, which prints
them as coprocessor instructions or `.byte`). QEMU still says which blocks ran
and how often; objdump says what they hold."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tinygen.cycles.qemu_log import Block, Insn
from tinygen.errors import ToolchainError

_LINE = re.compile(r"^\s*([0-9a-f]+):\s+([0-9a-f]{4}(?: [0-9a-f]{4})?)\s+(\S+)\s*([^@;<]*)")


def disassemble(elf: Path, arch: str, objdump: str = "arm-none-eabi-objdump") -> dict[int, Insn]:
    try:
        out = subprocess.run([objdump, "-d", "-m", arch, str(elf)], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise ToolchainError(f"disassembling {elf} with {objdump} failed: {e}",
                             "install binutils-arm-none-eabi (it comes with gcc-arm-none-eabi)") from e
    found = {}
    for line in out.splitlines():
        m = _LINE.match(line)
        if m and not m.group(3).startswith("."):
            addr = int(m.group(1), 16)
            found[addr] = Insn(addr, 2 if len(m.group(2)) == 4 else 4, m.group(3), m.group(4).strip())
    return found


def redisassemble(blocks: list[Block], insns: dict[int, Insn]) -> list[Block]:
    """Each block with the instructions the disassembly has in its address range (the block as QEMU printed
    it where the disassembly has no instruction at its start)."""
    out = []
    for block in blocks:
        addr, end, body = block.pc, block.end, []
        while addr < end and addr in insns:
            body.append(insns[addr])
            addr += insns[addr].size
        out.append(Block(block.pc, body) if body and addr == end else block)
    return out


__all__ = ["disassemble", "redisassemble"]
