"""Walk an ONNX graph in order and build the IR: the driver (the value bookkeeping is in
tinygen/frontend/onnx/values.py, the node builders the op handlers share in builder.py, whose
NodeBuilder the Importer extends).

Handlers are looked up by (domain, op type) in HANDLERS (filled by ops_nn, ops_shape and
quantized); each takes (importer, ONNX node, input values) and returns the output value
(or a list, one per output). Nodes whose inputs are all constants are folded with onnx's
reference evaluator (Shape of an activation is its known shape), so shape arithmetic,
Constant, Identity and the like never reach the IR. Every node that no handler takes, or
that its handler refuses, is collected: one UnsupportedOpError lists them all.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable

import numpy as np
import onnx
from onnx import helper
from onnx.reference import ReferenceEvaluator

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.layout import ir_shape
from tinygen.frontend.onnx import reader
from tinygen.frontend.onnx.advice import refusal
from tinygen.frontend.onnx.builder import NodeBuilder, is_const, const_array
from tinygen.frontend.onnx.float_tail import float_value, tail_of
from tinygen.frontend.onnx.values import Act, Const, FloatInput, Pending, QConst, View, grid_values
from tinygen.ir import Graph, Kind, Tensor

HANDLERS: dict[tuple[str, str], Callable] = {}
# ops whose presence makes a model quantized (QDQ or QOperator)
QUANT_OPS = {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger",
             "QLinearAdd", "QLinearMul", "QLinearAveragePool", "QLinearGlobalAveragePool", "QLinearSigmoid",
             "QLinearLeakyRelu", "QLinearConcat", "QGemm", "QLinearSoftmax", "DynamicQuantizeLinear"}
# ops that only move or pick elements (a float function before them can wait until after them)
MOVERS = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Slice", "Split", "MaxPool", "Identity",
          "Dropout"}
# ops on a quantized model's float input that may come before its QuantizeLinear: they move, pick or
# pad elements (constant padding), so quantizing after them equals quantizing before them
INPUT_MOVERS = MOVERS | {"Pad"}
# ops never folded even on constant inputs: the quantized front end reads their integers
KEEP = {"QuantizeLinear", "DequantizeLinear"}


def register(op: str, domain: str = ""):
    def deco(fn):
        HANDLERS[(domain, op)] = fn
        return fn
    return deco


class Importer(NodeBuilder):
    """Importer(model, name, filename).run() -> the IR graph (float, or quantized with
    graph.meta["quantized"] = "onnx")."""

    def __init__(self, model: onnx.ModelProto, name: str, filename: str, rounding: str = "onnxruntime"):
        self.model, self.filename = model, filename
        self.rounding = rounding        # quantized.ROUNDINGS: how requantization rounds
        self.graph = Graph(name=name)
        self.opset = reader.opset(model, "")
        self.quant = any(n.op_type in QUANT_OPS for n in model.graph.node)
        self.qonnx = any(n.domain == reader.QONNX_DOMAIN for n in model.graph.node)     # a float graph with Quant nodes
        self.env: dict[str, object] = {}
        self.uses = Counter(t for n in model.graph.node for t in n.input if t)
        self.uses.update(o.name for o in model.graph.output)
        self.node: onnx.NodeProto | None = None
        self.refusals: list[tuple[str, str, UnsupportedOpError]] = []
        self.broken: set[str] = set()           # outputs of refused nodes without a stand-in
        self.stand_ins: set[str] = set()        # IR tensors standing in for refused nodes' outputs
        self.float_inputs: dict[int, Act] = {}  # quantized models: model input -> its int8 port
        self.tail_values: dict[int, Act] = {}   # ... a float tail's values (float_tail.float_value)
        self.grids: dict[str, object] = {}      # QONNX: IR activation -> the Grid a Quant put it on (qonnx.py)

    # -- driver ---------------------------------------------------------------------
    def run(self) -> Graph:
        g = self.model.graph
        for t in g.initializer:
            value = reader.to_array(t)
            if np.issubdtype(value.dtype, np.floating) and not np.isfinite(value).all():
                raise ModelError(f"{self.filename}: initializer {t.name!r} contains "
                                 f"{int((~np.isfinite(value)).sum())} NaN or Inf values",
                                 "retrain or repair the model; tinygen cannot quantize non-finite weights")
            self.env[t.name] = Const(value, f"initializer {t.name!r}")
        inputs = reader.graph_inputs(self.model, self.filename)
        for k, (name, shape) in enumerate(inputs):
            ir_name = "input" if len(inputs) == 1 else f"input_{k}"
            if self.quant:
                self.env[name] = FloatInput(k, ir_name, shape)
            else:
                self.graph.add_tensor(Tensor(ir_name, ir_shape(shape), "float32", Kind.INPUT))
                self.graph.inputs.append(ir_name)
                self.env[name] = Act(ir_name, shape)
        for node in g.node:
            self.node = node
            self._translate(node)
        if self.refusals:
            raise refusal(self.refusals, self.filename)
        if self.quant:
            self.graph.inputs = [self.float_inputs[k].name for k in sorted(self.float_inputs)]
        self._outputs()
        self._prune()
        if self.quant:
            if len(self.graph.inputs) != len(inputs):
                missing = [n for k, (n, _) in enumerate(inputs) if k not in self.float_inputs]
                raise UnsupportedOpError(f"{self.filename}: input {missing[0]!r} is not quantized by a "
                                         "QuantizeLinear", "quantize the whole model (quantize_static)")
            self.graph.meta.update(quantized="onnx", input_rounding="half_even",
                                   float_inputs=list(self.graph.inputs))
        return self.graph

    def _translate(self, node: onnx.NodeProto) -> None:
        key = (node.domain if node.domain not in reader.DEFAULT_DOMAINS else "", node.op_type)
        for name in node.input:
            if name and name not in self.env and name not in self.broken:
                raise ModelError(f"{self.filename}: node {self.where()} reads {name!r}, which no node before it "
                                 "computes", "the graph must be in topological order: save it with onnx again")
        if any(name in self.broken for name in node.input):
            if key not in HANDLERS and not self._foldable(node):
                self._refuse(UnsupportedOpError(self._unsupported_text()))
            self.broken.update(o for o in node.output if o)
            return
        ins = [self.env[n] if n else None for n in node.input]
        standing_in = any(self._reads_stand_in(v) for v in ins)
        try:
            if node.op_type == "Constant" and key[0] == "":
                outs = [Const(_constant_value(node), f"Constant {node.output[0]!r}")]
            elif node.op_type in ("Shape", "Size") and key[0] == "" and ins and _is_act(ins[0]):
                outs = [self._shape_const(node, ins[0])]
            elif (self._foldable(node) and all(is_const(v) for v in ins if v is not None)
                  and not (node.op_type == "Clip" and _integer_const(ins[0]))):    # codes' width: ops_nn.clip
                outs = self._fold(node, ins)
            elif self._moves_float_input(node, key, ins):
                outs = [ins[0].then(node, ins[1:], k) for k in range(len(node.output))]
            elif key in HANDLERS:
                ins, fns = self._movers(node, ins)
                outs = HANDLERS[key](self, node, ins)
                outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
                if fns:
                    outs = [View(o, fns) if isinstance(o, Act) else o for o in outs]
            else:
                raise UnsupportedOpError(self._unsupported_text())
        except UnsupportedOpError as e:
            self._refuse(e)
            outs = self._stand_in(node, ins)
        except Exception:
            if not standing_in:
                raise
            outs = [None] * len(node.output)     # downstream of a refusal: it is refused already
        if standing_in:                 # downstream of a refusal: its values stand in too
            self.stand_ins.update(o.name for o in outs if isinstance(o, Act))
        for name, value in zip(node.output, outs):
            if name and value is None:
                self.broken.add(name)
            elif name:
                self.env[name] = value

    def _moves_float_input(self, node, key, ins) -> bool:
        """A quantized model's Flatten, Pad, ... of its float input before the QuantizeLinear
        (quantize_static quantizes after them): waits for that QuantizeLinear's grid."""
        if not (self.quant and key[0] == "" and node.op_type in INPUT_MOVERS and ins and key in HANDLERS
                and isinstance(ins[0], FloatInput)):
            return False
        if node.op_type == "Pad" and reader.attrs(node).get("mode", "constant") != "constant":
            return False
        return all(v is None or is_const(v) for v in ins[1:])

    def replay(self, node, ins: list, output: int):
        """Node `node`'s handler on `ins` (a move of a float input, now on its int8 grid)."""
        outer = self.node
        self.node = node
        try:
            outs = HANDLERS[("", node.op_type)](self, node, ins)
        finally:
            self.node = outer
        return outs[output] if isinstance(outs, (list, tuple)) else outs

    def _reads_stand_in(self, v) -> bool:
        """Whether value `v` is computed from a refused node's stand-in (directly, through a View's
        functions or a pending node's inputs): an error in a node reading it is that refusal's."""
        if isinstance(v, View):
            v = v.src
        if isinstance(v, Pending):
            return any(self._reads_stand_in(x) for x in v.inputs)
        return isinstance(v, Act) and v.name in self.stand_ins

    def _movers(self, node, ins) -> tuple[list, tuple]:
        """A quantized model's float function of a tensor (a View: DequantizeLinear, then e.g.
        Relu) read by an op that only moves or picks elements: the op runs on the int8 tensor
        and the function stays for the table at QuantizeLinear (the same values: the function is
        per element, and for MaxPool non-decreasing over the tensor's 256 values)."""
        v = ins[0] if ins else None
        if not (self.quant and isinstance(v, View) and v.fns and node.op_type in MOVERS):
            return ins, ()
        if node.op_type == "MaxPool":
            if np.any(np.diff(grid_values(self.graph.tensor(v.src.name).qparams, v.fns)) < 0):
                raise self.unsupported(f"a max pool of {', '.join(w for w, _ in v.fns)}, which is not "
                                       "non-decreasing, without a QuantizeLinear in between")
        return [View(v.src)] + list(ins[1:]), v.fns

    def _stand_in(self, node, ins) -> list:
        """Values for a refused node's outputs, of the shapes onnx infers, so that the nodes after
        it are still checked (one refusal lists them all); None where the shape is not known."""
        types, data = {}, {}
        for name, v in zip(node.input, ins):
            if isinstance(v, (Const, QConst)):
                arr = const_array(v)
                types[name] = reader.type_proto(reader.NUMPY_ELEM.get(arr.dtype, 1), arr.shape)
                data[name] = arr
            elif v is not None and getattr(v, "tshape", None) is not None:
                types[name] = reader.type_proto(1, v.tshape)
        try:
            shapes = reader.infer_shapes(node, self.opset, types, data) if node.domain in reader.DEFAULT_DOMAINS \
                else [None] * len(node.output)
        except Exception:
            shapes = [None] * len(node.output)
        outs = []
        for shape in shapes:
            if shape is None or not shape or min(shape) < 1:
                outs.append(None)
                continue
            name = self.graph.unique_name(f"unsupported_{len(self.refusals)}")
            self.graph.add_tensor(Tensor(name, ir_shape(shape), "float32", Kind.ACTIVATION))
            self.stand_ins.add(name)
            outs.append(Act(name, tuple(shape)))
        return outs

    def _foldable(self, node) -> bool:
        return (node.domain in reader.DEFAULT_DOMAINS and node.op_type not in KEEP)

    def _refuse(self, e: UnsupportedOpError) -> None:
        self.refusals.append((self.node.op_type, self.where(), e))

    def _unsupported_text(self) -> str:
        n = self.node
        domain = f" (domain {n.domain})" if n.domain not in reader.DEFAULT_DOMAINS else ""
        return f"{n.op_type}{domain} at {self.where()} is not supported by tinygen"

    # -- constants ----------------------------------------------------------------
    def _shape_const(self, node, v) -> Const:
        shape = np.array(v.tshape, np.int64)
        if node.op_type == "Size":
            return Const(np.array(int(np.prod(shape)), np.int64), f"Size of {node.input[0]!r}")
        a = reader.attrs(node)
        start, end = int(a.get("start", 0)), a.get("end")
        return Const(shape[start:None if end is None else int(end)], f"Shape of {node.input[0]!r}")

    def _fold(self, node, ins) -> list:
        """Evaluate a node of constants with onnx's reference evaluator (in the model's opset)."""
        feeds, vis = {}, []
        for name, v in zip(node.input, ins):
            if v is None:
                continue
            arr = const_array(v)
            feeds[name] = arr
            vis.append(helper.make_tensor_value_info(name, reader.NUMPY_ELEM.get(arr.dtype, 1), arr.shape))
        outs = [helper.make_tensor_value_info(o, onnx.TensorProto.UNDEFINED, None) for o in node.output if o]
        model = helper.make_model(helper.make_graph([node], "fold", vis, outs), opset_imports=self.model.opset_import)
        try:
            values = ReferenceEvaluator(model).run(None, feeds)
        except Exception as e:
            raise self.unsupported(f"folding this node of constants failed ({reader._first_line(e)})") from None
        return [Const(np.asarray(v), f"{node.op_type} {node.name or node.output[0]} (folded)") for v in values]

    # -- outputs ---------------------------------------------------------------------
    def _outputs(self) -> None:
        names = []
        float_outputs = []
        for out in self.model.graph.output:
            v = self.env.get(out.name)
            if self.quant:
                act, is_float = self._output_port(v, out.name)
            else:
                if not isinstance(v, Act):
                    raise ModelError(f"{self.filename}: output {out.name!r} does not depend on the input (it is a "
                                     "constant); tinygen compiles outputs computed from the input")
                act, is_float = v, True
            name = act.name
            if name in self.graph.inputs or name in names:
                q = self.graph.tensor(name).qparams
                name = self.emit("reshape", "copy", [name], self.graph.tensor(name).shape, qparams=q,
                                 source=f"output {out.name}")
            names.append(name)
            if is_float:
                float_outputs.append(len(names) - 1)
        renamed = []
        for k, name in enumerate(names):
            new = "output" if len(names) == 1 else f"output_{k}"
            self.graph.rename_tensor(name, new)
            self.graph.tensors[new].kind = Kind.OUTPUT
            self.graph.outputs.append(new)
            renamed.append(new)
        if self.quant:
            self.graph.meta["float_outputs"] = [renamed[k] for k in float_outputs]

    def _output_port(self, v, name: str) -> tuple[Act, bool]:
        """A graph output of a quantized model: the int8 tensor a DequantizeLinear reads (a float
        output), a quantized tensor itself, or the float32 result of a float tail (ops after the
        last QuantizeLinear: tinygen/frontend/onnx/float_tail.py)."""
        if isinstance(v, (View, Act)) and (self.graph.tensor((v.src if isinstance(v, View) else v).name).qparams
                                           .per_channel):
            raise ModelError(f"{self.filename}: output {name!r} is quantized per channel; tinygen's outputs take one "
                             "scale")
        if isinstance(v, View) and not v.fns:
            return v.src, True
        if isinstance(v, Act):
            return v, False
        if tail_of(v):
            return float_value(self, v, self.tail_values), False
        raise ModelError(f"{self.filename}: output {name!r} is computed in float after the last QuantizeLinear by "
                         "ops tinygen does not run as a float tail (it runs Conv, Gemm, MatMul (+ Add), Softmax, "
                         "Add, Mul, Sub and moves there)",
                         "quantize every op up to the output (quantize_static with op_types_to_quantize unset)")

    def _prune(self) -> None:
        self.graph.drop_dead_nodes()


# ---------------------------------------------------------------------------------------------


def _integer_const(v) -> bool:
    """An integer constant: a QConst (QuantizeLinear of a constant), or integers awaiting their
    DequantizeLinear."""
    return isinstance(v, QConst) or (isinstance(v, Const) and np.issubdtype(np.asarray(v.value).dtype, np.integer))


def _is_act(v) -> bool:
    return isinstance(v, (Act, View, Pending, FloatInput))


def _constant_value(node) -> np.ndarray:
    a = reader.attrs(node)
    if "value" in a:
        return np.asarray(a["value"])
    for key in ("value_float", "value_int"):
        if key in a:
            return np.array(a[key], np.float32 if key == "value_float" else np.int64)
    for key in ("value_floats", "value_ints"):
        if key in a:
            return np.array(a[key], np.float32 if key == "value_floats" else np.int64)
    raise UnsupportedOpError(f"Constant {node.output[0]!r}: only tensor, float and int values are supported")
