"""The fit's last resort for flash: the lean-code image (tinygen/fit/).

    graph, record = lean_code(graph, layers, pick, recompile, over, progress)

Every layer already runs the option with the fewest bytes of constants (the trade, tinygen/fit/trade.py,
saves constants only), and the image is
still over. What is left is code: by default each DSP conv / FC layer calls its kernel's
always-inline body specialized with its constants (tinygen/kernels/specialize.py, 0.4..1.4 KiB a
layer), and each kernel the layers use links its own code (the generic fused conv + residual add
alone is 12.8 KiB on the F446RE). The lean-code image

  - moves the layers of a kernel to options with no more constants whose kernels other layers
    link anyway, where every layer of that kernel can move (kernel_move: e.g. a fused
    conv2d_add becomes the conv's kernel plus a separate add, so the fused kernel's code goes);
  - turns specialization off (node.attrs["specialize"] = False): one copy of each kernel's code;
  - then spends what is left of the part on speed, each a bisection over real links
    (RESPECIALIZE_PROBES of them at most): faster kernels back to the layers that save the most
    instructions per byte of constants, then specialization back to the layers with the most
    instructions.

graph.meta["fit"]["code"] records what it did (fit_lines prints it).
"""

from __future__ import annotations

from collections.abc import Callable

from tinygen.fit.trade import LayerOptions, Option
from tinygen.ir import Graph
from tinygen.kernels.specialize import INLINE

RESPECIALIZE_PROBES = 5     # links of the bisection over how many layers keep their specialized code


def origin(graph: Graph, name: str) -> str:
    """The node a tile or band copy was made from (passes/tile.py, passes/band.py): the name
    the fuse_residual pass, which runs before tiling, knows it by."""
    return graph.node(name).attrs.get("tile_of", name)


def fusion_choice(graph: Graph, choice: dict[str, Option]) -> tuple[dict[str, str], frozenset]:
    """(kernels to pin, the convs to leave unfused by original name) for a per-node choice. A
    conv2d_add is unfused for all its copies or none: where only some of an origin's copies chose
    the conv plus a separate add, none is unfused and those copies are not pinned. The convs
    `graph` was compiled with unfused (graph.meta["unfused"]) stay so."""
    copies: dict[str, list[str]] = {}
    for node in graph.nodes:
        if node.name in choice:     # a conv2d_add, or a conv unfused by an earlier choice
            copies.setdefault(origin(graph, node.name), []).append(node.name)
    unfused = frozenset(o for o, names in copies.items() if all(choice[n].unfuse for n in names)) \
        | frozenset(graph.meta.get("unfused", ()))
    names = {node.name for node in graph.nodes}
    pins = {n: o.kernel for n, o in choice.items() if not o.unfuse or (n in names and origin(graph, n) in unfused)}
    return pins, unfused


def kernel_move(layers: list[LayerOptions], pick: dict[str, Option]) -> dict[str, Option] | None:
    """The layers of one kernel moved, all of them, to options with no more bytes of constants
    whose kernels the other layers use anyway, so that the kernel's code is not linked: of the
    kernels whose every layer can move, the one whose move adds the fewest instructions
    (then by name); None where no kernel can go."""
    by_node = {layer.node: layer for layer in layers}
    used: dict[str, list[str]] = {}
    for node, o in pick.items():
        used.setdefault(o.kernel, []).append(node)
    best = None
    for kernel, nodes in sorted(used.items()):
        others = set(used) - {kernel}
        alt = {}
        for node in nodes:
            fits = [o for o in by_node[node].options if o.kernel in others and o.flash <= pick[node].flash]
            if not fits:
                break
            alt[node] = min(fits, key=lambda o: (o.instructions, o.flash))
        else:
            cost = sum(alt[n].instructions - pick[n].instructions for n in nodes)
            if best is None or cost < best[0]:
                best = (cost, alt)
    return None if best is None else best[1]


def generic(graph: Graph, keep: frozenset = frozenset()) -> Graph:
    """`graph` with every specializable layer on its kernel's generic entry point except the nodes in `keep`."""
    for node in graph.nodes:
        if node.kernel in INLINE:
            if node.name in keep:
                node.attrs.pop("specialize", None)
            else:
                node.attrs["specialize"] = False
    return graph


