"""A hardware-in-the-loop run: samples through the device, compared with the
numpy reference byte for byte, plus labels, counts and a per-layer profile.

    inputs, labels = load_inputs("data.npz", None, source, graph)
    result = run_samples(dev, graph, inputs, labels)
    layers = profile_layers(dev, graph, inputs[0])

A model with one input takes an int8 array [N, ...]; one with several inputs takes
a list of N samples, each a tuple of int8 arrays in graph.inputs' order (what the
reference's run() takes). The device gets a sample's inputs back to back (`tg run`).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic
from typing import Callable

import numpy as np

from tinygen.calib import input_arrays, input_keys, sample_shape, shape_hint, with_sample_axis
from tinygen.errors import UsageError
from tinygen.ref.gating_trace import is_dynamic, trace
from tinygen.hil.client import Device, Layer
from tinygen.ir import carries_state as _node_carries_state
from tinygen.kernels.float_table import LIBM_KERNELS
from tinygen.npfile import not_numpy
from tinygen.ref.interpreter import dequantize, quantize_input, run

SHOW_MISMATCHES = 5
# a run expected to take longer than LONG_RUN_S says how long first: estimated from the first
# ESTIMATE_SAMPLES samples (device and reference together), or from those done in ESTIMATE_S
ESTIMATE_SAMPLES = 5
ESTIMATE_S = 3.0
LONG_RUN_S = 60.0


def _load_array(path: Path, what: str) -> dict[str, np.ndarray]:
    if path.is_dir():
        raise UsageError(f"{what} file {str(path)!r} is a folder", "give a .npz (arrays x and y) or .npy file in it")
    if not path.is_file():
        raise UsageError(f"{what} file {str(path)!r} does not exist", "give a .npz (arrays x and y) or .npy file")
    problem = not_numpy(path) if path.suffix in (".npz", ".npy") else None
    if problem:
        raise UsageError(f"{what} file {str(path)!r} {problem}", "save it with numpy.save / numpy.savez")
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        if path.suffix == ".npy":
            return {"x": np.load(path, allow_pickle=False)}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise UsageError(f"cannot read {what} file {str(path)!r}: {e}", "save it with numpy.save / numpy.savez") from None
    raise UsageError(f"{what} file {str(path)!r} is not .npz or .npy", "save it with numpy.save / numpy.savez")


def check_data(data: str | Path) -> None:
    """Refuse a --data file that cannot run before the model is compiled: not there, not
    numpy's, or with no samples in it (x, or every input array, of length 0)."""
    arrays = _load_array(Path(data), "data")
    inputs = {k: np.asarray(v) for k, v in arrays.items() if k != "y"}
    shown = {"x": inputs["x"]} if "x" in inputs else inputs
    if shown and all(a.ndim > 0 and len(a) == 0 for a in shown.values()):
        raise UsageError(f"the data set {data} is empty: " + ", ".join(f"{k} has shape {list(a.shape)}"
                                                                       for k, a in shown.items()),
                         "give at least one sample: [N, ...] with N >= 1")


def _data_arrays(arrays: dict[str, np.ndarray], data: str | Path, source) -> list[np.ndarray]:
    """The float inputs of a --data file: `x` for a model with one input; x0, x1, ... or the
    inputs' own names (forward()'s arguments) for several."""
    names = source.input_names
    if len(names) > 1:
        if Path(data).suffix != ".npz":
            raise UsageError(f"{data} holds one array, but the model takes {len(names)} inputs",
                             f"save an .npz with one array per input: {input_keys(names)} (and y labels)")
        return input_arrays(arrays, names, str(data), UsageError)
    if "x" not in arrays:
        raise UsageError(f"{data} has no array named x (it has {', '.join(arrays) or 'none'})",
                         "save the inputs as numpy.savez(FILE, x=inputs, y=labels)")
    return [arrays["x"]]


def _checked_samples(x, shape: tuple[int, ...], layout: str, which: str) -> np.ndarray:
    x = with_sample_axis(np.asarray(x), shape)
    sample = sample_shape(shape)
    if x.ndim != len(sample) + 1 or tuple(x.shape[1:]) != sample:
        raise UsageError(f"data samples{which} have shape {list(x.shape[1:])}, the model takes {list(sample)} "
                         f"({layout})", f"give an array {shape_hint(shape)} of floats")
    if len(x) == 0:
        raise UsageError(f"the data set is empty: data{which} has shape {list(x.shape)}",
                         "give at least one sample: [N, ...] with N >= 1")
    if np.issubdtype(x.dtype, np.integer):      # integer values (a signal front end's int16 samples)
        x = x.astype(np.float64)
    if not np.issubdtype(x.dtype, np.floating) or not np.isfinite(x).all():
        raise UsageError(f"data{which} must be finite floats in the model's input units",
                         "pass the float inputs you would give the PyTorch / TFLite model")
    return x


