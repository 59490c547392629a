"""Thumb-2 instructions as QEMU's disassembler (capstone) prints them, sorted
into the classes the timing models price."""

from __future__ import annotations

import functools
import re

from tinygen.cycles.qemu_log import Insn

CONDITIONS = ("eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al")
_REGS = re.compile(r"\{([^}]*)\}")
_BASE = re.compile(r"\[(\w+)")

MULTIPLY = ("mul", "mla", "mls", "smull", "umull", "smlal", "umlal", "smla", "smlaw", "smul", "smulw", "smlad",
            "smladx", "smlsd", "smlsdx", "smuad", "smuadx", "smusd", "smusdx", "smmul", "smmla", "smmls",
            "smlald", "smlaldx", "smlsld", "smlsldx", "umaal", "usad8", "usada8")
LOADS = ("ldr", "ldrb", "ldrh", "ldrsb", "ldrsh", "ldrex", "ldrexb", "ldrexh", "ldrt", "ldrbt", "ldrht")
STORES = ("str", "strb", "strh", "strex", "strexb", "strexh", "strt", "strbt", "strht")
BRANCHES = ("b", "bl", "blx", "bx", "cbz", "cbnz", "tbb", "tbh", "le", "letp")   # LE, LETP: Armv8.1-M loop ends
MVE_PREDICATION = ("vctp", "vpst", "vpt", "vpnot")
_WORD = re.compile(r"\b(r\d+|sb|sl|fp|ip|sp|lr|s\d+|d\d+|q\d+)\b")
_Q = re.compile(r"\bq\d\b")


@functools.lru_cache(maxsize=4096)
def base(mnemonic: str) -> str:
    """ldr.w → ldr, addseq → add, bne → b, smlabb → smla, vmla.f32 → vmla (remembered per mnemonic:
    a logged run prices millions of instructions of a few hundred mnemonics)."""
    m = mnemonic.split(".")[0].lower()
    if m.startswith("it"):
        return "it"
    if m.startswith("v"):
        return m
    for cond in CONDITIONS:
        if m.endswith(cond) and m[:-2] in BRANCHES + LOADS + STORES + ("mov", "add", "sub", "pop", "push"):
            m = m[:-2]
            break
    if m.startswith("smla") and m[4:6] in ("bb", "bt", "tb", "tt"):
        return "smla"
    if m.startswith("smul") and m[4:6] in ("bb", "bt", "tb", "tt"):
        return "smul"
    if m.startswith(("smlaw", "smulw")):
        return m[:5]
    if m.endswith("s") and m[:-1] in ("add", "sub", "mov", "mul", "and", "orr", "eor", "lsl", "lsr", "asr", "rsb",
                                      "bic", "mvn", "adc", "sbc", "ror", "neg", "orn"):
        return m[:-1]
    return m


def register_count(insn: Insn) -> int:
    """Registers in a {list} (LDM, STM, PUSH, POP, VLDM, VPUSH ...)."""
    m = _REGS.search(insn.operands)
    if not m:
        return 1
    n = 0
    for part in m.group(1).split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = (int(re.sub(r"\D", "", x)) for x in part.split("-"))
            n += hi - lo + 1
        elif part:
            n += 1
    return n


def writes_pc(insn: Insn) -> bool:
    ops = insn.operands.replace(" ", "")
    return "pc" in _REGS.search(insn.operands).group(1) if _REGS.search(insn.operands) else ops.startswith("pc,")


def dest(insn: Insn) -> str:
    return insn.operands.split(",")[0].strip()


def reads(insn: Insn, reg: str) -> bool:
    """Whether the instruction reads `reg` (a source operand, or any operand of a store)."""
    ops = insn.operands.split(",", 1)
    return len(ops) > 1 and reg in _WORD.findall(ops[1]) or (kind(insn) in ("store", "fpstore") and reg in
                                                              _WORD.findall(insn.operands))


def base_register(insn: Insn) -> str | None:
    m = _BASE.search(insn.operands)
    return m.group(1) if m else None


def kind(insn: Insn) -> str:
    """One of: alu, mul, div, load, store, load2, store2, ldm, stm, branch, it, barrier, fp, fpmac, fpdiv,
    fpload, fpstore, fpldm, fpstm, mve (a Helium vector instruction: a Q register operand, or predication)."""
    return _kind(insn.mnemonic, insn.operands)


@functools.lru_cache(maxsize=1 << 16)
def _kind(mnemonic: str, operands: str) -> str:
    """kind() of an instruction's text, remembered (as base())."""
    b = base(mnemonic)
    if b.startswith("v") and (_Q.search(operands) or b.startswith(MVE_PREDICATION)):
        return "mve"
    if b in LOADS:
        return "load"
    if b in STORES:
        return "store"
    if b == "ldrd":
        return "load2"
    if b == "strd":
        return "store2"
    if b in ("ldm", "ldmia", "ldmdb", "ldmfd", "pop"):
        return "ldm"
    if b in ("stm", "stmia", "stmdb", "stmfd", "push"):
        return "stm"
    if b in BRANCHES:
        return "branch"
    if b in MULTIPLY:
        return "mul"
    if b in ("sdiv", "udiv"):
        return "div"
    if b == "it":
        return "it"
    if b in ("dmb", "dsb", "isb"):
        return "barrier"
    if b.startswith("v"):
        if b in ("vldr",):
            return "fpload"
        if b in ("vstr",):
            return "fpstore"
        if b in ("vldm", "vldmia", "vldmdb", "vpop"):
            return "fpldm"
        if b in ("vstm", "vstmia", "vstmdb", "vpush"):
            return "fpstm"
        if b in ("vmla", "vmls", "vnmla", "vnmls", "vfma", "vfms", "vfnma", "vfnms"):
            return "fpmac"
        if b in ("vdiv", "vsqrt"):
            return "fpdiv"
        return "fp"
    return "alu"


__all__ = ["base", "base_register", "dest", "kind", "reads", "register_count", "writes_pc"]
