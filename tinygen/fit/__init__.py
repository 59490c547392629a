"""Fit first: the fastest kernel combination that fits the board's flash and RAM.

    graph = fit_board(graph, board, recompile, progress)     # after the speed choice
    print(fit_lines(graph.meta["fit"]))                      # what the trade cost

The kernels chosen for speed (the preference order, or --kernels auto's measured
fastest) may not fit: tinygen's fastest convolutions keep their weights widened to
int16 in flash (tg_conv2d_direct_s8_dsp, tg_conv2d_add_s8_dsp), twice the int8 bytes.
When the predicted firmware exceeds the board's flash or its --flash-budget, layers trade
speed for flash. The prediction is the real part's image compiled and linked ahead of the
build (tinygen/build/code_size.py: each translation unit compiled once with the image's
flags and cached, then linked, even where larger than the part; ID_STRINGS_BYTES above what
the build links where its model name and id are the graph's name); where that cannot
be done (no cross compiler, CMSIS-NN / ESP-NN layers, a front end) it is
tinygen.build.memory.predict's estimate plus FIT_CODE_MARGIN_PER_LAYER per layer, since
that estimate sits below what links:

    every layer has options: its candidate kernels (a fused conv + residual add also
    the conv's kernels beside a separate add: CompileOptions.unfused), each with the flash bytes of the
    constants it reads (tinygen.passes.footprint.layer_flash, exact) and its executed
    instructions (measured by --kernels auto where it measured them, else the
    estimate of tinygen.passes.footprint);
    trade() (tinygen/fit/trade.py): repeatedly move the layer whose narrower option
    costs the fewest extra instructions per flash byte saved, until the bytes needed
    are saved; then undo the moves that turned out unnecessary, most expensive per
    byte first.

So the layers that save the most instructions per flash byte keep their widened
weights. The choice is pinned (CompileOptions.fit_choice: lower_peak leaves those
layers alone), the graph compiled again and the prediction checked; an estimate that
was off re-runs the trade with the difference. Options are plain (kernel, flash,
instructions) triples: any kernel that keeps int8 weights in flash slots in as one
more candidate. Same graph, same counts: same choice (ties go to the earlier layer
and the preferred kernel).

The trade counts constants only, but the code linked differs between kernel combinations
too (a mix links both kernels of a layer type). So where the constants cannot save enough,
the smallest combination (every layer's option with the fewest constants) is compiled and
linked itself: it is taken where it fits; where it does not, the lean-code image
(tinygen/fit/code.py: every kernel's generic code shared, layers moved to kernels others link
anyway, then the slack spent on speed) where that fits; else MemoryFitError says what the image
needs (its real link) and which layers hold most of it.

RAM is traded first (tinygen/fit/ram.py): where the predicted RAM does not fit, lower_peak
takes every kernel that lowers the arena whatever flash it adds, and the flash trade runs on that.
"""

from __future__ import annotations

from collections.abc import Callable

from tinygen import __version__
from tinygen.board import Board, all_boards
from tinygen.build.code_size import compiled_flash
from tinygen.build.memory import MemoryFitError, MemoryUse, RegionUse, capacity, check_prediction, predict
from tinygen.codegen.emit import project_data
from tinygen.fit.code import fusion_choice, lean_code
from tinygen.fit.ram import can_tile, can_trade, lean_options, pinned_tiling, ram_fit, ram_over, tiled_options
from tinygen.fit.report import fit_lines, fit_record
from tinygen.fit.trade import LayerOptions, Option, smallest_options, trade
from tinygen.kernels.esp_nn import esp_nn_features
from tinygen.passes.footprint import UNFUSED_ADD_PER_OUTPUT, estimate_instructions, layer_flash
from tinygen.ir import Graph, Node
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.passes.choose_kernels import LIBRARIES, kernel_candidates
from tinygen.report import human_bytes
from tinygen.switches import is_switchable

