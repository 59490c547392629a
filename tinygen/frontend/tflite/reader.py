"""Read a .tflite flatbuffer: its tensors, constants, quantization and operator codes,
with every inconsistency reported as a ModelError naming the tensor (and the operator
being imported, through `where`)."""

from __future__ import annotations

import functools
import math

import numpy as np
import tflite
from flatbuffers.number_types import Int32Flags
from tflite.BuiltinOperator import BuiltinOperator
from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.ir import Codebook, Graph, Kind, QParams, Tensor
from tinygen.quant.check_params import check_qparams

OP_NAMES = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}
TYPE_NAMES = {v: k for k, v in vars(TensorType).items() if not k.startswith("_")}
# TensorType -> (IR dtype, numpy dtype) for the types this frontend reads
TYPES = {
    TensorType.INT8: ("int8", np.int8),
    TensorType.INT32: ("int32", np.int32),
    TensorType.FLOAT32: ("float32", np.float32),
    TensorType.INT16: ("int16", np.int16),
    TensorType.UINT8: ("uint8", np.uint8),
    TensorType.INT64: ("int64", np.int64),
    # plain (unquantized) integers of the signal library's ops (ops_signal.py)
    TensorType.UINT16: ("uint16", np.uint16),
    TensorType.UINT32: ("uint32", np.uint32),
    TensorType.UINT64: ("uint64", np.uint64),
    # a comparison's result, a SELECT_V2's condition (ops_select.py)
    TensorType.BOOL: ("bool", np.bool_),
}
# the integer types a plain-integer model (Reader.plain_model) computes in
PLAIN_TYPES = (TensorType.INT8, TensorType.INT16, TensorType.INT32, TensorType.UINT16, TensorType.UINT32,
               TensorType.UINT64, TensorType.BOOL)


# the operators tinygen runs in float32 (a float .tflite, as TFLite Micro's float reference kernels)
FLOAT_OPS = ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "SUB", "MUL", "RELU", "RELU6", "RESHAPE",
             "SQUEEZE", "MAX_POOL_2D", "AVERAGE_POOL_2D", "SOFTMAX", "LOGISTIC", "TANH", "CONCATENATION", "PAD",
             "PADV2", "STRIDED_SLICE", "SLICE", "TRANSPOSE", "UNIDIRECTIONAL_SEQUENCE_LSTM", "MEAN", "SUM", "LEAKY_RELU",
             "HARD_SWISH", "PRELU", "SQUARED_DIFFERENCE", "RSQRT", "BATCH_MATMUL", "TRANSPOSE_CONV", "DIV", "MINIMUM",
             "MAXIMUM", "MIRROR_PAD",
             # comparisons and selection (ops_select.py)
             "EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "SELECT_V2",
             # the math operators (ops_math_float.py, ops_math.py)
             "ABS", "NEG", "SQUARE", "SQRT", "FLOOR", "CEIL", "ROUND", "FLOOR_DIV", "FLOOR_MOD", "ADD_N", "CUMSUM",
             "REDUCE_MAX", "REDUCE_MIN", "ARG_MAX", "ARG_MIN", "L2_NORMALIZATION", "RESIZE_BILINEAR", "L2_POOL_2D",
             # ... calling the C library's expf, logf, cosf, sinf, expm1f
             "EXP", "LOG", "COS", "SIN", "ELU", "LOG_SOFTMAX",
             # a float model's int8 / int16 ports (Reader.int_ends)
             "DEQUANTIZE", "QUANTIZE",
             # resource variables copy bytes (ops_variable.py)
             "READ_VARIABLE", "ASSIGN_VARIABLE",
             # an SSD detector's end (ops_detection.py)
             "CUSTOM (TFLite_Detection_PostProcess)",
             # the signal library's float32 forms (ops_signal.py, ops_signal_stream.py)
             "CUSTOM (SignalRfft)", "CUSTOM (SignalIrfft)", "CUSTOM (SignalOverlapAdd)")
