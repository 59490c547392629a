"""Seeded mutants of shipped models for the fuzz test (tests/cli/test_fuzz.py): three MLPerf Tiny
.tflite files (examples/mlperf-tiny/) and a quantized QDQ .onnx (tests/data/fuzz/kws_qdq.onnx).

A seed picks the model (seed % 4), the kind of mutation (seed // 4, round robin over the
format's kinds) and, through random.Random(seed), what it changes; the same seed always gives
the same bytes and the same description:

    name, kind, data, what = mutant(5)
    # ('ad_autoencoder', 'scale', b'...', 'tensor 19 scale[0] at byte 274408: 0.007049884181469679 -> 1e-30')

Structured mutations edit one field where it lies in the file: a .tflite flatbuffer field in
place (tensor shapes, types, buffer indices, scales, zero points, quantized dimensions, operator
code indices, operator and subgraph tensor indices, builtin codes, option fields, offsets and
vector lengths made huge or short; a kind whose field the file lacks, such as a per-tensor
model's quantized_dimension, is a bit flip instead), an .onnx protobuf through the onnx
package (initializer dims and raw data, scale values, zero point types, op types, node inputs,
attributes, input shapes, port names, opsets, nodes and initializers removed). Raw mutations
flip bits, truncate the file or overwrite a word.
"""

from __future__ import annotations

import math
import random
import struct
from pathlib import Path

import onnx
from onnx import TensorProto, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
MODELS = {
    "kws_dscnn": ROOT / "examples" / "mlperf-tiny" / "kws_dscnn_int8.tflite",
    "ad_autoencoder": ROOT / "examples" / "mlperf-tiny" / "ad_autoencoder_int8.tflite",
    "ic_resnet8": ROOT / "examples" / "mlperf-tiny" / "ic_resnet8_int8.tflite",
    "kws_qdq": ROOT / "tests" / "data" / "fuzz" / "kws_qdq.onnx",
}
NAMES = tuple(MODELS)

SHAPE_VALUES = (0, -1, 1, 3, 1 << 16, (1 << 31) - 1, -(1 << 31))
SCALE_VALUES = (0.0, -1.0, math.nan, math.inf, 1e-45, 1e-30, 1e30, 3.4e38)
ZERO_POINT_VALUES = (-129, 128, 255, -128, 127, 1 << 40, -(1 << 63), 1 << 31)
HUGE_U32 = (0x7FFFFFFF, 0xFFFFFFFF, 0x80000000, 0xFFFFFFF0)


def _pick_value(rng: random.Random, edges, old):
    """An edge value, or the old one scaled or stepped (a plausible-looking wrong value)."""
    if rng.random() < 0.7 or not isinstance(old, (int, float)):
        return rng.choice(edges)
    return rng.choice((old * 2, old + 1, old - 1, old * 1000, -old))


# ---------------------------------------------------------------- .tflite (flatbuffer, in place)

class Tab:
    """A flatbuffer table at `pos` of `buf`: where its fields lie (positions, not values)."""

    def __init__(self, buf: bytes, pos: int):
        self.buf, self.pos = buf, pos

    def _u(self, fmt: str, pos: int) -> int:
        return struct.unpack_from(fmt, self.buf, pos)[0]

    def field(self, vt: int) -> int | None:
        """The position of field `vt` (its vtable offset: 4, 6, ...), None if absent."""
        vtable = self.pos - self._u("<i", self.pos)
        if vt >= self._u("<H", vtable):
            return None
        o = self._u("<H", vtable + vt)
        return self.pos + o if o else None

    def fields(self) -> list[int]:
        """Positions of every field present (an options table's, whatever its type)."""
        vtable = self.pos - self._u("<i", self.pos)
        return [p for vt in range(4, self._u("<H", vtable), 2) if (p := self.field(vt)) is not None]

    def ref(self, vt: int) -> int | None:
        p = self.field(vt)
        return None if p is None else p + self._u("<I", p)

    def table(self, vt: int) -> Tab | None:
        p = self.ref(vt)
        return None if p is None else Tab(self.buf, p)

    def vector(self, vt: int) -> tuple[int, int]:
        """(start of the elements, count); (0, 0) if absent."""
        p = self.ref(vt)
        return (0, 0) if p is None else (p + 4, self._u("<I", p))

    def tables(self, vt: int) -> list[Tab]:
        start, n = self.vector(vt)
        return [Tab(self.buf, start + 4 * i + self._u("<I", start + 4 * i)) for i in range(n)]