# added to the predicted flash while choosing, per layer: the code estimate (memory.CODE_BASE,
# CODE_PER_KERNEL, CODE_PER_LAYER) is a lower bound, and specialized layers inline their
# kernels (0.6..1.4 KiB each). Linked images measured above the prediction by 0.5..1.4 KiB
# per layer on the f746zg / f767zi / f446re stand-ins (MLPerf Tiny AD 4.9 KB over 10 layers,
# IC 13.3 KB, KWS 18.7 KB over 13, VWW 28.0 KB over 31, the 76 M-MAC ResNet 14.7 KB over 14).
# A choice whose prediction fits only without the margin is still taken: the linker checks it.
FIT_CODE_MARGIN_PER_LAYER = 1536       # only where the code is estimated (no compiler, another recipe)
# the prediction's flash parts: the old estimate, or the image compiled and linked ahead of the build
ESTIMATE_PART, COMPILED_PART = "code (estimate)", "code and constants (compiled and linked)"
ROUNDS = 6                  # trades re-run after the compiled graph's prediction differs

# compile the graph again with per-node kernels pinned for fit (CompileOptions.fit_choice) and
# the convs whose residual add stays separate (CompileOptions.unfused)
Recompile = Callable[[dict[str, str], frozenset], Graph]


def layer_options(graph: Graph, candidates: Callable, counts: dict[str, dict[str, int | None]]) -> list[LayerOptions]:
    """Each layer's options: `candidates(graph, node)` gives its KernelSpecs, preferred
    first; `counts` node -> kernel -> measured instructions (None: not measured)."""
    layers = []
    for node in graph.nodes:
        if node.kernel is None:
            continue
        opts = []
        for spec in candidates(graph, node):
            count = (counts.get(node.name) or {}).get(spec.name)
            opts.append(Option(spec.name, layer_flash(graph, node, spec),
                               count if count is not None else estimate_instructions(graph, node, spec),
                               count is not None))
        if node.kernel not in [o.kernel for o in opts]:     # e.g. a kernel chosen by another search
            spec = KERNELS_BY_NAME[node.kernel]
            opts.insert(0, Option(spec.name, layer_flash(graph, node, spec), estimate_instructions(graph, node, spec)))
        layers.append(LayerOptions(node.name, node.op, tuple(opts + _unfused(graph, node, candidates))))
    return layers


def _unfused(graph: Graph, node: Node, candidates: Callable) -> list[Option]:
    """A conv2d_add's options as the conv alone (every conv2d kernel) plus a separate add."""
    if node.op != "conv2d_add":
        return []
    conv = Node(node.name, "conv2d", node.inputs[:1], list(node.outputs),
                attrs={k: node.attrs[k] for k in ("stride", "dilation", "padding", "act_min", "act_max")},
                params=node.params)
    add = UNFUSED_ADD_PER_OUTPUT * graph.tensor(node.outputs[0]).nbytes
    return [Option(spec.name, layer_flash(graph, conv, spec), estimate_instructions(graph, conv, spec) + add,
                   unfuse=True) for spec in candidates(graph, conv)]


def estimated(graph: Graph, board: Board) -> MemoryUse:
    """tinygen.build.memory.predict's use, the weights as codegen stores them: no C compiled.
    Its RAM is predicted's (the code changes only the flash), so the RAM trade needs no more."""
    return predict(graph, board, project_data(graph, graph.name, "", __version__)["weight_bytes"])


def predicted(graph: Graph, board: Board) -> MemoryUse:
    use = estimated(graph, board)
    linked = compiled_flash(graph, board, graph.name)       # None: keep the estimate (and the margin)
    if linked is not None:
        flash = use.regions["flash"]
        flash.parts.pop(ESTIMATE_PART, None)
        flash.add(COMPILED_PART, linked - use.weights)
    return use


def margin(graph: Graph, use: MemoryUse | None = None) -> int:
    """FIT_CODE_MARGIN_PER_LAYER for every layer with a kernel; 0 where `use`'s code was
    compiled and linked (tinygen/build/code_size.py) rather than estimated."""
    if use is not None and COMPILED_PART in use.regions["flash"].parts:
        return 0
    return FIT_CODE_MARGIN_PER_LAYER * sum(1 for n in graph.nodes if n.kernel)


