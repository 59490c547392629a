"""SRAM read wait states: a part whose SRAM adds wait states to each read at its clock.

The stand-ins' SRAM answers in zero wait states (the STM32U5, F4, F7, H7 at their
boards' clocks), so the core models price a load as the pipeline does. Some parts
do not: the Renesas RA6M4 adds one wait state to every read of its SRAM0 above
100 MHz (SRAMWTSC, kept at its reset value by Renesas FSP's bsp_clocks.c when ICLK
is above BSP_FEATURE_BSP_SYS_CLOCK_FREQ_NO_RAM_WAITS). `sram_read_wait_states`
in [timing] (default 0) prices that: each read of SRAM waits that many cycles.

Which loads read SRAM: QEMU's log has no data addresses, so the count is the
executed loads' words (LDR, VLDR: 1; LDRD: 2; LDM is not counted, a lower bound)
less the words of the layer's constants read from flash (weight_reads'
bytes_read / 4: the kernels read their constants a word at a time), never below
0. Activations, scratch buffers and the stack are in SRAM; constants the build
placed in RAM are SRAM reads too (the caller passes 0 flash bytes for them).
"""

from __future__ import annotations

WORDS = {"load": 1, "load2": 2, "fpload": 1}     # 32-bit reads per executed load instruction
WORD = 4


def sram_reads(mix: dict[str, int], flash_read_bytes: int) -> int:
    """Reads of SRAM among a layer's executed loads (`mix`: executed instructions per class)."""
    words = sum(mix.get(kind, 0) * n for kind, n in WORDS.items())
    return max(words - -(-int(flash_read_bytes) // WORD), 0)


def sram_wait_cycles(mix: dict[str, int], flash_read_bytes: int, timing: dict) -> float:
    """The wait states those reads add: 0 where [timing] states none."""
    waits = int(timing.get("sram_read_wait_states", 0))
    return float(waits * sram_reads(mix, flash_read_bytes)) if waits else 0.0


__all__ = ["WORD", "WORDS", "sram_reads", "sram_wait_cycles"]