# schema.fbs vtable offsets
MODEL_OPCODES, MODEL_SUBGRAPHS, MODEL_BUFFERS = 6, 8, 12
SUB_TENSORS, SUB_INPUTS, SUB_OUTPUTS, SUB_OPERATORS = 4, 6, 8, 10
TENSOR_SHAPE, TENSOR_TYPE, TENSOR_BUFFER, TENSOR_QUANT = 4, 6, 8, 12
QUANT_SCALE, QUANT_ZERO_POINT, QUANT_DIM = 8, 10, 16
OP_OPCODE, OP_INPUTS, OP_OUTPUTS, OP_OPTIONS = 4, 6, 8, 12
CODE_DEPRECATED, CODE_BUILTIN = 4, 10
BUFFER_DATA = 4


def _sites(buf: bytes, kind: str) -> list[tuple[int, str, str]]:
    """(position, struct format, description) of every field a structured mutation of `kind`
    may change."""
    model = Tab(buf, struct.unpack_from("<I", buf, 0)[0])
    sub = model.tables(MODEL_SUBGRAPHS)[0]
    tensors, ops = sub.tables(SUB_TENSORS), sub.tables(SUB_OPERATORS)
    out = []

    def elements(tab, vt, fmt, what):
        start, n = tab.vector(vt)
        size = struct.calcsize(fmt)
        out.extend((start + size * i, fmt, f"{what}[{i}]") for i in range(n))

    def scalar(tab, vt, fmt, what):
        if (p := tab.field(vt)) is not None:
            out.append((p, fmt, what))

    for i, t in enumerate(tensors):
        q = t.table(TENSOR_QUANT)
        if kind == "shape":
            elements(t, TENSOR_SHAPE, "<i", f"tensor {i} shape")
        elif kind == "tensor_type":
            scalar(t, TENSOR_TYPE, "<b", f"tensor {i} type")
        elif kind == "tensor_buffer":
            scalar(t, TENSOR_BUFFER, "<I", f"tensor {i} buffer")
        elif kind == "scale" and q:
            elements(q, QUANT_SCALE, "<f", f"tensor {i} scale")
        elif kind == "zero_point" and q:
            elements(q, QUANT_ZERO_POINT, "<q", f"tensor {i} zero_point")
        elif kind == "quant_dim" and q:
            scalar(q, QUANT_DIM, "<i", f"tensor {i} quantized_dimension")
        elif kind == "offset":
            for vt, what in ((TENSOR_SHAPE, "shape"), (TENSOR_QUANT, "quantization")):
                scalar(t, vt, "<I", f"tensor {i} {what} offset")
        elif kind == "length":
            p = t.ref(TENSOR_SHAPE)
            if p is not None:
                out.append((p, "<I", f"tensor {i} shape length"))
    for i, op in enumerate(ops):
        if kind == "opcode_index":
            scalar(op, OP_OPCODE, "<I", f"operator {i} opcode_index")
        elif kind == "op_tensor":
            elements(op, OP_INPUTS, "<i", f"operator {i} inputs")
            elements(op, OP_OUTPUTS, "<i", f"operator {i} outputs")
        elif kind == "option" and (options := op.table(OP_OPTIONS)):
            out.extend((p, "<B", f"operator {i} options field at +{p - options.pos}") for p in options.fields())
        elif kind == "offset":
            scalar(op, OP_INPUTS, "<I", f"operator {i} inputs offset")
        elif kind == "length":
            p = op.ref(OP_INPUTS)
            if p is not None:
                out.append((p, "<I", f"operator {i} inputs length"))
    if kind == "graph_io":
        elements(sub, SUB_INPUTS, "<i", "subgraph inputs")
        elements(sub, SUB_OUTPUTS, "<i", "subgraph outputs")
    if kind == "builtin_code":
        for i, code in enumerate(model.tables(MODEL_OPCODES)):
            scalar(code, CODE_BUILTIN, "<i", f"operator_code {i} builtin_code")
            scalar(code, CODE_DEPRECATED, "<b", f"operator_code {i} deprecated_builtin_code")
    for i, b in enumerate(model.tables(MODEL_BUFFERS)):
        p = b.ref(BUFFER_DATA)
        if p is not None and kind == "buffer_length":
            out.append((p, "<I", f"buffer {i} data length"))
        elif p is not None and kind == "offset":
            scalar(b, BUFFER_DATA, "<I", f"buffer {i} data offset")
    if kind in ("offset", "length"):
        for vt, what in ((MODEL_OPCODES, "operator_codes"), (MODEL_SUBGRAPHS, "subgraphs"),
                         (MODEL_BUFFERS, "buffers")):
            scalar(model, vt, "<I", f"model {what} offset")
            if kind == "length" and (p := model.ref(vt)) is not None:
                out.append((p, "<I", f"model {what} length"))
    return out