def _over(use: MemoryUse, slack: int = 0) -> int:
    """Bytes of flash beyond the capacity with `slack` added (<= 0: fits)."""
    r = use.regions["flash"]
    return r.used + slack - r.capacity if r.capacity else -1


def fit_board(graph: Graph, board: Board, recompile: Recompile, candidates: Callable,
              counts: dict | None = None, progress: Callable[[str], None] = lambda msg: None) -> Graph:
    """`graph` if it fits `board`'s flash (or its --flash-budget), else the graph recompiled
    with the trade's kernels; graph.meta["fit"] records what was traded (RAM is the
    build's check).
    Each round trades from the last compiled graph (whose unpinned layers lower_peak may
    have changed) for the bytes its prediction is still over."""
    counts = counts or {}
    first = use = predicted(graph, board)
    fastest = {n.name: n.kernel for n in graph.nodes if n.kernel}
    options = {layer.node: layer for layer in layer_options(graph, candidates, counts)}
    pinned: dict[str, str] = {}
    unfused: set[str] = set()
    current = graph
    for _ in range(ROUNDS):
        over = _over(use, margin(current, use))
        if over <= 0:
            break
        layers = layer_options(current, candidates, counts)
        kernels = {n.name: n.kernel for n in current.nodes if n.kernel}
        # without the margin where the margin asks for more than any choice saves
        choice = trade(layers, kernels, over) or trade(layers, kernels, _over(use))
        if choice is None or all(o.kernel == kernels[n] for n, o in choice.items()):
            if _over(use) <= 0:
                break               # fits the prediction, not the margin: the linker decides
            current, use = _smallest_or_refuse(current, board, layers, use, recompile, candidates, counts, progress)
            break
        pins, origins = fusion_choice(current, choice)
        pinned.update({n: k for n, k in pins.items() if k != current.node(n).kernel})
        unfused.update(origins)
        progress(f"fit: {len(pinned)} layers keep int8 weights in flash to fit {board.name}")
        current = recompile(dict(pinned), frozenset(unfused))
        for layer in layer_options(current, candidates, counts):
            options.setdefault(layer.node, layer)
        use = predicted(current, board)
    else:
        if _over(use) > 0:
            current, use = _smallest_or_refuse(current, board, layer_options(current, candidates, counts), use,
                                               recompile, candidates, counts, progress)
    for layer in layer_options(current, candidates, counts):
        options.setdefault(layer.node, layer)
    rows = []
    for node in current.nodes:
        if node.kernel is None or node.kernel == fastest.get(node.name, node.kernel):
            continue
        layer = options[node.name]
        was = layer.option(fastest[node.name])
        try:
            now = layer.option(node.kernel)
        except KeyError:            # a kernel the first graph's layer had no option for
            now = next(x for x in layer_options(current, candidates, counts) if x.node == node.name).option(node.kernel)
        rows.append({"layer": node.name, "op": layer.op, "kernel": now.label, "instead_of": was.kernel,
                     "flash_saved": was.flash - now.flash, "instructions_added": now.instructions - was.instructions,
                     "measured": was.measured and now.measured})
    current.meta["fit"] = fit_record(board, use, rows, first.regions["flash"].used, margin(current, use))
    if "fit_code" in current.meta:
        current.meta["fit"]["code"] = current.meta["fit_code"]
    return current


def _at_smallest(graph: Graph, layers: list[LayerOptions]) -> bool:
    """Whether every layer of `graph` already runs its smallest option (fused as that option is)."""
    return all(graph.node(n).kernel == o.kernel and not o.unfuse for n, o in smallest_options(layers).items())


def _smallest_or_refuse(current: Graph, board: Board, layers: list[LayerOptions], use: MemoryUse,
                        recompile: Recompile, candidates: Callable, counts: dict,
                        progress: Callable[[str], None]) -> tuple[Graph, MemoryUse]:
    """The trade cannot save the bytes still over with constants alone; but the code linked
    differs between kernel combinations (a mix links both a layer's kernels), so the smallest
    combination is compiled and linked itself: (that graph, its use) where it fits, else the
    nothing-fits error with its real size."""
    if not _at_smallest(current, layers):
        smallest = smallest_options(layers)
        progress(f"fit: trying every layer's smallest kernel on {board.name}")
        current = recompile(*fusion_choice(current, smallest))
        use = predicted(current, board)
        layers = layer_options(current, candidates, counts)
    if _over(use) > 0 and COMPILED_PART in use.regions["flash"].parts:
        return _lean_or_refuse(current, board, layers, use, recompile, progress)
    if _over(use) > 0:
        raise nothing_fits(current, board, layers, use)
    return current, use


