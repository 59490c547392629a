"""The executed instruction mix from QEMU's own execution log.

The Debian QEMU 7.2 accepts -plugin but ships no plugins and no
qemu-plugin.h, so the mix comes from its logging instead:
`-d in_asm,exec,nochain` prints each translation block's disassembly once
(in_asm) and a line every time a block runs (exec; nochain keeps QEMU from
chaining blocks past the log). Counting executions per block and
multiplying by the block's instructions gives the exact executed mix; the
block that runs next says whether the branch ending a block was taken.

The log goes through a FIFO and is folded into counts as it streams: no
file of hundreds of megabytes. Opt-in (`tinygen power --cycles`): QEMU runs
several times slower while it logs (tinygen.cycles measures it).

A block that QEMU traces but does not run is not counted: when an exit request (the
I/O thread serving the serial link, a timer) reaches a block before its first
instruction, QEMU logs "Stopped execution of TB chain before" right after its Trace
line and traces it again when it runs. Counting that first Trace made the count of
the layer it fell in depend on the host's timing (one block more, now and then).

Segments: a block starting at one of `starts` opens a segment (a layer, a
microbenchmark), one starting at one of `stops` closes it; blocks outside a
segment are not counted. Given the board's code cache (code_cache), every
block that ran, inside a segment or not, fetches its lines through it in the
order they ran, and each segment counts the lines that missed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from tinygen.cycles.code_cache import CodeCache

# Thumb prints a 32-bit instruction as two halfwords ("f8d0 3000"), RISC-V as one word ("02a58633"); both
# print a 16-bit one (Thumb, RISC-V C) as four hex digits
_INSN = re.compile(r"^0x([0-9a-f]+):\s+([0-9a-f]{4}(?: [0-9a-f]{4})?|[0-9a-f]{8})\s+(\S+)\s*(.*)$")
_STOPPED = "Stopped execution of TB chain before"
_EXEC = re.compile(r"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")


@dataclass(frozen=True)
class Insn:
    addr: int
    size: int                   # bytes: 2 or 4 (Thumb, RISC-V with C)
    mnemonic: str
    operands: str


@dataclass
class Block:
    """One translation of a block: its instructions, in order."""
    pc: int
    insns: list[Insn]

    @property
    def end(self) -> int:
        last = self.insns[-1]
        return last.addr + last.size


@dataclass
class Segment:
    """What ran in one segment: executions per (block, whether the next block
    was the fall-through), and the order blocks first ran in (for the fetch model)."""
    runs: dict[tuple[int, bool], int] = field(default_factory=dict)
    lines: set[int] = field(default_factory=set)      # 16-byte code lines fetched
    line_fetches: int = 0
    fetch_misses: int | None = None                   # lines that missed the simulated code cache (None: none given)
    # the blocks whose lines `lines` holds already (LogFolder adds a block's lines on its first run only)
    blocks_seen: set[int] = field(default_factory=set, compare=False, repr=False)

    def instructions(self, blocks: list[Block]) -> int:
        return sum(len(blocks[b].insns) * n for (b, _), n in self.runs.items())


class LogFolder:
    """Fold QEMU's in_asm + exec log, line by line, into per-segment counts."""

    LINE = 16                   # bytes per code line for the fetch model (ART / cache lines are 16 or 32)

    def __init__(self, starts: set[int], stops: set[int], cache: CodeCache | None = None):
        self.starts, self.stops = starts, stops
        self.cache = cache
        self._fetch: tuple[int, Segment | None] | None = None     # (block, its segment) that ran last, not yet fetched
        self.blocks: list[Block] = []
        # per block, by index (the loop below runs once per executed block: these save recomputing them):
        # its end address, its code cache lines (first, last), its LINE-byte lines
        self._ends: list[int] = []
        self._cache_lines: list[tuple[int, int]] = []
        self._lines: list[range] = []
        self._latest: dict[int, int] = {}            # pc -> index of its latest translation
        self._pending: list[Insn] | None = None
        self.segments: list[Segment] = []
        self._open: Segment | None = None
        self._last: int | None = None                # block index that ran last inside a segment
        self._last_fetches = 0                       # the line fetches its Trace added
        self._reopened: tuple[Segment | None] | None = None   # (the segment before) when the last Trace opened one

    def feed_lines(self, lines: Iterable[str]) -> None:
        """feed() for each line: the Trace lines that follow a finished block, nearly all of a log (a
        logged VWW inference is 550 K of them), handled in this loop; the rest through feed()."""
        ran, feed = self._ran, self.feed
        for line in lines:
            if line.startswith("Trace ") and self._pending is None:
                try:                                 # "Trace N: HOST [CS_BASE/PC/FLAGS/CFLAGS] SYMBOL"
                    pc = int(line.split("/", 2)[1], 16)
                except (IndexError, ValueError):
                    feed(line)                       # not of that form: feed()'s pattern decides
                    continue
                ran(pc)
            else:
                feed(line)

    def feed(self, line: str) -> None:
        if line.startswith("Trace "):
            if self._pending is not None:
                self._close_block()
            m = _EXEC.match(line)
            if m:
                self._ran(int(m.group(1), 16))
        elif line.startswith(_STOPPED):
            self._not_run()
        elif line.startswith("0x"):
            m = _INSN.match(line)
            if m and self._pending is not None:
                self._pending.append(Insn(int(m.group(1), 16), 2 if len(m.group(2)) == 4 else 4,
                                          m.group(3), m.group(4).strip()))
        elif line.startswith("IN:"):
            self._close_block()
            self._pending = []
        elif not line.strip():
            self._close_block()

    def _close_block(self) -> None:
        if self._pending:
            block = Block(self._pending[0].addr, self._pending)
            self._latest[block.pc] = len(self.blocks)
            self.blocks.append(block)
            end = block.end
            self._ends.append(end)
            self._lines.append(range(block.pc // self.LINE, (end - 1) // self.LINE + 1))
            if self.cache is not None:
                self._cache_lines.append((block.pc // self.cache.line, (end - 1) // self.cache.line))
        self._pending = None

    def _ran(self, pc: int) -> None:
        self._reopened = None
        fetch = self._fetch
        if fetch is not None:                        # _fetched(), inline
            misses = self.cache.fetch_lines(*self._cache_lines[fetch[0]])
            if fetch[1] is not None:
                fetch[1].fetch_misses += misses
            self._fetch = None
        if pc in self.stops:
            self._finish_last(pc)
            self._open = None
            return
        if pc in self.starts:
            self._finish_last(pc)
            self._reopened = (self._open,)
            self._open = Segment()
            self.segments.append(self._open)
        b = self._latest.get(pc)
        segment = self._open
        if segment is None:
            if b is not None and self.cache is not None:
                self._fetch = (b, None)
            return
        last = self._last
        if last is not None:                         # _finish_last(pc), inline
            key = (last, self._ends[last] == pc)
            segment.runs[key] = segment.runs.get(key, 0) + 1
            self._last = None
        if b is None:
            return
        if self.cache is not None:
            self._fetch = (b, segment)
            if segment.fetch_misses is None:
                segment.fetch_misses = 0
        self._last = b
        lines = self._lines[b]
        self._last_fetches = len(lines)
        segment.line_fetches += len(lines)
        if b not in segment.blocks_seen:             # a block's lines are in the set after its first run
            segment.blocks_seen.add(b)
            segment.lines.update(lines)

    def _fetched(self) -> None:
        """The block traced last ran: its lines go through the code cache."""
        if self._fetch is not None:
            b, segment = self._fetch
            misses = self.cache.fetch_lines(*self._cache_lines[b])
            if segment is not None:
                segment.fetch_misses += misses
            self._fetch = None

    def _not_run(self) -> None:
        """The block traced last did not run (module docstring): take back what its Trace did."""
        self._fetch = None
        if self._last is not None and self._open is not None:
            self._open.line_fetches -= self._last_fetches
        self._last = None
        if self._reopened is not None:               # it opened a segment: that opens when it runs
            self.segments.pop()
            self._open = self._reopened[0]
        self._reopened = None

    def _finish_last(self, next_pc: int) -> None:
        """Count the block that ran last, now that the next one says where its branch went."""
        if self._last is None or self._open is None:
            self._last = None
            return
        key = (self._last, self.blocks[self._last].end == next_pc)
        self._open.runs[key] = self._open.runs.get(key, 0) + 1
        self._last = None

    def finish(self) -> list[Segment]:
        self._close_block()
        self._fetched()
        self._finish_last(-1)
        return self.segments


__all__ = ["Block", "Insn", "LogFolder", "Segment"]
