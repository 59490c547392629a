"""Fit first, RAM: trade flash for arena where the predicted RAM does not fit.

    graph = ram_fit(graph, board, compile_lean, predict)    # before the flash trade (tinygen/fit/)

By default lower_peak (tinygen/passes/lower_peak.py) swaps a layer at the arena's peak
for a kernel with larger constants only where the flash it adds is at most
FLASH_PER_RAM_BYTE times the arena bytes it saves (KWS refuses 16 KB of int16 weights
for 256 B of arena). When the predicted RAM (arena, buffers, stack) exceeds the part or
its --ram-budget, the model is compiled again with lower_peak taking every swap that
lowers the arena, whatever flash and instructions it adds (lean_options: CompileOptions.lower_peak_flash and
lower_peak_instructions None): the
scratch-free kernels at the peak (tg_conv2d_direct_s8_dsp for tg_conv2d_s8_dsp's im2col
scratch, the in-place ones). Same graph, same choice: lower_peak is deterministic.
graph.meta["fit_ram"] records the trade (RAM and arena before and after, the layers
changed, the flash they add); the flash trade then runs on that graph. Where even that
does not fit, MemoryFitError says what RAM the leanest choice needs.
"""

from __future__ import annotations

from collections.abc import Callable

from tinygen.board import Board
from tinygen.build.memory import MemoryFitError, MemoryUse, check_prediction
from tinygen.ir import Graph
from tinygen.kernels.table import KERNELS_BY_NAME, const_bytes


def lean_options(options):
    """`options` with lower_peak taking every swap that lowers the arena (both of its bounds off)."""
    from dataclasses import replace

    return replace(options, lower_peak_flash=None, lower_peak_instructions=None)


def can_trade(options) -> bool:
    """Whether compiling with lean_options(options) may lower the arena further."""
    return options.lower_peak and (options.lower_peak_flash is not None or options.lower_peak_instructions is not None)


def can_tile(options) -> bool:
    """Whether the fit step may turn tiling on: not asked for ("auto" already) nor refused ("off")."""
    return options.tile is None


def tiled_options(options, lean: bool, arena_budget: int | None = None):
    """`options` with tiling "auto" (passes/tile.py; with an arena budget: the cheapest tiling
    within it), and lean_options where `lean`."""
    from dataclasses import replace

    return replace(lean_options(options) if lean else options,
                   tile="auto" if arena_budget is None else ("auto", int(arena_budget)))


def pinned_tiling(graph: Graph):
    """The tiling setting that recompiles `graph`'s (the flash trade's recompiles), or None."""
    info = graph.meta.get("tile") or {}
    if not info.get("applied"):
        return None
    if info.get("mode") == "bands":                 # grid (bands, 1): passes/tile.py _record
        return (info["split"], "bands", int(info["grid"][0]))
    return (info["split"], tuple(info["grid"]))


def ram_over(use: MemoryUse) -> int:
    """Bytes of RAM beyond the capacity (<= 0: fits; -1 without a capacity)."""
    r = use.regions["ram"]
    return r.used - r.capacity if r.capacity else -1


def flash_added(graph: Graph, changes: list[dict]) -> int:
    """Bytes of constants lower_peak's changes (graph.meta["lower_peak"]) keep beyond the kernels they replaced."""
    total = 0
    for change in changes:
        node = graph.node(change["node"])
        total += (const_bytes(KERNELS_BY_NAME[change["kernel"]], graph, node)
                  - const_bytes(KERNELS_BY_NAME[change["instead_of"]], graph, node))
    return total