def as_samples(arrays: list[np.ndarray]):
    """int8 arrays, one [N, ...] per model input → what run_samples takes: the array itself
    (one input) or N tuples of per-input arrays."""
    if len(arrays) == 1:
        return arrays[0]
    return [tuple(a[i] for a in arrays) for i in range(len(arrays[0]))]


def input_bytes(x) -> bytes:
    """One sample's inputs as the device takes them: back to back, in graph.inputs' order; int8,
    or a wider input's values little-endian (the Cortex-M and RISC-V byte order)."""
    xs = x if isinstance(x, (tuple, list)) else (x,)
    wire = {np.dtype(np.int16): "<i2", np.dtype(np.int32): "<i4", np.dtype(np.float32): "<f4",
            np.dtype(np.uint16): "<u2", np.dtype(np.uint32): "<u4", np.dtype(np.uint64): "<u8"}
    return b"".join(np.ascontiguousarray(a, dtype=wire.get(np.asarray(a).dtype, np.int8)).tobytes() for a in xs)


def load_inputs(data: str | Path, labels: str | Path | None, source, graph, limit: int | None = None):
    """Float samples in the model's own layout → int8 inputs (quantized exactly as the
    reference does; as_samples' form), and class labels if given (`y` in the .npz or LABELS)."""
    names = source.input_names
    arrays = _load_array(Path(data), "data")
    xs = [_checked_samples(x, shape, source.layout, "" if len(names) == 1 else f" of input {k} ({names[k]})")
          for k, (x, shape) in enumerate(zip(_data_arrays(arrays, data, source), source.input_shapes))]
    if len({len(x) for x in xs}) > 1:
        raise UsageError(f"{data} has " + ", ".join(f"{len(x)} samples for {n}" for x, n in zip(xs, names)),
                         "give the same number of samples for every input (sample i of each goes into the model "
                         "together)")
    y = arrays.get("y")
    if labels is not None:
        y = _load_array(Path(labels), "labels")["x"]
    if y is not None:
        y = np.asarray(y)
        y = y.argmax(axis=-1) if y.ndim == 2 else y.reshape(len(y))
        if len(y) != len(xs[0]):
            raise UsageError(f"{len(y)} labels for {len(xs[0])} samples", "give one label per sample")
    if limit is not None:
        xs, y = [x[:limit] for x in xs], (None if y is None else y[:limit])
    q = [quantize_input(graph, source.to_graph_layout(x.astype(np.float32), k), k) for k, x in enumerate(xs)]
    return as_samples(q), y


def sample_inputs(source, graph, count: int, seed: int = 0):
    """`count` int8 test inputs for a model (as_samples' form): its calibration samples
    (cycled, scaled and with noise added) when it ships some, else standard normal data."""
    rng = np.random.default_rng(seed)
    base = source.default_calibration
    bases = list(base) if isinstance(base, (tuple, list)) else [base] * len(source.input_shapes)
    picks = rng.integers(len(bases[0]), size=count) if base is not None else None
    q = []
    for k, (b, full) in enumerate(zip(bases, source.input_shapes)):
        shape = sample_shape(full)
        if b is not None:
            x = np.asarray(b)[picks] * rng.uniform(0.5, 1.5, size=(count,) + (1,) * len(shape)) \
                + rng.normal(0, 0.3, (count,) + shape)
        else:
            x = rng.standard_normal((count,) + shape)
        q.append(quantize_input(graph, source.to_graph_layout(x.astype(np.float32), k), k))
    return as_samples(q)


def split_outputs(graph, raw: bytes) -> list[np.ndarray]:
    """The device's outputs (back to back) → one array per graph output, of its type (int8,
    int16 little-endian)."""
    arrays, offset = [], 0
    for name in graph.outputs:
        t = graph.tensor(name)
        size = t.nbytes
        if offset + size > len(raw):
            raise AssertionError(f"the device sent {len(raw)} output bytes, the model has more "
                                 f"({name} needs bytes {offset}..{offset + size})")
        arrays.append(np.frombuffer(raw[offset:offset + size], dtype=t.np_dtype.newbyteorder("<"))
                      .astype(t.np_dtype).reshape(t.shape))
        offset += size
    if offset != len(raw):
        raise AssertionError(f"the device sent {len(raw)} output bytes, the model's outputs take {offset}")
    return arrays


