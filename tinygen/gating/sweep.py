"""A compiled dynamic model at another operating point: every gate's density or the early
exits' thresholds changed after compilation (only kernel parameters change: the memory
plan, kernels and weights stay), for accuracy-versus-cost sweeps (`tinygen hil --sweep`)."""

from __future__ import annotations

from tinygen.errors import UsageError
from tinygen.ir import Graph
from tinygen.kernels.params import kernel_params, struct_fields
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.nn.gating import check_density, check_threshold

KNOBS = ("density", "exit")


def parse_sweep(text: str) -> tuple[str, list[float]]:
    """'density=1,0.7,0.5' or 'exit=0.5,0.9' -> (knob, values), checked."""
    knob, _, values = text.partition("=")
    if knob not in KNOBS or not values:
        raise UsageError(f"--sweep {text!r} is not KNOB=V1,V2,...", "e.g. --sweep density=1,0.7,0.5,0.3 "
                         "or --sweep exit=0.5,0.7,0.9 (every early exit's threshold)")
    try:
        points = [float(v) for v in values.split(",")]
    except ValueError:
        raise UsageError(f"--sweep {text!r}: the values must be numbers", "e.g. density=1,0.5") from None
    for v in points:
        check_density(v) if knob == "density" else check_threshold(v, "exit threshold")
    return knob, points


def at(graph: Graph, knob: str, value: float) -> Graph:
    """A copy of the compiled `graph` with every gate at density `value` (top-k) or every early
    exit at threshold `value`."""
    g = graph.copy()
    nodes = [n for n in g.nodes if n.op == ("channel_gate" if knob == "density" else "exit_select")]
    if not nodes:
        raise UsageError(f"--sweep {knob}: the model has no {'gates' if knob == 'density' else 'early exits'}",
                         "sweep density for tinygen.nn.GatedConv2d models, exit for EarlyExit models")
    for node in nodes:
        if knob == "density":
            channels = g.tensor(node.outputs[0]).shape[-1]
            node.attrs.update(mode="topk", k=max(1, round(check_density(value) * channels)), threshold=0.0)
        else:
            node.attrs["thresholds"] = tuple(check_threshold(value, "exit threshold") for _ in node.attrs["thresholds"])
        node.attrs["kparams"] = struct_fields(KERNELS_BY_NAME[node.kernel].struct, kernel_params(g, node))
    return g