def _lean_or_refuse(graph: Graph, board: Board, layers: list[LayerOptions], use: MemoryUse, recompile: Recompile,
                    progress: Callable[[str], None] = lambda msg: None,
                    respecialize: bool = True) -> tuple[Graph, MemoryUse]:
    """`graph` (every layer's smallest option, compiled and linked, `use` over the flash): its
    lean-code image (tinygen/fit/code.py) and that image's use where it fits, else the
    nothing-fits error with the lean image's link."""
    lean, record = lean_code(graph, layers, smallest_options(layers), recompile,
                             lambda g: _over(predicted(g, board)), progress, respecialize)
    lean_use = predicted(lean, board)
    if _over(lean_use) > 0:
        raise nothing_fits(graph, board, layers, use, lean_use.regions["flash"].used)
    lean.meta["fit_code"] = record
    return lean, lean_use


def nothing_fits(graph: Graph, board: Board, layers: list[LayerOptions], use: MemoryUse,
                 lean: int | None = None, how: str | None = None) -> MemoryFitError:
    """No combination fits: what the smallest needs and which layers hold most of it. Where
    `graph` is that combination compiled and linked (fit_board), the figure is its image's
    flash; else (check_some_fit without a compile) `use`'s code with the smallest constants;
    `how` says how the figure was had where the caller knows better (check_flash_floor)."""
    smallest = smallest_options(layers)
    chosen = sum(layer.option(graph.node(layer.node).kernel).flash for layer in layers)
    flash = use.regions["flash"]
    need = flash.used - chosen + sum(o.flash for o in smallest.values())
    # the lean-code image (tinygen/fit/code.py), linked: the least this model can need
    lean_text = "" if lean is None else ", every kernel's generic code shared"
    need = min(need, lean) if lean is not None else need
    how = how or ("compiled and linked" if _at_smallest(graph, layers) and COMPILED_PART in flash.parts
                  else "code as predicted for the kernels chosen")
    top = sorted(layers, key=lambda layer: -smallest[layer.node].flash)[:3]
    layers_text = ", ".join(f"{layer.node} ({layer.op}) {human_bytes(smallest[layer.node].flash)}" for layer in top)
    budget = (getattr(board, "budget", {}) or {}).get("flash")
    where = (f"the --flash-budget of {human_bytes(flash.capacity)}" if budget
             else f"{board.name}'s {human_bytes(flash.capacity)}")
    bigger = [f"{b.name} ({human_bytes(capacity(b, 'flash'))})" for b in all_boards()
              if b.name != board.name and b.build == board.build and (capacity(b, "flash") or 0) >= need]
    return MemoryFitError(
        f"does not fit {board.name}: flash needs {human_bytes(need)} even with every layer's smallest kernel "
        f"(int8 weights in flash{lean_text}; {how}), more than {where}; most of it: {layers_text}",
        "shrink those layers (fewer channels or features)"
        + (f", or build for a board with more flash: {', '.join(bigger)}" if bigger else "")
        + (", or raise --flash-budget" if budget else ""))


def check_flash_floor(graph: Graph, board: Board, candidates: Callable, use: MemoryUse | None = None) -> None:
    """Refuse, before any C is compiled, a model whose constants alone exceed the flash (or the
    --flash-budget) with every layer's smallest option: no kernel choice, code sharing or
    tiling the fit can make stores them in less (constants are exact, tinygen.passes.footprint), so
    compiling and linking to find out (minutes for a large model) would only refuse it later.
    The code is left out: nearer the limit the fit's compiled prediction and the link decide.
    A switchable model is left to the build: its other switches' layers have options too."""
    if is_switchable(graph):
        return
    use = use or estimated(graph, board)
    flash = use.regions["flash"]
    layers = layer_options(graph, candidates, {})
    weights = RegionUse("flash", flash.capacity, {"weights": flash.parts.get("weights", 0)})
    floor = _with_smallest(graph, layers, weights)
    if flash.capacity and floor.used > flash.capacity:
        raise nothing_fits(graph, board, layers, MemoryUse({**use.regions, "flash": weights}, use.arena, use.weights,
                                                           use.stack, use.source, use.arena_region, use.frontend),
                           how="its constants alone, before any code")


