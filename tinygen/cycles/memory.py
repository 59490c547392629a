"""Instruction fetch from flash: the wait states the board file states, hidden
by its cache (Cortex-M7 L1 I-cache) or accelerator (STM32F4 ART).

A logged run (tinygen.cycles.run) fetches every executed block through a
simulation of the board's code cache (code_cache) in the order the blocks
ran: the lines that missed cost the wait states each. The flash prefetch
buffer, which hides some sequential misses, is not modelled: this side is an
upper bound.

A segment folded without the simulation (no cache given to the LogFolder)
gets the coarse bound instead: its code footprint (the distinct lines its
blocks span) misses once (cold), and a footprint larger than the cache also
misses in proportion to the overflow on every line fetch, as if lines were
evicted uniformly, which prices a loop that fits as missing when cold code
around it does not. Data read from flash (weights) is priced apart
(weight_reads): QEMU's log has no data addresses, so it follows from each
kernel's known access pattern.
"""

from __future__ import annotations

from tinygen.cycles.qemu_log import LogFolder, Segment


def _ratio(timing: dict) -> int:
    return max(int(timing.get("code_line_bytes", LogFolder.LINE)) // LogFolder.LINE, 1)


def code_bytes(segment: Segment, timing: dict) -> int:
    """The segment's code footprint: the bytes of the distinct cache lines its blocks span."""
    ratio = _ratio(timing)
    return len({line // ratio for line in segment.lines}) * LogFolder.LINE * ratio


def fetch_stall_cycles(segment: Segment, timing: dict) -> float:
    ws = int(timing.get("flash_wait_states", 0))
    if ws == 0 or not segment.lines:
        return 0.0
    if segment.fetch_misses is not None:            # simulated over the executed sequence (code_cache)
        return float(segment.fetch_misses * ws)
    ratio = _ratio(timing)
    footprint = len({line // ratio for line in segment.lines})
    fetches = segment.line_fetches / ratio
    capacity = int(timing.get("code_cache_bytes", 0)) // (LogFolder.LINE * ratio)
    misses = float(footprint)
    if footprint > capacity:
        misses += fetches * (1.0 - capacity / footprint)
    return misses * ws


__all__ = ["code_bytes", "fetch_stall_cycles"]
