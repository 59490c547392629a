"""The MLPerf Tiny runner's data set for a tinygen build, written from an .npz of float
inputs and labels (x, y: what `tinygen hil --data` takes), so no one writes it by hand.

    tinygen mlperf dataset --project build/kws --data test.npz --out datasets

The runner (benchmark/runner: main.py, datasets.py, script.py) reads DATASETS/<folder>/
y_labels.csv, a CSV without a header whose columns are file, classes, class, bytes_to_send,
stride (csv.DictReader with those field names), opens each `file` in that folder and sends
its bytes as they are (`db load N`, then `db HEX` lines), which tinygen's firmware copies
into the model's input buffer: the int8 input(s) in the graph's layout, back to back. So
each sample is quantized here exactly as `tinygen hil` quantizes it, with the scale and
zero point of the built project's inputs (tinygen.json), after the same layout change
(NCHW -> NHWC for a PyTorch model). `classes` is the number of values the model outputs
(the runner does not read it); bytes_to_send and stride are the file's size, which the
runner reads only for ad01 (one segment per file). <folder> is the model id (profile%'s
m-model-[ID]), or the folder the runner's test script names for that id.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from tinygen.build.output import MANIFEST
from tinygen.errors import UsageError
from tinygen.frontend import nchw_to_ir
from tinygen.hil.session import _load_array, input_bytes

TRUTH_FILE = "y_labels.csv"
TRUTH_FIELDS = ("file", "classes", "class", "bytes_to_send", "stride")     # datasets.py's fieldnames


def read_manifest(project: str | Path) -> dict:
    path = Path(project) / MANIFEST
    if not path.is_file():
        raise UsageError(f"{project} has no {MANIFEST}: not a folder tinygen build or flash wrote",
                         "give the -o folder of `tinygen build MODEL --board B -o DIR` (the firmware the runner "
                         "talks to)")
    return json.loads(path.read_text())


def quantized_samples(data: str | Path, manifest: dict) -> tuple[list[bytes], np.ndarray]:
    """The samples of `data` as the device takes them (bytes) and their class labels."""
    arrays = _load_array(Path(data), "data")
    inputs = manifest["inputs"]
    keys = ["x"] if len(inputs) == 1 else [f"x{k}" for k in range(len(inputs))]
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise UsageError(f"{data} has no array {', '.join(missing)} (it has {', '.join(arrays) or 'none'})",
                         f"save the float inputs and labels: numpy.savez(FILE, {', '.join(f'{k}=...' for k in keys)}, "
                         f"y=labels)")
    if "y" not in arrays:
        raise UsageError(f"{data} has no labels (array y)", "the runner's y_labels.csv needs a class per input: "
                                                             "save y with the inputs")
    per_input = []
    for key, port in zip(keys, inputs):
        x = np.asarray(arrays[key])
        if not np.issubdtype(x.dtype, np.floating) or not np.isfinite(x).all():
            raise UsageError(f"{data}: {key} must be finite floats in the model's input units",
                             "pass the float inputs you would give the PyTorch / TFLite model")
        graph_x = nchw_to_ir(x) if manifest.get("source_layout") == "NCHW" else x.astype(np.float32)
        if tuple(graph_x.shape[1:]) != tuple(port["shape"][1:]):
            raise UsageError(f"{data}: {key} has samples of shape {list(x.shape[1:])}, the model's input "
                             f"{port['name']} takes {port['shape'][1:]} ({manifest.get('source_layout', 'NHWC')} "
                             f"in the model's own layout)", "give an array [N, ...] of one sample per row")
        per_input.append(_quantize(graph_x, port))
    y = np.asarray(arrays["y"])
    y = y.argmax(axis=-1) if y.ndim == 2 else y.reshape(len(y))
    if len(y) != len(per_input[0]) or any(len(q) != len(y) for q in per_input):
        raise UsageError(f"{data} has {len(y)} labels for " + ", ".join(f"{len(q)} samples" for q in per_input),
                         "give one label per sample")
    if not np.issubdtype(y.dtype, np.integer) and not np.array_equal(y, np.round(y)):
        raise UsageError(f"{data}: y must be class numbers (integers)", "save the class index of each sample")
    samples = [input_bytes(tuple(q[i] for q in per_input)) for i in range(len(y))]
    return samples, y.astype(np.int64)


def _quantize(x: np.ndarray, port: dict) -> np.ndarray:
    """As tinygen.ref.interpreter.quantize_input, from the manifest's scale and zero point."""
    scaled = np.asarray(x, dtype=np.float64) / np.float64(port["scale"])
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) + int(port["zero_point"])
    return np.clip(rounded, -128, 127).astype(np.int8)


def write_dataset(project: str | Path, data: str | Path, out: str | Path, folder: str | None = None) -> Path:
    """DATASETS/<folder>/y_labels.csv and one .bin per sample; returns the folder written.
    Refuses a folder that exists and is not empty (it is someone's data set)."""
    manifest = read_manifest(project)
    samples, labels = quantized_samples(data, manifest)
    dest = Path(out) / (folder or manifest["model_id"])
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UsageError(f"{dest} already exists and is not empty", "give --out a new or empty folder")
    classes = sum(int(np.prod(p["shape"][1:])) for p in manifest["outputs"])
    dest.mkdir(parents=True, exist_ok=True)
    with open(dest / TRUTH_FILE, "w", newline="") as f:
        rows = csv.writer(f)
        for i, (sample, label) in enumerate(zip(samples, labels)):
            name = f"sample{i:05d}.bin"
            (dest / name).write_bytes(sample)
            rows.writerow([name, classes, int(label), len(sample), len(sample)])
    return dest


def read_dataset(folder: str | Path) -> list[dict]:
    """The rows of y_labels.csv as the runner's datasets.py reads them, each with its file's bytes."""
    folder = Path(folder)
    with open(folder / TRUTH_FILE, newline="") as f:
        rows = list(csv.DictReader(f, fieldnames=list(TRUTH_FIELDS)))
    return [{**r, "data": (folder / r["file"]).read_bytes()} for r in rows]
