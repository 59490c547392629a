"""`--kernels auto`: per layer, the kernel that measured fastest on the stand-in: the fewest
estimated cycles where the board has a timing model, the fewest executed instructions elsewhere.

    graph = compile_auto(source, calib, options, board, progress)
    print(choice_table(graph.meta["kernels"]))

Every node with more than one candidate kernel (kernel_candidates under
"auto": tinygen's DSP kernels, its portable ones, CMSIS-NN's when a tree is
configured) is measured: firmware variant k runs each such node's k-th
candidate on the board's QEMU stand-in. The metric (tinygen.fit.standin.metric_for):
on a board whose file has a [timing] model (f746zg, f767zi, f446re, u585, n6570, ...)
one inference with QEMU's execution log gives each such layer's estimated cycles (its
instruction mix priced by the core model, its code fetch and flash weight reads:
tinygen.cycles), where the Cortex-M7's dual issue and the flash's wait states decide;
on the others one inference after a warm-up gives every layer's executed instructions
(the `tg layers` protocol command). Per node the candidate with the least wins; a tie
keeps the preferred one. The report (choice_table) names the metric.

Before anything is measured, some kernel combination must fit the board
(tinygen.fit.check_some_fit: every layer's smallest kernel): what cannot be built
is not measured. Variants are measured on the stand-in's own memory (STANDIN_BYTES),
so a fast kernel whose widened weights overflow the real part is measured too; the
fit-first trade (tinygen.fit) then weighs the counts against the part's flash. Counts are
cached per layer and metric (tinygen.fit.measure_cache; cycles keyed by the timing model's
sources and the board's [timing] too), so a second build measures nothing.

A measuring variant runs the kernels it asks for: it is compiled without lower_peak, which
would put a scratch-free kernel at the arena's peak in place of a candidate there (IC's conv2d_1
and conv2d_2: the 4-pixel int16-weight kernels, then never measured, so never picked). The final
build's lower_peak weighs its swaps by the counts measured here (CompileOptions.kernel_counts):
with that change alone u585's IC went from 17,461,927 to 15,270,018 est. cycles, its arena from 32
to 34 KiB (benchmarks/cycle_estimates.py). A candidate a variant still did not get would be recorded as
not measured in that variant's context (tinygen.fit.measure_cache), so it is not asked for again.

Measuring follows the emulator's own time (tinygen.hil.deadline), so a loaded
machine slows it down without changing the outcome. A variant whose measuring
times out is measured again with twice the time, up to MEASURE_ATTEMPTS times;
then the build fails, naming --timeout and --kernels tinygen: it never picks
other kernels because the machine was busy. Only where no stand-in can run at
all (no QEMU or cross compiler here, a board without one) does auto keep the
preference order and say so in one line.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Callable

from tinygen.board import Board
from tinygen.build.kernel_code import kernel_code
from tinygen.codegen.build_flags import switch_flags
from tinygen.codegen.kx1_cases import KX1, case_flags
from tinygen.compiler import SourceModel, compile_source, switch_sources
from tinygen.fit import check_some_fit
from tinygen.fit.ram import can_tile, can_trade, lean_options, pinned_tiling, tiled_options
from tinygen.hil.deadline import DEFAULT_TIMEOUT
from tinygen.ir import Graph
from tinygen.passes.footprint import layer_flash
from tinygen.report.kernels import choice_table, kernel_report
from tinygen.kernels.auto_pick import pick_fastest, pick_layers
from tinygen.kernels.esp_nn import esp_nn_features
from tinygen.fit.measure_cache import MeasurementCache, layer_key
from tinygen.cycles.price import MODELS
from tinygen.fit.placed_choice import built_cycles, place_choice
from tinygen.fit.variants import (MEASURE_ATTEMPTS, Measure, measure_jobs, measure_variant, measured_variants,
                                  variant_context)
from tinygen.fit.standin import (PLACEMENTS, STANDIN_BYTES, build_standin, measure_standin, measure_standin_cycles,
                                 metric_for, priced_in, standin_memory, unavailable)
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.passes import CompileOptions
from tinygen.passes.choose_kernels import kernel_candidates
from tinygen.switches import attach, relax_lowering

Progress = Callable[[str], None]
# --kernels auto by cycles: the candidates executing at most this many times their layer's fewest
# instructions are priced (_priced)
SCREEN_RATIO = 3.0
_METRIC_WORDS = {"cycles": "estimated cycles by the board's timing model",
                 "instructions": "executed instructions"}


def default_kernels(board: Board | None) -> str:
    """--kernels when the user gives none: measured per layer on Cortex-M, tinygen's otherwise."""
    return "auto" if board is not None and board.build == "cortex-m" else "tinygen"


