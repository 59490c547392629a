"""onnxruntime as the reference for an .onnx model: `tinygen hil` runs it on the same float
inputs as the device and reports its agreement beside the reference's; the tests and
benchmarks/onnx_agreement.py measure with the same functions.

    outs = run_onnxruntime("model.onnx", [x])          # one array per model output, [N, ...]
    agreement = compare_outputs(graph, outs, ours)     # bytes within 1 LSB, top-1, ...

A quantized model (QDQ / QOperator): its outputs are put on tinygen's int8 grid (a float
output is what DequantizeLinear made of its int8 tensor: divided back exactly; a uint8 output
less 128), so they compare byte for byte with tinygen's: the samples whose every output byte
is within 1 LSB of onnxruntime's, those equal to it, the largest difference and the same
top-1 on the accuracy output; a float32 output of a float tail (ops after the last
QuantizeLinear, tinygen/frontend/onnx/float_tail.py) counts as equal within float32 rounding
(FLOAT_RTOL), and its largest difference is reported. A float model (quantized by tinygen): the
same top-1 and the largest difference of the dequantized outputs from onnxruntime's float ones.

The reference is onnxruntime with its graph optimizations off: the graph as written, the same
bytes on every x86-64 CPU. onnxruntime's default session fuses DequantizeLinear -> op ->
QuantizeLinear into its own u8s8 kernels, whose bytes differ between CPUs with and without
AVX-512 VNNI; `tinygen hil` reports its agreement apart, labelled CPU-dependent, and nothing
asserts on it (the test suite sets PERTURB_FUSED_ENV, which scrambles its outputs).

onnxruntime, an optional dependency, is imported when a model is run (`tinygen --help` and
the commands on other models never load it); without it the run is refused in one line
naming `pip install 'tinygen[onnx]'` (tinygen.optional).
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinygen.errors import ModelError
from tinygen.hil.session import SampleRun, _data_arrays, _load_array
from tinygen.ir import Graph
from tinygen.optional import require
from tinygen.ref.interpreter import dequantize

# set (to anything) by the test suite: the fused session's outputs come back scrambled, so that an
# assertion on them (CPU-dependent values) fails on every machine, not only on some
PERTURB_FUSED_ENV = "TINYGEN_ORT_PERTURB_FUSED"
AS_WRITTEN = "as written (graph optimizations off)"
# a float tail's float32 outputs (tinygen/frontend/onnx/float_tail.py) equal onnxruntime's when they
# differ by at most this fraction of the output's largest magnitude (float32 sums in another order)
FLOAT_RTOL = 1e-5


def _onnxruntime():
    """The onnxruntime module, imported on first use (an optional, heavy dependency)."""
    return require("onnxruntime")


def run_onnxruntime(path: str | Path, inputs: list[np.ndarray], *,
                    fused: bool = False) -> list[np.ndarray]:
    """Every output of the model for inputs [N, ...] (one array per model input, the model's
    own layout, float32), run one sample at a time.

    The reference (fused=False): onnxruntime with its graph optimizations off, running the graph
    as written (a QDQ model: DequantizeLinear, the float op, QuantizeLinear), the same on every
    x86-64 CPU. fused=True: onnxruntime's default session, which fuses DequantizeLinear -> op ->
    QuantizeLinear into its own u8s8 kernels, whose bytes depend on the CPU (with and without
    AVX-512 VNNI they differ): CPU-dependent, reported beside the reference, never asserted on.
    With PERTURB_FUSED_ENV set, the fused session's outputs come back scrambled (each sample's
    values reversed, the samples rotated by one), so that any check resting on them fails."""
    ort = _onnxruntime()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    opts.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if fused
                                     else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    try:
        session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as e:
        raise ModelError(f"onnxruntime cannot load {Path(path).name}: {str(e).splitlines()[0]}") from None
    names = [i.name for i in session.get_inputs()]
    n = len(inputs[0])
    outs: list[list[np.ndarray]] = []
    for i in range(n):
        feed = {name: np.asarray(x[i:i + 1], np.float32) for name, x in zip(names, inputs)}
        outs.append(session.run(None, feed))
    result = [np.concatenate([o[k] for o in outs]) for k in range(len(outs[0]))]
    if fused and os.environ.get(PERTURB_FUSED_ENV):
        result = [np.roll(np.flip(r, axis=tuple(range(1, r.ndim))), 1, axis=0) for r in result]
    return result


def _ir_layout(batch: np.ndarray) -> np.ndarray:
    """onnxruntime's outputs [N, C, H, W] (or [N, C, L]) in the IR's layout, as tinygen's are."""
    batch = np.asarray(batch)
    if batch.ndim == 3:
        batch = batch[:, :, None, :]
    return np.ascontiguousarray(batch.transpose(0, 2, 3, 1)) if batch.ndim == 4 else batch


