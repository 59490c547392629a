"""Which layers' constants go to RAM (--weights-in, issue 72), chosen by the flash read cycles they save.

    graph = place_weights(graph, board, "auto")     # the last step of tinygen.fit.compile.compile_model

Weight reads from flash stall the core on every data cache miss (tinygen.cycles.weight_reads:
per layer, the bytes it streams, its passes and its line misses). Constants in RAM stall
not at all. The RAM the board has left after everything the memory check already counts
(the arena, the input buffer, the stack, the runtime, a front end: build.memory.predict,
within --ram-budget) less RAM_MARGIN can hold some of them:

- `auto`: the layers whose reads cost cycles, by cycles saved per RAM byte,
  highest first, each one that still fits (a greedy knapsack); the rest stay in flash,
  each with the reason.
- `ram`: every layer's constants, or a MemoryFitError saying how much RAM they need.
- `flash`: none.

The choice is recorded in graph.meta (codegen.weights_ram.WeightsPlacement): codegen emits
those arrays as initialized data (.data.tg_weights, copied to RAM at start-up), the memory
prediction counts them in RAM, and the cycle estimate prices their reads at zero stalls.
Only Cortex-M builds, whose start-up code and linker script tinygen writes, and models
without switches move constants; elsewhere `auto` keeps them in flash and `ram` is refused.
"""

from __future__ import annotations

from tinygen.board import Board
from tinygen.build.memory import MemoryFitError, linker_memory, predict
from tinygen.codegen.weights_ram import META, MODES, LayerWeights, WeightsPlacement, layer_constants
from tinygen.cycles.price import MODELS
from tinygen.cycles.weight_reads import block_pixels, graph_weight_reads
from tinygen.errors import UsageError
from tinygen.ir import Graph
from tinygen.report import human_bytes
from tinygen.switches import switch_graphs

# RAM the prediction leaves out that a linked image has: the C library's own data (newlib's
# reentrancy struct), the port's state beyond RUNTIME_RAM, alignment between sections.
RAM_MARGIN = 2048


def check_mode(mode: str, board: Board | None) -> None:
    """A bad --weights-in, before any long work."""
    if mode not in MODES:
        raise UsageError(f"--weights-in {mode!r} is not one of {', '.join(MODES)}", "use --weights-in auto, flash (default) or ram")
    if mode == "ram" and (board is None or board.build != "cortex-m"):
        where = "no board" if board is None else f"{board.name}, built by {board.build!r}"
        raise UsageError(f"--weights-in ram needs a Cortex-M board, whose start-up code copies .data to RAM ({where})",
                         "name a Cortex-M board with --board, or leave out --weights-in")


def fitted_scale(board: Board) -> float | None:
    """The fitted memory_scale of the board's core model (tinygen.cycles.fit): what the cycle estimate makes of
    the flash read cycles the placement weighs; None where the board has no timing model. The placement itself
    weighs them at the part's wait states, unscaled: a scale fitted on few points (the Cortex-M7's 0) is not
    taken as a reason to leave RAM unused."""
    timing = board.raw.get("timing") or {}
    model = MODELS.get(timing.get("model"))
    return None if model is None else float(model.FIT["memory_scale"])


def ram_room(graph: Graph, board: Board) -> int:
    """RAM bytes left for constants: the linked RAM (or, with --arena-region, the RAM beside the
    arena's region) less what the prediction counts there (constants already moved aside) and RAM_MARGIN."""
    use = predict(graph, board, 0)
    used = use.regions["ram"].used - use.weights_ram
    if use.arena_region is not None:
        beside = linker_memory(board, use.arena_region, board.region("ram")["origin"])["ram_size"]
        return max(beside - (used - use.arena) - RAM_MARGIN, 0)
    return max(use.regions["ram"].capacity - used - RAM_MARGIN, 0)


def _candidates(graph: Graph, board: Board) -> list[LayerWeights]:
    reads = graph_weight_reads(graph, board.raw.get("timing") or {}, blocks=block_pixels(board.cflags))
    out = []
    for node in graph.nodes:
        consts = layer_constants(graph, node)
        if consts and node.name in reads:
            out.append(LayerWeights(node.name, tuple(consts), sum(consts.values()), reads[node.name].cycles))
    return out


def _take(layer: LayerWeights, taken: dict[str, int], graph: Graph, why: str) -> LayerWeights:
    """`layer` with only the tensors no earlier layer moved (a shared constant counts once)."""
    consts = {t: b for t, b in layer_constants(graph, graph.node(layer.name)).items() if t not in taken}
    taken.update(consts)
    return LayerWeights(layer.name, tuple(consts), sum(consts.values()), layer.cycles, why)


def place_weights(graph: Graph, board: Board, mode: str = "auto") -> Graph:
    """`graph` with graph.meta[META] recording the layers whose constants go to RAM."""
    check_mode(mode, board)
    graph.meta.pop(META, None)
    if mode == "flash" or board.build != "cortex-m" or len(switch_graphs(graph)) > 1:
        return graph
    room = ram_room(graph, board)
    layers = _candidates(graph, board)
    taken: dict[str, int] = {}
    if mode == "ram":
        need = sum({t: b for layer in layers for t, b in layer_constants(graph, graph.node(layer.name)).items()}
                   .values())
        if need > room:
            raise MemoryFitError(
                f"does not fit {board.name}: --weights-in ram needs {human_bytes(need)} of RAM for the constants "
                f"but {human_bytes(room)} is left after the arena, stack and runtime",
                "use --weights-in auto (the layers that save most per byte, as many as fit) or --weights-in flash")
        moved = [_take(layer, taken, graph, "--weights-in ram") for layer in layers]
        graph.meta[META] = WeightsPlacement(mode, room, tuple(moved), fit_scale=fitted_scale(board))
        return graph
    moved, kept = [], []
    for layer in sorted((lay for lay in layers if lay.cycles > 0), key=lambda lay: -lay.per_byte):
        extra = sum(b for t, b in layer_constants(graph, graph.node(layer.name)).items() if t not in taken)
        left = room - sum(taken.values())
        if extra <= left:
            moved.append(_take(layer, taken, graph, "fits the RAM left, highest saving per byte first"))
        else:
            kept.append(LayerWeights(layer.name, layer.tensors, layer.nbytes, layer.cycles,
                                     f"needs {human_bytes(extra)}, {human_bytes(left)} of RAM left"))
    graph.meta[META] = WeightsPlacement(mode, room, tuple(moved), tuple(kept), fitted_scale(board))
    return graph


__all__ = ["RAM_MARGIN", "check_mode", "fitted_scale", "place_weights", "ram_room"]