def ram_fit(graph: Graph, board: Board, compile_lean: Callable[[], Graph] | None,
            predict: Callable[[Graph, Board], MemoryUse], model: str = "the model",
            compile_tiled: Callable[[int], Graph] | None = None,
            compile_auto: Callable[[], Graph] | None = None, library: str | None = None) -> Graph:
    """`graph` if its predicted RAM fits `board` (or its --ram-budget), else `compile_lean()`
    (the model compiled with lean_options) where that fits, else `compile_tiled(arena budget)`
    (the cheapest tiling whose arena is within the budget, passes/tile.py, on top of the lean
    kernels) where that fits; MemoryFitError otherwise.

    The lean kernels come first: they change only the layers at the arena's peak, and compile
    in a moment; tiling recomputes halos (up to tile.MAX_EXTRA_MACS more MACs) and its search
    re-plans tiled graphs, so it is the second step, taken only where the first does not fit.

    `compile_auto()`: under a --kernels mode naming a library (`library`, whose kernels alone
    the lean step picks among), the model compiled leanly with --kernels auto, which may put tinygen's
    kernels there: a refusal says what arena and RAM that reaches, and whether it fits."""
    use = predict(graph, board)
    if ram_over(use) <= 0:
        return graph
    ram = use.regions["ram"]
    if ram.used - use.arena - ram.parts.get("input buffer", 0) > ram.capacity:
        check_prediction(use, board, model)     # stack, runtime, front ends alone: no kernel or tiling lowers them
    lean, after = graph, use
    if compile_lean is not None:
        lean = compile_lean()
        after = predict(lean, board)
    tiled_note = ""
    if ram_over(after) > 0 and compile_tiled is not None:
        # the arena the RAM has room for, the rest as the lean graph's (the input held whole)
        tiled = compile_tiled(after.arena - ram_over(after))
        info = tiled.meta.get("tile") or {}
        if info.get("applied"):
            tiled_use = predict(tiled, board)
            tiled_note = (f"; tiled (the stage up to {info['split']} in {'x'.join(map(str, info['grid']))} tiles) "
                          f"RAM {tiled_use.regions['ram'].used:,} B (arena {tiled_use.arena:,} B)")
            if ram_over(tiled_use) <= 0:
                lean, after = tiled, tiled_use
        else:
            tiled_note = f"; tiling cannot lower it: {info.get('why', 'not tried')}"
    if ram_over(after) > 0:
        try:
            check_prediction(after, board, model)
        except MemoryFitError as error:
            kernels = f"{library}'s kernels" if library else "the kernels"
            lowest = f"with {kernels} that lower the arena most" if compile_lean is not None else "as compiled"
            raise MemoryFitError(f"{error.message}, even {lowest} (arena {after.arena:,} B, from {use.arena:,} B "
                                 f"with the fastest){tiled_note}{_auto_note(compile_auto, board, predict)}",
                                 error.hint) from None
    changes = lean.meta.get("lower_peak", [])
    lean.meta["fit_ram"] = {"ram": [use.regions["ram"].used, after.regions["ram"].used],
                            "capacity": after.regions["ram"].capacity, "arena": [use.arena, after.arena],
                            "layers": [c["node"] for c in changes], "flash_added": flash_added(lean, changes),
                            "instructions_added": sum(c.get("instructions_added", 0) for c in changes),
                            "tile": dict(lean.meta["tile"]) if (lean.meta.get("tile") or {}).get("applied") else None}
    return lean


def _auto_note(compile_auto: Callable[[], Graph] | None, board: Board,
               predict: Callable[[Graph, Board], MemoryUse]) -> str:
    """For a refusal under a --kernels mode naming a library: what --kernels auto's lowering reaches."""
    if compile_auto is None:
        return ""
    other = predict(compile_auto(), board)
    ram = other.regions["ram"].used
    if ram_over(other) <= 0:
        return (f"; with --kernels auto, which may put tinygen's kernels on the layers at the peak, it fits "
                f"(arena {other.arena:,} B, RAM {ram:,} B)")
    return f"; --kernels auto reaches arena {other.arena:,} B (RAM {ram:,} B), still over"


def ram_fit_lines(record: dict | None) -> list[str]:
    """For build and inspect: one line on the RAM trade, if there was one."""
    if not record:
        return []
    before, after = record["ram"]
    return [f"fit: RAM {before:,} B predicted with the fastest kernels, over the {record['capacity']:,} B "
            f"available: arena {record['arena'][0]:,} -> {record['arena'][1]:,} B with the kernels that lower it "
            f"most on {', '.join(record['layers']) or 'no layer'} (+{record['flash_added']:,} B of flash"
            f"{_instructions(record)}), RAM {after:,} B"] + _tiled(record.get("tile"))


def _tiled(info: dict | None) -> list[str]:
    if not info:
        return []
    gh, gw = info["grid"]
    return [f"fit: tiling turned on to fit: stage up to {info['split']} in {gh}x{gw} tiles, arena "
            f"{info['arena_before']:,} -> {info['arena_after']:,} B before the lean kernels, "
            f"+{info['extra_macs']:,} MACs ({100.0 * info['extra_macs'] / max(info['macs'], 1):.1f}%)"]


def _instructions(record: dict) -> str:
    added = record.get("instructions_added")
    if isinstance(added, dict):         # a switchable image: per switch
        return "".join(f", {name} {n:+,} instructions" for name, n in added.items() if n)
    return f", {added:+,} instructions" if added else ""


__all__ = ["can_tile", "can_trade", "flash_added", "lean_options", "pinned_tiling", "ram_fit", "ram_fit_lines",
           "ram_over", "tiled_options"]
