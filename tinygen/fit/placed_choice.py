"""--kernels auto's choice priced with the constants where the build puts them (--weights-in, issue 72).

    graph, priced, note = place_choice(counts, "auto", layers, pick, build, report, finish, memory_scale, total)

A layer's estimated cycles include its weight reads from flash (tinygen.cycles.weight_reads);
with its constants in RAM they cost nothing, so a kernel that reads more constants (the
w16 kernels keep int16 weights: twice the bytes) may win there and lose in flash. `counts`:
placement ("flash", "ram") -> layer -> kernel -> estimated cycles, both placements priced from
the same logged runs (tinygen.fit.standin.Placed). Per --weights-in:

- `flash`: every layer priced with its constants in flash (auto before this module).
- `ram`: every layer priced with them in RAM, where --weights-in ram puts them all. Where that
  choice does not fit the part (its constants bigger than the RAM left: a MemoryFitError from
  `finish`), the choice priced in flash is built instead, if it differs.
- `auto`: place_weights (run by `finish`, last) moves the constants whose flash reads cost most
  into the RAM left, after the choice. So: choose by the flash prices and finish; then price the
  layers whose constants were moved with RAM reads and choose again. Where another kernel wins,
  build and finish that choice too (the memory check and place_weights run again: bigger
  constants may not fit, or push another layer's to flash) and keep whichever of the two
  finished builds estimates fewer cycles; where it does not fit, keep the first. The two builds
  are compared whole (`total`: each finished build's logged run, every layer priced as built,
  built_cycles): a kernel the choice adds moves the others' code, and with it their code fetch
  stalls and the core model's block boundaries (on the STM32N6's external flash, 88 wait
  states a line, that outweighed a layer's saving); without it, by `estimate`.

`pick(counts)`: layer -> kernel by those counts (tinygen.kernels.auto_pick.pick_layers);
`build(choice, counts, priced)`: the compiled graph of that choice, its report priced as said;
`report(graph, choice, counts, priced)`: the graph with its report priced so (the same kernels);
`finish(graph)`: the graph as the build ends it (the fit-first trade, then place_weights);
`total(graph)`: a finished build's estimated cycles (None: not known).
`priced`: layer -> the placement its counts were taken in, for the report.
"""

from __future__ import annotations

from collections.abc import Callable

from tinygen.build.memory import MemoryFitError
from tinygen.codegen.weights_ram import placement
from tinygen.fit.measure_cache import MeasurementCache, key_digest
from tinygen.fit.variants import first_line
from tinygen.ir import Graph

Counts = dict[str, dict[str, int | None]]
Pick = Callable[[Counts], dict[str, str]]
Build = Callable[[dict[str, str], Counts, dict[str, str]], Graph]
Report = Callable[[Graph, dict[str, str], Counts, dict[str, str]], Graph]
Finish = Callable[[Graph], Graph]


def moved_layers(graph: Graph) -> frozenset[str]:
    """The layers whose constants the build put in RAM (place_weights' record)."""
    moved = placement(graph)
    return moved.layers if moved is not None else frozenset()


def mixed(counts: dict[str, Counts], priced: dict[str, str]) -> Counts:
    """Per layer, its counts in the placement `priced` names."""
    return {n: counts[p][n] for n, p in priced.items()}


def estimate(graph: Graph, counts: dict[str, Counts], layers: list[str], memory_scale: float) -> float | None:
    """The finished build's estimated cycles, as far as the choice moves them: each layer with a
    choice at its kernel's price where its constants ended (None where one is unpriced), plus the
    flash read cycles of the other layers whose constants place_weights kept in flash (scaled as
    the core's fit scales memory, tinygen.cycles.fit)."""
    ram = moved_layers(graph)
    kernels = {node.attrs.get("tile_of", node.name): node.kernel for node in graph.nodes if node.kernel}
    total = 0.0
    for n in layers:
        got = counts["ram" if n in ram and "ram" in counts else "flash"][n].get(kernels.get(n))
        if got is None:
            return None
        total += got
    kept = placement(graph)
    return total + memory_scale * sum(k.cycles for k in (kept.kept if kept else ()) if k.name not in layers)


