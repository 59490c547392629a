"""Cortex-M55 cycle model: the scalar pipeline and Helium (MVE) beats,
uncalibrated (no real-board calibration point yet).

Sources. Arm's Cortex-M55 TRM (ARM 101051, "Functional description",
"Processor pipeline") and Software Optimization Guide describe a four-stage
integer pipeline and a vector extension processing unit (EPU) with four
pipes, load/store, integer, float/multiply and control, each 64 bits wide:
the M55 is a dual-beat implementation, a 128-bit MVE instruction takes two
beats (cycles) in its pipe, and the second beat of one instruction overlaps
the first beat of the next when they go to different pipes. LLVM's machine
model for the core (llvm/lib/Target/ARM/ARMScheduleM55.td, written by Arm)
gives the pipe of each MVE instruction used below and the example the
overlap rule reproduces: VLDR; VADD; VMUL; VSTR in 5 cycles, VLDR; VLDRB;
VADD; VSTR in 6 (two loads share the load/store pipe).

Rules: an MVE instruction costs 2 cycles, 1 after an MVE instruction of
another pipe (the overlapped beat); VCTP, VPST, VPNOT take the control pipe
for 1 cycle. A reduction into a general register (VMLAV, VMLADAV, VADDV ...,
latency 2) stalls a scalar instruction right after it that reads the result
by 1. Scalar instructions as the Cortex-M33 model (cortex_m33: loads 1 + a
load-use stall, multiplies 1) except a taken branch: 1 + 2 refill cycles
(LLVM's MispredictPenalty 3), and LE / LETP: the loop end the low-overhead
branch cache predicts, 0 extra. Not modelled: the dual issue of two 16-bit
instructions (an upper bound), MVE-to-MVE data dependencies (the beats
forward), interleaving a scalar instruction between the beats.

Gathers and scatters (a vector load or store addressing [Rn, Qm] or [Qm]) take the load/store pipe
for GATHER_BEATS, overlapping as any vector load: LLVM's model gives them the same two beats of the
load/store pipe (M55Write2LSE3, ReleaseAtCycles=[2]) and needs their offset vector 4 cycles earlier
(M55GatherQRead, a data dependency this model leaves out). Arm's Cortex-M55 Software Optimization
Guide, which would give the per-element cost of a gather on silicon, was not consulted here: where
a gather costs more than two beats on the core, a kernel built on them (the one-row shared-weight
fully connected layer, tg_fully_connected_lut_pairs_s8_mve: a halfword gather of 8 elements per 16
weights) is priced low by (the true cost - GATHER_BEATS) per gather.

QEMU 7.2's disassembler predates MVE and prints its instructions as
coprocessor ones (vldrb.s8 as `ldc p14`, DLS as `.byte`): tinygen.cycles.disasm
takes the mnemonics from binutils' disassembly of the same ELF (OBJDUMP_ARCH).
"""

from __future__ import annotations

import re

from tinygen.cycles.cortex_m33 import scalar_cycles
from tinygen.cycles.isa import base, dest, kind, reads
from tinygen.cycles.qemu_log import Block

NAME = "Cortex-M55 (uncalibrated; dual-beat MVE with pipe overlap, scalar pipeline as the M33's)"
CALIBRATED = False
# the fitted parameters (tinygen.cycles.fit): those of benchmarks/calibration/fitted.json's fit for this
# core where every point is within tinygen.cycles.fit.TOLERANCE, else the identity (nothing fitted)
FIT = {"memory_scale": 1.0, "load_extra": 0.0, "branch_extra": 0.0}
CALIBRATION = ("uncalibrated: no usable published TFLM + CMSIS-NN result on a Cortex-M55 was found (MLPerf Tiny "
               "v0.5-v1.3 has no M55 system; the one STM32N6 measurement found is set aside, "
               "benchmarks/calibration/published.json says why), so the model's error is unknown")
OBJDUMP_ARCH = "armv8.1-m.main"
REFILL = 2
BEATS = 2
REDUCE_USE = 1
GATHER_BEATS = BEATS        # a gather load or scatter store in the load/store pipe (LLVM: as any vector load)
LOAD_STORE = ("vldr", "vstr", "vld2", "vld4", "vst2", "vst4")
CONTROL = ("vctp", "vpst", "vpnot")
MULTIPLY = ("vmul", "vmla", "vmls", "vqdmul", "vqrdmul", "vrmul", "vqdml", "vqrdml", "vrml", "vfma", "vfms",
            "vaddv", "vaddlv", "vcmp", "vpt", "vcvt", "vrint")
REDUCTIONS = ("vmlav", "vmladav", "vmlsdav", "vmlaldav", "vmlsldav", "vrmlaldavh", "vaddv", "vaddlv", "vabav",
              "vminv", "vmaxv", "vminav", "vmaxav")


def gathers(insn) -> bool:
    """Whether a vector load or store addresses memory by a vector of offsets or addresses ([Rn, Qm], [Qm])."""
    return pipe(insn) == "ls" and re.search(r"\[\s*(?:\w+\s*,\s*)?q\d", insn.operands) is not None


def pipe(insn) -> str:
    """The EPU pipe an MVE instruction takes: ls, int, mul or control."""
    b = base(insn.mnemonic)
    if b.startswith(LOAD_STORE):
        return "ls"
    if b.startswith(CONTROL):
        return "control"
    if b.startswith(MULTIPLY):
        return "mul"
    return "int"


def block_cycles(block: Block, taken: bool) -> tuple[int, dict[str, int]]:
    total, by = 0, {}
    insns = block.insns
    previous: str | None = None         # the pipe of the previous instruction if it was a two-beat MVE one
    for i, insn in enumerate(insns):
        nxt = insns[i + 1] if i + 1 < len(insns) else None
        k = kind(insn)
        if k == "mve":
            p = pipe(insn)
            if p == "control":
                c, previous = 1, None
            else:
                beats = GATHER_BEATS if gathers(insn) else BEATS
                c = beats - 1 if previous is not None and previous != p else beats
                previous = p
            if base(insn.mnemonic).startswith(REDUCTIONS) and nxt is not None and kind(nxt) != "mve" \
                    and reads(nxt, dest(insn)):
                c += REDUCE_USE
        else:
            previous = None
            last = i == len(insns) - 1
            c = scalar_cycles(insn, nxt, last, taken, 0 if base(insn.mnemonic) in ("le", "letp") else REFILL)
        total += c
        by[k] = by.get(k, 0) + c
    return total, by


__all__ = ["BEATS", "CALIBRATED", "CALIBRATION", "FIT", "GATHER_BEATS", "NAME", "OBJDUMP_ARCH", "REDUCE_USE", "REFILL",
           "block_cycles", "gathers", "pipe"]
