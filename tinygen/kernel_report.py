"""The kernel chosen per layer, with --kernels auto's measured instructions: the
`kernels` entry of the build manifest and `tinygen build`'s table.

    graph.meta["kernels"] = kernel_report(graph, "auto", counts, note, variants)
    print(choice_table(graph.meta["kernels"]))
"""

from __future__ import annotations

from tinygen.ir import Graph


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


__all__ = ["choice_table", "kernel_report"]
