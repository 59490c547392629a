"""Calibrating a core's timing model against published real-board cycles.

A core model (cortex_m4, ...) prices an inference from QEMU's instruction mix
in components: the core's pipeline cycles, the flash stalls (instruction
fetch and weight reads, `memory`), and counts of executed loads and branches.
Its few free parameters, each physical, adjust them:

    cycles = core + sram + memory_scale * memory + load_extra * loads + branch_extra * branches

(`sram`: the SRAM read wait states of a part that has them, `tinygen.cycles.sram`, priced
from its document and not fitted.)

- `memory_scale`: the flash stall per line miss, relative to the board's wait
  states (prefetch hiding part of it: < 1; the calibration part's slower
  flash or bus: > 1), bounded to [0, 3];
- `load_extra`: cycles a load instruction costs beyond the pipeline model
  (load-use stalls, SRAM bus contention, the M7's pairing not happening), [0, 1];
  charged once per load instruction of any width (`LOAD_KINDS`: LDR, LDRD, LDM
  and POP, VLDR, VLDM), as the pipeline models price each one as a whole. The
  published points' builds load a word at a time; how a multiple load's cost
  grows with its words is not in them, so no kind of load is left out of the
  charge (an LDM priced by the manual's table alone made tinygen's LDM kernels
  look cheaper than the fit gives any ground for);
- `branch_extra`: cycles a branch costs beyond it (mispredicted or refilled
  taken branches), [0, 2].

The fit minimises the squared relative errors against the published points
under those bounds (an exact box-constrained least squares: every split of the
parameters into free and held at a bound is solved, the best feasible kept),
and the held-out error comes from leaving each point out in turn (>= 3 points).
A core's model is CALIBRATED only when every point fitted is within
`TOLERANCE`, the twin build reproduces each one's software, and there are at
least `MIN_POINTS` of them (issue 72: two per core; one point leaves the three
parameters free to meet it exactly; two points barely constrain three parameters: they are met
exactly along a line unless the bounds cut it, no point is held out below three, and
benchmarks/calibration/fit.py then prints each point under the fit to the other alone). A point with
`"twin_matches_stack": false` (a TFLM release whose CMSIS-NN predates the
twin's, a build the twin cannot match) is left out of the fit and reported; a
core with only such points is fitted to them for the report, never calibrated:
the fit would take the kernels' difference for the core's timing.
"""

from __future__ import annotations

import itertools

import numpy as np

PARAMS = ("memory_scale", "load_extra", "branch_extra")
BOUNDS = {"memory_scale": (0.0, 3.0), "load_extra": (0.0, 1.0), "branch_extra": (0.0, 2.0)}
IDENTITY = {"memory_scale": 1.0, "load_extra": 0.0, "branch_extra": 0.0}
TOLERANCE = 0.15
MIN_POINTS = 2
LOAD_KINDS = ("load", "load2", "fpload", "ldm", "fpldm")


def components(rows: list[dict]) -> dict:
    """An estimate's layers (price.layer_rows) summed into the fit's components."""
    mix: dict[str, int] = {}
    for r in rows:
        for k, v in r["mix"].items():
            mix[k] = mix.get(k, 0) + v
    return {"instructions": sum(r["instructions"] for r in rows), "core": sum(r["core_cycles"] for r in rows),
            "memory": sum(r["fetch_cycles"] + r.get("weight_read_cycles", 0.0) for r in rows),
            "sram": sum(r.get("sram_wait_cycles", 0.0) for r in rows),
            "loads": sum(mix.get(k, 0) for k in LOAD_KINDS), "branches": mix.get("branch", 0)}


def predict(comp: dict, params: dict) -> float:
    return (comp["core"] + comp.get("sram", 0.0) + params["memory_scale"] * comp["memory"]
            + params["load_extra"] * comp["loads"] + params["branch_extra"] * comp["branches"])


def adjustment(comp: dict, params: dict) -> float:
    """Cycles the fitted parameters add to the unfitted estimate (core + memory): 0 for IDENTITY."""
    return ((params["memory_scale"] - 1.0) * comp["memory"] + params["load_extra"] * comp["loads"]
            + params["branch_extra"] * comp["branches"])


def fit(points: list[dict]) -> dict:
    """Best parameters for points [{"components": ..., "published_cycles": ...}] (IDENTITY for none)."""
    if not points:
        return dict(IDENTITY)
    pub = np.array([p["published_cycles"] for p in points], float)
    base = np.array([p["components"]["core"] + p["components"].get("sram", 0.0) for p in points], float) / pub - 1.0
    cols = np.array([[p["components"][k] for k in ("memory", "loads", "branches")] for p in points], float)
    a = cols / pub[:, None]
    best, best_cost = None, np.inf
    for states in itertools.product(("lo", "hi", "free"), repeat=len(PARAMS)):
        x = np.array([BOUNDS[n][0] if s == "lo" else BOUNDS[n][1] if s == "hi" else 0.0
                      for n, s in zip(PARAMS, states)])
        free = [i for i, s in enumerate(states) if s == "free"]
        rhs = -(base + a @ x)
        if free:
            sol = np.linalg.lstsq(a[:, free], rhs, rcond=None)[0]
            x[free] = sol
            if any(not BOUNDS[PARAMS[i]][0] - 1e-12 <= x[i] <= BOUNDS[PARAMS[i]][1] + 1e-12 for i in free):
                continue
        cost = float(np.sum((base + a @ x) ** 2))
        if cost < best_cost - 1e-15:
            best, best_cost = x, cost
    return {n: float(v) for n, v in zip(PARAMS, best)}


def errors(points: list[dict], params: dict) -> dict[str, float]:
    """Per point id: predicted / published - 1."""
    return {p["id"]: predict(p["components"], params) / p["published_cycles"] - 1 for p in points}


def held_out(points: list[dict]) -> dict[str, float] | None:
    """Leave-one-out: each point's error under the parameters fitted to the others (None for < 3 points)."""
    if len(points) < 3:
        return None
    return {p["id"]: errors([p], fit(points[:i] + points[i + 1:]))[p["id"]] for i, p in enumerate(points)}


def calibrate(points: list[dict]) -> dict:
    """The fit of one core: parameters, unfitted / fitted / held-out errors, and whether it is calibrated.
    Points whose software the twin does not reproduce are left out of the fit where others remain (their
    error under it is still reported, under "excluded"); where none remain, all are fitted, for the
    report, and the core is not calibrated."""
    used = [p for p in points if p.get("twin_matches_stack", True)]
    matching = bool(used)
    used = used or points
    params = fit(used)
    fitted = errors(used, params)
    excluded = [p for p in points if p not in used]
    return {"params": params, "points": len(used), "unfitted_error": errors(points, IDENTITY),
            "fit_error": fitted, "held_out_error": held_out(used),
            "excluded_error": errors(excluded, params),
            "max_abs_fit_error": max((abs(v) for v in fitted.values()), default=None),
            "calibrated": matching and len(used) >= MIN_POINTS and all(abs(v) < TOLERANCE for v in fitted.values())}


__all__ = ["BOUNDS", "IDENTITY", "MIN_POINTS", "PARAMS", "TOLERANCE", "adjustment", "calibrate", "components", "errors", "fit",
           "held_out", "predict"]
