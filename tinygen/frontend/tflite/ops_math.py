"""TFLite operator handlers for the comparing and magnitude operators on quantized int8 / int16
tensors, as TFLite Micro's reference kernels compute them (tinygen/ref/mathops.py): MAXIMUM,
MINIMUM (stored integers compared; the int32 forms are PlainOps'), REDUCE_MAX, REDUCE_MIN,
ARG_MAX, ARG_MIN (int32 indices), ABS, ELU, RESIZE_BILINEAR, L2_NORMALIZATION; and the int8
ADD_N, CUMSUM and LOG_SOFTMAX (tinygen/ref/mathsums.py). The int8 ABS and ELU become tg_lut_s8
tables.
Where TFLite Micro refuses a type, so does tinygen, saying so."""

from __future__ import annotations

import numpy as np
import tflite
from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.builder import Builder
from tinygen.frontend.tflite.reader import TYPE_NAMES
from tinygen.ir import Kind, Node, Tensor
from tinygen.ref.mathops import abs_table, elu_table
from tinygen.ref.mathsums import LOG_SOFTMAX_OUTPUT_SCALE, LOG_SOFTMAX_OUTPUT_ZERO_POINT


class MathOps(Builder):
    """op_maximum, op_minimum, op_reduce_max, op_reduce_min, op_arg_max, op_arg_min, op_abs, op_elu,
    op_resize_bilinear, op_l2_normalization, op_add_n, op_cumsum, op_log_softmax."""

    def _types(self, indices, allowed: tuple[int, ...], what: str) -> None:
        """Refuse tensor types TFLite Micro's kernel refuses too."""
        for index in indices:
            ttype = self.tensor(index).Type()
            if ttype not in allowed:
                names = " and ".join(TYPE_NAMES[t] for t in allowed)
                raise UnsupportedOpError(f"{self.where}{what} of {TYPE_NAMES.get(ttype, ttype)}: TFLite Micro "
                                         f"runs it on {names} only, and so does tinygen")

    def _table(self, i, x: str, out, source, table: np.ndarray, what: str) -> Node:
        const = self.graph.add_const(self.graph.unique_name(f"{what}_{i}_table"), table, "int8")
        return self.add_node(i, "lut", [x], out, {}, {"table": const.name}, source, self.graph.tensors[x].shape)

    def _grids(self, ins, out) -> tuple[float, int, float, int]:
        q_in, q_out = self.qparams(ins[0]), self.qparams(out)
        return float(q_in.scale[0]), int(q_in.zero_point[0]), float(q_out.scale[0]), int(q_out.zero_point[0])

    # -- elementwise functions of one operand ----------------------------------------------------
    def op_abs(self, i, op, ins, out, source):
        self._types((ins[0], out), (TensorType.INT8, TensorType.INT16), "ABS")
        x = self.activation(ins[0])
        if self.graph.tensors[x].dtype == "int8":
            return self._table(i, x, out, source, abs_table(*self._grids(ins, out)), "abs")
        _, zi, _, zo = self._grids(ins, out)
        if zi or zo:
            raise UnsupportedOpError(f"{self.where}int16 ABS with zero points {zi} and {zo}: TFLite Micro takes "
                                     "int16 zero points of 0 only")
        return self.add_node(i, "abs", [x], out, {}, {}, source, self.graph.tensors[x].shape)

    def op_elu(self, i, op, ins, out, source):
        self._types((ins[0], out), (TensorType.INT8,), "ELU")
        x = self.activation(ins[0])
        return self._table(i, x, out, source, elu_table(*self._grids(ins, out)), "elu")

    # -- MAXIMUM / MINIMUM ------------------------------------------------------------------------
    def _min_max(self, i, ins, out, source, fn: str) -> Node:
        consts = self.operand_consts(ins)
        self._types((*ins, out), (TensorType.INT8, TensorType.INT16), fn.upper())
        if len({self.tensor(k).Type() for k in (*ins, out)}) != 1:
            raise UnsupportedOpError(f"{self.where}operands and output of different types: TFLite Micro "
                                     "computes them in one type")
        dtype = self.act_dtype(out)
        inputs, params = [], {}
        for k, index in enumerate(ins):
            if consts[k]:
                params["operand"] = self.const(index, f"{fn}_{i}", "operand", dtype)
            else:
                inputs.append(self.activation(index))
        if consts[0]:       # max and min commute: the constant second
            inputs = inputs[::-1]
        try:
            shape = tuple(int(n) for n in np.broadcast_shapes(*(self.shape(k) for k in ins)))
        except ValueError:
            raise ModelError(f"{self.where}operands of shapes {[list(self.shape(k)) for k in ins]} do not "
                             "broadcast") from None
        return self.add_node(i, "min_max", inputs, out, {"fn": fn}, params, source, shape)

    def op_maximum(self, i, op, ins, out, source):
        return self._min_max(i, ins, out, source, "maximum")

    def op_minimum(self, i, op, ins, out, source):
        return self._min_max(i, ins, out, source, "minimum")

    # -- REDUCE_MAX / REDUCE_MIN ------------------------------------------------------------------
    def _reduce_min_max(self, i, op, ins, out, source, fn: str, in_type: int = TensorType.INT8) -> Node:
        """int8 (input and output on one grid), or float32 (in_type)."""
        self._types((ins[0], out), (in_type,), f"REDUCE_{fn.upper()}")
        q_in, q_out = self.qparams(ins[0]), self.qparams(out)
        if in_type == TensorType.INT8 and (float(q_in.scale[0]) != float(q_out.scale[0])
                                           or int(q_in.zero_point[0]) != int(q_out.zero_point[0])):
            raise UnsupportedOpError(f"{self.where}input {q_in!r} and output {q_out!r} on different grids: TFLite "
                                     "Micro requires one grid for an int8 REDUCE_MAX / REDUCE_MIN, and so does "
                                     "tinygen")
        node = self.reduce(i, op, ins, out, source, "reduce_min_max")
        node.attrs["fn"] = fn
        return node

    def op_reduce_max(self, i, op, ins, out, source):
        return self._reduce_min_max(i, op, ins, out, source, "max")

    def op_reduce_min(self, i, op, ins, out, source):
        return self._reduce_min_max(i, op, ins, out, source, "min")

    # -- ARG_MAX / ARG_MIN -------------------------------------------------------------------------
    def _arg_min_max(self, i, ins, out, source, fn: str, in_type: int = TensorType.INT8) -> Node:
        self._types((ins[0],), (in_type,), f"ARG_{fn.upper()}")
        self._types((out,), (TensorType.INT32,), f"ARG_{fn.upper()} output")
        x = self.activation(ins[0])
        shape = self.graph.tensors[x].shape
        axes = self.int_const(ins[1], "axis").reshape(-1)
        if axes.size != 1 or not -len(shape) <= int(axes[0]) < len(shape):
            raise ModelError(f"{self.where}axis {axes.tolist()} for an input of shape {list(shape)}")
        axis = int(axes[0]) % len(shape)
        name = self.graph.unique_name(f"arg_{fn}_{i}")
        out_shape = shape[:axis] + shape[axis + 1:]
        # the indices are plain int32, no quantization
        self.graph.add_tensor(Tensor(name, out_shape, "int32", Kind.ACTIVATION))
        self.names[out] = name
        self.graph.meta.setdefault("tflite_tensors", {})[name] = out
        node = Node(name, "arg_min_max", [x], [name], {"fn": fn, "axis": axis}, [{}], source)
        self.graph.nodes.append(node)
        return node

    def op_arg_max(self, i, op, ins, out, source):
        return self._arg_min_max(i, ins, out, source, "max")

    def op_arg_min(self, i, op, ins, out, source):
        return self._arg_min_max(i, ins, out, source, "min")

    def op_l2_normalization(self, i, op, ins, out, source):
        """int8: the output on the grid TFLite Micro's kernel writes (scale 1/128, zero point 0;
        TFLite Micro does not check the file's, nor does tinygen)."""
        self._types((ins[0], out), (TensorType.INT8,), "L2_NORMALIZATION")
        if op.BuiltinOptions() is not None and self.options(op, tflite.L2NormOptions).FusedActivationFunction():
            raise UnsupportedOpError(f"{self.where}a fused activation: TFLite Micro refuses it")
        x = self.activation(ins[0])
        return self.add_node(i, "l2_norm", [x], out, {}, {}, source, self.graph.tensors[x].shape)

    # -- RESIZE_BILINEAR ---------------------------------------------------------------------------
    def _resize_bilinear(self, op, ins) -> tuple[str, tuple[int, ...], dict]:
        """The input activation, the output shape (the constant size) and the attributes."""
        corners = half = False
        if op.BuiltinOptions() is not None:
            opts = self.options(op, tflite.ResizeBilinearOptions)
            corners, half = bool(opts.AlignCorners()), bool(opts.HalfPixelCenters())
        if corners and half:
            raise ModelError(f"{self.where}align_corners and half_pixel_centers both set: TFLite Micro refuses it")
        x = self.activation(ins[0])
        n, _, _, c = self._nhwc(self.graph.tensors[x].shape)
        size = self.int_const(ins[1], "size").reshape(-1)
        if size.size != 2 or np.any(size < 1):
            raise ModelError(f"{self.where}size {size.tolist()}: expected [height, width], both positive")
        return x, (n, int(size[0]), int(size[1]), c), {"align_corners": corners, "half_pixel_centers": half}

    def op_resize_bilinear(self, i, op, ins, out, source):
        """int8, batch 1, to the constant size; the stored values interpolated (TFLite Micro
        ignores the quantization: tinygen takes input and output on one grid)."""
        self._types((ins[0], out), (TensorType.INT8,), "RESIZE_BILINEAR")
        x, shape, attrs = self._resize_bilinear(op, ins)
        if shape[0] != 1:
            raise UnsupportedOpError(f"{self.where}a batch of {shape[0]}: tinygen resizes one int8 image (batch 1)")
        if not self.qparams(ins[0]).same_as(self.qparams(out)):
            raise UnsupportedOpError(f"{self.where}input and output on different grids: tinygen resizes on one "
                                     "grid (TFLite's converter keeps it)")
        return self.add_node(i, "resize_bilinear", [x], out, attrs, {}, source, shape)

    # -- ADD_N, CUMSUM, LOG_SOFTMAX (int8) -------------------------------------------------------------
    def op_add_n(self, i, op, ins, out, source):
        """Two or more int8 activations of one shape on one grid (TFLite Micro requires both)."""
        self._types((*ins, out), (TensorType.INT8,), "ADD_N")
        if len(ins) < 2:
            raise ModelError(f"{self.where}ADD_N of {len(ins)} input: it takes two or more")
        consts = [self.tname(k) for k in ins if self.is_const(k)]
        if consts:
            raise UnsupportedOpError(f"{self.where}constant inputs {consts}: tinygen adds activations only",
                                     "add the constant to a bias or fold it before converting the model")
        if len({self.shape(k) for k in ins}) != 1:
            raise ModelError(f"{self.where}inputs of shapes {[list(self.shape(k)) for k in ins]}: TFLite Micro "
                             "requires one shape")
        if len({(float(self.qparams(k).scale[0]), int(self.qparams(k).zero_point[0])) for k in ins}) != 1:
            raise UnsupportedOpError(f"{self.where}inputs on different grids: TFLite Micro requires one scale and "
                                     "zero point for ADD_N's inputs, and so does tinygen")
        inputs = [self.activation(k) for k in ins]
        return self.add_node(i, "add_n", inputs, out, {}, {}, source, self.graph.tensors[inputs[0]].shape)

    def op_cumsum(self, i, op, ins, out, source):
        self._types((ins[0], out), (TensorType.INT8, TensorType.FLOAT32), "CUMSUM")
        x = self.activation(ins[0])
        shape = self.graph.tensors[x].shape
        axes = self.int_const(ins[1], "axis").reshape(-1)
        if axes.size != 1 or not -len(shape) <= int(axes[0]) < len(shape):
            raise ModelError(f"{self.where}axis {axes.tolist()} for an input of shape {list(shape)}")
        exclusive = reverse = False
        if op.BuiltinOptions() is not None:
            opts = self.options(op, tflite.CumsumOptions)
            exclusive, reverse = bool(opts.Exclusive()), bool(opts.Reverse())
        return self.add_node(i, "cumsum", [x], out,
                             {"axis": int(axes[0]) % len(shape), "exclusive": exclusive, "reverse": reverse}, {},
                             source, shape)

    def op_log_softmax(self, i, op, ins, out, source):
        """int8: the output on the grid TFLite Micro requires (scale 16/256, zero point 127)."""
        self._types((ins[0], out), (TensorType.INT8,), "LOG_SOFTMAX")
        q = self.qparams(out)
        if q is not None and (float(q.scale[0]) != LOG_SOFTMAX_OUTPUT_SCALE
                              or int(q.zero_point[0]) != LOG_SOFTMAX_OUTPUT_ZERO_POINT):
            raise UnsupportedOpError(f"{self.where}int8 LOG_SOFTMAX output {q!r}: TFLite Micro requires scale 16/256 "
                                     "and zero point 127, and so does tinygen")
        x = self.activation(ins[0])
        return self.add_node(i, "log_softmax", [x], out, {}, {}, source, self.graph.tensors[x].shape)
