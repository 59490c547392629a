"""ESP32-C3 cycle model (RV32IMC at 160 MHz): uncalibrated.

Sources. Espressif's ESP32-C3 Technical Reference Manual (chapter "ESP-RISC-V CPU") describes
an in-order RV32IMC core with zero-wait-state access to on-chip SRAM and to the cache on a
hit; Espressif publishes no per-instruction cycle table for it. One published measurement
bounds two numbers: WLED issue 4206's table of integer operations on a C3 at 160 MHz,
120.74 M multiplies/s (about 1.3 cycles each, loop included) and 4.63 M divisions/s (about 35
cycles each). Everything else below is assumed, each number named:

- single issue, 1 cycle per instruction: ALU, loads and stores (SRAM or a cache hit), MUL,
  MULH*, CSR reads;
- LOAD_USE: 1 stall cycle when the next instruction reads a loaded register;
- a short in-order pipeline without a branch predictor: a taken conditional branch, resolved
  in execute, costs TAKEN_BRANCH = 2 more cycles; JAL (J, CALL), whose target decode knows,
  JUMP = 1; JALR (RET, indirect calls), which reads a register, INDIRECT = 2; a branch not
  taken nothing more;
- DIVIDE = 33 for DIV, DIVU, REM, REMU: a radix-2 divider, one quotient bit a cycle, as the
  measured rate suggests;
- a load-use pair split across two blocks is not priced (blocks end at branches).

Memory is priced apart: code runs in place from the external SPI flash through the 16 KB
cache (tinygen.cycles.memory), and the weights, `const` data in flash, come through the same
cache (tinygen.cycles.weight_reads); the board file's [timing] states the miss penalty.
"""

from __future__ import annotations

import re

from tinygen.cycles.qemu_log import Block, Insn

NAME = "ESP32-C3 RV32IMC (uncalibrated; pipeline rules assumed from the TRM's description, no published cycle table)"
CALIBRATED = False
FIT = {"memory_scale": 1.0, "load_extra": 0.0, "branch_extra": 0.0}      # tinygen.cycles.fit: nothing fitted
CALIBRATION = ("uncalibrated: esp-tflite-micro's published person detection times on the ESP32-C3 "
               "(benchmarks/calibration/published.json) are compared, not fitted; the model's error is unknown")
LOAD_USE = 1
TAKEN_BRANCH = 2
JUMP = 1
INDIRECT = 2
DIVIDE = 33

LOADS = ("lb", "lh", "lw", "lbu", "lhu")
STORES = ("sb", "sh", "sw")
BRANCHES = ("beq", "bne", "blt", "bge", "bltu", "bgeu", "beqz", "bnez", "blez", "bgez", "bltz", "bgtz", "bgt",
            "ble", "bgtu", "bleu")
JUMPS = ("j", "jal", "call", "tail")
INDIRECTS = ("jr", "jalr", "ret")
MULTIPLY = ("mul", "mulh", "mulhsu", "mulhu")
DIVISION = ("div", "divu", "rem", "remu")
BASE_CYCLES = {"alu": 1, "mul": 1, "div": DIVIDE, "load": 1, "store": 1, "branch": 1, "jump": 1, "indirect": 1,
               "csr": 1}
_REG = re.compile(r"\b(zero|ra|sp|gp|tp|t[0-6]|s[0-9]|s1[01]|a[0-7]|fp|x[0-9]+)\b")


def kind(insn: Insn) -> str:
    """One of: alu, mul, div, load, store, branch (conditional), jump (JAL), indirect (JALR), csr."""
    m = insn.mnemonic.lower().removeprefix("c.")
    if m in LOADS:
        return "load"
    if m in STORES:
        return "store"
    if m in BRANCHES:
        return "branch"
    if m in JUMPS:
        return "jump"
    if m in INDIRECTS:
        return "indirect"
    if m in MULTIPLY:
        return "mul"
    if m in DIVISION:
        return "div"
    if m.startswith("csr"):
        return "csr"
    return "alu"


def _operands(insn: Insn) -> list[str]:
    return [o.strip() for o in insn.operands.split("#")[0].split(",") if o.strip()]


def dest(insn: Insn) -> str | None:
    """The register a load or ALU instruction writes (None for stores and branches)."""
    ops = _operands(insn)
    return ops[0] if ops and kind(insn) not in ("store", "branch") else None


def reads(insn: Insn, reg: str | None) -> bool:
    """Whether the instruction reads `reg`: any operand but the destination (every operand of a store or
    branch). x0 (zero) is never a dependency."""
    if reg is None or reg == "zero":
        return False
    ops = _operands(insn)
    sources = ops if kind(insn) in ("store", "branch") else ops[1:]
    return any(reg in _REG.findall(op) for op in sources)


def block_cycles(block: Block, taken: bool) -> tuple[int, dict[str, int]]:
    """Cycles for one run of the block, and per class; `taken`: control left it by its last instruction's
    branch or jump (not by falling through)."""
    total, by = 0, {}
    insns = block.insns
    for i, insn in enumerate(insns):
        k = kind(insn)
        c = BASE_CYCLES[k]
        last = i == len(insns) - 1
        if k == "load" and not last and reads(insns[i + 1], dest(insn)):
            c += LOAD_USE
        elif last and taken:
            c += {"branch": TAKEN_BRANCH, "jump": JUMP, "indirect": INDIRECT}.get(k, 0)
        total += c
        by[k] = by.get(k, 0) + c
    return total, by


__all__ = ["BASE_CYCLES", "CALIBRATED", "CALIBRATION", "DIVIDE", "FIT", "INDIRECT", "JUMP", "LOAD_USE", "NAME", "TAKEN_BRANCH",
           "block_cycles", "dest", "kind", "reads"]
