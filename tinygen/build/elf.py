"""A small reader for 32-bit little-endian ELF files (Cortex-M, RV32).

Only what the memory report needs: section headers (name, type, flags,
address, size), the load address of each section (from the program headers:
`.data` runs from RAM but is stored in flash), and symbol sizes (the arena).
No dependency beyond the standard library.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from tinygen.errors import ToolchainError

SHT_SYMTAB = 2
SHT_NOBITS = 8
SHF_ALLOC = 0x2
PT_LOAD = 1

_EHDR = struct.Struct("<16sHHIIIIIHHHHHH")
_SHDR = struct.Struct("<IIIIIIIIII")
_PHDR = struct.Struct("<IIIIIIII")
_SYM = struct.Struct("<IIIBBH")


@dataclass(frozen=True)
class Section:
    name: str
    type: int
    flags: int
    addr: int          # where it lives while running (VMA)
    load_addr: int     # where its bytes are stored in the image (LMA); == addr unless relocated
    size: int
    offset: int

    @property
    def alloc(self) -> bool:
        """Occupies target memory (as opposed to debug info, symbols, comments)."""
        return bool(self.flags & SHF_ALLOC)

    @property
    def has_bytes(self) -> bool:
        """Has contents in the image (.text, .rodata, .data), unlike .bss or a stack reserve."""
        return self.type != SHT_NOBITS


@dataclass(frozen=True)
class Symbol:
    name: str
    value: int
    size: int


@dataclass(frozen=True)
class Elf:
    path: Path
    machine: int
    entry: int
    sections: tuple[Section, ...]
    symbols: tuple[Symbol, ...]

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def symbol(self, name: str) -> Symbol | None:
        return next((s for s in self.symbols if s.name == name), None)


def _cstr(table: bytes, offset: int) -> str:
    end = table.find(b"\0", offset)
    return table[offset:end if end >= 0 else len(table)].decode("ascii", "replace")


def read_elf(path: str | Path) -> Elf:
    """Parse an ELF32 little-endian file; ToolchainError if it is not one."""
    path = Path(path)
    data = path.read_bytes()
    if len(data) < _EHDR.size or data[:4] != b"\x7fELF":
        raise ToolchainError(f"{path} is not an ELF file", "rebuild the firmware (make clean all)")
    if data[4] != 1 or data[5] != 1:
        raise ToolchainError(f"{path} is not a 32-bit little-endian ELF file",
                             "tinygen reads firmware for 32-bit little-endian cores (Cortex-M, RV32)")
    (_, _, machine, _, entry, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum,
     shstrndx) = _EHDR.unpack_from(data, 0)
    loads = []
    for i in range(phnum):
        p_type, p_offset, p_vaddr, p_paddr, p_filesz, _, _, _ = _PHDR.unpack_from(data, phoff + i * phentsize)
        if p_type == PT_LOAD:
            loads.append((p_offset, p_vaddr, p_paddr, p_filesz))
    raw = [_SHDR.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
    names = b""
    if 0 < shstrndx < shnum:
        _, _, _, _, off, size, *_ = raw[shstrndx]
        names = data[off:off + size]

    def load_addr(sh_type: int, addr: int, offset: int, size: int) -> int:
        if sh_type == SHT_NOBITS:
            return addr
        for p_offset, p_vaddr, p_paddr, p_filesz in loads:
            if p_offset <= offset and offset + size <= p_offset + p_filesz and p_vaddr <= addr:
                return p_paddr + (addr - p_vaddr)
        return addr

    sections = tuple(Section(_cstr(names, n), t, fl, a, load_addr(t, a, off, sz), sz, off)
                     for n, t, fl, a, off, sz, *_ in raw[1:])
    symbols: list[Symbol] = []
    for sh in raw:
        if sh[1] != SHT_SYMTAB:
            continue
        _, _, _, _, off, size, link, _, _, entsize = sh
        strtab = data[raw[link][4]:raw[link][4] + raw[link][5]]
        for j in range(1, size // (entsize or _SYM.size)):
            st_name, value, st_size, _, _, _ = _SYM.unpack_from(data, off + j * (entsize or _SYM.size))
            if st_name:
                symbols.append(Symbol(_cstr(strtab, st_name), value, st_size))
    return Elf(path, machine, entry, sections, tuple(symbols))


__all__ = ["Elf", "Section", "Symbol", "read_elf"]
