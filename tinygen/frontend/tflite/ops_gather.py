"""TFLite's gathers as IR gather nodes (tinygen.ref.moves.gather): GATHER (batch_dims 0, any
axis), GATHER_ND and EMBEDDING_LOOKUP, int32 indices; the values and the indices each an
activation or a constant (both constants: folded, ops_fold). Bytes copied whatever the
quantization, as TFLite Micro does."""

from __future__ import annotations

import math

import tflite
from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.ops_shape import ShapeOps
from tinygen.frontend.tflite.reader import TYPE_NAMES
from tinygen.ir import Node


class GatherOps(ShapeOps):
    """op_gather, op_gather_nd, op_embedding_lookup."""

    def _gather(self, i, opname: str, values: int, indices: int, out, source, index_dims, outer: int,
                shape) -> Node:
        self._moved(opname, values)
        if self.tensor(indices).Type() != TensorType.INT32:
            raise UnsupportedOpError(f"{self.where}{opname} indices of type "
                                     f"{TYPE_NAMES.get(self.tensor(indices).Type(), '?')}: tinygen takes INT32")
        if self.tensor(values).Type() != self.tensor(out).Type():
            raise UnsupportedOpError(f"{self.where}{opname} from {TYPE_NAMES.get(self.tensor(values).Type())} values "
                                     f"to a {TYPE_NAMES.get(self.tensor(out).Type())} output (a hybrid lookup that "
                                     "dequantizes): tinygen gathers values of the output's type")
        name = f"gather_{i}"
        params, inputs = {}, []
        for role, k in (("values", values), ("indices", indices)):
            if self.is_const(k):
                dtype = "int32" if role == "indices" else self.act_dtype(out)
                params[role] = self.const(k, name, role, dtype)
            else:
                inputs.append(self.activation(k))
        attrs = {"index_dims": tuple(int(d) for d in index_dims), "outer": int(outer)}
        return self.add_node(i, "gather", inputs, out, attrs, params, source, tuple(shape))

    def op_gather(self, i, op, ins, out, source):
        opts = self.options(op, tflite.GatherOptions)
        if opts.BatchDims():
            raise UnsupportedOpError(f"{self.where}GATHER with batch_dims {opts.BatchDims()}: tinygen takes 0")
        shape = self.shape(ins[0])
        axis = self._axis(opts.Axis(), len(shape))
        out_shape = shape[:axis] + self.shape(ins[1]) + shape[axis + 1:]
        return self._gather(i, "GATHER", ins[0], ins[1], out, source, [shape[axis]], math.prod(shape[:axis]),
                            out_shape)

    def op_gather_nd(self, i, op, ins, out, source):
        shape, index_shape = self.shape(ins[0]), self.shape(ins[1])
        depth = index_shape[-1] if index_shape else 0
        if not 1 <= depth <= len(shape):
            raise ModelError(f"{self.where}indices of shape {list(index_shape)} for params {list(shape)}")
        return self._gather(i, "GATHER_ND", ins[0], ins[1], out, source, shape[:depth], 1,
                            index_shape[:-1] + shape[depth:])

    def op_embedding_lookup(self, i, op, ins, out, source):
        shape, ids = self.shape(ins[1]), self.shape(ins[0])
        if len(ids) != 1:
            raise ModelError(f"{self.where}ids of shape {list(ids)}, expected one dimension")
        return self._gather(i, "EMBEDDING_LOOKUP", ins[1], ins[0], out, source, [shape[0]], 1, ids + shape[1:])
