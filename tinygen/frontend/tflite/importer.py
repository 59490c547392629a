"""Build the quantized IR graph from a .tflite model: the model's boundary (its int8 input
and outputs, the QUANTIZE / DEQUANTIZE ops at a float32 boundary), then one handler per
supported operator (`op_<name>`: ops_mac, ops_tensor, ops_activation, ops_simple, ops_transpose,
ops_attention, the data movement of ops_shape and ops_gather; the signal library's CUSTOM
operators through ops_signal.SIGNAL_OPS), each checked against the shape the file records.
Operators whose outputs are known at import are folded first (ops_fold), TensorFlow's
dilated-convolution export becomes one convolution (ops_dilated)."""

from __future__ import annotations

from tflite.BuiltinOperator import BuiltinOperator
from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError, UsageError
from tinygen.frontend.tflite.ops_activation import ActivationOps
from tinygen.frontend.tflite.ops_float import FloatOps
from tinygen.frontend.tflite.ops_attention import AttentionOps
from tinygen.frontend.tflite.ops_detection import DETECTION_CUSTOM, DetectionOps
from tinygen.frontend.tflite.ops_gather import GatherOps
from tinygen.frontend.tflite.ops_mac import MacOps
from tinygen.frontend.tflite.ops_math_float import MathFloatOps
from tinygen.frontend.tflite.ops_plain import PlainOps
from tinygen.frontend.tflite.ops_recurrent import RecurrentOps
from tinygen.frontend.tflite.ops_select import SelectOps
from tinygen.frontend.tflite.ops_shape import MULTI_OUTPUT_OPS
from tinygen.frontend.tflite.ops_signal import SIGNAL_OPS
from tinygen.frontend.tflite.ops_signal_bank import SignalBankOps
from tinygen.frontend.tflite.ops_signal_stream import SignalStreamOps
from tinygen.frontend.tflite.ops_simple import SimpleOps
from tinygen.frontend.tflite.ops_transpose import TransposeConvOps
from tinygen.frontend.tflite.ops_variable import VARIABLE_OPS, VariableOps
from tinygen.frontend.tflite.tflm_decode import DecodeOps
from tinygen.frontend.tflite.reader import MOVE_OPS, OP_NAMES, TYPE_NAMES, builtin_code
from tinygen.ir import Graph, Kind, Tensor

# operators that run other subgraphs as control flow: named as such when refused
SUBGRAPH_OPS = ("IF", "WHILE")

# --fold-input-transpose: the input-side TRANSPOSE a model exported from PyTorch starts with
NCHW_TO_NHWC = (0, 2, 3, 1)

SUPPORTED_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D",
                 "ADD", "MUL", "CONCATENATION", "PAD", "PADV2", "MEAN", "RESHAPE", "SQUEEZE", "SOFTMAX",
                 "LOGISTIC", "HARD_SWISH", "RELU", "RELU6", "LEAKY_RELU", "QUANTIZE", "DEQUANTIZE",
                 # the simpler operators users' models bring (ops_simple)
                 "TANH", "PRELU", "GELU", "SUM", "SLICE", "STRIDED_SLICE", "MIRROR_PAD",
                 # transposed convolution (ops_transpose.py)
                 "TRANSPOSE_CONV",
                 # normalization and attention (ops_attention.py)
                 "BATCH_MATMUL", "SUB", "SQUARED_DIFFERENCE", "RSQRT", "TRANSPOSE",
                 # recurrent layers (ops_recurrent.py)
                 "UNIDIRECTIONAL_SEQUENCE_LSTM", "SVDF",
                 # on plain integers (ops_plain.py)
                 "CAST", "DIV", "MINIMUM", "MAXIMUM",
                 # comparisons and selection with bool tensors (ops_select.py)
                 "EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "LOGICAL_AND", "LOGICAL_OR",
                 "LOGICAL_NOT", "SELECT_V2",
                 # comparing and magnitude ops on quantized integers (ops_math.py)
                 "REDUCE_MAX", "REDUCE_MIN", "ARG_MAX", "ARG_MIN", "ABS", "ELU",
                 "ADD_N", "CUMSUM", "LOG_SOFTMAX", "RESIZE_BILINEAR",
                 # float32 only (ops_math_float.py)
                 "NEG", "SQUARE", "SQRT", "FLOOR", "CEIL", "ROUND", "EXP", "LOG", "COS", "SIN", "FLOOR_DIV",
                 "FLOOR_MOD", "L2_POOL_2D",
                 "L2_NORMALIZATION") + MOVE_OPS + VARIABLE_OPS