def to_graph_bytes(graph: Graph, k: int, value: np.ndarray) -> np.ndarray:
    """onnxruntime's output k on the grid of graph output k (int8): a float output divided
    back by its scale (exact: it was (q - zero point) * scale), a uint8 one less 128."""
    t = graph.tensor(graph.outputs[k])
    value = np.asarray(value)
    if value.dtype == np.uint8:
        return (value.astype(np.int64) - 128).astype(np.int8)
    if value.dtype == np.int8:
        return value
    q = np.rint(value.astype(np.float32) / np.float32(t.qparams.scale[0])) + int(t.qparams.zero_point[0])
    return np.clip(q, -128, 127).astype(np.int8)


@dataclass
class Agreement:
    """tinygen's int8 outputs against onnxruntime's on the same inputs."""
    samples: int
    quantized: bool                 # a QDQ / QOperator model: bytes compared; else floats
    exact: int = 0                  # samples whose every output byte equals onnxruntime's
    within_1: int = 0               # ... within 1 LSB
    max_lsb: int = 0                # the largest difference, in LSBs (quantized)
    bytes_total: int = 0
    bytes_off: int = 0              # bytes that differ (quantized)
    top1: int = 0                   # samples with the same argmax on output 0
    max_abs: float = 0.0            # float models, float tails: the largest |tinygen - onnxruntime| in real units

    def as_dict(self) -> dict:
        return {"samples": self.samples, "quantized": self.quantized, "exact": self.exact,
                "within_1_lsb": self.within_1, "max_lsb": self.max_lsb, "bytes": self.bytes_total,
                "bytes_differing": self.bytes_off, "top1_same": self.top1,
                "top1_fraction": self.top1 / self.samples if self.samples else None,
                "max_abs": self.max_abs}


def compare_outputs(graph: Graph, ort_outputs: list[np.ndarray], ours: list[list[np.ndarray]]) -> Agreement:
    """`ours`: per sample, tinygen's int8 outputs (graph.outputs' order)."""
    quantized = graph.meta.get("quantized") == "onnx"
    a = Agreement(len(ours), quantized)
    ort_outputs = [_ir_layout(o) for o in ort_outputs]
    for i, sample in enumerate(ours):
        worst, float_ok = 0, True
        for k, got in enumerate(sample):
            theirs = ort_outputs[k][i]
            if quantized and graph.tensor(graph.outputs[k]).dtype == "float32":     # a float tail's output
                real, want = np.asarray(got, np.float32).reshape(-1), np.asarray(theirs, np.float32).reshape(-1)
                off = float(np.abs(real - want).max(initial=0))
                a.max_abs = max(a.max_abs, off)
                float_ok = float_ok and off <= FLOAT_RTOL * float(np.abs(want).max(initial=1.0))
            elif quantized:
                want = to_graph_bytes(graph, k, theirs).reshape(-1).astype(np.int64)
                diff = np.abs(np.asarray(got).reshape(-1).astype(np.int64) - want)
                worst = max(worst, int(diff.max(initial=0)))
                a.bytes_total += diff.size
                a.bytes_off += int(np.count_nonzero(diff))
            else:
                real = dequantize(graph, graph.outputs[k], np.asarray(got)).reshape(-1)
                a.max_abs = max(a.max_abs, float(np.abs(real - np.asarray(theirs, np.float32).reshape(-1)).max()))
        a.exact += worst == 0 and float_ok
        a.within_1 += worst <= 1
        a.max_lsb = max(a.max_lsb, worst)
        a.top1 += int(np.argmax(np.asarray(sample[0]).reshape(-1)) == np.argmax(np.asarray(ort_outputs[0][i]).reshape(-1)))
    return a