def place_choice(counts: dict[str, Counts], mode: str, layers: list[str], pick: Pick, build: Build, report: Report,
                 finish: Finish, memory_scale: float,
                 total: Callable[[Graph], float | None] | None = None) -> tuple[Graph, dict[str, str], str | None]:
    """(the finished graph, layer -> the placement its counts in the report were taken in, a note
    on the choice again or None); `layers`: those with a choice (the module docstring)."""
    every = list(next(iter(counts.values())))
    flash = dict.fromkeys(every, "flash")
    if mode == "ram" and "ram" in counts:
        ram = dict.fromkeys(every, "ram")
        choice = pick(mixed(counts, ram))
        try:
            return finish(build(choice, mixed(counts, ram), ram)), ram, None
        except MemoryFitError as e:
            fallback = pick(counts["flash"]) if "flash" in counts else choice
            if fallback == choice:
                raise
            note = (f"kernels auto: the choice priced with the constants in RAM does not fit ({first_line(e)}); "
                    f"the choice priced with them in flash is built")
            return finish(build(fallback, counts["flash"], flash)), flash, note
    choice = pick(counts["flash"])
    first = finish(build(choice, counts["flash"], flash))
    if mode != "auto" or "ram" not in counts:
        return first, flash, None
    moved = moved_layers(first)
    priced = {n: "ram" if n in moved else "flash" for n in every}
    if not moved & set(layers):
        return first, flash, None
    again = pick(mixed(counts, priced))
    if again == choice:             # the same kernels: the report shows the prices where they run
        return report(first, choice, mixed(counts, priced), priced), priced, None
    changed = ", ".join(f"{n} {again[n]}" for n in layers if again[n] != choice[n])
    try:
        second = finish(build(again, mixed(counts, priced), priced))
    except MemoryFitError as e:
        note = (f"kernels auto: priced with the constants in RAM, {changed} would win but do not fit "
                f"({first_line(e)}); the choice priced in flash is kept")
        return report(first, choice, mixed(counts, priced), priced), priced, note
    before, after = (total(first), total(second)) if total is not None else (None, None)
    what = "est. cycles of the whole build, each logged"
    if before is None or after is None:
        before, after = estimate(first, counts, layers, memory_scale), estimate(second, counts, layers, memory_scale)
        what = "est. cycles of the layers with a choice and the constants left in flash"
    if before is not None and after is not None and after < before:
        note = (f"kernels auto: chosen again with the constants in RAM where place_weights put them: {changed} "
                f"({before:,.0f} -> {after:,.0f} {what})")
        ended = {n: "ram" if n in moved_layers(second) else "flash" for n in every}
        return report(second, again, mixed(counts, ended), ended), ended, note
    note = (f"kernels auto: priced with the constants in RAM, {changed} would win, but the build with them does "
            f"not estimate fewer cycles ({_cycles(before)} -> {_cycles(after)} {what}); the choice priced in flash "
            f"is kept")
    return report(first, choice, mixed(counts, priced), priced), priced, note


def built_cycles(measure: Callable[[Graph], dict[str, int]], graph: Graph, keys: Callable[[Graph], list[dict]],
                 cache: MeasurementCache) -> int:
    """A finished build's estimated cycles: every layer of one logged run (`measure`) priced as built, its
    constants where place_weights put them (a Placed count: its price there); cached under the layers'
    own keys (`keys`: each layer's, in order) and the placement."""
    moved = moved_layers(graph)
    key = {"built": [key_digest(k) for k in keys(graph)], "in_ram": sorted(moved), "metric": "cycles"}
    cached = cache.get(key)
    if cached is not None:
        return cached
    got = measure(graph)
    total = sum(getattr(c, "by_placement", {}).get("ram" if n in moved else "flash", c) for n, c in got.items())
    cache.put(key, int(round(total)), {"built": graph.name})
    cache.save()
    return int(round(total))


def _cycles(value: float | None) -> str:
    return "unpriced" if value is None else f"{value:,.0f}"