# the operators tinygen runs with int16 activations (TFLite's 16x8 quantization)
INT16_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "QUANTIZE", "DEQUANTIZE", "ADD",
             "SUB", "MUL", "SOFTMAX", "RELU", "RELU6", "MAX_POOL_2D", "AVERAGE_POOL_2D", "PAD", "PADV2",
             "STRIDED_SLICE", "SLICE", "LEAKY_RELU", "RESHAPE", "SQUEEZE", "CONCATENATION", "TRANSPOSE", "MEAN", "SUM",
             "LOGISTIC", "TANH", "PRELU", "BATCH_MATMUL", "SQUARED_DIFFERENCE",
             # TFLite Micro's source lists RSQRT for float32 and int8 only (IsRsqrtSupportedType); the
             # tflite-micro package runs int16 too, as its RsqrtEvalQuantized<int16_t>
             "RSQRT",
             "UNIDIRECTIONAL_SEQUENCE_LSTM", "SELECT_V2", "MAXIMUM", "MINIMUM", "ABS", "READ_VARIABLE",
             "ASSIGN_VARIABLE")
# the operators that move elements without changing them (ops_shape, ops_gather, ops_fold), on
# each type TFLite Micro runs them on (ops_shape.MOVE_TYPES)
MOVE_OPS = ("EXPAND_DIMS", "SHAPE", "PACK", "UNPACK", "SPLIT", "SPLIT_V", "GATHER", "DEPTH_TO_SPACE", "SPACE_TO_DEPTH",
            "RESIZE_NEAREST_NEIGHBOR", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "BROADCAST_TO", "BROADCAST_ARGS",
            "FILL", "ZEROS_LIKE", "REVERSE_V2", "GATHER_ND", "EMBEDDING_LOOKUP", "DYNAMIC_UPDATE_SLICE")
FLOAT_OPS += MOVE_OPS
INT16_OPS += MOVE_OPS
# the input of each gather that holds its indices, of DYNAMIC_UPDATE_SLICE its start (Reader.index_tensors)
INDEX_INPUTS = {"GATHER": 1, "GATHER_ND": 1, "EMBEDDING_LOOKUP": 0, "DYNAMIC_UPDATE_SLICE": 2}
# operators TFLite Micro itself refuses with int16 activations (its SVDF takes int8 or float32 input;
# its comparisons but GREATER refuse int16, and its int16 GREATER rescales with parameters it never
# sets, so that its results are undefined; the others take int8 or float32 only: probed with the
# tflite-micro package)
TFLM_NO_INT16 = ("SVDF", "EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "ELU",
                 "REDUCE_MAX", "REDUCE_MIN", "ARG_MAX", "ARG_MIN", "RESIZE_BILINEAR", "L2_NORMALIZATION",
                 "LOG_SOFTMAX", "CUMSUM", "ADD_N")


def builtin_code(code) -> int:
    """An operator code's builtin operator: the larger of the schema's two fields. The field
    `builtin_code` read raw: the `tflite` package's BuiltinCode() answers the deprecated int8
    field for any code below 127, so that a CUSTOM operator (32) whose deprecated field is left
    0, as TFLite Micro's compressor writes its DECODE, would read as ADD (0)."""
    o = code._tab.Offset(10)
    raw = code._tab.Get(Int32Flags, o + code._tab.Pos) if o else 0
    return max(raw, code.DeprecatedBuiltinCode())


