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
Point = float | tuple[float, ...]     # one value for every gate / exit, or one per early exit


def label(value: Point) -> str:
    """0.5 -> '0.5'; (0.9, 0.7) -> '0.9/0.7' (as --sweep writes them)."""
    return "/".join(f"{v:g}" for v in value) if isinstance(value, tuple) else f"{value:g}"


def _point(knob: str, text: str) -> Point:
    """'0.5' -> 0.5; for exits, '0.9/0.7' -> (0.9, 0.7): one threshold per early exit in order."""
    values = tuple(float(v) for v in text.split("/"))
    if len(values) > 1 and knob == "density":
        raise UsageError(f"--sweep density={text}: one density for every gate", "e.g. density=1,0.5")
    return values if len(values) > 1 else values[0]


def parse_sweep(text: str) -> tuple[str, list[Point]]:
    """'density=1,0.7,0.5', 'exit=0.5,0.9' or 'exit=0.9/0.7,0.95/0.6' (per early exit) ->
    (knob, values), checked."""
    knob, _, values = text.partition("=")
    if knob not in KNOBS or not values:
        raise UsageError(f"--sweep {text!r} is not KNOB=V1,V2,...", "e.g. --sweep density=1,0.7,0.5,0.3 "
                         "or --sweep exit=0.5,0.7,0.9 (every early exit's threshold)")
    try:
        points = [_point(knob, v) for v in values.split(",")]
    except ValueError:
        raise UsageError(f"--sweep {text!r}: the values must be numbers", "e.g. density=1,0.5") from None
    for v in points:
        for one in (v if isinstance(v, tuple) else (v,)):
            check_density(one) if knob == "density" else check_threshold(one, "exit threshold")
    return knob, points


def _thresholds(value: Point, count: int) -> tuple[float, ...]:
    if not isinstance(value, tuple):
        return (check_threshold(value, "exit threshold"),) * count
    if len(value) != count:
        raise UsageError(f"--sweep exit={label(value)}: {len(value)} thresholds for {count} early exits",
                         "give one threshold per early exit, in order, separated by /")
    return tuple(check_threshold(v, "exit threshold") for v in value)


def at(graph: Graph, knob: str, value: Point) -> Graph:
    """A copy of the compiled `graph` with every gate at density `value` (top-k) or the early
    exits at threshold `value` (a tuple: one per early exit)."""
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
            node.attrs["thresholds"] = _thresholds(value, len(node.attrs["thresholds"]))
        node.attrs["kparams"] = struct_fields(KERNELS_BY_NAME[node.kernel].struct, kernel_params(g, node))
    return g
