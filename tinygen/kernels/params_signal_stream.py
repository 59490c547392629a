"""Parameter builders of TFLite Micro's streaming signal kernels (firmware/kernels/signal/
tg_kernels_signal_stream.h; numpy twins in tinygen.ref.signal_stream)."""

from __future__ import annotations

from tinygen.ir import Graph, Node
from tinygen.kernels.params_base import builder


@builder("signal_delay")
def _delay(graph: Graph, node: Node) -> dict:
    x = graph.tensor(node.inputs[0])
    frame = x.shape[-1] if x.shape else 1
    return {"rows": x.size // frame, "frame_size": frame, "delay_length": int(node.attrs["delay_length"])}