def check_fit(source: SourceModel, graph: Graph, board: Board, options: CompileOptions | None = None,
              calib: str | None = None) -> None:
    """Refuse, as `tinygen build` would, a model that no kernel combination fits (flash with
    every layer's smallest kernel, RAM as predicted after the RAM trade, tinygen/fit/ram.py)."""
    options = options or CompileOptions(features=board.isa_features, kernels="auto")
    lean = None
    if can_trade(options) and source.switches:
        from tinygen.fit.switches import compile_switches, switch_choices

        def lean() -> Graph:        # the image's arena: every switch lean, none below the largest
            return compile_switches(source, calib, lean_options(options), switch_choices(graph))
    elif can_trade(options):
        def lean() -> Graph:
            return compile_source(source, calib, lean_options(options))
    tiled = pinned = None
    if can_tile(options) and not source.switches:
        def tiled(arena_budget: int) -> Graph:
            return compile_source(source, calib, tiled_options(options, can_trade(options), arena_budget))
    if not source.switches:
        def pinned(kernels: dict[str, str], unfused: frozenset, like: Graph) -> Graph:
            use = lean_options(options) if "fit_ram" in like.meta and can_trade(options) else options
            if pinned_tiling(like) is not None:
                use = replace(use, tile=pinned_tiling(like))
            return compile_source(source, calib, replace(use, fit_choice=kernels, unfused=unfused))
    check_some_fit(graph, board, options, str(source.path), lean, tiled, pinned)


def _candidates(graph: Graph, options: CompileOptions) -> dict[str, list[str]]:
    """Node name -> the kernels auto may choose from, preferred first."""
    # CMSIS-NN's kernels are candidates when a tree is configured (as compile_graph does)
    features = frozenset(options.features) | ({"cmsis-nn"} if options.cmsis_nn else set())
    if options.esp_nn:
        features = esp_nn_features(features)
    found = {}
    for node in graph.nodes:
        if node.kernel is None:
            continue
        specs = kernel_candidates(graph, node, features, "auto")
        found[node.name] = [s.name for s in specs if (s.backend != "cmsis-nn" or options.cmsis_nn)
                            and (s.backend != "esp-nn" or options.esp_nn)]
    return found


def compile_auto(source: SourceModel, calib: str | None, options: CompileOptions, board: Board,
                 progress: Progress = lambda msg: None, measure: Measure | None = None,
                 cache: MeasurementCache | None = None, timeout: float = DEFAULT_TIMEOUT,
                 metric: str | None = None, screen: Measure | None = None, weights_in: str = "flash",
                 finish: Callable[[Graph], Graph] | None = None) -> Graph:
    """Compile with, per layer, the candidate kernel that measured the least `metric`
    ("cycles" or "instructions"; default metric_for(board)); `measure` (default: the
    stand-in's, measure_standin_cycles or measure_standin) returns that metric. By cycles,
    `screen` (default measure_standin where `measure` is the default; none where a caller's
    `measure` comes without one) measures the instructions that decide which candidates are
    priced (_priced).
    graph.meta["kernels"] records the choice (kernel_report). `timeout`: seconds of the
    emulator's own time per answer while measuring (--timeout). By cycles, `weights_in` (the
    build's --weights-in) says where the candidates are priced with their constants
    (tinygen.fit.placed_choice; "flash" for a caller that places none), and `finish` (the
    fit-first trade, then place_weights: what the build does to the choice; default none) is
    applied to the returned graph, a switchable model's excepted (its constants stay in flash)."""
    options = replace(options, kernels="auto")
    metric = metric or metric_for(board)
    if source.switches:                 # each switch its own choice: same layer names, other formats
        graph = _compile_auto_switches(source, calib, options, board, progress, measure, cache, timeout, metric,
                                       screen)
        return finish(graph) if finish else graph
    graph = compile_source(source, calib, options)
    check_fit(source, graph, board, options, calib)     # what cannot be built is not measured
    return _choose(source, calib, options, board, graph, progress, measure, cache, timeout, metric, screen,
                   weights_in, finish)


