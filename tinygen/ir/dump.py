"""A readable text form of the graph, for debugging and `tinygen inspect --ir`."""

from __future__ import annotations

from tinygen.ir.graph import Graph


def _fmt_attr(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "(" + ",".join(_fmt_attr(v) for v in value) + ")"
    return str(value)


def dump(graph: Graph) -> str:
    lines = [f"graph {graph.name}"]
    for name in graph.inputs:
        lines.append(f"  input  %{name}: {graph.tensors[name].describe()}")
    for node in graph.nodes:
        # kparams (the kernel struct) is derived data: inspect shows it, the dump keeps to the IR
        attrs = ", ".join(f"{k}={_fmt_attr(v)}" for k, v in sorted(node.attrs.items()) if k != "kparams")
        ins = ", ".join(f"%{t}" for t in node.inputs)
        out = node.outputs[0]
        lines.append(f"  %{out}: {graph.tensors[out].describe()} = {node.op}({ins})"
                     + (f" {{{attrs}}}" if attrs else ""))
        for k, pset in enumerate(node.params):
            tag = f"set{k} " if len(node.params) > 1 else ""
            for role, tname in pset.items():
                lines.append(f"      {tag}{role}: {graph.tensors[tname].describe()}")
        extra = []
        if node.kernel:
            extra.append(f"kernel={node.kernel}")
        if node.scratch_bytes:
            extra.append(f"scratch={node.scratch_bytes}B")
        if node.source:
            extra.append(f"from {node.source}")
        if extra:
            lines.append("      # " + ", ".join(extra))
    lines.append("  return " + ", ".join(f"%{t}" for t in graph.outputs))
    return "\n".join(lines)
