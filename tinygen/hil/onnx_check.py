"""`tinygen hil` on an .onnx model: onnxruntime runs the same float inputs as the device, and the
report puts its agreement beside the reference's (tinygen/frontend/onnx/runtime.py measures it).

A quantized model (QDQ / QOperator): the samples whose every output byte is within 1 LSB of
onnxruntime's, those equal to it, the largest difference and the same top-1 on the accuracy
output. A float model (quantized by tinygen): the same top-1 and the largest difference of the
dequantized outputs from onnxruntime's float ones.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tinygen.frontend.onnx.runtime import compare_outputs, run_onnxruntime
from tinygen.hil.session import SampleRun, _data_arrays, _load_array


def onnxruntime_agreement(source, graph, data: str | Path, run: SampleRun, limit: int | None = None) -> dict | None:
    """onnxruntime on the --data inputs against the device's outputs (None for a model that is not .onnx)."""
    if Path(source.path).suffix != ".onnx":
        return None
    xs = [np.asarray(x, np.float32) for x in _data_arrays(_load_array(Path(data), "data"), data, source)]
    xs = [x[None] if x.shape == tuple(s[1:]) else x for x, s in zip(xs, source.input_shapes)]
    xs = [x[:run.samples] if limit is None else x[:min(limit, run.samples)] for x in xs]
    theirs = run_onnxruntime(source.path, xs)
    if run.head:
        theirs = [theirs[run.head]] + [t for k, t in enumerate(theirs) if k != run.head]
        ours = [[o[run.head]] + [v for k, v in enumerate(o) if k != run.head] for o in run.outputs]
        graph = _head_first(graph, run.head)
    else:
        ours = run.outputs
    return {"kind": graph.meta.get("onnx_kind", "float"), **compare_outputs(graph, theirs, ours).as_dict()}


def _head_first(graph, head: int):
    g = graph.copy()
    g.outputs = [g.outputs[head]] + [o for k, o in enumerate(g.outputs) if k != head]
    return g


def agreement_rows(a: dict | None) -> list[list[str]]:
    """The report's rows for the agreement (none without it)."""
    if not a:
        return []
    n = a["samples"]
    top1 = f"{a['top1_same']}/{n} same top-1"
    if a["quantized"]:
        return [[f"vs onnxruntime ({a['kind']})", f"{a['within_1_lsb']}/{n} within 1 LSB ({a['exact']} exact, "
                 f"largest {a['max_lsb']} LSB), {top1}"]]
    return [["vs onnxruntime (float model)", f"{top1}, largest output difference {a['max_abs']:.4g}"]]
