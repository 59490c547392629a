"""Cortex-M7 cycle model: a simpler, coarser one, labelled as such.

Arm publishes no instruction timing table for the Cortex-M7. What the model
uses, from Arm's Cortex-M7 product page and TRM (ARM DDI 0489, "About the
processor"): a six-stage in-order pipeline that issues up to two
instructions per cycle; one of them may be a load or store (two loads pair
through the 64-bit data interface); one MAC pipeline (one multiply per
cycle); a branch predictor. Assumed here, not published: a pair issues when
neither instruction needs the other's result and they are not two
multiplies, two stores or two FP operations; divides take 7 cycles (as the
M4's 2-12 midpoint); LDM / STM move two registers a cycle; a taken branch
costs 1 extra cycle (predicted), a load's result is ready one cycle later.
"""

from __future__ import annotations

from tinygen.cycles.isa import dest, kind, reads, register_count
from tinygen.cycles.qemu_log import Block

NAME = "Cortex-M7 (coarse dual-issue model, not from a published timing table)"
TAKEN_BRANCH = 1
DIVIDE = 7
LOAD_USE = 1
SINGLE = {"div", "ldm", "stm", "fpldm", "fpstm", "barrier", "load2", "store2", "fpdiv"}
CALIBRATED = True   # both fitted published points within 15% (CALIBRATION): two points, three parameters
# the fitted parameters (tinygen.cycles.fit): those of benchmarks/calibration/fitted.json's fit for this
# core where every point is within tinygen.cycles.fit.TOLERANCE, else the identity (nothing fitted)
FIT = {"memory_scale": 0.0, "load_extra": 0.7322, "branch_extra": 0.0}
CALIBRATION = ("calibrated on two points, the fewest tinygen.cycles.fit accepts: TinyEngine's TFLM + CMSIS-NN "
               "latency of mcunet-vww1 on an STM32H743 at 480 MHz (46.56 M cycles; twin on CMSIS-NN 011bf32 at "
               "-Ofast) and Plumerai's TFLM 2.5 + CMSIS-NN latency of MobileNetV2 0.30 80x80 on the "
               "STM32F746G-Discovery at 216 MHz (27.864 M cycles; twin on TFLM v2.5's CMSIS_5 0d7e4fa7 at -O2, "
               "a model built from the post's description, benchmarks/calibration/plumerai_mobilenetv2.py "
               "--layout slim). Unfitted -24.3% and -9.6%; the fit (memory_scale and branch_extra at their lower "
               "bound 0, load_extra 0.732) leaves -7.7% and +7.3%. Two points barely constrain three parameters: "
               "each point under a fit to the other alone is off by 16.9% and 15.6% "
               "(benchmarks/calibration/README.md)")


def _alone(insn) -> int:
    k = kind(insn)
    if k == "div":
        return DIVIDE
    if k in ("ldm", "stm", "fpldm", "fpstm"):
        return 1 + register_count(insn) // 2
    if k in ("load2", "store2"):
        return 1
    if k == "fpdiv":
        return 14
    return 1


def _pairs(a, b) -> bool:
    ka, kb = kind(a), kind(b)
    if ka in SINGLE or kb in SINGLE or ka == "it" or kb == "it":
        return False
    if (ka, kb) in (("mul", "mul"), ("store", "store")) or (ka.startswith("fp") and kb.startswith("fp")):
        return False
    return not reads(b, dest(a))


def block_cycles(block: Block, taken: bool) -> tuple[int, dict[str, int]]:
    total, by, i = 0, {}, 0
    insns = block.insns
    while i < len(insns):
        a = insns[i]
        c = _alone(a)
        step = 1
        if c == 1 and i + 1 < len(insns) and _pairs(a, insns[i + 1]):
            step = 2
        nxt = insns[i + step] if i + step < len(insns) else None
        if kind(insns[i + step - 1]) == "load" and nxt is not None and reads(nxt, dest(insns[i + step - 1])):
            c += LOAD_USE
        for insn in insns[i:i + step]:
            by[kind(insn)] = by.get(kind(insn), 0) + c / step
        total += c
        i += step
    if taken and kind(insns[-1]) in ("branch", "ldm"):
        total += TAKEN_BRANCH
        by["branch"] = by.get("branch", 0) + TAKEN_BRANCH
    return total, by


__all__ = ["CALIBRATED", "CALIBRATION", "FIT", "NAME", "block_cycles"]
