"""Build small int8 .tflite models in memory, with no TensorFlow install.

The flatbuffer is written with the `flatbuffers` package through the builder
functions the `tflite` package generates from TFLite's schema (ModelStart,
TensorStart, ...): schema version 3, file identifier "TFL3", buffer 0 empty,
one buffer per constant tensor (data aligned to 16 bytes), activations on
buffer 0.

    b = ModelBuilder()
    x = b.tensor("x", [1, 4, 4, 8], scale=0.05, zero_point=-3)
    y = b.tensor("y", [1, 4, 4, 8], scale=0.02, zero_point=10)
    b.op("HARD_SWISH", [x], [y])
    data = b.finish(inputs=[x], outputs=[y])

Options tables are named as in the schema: ``b.op("MUL", [a, c], [y],
options="MulOptions", FusedActivationFunction=ActivationFunctionType.RELU)``
calls MulOptionsStart / MulOptionsAddFusedActivationFunction / MulOptionsEnd.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import flatbuffers
import numpy as np
from flatbuffers import flexbuffers
import tflite
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions
from tflite.TensorType import TensorType

SCHEMA_VERSION = 3
FILE_IDENTIFIER = b"TFL3"
BUFFER_ALIGNMENT = 16

_NUMPY_TYPES = {TensorType.INT8: np.int8, TensorType.INT32: np.int32, TensorType.FLOAT32: np.float32,
                TensorType.INT16: np.int16, TensorType.INT64: np.int64, TensorType.UINT8: np.uint8,
                TensorType.UINT16: np.uint16, TensorType.UINT32: np.uint32, TensorType.UINT64: np.uint64,
                TensorType.BOOL: np.bool_}
_TYPES = {"int8": TensorType.INT8, "int32": TensorType.INT32, "float32": TensorType.FLOAT32,
          "int16": TensorType.INT16, "int64": TensorType.INT64, "uint8": TensorType.UINT8,
          "uint16": TensorType.UINT16, "uint32": TensorType.UINT32, "uint64": TensorType.UINT64,
          "bool": TensorType.BOOL, "resource": TensorType.RESOURCE}


@dataclass
class _Tensor:
    name: str
    shape: list[int]
    ttype: int
    scale: list[float] | None
    zero_point: list[int] | None
    axis: int
    buffer: int
    variable: bool = False


@dataclass
class _Op:
    code: int
    inputs: list[int]
    outputs: list[int]
    options: str | None
    fields: dict = field(default_factory=dict)
    intermediates: list[int] = field(default_factory=list)
    custom: str | None = None
    custom_options: bytes = b""


class ModelBuilder:
    def __init__(self, description: str = "tinygen test model"):
        self.description = description
        self.tensors: list[_Tensor] = []
        self.buffers: list[bytes] = [b""]         # buffer 0: the empty buffer
        self.ops: list[_Op] = []
        self.codes: list[tuple[int, str | None]] = []     # (builtin code, custom op name)
        self.subgraphs: list[ModelBuilder] = []          # the further subgraphs (1, 2, ...: subgraph())
        self.ports: tuple[list[int], list[int]] = ([], [])     # a further subgraph's inputs and outputs

    def subgraph(self, inputs=(), outputs=()) -> ModelBuilder:
        """A further subgraph of the model (index 1, 2, ... in the order made: a CALL_ONCE's init
        subgraph, an IF's branches): a builder of its own tensors and operators, sharing this one's
        buffers and operator codes; `inputs` / `outputs` (its tensor indices) may be set later in
        its `ports`."""
        child = ModelBuilder(self.description)
        child.buffers, child.codes, child.ports = self.buffers, self.codes, (list(inputs), list(outputs))
        self.subgraphs.append(child)
        return child

    def tensor(self, name: str, shape, dtype: str = "int8", scale=None, zero_point=None,
               data: np.ndarray | None = None, axis: int = 0, variable: bool = False) -> int:
        """Add a tensor; with `data` it is a constant. scale/zero_point: a number or a list
        (per channel along `axis`). variable: a variable tensor (a recurrent layer's state, which
        the interpreter keeps between invocations). Returns its index."""
        ttype = _TYPES[dtype]
        buffer = 0
        if data is not None:
            arr = np.ascontiguousarray(np.asarray(data, dtype=_NUMPY_TYPES[ttype]).reshape(shape))
            self.buffers.append(arr.astype(arr.dtype.newbyteorder("<")).tobytes())
            buffer = len(self.buffers) - 1
        scales = None if scale is None else [float(s) for s in np.atleast_1d(scale)]
        zps = None if scale is None else [int(z) for z in np.atleast_1d(0 if zero_point is None else zero_point)]
        self.tensors.append(_Tensor(name, [int(d) for d in shape], ttype, scales, zps, axis, buffer, variable))
        return len(self.tensors) - 1

    def op(self, name: str, inputs, outputs, options: str | None = None, intermediates=(),
           custom_options: dict | bytes | None = None, **fields) -> None:
        """Add an operator by its BuiltinOperator name ("MUL"), or "CUSTOM:name" for a custom
        operator; -1 in inputs is an absent input; intermediates: the operator's intermediate
        tensors (the LSTM's gate scales); custom_options: a custom operator's options, a dict
        written as a flexbuffer map (as TFLite Micro's signal library reads them) or raw bytes."""
        custom = name.partition(":")[2] if name.startswith("CUSTOM:") else None
        code = BuiltinOperator.CUSTOM if custom is not None else getattr(BuiltinOperator, name)
        if (code, custom) not in self.codes:
            self.codes.append((code, custom))
        raw = flexbuffers.Dumps(custom_options) if isinstance(custom_options, dict) else (custom_options or b"")
        self.ops.append(_Op(code, list(inputs), list(outputs), options, fields, list(intermediates), custom, raw))

    # -- serialization ---------------------------------------------------------
    def finish(self, inputs, outputs, signature: str | None = None) -> bytes:
        """The model's bytes; `signature`: also a SignatureDef of that key over the main subgraph's
        ports, named by their tensors (as converters write it, and tools such as ai-edge-quantizer
        need)."""
        b = flatbuffers.Builder(1024)
        buffers = [self._buffer(b, data) for data in self.buffers]
        sigs = [self._signature(b, signature, inputs, outputs)] if signature is not None else []
        subgraphs = [self._subgraph(b, "main", inputs, outputs)]
        subgraphs += [child._subgraph(b, f"subgraph_{k + 1}", *child.ports) for k, child in enumerate(self.subgraphs)]
        codes = [self._opcode(b, *c) for c in self.codes]

        desc = b.CreateString(self.description)
        code_vec = _offsets(b, tflite.ModelStartOperatorCodesVector, codes)
        sg_vec = _offsets(b, tflite.ModelStartSubgraphsVector, subgraphs)
        buf_vec = _offsets(b, tflite.ModelStartBuffersVector, buffers)
        sig_vec = _offsets(b, tflite.ModelStartSignatureDefsVector, sigs) if sigs else None
        tflite.ModelStart(b)
        tflite.ModelAddVersion(b, SCHEMA_VERSION)
        tflite.ModelAddOperatorCodes(b, code_vec)
        tflite.ModelAddSubgraphs(b, sg_vec)
        tflite.ModelAddDescription(b, desc)
        tflite.ModelAddBuffers(b, buf_vec)
        if sig_vec is not None:
            tflite.ModelAddSignatureDefs(b, sig_vec)
        b.Finish(tflite.ModelEnd(b), file_identifier=FILE_IDENTIFIER)
        return bytes(b.Output())

    def _signature(self, b: flatbuffers.Builder, key: str, inputs, outputs) -> int:
        def maps(ports) -> list[int]:
            out = []
            for i in ports:
                name = b.CreateString(self.tensors[i].name)
                tflite.TensorMapStart(b)
                tflite.TensorMapAddName(b, name)
                tflite.TensorMapAddTensorIndex(b, i)
                out.append(tflite.TensorMapEnd(b))
            return out

        ins = _offsets(b, tflite.SignatureDefStartInputsVector, maps(inputs))
        outs = _offsets(b, tflite.SignatureDefStartOutputsVector, maps(outputs))
        key_s = b.CreateString(key)
        tflite.SignatureDefStart(b)
        tflite.SignatureDefAddInputs(b, ins)
        tflite.SignatureDefAddOutputs(b, outs)
        tflite.SignatureDefAddSignatureKey(b, key_s)
        tflite.SignatureDefAddSubgraphIndex(b, 0)
        return tflite.SignatureDefEnd(b)

    def _subgraph(self, b: flatbuffers.Builder, name: str, inputs, outputs) -> int:
        tensors = [self._tensor(b, t) for t in self.tensors]
        ops = [self._operator(b, o) for o in self.ops]
        sg_name = b.CreateString(name)
        t_vec = _offsets(b, tflite.SubGraphStartTensorsVector, tensors)
        in_vec = b.CreateNumpyVector(np.asarray(inputs, np.int32))
        out_vec = b.CreateNumpyVector(np.asarray(outputs, np.int32))
        op_vec = _offsets(b, tflite.SubGraphStartOperatorsVector, ops)
        tflite.SubGraphStart(b)
        tflite.SubGraphAddTensors(b, t_vec)
        tflite.SubGraphAddInputs(b, in_vec)
        tflite.SubGraphAddOutputs(b, out_vec)
        tflite.SubGraphAddOperators(b, op_vec)
        tflite.SubGraphAddName(b, sg_name)
        return tflite.SubGraphEnd(b)

    @staticmethod
    def _buffer(b: flatbuffers.Builder, data: bytes) -> int:
        vec = _aligned_bytes(b, data) if data else None
        tflite.BufferStart(b)
        if vec is not None:
            tflite.BufferAddData(b, vec)
        return tflite.BufferEnd(b)

    @staticmethod
    def _tensor(b: flatbuffers.Builder, t: _Tensor) -> int:
        name = b.CreateString(t.name)
        shape = b.CreateNumpyVector(np.asarray(t.shape, np.int32))
        quant = None
        if t.scale is not None:
            scale = b.CreateNumpyVector(np.asarray(t.scale, np.float32))
            zp = b.CreateNumpyVector(np.asarray(t.zero_point, np.int64))
            tflite.QuantizationParametersStart(b)
            tflite.QuantizationParametersAddScale(b, scale)
            tflite.QuantizationParametersAddZeroPoint(b, zp)
            tflite.QuantizationParametersAddQuantizedDimension(b, t.axis)
            quant = tflite.QuantizationParametersEnd(b)
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape)
        tflite.TensorAddType(b, t.ttype)
        tflite.TensorAddBuffer(b, t.buffer)
        tflite.TensorAddName(b, name)
        if quant is not None:
            tflite.TensorAddQuantization(b, quant)
        if t.variable:
            tflite.TensorAddIsVariable(b, True)
        return tflite.TensorEnd(b)

    @staticmethod
    def _options(b: flatbuffers.Builder, name: str, fields: dict) -> int:
        module = importlib.import_module(f"tflite.{name}")
        # string fields (VarHandleOptions' SharedName) are written before the table starts
        fields = {key: b.CreateString(value) if isinstance(value, str) else value for key, value in fields.items()}
        getattr(module, f"{name}Start")(b)
        for key, value in fields.items():
            getattr(module, f"{name}Add{key}")(b, value)
        return getattr(module, f"{name}End")(b)

    def _operator(self, b: flatbuffers.Builder, o: _Op) -> int:
        options = self._options(b, o.options, o.fields) if o.options else None
        ins = b.CreateNumpyVector(np.asarray(o.inputs, np.int32))
        outs = b.CreateNumpyVector(np.asarray(o.outputs, np.int32))
        inter = b.CreateNumpyVector(np.asarray(o.intermediates, np.int32)) if o.intermediates else None
        custom = b.CreateNumpyVector(np.frombuffer(o.custom_options, np.uint8)) if o.custom_options else None
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, self.codes.index((o.code, o.custom)))
        tflite.OperatorAddInputs(b, ins)
        tflite.OperatorAddOutputs(b, outs)
        if inter is not None:
            tflite.OperatorAddIntermediates(b, inter)
        if custom is not None:
            tflite.OperatorAddCustomOptions(b, custom)
        if options is not None:
            tflite.OperatorAddBuiltinOptionsType(b, getattr(BuiltinOptions, o.options))
            tflite.OperatorAddBuiltinOptions(b, options)
        return tflite.OperatorEnd(b)

    @staticmethod
    def _opcode(b: flatbuffers.Builder, code: int, custom: str | None) -> int:
        name = b.CreateString(custom) if custom is not None else None
        tflite.OperatorCodeStart(b)
        if name is not None:
            tflite.OperatorCodeAddCustomCode(b, name)
        # codes below 127 also live in the deprecated int8 field, which older readers use
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
        tflite.OperatorCodeAddBuiltinCode(b, code)
        tflite.OperatorCodeAddVersion(b, 1)
        return tflite.OperatorCodeEnd(b)


def _aligned_bytes(b: flatbuffers.Builder, data: bytes) -> int:
    """A [ubyte] vector whose first element is aligned to BUFFER_ALIGNMENT bytes."""
    b.StartVector(1, len(data), BUFFER_ALIGNMENT)
    b.head = b.head - len(data)
    b.Bytes[b.head:b.head + len(data)] = data
    return b.EndVector()


def _offsets(b: flatbuffers.Builder, start, items: list[int]) -> int:
    start(b, len(items))
    for item in reversed(items):
        b.PrependUOffsetTRelative(item)
    return b.EndVector()


# -- random quantization parameters --------------------------------------------------

def random_scale(rng: np.random.Generator, lo: float = 0.005, hi: float = 0.2) -> float:
    """A float32 scale, log-uniform in [lo, hi]."""
    return float(np.float32(np.exp(rng.uniform(np.log(lo), np.log(hi)))))


def random_zero_point(rng: np.random.Generator, lo: int = -60, hi: int = 60) -> int:
    return int(rng.integers(lo, hi + 1))