def _tflite_value(rng: random.Random, kind: str, old, buf: bytes, counts: dict):
    if kind == "shape":
        return _pick_value(rng, SHAPE_VALUES, old)
    if kind == "scale":
        return _pick_value(rng, SCALE_VALUES, old)
    if kind == "zero_point":
        return _pick_value(rng, ZERO_POINT_VALUES, old)
    if kind == "quant_dim":
        return rng.choice((-1, 1, 2, 3, 4, 100))
    if kind == "tensor_type":
        return rng.choice((0, 1, 2, 3, 4, 7, 9, 10, 16, 17, 100, -1))
    if kind in ("tensor_buffer", "opcode_index", "op_tensor", "graph_io"):
        n = counts[kind]
        return rng.choice((n, n + 1, 0x7FFFFFFF, rng.randrange(n), rng.randrange(n), -1 if kind != "opcode_index" else 0))
    if kind == "builtin_code":
        return rng.choice((0, 3, 9, 22, 32, 40, 102, 127, 200, 255)) if old < 128 else rng.randrange(256)
    if kind == "option":
        return rng.choice((0, 1, 2, 3, 7, 100, 255))
    if kind == "offset":
        return rng.choice(HUGE_U32 + (len(buf), 0))
    return rng.choice(HUGE_U32 + (old + 1, old * 2 + 7, 0 if old else 1))     # lengths


def _clamp(fmt: str, value):
    if fmt == "<f":
        return float(value)
    bits = struct.calcsize(fmt) * 8
    value = int(value) & ((1 << bits) - 1)
    signed = fmt[1].islower()
    return value - (1 << bits) if signed and value >= 1 << (bits - 1) else value


def _tflite_counts(buf: bytes) -> dict:
    model = Tab(buf, struct.unpack_from("<I", buf, 0)[0])
    sub = model.tables(MODEL_SUBGRAPHS)[0]
    tensors = sub.vector(SUB_TENSORS)[1]
    return {"tensor_buffer": model.vector(MODEL_BUFFERS)[1], "opcode_index": model.vector(MODEL_OPCODES)[1],
            "op_tensor": tensors, "graph_io": tensors}


def mutate_tflite(buf: bytes, kind: str, rng: random.Random) -> tuple[bytes, str]:
    pos, fmt, what = rng.choice(_sites(buf, kind))
    old = struct.unpack_from(fmt, buf, pos)[0]
    new = old
    for _ in range(8):                  # a value that differs (nan differs from itself: taken)
        new = _clamp(fmt, _tflite_value(rng, kind, old, buf, _tflite_counts(buf)))
        if new != old:
            break
    out = bytearray(buf)
    struct.pack_into(fmt, out, pos, new)
    return bytes(out), f"{what} at byte {pos}: {old!r} -> {new!r}"


TFLITE_KINDS = ("shape", "scale", "zero_point", "quant_dim", "tensor_type", "tensor_buffer", "opcode_index",
                "op_tensor", "graph_io", "builtin_code", "option", "offset", "length", "buffer_length")