def _candidates(options) -> Callable:
    """node -> its candidate KernelSpecs under the --kernels mode (CMSIS-NN's or ESP-NN's when
    a tree is configured, as compile_graph does)."""
    features = frozenset(options.features) | ({"cmsis-nn"} if options.cmsis_nn else set())
    if options.esp_nn and options.kernels in ("esp-nn", "auto"):
        features = esp_nn_features(features)
    return lambda graph, node: kernel_candidates(graph, node, features, options.kernels)


def measured_counts(graph: Graph) -> dict[str, dict[str, int | None]]:
    """node -> kernel -> instructions --kernels auto measured (graph.meta["kernels"])."""
    report = graph.meta.get("kernels") or {}
    return {layer["name"]: layer["candidates"] or {layer["kernel"]: layer["instructions"]}
            for layer in report.get("layers", [])}


def fit_model(source, calib, options, board: Board, graph: Graph,
              progress: Callable[[str], None] = lambda msg: None) -> Graph:
    """fit_board for a compiled model (after --kernels auto's choice, whose measured
    counts it uses); boards built by tinygen's firmware recipes only. A switchable model
    is returned as it is: its fit is tinygen/fit/switches.py's (the RAM trade and the mixed
    storage's choice; no flash trade of kernels: its switches share the flash, checked by
    the build)."""
    from dataclasses import replace

    from tinygen.compiler import compile_source
    from tinygen.report.kernels import kernel_report

    if board.build == "host" or source.switches:
        return graph
    report = graph.meta.get("kernels") or {}
    chosen = {n.name: n.kernel for n in graph.nodes if n.kernel}
    origin = {n.name: n.attrs.get("tile_of", n.name) for n in graph.nodes}

    def recompile(pinned: dict[str, str], unfused: frozenset, lean: bool = False, tile: int | None = None) -> Graph:
        # options: the caller's, or after the RAM trade its lean ones (bound when called);
        # tile: an arena budget for the cheapest tiling within it
        use = lean_options(options) if lean else options
        if tile is not None:
            use = tiled_options(use, False, tile)
        base = {n: k for n, k in {**chosen, **(use.kernel_choice or {})}.items() if origin.get(n, n) not in unfused}
        again = compile_source(source, calib, replace(use, kernel_choice=base, fit_choice=pinned, unfused=unfused))
        if "frontend" in graph.meta:        # the audio front end's flash and RAM count too
            again.meta["frontend"] = graph.meta["frontend"]
        return again

    check_flash_floor(graph, board, _candidates(options))    # before any C is compiled
    start = graph
    if can_trade(options) or can_tile(options):
        lean = (lambda: recompile({}, frozenset(), lean=True)) if can_trade(options) else None
        tiled = None
        if can_tile(options):
            def tiled(arena_budget: int) -> Graph:
                progress(f"fit: the RAM does not fit with the lean kernels; trying tiling within an arena of "
                         f"{arena_budget:,} B (--tile auto)")
                return recompile({}, frozenset(), lean=can_trade(options), tile=arena_budget)
        auto = None
        if options.kernels in LIBRARIES:        # the library's kernels only: say what auto's would reach
            def auto() -> Graph:
                return compile_source(source, calib, lean_options(replace(
                    options, kernels="auto", kernel_choice=None, fit_choice=None, fuse_residual=None)))
        start = ram_fit(graph, board, lean, estimated, str(source.path), tiled, auto,   # RAM: no C compiled
                        LIBRARIES.get(options.kernels))
    if start is not graph:
        options = lean_options(options) if can_trade(options) else options
        if pinned_tiling(start) is not None:          # the flash trade's recompiles keep the tiling found
            options = replace(options, tile=pinned_tiling(start))
        progress(f"fit: arena {start.meta['fit_ram']['arena'][0]:,} -> {start.meta['fit_ram']['arena'][1]:,} B "
                 f"to fit {board.name}'s RAM")

    counts = measured_counts(graph)
    fitted = fit_board(start, board, recompile, _candidates(options), counts, progress)
    if "fit_ram" in start.meta:
        fitted.meta["fit_ram"] = start.meta["fit_ram"]
    if fitted is not graph:
        fitted.meta["kernels"] = {**report, **kernel_report(fitted, report.get("mode"), counts, report.get("note"),
                                                            report.get("measured_variants") or 0)}
    return fitted


