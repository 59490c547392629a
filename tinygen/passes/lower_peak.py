"""Lower the arena's peak by choosing other kernels for the layers at it, only where that lowers it.

The preferred kernel of a layer is its fastest (or the one --kernels auto measured
fastest), and that may cost arena: tg_conv2d_s8_dsp needs im2col scratch,
tg_conv2d_direct_s8_dsp (faster on some layers, no scratch) cannot write its output
over its input as tg_conv2d_s8_dsp may. When such a layer runs at the arena's peak,
a scratch-free kernel for the target's ISA, one its kernel names leaner (KernelSpec.leaner:
tg_depthwise_conv2d_kx1_s8_dsp for tg_depthwise_conv2d_kx1_raw_s8_dsp), or the preferred
kernel that auto's choice replaced, can lower the arena; portable kernels are not
considered (several times the instructions). This pass, after plan_memory:

    repeat: for each layer at the peak, for each scratch-free or leaner ISA candidate kernel
            of it and for its preferred kernel where --kernels auto chose another,
            re-choose, re-order and re-plan with that kernel; keep the trial with the
            smallest arena if it is smaller; when none is and several layers share the
            peak (each alone changes nothing), try them together, each with its first
            alternative (or each with its preferred kernel where auto replaced it); when that
            fails too, every layer whose preferred kernel auto replaced back on it at once, then
            auto's kernel restored on each of them where the arena stays as low without it
    until no trial lowers the arena (a tie goes to the layer's preferred kernel)

A trial whose kernel keeps more bytes of constants in flash (tg_conv2d_direct_s8_dsp's
int16 weights for tg_conv2d_1x1_s8_dsp's int8 ones) is weighed: taken only where the flash
it adds is at most `flash_per_ram_byte` times the arena bytes it saves (FLASH_PER_RAM_BYTE
by default, above the parts' flash / RAM: F746ZG 1 MB / 320 KB, F446RE 512 / 128 KB). On
KWS that refuses 4 KB of flash per pointwise layer for 64 B of arena each (under --kernels
tinygen, whose preferred kernels auto has not measured, it took 4.6 KB for 1 KB on IC's conv2d_1
and conv2d_2 together; under auto, which now measures every candidate, the bound on
instructions refuses IC's swaps: the plain add kernel at conv2d_2 would free 4 KB for about
1.3 M more cycles).
A trial is weighed in instructions too: the instructions its kernel adds (the layer's count
with the new kernel less the current one's: the counts --kernels auto measured,
CompileOptions.kernel_counts, where both are measured, else tinygen.passes.footprint's per-MAC
estimates for both) may be at most `instructions_per_ram_byte` per arena byte it saves
(INSTRUCTIONS_PER_RAM_BYTE by default). Among the trials within both bounds the pass takes the
one adding the fewest instructions per byte saved (then the lower arena, then the layer's
preferred kernel). The scratch-free swaps the pass exists for cost little or save
instructions (IC's direct convs for the widening ones, by the estimates);
the bound refuses what only a slower arithmetic buys, e.g. sp_digits' w1a8 table kernel
(tg_conv2d_s8_b1lut_s8_dsp, 0.63 instructions per MAC) for the add-only binary kernel (3.05):
+912,000 instructions for 64 B of the image's arena under --kernels auto --prefer speed.
None for both bounds takes any trial that lowers the arena, the lowest arena first: the
fit-first RAM trade's setting (tinygen/fit/ram.py), when the RAM does not fit.

`floor`: the arena the image needs whatever this graph does (a switchable model's
image is sized for its largest switch: tinygen/switches.py `lowering_bound`). Arena
below it saves no RAM on the device, so a trial counts only the bytes it saves above
the floor, and lowering stops once the arena is at or under it: the other layers keep
their faster kernels (e.g. w1a8's binary-weight table kernel, whose scratch is below
the w8a8 switch's arena).

A layer is "at the peak" when the buffers live during it (scratch included, in-place
overlaps not subtracted) add up to the arena size or more: no other layer can be
what sets the arena. Every other layer keeps its preferred kernel; the choice made
for memory overrides the per-node kernel choice (--kernels auto's) on the layers it
changes. graph.meta["lower_peak"] lists the changes (inspect prints them).
"""

from __future__ import annotations

from typing import Callable

from tinygen.passes.footprint import estimate_instructions
from tinygen.ir import Graph, Node
from tinygen.kernels.params import kernel_params, struct_fields
from tinygen.kernels.table import KERNELS_BY_NAME, const_bytes
from tinygen.passes.choose_kernels import kernel_candidates
from tinygen.passes.plan_memory import align