def result_millis(graph, x: np.ndarray) -> np.ndarray:
    """The reference's outputs as `results%` prints them, in thousandths: every
    output dequantized in float32, times 1000, rounded half away from zero."""
    ref = run(graph, x)
    values = [dequantize(graph, name, ref[name]).ravel().astype(np.float32) for name in graph.outputs]
    milli = np.concatenate(values) * np.float32(1000)
    return (np.sign(milli) * np.floor(np.abs(milli) + np.float32(0.5))).astype(np.int64)


def as_millis(results: list[float]) -> np.ndarray:
    """`m-results-[...]` values (3 decimals) back to thousandths."""
    return np.rint(np.asarray(results, dtype=np.float64) * 1000).astype(np.int64)


def first_difference(ref: np.ndarray, got: np.ndarray) -> str:
    idx = np.flatnonzero(ref.ravel() != got.ravel())
    shown = ", ".join(f"[{i}] {got.ravel()[i]} (reference {ref.ravel()[i]})" for i in idx[:5])
    return f"{idx.size} of {ref.size} bytes differ; first: {shown}"


@dataclass
class Mismatch:
    sample: int
    output: str
    detail: str


@dataclass
class SampleRun:
    """Every sample's counter value, outputs and agreement with the reference; accuracy is
    output `head`'s argmax against the labels."""
    counts: list[int] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    predictions: list[int] = field(default_factory=list)
    labels: np.ndarray | None = None
    head: int = 0
    outputs: list[list[np.ndarray]] = field(default_factory=list)    # per sample, the device's int8 outputs
    # dynamic models (tinygen.gating): per sample the device's (exit, kept channels per gate)
    dynamic: list = field(default_factory=list)

    @property
    def samples(self) -> int:
        return len(self.counts)

    @property
    def exact(self) -> int:
        return self.samples - len({m.sample for m in self.mismatches})

    def exact_output(self, name: str) -> int:
        """Samples whose output `name` equals the reference's."""
        return self.samples - len({m.sample for m in self.mismatches if m.output == name})

    @property
    def accuracy(self) -> float | None:
        if self.labels is None or not self.samples:
            return None
        return float(np.mean(np.asarray(self.predictions) == self.labels[:self.samples]))


def compare(graph, x, raw: bytes, index: int, ref: dict | None = None) -> tuple[list[Mismatch], list[np.ndarray]]:
    """Device outputs vs the reference (`ref`: its values, computed here when None) for one
    sample (an array, or a tuple per input)."""
    ref = run(graph, x) if ref is None else ref
    got = split_outputs(graph, raw)
    bad = [Mismatch(index, name, first_difference(ref[name], g))
           for name, g in zip(graph.outputs, got) if not np.array_equal(ref[name], g)]
    return bad, got


def check_labels(graph, labels: np.ndarray | None, head: int = 0) -> None:
    """Labels are class indices of output `head`: whole numbers from 0 to its size - 1 (one
    class per output value); the first one that is not, refused."""
    if labels is None or not len(labels):
        return
    classes = int(np.prod(graph.tensor(graph.outputs[head]).shape))
    y = np.asarray(labels)
    if y.dtype.kind not in "biuf":
        raise UsageError(f"the labels are {y.dtype} values, not class indices", "give each sample's class index")
    whole = np.isfinite(y) & (y == np.round(y)) if y.dtype.kind == "f" else np.ones(y.shape, bool)
    bad = np.flatnonzero(~whole | (y < 0) | (y >= classes))
    if bad.size:
        i = int(bad[0])
        raise UsageError(f"label {y[i]} (sample {i}) is not a class of the model: its output "
                         f"{graph.outputs[head]} has {classes} classes, 0..{classes - 1}"
                         + (f" ({bad.size} labels out of range)" if bad.size > 1 else ""),
                         "give each sample's class index (or one-hot rows), as the model numbers its outputs")


def check_head(graph, head: int) -> int:
    """--head: the output whose argmax the labels are compared with."""
    if not 0 <= head < len(graph.outputs):
        raise UsageError(f"--head {head}: the model has {len(graph.outputs)} output(s), 0..{len(graph.outputs) - 1}",
                         "give the index of the classification output (tinygen inspect lists them)")
    return head


