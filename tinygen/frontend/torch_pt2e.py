"""PyTorch 2 export quantization (PT2E): a program `convert_pt2e` made (torchao's
prepare_pt2e / convert_pt2e, with the XNNPACK quantizer or another) imported as the QDQ graph
it is, with its own scales.

convert_pt2e leaves `quantized_decomposed.quantize_per_tensor` / `dequantize_per_tensor` /
`dequantize_per_channel` around float aten ops (conv2d, linear, add, pools, ...): ONNX's
QuantizeLinear / DequantizeLinear form, op for op. This module writes the program as that
ONNX graph in memory and imports it with the ONNX importer (tinygen/frontend/onnx), so that one
piece of code folds QDQ into tinygen's int8 kernels, whichever format brought it.

How PyTorch's arithmetic maps (docs/models.md, "PT2E"): the converted program runs float
dequantize -> op -> quantize; tinygen runs the integer kernels onnxruntime's QDQ arithmetic maps
to (tinygen/frontend/onnx/quantized.py): the int32 accumulator requantized by
float32(x_scale * w_scale / y_scale), rounded once, half to even, as torch.round rounds. The
float bias PT2E's XNNPACK quantizer keeps is quantized to int32 on the x_scale * w_scale grid
by the ONNX importer (quantized.float_bias, as TFLite's converter does); an int32 bias a
quantizer made is read as it is. The two differ where PyTorch's float sum of
products, or its x * (1 / scale), lands on the other side of a half: an output is then one
step (1 LSB) away.
"""

from __future__ import annotations

import numpy as np
import torch

from tinygen.errors import ModelError, TinygenError, UnsupportedOpError
from tinygen.frontend.torch_layout import live_nodes
from tinygen.frontend.torch_ops import packet_key

QD = "quantized_decomposed"
OPSET = 17
# ops that only pass a value on
PASS = {"aten::dropout", "aten::clone", "aten::contiguous", "aten::alias", "aten::detach", "aten::_to_copy"}
# ops that change a value's shape only (as torch's element order: Reshape to the shape torch records)
RESHAPES = {"aten::view", "aten::reshape", "aten::_unsafe_view", "aten::flatten", "aten::squeeze",
            "aten::unsqueeze"}
BINARY = {"aten::add": "Add", "aten::sub": "Sub", "aten::mul": "Mul"}
UNARY = {"aten::relu": "Relu", "aten::sigmoid": "Sigmoid", "aten::tanh": "Tanh", "aten::hardswish": "HardSwish"}
SUPPORTED = ("quantize_per_tensor / dequantize_per_tensor / dequantize_per_channel (int8, uint8)",
             "conv2d (groups 1 or depthwise)", "linear", "relu / relu6 / hardtanh / clamp",
             "sigmoid / tanh / hardswish", "add / mul / sub (of a number)",
             "max_pool2d / avg_pool2d / adaptive_avg_pool2d(1) / mean over H, W",
             "flatten / view / reshape / permute / cat / softmax")


def is_pt2e(program: "torch.export.ExportedProgram") -> bool:
    """Whether the program holds PT2E's quantize / dequantize operators."""
    return any(_key(n).startswith(QD + "::") for n in program.graph.nodes)


def _key(node) -> str:
    """A call's operator packet ("aten::conv2d"), "" for other nodes and Python functions."""
    ops = (torch._ops.OpOverload, torch._ops.OpOverloadPacket)
    if node.op != "call_function" or not isinstance(node.target, ops):
        return ""
    return packet_key(node.target)


def import_program(program: "torch.export.ExportedProgram", name: str, filename: str):
    """The int8 IR graph of a converted PT2E program (graph.meta["quantized"] = "onnx",
    graph.meta["pt2e"] = True)."""
    from tinygen.frontend.onnx import import_graph    # onnx: only for such programs

    hint = "export the program convert_pt2e returned with torch.export.export(converted, (x,)) on a batch of 1"
    try:
        model = _Writer(program, filename).run()
    except TinygenError:
        raise
    except Exception as e:      # a program of a form the writer does not expect
        raise ModelError(f"{filename}: cannot read the PT2E program ({type(e).__name__}: {e})", hint) from None
    graph = import_graph(model, name, filename, check_hint=hint)
    graph.meta["pt2e"] = True
    return graph