# flash bytes one arena byte is worth by default: a little above the parts' flash / RAM (F746ZG
# 1 MB / 320 KB, F767ZI 2 MB / 512 KB, F446RE 512 / 128 KB: 3.2 to 4)
FLASH_PER_RAM_BYTE = 5.0
# executed instructions one arena byte is worth by default (per inference). The swaps this pass
# takes on the MLPerf Tiny models cost nothing by the estimates (IC: the widening convs at the
# peak for the int16 direct ones, 1,024 + 1,024 + 128 B, in the default build before auto measured
# every candidate, tinygen/fit/autotune.py), while a swap to a slower arithmetic costs hundreds to
# thousands per byte (sp_digits w1a8, measured on the f746zg stand-in: the table kernel's tables
# for the add-only binary kernel, +912,000 instructions: ~710 per byte without a floor, ~14,000
# per byte of the image's arena with it); the byte masks for the tables cost ~43 per byte
# (214,200 -> 269,080 on qconv_3 for ~1.3 KB). 64: a layer may get a fifth slower to free its
# scratch, not several times slower.
INSTRUCTIONS_PER_RAM_BYTE = 64.0

# re-choose kernels with these per-node overrides, re-order and re-plan a graph
Replan = Callable[[Graph, dict[str, str]], Graph]


def _peak_nodes(graph: Graph) -> list[Node]:
    """The nodes where the arena peaks: those whose live buffers' bytes reach the arena, or,
    where alignment gaps and placement leave the arena above every live set, those whose live
    buffers (sizes rounded up to the arena's alignment, as placed) are the largest."""
    plan = graph.meta["memory"]
    found = [node for node, live in zip(graph.nodes, plan.timeline(len(graph.nodes))) if live >= plan.arena_size]
    if found:
        return found
    aligned = [sum(align(b.size) for b in plan.buffers if b.first <= i <= b.last) for i in range(len(graph.nodes))]
    peak = max(aligned, default=0)
    return [node for node, live in zip(graph.nodes, aligned) if live >= peak]


def _alternatives(graph: Graph, node: Node, features: frozenset, kernels: str) -> list[str]:
    """The other kernels worth a trial for `node`: its scratch-free candidates for the target's
    ISA (a portable kernel costs several times the instructions) and those its kernel names
    leaner (KernelSpec.leaner: tg_depthwise_conv2d_kx1_s8_dsp's widened block for
    tg_depthwise_conv2d_kx1_raw_s8_dsp's copy of the input) where they need less scratch,
    then its preferred kernel where a per-node choice (--kernels auto's) replaced it."""
    specs = kernel_candidates(graph, node, features, kernels)
    leaner = KERNELS_BY_NAME[node.kernel].leaner if node.kernel in KERNELS_BY_NAME else ()
    found = [spec.name for spec in specs if spec.name != node.kernel and spec.requires and
             (spec.scratch is None or spec.name in leaner and _scratch(graph, node, spec) < node.scratch_bytes)]
    if specs and specs[0].name != node.kernel and specs[0].name not in found:
        found.append(specs[0].name)
    return found


def _scratch(graph: Graph, node: Node, spec) -> int:
    """Scratch bytes `spec` would need for `node`."""
    return spec.scratch(struct_fields(spec.struct, kernel_params(graph, node)))


def _flash_added(graph: Graph, swaps: dict[str, str]) -> int:
    """Bytes of constants the layers' new kernels (node -> kernel) keep beyond their current ones."""
    return sum(const_bytes(KERNELS_BY_NAME[kernel], graph, graph.node(name))
               - const_bytes(KERNELS_BY_NAME[graph.node(name).kernel], graph, graph.node(name))
               for name, kernel in swaps.items())


def instructions_added(graph: Graph, swaps: dict[str, str], counts: dict | None = None) -> tuple[int, bool]:
    """(instructions the layers' new kernels (node -> kernel) add over their current ones, whether
    measured): `counts` node -> kernel -> measured instructions (--kernels auto's) where both
    of a layer's kernels have one, else footprint's estimate for both."""
    total, measured = 0, True
    for name, kernel in swaps.items():
        node = graph.node(name)
        got = (counts or {}).get(name) or {}
        if got.get(kernel) is not None and got.get(node.kernel) is not None:
            total += got[kernel] - got[node.kernel]
            continue
        measured = False
        total += (estimate_instructions(graph, node, KERNELS_BY_NAME[kernel])
                  - estimate_instructions(graph, node, KERNELS_BY_NAME[node.kernel]))
    return total, measured