# MOVE_OPS: data movement (ops_shape.py, ops_gather.py); VARIABLE_OPS: resource variables and their
# init subgraph (ops_variable.py)


class Importer(PlainOps, MathFloatOps, FloatOps, TransposeConvOps, MacOps, ActivationOps, AttentionOps, RecurrentOps,
               GatherOps, SimpleOps, SignalBankOps, SelectOps, SignalStreamOps, VariableOps, DetectionOps, DecodeOps):
    """One .tflite model's first subgraph as an IR graph: Importer(data, name, filename).run()."""

    def run(self) -> Graph:
        self.read_decodes()        # TFLite Micro's compressed constants, before anything reads them
        self.check_ops()
        if self.sg.InputsLength() < 1 or self.sg.OutputsLength() < 1:
            raise ModelError(f"{self.filename} has {self.sg.InputsLength()} inputs and {self.sg.OutputsLength()} "
                             "outputs; a model needs at least one of each")
        self.check_types()
        indices = [int(self.sg.Inputs(k)) for k in range(self.sg.InputsLength())]
        self.shape_inputs = self.output_shape_inputs(indices)
        ports = [index for index in indices if index not in self.shape_inputs]
        self.graph.meta["tflite_tensors"] = {}
        self.graph.meta["float_inputs"] = []
        for k, index in enumerate(ports):
            name = "input" if len(ports) == 1 else f"input_{k}"
            if index in self.float_inputs:
                port = self.boundary_input(index, name)
                self.graph.meta["float_inputs"].append(name)
            elif self.fold_input_transpose:
                port = self.folded_input(index, name)
            else:
                t = self.tensor(index)
                if t.Type() not in (TensorType.INT8, TensorType.INT16) and self.act_dtype(index) == "int8":
                    raise ModelError(f"{self.filename}: input {self.tname(index)!r} is "
                                     f"{TYPE_NAMES.get(t.Type(), t.Type())}, not int8 or int16")
                port = index
            self.graph.add_tensor(Tensor(name, self.shape(port), self.act_dtype(port), Kind.INPUT,
                                         qparams=self.qparams(port)))
            self.names[port] = name
            self.graph.meta["tflite_tensors"][name] = port
            self.graph.inputs.append(name)
        # the file's inputs in its order (a TFLite interpreter's input k), and what one is fed for
        # an output-shape input: the shape the file records
        self.graph.meta["tflite_inputs"] = indices
        if self.shape_inputs:
            self.graph.meta["tflite_shape_inputs"] = dict(self.shape_inputs)
        self.begin_variables()
        for i in range(self.sg.OperatorsLength()):
            self.operator(i)
        self.add_assigns()
        outputs = [int(self.sg.Outputs(k)) for k in range(self.sg.OutputsLength())]
        for o in outputs:
            name = self.activation(o)
            if name in self.graph.inputs:
                raise UnsupportedOpError(f"{self.filename}: the model output {self.tname(o)!r} is a model input")
            self.graph.tensors[name].kind = Kind.OUTPUT
        self.graph.outputs = [self.names[o] for o in outputs]
        self.graph.meta["float_outputs"] = [self.names[o] for o in outputs if o in self.float_outputs]
        if self.float_model:
            # a float graph as the other frontends give one: run in float32, or quantized by
            # tinygen from --calib (tinygen.compiler.compile_source decides)
            self.graph.meta["float_tflite"] = True
        else:
            self.graph.meta["quantized"] = "tflite"
        if self.plain_model:        # integers that are their own values (tinygen.frontend.tflite.ops_signal)
            self.graph.meta["plain_integers"] = True
        return self.graph

    def folded_input(self, index: int, name: str) -> int:
        """--fold-input-transpose: the output of the TRANSPOSE from NCHW to NHWC that model input
        `index` goes straight into, which becomes the compiled model's input (the TRANSPOSE left
        out); graph.meta["input_transposes"][name] keeps the permutation, for whoever feeds the
        .tflite itself (TFLite Micro takes the NCHW input)."""
        users = [i for i in range(self.sg.OperatorsLength())
                 if self.sg.Operators(i).InputsLength() and index in self.sg.Operators(i).InputsAsNumpy()]
        op = self.sg.Operators(users[0]) if len(users) == 1 else None
        perm = None
        if op is not None and self.opname(op) == "TRANSPOSE" and int(op.Inputs(0)) == index \
                and self.is_const(int(op.Inputs(1))):
            perm = tuple(int(v) for v in self.buffer(int(op.Inputs(1))).reshape(-1))
        if perm != NCHW_TO_NHWC or self.act_dtype(index) != self.act_dtype(int(op.Outputs(0))):
            raise UsageError(f"--fold-input-transpose: {self.filename}'s input {self.tname(index)!r} does not go "
                             "straight into a TRANSPOSE from NCHW to NHWC (perm [0, 2, 3, 1]) alone",
                             "leave the option out: the model's input stays as the file has it")
        self.skipped.add(users[0])
        self.graph.meta.setdefault("input_transposes", {})[name] = list(perm)
        return int(op.Outputs(0))

    def check_ops(self) -> None:
        """Every operator tinygen has no handler for, all in one error, before anything that
        they would make moot (tensor types, inputs); a model compiled by Vela for an Ethos-U NPU
        is named as such."""
        missing: dict[str, list[str]] = {}
        for i in range(self.sg.OperatorsLength()):
            op = self.sg.Operators(i)
            name = self.opname(op)
            if name == "CUSTOM" and 0 <= op.OpcodeIndex() < self.model.OperatorCodesLength():
                custom = (self.model.OperatorCodes(op.OpcodeIndex()).CustomCode() or b"?").decode("utf-8", "replace")
                if custom == "ethos-u":
                    raise UnsupportedOpError(f"{self.filename} is compiled by Vela for an Ethos-U NPU (operator {i}, "
                                             "CUSTOM ethos-u, holds the NPU's command stream)",
                                             "give tinygen the model from before Vela (the int8 .tflite Vela read)")
                name = f"CUSTOM ({custom})"
                if custom in SIGNAL_OPS or custom == DETECTION_CUSTOM or i in self.decoders:   # signal library, SSD's end
                    continue
            if name not in SUPPORTED_OPS:
                out = f", output tensor {self.tname(int(op.Outputs(0)))!r}" if op.OutputsLength() else ""
                missing.setdefault(name, []).append(f"operator {i}{out}")
        if not missing:
            return
        supported = SUPPORTED_OPS + tuple(f"CUSTOM ({custom})" for custom in (*SIGNAL_OPS, DETECTION_CUSTOM))
        hint = "supported TFLite operators: " + ", ".join(supported)
        flow = [name for name in missing if name in SUBGRAPH_OPS]
        if flow:        # control flow and resource variables: what tinygen compiles instead
            hint = (f"{', '.join(flow)} run other subgraphs as control flow; tinygen compiles one subgraph of "
                    "straight-line operators (a streaming model's state may live in resource variables, or in "
                    "variable tensors as TFLite's LSTM and SVDF keep it); " + hint)
        if sum(map(len, missing.values())) == 1:
            (name, [where]), = missing.items()
            number, _, out = where.partition(", ")
            raise UnsupportedOpError(f"{number} ({name}, {out}) is not supported" if out
                                     else f"{number} ({name}) is not supported", hint)
        parts = [f"{name} ({'; '.join(places[:3])}{f'; and {len(places) - 3} more' if len(places) > 3 else ''})"
                 for name, places in missing.items()]
        raise UnsupportedOpError(f"{self.filename} has {sum(map(len, missing.values()))} operators tinygen does not "
                                 f"support: " + ", ".join(parts), hint)

    def output_shape_inputs(self, indices: list[int]) -> dict[int, tuple[int, ...]]:
        """Model inputs that only give a TRANSPOSE_CONV its output shape (int32, read by no
        other operator): TFLite Micro sizes the output from the file, so tinygen takes the
        recorded shape and leaves them out of the compiled model's inputs. -> {index: shape}."""
        found = {}
        for index in indices:
            if self.tensor(index).Type() != TensorType.INT32:
                continue
            users = [self.sg.Operators(i) for i in range(self.sg.OperatorsLength())
                     if self.sg.Operators(i).InputsLength() and index in self.sg.Operators(i).InputsAsNumpy()]
            if users and all(self.opname(op) == "TRANSPOSE_CONV" and int(op.Inputs(0)) == index
                             and index not in op.InputsAsNumpy()[1:] for op in users):
                found[index] = self.shape(int(users[0].Outputs(0)))
        return found

    def boundary_input(self, index: int, name: str) -> int:
        """The int8 tensor that the QUANTIZE ops reading the float32 model input write (all of
        them must agree on it); the QUANTIZE ops themselves are left out of the graph."""
        ports = []
        for i in range(self.sg.OperatorsLength()):
            op = self.sg.Operators(i)
            if op.InputsLength() and int(op.Inputs(0)) == index:
                out = int(op.Outputs(0))
                if self.tensor(out).Type() not in (TensorType.INT8, TensorType.INT16):
                    raise UnsupportedOpError(f"operator {i} (QUANTIZE) turns the float32 model input into "
                                             f"{TYPE_NAMES.get(self.tensor(out).Type())}; only int8 and int16 are "
                                             "supported")
                ports.append(out)
                self.skipped.add(i)
        for other in ports[1:]:
            if not self.qparams(other).same_as(self.qparams(ports[0])):
                raise UnsupportedOpError(f"{self.filename}: the float32 input is quantized twice, with "
                                         f"{self.qparams(ports[0])!r} and {self.qparams(other)!r}")
            self.names[other] = name
        return ports[0]

    def operator(self, i: int) -> None:
        if i in self.decoders:          # its outputs are constants (tflm_decode)
            return
        op = self.sg.Operators(i)
        if not 0 <= op.OpcodeIndex() < self.model.OperatorCodesLength():
            raise ModelError(f"operator {i}: opcode index {op.OpcodeIndex()} out of range")
        code = self.model.OperatorCodes(op.OpcodeIndex())
        builtin = builtin_code(code)
        opname = OP_NAMES.get(builtin, f"builtin {builtin}")
        if builtin == BuiltinOperator.CUSTOM:
            opname = f"CUSTOM ({(code.CustomCode() or b'?').decode('utf-8', 'replace')})"
        ins = [int(x) for x in op.InputsAsNumpy()] if op.InputsLength() else []
        outs = [int(x) for x in op.OutputsAsNumpy()] if op.OutputsLength() else []
        self.float_op = self.float_model or (self.mixed and self.touches_float(op, ins, outs))
        if opname in VARIABLE_OPS:      # resource variables (ops_variable.py): a read is the one IR node
            self.where = f"operator {i} ({opname}): "
            node = getattr(self, f"op_{opname.lower()}")(i, op, ins, outs[0] if outs else None,
                                                       f"op {i} {opname}")
            if node is not None:
                self.check_shape(node, outs[0])
            return
        custom = (code.CustomCode() or b"").decode("utf-8", "replace") if builtin == BuiltinOperator.CUSTOM else ""
        if (custom in SIGNAL_OPS or custom == DETECTION_CUSTOM) and outs:
            self.where = f"operator {i} ({opname}, output {self.tname(outs[0])!r}): "
            # a signal operator: one IR node per output, in the order of the file's outputs (DETECTION_POSTPROCESS:
            # the node writing each output)
            method = SIGNAL_OPS.get(custom, "detection_postprocess")
            nodes = getattr(self, method)(i, op, ins, outs, f"op {i} {opname} -> {self.tname(outs[0])}")
            for node, out in zip(nodes, outs, strict=True):
                self.check_shape(node, out)
            return
        if outs and i not in self.skipped:
            self.where = f"operator {i} ({opname}, output {self.tname(outs[0])!r}): "
            if opname in SUPPORTED_OPS and self.fold(i, opname, op, ins, outs):    # known at import (ops_fold)
                return
            if opname in MULTI_OUTPUT_OPS:
                nodes = self.multi_output(i, opname, op, ins, outs, f"op {i} {opname} -> {self.tname(outs[0])}")
                for node, out in zip(nodes, outs, strict=True):
                    self.check_shape(node, out)
                return
        if len(outs) != 1:
            raise UnsupportedOpError(f"operator {i} ({opname}) has {len(outs)} outputs")
        out_name = self.tname(outs[0])
        self.where = f"operator {i} ({opname}, output {out_name!r}): "
        handler = getattr(self, f"op_{opname.lower()}", None) if opname in SUPPORTED_OPS else None
        if self.float_op and handler is not None:    # a float operator's own handler, where it differs
            handler = getattr(self, f"float_{opname.lower()}", handler)
        if handler is None:
            raise UnsupportedOpError(f"operator {i} ({opname}, output tensor {out_name!r}) is not supported",
                                     "supported TFLite operators: " + ", ".join(SUPPORTED_OPS))
        if i in self.skipped:
            return
        source = f"op {i} {opname} -> {out_name}"
        node = handler(i, op, ins, outs[0], source)
        if node is not None:            # None: an operator that only renames a tensor
            # a dilated convolution writes the BATCH_TO_SPACE_ND's output (ops_dilated)
            self.check_shape(node, self.dilated_convs[i][2] if i in self.dilated_convs else outs[0])