class _Writer:
    """The program as an ONNX QDQ model: one ONNX node (or a few) per aten node."""

    def __init__(self, program, filename: str):
        import onnx
        from onnx import helper, numpy_helper

        self.onnx, self.helper, self.numpy_helper = onnx, helper, numpy_helper
        self.program, self.filename = program, filename
        self.nodes, self.inits, self.inputs, self.outputs = [], [], [], []
        self.env: dict = {}
        self.consts: dict = {}
        self.names: set[str] = set()          # ONNX values: the program's node names (and "_"s)
        self.refused: list[str] = []

    def run(self):
        self.consts = consts = _constants(self.program)
        users = list(self.program.graph_signature.user_inputs)
        live = live_nodes(self.program.graph)
        broken: set[str] = set()
        for node in self.program.graph.nodes:
            if node.op == "placeholder":
                if node.name in consts:
                    self.env[node.name] = self.const(consts[node.name], node.name)
                elif node.name in users:
                    self._input(node)
            elif node.op == "call_function" and node in live:
                key = _key(node) or str(node.target)
                if any(a.name in broken for a in node.all_input_nodes):
                    broken.add(node.name)       # downstream of a refusal: refused already
                    continue
                try:
                    self.env[node.name] = self._node(node, key)
                except UnsupportedOpError as e:
                    broken.add(node.name)
                    self.refused.append(f"{key.replace('::', '.')} ({node.name}): {e.message}")
            elif node.op == "output":
                self._outputs(node)
        if self.refused:
            count = f"{len(self.refused)} operator" + ("s" if len(self.refused) > 1 else "")
            raise UnsupportedOpError(f"{self.filename}: the PT2E program uses {count} tinygen does not compile "
                                     "in a quantized program: " + "; ".join(self.refused[:6]),
                                     hint="supported in a PT2E program: " + "; ".join(SUPPORTED))
        h = self.helper
        graph = h.make_graph(self.nodes, "pt2e", self.inputs, self.outputs, self.inits)
        return h.make_model(graph, opset_imports=[h.make_opsetid("", OPSET)])

    # -- values ---------------------------------------------------------------------
    def const(self, value, hint: str = "c") -> str:
        arr = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
        name = f"{hint}_{len(self.inits)}"
        while name in self.names:
            name += "_"
        self.names.add(name)
        self.inits.append(self.numpy_helper.from_array(np.array(arr, order="C"), name))
        return name

    def value(self, arg) -> str:
        """An fx argument as an ONNX value name (a number becomes a float32 constant)."""
        if isinstance(arg, torch.fx.Node):
            v = self.env.get(arg.name)
            if v is None:
                raise UnsupportedOpError(f"it reads {arg.name}, which tinygen could not translate")
            return v
        return self.const(np.float32(arg))

    def emit(self, op: str, inputs: list, node, **attrs) -> str:
        """One ONNX node named after the program's node (the IR's source comments show it)."""
        out = node.name
        while out in self.names:
            out += "_"
        self.names.add(out)
        self.nodes.append(self.helper.make_node(op, [self.value(x) if not isinstance(x, str) else x for x in inputs],
                                                [out], name=out, **attrs))
        return out

    def _input(self, node) -> None:
        val = node.meta.get("val")
        shape = list(val.shape) if isinstance(val, torch.Tensor) else None
        if shape is None or not val.is_floating_point():
            raise UnsupportedOpError(f"{self.filename}: input {node.name!r} is not a float tensor")
        if not all(isinstance(d, int) for d in shape):
            raise ModelError(f"{self.filename}: input {node.name!r} has a dynamic shape {shape}",
                             "export the converted program on a fixed batch of 1: torch.export.export(converted, "
                             "(x[:1],)) without dynamic_shapes")
        self.names.add(node.name)
        self.inputs.append(self.helper.make_tensor_value_info(node.name, self.onnx.TensorProto.FLOAT, shape))
        self.env[node.name] = node.name

    def _outputs(self, node) -> None:
        outs = node.args[0] if isinstance(node.args[0], (tuple, list)) else [node.args[0]]
        for k, arg in enumerate(outs):
            if arg is None or arg.name not in self.env:
                continue
            name = self.emit("Identity", [arg], node)
            shape = list(arg.meta["val"].shape) if isinstance(arg.meta.get("val"), torch.Tensor) else None
            self.outputs.append(self.helper.make_tensor_value_info(name, self.onnx.TensorProto.FLOAT, shape))

    # -- nodes ----------------------------------------------------------------------
    def _node(self, node, key: str):
        args = list(node.args)
        if key.startswith(QD + "::"):
            return self._qdq(node, key, args)
        if key in PASS:
            return self.value(args[0])
        if key in UNARY:
            return self.emit(UNARY[key], args[:1], node)
        if key in RESHAPES:
            return self.emit("Reshape", [args[0], self.const(np.array(node.meta["val"].shape, np.int64), "shape")],
                             node)
        if key in ("aten::conv2d", "aten::linear"):
            return self._mac(node, key, args)
        if key in ("aten::hardtanh", "aten::relu6", "aten::clamp"):
            lo, hi = {"aten::relu6": (0.0, 6.0), "aten::hardtanh": (-1.0, 1.0)}.get(key, (None, None))
            lo = args[1] if len(args) > 1 else node.kwargs.get("min", lo)
            hi = args[2] if len(args) > 2 else node.kwargs.get("max", hi)
            bounds = [self.const(np.float32(v)) if v is not None else "" for v in (lo, hi)]
            return self.emit("Clip", [args[0]] + bounds, node)
        if key in BINARY:
            if node.kwargs.get("alpha", 1) != 1:
                raise UnsupportedOpError("alpha other than 1")
            return self.emit(BINARY[key], args[:2], node)
        if key == "aten::max_pool2d":
            k, stride, pad, dil, ceil = (_pair(a) for a in (args + [None] * 5)[1:6])
            if dil not in (None, [1, 1]) or (len(args) > 5 and args[5]):
                raise UnsupportedOpError("max pooling with dilation or ceil_mode")
            return self.emit("MaxPool", args[:1], node, kernel_shape=k, strides=stride or k, pads=(pad or [0, 0]) * 2)
        if key == "aten::avg_pool2d":
            rest = (args + [None] * 7)[1:7]
            k, stride, pad = _pair(rest[0]), _pair(rest[1]), _pair(rest[2])
            if rest[3] or rest[5] is not None:
                raise UnsupportedOpError("average pooling with ceil_mode or divisor_override")
            include = 1 if rest[4] is None or rest[4] else 0
            return self.emit("AveragePool", args[:1], node, kernel_shape=k, strides=stride or k,
                             pads=(pad or [0, 0]) * 2, count_include_pad=include)
        if key == "aten::adaptive_avg_pool2d":
            if list(_pair(args[1])) != [1, 1]:
                raise UnsupportedOpError(f"adaptive average pooling to {list(_pair(args[1]))}; tinygen takes (1, 1)")
            return self.emit("GlobalAveragePool", args[:1], node)
        if key == "aten::mean":
            rank = len(args[0].meta["val"].shape)
            axes = [int(a) % rank for a in args[1]]
            return self.emit("ReduceMean", args[:1], node, axes=axes, keepdims=int(bool(args[2]) if len(args) > 2
                                                                                   else node.kwargs.get("keepdim", 0)))
        if key == "aten::permute":
            return self.emit("Transpose", args[:1], node, perm=[int(p) for p in args[1]])
        if key == "aten::cat":
            rank = len(node.meta["val"].shape)
            return self.emit("Concat", list(args[0]), node, axis=int(args[1] if len(args) > 1 else 0) % rank)
        if key in ("aten::softmax", "aten::_softmax"):
            return self.emit("Softmax", args[:1], node, axis=int(args[1]))
        raise UnsupportedOpError("tinygen has no int8 translation of it")

    def _qdq(self, node, key: str, args):
        op = key.split("::")[1]
        if op not in ("quantize_per_tensor", "dequantize_per_tensor", "dequantize_per_channel",
                      "quantize_per_channel"):
            raise UnsupportedOpError(f"{op}; PT2E's int8 quantize / dequantize per tensor and per channel are read")
        per_channel = op.endswith("per_channel")
        x, scale, zp = args[:3]
        axis = int(args[3]) if per_channel else None
        qmin, qmax, dtype = (args[4:7] if per_channel else args[3:6])
        int32_bias = dtype == torch.int32 and op.startswith("dequantize") and x.name in self.consts
        if dtype not in (torch.int8, torch.uint8) and not int32_bias:
            raise UnsupportedOpError(f"{dtype} quantization; tinygen takes int8 and uint8 (int32 for biases)")
        info = torch.iinfo(dtype)
        if op.startswith("quantize") and not isinstance(x.meta.get("val"), torch.Tensor):
            raise UnsupportedOpError("a quantize of a value that is not a tensor")
        if op == "quantize_per_tensor" and (qmin, qmax) != (info.min, info.max) and x.name not in self.consts:
            raise UnsupportedOpError(f"an activation quantized to [{qmin}, {qmax}] (narrower than {dtype}); tinygen "
                                     "takes the full range for activations")
        s = self._number(scale, np.float32)
        z = self._number(zp, {torch.uint8: np.uint8, torch.int32: np.int32}.get(dtype, np.int8))
        names = [self.const(s, "scale"), self.const(z, "zero_point")]
        attrs = {"axis": axis} if per_channel else {}
        return self.emit("QuantizeLinear" if op.startswith("quantize") else "DequantizeLinear", [x] + names, node,
                         **attrs)

    def _number(self, v, dtype):
        if isinstance(v, torch.fx.Node):
            arr = self._const_of(v)
            if arr is None:
                raise UnsupportedOpError("a scale or zero point computed from the input")
            return arr.astype(dtype).reshape(-1) if arr.size > 1 else arr.astype(dtype).reshape(())
        return np.asarray(v).astype(dtype)

    def _const_of(self, node) -> np.ndarray | None:
        name = self.env.get(node.name)
        for t in self.inits:
            if t.name == name:
                return self.numpy_helper.to_array(t)
        return None

    def _mac(self, node, key: str, args):
        x, w = args[0], args[1]
        bias = args[2] if len(args) > 2 else node.kwargs.get("bias")
        ins = [x, w]
        if bias is not None:        # float (XNNPACK), or an int32 dequantize: the ONNX importer's int_bias reads both
            ins.append(bias)
        if key == "aten::linear":
            if len(x.meta["val"].shape) != 2:
                raise UnsupportedOpError("linear on more than two dims in a quantized program")
            return self.emit("Gemm", ins, node, transB=1)
        rest = (args + [None] * 7)[3:7]
        stride, pad, dil = _pair(rest[0]) or [1, 1], _pair(rest[1]) or [0, 0], _pair(rest[2]) or [1, 1]
        if isinstance(rest[1], str):
            raise UnsupportedOpError(f"padding={rest[1]!r}; give the padding as numbers")
        return self.emit("Conv", ins, node, strides=stride, pads=pad * 2, dilations=dil, group=int(rest[3] or 1))


def _pair(v):
    if v is None or (isinstance(v, (list, tuple)) and not v):
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return [int(a) for a in v] * (2 if len(v) == 1 else 1)
    return [int(v), int(v)]


def _constants(program) -> dict:
    sig = program.graph_signature
    state = dict(program.state_dict)
    state.update(getattr(program, "constants", {}) or {})
    out = {}
    for mapping in (sig.inputs_to_parameters, sig.inputs_to_buffers,
                    getattr(sig, "inputs_to_lifted_tensor_constants", {})):
        for placeholder, target in mapping.items():
            if isinstance(state.get(target), torch.Tensor):
                out[placeholder] = state[target].detach()
    return out