def _worth(graph: Graph, swaps: dict[str, str], saved: int, flash_per_ram_byte: float | None,
           added: int = 0, instructions_per_ram_byte: float | None = None) -> bool:
    return (flash_per_ram_byte is None or _flash_added(graph, swaps) <= flash_per_ram_byte * saved) and \
        (instructions_per_ram_byte is None or added <= instructions_per_ram_byte * saved)


def lower_peak(graph: Graph, replan: Replan, features: frozenset, kernels: str,
               pinned: frozenset = frozenset(), flash_per_ram_byte: float | None = FLASH_PER_RAM_BYTE,
               floor: int = 0, instructions_per_ram_byte: float | None = INSTRUCTIONS_PER_RAM_BYTE,
               counts: dict | None = None) -> Graph:
    """`replan(graph, overrides)`: choose_kernels (with the overrides on top of the
    user's or auto's choice), reorder and plan_memory on `graph`, as the pipeline does.
    `pinned`: layers whose kernel was chosen to fit the flash (tinygen/fit/), left alone.
    `flash_per_ram_byte`: the most flash a trial may add per arena byte it saves (None: any).
    `floor`: the image's arena set elsewhere (another switch's); only bytes above it count.
    `instructions_per_ram_byte`: the most instructions a trial may add per arena byte it saves
    (None: any); `counts`: node -> kernel -> measured instructions (--kernels auto's)."""
    changes: list[dict] = []
    overrides: dict[str, str] = {}
    lean = flash_per_ram_byte is None and instructions_per_ram_byte is None
    while True:
        arena = graph.meta["memory"].arena_size
        best: tuple[tuple, Graph, dict] | None = None
        for node in _peak_nodes(graph) if arena > floor else ():
            if node.name in pinned:
                continue
            specs = kernel_candidates(graph, node, features, kernels)
            for kernel in _alternatives(graph, node, features, kernels):
                trial = replan(graph.copy(), {**overrides, node.name: kernel})
                size = trial.meta["memory"].arena_size
                kept = max(size, floor)         # what the image needs after the trial
                if kept >= arena:
                    continue
                added, measured = instructions_added(graph, {node.name: kernel}, counts)
                if not _worth(graph, {node.name: kernel}, arena - kept, flash_per_ram_byte, added,
                              instructions_per_ram_byte):
                    continue
                # the fewest instructions per byte saved (lean: the lowest arena first); on a tie the
                # layer's preferred kernel (the floor makes ties: every trial that reaches it), else
                # the first trial
                per_byte = added / (arena - kept)
                key = (kept, per_byte) if lean else (per_byte, kept)
                key += (kernel != specs[0].name,)
                if best is None or key < best[0]:
                    best = (key, trial, {"node": node.name, "kernel": kernel, "instead_of": node.kernel,
                                         "arena_before": arena, "arena_after": size,
                                         "instructions_added": added, "measured": measured})
        if best is None and arena > floor:
            best = _together(graph, replan, overrides, features, kernels, flash_per_ram_byte, floor,
                             instructions_per_ram_byte, counts)
        if best is None and arena > floor:
            best = _revert_auto(graph, replan, overrides, features, kernels, flash_per_ram_byte, floor,
                                instructions_per_ram_byte, counts)
        if best is None:
            break
        _, graph, found = best
        for change in found if isinstance(found, list) else [found]:
            overrides[change["node"]] = change["kernel"]
            changes.append(change)
    graph.meta["lower_peak"] = changes
    if floor:
        graph.meta["lower_peak_floor"] = floor
    return graph


def _swap_set(graph: Graph, replan: Replan, overrides: dict, chosen: dict[str, str], flash_per_ram_byte: float | None,
              floor: int, instructions_per_ram_byte: float | None, counts: dict | None, trial: Graph | None = None):
    """Layers `chosen` (node -> kernel) swapped at once: ((instructions added per byte saved, arena), arena,
    graph, changes) where that lowers the arena within the bounds, else None. `trial`: the re-plan, if made."""
    arena = graph.meta["memory"].arena_size
    trial = trial if trial is not None else replan(graph.copy(), {**overrides, **chosen})
    size = trial.meta["memory"].arena_size
    kept = max(size, floor)
    if kept >= arena:
        return None
    each = {name: instructions_added(graph, {name: k}, counts) for name, k in chosen.items()}
    added = sum(a for a, _ in each.values())
    if not _worth(graph, chosen, arena - kept, flash_per_ram_byte, added, instructions_per_ram_byte):
        return None
    return ((added / (arena - kept), kept), kept, trial,
            [{"node": name, "kernel": k, "instead_of": graph.node(name).kernel, "arena_before": arena,
              "arena_after": size, "instructions_added": each[name][0], "measured": each[name][1]}
             for name, k in chosen.items()])


