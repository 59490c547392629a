"""`tinygen inspect` on a dynamic model: each gate, the layer it gates and whether the layers
reading that layer skip the dropped channels, and the early exits."""

from __future__ import annotations

from tinygen.passes.fuse_gates import GATED_OPS, gated_readers
from tinygen.ref.gating_trace import gates
from tinygen.ir import Graph

# kernels that skip the input channels a gate dropped, given that gate (the portable one reads them all)
SKIPS_INPUT_CHANNELS = frozenset({"tg_conv2d_gated_s8_dsp"})


def notes(graph: Graph) -> list[str]:
    lines = []
    for g, node in enumerate(gates(graph)):
        channels = graph.tensor(node.outputs[0]).shape[-1]
        how = (f"top {node.attrs['k']} of {channels} (density {node.attrs['k'] / channels:.2f})"
               if node.attrs["mode"] == "topk" else f"saliency >= {node.attrs['threshold']:g} x the largest")
        # the layer this gate gates reads it as its gate (second input); a gated reader of that
        # layer reads it as its third input, the gate of its input, and is listed below
        for layer in (n for n in graph.consumers(node.outputs[0])
                      if n.op in GATED_OPS.values() and n.inputs[1] == node.outputs[0]):
            lines.append(f"gate {g} ({node.name}): keeps {how}; {layer.name} ({layer.kernel}) computes only "
                         "the kept channels")
            for reader in gated_readers(graph, layer.outputs[0]):
                if reader.kernel in SKIPS_INPUT_CHANNELS and len(reader.inputs) == 3:
                    lines.append(f"  {reader.name} ({reader.kernel}) skips the dropped input channels")
                elif reader.op == "depthwise_conv2d_gated" and reader.inputs[1] == node.outputs[0]:
                    lines.append(f"  {reader.name} ({reader.kernel}) reads only the channels its own gate keeps")
                else:
                    lines.append(f"  {reader.name} ({reader.kernel or reader.op}) cannot skip the dropped input "
                                 "channels: exact (they hold the zero point), but it costs as much as dense")
    for note in graph.meta.get("gating", {}).get("unfused", []):
        lines.append(f"not gated: {note}")
    for node in (n for n in graph.nodes if n.op == "exit_select"):
        for k, (head, t) in enumerate(zip(node.inputs, node.attrs["thresholds"])):
            lines.append(f"exit {k}: after {graph.producer(head).name}, answers when its largest probability "
                         f">= {t:g}; the rest of the model is skipped")
        lines.append(f"exit {len(node.inputs) - 1}: the final classifier ({graph.producer(node.inputs[-1]).name})")
    return lines
