"""TFLite Micro's compressed models, made in the test: an int8 .tflite's weights clustered to a
few values per tensor or per quantization channel (its buffers rewritten in place, so that the
file is the same model with clustered weights), then compressed by TFLM's own compressor
(`tflite_micro`'s compression package, its spec API) with LUT tables along the weights'
quantization channels, where TFLM's DECODE takes them."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest
import tflite
from tflite.BuiltinOperator import BuiltinOperator

compression = pytest.importorskip("tflite_micro.tensorflow.lite.micro.compression")
from tflite_micro.tensorflow.lite.micro.compression import model_editor, spec  # noqa: E402

# the weight input of each operator with weights, and its output-channel axis
WEIGHT_AXIS = {BuiltinOperator.CONV_2D: 0, BuiltinOperator.DEPTHWISE_CONV_2D: 3, BuiltinOperator.FULLY_CONNECTED: 0}
KMEANS_ROUNDS = 8


def _builtin(model, op) -> int:
    code = model.OperatorCodes(op.OpcodeIndex())
    o = code._tab.Offset(10)
    raw = code._tab.Get(tflite.flatbuffers.number_types.Int32Flags, o + code._tab.Pos) if o else 0
    return max(raw, code.DeprecatedBuiltinCode())


def weight_tensors(data: bytes) -> dict[int, int | None]:
    """The int8 weight tensors of the model's first subgraph: tensor index -> the axis of its
    quantization channels (None where it is quantized per tensor), the axis TFLM's DECODE takes
    LUT tables along."""
    model = tflite.Model.GetRootAsModel(data, 0)
    sg = model.Subgraphs(0)
    found = {}
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        axis = WEIGHT_AXIS.get(_builtin(model, op))
        if axis is not None:
            q = sg.Tensors(int(op.Inputs(1))).Quantization()
            found[int(op.Inputs(1))] = axis if q.ScaleLength() > 1 else None
    return found


def cluster_values(w: np.ndarray, count: int) -> np.ndarray:
    """`w` (int8) with at most `count` distinct values: 1-D k-means, centres started at the
    quantiles and rounded to int8, each weight replaced by its nearest centre."""
    flat = w.reshape(-1).astype(np.float64)
    if np.unique(flat).size <= count:
        return w.copy()
    centres = np.quantile(flat, (np.arange(count) + 0.5) / count)
    for _ in range(KMEANS_ROUNDS):
        nearest = np.abs(flat[:, None] - centres[None, :]).argmin(axis=1)
        for k in range(count):
            if np.any(nearest == k):
                centres[k] = flat[nearest == k].mean()
    centres = np.unique(np.clip(np.rint(centres), -128, 127))
    nearest = np.abs(flat[:, None] - centres[None, :]).argmin(axis=1)
    return centres[nearest].astype(np.int8).reshape(w.shape)


def clustered(data: bytes, count: int, per_channel: bool) -> bytes:
    """The model with every weight tensor clustered to `count` values (per quantization channel
    where it is quantized per channel, or per tensor), written into its own buffers: the same
    file otherwise, byte for byte."""
    out = bytearray(data)
    model = tflite.Model.GetRootAsModel(data, 0)
    sg = model.Subgraphs(0)
    for index, axis in weight_tensors(data).items():
        t = sg.Tensors(index)
        buf = model.Buffers(t.Buffer())
        start = buf._tab.Vector(buf._tab.Offset(4))
        w = np.frombuffer(data, np.int8, buf.DataLength(), start).reshape(tuple(t.ShapeAsNumpy()))
        if per_channel and axis is not None:
            new = np.moveaxis(np.stack([cluster_values(s, count) for s in np.moveaxis(w, axis, 0)]), 0, axis)
        else:
            new = cluster_values(w, count)
        out[start:start + w.size] = new.tobytes()
    return bytes(out)


def with_builtin_codes(data: bytes) -> bytes:
    """The model with every operator code's builtin_code field set (from the deprecated one).
    TFLM's model editor reads builtin_code alone: on a file from an older converter, which left
    it 0 (ADD), the compressor would write every operator as one and the same code (the MLPerf
    models are such files)."""
    model = model_editor.read(data)
    for code in model.operator_codes:
        code.builtin_code = max(code.builtin_code, code._fb.deprecatedBuiltinCode)
    for sg in model.subgraphs:
        for op in sg.operators:
            op.opcode = model.operator_codes[op.opcode_index].builtin_code
    return bytes(model.build())


def tflm_compressed(data: bytes, bits: int, axes: dict[int, int | None] | None = None) -> bytes:
    """TFLM's compressor on the model's weight tensors: LUT with `bits`-bit indices, the tables
    along `axes` (tensor index -> axis, None for one table; by default weight_tensors: as TFLM's
    DECODE reads them)."""
    axes = weight_tensors(data) if axes is None else axes
    specs = [spec.Tensor(0, index, [spec.LookUpTableCompression(
        bits, spec.PerTensor() if axis is None else spec.PerChannel(axis))]) for index, axis in axes.items()]
    return compressed(data, specs)


def compressed(data: bytes, specs: list) -> bytes:
    """TFLM's compressor on the model (its operator codes set first: with_builtin_codes), its
    warnings silenced: it warns where a tensor's tables outweigh the tensor (a depthwise filter's
    nine weights per channel) and where it could have used fewer index bits."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore", UserWarning)
        return bytes(compression.compress(with_builtin_codes(data), specs))