def carries_state(graph) -> bool:
    """Whether a layer keeps its state from one inference to the next (a .tflite LSTM or SVDF
    always does, a PyTorch one built --stateful, the signal library's noise estimate always):
    the device's runs are then one sequence, which the reference follows with its `state`."""
    return any(_node_carries_state(n) for n in graph.nodes)


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{seconds:.0f} s" if seconds < 90 else f"{minutes} min" if minutes < 90 else \
        f"{minutes // 60} h {minutes % 60} min"


def estimate_line(samples: int, done: int, elapsed: float) -> str | None:
    """What a run of `samples` will take, from `done` samples in `elapsed` seconds; None when
    it is expected to end within LONG_RUN_S."""
    per = elapsed / done
    if per * samples <= LONG_RUN_S:
        return None
    return (f"estimated time: about {_duration(per * samples)} for {samples:,} samples ({per * 1000:.0f} ms each, "
            f"from the first {done}); --limit N runs the first N")


def run_samples(dev: Device, graph, inputs, labels: np.ndarray | None = None,
                progress: bool = False, timeout: float | None = None, head: int = 0,
                notify: Callable[[str], None] | None = None) -> SampleRun:
    """Each sample through `tg run` (binary upload of every input, one round trip), every
    output checked against the reference. A model whose recurrent state carries over runs the
    samples as one sequence from the initial state (`tg reset` first), the reference too.
    `notify` gets the estimated time once, where the run is expected to be long (estimate_line)."""
    result = SampleRun(labels=labels, head=check_head(graph, head))
    state = None
    if carries_state(graph):
        dev.reset_state()
        state = {}
    iterator = range(len(inputs))
    if progress:
        from tqdm import tqdm

        iterator = tqdm(iterator, desc="inferences", unit="inf", leave=False)
    dynamic = is_dynamic(graph)
    start = monotonic()
    for i in iterator:
        if notify is not None and i and (i == ESTIMATE_SAMPLES or monotonic() - start >= ESTIMATE_S):
            line = estimate_line(len(inputs), i, monotonic() - start)
            if line:
                notify(line)
            notify = None                   # once
        raw, count = dev.run(input_bytes(inputs[i]), timeout=timeout)
        values = run(graph, inputs[i], keep_all=dynamic, state=state)
        bad, got = compare(graph, inputs[i], raw, i, values)
        if dynamic:             # every exit and gate decision must be the reference's too
            want, (exit_, kept) = trace(graph, values), dev.dynamic()
            result.dynamic.append({"exit": exit_, "kept": kept})
            if (exit_, tuple(kept)) != (want.exit, want.kept):
                bad.append(Mismatch(i, "dynamic", f"device exit {exit_}, gates kept {kept}; "
                                                  f"reference exit {want.exit}, gates kept {list(want.kept)}"))
        result.mismatches += bad
        result.counts.append(count)
        result.outputs.append(got)
        result.predictions.append(int(np.argmax(got[head].reshape(-1))))
    return result


def profile_layers(dev: Device, graph, x, timeout: float | None = None,
                   mismatches: list | None = None) -> tuple[list[Layer], int]:
    """`tg layers` on one sample: per-layer counts and the total; the outputs are checked against
    the reference too (from the initial recurrent state: `tg reset` first where the state carries
    over): a difference is appended to `mismatches` where given, else raised."""
    if carries_state(graph):
        dev.reset_state()
    dev.upload(input_bytes(x))
    layers, raw, total = dev.layers(timeout=timeout)
    bad, _ = compare(graph, x, raw, 0)
    if bad and mismatches is None:
        raise AssertionError(f"`tg layers` outputs differ from the reference: {bad[0].detail}")
    mismatches = [] if mismatches is None else mismatches
    mismatches += [Mismatch(m.sample, m.output, f"`tg layers`: {m.detail}") for m in bad]
    return layers, total


def libm_note(graph, board) -> str | None:
    """Why a float model's layers that call the C library's expf / tanhf may differ from the
    reference on a device: the reference calls this computer's libm (TFLite Micro's float kernels
    call the libm they are built with, and so does the generated C). None on the host or
    without such layers."""
    layers = [n.name for n in graph.nodes if n.kernel in LIBM_KERNELS]
    if not layers or board.build == "host":
        return None
    return (f"note: {', '.join(layers[:4])}{' ...' if len(layers) > 4 else ''} call the C library's expf / tanhf, "
            "as TFLite Micro's float kernels do; the reference computes them with this computer's libm, the device "
            "with its own, which rounds some results differently (benchmarks/libm_agreement.py): there tinygen "
            "equals TFLite Micro built with the device's libm, not this reference, from those layers on")


__all__ = ["Mismatch", "SampleRun", "as_millis", "as_samples", "carries_state", "check_data", "check_head", "check_labels", "compare",
           "estimate_line", "libm_note",
           "first_difference", "input_bytes", "load_inputs", "profile_layers", "result_millis", "run_samples", "sample_inputs",
           "split_outputs"]
