"""Cortex-M4 cycle model: the instruction timings of Arm's Cortex-M4
Technical Reference Manual (r0p1, ARM 100166_0001_00_en), section 3.3.1
"Table of processor instructions" (Table 3-1) and 3.3.2 "Load/store timings".
The TRM's counts assume zero wait states; memory is added separately
(tinygen.cycles.memory). Every number below names its row.
"""

from __future__ import annotations

from tinygen.cycles.isa import base_register, dest, kind, register_count, writes_pc
from tinygen.cycles.qemu_log import Block

NAME = "Cortex-M4 (TRM Table 3-1 timings)"
CALIBRATED = True   # every fitted published point within 15% (CALIBRATION)
# the fitted parameters (tinygen.cycles.fit): those of benchmarks/calibration/fitted.json's fit for this
# core where every point is within tinygen.cycles.fit.TOLERANCE, else the identity (nothing fitted)
FIT = {"memory_scale": 0.6388, "load_extra": 0.9894, "branch_extra": 0.0401}
CALIBRATION = ("calibrated: fitted to the 4 published Cortex-M4 TFLM + CMSIS-NN points (MLPerf Tiny v0.5 reference, "
               "NUCLEO-L4R5ZI at 120 MHz, 5 flash wait states, the L4R5's 64-bit flash reads behind its ART caches "
               "of 1 KB and 256 B), their twin built on the CMSIS-NN TFLM v2.3.1 ran (CMSIS_5 1150e71e of 2020, "
               "benchmarks/calibration/old_cmsis_nn.py) at mbed's -Os, executing what TFLM v2.3.1's kernels "
               "recomputed in every Eval (each conv and depthwise layer's per-channel multipliers in soft-float "
               "double, cmsis_nn_2020/tflm_v231_invoke.c); unfitted errors -7.9 to -11.6%, under the fit -0.6% "
               "(AD), +1.5% (IC), -1.1% (KWS), -0.0% (VWW), held out -4.4 to +2.1%; memory_scale 0.639, "
               "load_extra 0.989 a load instruction, LDM and POP included (just under its bound of 1), branch_extra "
               "0.040 (benchmarks/calibration/README.md)")

# P, "the number of cycles required for a pipeline refill. This ranges from 1 to
# 3 depending on the alignment and width of the target instruction, and whether
# the processor manages to speculate the address early" (Table 3-1 notes). The
# model takes the middle of that range.
REFILL = 2
# SDIV / UDIV: "2 to 12" ("Divide", Table 3-1; early termination on the operands'
# sizes). The model takes the middle.
DIVIDE = 7

BASE_CYCLES = {
    "alu": 1,       # MOV, ADD, SUB, logic, shifts, compare, extend, bit field, saturate: 1
    "mul": 1,       # MUL, MLA, MLS 1; SMULL, UMULL, SMLAL, UMLAL 1; SMLAD and the other DSP multiplies 1
    "div": DIVIDE,
    "load": 2,      # LDR, LDRB, LDRH, LDRSB, LDRSH (any addressing mode): 2
    "store": 2,     # STR, STRB, STRH: 2
    "load2": 3,     # LDRD: 1 + 2
    "store2": 3,    # STRD: 1 + 2
    "it": 0,        # IT: "0-1", folded into the preceding 16-bit instruction where it can be
    "barrier": 1,   # DMB, DSB: 1 + B with B >= 0
    "branch": 1,    # B, BL, BX, BLX: 1 + P taken; CBZ / CBNZ: 1 not taken, 1 + P taken
    "fp": 1,        # VADD, VSUB, VMUL, VNEG, VABS, VCMP, VCVT, VMOV (core <-> FP 1 or 2): 1 (Table 3-1's FPU rows)
    "fpmac": 3,     # VMLA, VMLS, VNMLA, VNMLS, VFMA ...: 3
    "fpdiv": 14,    # VDIV, VSQRT: 14
    "fpload": 2,    # VLDR: 2
    "fpstore": 2,   # VSTR: 2
}
PIPELINED = 1       # 3.3.2: a load or store single right after a load "can pipeline its address
                    # and data phases": 1 cycle instead of 2 ("LDR R0,[R1]; LDR R1,[R2]" takes 3).
                    # Nothing pipelines after a store, nor a load whose base the previous load wrote.


def block_cycles(block: Block, taken: bool) -> tuple[int, dict[str, int]]:
    """Cycles for one run of the block, and per class; `taken`: its last branch was taken."""
    total, by = 0, {}
    prev_load: str | None = None        # destination of the previous instruction if it was a single load
    for i, insn in enumerate(block.insns):
        k = kind(insn)
        if k in ("ldm", "stm", "fpldm", "fpstm"):
            c = 1 + register_count(insn)                     # LDM, STM, PUSH, POP, VLDM, VPUSH: 1 + N
            if k == "ldm" and writes_pc(insn):
                c += REFILL                                  # POP {.., PC}, LDM with PC: 1 + N + P
        elif k in ("load", "store") and prev_load is not None and base_register(insn) != prev_load:
            c = PIPELINED
        else:
            c = BASE_CYCLES[k]
            last = i == len(block.insns) - 1
            if k == "branch" and last and taken:
                c += REFILL
            elif k == "load" and insn.operands.replace(" ", "").startswith("pc,"):
                c += REFILL                                  # LDR PC, [..]: 2 + P
        prev_load = dest(insn) if k == "load" else None
        total += c
        by[k] = by.get(k, 0) + c
    return total, by


__all__ = ["BASE_CYCLES", "CALIBRATED", "CALIBRATION", "DIVIDE", "FIT", "NAME", "REFILL", "block_cycles"]
