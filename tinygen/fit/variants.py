"""Measuring firmware variants for `--kernels auto` (tinygen.fit.autotune): the measure called
again with twice the time after a timeout, several variants at once (measured_variants), and
what decides which kernels a measuring build applies (the cache's not-measured records,
tinygen.fit.measure_cache).

Several at once: a variant's time goes mostly to processes (the cross compiler, QEMU), so
measured_variants compiles and measures up to measure_jobs() variants in threads, one per CPU
this process may use (at most MEASURE_JOBS). Each count is the stand-in's own (executed
instructions, or the execution log's estimated cycles), whatever else runs: the counts, and so
the choice, are those of one variant at a time, and are taken in the variants' order.

Threads beside numpy hold only because no process they start forks: the emulator starts QEMU
without a preexec_fn (tinygen.run.qemu), so CPython uses vfork and no pthread_atfork handler
runs; OpenBLAS's hung the measuring thread while another thread's matmul kept its workers busy."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Iterator

from tinygen.board import Board
from tinygen.build.memory import MemoryFitError
from tinygen.build.object_cache import usable_cpus
from tinygen.compiler import SourceModel
from tinygen.errors import TinygenError
from tinygen.hil.link import LinkError
from tinygen.ir import Graph
from tinygen.passes import CompileOptions

# (source, graph built as it is, board, timeout) -> node name -> the metric of that layer (executed
# instructions or estimated cycles)
Measure = Callable[[SourceModel, Graph, Board, float], dict[str, int]]
Progress = Callable[[str], None]
MEASURE_ATTEMPTS = 3        # a variant that timed out is measured again with twice the time, up to this often
MEASURE_JOBS = 4            # variants measured at once, at most (each runs a compiler, then an emulator)


def variant_context(source: SourceModel, calib: str | None, options: CompileOptions, board: Board,
                    choice: dict[str, str]) -> dict:
    """What decides which kernels a measuring build applies (the cache's not-measured records)."""
    return {"board": board.name, "model": source.source_hash, "calib": str(calib),
            "choice": sorted(choice.items()), "features": sorted(options.features), "cmsis_nn": bool(options.cmsis_nn),
            "esp_nn": bool(options.esp_nn),
            "arena_region": options.arena_region, "fuse_residual": options.fuse_residual,
            "lower_peak": options.lower_peak, "compact": options.compact, "storage": options.storage,
            # lower_peak's bounds decide which swaps a measuring build makes (records made under
            # the arena-only lowering, before the instruction bound, no longer apply)
            "lower_peak_bounds": [options.lower_peak_flash, options.lower_peak_instructions],
            "nested_int8": sorted(options.nested_int8),
            # a switch's lowering floor (tinygen/switches.py relax_lowering) changes what is applied
            **({"arena_floor": options.arena_floor} if options.arena_floor else {})}


def measure_variant(measure: Measure, source: SourceModel, variant: Graph, board: Board, timeout: float,
                    progress: Progress) -> dict[str, int]:
    """measure(), again with twice the time after a timeout (or a stand-in that went
    away), MEASURE_ATTEMPTS times in all; a TinygenError after that or on any other failure."""
    wait = timeout
    for attempt in range(1, MEASURE_ATTEMPTS + 1):
        try:
            return measure(source, variant, board, wait)
        except MemoryFitError:
            raise                   # the variant does not fit the part: the build would refuse it too
        except LinkError as e:
            first = first_line(e)
            if attempt == MEASURE_ATTEMPTS:
                raise TinygenError(
                    f"kernels auto: measuring on {board.name}'s stand-in failed {attempt} times: {first}",
                    f"if this machine is only busy or slow, raise --timeout (it was {timeout:g} s, the last try "
                    f"{wait:g} s of the emulator's own time); or build without measuring: --kernels tinygen") from None
            wait *= 2
            progress(f"kernels auto: {first}; measuring again with --timeout {wait:g}")
        except (TinygenError, OSError) as e:             # with the details (compiler output, ...)
            detail = str(getattr(e, "message", None) or e)
            raise TinygenError(f"kernels auto: measuring on {board.name}'s stand-in failed: {detail}",
                               "build without measuring: --kernels tinygen (the preferred kernels); the "
                               "failure is a bug if the same model builds with them") from None
    raise AssertionError("unreachable")


def measure_jobs(count: int) -> int:
    """How many of `count` variants to measure at once: one per CPU this process may run on, at
    most MEASURE_JOBS."""
    return max(1, min(count, usable_cpus(), MEASURE_JOBS))


def measured_variants(todo: Iterable[int], variant: Callable[[int], Graph], measure: Measure, source: SourceModel,
                      board: Board, timeout: float, progress: Progress,
                      jobs: int = 1) -> Iterator[tuple[int, Graph, dict[str, int]]]:
    """(i, its graph, measure_variant's counts) for each i of `todo`, in that order: `variant(i)`
    compiles variant i. With `jobs` > 1 that many variants are compiled and measured at once, in
    threads; the first failure (in `todo`'s order) is raised once the variants under way are done,
    and those not started are not. Close the iterator (contextlib.closing) to stop early."""
    def one(i: int) -> tuple[int, Graph, dict[str, int]]:
        graph = variant(i)
        return i, graph, measure_variant(measure, source, graph, board, timeout, progress)

    if jobs <= 1:
        yield from map(one, todo)
        return
    pool = ThreadPoolExecutor(jobs, thread_name_prefix="tinygen-measure")
    futures = [pool.submit(one, i) for i in todo]
    try:
        for future in futures:
            yield future.result()
    finally:
        for future in futures:
            future.cancel()
        pool.shutdown(wait=True)


def first_line(e: Exception) -> str:
    return (str(getattr(e, "message", None) or e).splitlines() or [type(e).__name__])[0].rstrip(":")


__all__ = ["MEASURE_ATTEMPTS", "MEASURE_JOBS", "Measure", "first_line", "measure_jobs", "measure_variant",
           "measured_variants", "variant_context"]