def _standin_measure(metric: str, layers: set[str], placements: tuple[str, ...] = ()) -> Measure:
    """The stand-in's measure of `metric`; cycles priced for `layers` alone (those with a choice), with the
    constants in each of `placements`."""
    return partial(measure_standin_cycles, only=layers, placements=placements) if metric == "cycles" \
        else measure_standin


def _choose(source: SourceModel, calib: str | None, options: CompileOptions, board: Board, graph: Graph,
            progress: Progress, measure: Measure | None, cache: MeasurementCache | None, timeout: float,
            metric: str = "instructions", screen: Measure | None = None, weights_in: str = "flash",
            finish: Callable[[Graph], Graph] | None = None) -> Graph:
    """compile_auto for a plain model whose preferred-kernel compile is `graph`."""
    fixed = dict(options.kernel_choice or {})
    candidates = _candidates(graph, options)
    open_nodes = {n: names for n, names in candidates.items() if len(names) > 1 and n not in fixed}
    # by cycles, priced with the constants in flash, and in RAM too where the build may put them there
    # (tinygen.fit.weights_ram: Cortex-M builds only)
    placements = PLACEMENTS if weights_in != "flash" and board.build == "cortex-m" else ("flash",)
    if not open_nodes:
        counts = {p: {n: dict.fromkeys(names) for n, names in candidates.items()} for p in placements}
        note = f"kernels auto: no layer has more than one candidate kernel on {board.name}; nothing to measure"
        variants = 0
    elif metric == "cycles" and (measure is None or screen is not None):
        counts, note, variants = _priced(source, calib, options, board, graph, candidates, open_nodes, fixed, progress,
                                         measure, screen, cache, timeout, placements)
    elif metric == "cycles":
        counts, note, variants = _measure(source, calib, options, board, graph, candidates, open_nodes, fixed, metric,
                                          progress, measure, cache, timeout, placements)
    else:
        counts, note, variants = _measure(source, calib, options, board, graph, candidates, open_nodes, fixed, metric,
                                          progress, measure, cache, timeout)
        counts = {"flash": counts}          # instructions: the same wherever the constants are
    # flash weighed (tinygen/kernels/auto_pick.py): --prefer balanced keeps a layer's preferred
    # kernel unless a candidate with more flash (constants, and code no other layer links) saves
    # enough instructions per byte
    nodes = {n.name: n for n in graph.nodes}
    flash = {n: {k: layer_flash(graph, nodes[n], KERNELS_BY_NAME[k]) for k in names} for n, names in open_nodes.items()}
    others = tuple(sorted({fixed.get(n.name, n.kernel) for n in graph.nodes if n.kernel and n.name not in open_nodes}))
    code = _kernel_code(graph, board, open_nodes, others)

    def pick(by: dict) -> dict[str, str]:
        return pick_layers(open_nodes, by, flash, code, others, options.prefer)

    def report(chosen: Graph, choice: dict[str, str], by: dict, priced: dict[str, str]) -> Graph:
        refused = [{"layer": n, "kernel": choice[n], "fastest": fast,
                    "flash_refused": flash[n][fast] - flash[n][choice[n]],
                    f"{metric}_kept": by[n][choice[n]] - by[n][fast]}
                   for n, names in open_nodes.items() for fast in [pick_fastest(names, by[n])]
                   # an unmeasured preferred kernel is kept for lower_peak to decide, as in the default build
                   if fast != choice[n] and by[n][choice[n]] is not None]
        chosen.meta["kernels"] = {**kernel_report(chosen, "auto", by, note, variants, metric,
                                                  priced if metric == "cycles" else None),
                                  "prefer": options.prefer, "flash_refused": refused}
        return chosen

    def build(choice: dict[str, str], by: dict, priced: dict[str, str]) -> Graph:
        # lower_peak weighs its swaps by the counts measured here
        chosen = compile_source(source, calib, replace(options, kernel_choice={**choice, **fixed}, kernel_counts=by))
        return report(chosen, choice, by, priced)

    def total(built: Graph) -> int | None:
        # a finished build whole, on the stand-in (or the caller's measure), every layer as built
        if measure is None and unavailable(board) is not None:
            return None
        run = measure or measure_standin_cycles
        return built_cycles(lambda g: measure_variant(run, source, g, board, timeout, progress), built,
                            lambda g: [layer_key(g, n, KERNELS_BY_NAME[n.kernel], board, options.cmsis_nn,
                                                 options.esp_nn, "cycles") for n in g.nodes if n.kernel],
                            cache if cache is not None else MeasurementCache.default())

    model = MODELS.get((board.raw.get("timing") or {}).get("model"))
    graph, _, again = place_choice(counts, weights_in if metric == "cycles" else "flash", list(open_nodes), pick,
                                   build, report, finish or (lambda g: g), model.FIT["memory_scale"] if model else 1.0,
                                   total if metric == "cycles" else None)
    if again:
        progress(again)
        graph.meta["kernels"]["note"] = "; ".join(filter(None, [graph.meta["kernels"].get("note"), again]))
    return graph