def _together(graph: Graph, replan: Replan, overrides: dict, features: frozenset, kernels: str,
              flash_per_ram_byte: float | None, floor: int = 0, instructions_per_ram_byte: float | None = None,
              counts: dict | None = None):
    """Every layer at the peak with its first alternative at once (the peak shared by several
    layers, e.g. a conv and the fused conv + add after it with the same scratch), and every one with its
    preferred kernel where --kernels auto replaced it (KWS's pointwise layers: auto's widening kernel for
    the 3-row one that runs in place): of those that lower the arena within the bounds, the one adding the
    fewest instructions per byte saved, as (arena, graph, changes), else None."""
    peak = [(node, alts) for node in _peak_nodes(graph)
            for alts in [_alternatives(graph, node, features, kernels)] if alts]
    if len(peak) < 2:
        return None
    first = {node.name: alts[0] for node, alts in peak}
    preferred = {node.name: (alts[-1] if alts[-1] == kernel_candidates(graph, node, features, kernels)[0].name
                             else alts[0]) for node, alts in peak}
    found = [t for chosen in ([first, preferred] if preferred != first else [first])
             for t in [_swap_set(graph, replan, overrides, chosen, flash_per_ram_byte, floor,
                                 instructions_per_ram_byte, counts)] if t is not None]
    return min(found, key=lambda t: t[0])[1:] if found else None


def _revert_auto(graph: Graph, replan: Replan, overrides: dict, features: frozenset, kernels: str,
                 flash_per_ram_byte: float | None, floor: int = 0, instructions_per_ram_byte: float | None = None,
                 counts: dict | None = None):
    """The last trial: every layer whose preferred kernel --kernels auto replaced, back on it at once. The
    arena's peak may sit at layers with no alternative (KWS's narrow depthwise convs) while what raised it
    is elsewhere: auto's kernels that cannot write their output over their input (KWS's pointwise layers,
    tg_conv2d_widen_s8_dsp for the 3-row kernel by estimated cycles). (arena, graph, changes) where that
    lowers the arena within the bounds, else None."""
    chosen = {}
    for node in graph.nodes:
        if node.kernel is None or node.name in overrides:
            continue
        specs = kernel_candidates(graph, node, features, kernels)
        if specs and specs[0].name != node.kernel and specs[0].requires:
            chosen[node.name] = specs[0].name
    if not chosen:
        return None
    trial = replan(graph.copy(), {**overrides, **chosen})
    size = trial.meta["memory"].arena_size
    if max(size, floor) >= graph.meta["memory"].arena_size:
        return None
    for name in list(chosen):       # auto's own kernel back wherever the arena stays as low without the revert
        fewer = {n: k for n, k in chosen.items() if n != name}
        again = replan(graph.copy(), {**overrides, **fewer})
        if again.meta["memory"].arena_size <= size:
            chosen, trial = fewer, again
    if not chosen:
        return None
    found = _swap_set(graph, replan, overrides, chosen, flash_per_ram_byte, floor, instructions_per_ram_byte,
                      counts, trial)
    return found[1:] if found else None


def lower_peak_lines(graph: Graph) -> list[str]:
    """One line per layer whose kernel was changed to lower the arena (for inspect)."""
    lines = [f"  {c['node']}: {c['kernel']} instead of {c['instead_of']}, "
             f"arena {c['arena_before']} B -> {c['arena_after']} B, {_cost(c)}" for c in graph.meta.get("lower_peak", [])]
    if graph.meta.get("lower_peak_floor"):
        lines.append(f"  (lowered no further than {graph.meta['lower_peak_floor']} B: the image's arena, "
                     f"set by another switch)")
    return lines


def switch_peak_lines(graph: Graph) -> list[str]:
    """For build: per switch (SWITCH/LAYER; a plain model's layers as they are) the kernels
    chosen for memory and what each swap cost in instructions."""
    from tinygen.switches import switch_graphs

    lines = []
    for name, g in switch_graphs(graph):
        lines += [line.replace("  ", f"  {name}/" if name else "  ", 1) for line in lower_peak_lines(g)
                  if not line.startswith("  (")]
    return ["kernels chosen for memory (lower_peak):", *lines] if lines else []


def _cost(change: dict) -> str:
    if "instructions_added" not in change:
        return "instructions not weighed"
    return (f"{change['instructions_added']:+,} instructions "
            f"({'measured' if change.get('measured') else 'estimated'})")


__all__ = ["FLASH_PER_RAM_BYTE", "INSTRUCTIONS_PER_RAM_BYTE", "instructions_added", "lower_peak", "lower_peak_lines",
           "switch_peak_lines"]
