"""Parameter builders of the signal library's kernels (firmware/kernels/support/
tg_kernels_signal.h): sizes and the options TFLite Micro's signal ops read from their
flexbuffers (tinygen/frontend/tflite/ops_signal.py puts them in the nodes' attrs)."""

from __future__ import annotations

from tinygen.ir import Graph, Node
from tinygen.kernels.params_base import builder


@builder("signal_window")
def _window(graph: Graph, node: Node) -> dict:
    return {"size": graph.tensor(node.inputs[0]).size, "window": graph.tensor(node.param("weights")).size,
            "shift": int(node.attrs["shift"])}


@builder("signal_fft_auto_scale_shift")
@builder("signal_fft_auto_scale")
def _frame(graph: Graph, node: Node) -> dict:
    return {"size": graph.tensor(node.inputs[0]).size}


@builder("signal_rfft")
def _rfft(graph: Graph, node: Node) -> dict:
    shape = graph.tensor(node.inputs[0]).shape
    return {"frames": graph.tensor(node.inputs[0]).size // shape[-1], "input_length": shape[-1],
            "fft_length": int(node.attrs["fft_length"])}


@builder("signal_irfft")
def _irfft(graph: Graph, node: Node) -> dict:
    shape = graph.tensor(node.inputs[0]).shape
    return {"frames": graph.tensor(node.inputs[0]).size // shape[-1], "input_length": shape[-1],
            "fft_length": int(node.attrs["fft_length"])}


@builder("signal_energy")
def _energy(graph: Graph, node: Node) -> dict:
    return {"bins": graph.tensor(node.outputs[0]).size, "start_index": int(node.attrs["start_index"]),
            "end_index": int(node.attrs["end_index"])}