# ---------------------------------------------------------------- .onnx (protobuf, through onnx)

def _initializer(model, rng, suffix: str):
    """A random initializer whose name ends with `suffix` ('' for any)."""
    return rng.choice([t for t in model.graph.initializer if t.name.endswith(suffix)])


def _set_values(tensor, values) -> None:
    arr = numpy_helper.to_array(tensor).copy()
    flat = arr.reshape(-1)
    for i, v in values:
        flat[i] = v
    tensor.CopyFrom(numpy_helper.from_array(arr, tensor.name))


def _onnx_mutation(model, kind: str, rng: random.Random) -> str:
    g = model.graph
    if kind == "init_dims":
        t = _initializer(model, rng, "")
        if not t.dims:
            t.dims.append(rng.choice((0, 2, 1 << 20)))
            return f"initializer {t.name} dims [] -> {list(t.dims)}"
        i = rng.randrange(len(t.dims))
        old, t.dims[i] = t.dims[i], _pick_value(rng, (0, 1, 2, 1 << 20, (1 << 40)), t.dims[i])
        return f"initializer {t.name} dims[{i}]: {old} -> {t.dims[i]}"
    if kind == "scale":
        t = _initializer(model, rng, "_scale")
        arr = numpy_helper.to_array(t)
        i = rng.randrange(max(arr.size, 1))
        new = _pick_value(rng, SCALE_VALUES, float(arr.reshape(-1)[i]))
        _set_values(t, [(i, new)])
        return f"initializer {t.name}[{i}]: {float(arr.reshape(-1)[i])!r} -> {new!r}"
    if kind == "zero_point":
        t = _initializer(model, rng, "_zero_point")
        old_type = t.data_type
        t.data_type = rng.choice((TensorProto.INT8, TensorProto.UINT8, TensorProto.INT32, TensorProto.INT16,
                                  TensorProto.FLOAT, TensorProto.UINT16))
        return f"initializer {t.name} data_type: {old_type} -> {t.data_type}"
    if kind == "weights":
        t = _initializer(model, rng, "_quantized")
        raw = bytearray(t.raw_data)
        cut = rng.choice((0, 1, len(raw) // 2, len(raw) - 1, len(raw) + 3))
        t.raw_data = bytes(raw[:cut]) if cut <= len(raw) else bytes(raw) + b"\x7f" * (cut - len(raw))
        return f"initializer {t.name} raw_data: {len(raw)} -> {len(t.raw_data)} bytes"
    if kind == "op_type":
        n = rng.choice(g.node)
        old, n.op_type = n.op_type, rng.choice(("Conv", "Gemm", "Relu", "QuantizeLinear", "DequantizeLinear",
                                                "MatMul", "Add", "Flatten", "Softmax", "NoSuchOp", ""))
        return f"node {n.name or n.output[0]} op_type: {old} -> {n.op_type}"
    if kind == "node_input":
        n = rng.choice([n for n in g.node if n.input])
        i = rng.randrange(len(n.input))
        names = [t.name for t in g.initializer] + [o for m in g.node for o in m.output] + ["", "missing"]
        action = rng.choice(("rename", "rename", "drop", "add"))
        if action == "drop":
            old = n.input.pop(i)
            return f"node {n.name or n.output[0]} input {i} {old!r} removed"
        if action == "add":
            n.input.append(rng.choice(names))
            return f"node {n.name or n.output[0]} input {n.input[-1]!r} added"
        old, n.input[i] = n.input[i], rng.choice(names)
        return f"node {n.name or n.output[0]} input {i}: {old!r} -> {n.input[i]!r}"
    if kind == "attribute":
        n = rng.choice(g.node)
        name = rng.choice(("axis", "group", "strides", "pads", "kernel_shape", "dilations", "transB", "alpha"))
        value = rng.choice((0, -1, 5, -7, 1 << 20, [0, 0], [1, 2, 3], [-1, 1, -1, 1], [1 << 30, 1]))
        kept = [a for a in n.attribute if a.name != name]
        del n.attribute[:]
        n.attribute.extend(kept)
        n.attribute.append(onnx.helper.make_attribute(name, value))
        return f"node {n.name or n.output[0]} attribute {name} = {value!r}"
    if kind == "input_shape":
        v = rng.choice(list(g.input) + list(g.output))
        dims = v.type.tensor_type.shape.dim
        i = rng.randrange(len(dims))
        new = rng.choice(SHAPE_VALUES[:6] + ("N",))
        dims[i].Clear()
        if isinstance(new, str):
            dims[i].dim_param = new
        else:
            dims[i].dim_value = new
        return f"value {v.name} shape[{i}] -> {new!r}"
    if kind == "graph_io":
        v = rng.choice(list(g.input) + list(g.output))
        old = v.name
        v.name = rng.choice(("missing", g.node[0].output[0], g.initializer[0].name, ""))
        return f"graph port {old!r} renamed {v.name!r}"
    if kind == "opset":
        old = model.opset_import[0].version
        model.opset_import[0].version = rng.choice((1, 7, 10, 12, 19, 21, 30, 1000))
        return f"opset {old} -> {model.opset_import[0].version}"
    if kind == "drop_node":
        i = rng.randrange(len(g.node))
        n = g.node[i]
        what = f"node {i} ({n.op_type} -> {n.output[0]}) removed"
        del g.node[i]
        return what
    if kind == "drop_initializer":
        i = rng.randrange(len(g.initializer))
        what = f"initializer {g.initializer[i].name} removed"
        del g.initializer[i]
        return what
    raise ValueError(kind)


def mutate_onnx(data: bytes, kind: str, rng: random.Random) -> tuple[bytes, str]:
    model = onnx.load_model_from_string(data)
    what = _onnx_mutation(model, kind, rng)
    return model.SerializeToString(), what


ONNX_KINDS = ("init_dims", "scale", "zero_point", "weights", "op_type", "node_input", "attribute", "input_shape",
              "graph_io", "opset", "drop_node", "drop_initializer")


# ---------------------------------------------------------------- raw bytes (either format)

def mutate_raw(data: bytes, kind: str, rng: random.Random) -> tuple[bytes, str]:
    out = bytearray(data)
    if kind == "bitflip":
        bits = sorted(rng.randrange(len(data) * 8) for _ in range(rng.choice((1, 1, 2, 4, 8))))
        for b in bits:
            out[b // 8] ^= 1 << (b % 8)
        return bytes(out), f"bits {bits} flipped"
    if kind == "truncate":
        n = rng.choice((0, 3, 7, 16, rng.randrange(len(data)), rng.randrange(len(data)), len(data) - 1))
        return bytes(out[:n]), f"truncated to {n} of {len(data)} bytes"
    pos = rng.randrange(0, len(data) - 4) & ~3
    value = rng.choice(HUGE_U32 + (0,))
    struct.pack_into("<I", out, pos, value)
    return bytes(out), f"word at byte {pos} -> {value:#x}"


RAW_KINDS = ("bitflip", "truncate", "word")
KINDS = {"tflite": TFLITE_KINDS + RAW_KINDS, "onnx": ONNX_KINDS + RAW_KINDS}


def suffix(name: str) -> str:
    return MODELS[name].suffix


def mutant(seed: int) -> tuple[str, str, bytes, str]:
    """(model name, mutation kind, mutated file, what changed) for `seed`."""
    name = NAMES[seed % len(NAMES)]
    form = suffix(name)[1:]
    kinds = KINDS[form]
    kind = kinds[(seed // len(NAMES)) % len(kinds)]
    rng = random.Random(seed)
    data = MODELS[name].read_bytes()
    if form == "tflite" and kind in TFLITE_KINDS and not _sites(data, kind):
        kind = "bitflip"                # the field is absent in this file (a per-tensor model's quantized_dimension)
    if kind in RAW_KINDS:
        data, what = mutate_raw(data, kind, rng)
    elif form == "tflite":
        data, what = mutate_tflite(data, kind, rng)
    else:
        data, what = mutate_onnx(data, kind, rng)
    return name, kind, data, what
