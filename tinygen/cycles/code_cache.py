"""The board's code cache, simulated over the executed block sequence.

QEMU's execution log gives the order blocks run in (qemu_log): each run
fetches its block's lines in address order. This cache takes those fetches
and says which miss, so a loop whose lines fit stays in the cache however
much cold code the rest of the layer runs once, and a loop that does not fit
misses on the lines its own body evicts.

Geometry from the [timing] priced with (the board's, or a calibration point's part): `code_cache_bytes`, `code_line_bytes` and
`code_cache_ways` (0 or absent: fully associative), replacement least
recently used. Where the manual does not state the associativity (the
STM32F4 ART accelerator: "64 lines of 128 bits", RM0390) the board file says
what it assumes. The flash prefetch buffer, which hides some sequential
misses, is not modelled: each miss costs the full wait states.
"""

from __future__ import annotations

from collections import OrderedDict


class CodeCache:
    """Set-associative LRU cache of `size` bytes in lines of `line` bytes, `ways` per set (0: one set)."""

    def __init__(self, size: int, line: int, ways: int = 0):
        lines = max(size // line, 1)
        ways = lines if ways <= 0 or ways > lines else ways
        self.line, self.ways, self.sets = line, ways, lines // ways
        self._sets = [OrderedDict() for _ in range(self.sets)]
        # two ways (the Cortex-M7's L1, the U585's ICACHE): per set its most and least recent line, in two
        # lists, several times faster than an OrderedDict a set (a logged run fetches once per block run)
        self._mru: list[int] | None = [-1] * self.sets if ways == 2 else None
        self._lru: list[int] = [-1] * self.sets if ways == 2 else []
        self._last: tuple[int, int] | None = None
        # a run of the lines fetched last, again, hits and leaves the order as it was when they are
        # each the most recent of their set: at most `ways` of them in one set, or one per set
        self._repeat = ways if self.sets == 1 else self.sets

    def fetch(self, start: int, end: int) -> int:
        """Fetch the code bytes [start, end): the lines that missed."""
        return self.fetch_lines(start // self.line, (end - 1) // self.line)

    def fetch_lines(self, first: int, last: int) -> int:
        """Fetch lines first..last (addresses // line): those that missed."""
        span = (first, last)
        if span == self._last and last - first < self._repeat:
            return 0                                    # a loop of one block, run again
        self._last = span
        misses = 0
        if self._mru is not None:
            mru, lru, sets = self._mru, self._lru, self.sets
            for line in range(first, last + 1):
                s = line % sets
                recent = mru[s]
                if recent != line:
                    if lru[s] != line:
                        misses += 1
                    lru[s], mru[s] = recent, line
            return misses
        for line in range(span[0], span[1] + 1):
            ways = self._sets[line % self.sets]
            if line in ways:
                ways.move_to_end(line)
            else:
                misses += 1
                ways[line] = None
                if len(ways) > self.ways:
                    ways.popitem(last=False)
        return misses


def code_cache_for(timing: dict) -> CodeCache | None:
    """The board's code cache (None: no [timing] cache, or no wait states for it to hide)."""
    size = int(timing.get("code_cache_bytes", 0))
    if size <= 0 or int(timing.get("flash_wait_states", 0)) <= 0:
        return None
    return CodeCache(size, int(timing.get("code_line_bytes", 16)), int(timing.get("code_cache_ways", 0)))


__all__ = ["CodeCache", "code_cache_for"]
