"""Text reports for `tinygen inspect`: the layer table and the memory plan."""

from __future__ import annotations

from tinygen.passes.analysis import LayerStats, layer_stats
from tinygen.ir import Graph
from tinygen.passes.lower_peak import lower_peak_lines
from tinygen.passes.tile import tile_lines
from tinygen.passes.plan_camera import BUFFER as CAMERA_BUFFER
from tinygen.passes.plan_memory import STATE_SUFFIX, MemoryPlan
from tinygen.passes.stream_input import input_buffer_bytes, streamed, window_rows
from tinygen.report import human_bytes, human_count, table
from tinygen.report.weights import storage_table
from tinygen.switches import arena_size, is_switchable, switch_graphs

TIMELINE_WIDTH = 40


def _shape(s) -> str:
    return "x".join(str(d) for d in s)


def layer_table(model: str, stats: list[LayerStats], graph: Graph) -> str:
    rows = []
    for s in stats:
        rows.append([s.name, s.op, " ".join(_shape(x) for x in s.input_shapes), _shape(s.output_shape),
                     s.params, s.weight_bits or "-",
                     f"{s.weight_flash_bits:.2f}" if s.weight_flash_bits else "-", s.macs, s.activation_bytes])
    total_params = sum(s.params for s in stats)
    total_macs = sum(s.macs for s in stats)
    flash = sum(s.param_bytes for s in stats)
    plan: MemoryPlan = graph.meta["memory"]
    lines = [f"model {model}: {len(stats)} ops",
             table(["layer", "op", "input", "output", "params", "w bits", "flash bits/w", "MACs", "act bytes"],
                   rows, "llllrrrrr"),
             "",
             f"total: {total_params} parameters ({human_bytes(flash)} in flash with bias and "
             f"requantization constants), {human_count(total_macs)} MACs ({total_macs}), "
             f"arena {human_bytes(plan.arena_size)} ({plan.arena_size} B)"]
    return "\n".join(lines)


def basis_lines(graph: Graph, board: str | None) -> list[str]:
    """What inspect's figures assume: the board (None: none) and kernels they are compiled
    for; a build for that board with the same options stores the same weights and plans the
    same arena. For a switchable model: the table is the first switch's, the image's arena the
    largest switch's."""
    mode = (graph.meta.get("kernels") or {}).get("mode") or "tinygen"
    if board is None:
        lines = [f"figures for no board: --kernels {mode}, portable C without ISA extensions, as a build for "
                 "--board host;",
                 "  a board's own kernels (DSP / SIMD, --kernels auto on Cortex-M) pack weights and take scratch "
                 "differently: --board BOARD gives the figures of its build"]
    else:
        lines = [f"figures for {board} with --kernels {mode}: what `tinygen build --board {board}` with these "
                 "options stores and plans"]
    if is_switchable(graph):
        names = [name for name, _ in switch_graphs(graph)]
        lines.append(f"switchable: the table is switch 0 ({names[0]}) of {len(names)}; the image stores every "
                     f"switch's weights and one arena, the largest switch's: {human_bytes(arena_size(graph))} "
                     f"({arena_size(graph)} B)")
    return lines


def io_lines(source, graph: Graph) -> list[str]:
    """The model's inputs (its own name and shape → the graph tensor and its int8 bytes) and
    outputs; a firmware stages every input, back to back, in one input buffer beside the arena."""
    ins = [f"{name} {_shape(shape)} → {t} ({graph.tensor(t).nbytes} B)"
           for name, shape, t in zip(source.input_names, source.input_shapes, graph.inputs)]
    outs = [f"{t} {_shape(graph.tensor(t).shape)} ({graph.tensor(t).nbytes} B)" for t in graph.outputs]
    staged = input_buffer_bytes(graph)
    how = (f" (streamed: one band's window of {window_rows(graph)} rows)" if streamed(graph) else
           " (inputs back to back)" if len(ins) > 1 else "")
    return [f"inputs: {', '.join(ins)}; input buffer {staged} B{how}",
            f"outputs: {', '.join(outs)}"]


def live_buffers(plan: MemoryPlan, index: int) -> list[str]:
    """Names of the buffers live while op `index` runs, by offset."""
    return [b.name for b in sorted(plan.buffers, key=lambda b: b.offset) if b.first <= index <= b.last]


