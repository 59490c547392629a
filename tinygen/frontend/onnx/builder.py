"""The node builders the ONNX op handlers share (tinygen/frontend/onnx/importer.py's Importer
is a NodeBuilder): reading a node's inputs (activations, constants, a MAC op's weights), adding
IR nodes (emitted now, or Pending for QuantizeLinear in a quantized model), moving values
between ONNX's element order and the IR's layout, and the wording of a node's refusal."""

from __future__ import annotations

import numpy as np
import onnx

from tinygen.errors import UnsupportedOpError
from tinygen.frontend.layout import TO_NCHW, TO_NHWC, ir_shape, nchw4, same_order
from tinygen.frontend.onnx.advice import supported_line
from tinygen.frontend.onnx.values import (Act, Const, FloatInput, IntWeight, Pending, QConst, View, _raw, _Raw,
                                          ir_of)
from tinygen.ir import Graph, Kind, Node, QParams, Tensor

# IR ops that keep their input's grid in a quantized model (TFLite's same-quantization ops)
GRID_OPS = {"reshape", "transpose", "slice", "pad", "max_pool2d", "resize_nearest", "resize_bilinear", "clamp"}


class NodeBuilder:
    """What the op handlers call on the importer; the Importer sets this state and walks the graph."""

    graph: Graph
    quant: bool                         # a quantized model (QDQ or QOperator)
    node: onnx.NodeProto | None         # the node being translated
    filename: str

    def where(self) -> str:
        n = self.node
        return f"node {n.name!r}" if n.name else f"the node computing {n.output[0]!r}"

    def source(self) -> str:
        n = self.node
        return f"{n.op_type} {n.name or n.output[0]}"

    def unsupported(self, reason: str, hint: str | None = None) -> UnsupportedOpError:
        return UnsupportedOpError(f"{self.node.op_type} at {self.where()}: {reason}",
                                  hint=hint or supported_line(self.quant))

    # -- reading inputs -------------------------------------------------------------
    def act(self, v, what: str = "input"):
        """An activation input: an Act (float model), or an Act or Pending (quantized model;
        DequantizeLinear of an activation reads the activation itself)."""
        if isinstance(v, Act):
            return v
        if isinstance(v, View) and not v.fns:
            return v.src
        if isinstance(v, Pending) and v.stage == "done":
            return v
        if isinstance(v, View):
            raise self.unsupported(f"its {what} is computed in float ({', '.join(w for w, _ in v.fns)}) "
                                   "without a QuantizeLinear in between; quantize that value")
        if isinstance(v, FloatInput):
            raise self.float_input(v)
        raise self.unsupported(f"its {what} must be an activation computed from the model input, "
                               "not a constant")

    def float_input(self, v: FloatInput) -> UnsupportedOpError:
        """The refusal of a computation on a quantized model's float input before its QuantizeLinear."""
        return self.unsupported(
            f"it computes on the float model input {v.name!r} before its QuantizeLinear (a normalization or "
            "other preprocessing inside the model); the compiled model's input is the int8 tensor that "
            "QuantizeLinear makes", "do that preprocessing on the data before it reaches the model (on the host "
            "or in your application) and export the model without it; only layout ops (Flatten, Reshape, "
            "Transpose, Slice, a constant Pad, MaxPool) may come before the input's QuantizeLinear")

    def const(self, v, what: str) -> np.ndarray | None:
        """A float constant input (DequantizeLinear of an integer constant: its real values)."""
        if v is None:
            return None
        if is_const(v):
            return np.asarray(const_array(v, real=True))
        raise self.unsupported(f"its {what} must be a constant (an initializer), not computed from the input")

    def ints(self, v, what: str) -> list[int] | None:
        c = self.const(v, what)
        return None if c is None else [int(x) for x in np.asarray(c).reshape(-1)]

    def weight(self, v, what: str, axis: int):
        """A MAC op's weights: real values (float model), or an IntWeight (quantized model:
        the integers less their zero point, per-channel along the ONNX `axis`)."""
        if not self.quant:
            return self.const(v, what)
        if isinstance(v, QConst):
            qc = v
        elif isinstance(v, Const) and np.issubdtype(v.value.dtype, np.integer):
            raise self.unsupported(f"its {what} are integers without a DequantizeLinear")
        elif isinstance(v, Const):
            raise self.unsupported(
                f"the quantizer left this {self.node.op_type} in float (its {what} are float initializers, "
                "no DequantizeLinear of integers): onnxruntime's QOperator format has no quantized "
                f"{self.node.op_type}, and tinygen compiles quantized models int8 end to end",
                "quantize in QDQ form, which quantizes it: quantize_static(..., "
                "quant_format=QuantFormat.QDQ)")
        else:
            raise self.unsupported(f"its {what} are not quantized (no DequantizeLinear of an integer "
                                   "initializer); quantize the weights too (quantize_static does)")
        if qc.dtype not in ("int8", "uint8"):
            raise self.unsupported(f"its {what} are {qc.dtype}; tinygen takes int8 or uint8 weights")
        shape = [1] * qc.q.ndim
        per_channel = qc.scale.size > 1
        if per_channel:
            if qc.axis % qc.q.ndim != axis % qc.q.ndim:
                raise self.unsupported(f"its {what} are quantized per slice along axis {qc.axis}; tinygen "
                                       f"takes per-tensor or per output channel (axis {axis})")
            shape[axis] = -1
        zp = qc.zero_point.reshape(shape if qc.zero_point.size > 1 else ())
        q = qc.q - zp
        if q.min(initial=0) < -128 or q.max(initial=0) > 127:
            raise self.unsupported(
                f"its {what} have zero points {sorted(set(qc.zero_point.tolist()))[:4]} that leave int8 once "
                f"subtracted (values {int(q.min())}..{int(q.max())}); tinygen's kernels take weights with zero "
                "point 0", "quantize the weights symmetrically (quantize_static's default, "
                "extra_options={'WeightSymmetric': True})")
        return IntWeight(q.astype(np.int64), qc.scale.astype(np.float32), qc.bits or 8)

    # -- building IR -----------------------------------------------------------------
    def node_value(self, op: str, prefix: str, inputs: list, tshape, attrs: dict | None = None,
                   params: dict | None = None):
        """One IR node on activations `inputs` (Acts, or Pendings in a quantized model):
        emitted now in a float model, and in a quantized one where the op keeps its input's
        grid and the input is known; otherwise a Pending for QuantizeLinear to finish."""
        tshape = _Raw(int(d) for d in tshape) if isinstance(tshape, _Raw) else tuple(int(d) for d in tshape)
        if self.quant and (op not in GRID_OPS or any(isinstance(x, Pending) for x in inputs)):
            return Pending(op, prefix, list(inputs), tshape, dict(attrs or {}), dict(params or {}), self.source())
        q = self.graph.tensor(inputs[0].name).qparams if self.quant else None
        if q is not None and q.per_channel:
            raise self.unsupported(f"it reads {inputs[0].name!r}, which is quantized per channel; only a depthwise "
                                   "convolution reads such a tensor")
        return Act(self.emit(op, prefix, [x.name for x in inputs], ir_of(tshape), attrs, params, q), tshape,
                   inputs[0].etype)

    def emit(self, op: str, prefix: str, inputs: list[str], shape, attrs: dict | None = None,
             params: dict | None = None, qparams: QParams | None = None, dtype: str | None = None,
             source: str | None = None) -> str:
        """Add an IR node and its output tensor (int8 on `qparams`, else float32); `params`
        are constants by role: ndarrays (float32 unless `dtype`), or IR tensor names."""
        g = self.graph
        name = f"{prefix}_{len(g.nodes)}"
        while name in g.tensors or any(n.name == name for n in g.nodes):
            name += "_"
        g.add_tensor(Tensor(name, tuple(shape), "int8" if qparams is not None else "float32", Kind.ACTIVATION,
                            qparams=qparams))
        pset = {}
        for role, data in (params or {}).items():
            if isinstance(data, str):
                pset[role] = data
                continue
            cname = g.unique_name(f"{name}_{role}")
            g.add_const(cname, np.ascontiguousarray(data, dtype=dtype or np.float32))
            pset[role] = cname
        g.nodes.append(Node(name, op, list(inputs), [name], dict(attrs or {}), [pset],
                            source=source or self.source()))
        return name

    def reshape_to(self, x, dst) -> object:
        """x as shape `dst`, in ONNX's (NCHW) element order."""
        dst = tuple(int(d) for d in dst)
        if dst == x.tshape:
            return x
        if len(dst) < 1 or dst[0] != 1:
            raise self.unsupported(f"a reshape from {list(x.tshape)} to {list(dst)} must keep the batch "
                                   "dimension (1) first")
        return self.from_nchw(self.to_nchw(x), dst)

    def to_nchw(self, x):
        """x's elements in ONNX's order: a value whose IR shape is x.tshape itself."""
        cur = x
        if len(x.tshape) in (3, 4) and not same_order(x.tshape):
            cur = self.node_value("transpose", "transpose", [cur], _raw(nchw4(x.tshape)), {"perm": TO_NCHW})
        if ir_of(cur.tshape) != tuple(x.tshape):
            cur = self.node_value("reshape", "reshape", [cur], _raw(x.tshape))
        return cur

    def from_nchw(self, x, tshape):
        """A value holding elements in ONNX's order (IR shape == its tshape) as ONNX shape `tshape`."""
        tshape = tuple(int(d) for d in tshape)
        cur = x
        if len(tshape) in (3, 4) and not same_order(tshape):
            if ir_of(cur.tshape) != nchw4(tshape):
                cur = self.node_value("reshape", "reshape", [cur], _raw(nchw4(tshape)))
            return self.node_value("transpose", "transpose", [cur], tshape, {"perm": TO_NHWC})
        if ir_of(cur.tshape) != ir_shape(tshape):
            return self.node_value("reshape", "reshape", [cur], tshape)
        return _retag(cur, tshape)


def is_const(v) -> bool:
    return isinstance(v, (Const, QConst))



def const_array(v, real: bool = False) -> np.ndarray:
    """A constant's array: a QConst's stored integers (in its dtype), or with `real` its
    DequantizeLinear values."""
    if isinstance(v, QConst):
        return v.real() if real else v.q.astype(v.dtype)
    return v.value



def _retag(v, tshape):
    """The same value under ONNX shape `tshape` (as many elements, the same IR layout)."""
    tshape = tuple(int(d) for d in tshape)
    if isinstance(v, Act):
        return Act(v.name, tshape, v.etype)
    v.tshape = tshape
    return v
