"""The IR side of a .tflite import, shared by every operator handler (ops_mac, ops_tensor,
ops_activation): reading an operator's options, adding a node with its fused activation
range, an explicit reshape, the shape checks, the zero points 0 of 16x8 operators, and the int16
LOGISTIC / TANH node (ops_activation, ops_simple)."""

from __future__ import annotations

import math

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.prepare import activation_range, float_activation
from tinygen.frontend.tflite.model_types import ModelTypes
from tinygen.ir import Kind, Node, QParams, Tensor
from tinygen.quant import s16_params


class Builder(ModelTypes):
    """A Reader that adds IR nodes; `where` names the operator being imported in errors."""

    def check_shape(self, node: Node, out_index: int) -> None:
        want = self.shape(out_index)
        got = self.graph.tensors[node.outputs[0]].shape
        if math.prod(want) != math.prod(got) or (node.op != "reshape" and want != got):
            raise ModelError(f"{self.where}output shape {list(want)} in the file, but the operator "
                             f"computes {list(got)}")

    def options(self, op, cls):
        table = op.BuiltinOptions()
        if table is None:
            raise ModelError(f"{self.where}options are missing")
        opts = cls()
        opts.Init(table.Bytes, table.Pos)
        return opts

    def add_node(self, i, opname, inputs, out_index, attrs, params, source, shape=None, fused=None) -> Node:
        name = self.graph.unique_name(f"{opname}_{i}")
        out = self.new_activation(out_index, name, shape)
        if fused is not None and self.graph.tensors[out].dtype == "float32":
            attrs["activation"] = float_activation(fused, self.where)
        elif fused is not None:
            q = self.graph.tensors[out].qparams
            attrs["act_min"], attrs["act_max"] = activation_range(fused, q.scale[0], int(q.zero_point[0]),
                                                                  self.graph.tensors[out].dtype, self.where)
        node = Node(name, opname, inputs, [out], attrs, [params], source)
        self.graph.nodes.append(node)
        return node

    def operand_consts(self, ins) -> list[bool]:
        """Which of a binary operator's two operands are constants (not both)."""
        if len(ins) != 2:
            raise ModelError(f"{self.where}has {len(ins)} inputs, expected 2")
        consts = [self.is_const(k) for k in ins]
        if all(consts):
            raise UnsupportedOpError(f"{self.where}both operands are constants",
                                     "fold the constant expression before converting the model")
        return consts

    def _reshape(self, i, x: str, shape, source) -> str:
        name = self.graph.unique_name(f"reshape_{i}")
        q = self.graph.tensors[x].qparams
        self.graph.add_tensor(Tensor(name, shape, self.graph.tensors[x].dtype, Kind.ACTIVATION,
                                     qparams=QParams(q.scale, q.zero_point)))
        self.graph.nodes.append(Node(name, "reshape", [x], [name], {}, [{}], source))
        return name

    def _nhwc(self, shape) -> tuple[int, int, int, int]:
        if len(shape) != 4:
            raise ModelError(f"{self.where}input has shape {list(shape)}, expected 4-D NHWC")
        return shape

    def check_zero_points_s16(self, opname: str, tensors) -> None:
        """An int16 operator whose TFLite Micro kernel takes only zero points 0 (TFLite's 16x8
        scheme): refused, naming it, where one of `tensors` (file indices) has another."""
        if any(self.act_dtype(k) == "int16" and int(self.qparams(k).zero_point[0]) for k in tensors):
            raise UnsupportedOpError(f"{self.where}int16 {opname} needs zero points 0 (TFLite Micro requires them "
                                     "too)")

    def _sigmoid_s16(self, i, opname: str, ins, out, source) -> Node:
        """int16 LOGISTIC and TANH (TFLite Micro's 16x8 table interpolation): zero points 0, the
        output Q0.15, the input's scale at most 32767 / 12288."""
        x = self.activation(ins[0])
        in_q, out_q = self.qparams(ins[0]), self.qparams(out)
        if not s16_params.sigmoid_output_ok(out_q.scale[0], int(out_q.zero_point[0])):
            raise UnsupportedOpError(f"{self.where}int16 {opname} output must have scale 1/32768 and zero point 0, "
                                     f"not {out_q!r} (TFLite Micro's kernel writes Q0.15)")
        self.check_zero_points_s16(opname.upper(), ins[:1])
        try:
            s16_params.sigmoid_s16_params(1, in_q.scale[0], opname)
        except ValueError as e:
            raise UnsupportedOpError(f"{self.where}{e}") from None
        return self.add_node(i, opname, [x], out, {}, {}, source, self.graph.tensors[x].shape)
