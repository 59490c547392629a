"""Instruction fetch from flash: the wait states the board file states, hidden
by its cache (Cortex-M7 L1 I-cache) or accelerator (STM32F4 ART).

A segment's code footprint (the distinct lines its blocks span) misses once
(cold); a footprint larger than the cache also misses in proportion to the
overflow on every line fetch (capacity, as if lines were evicted uniformly).
Each miss costs the wait states. The flash prefetch buffer, which hides some
sequential misses, is not modelled: this side is an upper bound. Data read
from flash (weights) is priced apart (weight_reads): QEMU's log has no data
addresses, so it follows from each kernel's known access pattern.
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
    ratio = _ratio(timing)
    footprint = len({line // ratio for line in segment.lines})
    fetches = segment.line_fetches / ratio
    capacity = int(timing.get("code_cache_bytes", 0)) // (LogFolder.LINE * ratio)
    misses = float(footprint)
    if footprint > capacity:
        misses += fetches * (1.0 - capacity / footprint)
    return misses * ws


__all__ = ["code_bytes", "fetch_stall_cycles"]
