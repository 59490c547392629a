"""Parameter builders of the filter-bank half of the signal library's kernels
(firmware/kernels/signal/tg_kernels_signal_bank.h): sizes and the options TFLite Micro's signal
ops read from their flexbuffers (tinygen/frontend/tflite/ops_signal_bank.py keeps them in the
nodes' attrs)."""

from __future__ import annotations

from tinygen.ir import Graph, Node
from tinygen.ir.ops import SPECTRAL_SUBTRACTION_ATTRS
from tinygen.kernels.params_base import builder


def _channels(graph: Graph, node: Node) -> int:
    return graph.tensor(node.outputs[0]).size


@builder("signal_filter_bank")
def _filter_bank(graph: Graph, node: Node) -> dict:
    return {"num_channels": _channels(graph, node)}


@builder("signal_filter_bank_sqrt")
def _sqrt(graph: Graph, node: Node) -> dict:
    return {"size": _channels(graph, node)}


@builder("signal_noise_estimate")
@builder("signal_spectral_subtraction")
def _subtraction(graph: Graph, node: Node) -> dict:
    p = {"num_channels": _channels(graph, node)}
    p.update({key: int(node.attrs[key]) for key in SPECTRAL_SUBTRACTION_ATTRS})
    return p


@builder("signal_pcan")
def _pcan(graph: Graph, node: Node) -> dict:
    return {"num_channels": _channels(graph, node), "snr_shift": int(node.attrs["snr_shift"])}


@builder("signal_filter_bank_log")
def _log(graph: Graph, node: Node) -> dict:
    return {"num_channels": _channels(graph, node), "output_scale": int(node.attrs["output_scale"]),
            "correction_bits": int(node.attrs["correction_bits"])}