def _measure(source: SourceModel, calib: str | None, options: CompileOptions, board: Board, graph: Graph,
             candidates: dict[str, list[str]], open_nodes: dict[str, list[str]], fixed: dict[str, str], metric: str,
             progress: Progress, measure: Measure | None, cache: MeasurementCache | None,
             timeout: float, placements: tuple[str, ...] = ()) -> tuple[dict, str | None, int]:
    """(node -> kernel -> `metric`, measured or cached, None where neither; the note where nothing
    could be measured; the variants measured): firmware variant i runs each open node's i-th
    kernel (its last where it has fewer), `fixed` pinned. With `placements` (estimated cycles
    only): placement -> those counts, priced with the constants there (priced_in), every
    placement from the same logged run (tinygen.fit.standin.Placed) and cached under its own key."""
    labels = placements or (None,)
    counts = {p: {n: dict.fromkeys(names) for n, names in candidates.items()} for p in labels}
    note, variants = None, 0
    cache = cache if cache is not None else MeasurementCache.default()
    nodes = {n.name: n for n in graph.nodes}
    keys = {p: {n: {k: layer_key(graph, nodes[n], KERNELS_BY_NAME[k], board if p is None else priced_in(board, p),
                                 options.cmsis_nn, options.esp_nn, metric) for k in names}
                for n, names in candidates.items()} for p in labels}
    width = max(len(names) for names in open_nodes.values())
    choices = [{**{n: names[min(i, len(names) - 1)] for n, names in open_nodes.items()}, **fixed}
               for i in range(width)]
    # a measuring build runs the kernels it asks for: lower_peak, which would put a scratch-free kernel at
    # the arena's peak instead (IC's 4-pixel convs at conv2d_1 and conv2d_2), decides in the final build,
    # by these counts (CompileOptions.kernel_counts)
    measuring = replace(options, lower_peak=False)
    contexts = [variant_context(source, calib, measuring, board, c) for c in choices]
    settled = set()             # (node, kernel) asked for in a measuring build that applied another
    for p in labels:
        for n, names in candidates.items():
            for i, k in enumerate(names):
                counts[p][n][k] = cache.get(keys[p][n][k], contexts[i] if n in open_nodes else None)
                if counts[p][n][k] is None and n in open_nodes and cache.unmeasured(keys[p][n][k], contexts[i]):
                    settled.add((n, k))
    todo = sorted({i for n, names in open_nodes.items() for i, k in enumerate(names)
                   if any(counts[p][n][k] is None for p in labels) and (n, k) not in settled})
    note = unavailable(board) if todo and measure is None else None
    if note:
        note = f"kernels auto: {note}; using the preferred kernels where nothing is cached"
        progress(note)
    elif todo:
        progress(f"kernels auto: measuring {len(todo)} firmware variants on {board.name}'s stand-in "
                 f"({len(open_nodes)} layers with a choice; {_METRIC_WORDS[metric]})")
        # the stand-in's variants several at once (tinygen.fit.variants); a measure passed in, one at a time
        jobs = 1 if measure is not None else measure_jobs(len(todo))
        measure = measure or _standin_measure(metric, set(open_nodes), placements)
        def compiled(i: int) -> Graph:
            return compile_source(source, calib, replace(measuring, kernel_choice=choices[i]))

        runs = measured_variants(todo, compiled, measure, source, board, timeout, progress, jobs)
        try:
            for i, variant, got in runs:
                variants += 1
                applied = {v.name: v.kernel for v in variant.nodes if v.name in candidates}
                # every layer's count is worth keeping, those without a choice too
                for n, k in applied.items():
                    if n in got:
                        for p, count in _by_placement(got[n], board, labels).items():
                            counts[p][n][k] = count
                            cache.put(keys[p][n][k], count, {"kernel": k, "op": nodes[n].op,
                                                             "machine": keys[p][n][k]["machine"]})
                for n, names in open_nodes.items():     # asked for, not applied: not measurable here
                    k = names[i] if i < len(names) else None
                    if k is not None and applied.get(n) != k and counts[labels[0]][n][k] is None:
                        for p in labels:
                            cache.put_unmeasured(keys[p][n][k], contexts[i], {"kernel": k, "applied": applied.get(n)})
        finally:
            runs.close()            # a failure: the variants under way finish, the others do not start
            cache.save()            # what was measured before a failure is kept
    return (counts if placements else counts[None]), note, variants


