"""The cycle models on microbenchmarks whose Cortex-M4 counts follow from the
TRM (tests/data/cycles/bench.S), run on the M4 stand-in with QEMU's execution
log; and the log folding on a synthetic log."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tinygen.cycles import cortex_m4, cortex_m7
from tinygen.cycles.code_cache import CodeCache
from tinygen.cycles.price import price
from tinygen.cycles.qemu_log import LogFolder
from tinygen.cycles.run import symbols

BENCH = Path(__file__).parents[1] / "data" / "cycles" / "bench.S"
P = cortex_m4.REFILL
CALL_AND_RETURN = 2 * (1 + P)       # the benchmark's BX LR and the caller's BL bench_done

# name: (exact instructions, M4 cycles from the TRM)
EXPECTED_M4 = {
    "bench_smlad": (100 + 2, 100 * 1 + CALL_AND_RETURN),             # SMLAD 1
    "bench_ldr": (100 + 2, 2 + 99 * 1 + CALL_AND_RETURN),            # LDR 2, pipelined LDR after LDR 1
    "bench_ldr_chain": (101 + 2, 1 + 100 * 2 + CALL_AND_RETURN),     # base written by the previous load: 2
    "bench_loop": (1 + 30 + 2, 1 + 10 * 3 + 9 * P + CALL_AND_RETURN),  # MOVS 1; SMLAD, SUBS, BNE 1 (+P taken)
}
BENCHES = tuple(EXPECTED_M4)


@pytest.fixture(scope="module")
def bench_log(tmp_path_factory):
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (sudo apt-get install -y --no-install-recommends gcc-arm-none-eabi "
                        "qemu-system-arm)")
    tmp = tmp_path_factory.mktemp("cycles")
    elf, log = tmp / "bench.elf", tmp / "exec.log"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-nostdlib", "-nostartfiles",
                    "-Wl,-Ttext=0x400", "-Wl,-Tdata=0x20000000", "-Wl,--section-start=.vectors=0x0",
                    str(BENCH), "-o", str(elf)], check=True, capture_output=True, text=True)
    subprocess.run(["qemu-system-arm", "-M", "mps2-an386", "-display", "none", "-monitor", "none", "-serial", "null",
                    "-semihosting-config", "enable=on,target=native", "-icount", "shift=0",
                    "-d", "in_asm,exec,nochain", "-D", str(log), "-kernel", str(elf)],
                   check=True, capture_output=True, text=True, timeout=120)
    return elf, log


def fold(elf: Path, log: Path) -> tuple[LogFolder, dict[str, int]]:
    addr = symbols(elf, BENCHES + ("bench_done",))
    folder = LogFolder({addr[b] for b in BENCHES}, {addr["bench_done"]})
    with open(log, encoding="ascii", errors="replace") as f:
        for line in f:
            folder.feed(line)
    folder.finish()
    return folder, addr


def test_cycles_m4_microbenchmarks_match_the_trm(bench_log):
    folder, _ = fold(*bench_log)
    assert len(folder.segments) == len(BENCHES)
    errors = []
    for name, segment in zip(BENCHES, folder.segments):
        p = price(folder.blocks, segment, cortex_m4)
        want_insns, want_cycles = EXPECTED_M4[name]
        assert p.instructions == want_insns, (name, p.mix)
        errors.append((name, p.core_cycles, want_cycles))
    print("\nbenchmark         model  TRM")
    for name, got, want in errors:
        print(f"{name:<16}{got:>7.0f}{want:>5}")
    assert all(got == want for _, got, want in errors), errors


def test_cycles_m7_coarse_model_pairs_loads_not_macs(bench_log):
    folder, _ = fold(*bench_log)
    seg = dict(zip(BENCHES, folder.segments))
    smlad = price(folder.blocks, seg["bench_smlad"], cortex_m7).core_cycles
    ldr = price(folder.blocks, seg["bench_ldr"], cortex_m7).core_cycles
    chain = price(folder.blocks, seg["bench_ldr_chain"], cortex_m7).core_cycles
    assert smlad >= 100, "one MAC pipeline: SMLADs do not dual-issue"
    assert ldr <= 60, "independent loads pair through the 64-bit interface"
    assert chain >= 200, "a load whose base the previous load wrote waits for it"


@pytest.mark.parametrize("cache", [None, (64, 16, 2)], ids=["no-cache", "code-cache"])
def test_feed_lines_folds_as_feed_does_line_by_line(bench_log, cache):
    """feed_lines (the logged run's reader: its own loop for the Trace lines) folds a real QEMU log,
    with blocks traced but not run and a Trace line cut short, exactly as feed() line by line."""
    elf, log = bench_log
    addr = symbols(elf, BENCHES + ("bench_done",))
    lines = log.read_text(encoding="ascii", errors="replace").splitlines(keepends=True)
    starts, stops = {addr[b] for b in BENCHES}, {addr["bench_done"]}
    traces = [i for i, line in enumerate(lines)
              if line.startswith("Trace ") and int(line.split("/")[1], 16) not in starts | stops]
    assert len(traces) > 10
    i = traces[len(traces) // 2]
    # the block that Trace runs, translated again with no blank line before its next Trace
    pc = int(lines[i].split("/")[1], 16)
    first = next(k for k, line in enumerate(lines) if line.startswith(f"0x{pc:08x}:") and lines[k - 1].startswith("IN:"))
    insns = lines[first:lines.index("\n", first)]
    lines[i + 1:i + 1] = [f"Stopped execution of TB chain before {lines[i].split()[2]}\n", lines[i],
                          "Trace 0: 0x7f0000000000 [00000000/\n", "Trace 0: 0x7f00 [0/zz/0/0] f\n",
                          "IN: again\n", *insns, lines[i]]
    folded = []
    for by_lines in (False, True):
        folder = LogFolder(starts, stops, cache and CodeCache(*cache))
        if by_lines:
            folder.feed_lines(iter(lines))
        else:
            for line in lines:
                folder.feed(line)
        segments = folder.finish()
        assert len(segments) == len(BENCHES)
        folded.append(([(b.pc, b.insns) for b in folder.blocks],
                       [(s.runs, s.lines, s.line_fetches, s.fetch_misses) for s in segments]))
    assert folded[0] == folded[1]
    assert (folded[1][1][0][3] is None) == (cache is None)


def test_cycles_log_folding_counts_taken_branches():
    log = """----------------
IN: f
0x00000100:  2001       movs     r0, #1
0x00000102:  3801       subs     r0, #1
0x00000104:  d1fd       bne      #0x102

Trace 0: 0x7f0000000000 [00000000/00000100/00000000/ff000000] f
----------------
IN: f
0x00000102:  3801       subs     r0, #1
0x00000104:  d1fd       bne      #0x102

Trace 0: 0x7f0000000100 [00000000/00000102/00000000/ff000000] f
Trace 0: 0x7f0000000100 [00000000/00000102/00000000/ff000000] f
----------------
IN: g
0x00000106:  4770       bx       lr

Trace 0: 0x7f0000000200 [00000000/00000106/00000000/ff000000] g
"""
    folder = LogFolder({0x100}, {0x106})
    for line in log.splitlines(keepends=True):
        folder.feed(line)
    (seg,) = folder.finish()
    assert seg.instructions(folder.blocks) == 3 + 2 + 2
    # first block: branch taken (next pc 0x102 is not its end 0x106); second: taken; third: fell through
    assert seg.runs == {(0, False): 1, (1, False): 1, (1, True): 1}
    assert price(folder.blocks, seg, cortex_m4).core_cycles == (3 + P) + (2 + P) + 2   # the stop block is not counted


def test_cycles_log_folding_skips_blocks_qemu_traced_but_did_not_run():
    """An exit request reaching a block before its first instruction: QEMU logs its Trace, then
    "Stopped execution of TB chain before", and traces it again when it runs. Counted once,
    whichever block it hits (the segment's opening one too), the count does not depend on when
    the host's I/O thread asked QEMU to stop."""
    head = """IN: f
0x00000100:  2001       movs     r0, #1
0x00000102:  3801       subs     r0, #1
0x00000104:  d1fd       bne      #0x102

"""
    trace = {0x100: "Trace 0: 0x7f0000000000 [00000000/00000100/00000000/ff000000] f\n",
             0x102: "Trace 0: 0x7f0000000100 [00000000/00000102/00000000/ff000000] f\n",
             0x106: "Trace 0: 0x7f0000000200 [00000000/00000106/00000000/ff000000] g\n"}
    blocks = """----------------
IN: f
0x00000102:  3801       subs     r0, #1
0x00000104:  d1fd       bne      #0x102

----------------
IN: g
0x00000106:  4770       bx       lr

"""
    stopped = "Stopped execution of TB chain before 0x7f0000000000 [00000100] f\n"

    def fold(pcs_and_stops):
        folder = LogFolder({0x100}, {0x106})
        for line in (head + blocks).splitlines(keepends=True):
            folder.feed(line)
        for item in pcs_and_stops:
            folder.feed(stopped if item == "stop" else trace[item])
        return folder

    plain = fold([0x100, 0x102, 0x102, 0x106])
    (seg,) = plain.finish()
    for interrupted in ([0x100, "stop", 0x100, 0x102, 0x102, 0x106], [0x100, 0x102, "stop", 0x102, 0x102, 0x106],
                        [0x100, 0x102, 0x102, "stop", 0x102, 0x106]):
        folder = fold(interrupted)
        (again,) = folder.finish()
        assert again.instructions(folder.blocks) == seg.instructions(plain.blocks) == 3 + 2 + 2
        assert again.runs == seg.runs and again.line_fetches == seg.line_fetches


def _loop_log(split: bool) -> list[str]:
    """A two-pass loop whose body QEMU cut at a 1 KB page (split) or ran as one block."""
    def trace(pc):
        return f"Trace 0: 0x7f0000000000 [00000000/{pc:08x}/00000000/ff000000] f\n"
    head = ("IN: f\n0x000003f8:  2302       movs     r3, #2\n0x000003fa:  e000       b        #0x3fe\n\n")
    first = "IN: f\n0x000003fe:  6801       ldr      r1, [r0]\n"
    rest = ("0x00000400:  682c       ldr      r4, [r5]\n0x00000402:  1866       adds     r6, r4, r1\n"
            "0x00000404:  3b01       subs     r3, #1\n0x00000406:  d1fa       bne      #0x3fe\n\n")
    tail = "IN: g\n0x00000408:  4770       bx       lr\n\n"
    if split:
        body = [first + "\n", "IN: f\n" + rest]
        order = [0x3f8, 0x3fe, 0x400, 0x3fe, 0x400, 0x408]
    else:
        body = [first + rest]
        order = [0x3f8, 0x3fe, 0x3fe, 0x408]
    return [head, *body, tail] + [trace(pc) for pc in order]


@pytest.mark.parametrize("model", [cortex_m4, cortex_m7], ids=["m4", "m7"])
def test_cycles_a_block_qemu_split_at_a_page_costs_what_the_whole_block_costs(model):
    """QEMU ends a translation block at each 1 KB page; the core runs straight on. A load whose result is
    used across the cut (M7), a load pipelined after a load across it (M4), a pair issued across it (M7):
    priced as in one block, so where a hot loop lands in the code does not move the estimate."""
    priced = {}
    for split in (True, False):
        folder = LogFolder({0x3f8}, {0x408})
        for chunk in _loop_log(split):
            for line in chunk.splitlines(keepends=True):
                folder.feed(line)
        (seg,) = folder.finish()
        assert seg.instructions(folder.blocks) == 2 + 2 * 5
        priced[split] = price(folder.blocks, seg, model).core_cycles
    # the split loop priced block by block would differ: the cut loses (M4) or adds (M7) a cycle a pass
    assert priced[True] == priced[False]
