"""The kernel chosen per layer, with --kernels auto's measured instructions: the
`kernels` entry of the build manifest and `tinygen build`'s table.

    graph.meta["kernels"] = kernel_report(graph, "auto", counts, note, variants)
    print(choice_table(graph.meta["kernels"]))
"""

from __future__ import annotations

from tinygen.ir import Graph
from tinygen.kernels.cmsis_nn import BACKEND as CMSIS_NN
from tinygen.kernels.cmsis_nn import REQUIRES as CMSIS_NN_REQUIRES
from tinygen.kernels.esp_nn import BACKEND as ESP_NN
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.passes.choose_kernels import kernel_candidates


def kernel_report(graph: Graph, mode: str | None, counts: dict | None = None, note: str | None = None,
                  variants: int = 0) -> dict:
    """Per layer the kernel chosen, its measured instructions and its rivals' (JSON)."""
    counts = counts or {}
    layers = []
    for node in graph.nodes:
        if node.kernel is None:
            continue
        measured = counts.get(node.name, {})
        layers.append({"name": node.name, "op": node.op, "kernel": node.kernel,
                       "instructions": measured.get(node.kernel),
                       "candidates": {k: v for k, v in measured.items()} if len(measured) > 1 else {}})
    return {"mode": mode, "note": note, "measured_variants": variants, "layers": layers}


def choice_table(report: dict) -> str:
    """The kernel chosen per layer with its measured instructions and the other candidates'."""
    from tinygen.report import table

    rows = []
    for layer in report["layers"]:
        count = layer["instructions"]
        others = ", ".join(f"{k} {v:,}" if v is not None else f"{k} -"
                           for k, v in layer["candidates"].items() if k != layer["kernel"])
        rows.append([layer["name"], layer["kernel"], f"{count:,}" if count is not None else "-", others or "-"])
    return table(["layer", "kernel", "instructions", "other candidates (instructions)"], rows, "llrl")


def _backend_layers(graph: Graph, backend: str) -> tuple[list, list]:
    """(every layer with a kernel, those a backend other than `backend` runs)."""
    layers = [n for n in graph.nodes if n.kernel]
    return layers, [n for n in layers if KERNELS_BY_NAME[n.kernel].backend != backend]


def cmsis_nn_note(graph: Graph) -> str | None:
    """For the build output and inspect: which layers CMSIS-NN runs and which fall back to
    tinygen's kernels; None when no CMSIS-NN tree is configured."""
    tree = graph.meta.get("cmsis_nn")
    if tree is None:
        return None
    layers, rest = _backend_layers(graph, CMSIS_NN)
    head = f"CMSIS-NN {tree['version']} ({tree['path']}) runs {len(layers) - len(rest)} of {len(layers)} layers"
    if not rest:
        return head
    if len(rest) == len(layers):
        return (f"{head}: tinygen's kernels run them all (CMSIS-NN's serve int8 conv, depthwise, fully "
                f"connected, pooling, add and softmax on Cortex-M cores with the DSP extension)")
    could = [n for n in rest if any(c.backend == CMSIS_NN for c in kernel_candidates(graph, n, CMSIS_NN_REQUIRES, "cmsis-nn"))]
    parts, peak, beaten = _tinygen_chosen(graph, could, CMSIS_NN, "CMSIS-NN")
    parts.insert(0, head)
    chosen = [n for n in could if n not in peak and n not in beaten]
    if chosen:
        parts.append("tinygen's kernels chosen for " + ", ".join(f"{n.name} ({n.op})" for n in chosen)
                     + " (the --kernels choice)")
    unsupported = [n for n in rest if n not in could]
    if unsupported:
        parts.append("CMSIS-NN has no kernel for " + ", ".join(f"{n.name} ({n.op})" for n in unsupported))
    return "; ".join(parts)


def _tinygen_chosen(graph: Graph, layers: list, backend: str, label: str) -> tuple[list[str], list, list]:
    """Of `layers` (which `backend` could run but tinygen's kernels run), those the memory pass
    gave a kernel that lowers the arena and those --kernels auto measured faster, with the
    sentences that say so."""
    swapped = {c["node"]: c for c in graph.meta.get("lower_peak", [])
               if KERNELS_BY_NAME[c["instead_of"]].backend == backend}
    report = graph.meta.get("kernels") or {}
    measured = {layer["name"] for layer in report.get("layers", []) if report.get("mode") == "auto"
                and any(KERNELS_BY_NAME[k].backend == backend for k in layer.get("candidates") or {})}
    parts = []
    peak = [n for n in layers if n.name in swapped]
    if peak:
        arena = f"{swapped[peak[0].name]['arena_before']} B -> {graph.meta['lower_peak'][-1]['arena_after']} B"
        parts.append("tinygen's kernels run " + ", ".join(f"{n.name} ({n.op})" for n in peak)
                     + f" to lower the arena ({arena} with them; --no-lower-peak keeps {label}'s there)")
    beaten = [n for n in layers if n not in peak and n.name in measured]
    if beaten:
        parts.append("tinygen's kernels measured faster on " + ", ".join(f"{n.name} ({n.op})" for n in beaten))
    return parts, peak, beaten


def esp_nn_note(graph: Graph) -> str | None:
    """For the build output and inspect: which layers ESP-NN runs and which fall back to
    tinygen's kernels (ESP-NN has no function with the layer's exact semantics, see
    tinygen.kernels.esp_nn); None when no ESP-NN tree is configured."""
    tree = graph.meta.get("esp_nn")
    if tree is None:
        return None
    layers, rest = _backend_layers(graph, ESP_NN)
    head = f"ESP-NN {tree['version']} ({tree['path']}) runs {len(layers) - len(rest)} of {len(layers)} layers"
    if not rest:
        return head
    ops = {spec.op for spec in KERNELS_BY_NAME.values() if spec.backend == ESP_NN}
    parts, peak, beaten = _tinygen_chosen(graph, [n for n in rest if n.op in ops], ESP_NN, "ESP-NN")
    parts.insert(0, head)
    taken = [n for n in rest if n.op in ops and n not in peak and n not in beaten]
    if taken:
        parts.append("ESP-NN's kernel does not compute " + ", ".join(f"{n.name} ({n.op})" for n in taken)
                     + " exactly on this board (dilation, broadcasting, PyTorch's count_include_pad, a shift > 0, "
                     "or the ESP32-S3's conv scratch), or the --kernels choice put tinygen's there")
    lacking = [n for n in rest if n.op not in ops]
    if lacking:
        parts.append("ESP-NN has no kernel for " + ", ".join(f"{n.name} ({n.op})" for n in lacking))
    return "; ".join(parts)


__all__ = ["choice_table", "cmsis_nn_note", "esp_nn_note", "kernel_report"]