class Reader:
    """The first subgraph of a model, and the IR graph being built from it."""

    def __init__(self, data: bytes, name: str, filename: str, fold_input_transpose: bool = False):
        self.data = data
        self.fold_input_transpose = fold_input_transpose
        self.filename = filename
        self.model = tflite.Model.GetRootAsModel(data, 0)
        if self.model.SubgraphsLength() < 1:
            raise ModelError(f"{filename} has no subgraph")
        self.sg = self.model.Subgraphs(0)
        self.graph = Graph(name=name)
        self.names: dict[int, str] = {}     # tflite activation tensor index -> IR tensor name
        self.where = ""
        self.float_inputs: set[int] = set()
        self.float_outputs: set[int] = set()
        self.skipped: set[int] = set()       # operators at the float boundary, not compiled
        # model inputs that only give a TRANSPOSE_CONV its output shape -> that shape
        self.shape_inputs: dict[int, tuple[int, ...]] = {}
        # a float32 model (float activations and weights): imported as a float IR graph (check_types)
        self.float_model = False
        # a quantized model with float32 sections (DEQUANTIZE into float32 operators, QUANTIZE back,
        # or float outputs such as DETECTION_POSTPROCESS's): its float32 tensors are float32 in the
        # IR, the operators between run the float32 kernels (check_types, Importer.operator)
        self.mixed = False
        # the operator being imported computes in float32 (every operator of a float model; in a
        # mixed model those reading or writing a float32 activation): its handler takes float_<name>
        self.float_op = False
        # a model of plain integers (no tensor quantized: the signal library's audio front end):
        # its integer tensors are the values themselves, qparams None (check_types)
        self.plain_model = False
        # tensors whose values are known at import (tinygen.frontend.tflite.ops_fold): index -> value
        self.folded: dict[int, np.ndarray] = {}
        # TFLite Micro's compressed constants (tflm_decode): the DECODE output's index -> its codebook,
        # and the DECODE operators, left out of the graph
        self.codebooks: dict[int, Codebook] = {}
        self.decoders: set[int] = set()
        # SPACE_TO_BATCH_ND + convolution + BATCH_TO_SPACE_ND as one dilated convolution (ops_dilated):
        # the convolution's operator index -> (dilation, padding, the BATCH_TO_SPACE_ND's output)
        self.dilated_convs: dict[int, tuple[tuple[int, int], tuple[int, int, int, int], int]] = {}

    # -- tensors ------------------------------------------------------------
    def tensor(self, index: int):
        if not 0 <= index < self.sg.TensorsLength():
            raise ModelError(f"{self.where}tensor index {index} out of range")
        return self.sg.Tensors(index)

    def tname(self, index: int) -> str:
        """A tensor's name in the file (its index where the file gives none)."""
        name = self.tensor(index).Name()
        return name.decode("utf-8", "replace") if name else f"#{index}"

    def shape(self, index: int) -> tuple[int, ...]:
        shape = tuple(int(d) for d in self.tensor(index).ShapeAsNumpy()) if self.tensor(index).ShapeLength() else ()
        if any(d <= 0 for d in shape):
            raise ModelError(f"{self.where}tensor {self.tname(index)!r} has shape {list(shape)}; "
                             "dynamic or empty dimensions are not supported")
        return shape

    def qparams(self, index: int, per_channel_axis: int | None = None) -> QParams | None:
        """A tensor's quantization; None for a float32 tensor of a float model, for every
        tensor of a plain-integer model and for a gather's int32 indices (none to have)."""
        if self.float32(index):
            return None
        if self.plain_model or self.tensor(index).Type() == TensorType.BOOL or index in self.index_tensors:
            return None
        q = self.tensor(index).Quantization()
        if q is None or q.ScaleLength() == 0:
            raise ModelError(f"{self.where}tensor {self.tname(index)!r} has no quantization parameters")
        scale = q.ScaleAsNumpy().astype(np.float32)
        zp = q.ZeroPointAsNumpy().astype(np.int64) if q.ZeroPointLength() else np.zeros(scale.shape, np.int64)
        if zp.size == 1 and scale.size > 1:
            zp = np.full(scale.shape, zp[0])
        check_qparams(self.tname(index), q.ScaleAsNumpy(), zp, TYPES.get(self.tensor(index).Type(), ("int64",))[0],
                      self.where)
        if scale.size > 1:
            axis = int(q.QuantizedDimension())
            if per_channel_axis is None or axis != per_channel_axis:
                raise ModelError(f"{self.where}tensor {self.tname(index)!r} is quantized per channel "
                                 f"along axis {axis}, which this operator does not allow")
            if scale.size != self.shape(index)[axis]:
                raise ModelError(f"{self.where}tensor {self.tname(index)!r} has {scale.size} scales for "
                                 f"{self.shape(index)[axis]} channels")
            return QParams(scale, zp, axis=axis)
        return QParams(scale, zp)

    def buffer(self, index: int) -> np.ndarray | None:
        if index in self.folded:
            return self.folded[index]
        t = self.tensor(index)
        b = t.Buffer()
        if b == 0:
            return None
        if not 0 < b < self.model.BuffersLength():
            raise ModelError(f"{self.where}tensor {self.tname(index)!r} names buffer {b}, which does not exist")
        buf = self.model.Buffers(b)
        if buf.Offset() > 1:          # large models keep buffers after the flatbuffer
            raw = self.data[buf.Offset(): buf.Offset() + buf.Size()]
            if len(raw) != buf.Size():
                raise ModelError(f"{self.where}tensor {self.tname(index)!r}: buffer {b} lies past the end of the file")
        elif buf.DataLength() == 0:
            return None
        else:
            raw = buf.DataAsNumpy().tobytes()
        _, np_dtype = TYPES.get(t.Type(), (None, None))
        if np_dtype is None:
            raise ModelError(f"{self.where}tensor {self.tname(index)!r} has type {TYPE_NAMES.get(t.Type(), t.Type())}")
        shape = self.shape(index)
        want = math.prod(shape) * np.dtype(np_dtype).itemsize
        if len(raw) != want:
            raise ModelError(f"{self.where}tensor {self.tname(index)!r} of shape {list(shape)} "
                             f"({TYPE_NAMES[t.Type()]}) needs {want} bytes, its buffer has {len(raw)}")
        return np.frombuffer(raw, dtype=np.dtype(np_dtype).newbyteorder("<")).astype(np_dtype).reshape(shape)

    def activation(self, index: int) -> str:
        """The IR tensor for an activation input; defined earlier (or the graph input)."""
        if index in self.folded:
            raise UnsupportedOpError(f"{self.where}tensor {self.tname(index)!r} is a constant (known when the model "
                                     "is imported), where tinygen needs a tensor computed at run time")
        if index not in self.names:
            raise ModelError(f"{self.where}reads tensor {self.tname(index)!r} before any operator writes it")
        return self.names[index]

    def const(self, index: int, node_name: str, role: str, dtype: str, axis: int | None = None) -> str:
        t = self.tensor(index)
        if TYPES.get(t.Type(), (None,))[0] != dtype:
            raise UnsupportedOpError(f"{self.where}{role} tensor {self.tname(index)!r} is "
                                     f"{TYPE_NAMES.get(t.Type(), t.Type())}; expected {dtype}")
        data = self.buffer(index)
        if data is None:
            raise UnsupportedOpError(f"{self.where}{role} tensor {self.tname(index)!r} is not a constant")
        c = self.graph.add_const(self.graph.unique_name(f"{node_name}_{role}"), data, dtype)
        c.codebook = self.codebooks.get(index)
        if c.codebook is not None and None not in (c.codebook.axis, axis) and c.codebook.axis != axis:
            raise UnsupportedOpError(f"{self.where}{role} tensor {self.tname(index)!r} is compressed with tables per "
                                     f"channel along axis {c.codebook.axis}; tinygen's codebooks go along the output "
                                     f"channels (axis {axis})", "compress it per tensor, or per channel along "
                                     f"axis {axis}")
        c.qparams = self.qparams(index, axis) if role == "weight" and dtype != "float32" else None
        if c.qparams is not None and np.any(c.qparams.zero_point != 0):
            raise UnsupportedOpError(f"{self.where}weights {self.tname(index)!r} have a nonzero zero point")
        return c.name

    def new_activation(self, index: int, name: str, shape=None) -> str:
        t = self.tensor(index)
        if t.Type() not in (TensorType.INT8, TensorType.INT16, TensorType.BOOL) and not self.float32(index) \
                and not self.quantized_int32(index) \
                and index not in self.index_tensors and not (
                self.plain_model and (t.Type() in PLAIN_TYPES or t.Type() == TensorType.FLOAT32)):
            raise UnsupportedOpError(f"{self.where}output {self.tname(index)!r} is "
                                     f"{TYPE_NAMES.get(t.Type(), t.Type())}; only int8 and int16 activations are "
                                     "supported (float32 in a float model)")
        ir = Tensor(self.graph.unique_name(name), shape or self.shape(index), self.act_dtype(index), Kind.ACTIVATION,
                    qparams=self.qparams(index))
        self.graph.add_tensor(ir)
        self.names[index] = ir.name
        # for layer-by-layer comparison with a TFLite interpreter
        self.graph.meta.setdefault("tflite_tensors", {})[ir.name] = index
        return ir.name

    def act_dtype(self, index: int) -> str:
        """The IR dtype of an activation: int8, int16 (TFLite's 16x8 scheme keeps them symmetric,
        zero point 0, but for a softmax's int16 output; the operators that assume 0 check it), or
        float32 in a float model; a plain-integer model's own types (float32 after a CAST)."""
        t = self.tensor(index)
        if self.float32(index):
            return "float32"
        if self.plain_model and (t.Type() in PLAIN_TYPES or t.Type() == TensorType.FLOAT32):
            return TYPES[t.Type()][0]
        if t.Type() == TensorType.INT16:
            return "int16"
        if t.Type() == TensorType.BOOL:
            return "bool"
        if self.quantized_int32(index) or index in self.index_tensors:
            return "int32"
        return "int8"

    def float32(self, index: int) -> bool:
        """A float32 tensor of a float model or of a mixed model's float sections (no quantization)."""
        return (self.float_model or self.mixed) and self.tensor(index).Type() == TensorType.FLOAT32

    @functools.cached_property
    def index_tensors(self) -> set[int]:
        """Unquantized int32 tensors that gathers read as their indices (GATHER, GATHER_ND,
        EMBEDDING_LOOKUP: an embedding's token ids) or DYNAMIC_UPDATE_SLICE as its start, which
        may be activations of any model."""
        found = set()
        for i in range(self.sg.OperatorsLength()):
            op = self.sg.Operators(i)
            k = INDEX_INPUTS.get(self.opname(op))
            if k is not None and op.InputsLength() > k:
                found.add(int(op.Inputs(k)))
        return {t for t in found if 0 <= t < self.sg.TensorsLength() and self.tensor(t).Type() == TensorType.INT32
                and not (self.tensor(t).Quantization() and self.tensor(t).Quantization().ScaleLength())}

    def quantized_int32(self, index: int) -> bool:
        """An int32 activation with a quantization that only QUANTIZE reads or writes (a model
        input or output at int32 precision, as TFLite Micro's QUANTIZE takes them)."""
        t = self.tensor(index)
        q = t.Quantization()
        if t.Type() != TensorType.INT32 or q is None or q.ScaleLength() == 0:
            return False
        ops = [self.sg.Operators(i) for i in range(self.sg.OperatorsLength())]
        touching = [op for op in ops if index in (op.InputsAsNumpy() if op.InputsLength() else [])
                    or index in (op.OutputsAsNumpy() if op.OutputsLength() else [])]
        return bool(touching) and all(self.opname(op) == "QUANTIZE" for op in touching)

    # -- model-level checks ----------------------------------------------------
    def is_const(self, index: int) -> bool:
        if index in self.folded:
            return True
        b = self.tensor(index).Buffer()
        return b != 0 and 0 < b < self.model.BuffersLength() and (
            self.model.Buffers(b).DataLength() > 0 or self.model.Buffers(b).Offset() > 1)

    def custom_code(self, op) -> str:
        """A CUSTOM operator's name ("" for a builtin or an opcode out of range)."""
        if not 0 <= op.OpcodeIndex() < self.model.OperatorCodesLength():
            return ""
        return (self.model.OperatorCodes(op.OpcodeIndex()).CustomCode() or b"").decode("utf-8", "replace")

    def opname(self, op) -> str:
        if not 0 <= op.OpcodeIndex() < self.model.OperatorCodesLength():
            return "?"
        return OP_NAMES.get(builtin_code(self.model.OperatorCodes(op.OpcodeIndex())), "?")

    def producers(self) -> dict[int, int]:
        """tensor index -> index of the operator that writes it"""
        return {int(t): i for i in range(self.sg.OperatorsLength())
                for t in (self.sg.Operators(i).OutputsAsNumpy() if self.sg.Operators(i).OutputsLength() else [])}

    def origin(self, tensor: int, producers: dict[int, int]) -> str:
        if tensor not in producers:
            return "a model input"
        return f"operator {producers[tensor]}, {self.opname(self.sg.Operators(producers[tensor]))}"

    def users(self) -> dict[int, list]:
        """tensor index -> the operators reading it, in order."""
        users: dict[int, list] = {}
        for i in range(self.sg.OperatorsLength()):
            op = self.sg.Operators(i)
            for t in (op.InputsAsNumpy() if op.InputsLength() else []):
                users.setdefault(int(t), []).append(op)
        return users