def _most(count: int, fits: Callable[[int], bool], probes: int) -> int:
    """The largest k <= count with fits(k) (fits(0) holds, fits falls once), in `probes` tries at most."""
    lo, hi = 0, count
    for _ in range(probes):
        if lo >= hi:
            break
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def faster_options(layers: list[LayerOptions], pick: dict[str, Option]) -> list[tuple[str, Option]]:
    """Per layer its option saving the most instructions per byte of constants added over `pick`'s
    (fused as it is), the layers by that ratio, highest first: what the slack of a lean image
    gives back first."""
    out = []
    for layer in layers:
        cur = pick.get(layer.node)
        if cur is None:
            continue
        better = [((cur.instructions - o.instructions) / max(o.flash - cur.flash, 1), o) for o in layer.options
                  if o.instructions < cur.instructions and o.unfuse == cur.unfuse]
        if better:
            ratio, o = max(better, key=lambda x: x[0])
            out.append((ratio, layer.node, o))
    return [(node, o) for _, node, o in sorted(out, key=lambda x: (-x[0], x[1]))]


def lean_code(graph: Graph, layers: list[LayerOptions], pick: dict[str, Option],
              recompile: Callable[[dict[str, str], frozenset], Graph], over: Callable[[Graph], int],
              progress: Callable[[str], None] = lambda msg: None, respecialize: bool = True) -> tuple[Graph, dict]:
    """The lean-code image of `graph` (whose layers run `pick`, each's smallest option):
    (the graph, its record). `over(g)`: the bytes of flash g's linked image is over (<= 0: fits).
    Specialization off first; then, while over, the cheapest kernel_move. Where that fits and
    `respecialize` (a check only asks whether some image fits), the slack buys speed back, each
    step a bisection over real links: first the faster kernels with the most instructions saved
    per byte (faster_options), then the specialized code of the layers with the most instructions."""
    progress("fit: every layer on its kernel's generic code (specialization off)")
    pick, moved = dict(pick), []
    while over(generic(graph)) > 0:
        move = kernel_move(layers, pick)
        if move is None:
            break
        names = sorted(move)
        progress(f"fit: {len(names)} layer{'s' if len(names) > 1 else ''} ({', '.join(names[:4])}"
                 f"{', ...' if len(names) > 4 else ''}) to {move[names[0]].label}, a kernel other layers link anyway")
        moved += [{"layer": n, "kernel": o.label, "instead_of": pick[n].label} for n, o in sorted(move.items())]
        pick.update(move)
        graph = recompile(*fusion_choice(graph, pick))
    fits = respecialize and over(generic(graph)) <= 0
    given: list[dict] = []
    if fits:
        moved_names = {m["layer"] for m in moved}
        back = [(n, o) for n, o in faster_options(layers, pick) if n not in moved_names]
        graphs = {0: graph}

        def restored(k: int) -> bool:
            g = recompile(*fusion_choice(graph, {**pick, **dict(back[:k])}))
            graphs[k] = g
            return over(generic(g)) <= 0

        k = _most(len(back), restored, RESPECIALIZE_PROBES)
        if k:
            graph = graphs[k]       # fits: probed by the bisection
            given = [{"layer": n, "kernel": o.label, "instead_of": pick[n].label,
                      "instructions_saved": pick[n].instructions - o.instructions, "flash_added": o.flash - pick[n].flash}
                     for n, o in back[:k]]
            pick.update(dict(back[:k]))
            progress(f"fit: {k} layers get a faster kernel back in the lean image's slack")
    hot = sorted((n.name for n in graph.nodes if n.kernel in INLINE and n.name in pick),
                 key=lambda name: -pick[name].instructions)
    lo = _most(len(hot), lambda k: over(generic(graph, frozenset(hot[:k]))) <= 0, RESPECIALIZE_PROBES) if fits else 0
    generic(graph, frozenset(hot[:lo]))
    return graph, {"moved": moved, "given_back": given, "generic": len(hot) - lo, "specialized": lo}


def code_lines(record: dict | None) -> list[str]:
    """fit_lines' lines on the lean-code image."""
    if not record:
        return []
    lines = [f"fit: lean code: {record['generic']} layers call their kernel's generic code, "
             f"{record['specialized']} (the most instructions) keep their specialized code"]
    lines += [f"  {m['layer']}: {m['kernel']} instead of {m['instead_of']} (its kernel's code is not linked)"
              for m in record["moved"]]
    lines += [f"  {g['layer']}: {g['kernel']} back instead of {g['instead_of']}, {g['flash_added']:,} B more flash, "
              f"{g['instructions_saved']:,} fewer instructions" for g in record.get("given_back", [])]
    return lines


__all__ = ["RESPECIALIZE_PROBES", "code_lines", "fusion_choice", "generic", "lean_code", "kernel_move", "origin"]