def onnxruntime_agreement(source, graph, data: str | Path, run: SampleRun, limit: int | None = None) -> dict | None:
    """onnxruntime on the --data inputs against the device's outputs (None for a model that is not
    .onnx): the agreement with the graph as written (the reference, the same on every CPU), and
    under "fused" the one with onnxruntime's default, fused session (CPU-dependent, reported only)."""
    if Path(source.path).suffix != ".onnx":
        return None
    xs = [np.asarray(x, np.float32) for x in _data_arrays(_load_array(Path(data), "data"), data, source)]
    xs = [x[None] if x.shape == tuple(s[1:]) else x for x, s in zip(xs, source.input_shapes)]
    xs = [x[:run.samples] if limit is None else x[:min(limit, run.samples)] for x in xs]
    ours = run.outputs
    if run.head:
        ours = [[o[run.head]] + [v for k, v in enumerate(o) if k != run.head] for o in run.outputs]
        graph = _head_first(graph, run.head)

    def agreement(fused: bool) -> dict:
        theirs = run_onnxruntime(source.path, xs, fused=fused)
        if run.head:
            theirs = [theirs[run.head]] + [t for k, t in enumerate(theirs) if k != run.head]
        return compare_outputs(graph, theirs, ours).as_dict()

    fused = {**agreement(True), "cpu": cpu_features()}
    if os.environ.get(PERTURB_FUSED_ENV):
        fused["scrambled"] = True
    return {"kind": graph.meta.get("onnx_kind", "float"), "session": AS_WRITTEN, **agreement(False), "fused": fused}


def cpu_features() -> str:
    """What onnxruntime's fused u8s8 kernels depend on, in a few words: "AVX-512 VNNI",
    "AVX-VNNI", "AVX2, no VNNI", else the machine's architecture."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        flags = set()
    for flag, text in (("avx512_vnni", "AVX-512 VNNI"), ("avx_vnni", "AVX-VNNI"), ("avx2", "AVX2, no VNNI")):
        if flag in flags:
            return text
    return platform.machine() or "unknown CPU"


def fused_label(cpu: str) -> str:
    """How a fused-session figure is labelled wherever it is shown."""
    return f"CPU-dependent (fused kernels; this machine: {cpu})"


def _head_first(graph, head: int):
    g = graph.copy()
    g.outputs = [g.outputs[head]] + [o for k, o in enumerate(g.outputs) if k != head]
    return g


def _agreement_text(a: dict) -> str:
    n = a["samples"]
    top1 = f"{a['top1_same']}/{n} same top-1"
    if a["quantized"]:
        tail = f", float outputs within {a['max_abs']:.4g}" if a["max_abs"] else ""
        return (f"{a['within_1_lsb']}/{n} within 1 LSB ({a['exact']} exact, largest {a['max_lsb']} LSB{tail}), "
                f"{top1}")
    return f"{top1}, largest output difference {a['max_abs']:.4g}"


def agreement_rows(a: dict | None) -> list[list[str]]:
    """The report's rows for the agreement (none without it): the graph as written, then the
    fused session, labelled CPU-dependent."""
    if not a:
        return []
    kind = a["kind"] if a["quantized"] else "float model"
    rows = [[f"vs onnxruntime ({kind}, as written)", _agreement_text(a)]]
    if a.get("fused"):
        scrambled = f"; scrambled ({PERTURB_FUSED_ENV} is set)" if a["fused"].get("scrambled") else ""
        rows.append(["vs onnxruntime, fused", f"{_agreement_text(a['fused'])}; {fused_label(a['fused']['cpu'])}"
                     + scrambled])
    return rows
