"""Record the real-valued range of every activation tensor on calibration data.

Runs the float graph (after fusion, so clamped outputs are seen clamped) with
the numpy float interpreter and stores (min, max) in `tensor.calib_range`.
`method="percentile"` clips outliers: the range is the [100 - p, p]
percentile of each tensor's values.
"""

from __future__ import annotations

import numpy as np

from tinygen.errors import ModelError
from tinygen.ir import Graph
from tinygen.ref.float_interp import run_float
from tinygen.ref.recurrent import recurrent_ranges

CHUNK = 64                 # samples per interpreter call
SAMPLE_CAP = 1 << 20       # values kept per tensor for percentiles


def calibrate(graph: Graph, data, method: str = "minmax",
              percentile: float = 99.99) -> Graph:
    """`data`: [N, ...] in the graph input's layout, or {input name: [N, ...]} for a graph with
    several inputs (the same N samples each)."""
    feeds = data if isinstance(data, dict) else {graph.inputs[0]: data}
    count = {int(np.shape(v)[0]) for v in feeds.values()}
    if len(count) != 1 or set(feeds) != set(graph.inputs):
        raise ModelError(f"calibration data for inputs {sorted(feeds)} with {sorted(count)} samples; the model "
                         f"takes {graph.inputs}", "give the same number of samples for every input")
    n = count.pop()
    if n == 0:
        raise ModelError("the calibration set is empty",
                         "pass at least one sample with --calib (more is better: 100-500 is typical)")
    if method not in ("minmax", "percentile"):
        raise ModelError(f"unknown calibration method {method!r}", "use 'minmax' or 'percentile'")
    lo: dict[str, float] = {}
    hi: dict[str, float] = {}
    samples: dict[str, list[np.ndarray]] = {}
    rng = np.random.default_rng(0)
    for start in range(0, n, CHUNK):
        batch = {name: np.asarray(v[start:start + CHUNK], np.float32) for name, v in feeds.items()}
        values = run_float(graph, batch, keep_all=True)
        for name, v in batch.items():
            values.setdefault(name, v)
        for name, v in values.items():
            if name not in graph.tensors or not graph.tensors[name].in_arena:
                continue
            if not np.all(np.isfinite(v)):
                raise ModelError(f"tensor {name!r} takes non-finite values on the calibration data",
                                 "check the model for overflow (e.g. huge weights) and the data for NaN/Inf")
            lo[name] = min(lo.get(name, np.inf), float(v.min()))
            hi[name] = max(hi.get(name, -np.inf), float(v.max()))
            if method == "percentile":
                flat = v.ravel()
                keep = min(flat.size, SAMPLE_CAP // max(1, n // CHUNK + 1))
                samples.setdefault(name, []).append(rng.choice(flat, keep, replace=False))
        # recurrent layers: the output's grid is the hidden state's, which every step uses, and
        # the LSTM's int16 cell state gets a power-of-two scale from its largest magnitude
        for node in (n for n in graph.nodes if n.op in ("lstm", "gru")):
            h_lo, h_hi, c_max = recurrent_ranges(graph, node, values)
            out = node.outputs[0]
            lo[out], hi[out] = min(lo[out], h_lo), max(hi[out], h_hi)
            node.attrs["cell_abs_max"] = max(float(node.attrs.get("cell_abs_max", 0.0)) if start else 0.0, c_max)
    for name in lo:
        if method == "percentile":
            values = np.concatenate(samples[name])
            graph.tensors[name].calib_range = (float(np.percentile(values, 100 - percentile)),
                                               float(np.percentile(values, percentile)))
        else:
            graph.tensors[name].calib_range = (lo[name], hi[name])
    missing = [t.name for t in graph.activation_tensors() if t.calib_range is None]
    if missing:
        raise ModelError(f"calibration saw no values for tensors {missing}")
    return graph
