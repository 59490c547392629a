"""Parameter builders of TFLite Micro's streaming signal kernels (firmware/kernels/signal/
tg_kernels_signal_stream.h; numpy twins in tinygen.ref.signal_stream)."""

from __future__ import annotations

import math

from tinygen.ir import Graph, Node
from tinygen.kernels.params_base import builder
from tinygen.ref.signal_stream import VALID


def _rows(graph: Graph, tensor: str, inner: int = 1) -> int:
    """The streams of a tensor: its elements over its last `inner` dimensions."""
    t = graph.tensor(tensor)
    return t.size // math.prod(t.shape[-inner:])


@builder("signal_delay")
def _delay(graph: Graph, node: Node) -> dict:
    x = graph.tensor(node.inputs[0])
    frame = x.shape[-1] if x.shape else 1
    return {"rows": x.size // frame, "frame_size": frame, "delay_length": int(node.attrs["delay_length"])}


@builder("signal_framer")
def _framer(graph: Graph, node: Node) -> dict:
    """TFLite Micro's framer: each row's ring buffer holds frame_size rounded up to whole steps."""
    x = graph.tensor(node.inputs[0])
    size, step = int(node.attrs["frame_size"]), int(node.attrs["frame_step"])
    return {"rows": _rows(graph, x.name), "n_frames": x.shape[-1] // step, "frame_size": size, "frame_step": step,
            "capacity": -(-size // step) * step, "prefill": int(node.attrs["prefill"])}


@builder("signal_stacker")
def _stacker(graph: Graph, node: Node) -> dict:
    a = node.attrs
    channels = int(a["num_channels"])
    return {"num_channels": channels, "left_context": int(a["left_context"]), "step": int(a["step"]),
            "size": channels * (int(a["left_context"]) + int(a["right_context"]) + 1)}


@builder("signal_stream_valid")
def _valid(graph: Graph, node: Node) -> dict:
    return {"flag": VALID}


@builder("signal_overlap_add")
def _overlap_add(graph: Graph, node: Node) -> dict:
    x = graph.tensor(node.inputs[0])
    return {"rows": _rows(graph, x.name, 2), "n_frames": x.shape[-2], "frame_size": x.shape[-1],
            "frame_step": int(node.attrs["frame_step"])}


@builder("circular_buffer")
def _circular_buffer(graph: Graph, node: Node) -> dict:
    out = graph.tensor(node.outputs[0])
    zero = 0 if out.qparams is None else int(out.qparams.zero_point[0])       # (plain integers: 0)
    return {"slots": out.shape[1], "depth": out.shape[2] * out.shape[3], "fill": zero}
