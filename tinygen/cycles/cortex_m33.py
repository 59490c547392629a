"""Cortex-M33 cycle model: calibrated against 5 published TFLM + CMSIS-NN points (CALIBRATION says how).

Sources. Arm's Cortex-M33 TRM (ARM 100230, "Programmers model" and
"Instruction set summary") describes the processor but, unlike the Cortex-M4
TRM, publishes no per-instruction cycle table. What the model takes from Arm's
description of the core: a three-stage pipeline (fetch, decode + execute 1,
execute 2), single issue except that a 16-bit instruction can pair with
another one; address generation for loads and stores in the second stage, so
a single load issues in 1 cycle (the Cortex-M4 takes 2) and its data is ready
for the instruction after next; the 32x32 multiplier, the DSP extension's
MAC and SIMD instructions single-cycle in the third stage; branches resolved
in decode (no predictor). LLVM prices the M33 with its Cortex-M4 machine
model (ARMScheduleM4.td: loads latency 2, multiplies 1).

Assumed, not published: a load-use stall of 1 cycle when the next
instruction reads a loaded register; a taken branch costs 1 + P with P = 1
(the decode-stage resolution saves one refill cycle against the M4's middle
of 1-3); SDIV / UDIV 2-11 cycles, the middle taken; LDM / STM 1 + N; LDRD /
STRD 2. The M33's pairing of 16-bit instructions is not modelled (an upper
bound). The TRM's counts assume zero wait states; memory is added separately
(tinygen.cycles.memory).
"""

from __future__ import annotations

from tinygen.cycles.isa import dest, kind, reads, register_count, writes_pc
from tinygen.cycles.qemu_log import Block

NAME = "Cortex-M33 (pipeline rules from Arm's description, no published cycle table)"
CALIBRATED = True   # every fitted published point within 15% (CALIBRATION)
# the fitted parameters (tinygen.cycles.fit): those of benchmarks/calibration/fitted.json's fit for this
# core where every point is within tinygen.cycles.fit.TOLERANCE, else the identity (nothing fitted)
FIT = {"memory_scale": 3.0, "load_extra": 0.0042, "branch_extra": 2.0}
CALIBRATION = ("calibrated: fitted to 5 published TFLM + CMSIS-NN points, each priced with its own part's memory "
               "system (the 4 EK-RA6M4 MLPerf Tiny v0.7 points: 3 flash wait states and 1 SRAM read wait state at "
               "200 MHz; the FRDM-MCXN947 micro speech point: 3 flash wait states at 150 MHz); errors under the fit "
               "-13% to +6% (RA6M4 IC -13%), held-out up to 16%; memory_scale and branch_extra sit at their bounds "
               "(3 and 2), and the flash caches' sizes and ways are the U585's, the parts' being not "
               "found; instruction fetch is simulated through that cache (tinygen/cycles/code_cache.py) "
               "(benchmarks/calibration/fitted.json, published.json)")
REFILL = 1          # P: taken branch refill, the branch resolved in decode
DIVIDE = 6          # SDIV / UDIV 2-11: the middle
LOAD_USE = 1        # the next instruction reads the loaded register

BASE_CYCLES = {
    "alu": 1, "mul": 1, "div": DIVIDE, "load": 1, "store": 1, "load2": 2, "store2": 2, "it": 0, "barrier": 1,
    "branch": 1, "fp": 1, "fpmac": 3, "fpdiv": 14, "fpload": 1, "fpstore": 1,
}


def scalar_cycles(insn, nxt, last: bool, taken: bool, refill: int) -> int:
    """One scalar instruction's cycles under the rules above, with the load-use stall on `nxt`."""
    k = kind(insn)
    if k in ("ldm", "stm", "fpldm", "fpstm"):
        c = 1 + register_count(insn)
        if k == "ldm" and writes_pc(insn):
            c += refill
        return c
    c = BASE_CYCLES[k]
    if k == "branch" and last and taken:
        c += refill
    elif k == "load" and insn.operands.replace(" ", "").startswith("pc,"):
        c += refill
    elif k in ("load", "fpload") and nxt is not None and reads(nxt, dest(insn)):
        c += LOAD_USE
    return c


def block_cycles(block: Block, taken: bool) -> tuple[int, dict[str, int]]:
    total, by = 0, {}
    insns = block.insns
    for i, insn in enumerate(insns):
        nxt = insns[i + 1] if i + 1 < len(insns) else None
        c = scalar_cycles(insn, nxt, i == len(insns) - 1, taken, REFILL)
        total += c
        by[kind(insn)] = by.get(kind(insn), 0) + c
    return total, by


__all__ = ["BASE_CYCLES", "CALIBRATED", "CALIBRATION", "FIT", "LOAD_USE", "NAME", "REFILL", "block_cycles", "scalar_cycles"]