def _by_placement(count: int, board: Board, labels: tuple[str | None, ...]) -> dict[str | None, int]:
    """A measured count per label: None (the board's own pricing) the count itself; a placement its
    price there (Placed), or the count where the board's own [timing] already prices it so."""
    placed = getattr(count, "by_placement", {})
    out = {p: int(count) if p is None or (p not in placed and priced_in(board, p) is board) else placed.get(p)
           for p in labels}
    return {p: c for p, c in out.items() if c is not None}


def _priced(source: SourceModel, calib: str | None, options: CompileOptions, board: Board, graph: Graph,
            candidates: dict[str, list[str]], open_nodes: dict[str, list[str]], fixed: dict[str, str],
            progress: Progress, measure: Measure | None, screen: Measure | None, cache: MeasurementCache | None,
            timeout: float, placements: tuple[str, ...] = ("flash",)) -> tuple[dict, str | None, int]:
    """_measure's estimated cycles per placement of the constants (`placements`), the candidates
    screened first by their executed instructions
    (`screen`, default the stand-in's: unlogged runs, cached apart): only each layer's preferred
    kernel and those within SCREEN_RATIO of its fewest instructions are logged and priced, in
    variants of those alone (a logged run's cost grows with what it executes, and the portable
    kernels execute 3 to 10 times the DSP kernels' instructions). The others are left unpriced:
    they lose to every priced candidate (tinygen.kernels.auto_pick)."""
    instructions, note, screened = _measure(source, calib, options, board, graph, candidates, open_nodes, fixed,
                                            "instructions", progress, screen, cache, timeout)
    cycles = {p: {n: dict.fromkeys(names) for n, names in candidates.items()} for p in placements}
    if note:
        return cycles, note, screened
    kept = {n: _within(names, instructions[n]) for n, names in open_nodes.items()}
    priced = {n: names for n, names in kept.items() if len(names) > 1}
    if not priced:
        return cycles, None, screened
    got, note, variants = _measure(source, calib, options, board, graph, priced, priced, fixed, "cycles", progress,
                                   measure, cache, timeout, placements)
    for p in placements:
        for n in got[p]:
            cycles[p][n].update(got[p][n])
    left = sum(len(names) - len(kept[n]) for n, names in open_nodes.items())
    if left:
        note = (f"kernels auto: {left} candidate(s) executing over {SCREEN_RATIO:g}x their layer's fewest "
                f"instructions not priced in cycles")
    return cycles, note, screened + variants


