"""A hardware-in-the-loop run: samples through the device, compared with the
numpy reference byte for byte, plus labels, counts and a per-layer profile.

    inputs, labels = load_inputs("data.npz", None, source, graph)
    result = run_samples(dev, graph, inputs, labels)
    layers = profile_layers(dev, graph, inputs[0])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinygen.errors import UsageError
from tinygen.hil.client import Device, Layer
from tinygen.gating import is_dynamic, trace
from tinygen.ref.interpreter import dequantize, quantize_input, run

SHOW_MISMATCHES = 5


def _load_array(path: Path, what: str) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise UsageError(f"{what} file {str(path)!r} does not exist", "give a .npz (arrays x and y) or .npy file")
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        if path.suffix == ".npy":
            return {"x": np.load(path, allow_pickle=False)}
    except (ValueError, OSError) as e:
        raise UsageError(f"cannot read {what} file {str(path)!r}: {e}", "save it with numpy.save / numpy.savez") from None
    raise UsageError(f"{what} file {str(path)!r} is not .npz or .npy", "save it with numpy.save / numpy.savez")


def load_inputs(data: str | Path, labels: str | Path | None, source, graph,
                limit: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Float samples in the model's own layout → int8 inputs (quantized exactly as
    the reference does), and class labels if given (`y` in the .npz or LABELS)."""
    if len(graph.inputs) != 1:
        raise UsageError(f"the model has {len(graph.inputs)} inputs; `tinygen hil --data` feeds one",
                         "drive multi-input models through tinygen.hil.client.Device.run")
    arrays = _load_array(Path(data), "data")
    if "x" not in arrays:
        raise UsageError(f"{data} has no array named x (it has {', '.join(arrays) or 'none'})",
                         "save the inputs as numpy.savez(FILE, x=inputs, y=labels)")
    x = np.asarray(arrays["x"])
    sample = tuple(source.input_shape[1:])
    if x.shape == sample:
        x = x[None]
    if x.ndim != len(sample) + 1 or tuple(x.shape[1:]) != sample:
        raise UsageError(f"data samples have shape {list(x.shape[1:])}, the model takes {list(sample)} "
                         f"({source.layout})", "give an array [N, " + ", ".join(map(str, sample)) + "] of floats")
    if not np.issubdtype(x.dtype, np.floating) or not np.isfinite(x).all():
        raise UsageError("data must be finite floats in the model's input units",
                         "pass the float inputs you would give the PyTorch / TFLite model")
    y = arrays.get("y")
    if labels is not None:
        y = _load_array(Path(labels), "labels")["x"]
    if y is not None:
        y = np.asarray(y)
        y = y.argmax(axis=-1) if y.ndim == 2 else y.reshape(len(y))
        if len(y) != len(x):
            raise UsageError(f"{len(y)} labels for {len(x)} samples", "give one label per sample")
    if limit is not None:
        x, y = x[:limit], (None if y is None else y[:limit])
    q = quantize_input(graph, source.to_graph_layout(x.astype(np.float32)))
    return q, y


def sample_inputs(source, graph, count: int, seed: int = 0) -> np.ndarray:
    """`count` int8 test inputs for a model: its calibration samples (cycled,
    scaled and with noise added) when it ships some, else standard normal data."""
    rng = np.random.default_rng(seed)
    base = source.default_calibration
    shape = tuple(source.input_shape[1:])
    if base is not None:
        picks = np.asarray(base)[rng.integers(len(base), size=count)]
        x = picks * rng.uniform(0.5, 1.5, size=(count,) + (1,) * len(shape)) + rng.normal(0, 0.3, (count,) + shape)
    else:
        x = rng.standard_normal((count,) + shape)
    return quantize_input(graph, source.to_graph_layout(x.astype(np.float32)))


def split_outputs(graph, raw: bytes) -> list[np.ndarray]:
    """The device's outputs (back to back) → one int8 array per graph output."""
    arrays, offset = [], 0
    for name in graph.outputs:
        t = graph.tensor(name)
        size = int(np.prod(t.shape))
        if offset + size > len(raw):
            raise AssertionError(f"the device sent {len(raw)} output bytes, the model has more "
                                 f"({name} needs bytes {offset}..{offset + size})")
        arrays.append(np.frombuffer(raw[offset:offset + size], dtype=np.int8).reshape(t.shape))
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
    """Every sample's counter value and agreement with the reference."""
    counts: list[int] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    predictions: list[int] = field(default_factory=list)
    labels: np.ndarray | None = None
    # dynamic models (tinygen.gating): per sample the device's (exit, kept channels per gate)
    dynamic: list = field(default_factory=list)

    @property
    def samples(self) -> int:
        return len(self.counts)

    @property
    def exact(self) -> int:
        return self.samples - len({m.sample for m in self.mismatches})

    @property
    def accuracy(self) -> float | None:
        if self.labels is None or not self.samples:
            return None
        return float(np.mean(np.asarray(self.predictions) == self.labels[:self.samples]))


def compare(graph, x: np.ndarray, raw: bytes, index: int, ref: dict | None = None
            ) -> tuple[list[Mismatch], list[np.ndarray]]:
    """Device outputs vs the reference (`ref`: its values, computed here when None) for one input."""
    ref = run(graph, x) if ref is None else ref
    got = split_outputs(graph, raw)
    bad = [Mismatch(index, name, first_difference(ref[name], g))
           for name, g in zip(graph.outputs, got) if not np.array_equal(ref[name], g)]
    return bad, got


def run_samples(dev: Device, graph, inputs: np.ndarray, labels: np.ndarray | None = None,
                progress: bool = False, timeout: float | None = None) -> SampleRun:
    """Each input through `tg run` (binary upload, one round trip), checked against the reference."""
    result = SampleRun(labels=labels)
    iterator = range(len(inputs))
    if progress:
        from tqdm import tqdm

        iterator = tqdm(iterator, desc="inferences", unit="inf", leave=False)
    dynamic = is_dynamic(graph)
    for i in iterator:
        x = np.ascontiguousarray(inputs[i], dtype=np.int8)
        raw, count = dev.run(x.tobytes(), timeout=timeout)
        values = run(graph, x, keep_all=dynamic)
        bad, got = compare(graph, x, raw, i, values)
        if dynamic:             # every exit and gate decision must be the reference's too
            want, (exit_, kept) = trace(graph, values), dev.dynamic()
            result.dynamic.append({"exit": exit_, "kept": kept})
            if (exit_, tuple(kept)) != (want.exit, want.kept):
                bad.append(Mismatch(i, "dynamic", f"device exit {exit_}, gates kept {kept}; "
                                                  f"reference exit {want.exit}, gates kept {list(want.kept)}"))
        result.mismatches += bad
        result.counts.append(count)
        result.predictions.append(int(np.argmax(got[0].reshape(-1))))
    return result


def profile_layers(dev: Device, graph, x: np.ndarray, timeout: float | None = None) -> tuple[list[Layer], int]:
    """`tg layers` on one input: per-layer counts and the total; the outputs are
    checked against the reference too."""
    x = np.ascontiguousarray(x, dtype=np.int8)
    dev.upload(x.tobytes())
    layers, raw, total = dev.layers(timeout=timeout)
    bad, _ = compare(graph, x, raw, 0)
    if bad:
        raise AssertionError(f"`tg layers` outputs differ from the reference: {bad[0].detail}")
    return layers, total


__all__ = ["Mismatch", "SampleRun", "compare", "first_difference", "as_millis", "load_inputs", "profile_layers", "result_millis",
           "run_samples", "sample_inputs", "split_outputs"]
