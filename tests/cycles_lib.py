"""Hand-made blocks for the timing models' tests (tests/cycles/)."""

from __future__ import annotations

from tinygen.cycles.qemu_log import Block, Insn


def block(*lines: str) -> Block:
    """Instructions as 'mnemonic operands', 4 bytes each from 0x100."""
    insns = []
    for i, line in enumerate(lines):
        mnemonic, _, operands = line.partition(" ")
        insns.append(Insn(0x100 + 4 * i, 4, mnemonic, operands.strip()))
    return Block(0x100, insns)


__all__ = ["block"]