def _within(names: list[str], counts: dict[str, int | None]) -> list[str]:
    """The preferred kernel and the candidates within SCREEN_RATIO of the fewest measured counts, in order."""
    least = min((c for c in counts.values() if c is not None), default=None)
    return [k for i, k in enumerate(names)
            if i == 0 or (least is not None and counts.get(k) is not None and counts[k] <= SCREEN_RATIO * least)]


def _kernel_code(graph: Graph, board: Board, open_nodes: dict[str, list[str]],
                 others: tuple[str, ...]) -> dict[str, dict[str, int] | None]:
    """Each candidate's and other layer's kernel's code units (tinygen.build.kernel_code), built
    with the preferred build's defines and kx1's cases of every layer that may take it."""
    nodes = {n.name: n for n in graph.nodes}
    kx1_layers = [nodes[n] for n, names in open_nodes.items() if KX1 in names] + [
        n for n in graph.nodes if n.name not in open_nodes and n.kernel == KX1]
    defines = switch_flags(graph) + case_flags(kx1_layers)
    kernels = sorted({k for names in open_nodes.values() for k in names} | set(others))
    return {k: kernel_code(k, board, defines) for k in kernels}


def _compile_auto_switches(source: SourceModel, calib: str | None, options: CompileOptions, board: Board,
                           progress: Progress, measure: Measure | None, cache: MeasurementCache | None,
                           timeout: float, metric: str, screen: Measure | None) -> Graph:
    """compile_auto per switch of a switchable model, after checking that all of them
    together fit; the report lists every switch's layers as SWITCH/LAYER."""
    parts = [(name, one, compile_source(one, calib, options)) for name, one in switch_sources(source)]
    together = attach([(name, g) for name, _, g in parts])
    try:
        check_fit(source, together, board, options, calib)
    finally:
        together.meta.pop("switches", None)         # attach() marked the first switch's graph
    compiled = []
    for name, one, graph in parts:
        progress(f"kernels auto: switch {name}")
        compiled.append((name, _choose(one, calib, options, board, graph, progress, measure, cache, timeout,
                                       metric, screen)))

    def relaxed(k: int, bound: int) -> Graph:
        # the switch's lowering stops at the image's arena (set by another switch): measured again
        # with that floor, where the kernels lower_peak swapped back are applied and measurable
        name, one, graph = parts[k]
        progress(f"kernels auto: switch {name}, lowered no further than the image's arena {bound:,} B")
        return _choose(one, calib, replace(options, arena_floor=bound), board, graph, progress, measure, cache,
                       timeout, metric, screen)

    compiled = relax_lowering(compiled, relaxed, below=True)
    graph = attach(compiled)
    reports = [(name, g.meta["kernels"]) for name, g in compiled]
    graph.meta["kernels"] = {**reports[0][1],
                             "layers": [{**layer, "name": f"{name}/{layer['name']}"}
                                        for name, report in reports for layer in report["layers"]],
                             "measured_variants": sum(r.get("measured_variants") or 0 for _, r in reports),
                             "note": "; ".join(dict.fromkeys(r["note"] for _, r in reports if r.get("note"))) or None}
    return graph


__all__ = ["MEASURE_ATTEMPTS", "SCREEN_RATIO", "STANDIN_BYTES", "build_standin", "check_fit", "choice_table",
           "compile_auto", "default_kernels", "kernel_report", "measure_standin", "measure_standin_cycles", "metric_for",
           "pick_fastest", "standin_memory", "unavailable"]
