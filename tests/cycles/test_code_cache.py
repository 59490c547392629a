"""The code cache simulated over the executed block sequence (tinygen.cycles.code_cache):
a loop that fits the cache misses once however much cold code runs around it; a loop
larger than a least-recently-used cache misses on every line; the fetch stalls follow."""

from __future__ import annotations

import random

from tinygen.cycles.code_cache import CodeCache, code_cache_for
from tinygen.cycles.memory import fetch_stall_cycles
from tinygen.cycles.qemu_log import LogFolder

F446 = {"flash_wait_states": 5, "code_cache_bytes": 1024, "code_line_bytes": 16}     # the ART's 64 lines of 16 B
START, STOP = 0x100, 0x80


def block(pc: int, nbytes: int) -> str:
    """A block of 16-bit MOVs at `pc`, `nbytes` long, as QEMU's in_asm prints it."""
    insns = "".join(f"0x{pc + i:08x}:  2001       movs     r0, #1\n" for i in range(0, nbytes, 2))
    return f"----------------\nIN: f\n{insns}\n"


def trace(pc: int) -> str:
    return f"Trace 0: 0x7f0000000000 [00000000/{pc:08x}/00000000/ff000000] f\n"


def fold(blocks: dict[int, int], order: list, cache: CodeCache | None):
    """Fold a log that translates `blocks` (pc: bytes) and runs them in `order` ("stop": QEMU
    stopped before the block traced last), inside one segment."""
    folder = LogFolder({START}, {STOP}, cache)
    log = block(START, 2) + block(STOP, 2) + "".join(block(pc, n) for pc, n in blocks.items())
    log += "".join("Stopped execution of TB chain before 0x7f0000000000 [00000000] f\n" if pc == "stop"
                   else trace(pc) for pc in [START, *order, STOP])
    for line in log.splitlines(keepends=True):
        folder.feed(line)
    (segment,) = folder.finish()
    return segment


def test_code_cache_a_loop_that_fits_misses_once_a_loop_that_does_not_misses_every_time():
    fits, overflows = CodeCache(1024, 16), CodeCache(1024, 16)
    assert sum(fits.fetch(0x1000, 0x1000 + 63 * 16) for _ in range(100)) == 63
    assert sum(overflows.fetch(0x1000, 0x1000 + 65 * 16) for _ in range(100)) == 65 * 100     # LRU, cyclic


def test_code_cache_two_ways_evict_within_a_set():
    cache = CodeCache(1024, 16, ways=2)                # 32 sets of 2 lines: 512 B apart share a set
    lines = [0x1000, 0x1000 + 512, 0x1000 + 1024]
    assert sum(cache.fetch(a, a + 16) for a in lines[:2] * 10) == 2
    assert sum(cache.fetch(a, a + 16) for a in lines * 10) == 30 - 2          # three lines cycling in one 2-way set
    assert code_cache_for({**F446, "code_cache_ways": 2}).sets == 32
    assert code_cache_for({**F446, "flash_wait_states": 0}) is None


def test_code_cache_hot_loop_that_fits_is_not_priced_as_missing_for_the_cold_code_around_it():
    """Cold setup code of 2 KB once, then a 512 B loop 1,000 times: 160 lines, each missing
    once. The uniform-eviction bound (no simulation) prices 60% of the loop's fetches as misses."""
    cold, loop = 0x2000, 0x1000
    order = [cold] + [loop] * 1000
    simulated = fold({cold: 2048, loop: 512}, order, code_cache_for(F446))
    bound = fold({cold: 2048, loop: 512}, order, None)
    lines = 2048 // 16 + 512 // 16 + 1              # and the segment's opening block's line
    assert simulated.fetch_misses == lines
    assert fetch_stall_cycles(simulated, F446) == lines * 5
    assert bound.fetch_misses is None
    assert fetch_stall_cycles(bound, F446) > 100 * fetch_stall_cycles(simulated, F446)


def test_code_cache_a_loop_larger_than_the_cache_misses_on_every_pass():
    loop = 0x1000
    segment = fold({loop: 1280}, [loop] * 10, code_cache_for(F446))     # 80 lines > 64
    assert segment.fetch_misses == 80 * 10 + 1
    assert fetch_stall_cycles(segment, F446) == (80 * 10 + 1) * 5


def test_code_cache_a_block_qemu_traced_but_did_not_run_fetches_nothing():
    """The Trace QEMU takes back ("Stopped execution of TB chain before"): its block fetches only
    when it runs, so the misses do not depend on the host's timing."""
    a, b = 0x1000, 0x1000 + 4096                     # one set of a direct-mapped cache: each evicts the other
    plain = fold({a: 16, b: 16}, [a, b, a, b], CodeCache(1024, 16, ways=1))
    stopped = fold({a: 16, b: 16}, [a, b, "stop", b, a, "stop", a, b], CodeCache(1024, 16, ways=1))
    assert plain.fetch_misses == stopped.fetch_misses == 1 + 4
    assert plain.runs == stopped.runs


def test_code_cache_equals_a_plain_lru_on_random_block_sequences():
    """The cache's shortcut (a block run again right away) changes nothing: the same misses as a
    plain per-set LRU list on random sequences with repeats, for 1, 2 (its own two-list path), 4
    and 64 ways."""
    rng = random.Random(7)
    starts = [rng.randrange(0, 4096, 2) for _ in range(40)]
    spans = [(a, a + rng.choice((2, 14, 40, 130))) for a in starts]
    for ways in (1, 2, 4, 64):
        cache, sets = CodeCache(1024, 16, ways), [[] for _ in range(64 // ways)]
        got = want = 0
        for _ in range(3000):
            a, b = rng.choice(spans)
            for _ in range(rng.choice((1, 1, 3))):
                got += cache.fetch(a, b)
                for line in range(a // 16, (b - 1) // 16 + 1):
                    s = sets[line % len(sets)]
                    if line in s:
                        s.remove(line)
                    else:
                        want += 1
                        if len(s) == ways:
                            s.pop(0)
                    s.append(line)
        assert got == want and want > 100, (ways, got, want)