def memory_plot(graph: Graph, path) -> None:
    """Draw the plan as a PNG: each buffer a rectangle spanning the ops it is
    live for (x) and its bytes in the arena (y)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plan: MemoryPlan = graph.meta["memory"]
    n = len(graph.nodes)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * n + 2), 4.5))
    colors = plt.get_cmap("tab20").colors
    for k, b in enumerate(sorted(plan.buffers, key=lambda b: b.first)):
        first, last = max(b.first, -1), min(b.last, n)
        ax.add_patch(plt.Rectangle((first - 0.4, b.offset), last - first + 0.8, b.size,
                                   facecolor=colors[k % len(colors)], edgecolor="black", linewidth=0.4))
    ax.axhline(plan.arena_size, color="red", linewidth=1, label=f"arena {plan.arena_size} B")
    ax.set_xlim(-1.5, n + 0.5)
    ax.set_ylim(0, max(plan.arena_size, 1) * 1.05)
    ax.set_xticks(range(n))
    ax.set_xticklabels([node.name for node in graph.nodes], rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("arena offset (bytes)")
    ax.set_title(f"memory plan: {len(plan.buffers)} buffers, peak live {plan.peak_live} B")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def overlap_rows(plan: MemoryPlan) -> list[list]:
    """One row per in-place pair: output, input, the kernel's distance D, and the
    bytes the placement actually shares between them."""
    by_name = {b.name: b for b in plan.buffers}
    rows = []
    for s in plan.shares:
        out, inp = by_name[s.output], by_name[s.input]
        shared = max(0, min(out.offset + out.size, inp.offset + inp.size) - max(out.offset, inp.offset))
        rows.append([s.output, s.input, s.distance, shared])
    return rows


def order_line(graph: Graph) -> str:
    choice = graph.meta.get("order")
    names = " → ".join(node.name for node in graph.nodes)
    if choice is None:
        return f"op order (as given): {names}"
    how = (f"reordered for a lower peak, {choice.original_peak} B → {choice.peak} B" if choice.changed
           else f"as given: no order has a lower peak than {choice.original_peak} B")
    search = "exact search" if choice.exact else "search cut to the best partial orders"
    return f"op order ({how}; {search}): {names}"


def memory_report(graph: Graph) -> str:
    plan: MemoryPlan = graph.meta["memory"]
    n = len(graph.nodes)
    rows = []
    for b in sorted(plan.buffers, key=lambda b: (b.offset, b.first)):
        first = "input" if b.first < 0 else graph.nodes[b.first].name
        last = "output" if b.last >= n else "(before the first layer)" if b.last < 0 else graph.nodes[b.last].name
        kind = ("scratch" if b.name.endswith(".scratch") else "front end" if b.name == CAMERA_BUFFER else
                "state" if b.name.endswith(STATE_SUFFIX) else
                "input" if b.name in graph.inputs else "output" if b.name in graph.outputs else "tensor")
        rows.append([b.name, kind, b.offset, b.size, first, last])
    timeline = plan.timeline(n)
    peak = max(timeline) if timeline else 0
    bars = []
    for i, (node, live) in enumerate(zip(graph.nodes, timeline)):
        width = round(TIMELINE_WIDTH * live / peak) if peak else 0
        names = ", ".join(live_buffers(plan, i))
        bars.append(f"  {node.name:<24} {'#' * width:<{TIMELINE_WIDTH}} {live:>7} B  {names}")
    camera = graph.meta.get("camera")
    over = (camera.model_arena if camera else plan.arena_size) - plan.lower_bound
    scratch = sum(b.size for b in plan.buffers if b.name.endswith(".scratch"))
    overlaps = overlap_rows(plan)
    lines = [
        f"memory plan: arena {plan.arena_size} B = lower bound {plan.lower_bound} B"
        + (f" + {over} B ({over / plan.lower_bound:.1%}) lost to placement" if over else " (optimal)")
        + f"; largest live set {plan.peak_live} B without in-place overlaps; placement: {plan.strategy}"
        + (f"; arena in region {plan.region}" if plan.region else ""),
        order_line(graph),
        f"scratch: {sum(1 for b in plan.buffers if b.name.endswith('.scratch'))} buffers, {scratch} B in all "
        "(each live only during its op)",
        table(["buffer", "kind", "offset", "bytes", "written by", "last read by"], rows, "llrrll"),
    ]
    if camera:
        lines.insert(3, camera.describe(plan.arena_size, graph.nodes[camera.live_until].name
                                        if camera.live_until >= 0 else None))
    tiled = tile_lines(graph)
    if tiled:
        lines += ["", *tiled]
    moved = graph.meta.get("weights_in_ram")    # tinygen.codegen.weights_ram.META: its WeightsPlacement
    if moved is not None:
        lines += ["", *moved.lines()]
    changed = lower_peak_lines(graph)
    if changed:
        lines += ["", "kernels chosen for memory (at the peak; every other layer keeps its fastest):",
                  *changed]
    if overlaps:
        lines += ["", f"in-place overlaps ({sum(1 for r in overlaps if r[3])} of {len(overlaps)} used; output "
                      "at least D bytes below its input):",
                  table(["output", "over input", "D", "bytes shared"], overlaps, "llrr")]
    storage = storage_table(graph)
    if storage:
        lines += ["", storage]
    return "\n".join([
        *lines,
        "",
        "live bytes per op:",
        *bars,
    ])


def _totals(graph: Graph) -> dict:
    stats = layer_stats(graph)
    return {"params": sum(s.params for s in stats), "macs": sum(s.macs for s in stats),
            "flash_bytes": sum(s.param_bytes for s in stats), "arena_bytes": graph.meta["memory"].arena_size}


def pruning_summary(compacted: Graph, full: Graph) -> dict:
    """What compaction (passes/compact.py) removed: totals of the model compiled with its
    zeroed filters in place (`full`, compaction off) and compacted, and per layer the
    output channels, parameters and MACs before and after."""
    before, after = _totals(full), _totals(compacted)
    meta = compacted.meta["compact"]
    return {"removed_channels": meta["removed_channels"],
            "totals": {k: [before[k], after[k]] for k in before}, "layers": meta["layers"]}


def pruning_table(summary: dict) -> str:
    """The `pruning` section of `tinygen inspect`."""
    def cells(pair):
        b, a = pair
        return [b, a, f"{(b - a) / b:.1%}" if b else "-"]

    names = {"params": "parameters", "macs": "MACs", "flash_bytes": "flash (weights, bias, requant) B",
             "arena_bytes": "arena B"}
    totals = [[names[k], *cells(v)] for k, v in summary["totals"].items()]
    layers = [[row["layer"], f"{row['channels'][0]} -> {row['channels'][1]}", *row["params"], *row["macs"]]
              for row in summary["layers"]]
    return "\n".join([
        f"pruning: {summary['removed_channels']} zeroed output channels removed (with their readers' "
        "input channels); before = compiled with --no-compact",
        table(["", "before", "after", "saved"], totals, "lrrr"),
        "",
        table(["layer", "out channels", "params before", "after", "MACs before", "after"], layers, "lrrrrr"),
    ])

