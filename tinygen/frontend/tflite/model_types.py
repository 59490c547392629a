"""The model-level checks of a .tflite import, before any operator is imported: which tensor
types the model has and so what kind of model it is (a quantized one, int8 / int16; a float
model; a quantized model with float32 sections, Reader.mixed; one of plain integers, the signal
library's), its float boundary and integer ends, and every operator a type lacks kernels for,
named at once."""

from __future__ import annotations

import re

from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.reader import FLOAT_OPS, INT16_OPS, PLAIN_TYPES, TFLM_NO_INT16, TYPE_NAMES, Reader


class ModelTypes(Reader):
    """Reader's model-level checks (check_types and what it asks)."""

    def float_boundary(self) -> tuple[set[int], set[int]]:
        """(float32 input tensors that only feed QUANTIZE, float32 output tensors written by
        DEQUANTIZE from int8 that no operator reads): the model's float boundary, converted outside
        the compiled graph."""
        inputs, outputs = set(), set()
        users = self.users()
        producer = {t: self.sg.Operators(i) for t, i in self.producers().items()}
        for k in range(self.sg.InputsLength()):
            t = int(self.sg.Inputs(k))
            if (self.tensor(t).Type() == TensorType.FLOAT32 and users.get(t)
                    and all(self.opname(op) == "QUANTIZE" for op in users[t])):
                inputs.add(t)
        for k in range(self.sg.OutputsLength()):
            t = int(self.sg.Outputs(k))
            op = producer.get(t)
            if (self.tensor(t).Type() == TensorType.FLOAT32 and op is not None and not users.get(t)
                    and self.opname(op) == "DEQUANTIZE" and op.InputsLength() == 1
                    and self.tensor(int(op.Inputs(0))).Type() in (TensorType.INT8, TensorType.INT16)):
                outputs.add(t)
        return inputs, outputs

    def int_ends(self) -> set[int]:
        """int8 / int16 model inputs that only feed DEQUANTIZE into float32, and model outputs
        written by QUANTIZE from float32: the quantized ports of a float model (its body runs in
        float32; the DEQUANTIZE and QUANTIZE ops are compiled, as TFLite Micro runs them)."""
        ends, ints = set(), (TensorType.INT8, TensorType.INT16)
        users = self.users()
        producer = {t: self.sg.Operators(i) for t, i in self.producers().items()}
        for k in range(self.sg.InputsLength()):
            t = int(self.sg.Inputs(k))
            if self.tensor(t).Type() in ints and users.get(t) and all(
                    self.opname(op) == "DEQUANTIZE" and self.tensor(int(op.Outputs(0))).Type() == TensorType.FLOAT32
                    for op in users[t]):
                ends.add(t)
        for k in range(self.sg.OutputsLength()):
            t = int(self.sg.Outputs(k))
            op = producer.get(t)
            if (self.tensor(t).Type() in ints and op is not None and self.opname(op) == "QUANTIZE"
                    and self.tensor(int(op.Inputs(0))).Type() == TensorType.FLOAT32):
                ends.add(t)
        return ends

    def check_float_sections(self, internal: set[int]) -> None:
        """In a mixed model, every operator but DEQUANTIZE and QUANTIZE that reads or writes a
        float32 activation has no int8 / int16 tensor (activation or weights): TFLite Micro's
        kernels take one type (a float operator on int8 weights would be a hybrid one, which
        it does not run either)."""
        ints, bad = (TensorType.INT8, TensorType.INT16), []
        for i in range(self.sg.OperatorsLength()):
            op = self.sg.Operators(i)
            if self.opname(op) in ("DEQUANTIZE", "QUANTIZE"):
                continue
            tensors = [int(t) for t in (op.InputsAsNumpy() if op.InputsLength() else [])] + \
                      [int(t) for t in (op.OutputsAsNumpy() if op.OutputsLength() else [])]
            tensors = [t for t in tensors if t >= 0 and t not in internal]
            types = {self.tensor(t).Type() for t in tensors}
            floats = any(self.tensor(t).Type() == TensorType.FLOAT32 and not self.is_const(t) for t in tensors)
            if floats and types & set(ints):
                kinds = sorted(TYPE_NAMES[t] for t in types & set(ints + (TensorType.FLOAT32,)))
                bad.append(f"operator {i} ({self.opname(op)}: {' and '.join(kinds)})")
        if bad:
            raise ModelError(f"{self.filename} has operators that mix float32 and integer tensors: {', '.join(bad)}",
                             "TFLite Micro's kernels take one type: put a QUANTIZE or DEQUANTIZE between them "
                             "(as the TFLite converter does)")

    def touches_float(self, op, ins: list[int], outs: list[int]) -> bool:
        """Whether an operator of a mixed model computes in float32: it reads or writes a float32
        activation, but for the DEQUANTIZE into a float32 model output (the model's boundary)."""
        if self.opname(op) == "DEQUANTIZE" and outs and outs[0] in self.float_outputs:
            return False
        return any(t >= 0 and not self.is_const(t) and self.tensor(t).Type() == TensorType.FLOAT32
                   for t in ins + outs)

    def recurrent_internal(self) -> set[int]:
        """Tensors only an operator itself uses, whatever their type: variable tensors (a
        recurrent layer's state: the LSTM's int16 cell, the SVDF's int16 activation state) and
        operators' intermediates (the LSTM's gate scales, which TFLite Micro's integer LSTM does
        not read); the operators check them (ops_recurrent.py). Resource handles too (a VAR_HANDLE's
        output, which only the variable operators read: ops_variable.py)."""
        found = {i for i in range(self.sg.TensorsLength())
                 if self.sg.Tensors(i).IsVariable() or self.sg.Tensors(i).Type() == TensorType.RESOURCE}
        for i in range(self.sg.OperatorsLength()):
            op = self.sg.Operators(i)
            if op.IntermediatesLength():
                found.update(int(t) for t in op.IntermediatesAsNumpy())
        return found

    def operators_reading(self, ttype: int, internal: set[int], supported: tuple[str, ...] = ()) -> str:
        """The operators (but those in `supported`) that read or write an activation of type
        `ttype` (the model's inputs count as read by their operators), by name and position:
        "QUANTIZE (operators 0, 14), SOFTMAX (operator 13)"."""
        found: dict[str, list[int]] = {}
        for i in range(self.sg.OperatorsLength()):
            op = self.sg.Operators(i)
            tensors = [int(t) for t in (op.InputsAsNumpy() if op.InputsLength() else [])] + \
                      [int(t) for t in (op.OutputsAsNumpy() if op.OutputsLength() else [])]
            name = self.opname(op)
            if name == "CUSTOM" and 0 <= op.OpcodeIndex() < self.model.OperatorCodesLength():
                name = f"CUSTOM ({(self.model.OperatorCodes(op.OpcodeIndex()).CustomCode() or b'?').decode()})"
            if name not in supported and any(
                    t >= 0 and t not in internal and not self.is_const(t) and self.tensor(t).Type() == ttype
                    for t in tensors):
                found.setdefault(name, []).append(i)
        return ", ".join(f"{name} (operator{'s' if len(at) > 1 else ''} "
                         f"{', '.join(map(str, at[:6]))}{' ...' if len(at) > 6 else ''})" for name, at in found.items())

    def plain_integers(self) -> bool:
        """Whether no tensor of the model is quantized and every activation is one of
        PLAIN_TYPES: a model of plain integers, as TFLite Micro's signal library writes an audio
        front end (int16 samples, uint32 energies, ...). Its tensors' values are themselves. float32
        activations may join them where every model input is an integer (the float front end ends in a
        CAST to float32 and a MUL); a model with a float32 input is a float model."""
        for i in range(self.sg.TensorsLength()):
            t = self.sg.Tensors(i)
            q = t.Quantization()
            if q is not None and q.ScaleLength() > 0:
                return False
            if not self.is_const(i) and t.Type() not in PLAIN_TYPES + (TensorType.FLOAT32, TensorType.RESOURCE):
                return False
        inputs = [int(self.sg.Inputs(k)) for k in range(self.sg.InputsLength())]
        return self.sg.TensorsLength() > 0 and all(self.tensor(k).Type() in PLAIN_TYPES for k in inputs)

    def check_types(self) -> None:
        """Reject float, dynamic-range and int16 models before looking at operators."""
        if self.plain_integers():
            self.plain_model = True
            return
        act_types, weight_types = set(), set()
        float_inputs, float_outputs = self.float_boundary()
        inner_floats = []
        internal = self.recurrent_internal()
        int_ends = self.int_ends()
        for i in range(self.sg.TensorsLength()):
            if i in float_inputs or i in float_outputs or i in internal or i in int_ends:
                continue
            t = self.sg.Tensors(i)
            is_const = self.is_const(i)
            (weight_types if is_const else act_types).add(t.Type())
            if not is_const and t.Type() == TensorType.FLOAT32:
                inner_floats.append(i)
        f = self.filename
        if TensorType.FLOAT32 in act_types:
            if TensorType.INT8 in weight_types and not act_types & {TensorType.INT8, TensorType.INT16}:
                raise ModelError(f"{f} is a dynamic-range quantized model (float activations, int8 weights): "
                                 "TFLite Micro does not run such (hybrid) models either", "convert it with full int8 quantization "
                                 "(a representative dataset, inference_input_type=tf.int8)")
            if not act_types & {TensorType.INT8, TensorType.INT16} and weight_types <= {TensorType.FLOAT32,
                                                                                     TensorType.INT32}:
                lacking = self.operators_reading(TensorType.FLOAT32, internal, FLOAT_OPS)
                if lacking:
                    raise ModelError(f"{f} is a float model with operators tinygen does not run in float32 yet: "
                                     f"{lacking}", "float32 runs " + ", ".join(FLOAT_OPS) + "; or quantize it: "
                                     "convert it to int8 with the TFLite converter")
                self.float_model = True
                return
            if not act_types & {TensorType.INT8, TensorType.INT16}:
                raise ModelError(f"{f} mixes float32 and quantized activations: not supported",
                                 "convert it fully to int8 (or int16) with the TFLite converter, or give the float "
                                 "model")
            # a quantized model with float32 sections (DEQUANTIZE -> float32 operators -> QUANTIZE, a
            # float head such as DETECTION_POSTPROCESS): TFLite Micro runs each operator on its own types
            lacking = self.operators_reading(TensorType.FLOAT32, internal, FLOAT_OPS)
            if lacking:
                producers = self.producers()
                where = ", ".join(f"{self.tname(t)!r} ({self.origin(t, producers)})" for t in inner_floats[:3])
                raise ModelError(f"{f} has float32 tensors between its quantized layers ({where}) read or written "
                                 f"by operators tinygen does not run in float32: {lacking}",
                                 "float32 runs " + ", ".join(FLOAT_OPS))
            self.check_float_sections(internal)
            self.mixed = True
        if TensorType.INT16 in act_types:
            lacking = self.operators_reading(TensorType.INT16, internal, INT16_OPS)
            if lacking:
                neither = [name for name in TFLM_NO_INT16 if re.search(rf"(^|, ){name} \(", lacking)]
                if neither:
                    lacking += f"; TFLite Micro runs no {' or '.join(neither)} with int16 activations either"
                raise ModelError(f"{f} has int16 activations (16x8 quantization) where tinygen has no int16 kernel "
                                 f"yet: {lacking}", "int16 activations are supported for " + ", ".join(INT16_OPS)
                                 + "; quantize the rest with int8 activations (TFLite's default full-integer "
                                 "conversion)")
        if TensorType.INT64 in act_types:       # an index output (ARG_MAX): the package's kernels take INT32
            lacking = self.operators_reading(TensorType.INT64, internal)
            raise UnsupportedOpError(f"{f}: {lacking} with an INT64 output: TFLite Micro runs it on INT32 only, "
                                     "and so does tinygen", "convert the model with output_type=tf.int32")
        if act_types - {TensorType.INT8, TensorType.INT16, TensorType.INT32, TensorType.BOOL} - (
                {TensorType.FLOAT32} if self.mixed else set()):
            names = sorted(TYPE_NAMES.get(t, str(t)) for t in act_types)
            raise ModelError(f"{f} has activations of types {names}: only int8 is supported")
        self.float_inputs, self.float_outputs = float_inputs, float_outputs