def check_some_fit(graph: Graph, board: Board, options, model: str,
                   compile_lean: Callable[[], Graph] | None = None,
                   compile_tiled: Callable[[int], Graph] | None = None,
                   compile_pinned: Callable[[dict[str, str], frozenset, Graph], Graph] | None = None) -> None:
    """Refuse, before --kernels auto measures, a model that no kernel combination fits:
    the smallest options' flash (nothing_fits), or RAM as the build would, after the RAM
    trade (`compile_lean`: the model compiled with lean_options, tinygen/fit/ram.py).
    The smallest options' flash is first taken with the chosen kernels' code; where that is
    over, `compile_pinned(fit_choice, unfused, like)` (the model compiled as `like` was, those
    kernels pinned) compiles the smallest combination, whose own image decides."""
    if board.build == "host":
        return
    # before any C is compiled: constants no kernel choice fits, then RAM (the RAM trade's
    # recompiles are Python; RAM does not depend on the code)
    early = estimated(graph, board)
    check_flash_floor(graph, board, _candidates(options), early)
    if ram_over(early) > 0 and (compile_lean is not None or compile_tiled is not None):
        graph = ram_fit(graph, board, compile_lean, estimated, model, compile_tiled)
    elif ram_over(early) > 0:
        check_prediction(early, board, model)               # RAM is checked first: its error
    use = predicted(graph, board)
    layers = layer_options(graph, _candidates(options), {})
    flash = _with_smallest(graph, layers, use.regions["flash"])
    if flash.capacity and flash.used > flash.capacity and compile_pinned is not None \
            and not _at_smallest(graph, layers):
        pick = smallest_options(layers)
        small = compile_pinned(*fusion_choice(graph, pick), graph)
        small_use = predicted(small, board)
        if _over(small_use) > 0 and COMPILED_PART in small_use.regions["flash"].parts:
            small, small_use = _lean_or_refuse(small, board, layer_options(small, _candidates(options), {}), small_use,
                                               lambda pins, unfused: compile_pinned(pins, unfused, graph),
                                               respecialize=False)
        if _over(small_use) > 0:
            raise nothing_fits(small, board, layer_options(small, _candidates(options), {}), small_use)
        flash = small_use.regions["flash"]
    elif flash.capacity and flash.used > flash.capacity:
        raise nothing_fits(graph, board, layers, use)
    check_prediction(MemoryUse({**use.regions, "flash": flash}, use.arena, use.weights, use.stack, use.source,
                               use.arena_region, use.frontend), board, model)


def _with_smallest(graph: Graph, layers: list[LayerOptions], flash: RegionUse) -> RegionUse:
    """`flash` with the layers' constants those of their smallest options (code as it is)."""
    chosen = sum(layer.option(graph.node(layer.node).kernel).flash for layer in layers)
    smallest = sum(o.flash for o in smallest_options(layers).values())
    return RegionUse("flash", flash.capacity, {**flash.parts, "weights": flash.parts.get("weights", 0) - chosen + smallest})


__all__ = ["FIT_CODE_MARGIN_PER_LAYER", "LayerOptions", "Option", "check_flash_floor", "check_some_fit",
           "estimated", "fit_board", "fit_lines", "fit_model", "fit_record", "layer_options", "measured_counts", "nothing_fits", "predicted",
           "smallest_options", "trade"]
