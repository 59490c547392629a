"""TFLite's comparisons and selection, with bool tensors: EQUAL, NOT_EQUAL, LESS, LESS_EQUAL,
GREATER, GREATER_EQUAL (IR compare), LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT (IR logical) and
SELECT_V2 (IR select), in the dtypes TFLite Micro computes them in: comparisons of int8 (each
operand rescaled), int32 and float32, EQUAL / NOT_EQUAL of bools; SELECT_V2 of int8, int16 and
float32. Any operand may be a constant (a threshold, a fill value); operands broadcast as numpy's
(up to 4 dimensions for a comparison, 5 for SELECT_V2, as TFLite Micro's)."""

from __future__ import annotations

from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.builder import Builder
from tinygen.frontend.tflite.reader import TYPE_NAMES, TYPES

COMPARISONS = {"EQUAL": "equal", "NOT_EQUAL": "not_equal", "LESS": "less", "LESS_EQUAL": "less_equal",
               "GREATER": "greater", "GREATER_EQUAL": "greater_equal"}
# the operand types TFLite Micro's comparisons take (besides int64, which tinygen has no kernels for)
_COMPARED = (TensorType.INT8, TensorType.INT32, TensorType.FLOAT32)
_SELECTED = (TensorType.INT8, TensorType.INT16, TensorType.FLOAT32)


class SelectOps(Builder):
    """op_equal .. op_greater_equal, op_logical_and / or / not, op_select_v2."""

    def _broadcast_shape(self, ins: list[int], rank: int) -> tuple[int, ...]:
        shapes = [self.shape(k) for k in ins]
        if max(map(len, shapes)) > rank:
            raise UnsupportedOpError(f"{self.where}operands of {max(map(len, shapes))} dimensions: TFLite Micro "
                                     f"broadcasts up to {rank}")
        out = []
        for axis in range(1, max(map(len, shapes)) + 1):
            sizes = {s[-axis] for s in shapes if len(s) >= axis} - {1}
            if len(sizes) > 1:
                raise ModelError(f"{self.where}operands of shapes {[list(s) for s in shapes]} do not broadcast")
            out.insert(0, sizes.pop() if sizes else 1)
        return tuple(out)

    def _role_node(self, i, opname, roles, ins, out, attrs, source, rank):
        """A node whose operands (roles, in order) are activations or constants."""
        if len(ins) != len(roles):
            raise ModelError(f"{self.where}has {len(ins)} inputs, expected {len(roles)}")
        if all(self.is_const(k) for k in ins):
            raise UnsupportedOpError(f"{self.where}every operand is a constant",
                                     "fold the constant expression before converting the model")
        inputs, params, active = [], {}, []
        for role, index in zip(roles, ins):
            if self.is_const(index):
                dtype = TYPES[self.tensor(index).Type()][0]
                params[role] = self.const(index, f"{opname}_{i}", role, dtype)
                if dtype in ("int8", "int16"):      # a quantized constant keeps its grid
                    self.graph.tensors[params[role]].qparams = self.qparams(index)
            else:
                inputs.append(self.activation(index))
                active.append(role)
        return self.add_node(i, opname, inputs, out, {**attrs, "operands": tuple(active)}, params, source,
                             self._broadcast_shape(ins, rank))

    def _compare(self, i, op, ins, out, source, fn: str):
        types = {self.tensor(k).Type() for k in ins}
        kind = types.pop() if len(types) == 1 else None
        name = TYPE_NAMES.get(kind, "?")
        if kind is None:
            raise ModelError(f"{self.where}operands of different types")
        if kind == TensorType.BOOL and fn not in ("equal", "not_equal"):
            raise UnsupportedOpError(f"{self.where}{fn.upper()} of BOOL: TFLite Micro compares bools for "
                                     "EQUAL and NOT_EQUAL only")
        if kind not in _COMPARED + (TensorType.BOOL,):
            raise UnsupportedOpError(f"{self.where}{fn.upper()} of {name}: tinygen compares INT8, INT32, FLOAT32 (and "
                                     "BOOL for equality)" + (", as TFLite Micro does; its int16 GREATER leaves its "
                                     "rescaling unset (undefined results), its other comparisons refuse INT16"
                                     if kind == TensorType.INT16 else ""))
        if kind == TensorType.INT8:
            for k in ins:
                if not 0 < float(self.qparams(k).scale[0]) < 1:
                    raise UnsupportedOpError(f"{self.where}operand {self.tname(k)!r} has scale "
                                             f"{float(self.qparams(k).scale[0])}: TFLite Micro rescales int8 "
                                             "comparisons with scales below 1 only")
        if self.tensor(out).Type() != TensorType.BOOL:
            raise ModelError(f"{self.where}output is {TYPE_NAMES.get(self.tensor(out).Type())}, not BOOL")
        return self._role_node(i, "compare", ("a", "b"), ins, out, {"fn": fn}, source, 4)

    def op_equal(self, i, op, ins, out, source):
        return self._compare(i, op, ins, out, source, "equal")

    def op_not_equal(self, i, op, ins, out, source):
        return self._compare(i, op, ins, out, source, "not_equal")

    def op_less(self, i, op, ins, out, source):
        return self._compare(i, op, ins, out, source, "less")

    def op_less_equal(self, i, op, ins, out, source):
        return self._compare(i, op, ins, out, source, "less_equal")

    def op_greater(self, i, op, ins, out, source):
        return self._compare(i, op, ins, out, source, "greater")

    def op_greater_equal(self, i, op, ins, out, source):
        return self._compare(i, op, ins, out, source, "greater_equal")

    def _logical(self, i, ins, out, source, fn: str):
        if any(self.tensor(k).Type() != TensorType.BOOL for k in (*ins, out)):
            raise UnsupportedOpError(f"{self.where}LOGICAL_{fn.upper()} takes and gives BOOL tensors")
        return self._role_node(i, "logical", ("a", "b")[:1 if fn == "not" else 2], ins, out, {"fn": fn}, source, 4)

    def op_logical_and(self, i, op, ins, out, source):
        return self._logical(i, ins, out, source, "and")

    def op_logical_or(self, i, op, ins, out, source):
        return self._logical(i, ins, out, source, "or")

    def op_logical_not(self, i, op, ins, out, source):
        return self._logical(i, ins, out, source, "not")

    def op_select_v2(self, i, op, ins, out, source):
        if len(ins) != 3:
            raise ModelError(f"{self.where}has {len(ins)} inputs, expected 3")
        kind = self.tensor(ins[1]).Type()
        if self.tensor(ins[0]).Type() != TensorType.BOOL:
            raise ModelError(f"{self.where}the condition is {TYPE_NAMES.get(self.tensor(ins[0]).Type())}, not BOOL")
        if self.tensor(ins[2]).Type() != kind or self.tensor(out).Type() != kind:
            raise ModelError(f"{self.where}x, y and the output differ in type")
        if kind not in _SELECTED:
            raise UnsupportedOpError(f"{self.where}SELECT_V2 of {TYPE_NAMES.get(kind)}: TFLite Micro selects INT8, "
                                     "INT16 and FLOAT32 only")
        return self._role_node(i, "select", ("cond", "x", "y"), ins, out, {}, source, 5)
