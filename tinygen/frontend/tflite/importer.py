"""Build the quantized IR graph from a .tflite model: the model's boundary, then one
handler per supported operator (`op_<name>`), each checked against the shape the file
records."""

from __future__ import annotations

import math

import numpy as np
import tflite
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.BuiltinOperator import BuiltinOperator
from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.prepare import activation_range, padding
from tinygen.frontend.tflite.reader import OP_NAMES, TYPE_NAMES, Reader
from tinygen.ir import Graph, Kind, Node, QParams, Tensor
from tinygen.quant import op_params
from tinygen.quant.params import requant_multipliers
from tinygen.quant.spec import ACT_QMAX, ACT_QMIN

SUPPORTED_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D",
                 "ADD", "MUL", "CONCATENATION", "PAD", "PADV2", "MEAN", "RESHAPE", "SQUEEZE", "SOFTMAX",
                 "LOGISTIC", "HARD_SWISH", "RELU", "RELU6", "QUANTIZE", "DEQUANTIZE")



class Importer(Reader):
    # -- the graph -------------------------------------------------------------
    def run(self) -> Graph:
        if self.sg.InputsLength() != 1 or self.sg.OutputsLength() < 1:
            raise UnsupportedOpError(f"{self.filename} has {self.sg.InputsLength()} inputs; "
                                     "tinygen compiles models with one input")
        self.check_types()
        index = int(self.sg.Inputs(0))
        if index in self.float_inputs:
            port = self.boundary_input(index)
        else:
            t = self.tensor(index)
            if t.Type() != TensorType.INT8:
                raise ModelError(f"{self.filename}: input {self.tname(index)!r} is "
                                 f"{TYPE_NAMES.get(t.Type(), t.Type())}, not int8")
            port = index
        self.graph.add_tensor(Tensor("input", self.shape(port), "int8", Kind.INPUT, qparams=self.qparams(port)))
        self.names[port] = "input"
        self.graph.meta["tflite_tensors"] = {"input": port}
        self.graph.inputs = ["input"]
        self.graph.meta["float_inputs"] = ["input"] if index in self.float_inputs else []
        for i in range(self.sg.OperatorsLength()):
            self.operator(i)
        outputs = [int(self.sg.Outputs(k)) for k in range(self.sg.OutputsLength())]
        for o in outputs:
            name = self.activation(o)
            if name == "input":
                raise UnsupportedOpError(f"{self.filename}: the model output is its input")
            self.graph.tensors[name].kind = Kind.OUTPUT
        self.graph.outputs = [self.names[o] for o in outputs]
        self.graph.meta["float_outputs"] = [self.names[o] for o in outputs if o in self.float_outputs]
        self.graph.meta["quantized"] = "tflite"
        return self.graph

    def boundary_input(self, index: int) -> int:
        """The int8 tensor that the QUANTIZE ops reading the float32 model input write (all of
        them must agree on it); the QUANTIZE ops themselves are left out of the graph."""
        ports = []
        for i in range(self.sg.OperatorsLength()):
            op = self.sg.Operators(i)
            if op.InputsLength() and int(op.Inputs(0)) == index:
                out = int(op.Outputs(0))
                if self.tensor(out).Type() != TensorType.INT8:
                    raise UnsupportedOpError(f"operator {i} (QUANTIZE) turns the float32 model input into "
                                             f"{TYPE_NAMES.get(self.tensor(out).Type())}; only int8 is supported")
                ports.append(out)
                self.skipped.add(i)
        for other in ports[1:]:
            if not self.qparams(other).same_as(self.qparams(ports[0])):
                raise UnsupportedOpError(f"{self.filename}: the float32 input is quantized twice, with "
                                         f"{self.qparams(ports[0])!r} and {self.qparams(other)!r}")
            self.names[other] = "input"
        return ports[0]

    def operator(self, i: int) -> None:
        op = self.sg.Operators(i)
        if not 0 <= op.OpcodeIndex() < self.model.OperatorCodesLength():
            raise ModelError(f"operator {i}: opcode index {op.OpcodeIndex()} out of range")
        code = self.model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        opname = OP_NAMES.get(builtin, f"builtin {builtin}")
        if builtin == BuiltinOperator.CUSTOM:
            opname = f"CUSTOM ({(code.CustomCode() or b'?').decode('utf-8', 'replace')})"
        ins = [int(x) for x in op.InputsAsNumpy()] if op.InputsLength() else []
        outs = [int(x) for x in op.OutputsAsNumpy()] if op.OutputsLength() else []
        if len(outs) != 1:
            raise UnsupportedOpError(f"operator {i} ({opname}) has {len(outs)} outputs")
        out_name = self.tname(outs[0])
        self.where = f"operator {i} ({opname}, output {out_name!r}): "
        handler = getattr(self, f"op_{opname.lower()}", None) if opname in SUPPORTED_OPS else None
        if handler is None:
            raise UnsupportedOpError(f"operator {i} ({opname}, output tensor {out_name!r}) is not supported",
                                     "supported TFLite operators: " + ", ".join(SUPPORTED_OPS))
        if i in self.skipped:
            return
        source = f"op {i} {opname} -> {out_name}"
        node = handler(i, op, ins, outs[0], source)
        if node is not None:            # None: an operator that only renames a tensor
            self.check_shape(node, outs[0])

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
        if fused is not None:
            q = self.graph.tensors[out].qparams
            attrs["act_min"], attrs["act_max"] = activation_range(fused, q.scale[0], int(q.zero_point[0]))
        node = Node(name, opname, inputs, [out], attrs, [params], source)
        self.graph.nodes.append(node)
        return node

    def requant(self, name: str, in_index: int, w_scales: np.ndarray, out_index: int, channels: int) -> dict:
        in_q, out_q = self.qparams(in_index), self.qparams(out_index)
        scales = np.broadcast_to(w_scales, (channels,))
        mult, shift = requant_multipliers(in_q.scale[0], scales, out_q.scale[0])
        return {"multiplier": self.graph.add_const(self.graph.unique_name(f"{name}_mult"), mult, "int32").name,
                "shift": self.graph.add_const(self.graph.unique_name(f"{name}_shift"), shift, "int32").name}

    def mac_params(self, i, opname, ins, out_index, axis: int, channels: int) -> dict:
        name = f"{opname}_{i}"
        params = {"weight": self.const(ins[1], name, "weight", "int8", axis)}
        w_q = self.graph.tensors[params["weight"]].qparams
        if len(ins) > 2 and ins[2] >= 0:
            params["bias"] = self.const(ins[2], name, "bias", "int32")
            if self.graph.tensors[params["bias"]].shape != (channels,):
                raise ModelError(f"{self.where}bias has shape {list(self.graph.tensors[params['bias']].shape)}, "
                                 f"expected [{channels}]")
        else:
            params["bias"] = self.graph.add_const(self.graph.unique_name(f"{name}_bias"),
                                                  np.zeros(channels, np.int32), "int32").name
        params.update(self.requant(name, ins[0], w_q.scale, out_index, channels))
        return params

    # -- operators ---------------------------------------------------------------
    def _conv(self, i, op, ins, out, source, depthwise: bool) -> Node:
        opts = self.options(op, tflite.DepthwiseConv2DOptions if depthwise else tflite.Conv2DOptions)
        x = self.activation(ins[0])
        n, in_h, in_w, in_c = self._nhwc(self.graph.tensors[x].shape)
        w_shape = self.shape(ins[1])
        if len(w_shape) != 4:
            raise ModelError(f"{self.where}filter has shape {list(w_shape)}")
        out_c, kh, kw = (w_shape[3], w_shape[1], w_shape[2]) if depthwise else (w_shape[0], w_shape[1], w_shape[2])
        stride = (opts.StrideH(), opts.StrideW())
        dilation = (opts.DilationHFactor(), opts.DilationWFactor())
        if min(stride + dilation) < 1:
            raise ModelError(f"{self.where}stride {stride} or dilation {dilation} is not positive")
        out_h, top, bottom = padding(opts.Padding(), stride[0], dilation[0], in_h, kh)
        out_w, left, right = padding(opts.Padding(), stride[1], dilation[1], in_w, kw)
        attrs = {"stride": stride, "dilation": dilation, "padding": (top, bottom, left, right)}
        if depthwise:
            if w_shape[0] != 1 or out_c % in_c:
                raise ModelError(f"{self.where}depthwise filter {list(w_shape)} does not fit {in_c} input channels")
            attrs["depth_multiplier"] = out_c // in_c
        elif w_shape[3] != in_c:
            raise UnsupportedOpError(f"{self.where}filter has {w_shape[3]} input channels, the input {in_c} "
                                     "(grouped convolution is not supported)")
        opname = "depthwise_conv2d" if depthwise else "conv2d"
        params = self.mac_params(i, opname, ins, out, 3 if depthwise else 0, out_c)
        return self.add_node(i, opname, [x], out, attrs, params, source, (n, out_h, out_w, out_c),
                             opts.FusedActivationFunction())

    def op_conv_2d(self, i, op, ins, out, source):
        return self._conv(i, op, ins, out, source, depthwise=False)

    def op_depthwise_conv_2d(self, i, op, ins, out, source):
        return self._conv(i, op, ins, out, source, depthwise=True)

    def op_fully_connected(self, i, op, ins, out, source):
        opts = self.options(op, tflite.FullyConnectedOptions)
        if opts.WeightsFormat() != 0:
            raise UnsupportedOpError(f"{self.where}shuffled weights format is not supported")
        x = self.activation(ins[0])
        w_shape = self.shape(ins[1])
        if len(w_shape) != 2:
            raise ModelError(f"{self.where}weights have shape {list(w_shape)}, expected [out, in]")
        out_f, in_f = w_shape
        in_shape = self.graph.tensors[x].shape
        if math.prod(in_shape) % in_f:
            raise ModelError(f"{self.where}input {list(in_shape)} does not divide into rows of {in_f}")
        if in_shape[-1] != in_f:        # TFLite flattens the input to [rows, in_features]
            x = self._reshape(i, x, (math.prod(in_shape) // in_f, in_f), source)
        rows_shape = in_shape[:-1] if opts.KeepNumDims() and in_shape[-1] == in_f else (math.prod(in_shape) // in_f,)
        params = self.mac_params(i, "fully_connected", ins, out, 0, out_f)
        return self.add_node(i, "fully_connected", [x], out, {}, params, source, (*rows_shape, out_f),
                             opts.FusedActivationFunction())

    def _pool(self, i, op, ins, out, source, opname):
        opts = self.options(op, tflite.Pool2DOptions)
        x = self.activation(ins[0])
        n, in_h, in_w, c = self._nhwc(self.graph.tensors[x].shape)
        kernel = (opts.FilterHeight(), opts.FilterWidth())
        stride = (opts.StrideH(), opts.StrideW())
        if min(kernel + stride) < 1:
            raise ModelError(f"{self.where}filter {kernel} or stride {stride} is not positive")
        out_h, top, bottom = padding(opts.Padding(), stride[0], 1, in_h, kernel[0])
        out_w, left, right = padding(opts.Padding(), stride[1], 1, in_w, kernel[1])
        if not self.qparams(ins[0]).same_as(self.qparams(out)):
            raise UnsupportedOpError(f"{self.where}input and output quantization differ")
        attrs = {"kernel": kernel, "stride": stride, "padding": (top, bottom, left, right)}
        if opname == "avg_pool2d":
            attrs["count_include_pad"] = False     # TFLite averages over the valid positions only
        node = self.add_node(i, opname, [x], out, attrs, {}, source, (n, out_h, out_w, c),
                             opts.FusedActivationFunction())
        if (node.attrs.pop("act_min"), node.attrs.pop("act_max")) != (ACT_QMIN, ACT_QMAX):
            raise UnsupportedOpError(f"{self.where}a fused activation on pooling is not supported yet")
        return node

    def op_average_pool_2d(self, i, op, ins, out, source):
        return self._pool(i, op, ins, out, source, "avg_pool2d")

    def op_max_pool_2d(self, i, op, ins, out, source):
        return self._pool(i, op, ins, out, source, "max_pool2d")

    def _binary(self, i, opname: str, ins, out, source, fused) -> Node:
        """ADD, MUL: two int8 operands with numpy broadcasting; one may be a constant."""
        if len(ins) != 2:
            raise ModelError(f"{self.where}has {len(ins)} inputs, expected 2")
        consts = [self.is_const(k) for k in ins]
        if all(consts):
            raise UnsupportedOpError(f"{self.where}both operands are constants",
                                     "fold the constant expression before converting the model")
        if consts[0]:           # TFLite's int8 add and mul are symmetric in their operands
            ins = ins[::-1]
        a = self.activation(ins[0])
        name = f"{opname}_{i}"
        params = {}
        if any(consts):
            params["operand"] = self.const(ins[1], name, "operand", "int8")
            self.graph.tensors[params["operand"]].qparams = self.qparams(ins[1])
            inputs = [a]
        else:
            inputs = [a, self.activation(ins[1])]
        shapes = [self.graph.tensors[t].shape for t in inputs + list(params.values())]
        try:
            shape = tuple(np.broadcast_shapes(*shapes))
        except ValueError:
            raise ModelError(f"{self.where}operands of shapes {list(shapes[0])} and {list(shapes[1])} "
                             "do not broadcast") from None
        return self.add_node(i, opname, inputs, out, {}, params, source, shape, fused)

    def op_add(self, i, op, ins, out, source):
        opts = self.options(op, tflite.AddOptions)
        return self._binary(i, "add", ins, out, source, opts.FusedActivationFunction())

    def op_mul(self, i, op, ins, out, source):
        opts = self.options(op, tflite.MulOptions)
        return self._binary(i, "mul", ins, out, source, opts.FusedActivationFunction())

    def op_concatenation(self, i, op, ins, out, source):
        opts = self.options(op, tflite.ConcatenationOptions)
        if opts.FusedActivationFunction() != ActivationFunctionType.NONE:
            raise UnsupportedOpError(f"{self.where}a fused activation on CONCATENATION is not supported "
                                     "(TFLite Micro rejects it too)")
        out_q = self.qparams(out)
        inputs = []
        for k in ins:
            if self.is_const(k):
                raise UnsupportedOpError(f"{self.where}input {self.tname(k)!r} is a constant; "
                                         "only activations can be concatenated")
            if not self.qparams(k).same_as(out_q):
                raise UnsupportedOpError(
                    f"{self.where}input {self.tname(k)!r} is quantized with {self.qparams(k)!r}, the output "
                    f"with {out_q!r}; int8 CONCATENATION needs one scale and zero point for all "
                    "(TFLite Micro requires it too)", "re-convert the model so the inputs share the "
                    "output's quantization")
            inputs.append(self.activation(k))
        shapes = [self.graph.tensors[t].shape for t in inputs]
        axis = opts.Axis() + len(shapes[0]) if opts.Axis() < 0 else opts.Axis()
        if not 0 <= axis < len(shapes[0]) or any(
                len(s) != len(shapes[0]) or s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:]
                for s in shapes):
            raise ModelError(f"{self.where}cannot concatenate shapes {[list(s) for s in shapes]} "
                             f"along axis {opts.Axis()}")
        shape = shapes[0][:axis] + (sum(s[axis] for s in shapes),) + shapes[0][axis + 1:]
        return self.add_node(i, "concat", inputs, out, {"axis": axis}, {}, source, shape)

    def int_const(self, index: int, role: str) -> np.ndarray:
        """A small int32 constant operand (paddings, axes)."""
        if not self.is_const(index):
            raise UnsupportedOpError(f"{self.where}the {role} tensor {self.tname(index)!r} is not a constant")
        if self.tensor(index).Type() != TensorType.INT32:
            raise UnsupportedOpError(f"{self.where}the {role} tensor {self.tname(index)!r} is "
                                     f"{TYPE_NAMES.get(self.tensor(index).Type())}; expected INT32")
        return self.buffer(index).astype(np.int64)

    def _pad(self, i, ins, out, source, pad_value: int) -> Node:
        x = self.activation(ins[0])
        shape = self.graph.tensors[x].shape
        pads = self.int_const(ins[1], "paddings")
        if pads.shape != (len(shape), 2):
            raise ModelError(f"{self.where}paddings have shape {list(pads.shape)}, expected [{len(shape)}, 2]")
        if np.any(pads < 0):
            raise UnsupportedOpError(f"{self.where}negative paddings {pads.tolist()} are not supported")
        paddings = tuple((int(b), int(a)) for b, a in pads)
        out_shape = tuple(n + b + a for n, (b, a) in zip(shape, paddings))
        # TFLite Micro copies the input bytes as they are, whatever the two quantizations
        return self.add_node(i, "pad", [x], out, {"paddings": paddings, "pad_value": pad_value}, {},
                             source, out_shape)

    def op_pad(self, i, op, ins, out, source):
        return self._pad(i, ins, out, source, int(self.qparams(out).zero_point[0]))

    def op_padv2(self, i, op, ins, out, source):
        if len(ins) < 3 or ins[2] < 0:
            return self.op_pad(i, op, ins, out, source)
        value = self.buffer(ins[2]) if self.is_const(ins[2]) else None
        if value is None or value.size != 1 or self.tensor(ins[2]).Type() != TensorType.INT8:
            raise UnsupportedOpError(f"{self.where}the padding value must be a constant int8 scalar")
        if not self.qparams(ins[2]).same_as(self.qparams(out)):
            raise UnsupportedOpError(f"{self.where}the padding value is quantized with {self.qparams(ins[2])!r}, "
                                     f"the output with {self.qparams(out)!r}; they must agree")
        return self._pad(i, ins, out, source, int(value.reshape(-1)[0]))

    def op_mean(self, i, op, ins, out, source):
        opts = self.options(op, tflite.ReducerOptions)
        x = self.activation(ins[0])
        shape = self.graph.tensors[x].shape
        axes = self.int_const(ins[1], "axis").reshape(-1)
        if np.any((axes < -len(shape)) | (axes >= len(shape))):
            raise ModelError(f"{self.where}axes {axes.tolist()} out of range for shape {list(shape)}")
        axes = tuple(sorted({int(a) % len(shape) for a in axes}))
        keep = bool(opts.KeepDims())
        out_shape = tuple(1 if d in axes else n for d, n in enumerate(shape) if keep or d not in axes)
        return self.add_node(i, "mean", [x], out, {"axes": axes, "keep_dims": keep}, {}, source, out_shape)

    def _fixed_output(self, out, what: str, scale: float, zero_point: int) -> None:
        q = self.qparams(out)
        if float(q.scale[0]) != scale or int(q.zero_point[0]) != zero_point:
            raise UnsupportedOpError(f"{self.where}int8 {what} output must have scale 1/{round(1 / scale)} and "
                                     f"zero point {zero_point}, not {q!r}")

    def op_logistic(self, i, op, ins, out, source):
        x = self.activation(ins[0])
        self._fixed_output(out, "logistic", op_params.LOGISTIC_OUTPUT_SCALE, op_params.LOGISTIC_OUTPUT_ZERO_POINT)
        q = self.qparams(ins[0])
        try:
            op_params.logistic_params(1, q.scale[0], int(q.zero_point[0]))
        except ValueError as e:
            raise UnsupportedOpError(f"{self.where}{e}") from None
        return self.add_node(i, "logistic", [x], out, {}, {}, source, self.graph.tensors[x].shape)

    def op_hard_swish(self, i, op, ins, out, source):
        x = self.activation(ins[0])
        return self.add_node(i, "hard_swish", [x], out, {}, {}, source, self.graph.tensors[x].shape)

    def _clamp(self, i, x: str, out, source, lo: float, hi: float, bounds: tuple[int, int]) -> Node:
        node = self.add_node(i, "clamp", [x], out, {"lo": lo, "hi": hi}, {}, source, self.graph.tensors[x].shape)
        node.attrs["act_min"], node.attrs["act_max"] = bounds
        return node

    def op_relu(self, i, op, ins, out, source):
        x = self.activation(ins[0])
        in_q, out_q = self.qparams(ins[0]), self.qparams(out)
        if in_q.same_as(out_q):         # the requantization is exactly the identity: a clamp
            return self._clamp(i, x, out, source, 0.0, math.inf, (max(ACT_QMIN, int(out_q.zero_point[0])), ACT_QMAX))
        return self.add_node(i, "relu", [x], out, {}, {}, source, self.graph.tensors[x].shape)

    def op_relu6(self, i, op, ins, out, source):
        # TFLite Micro clamps on the input's grid and does not requantize
        x = self.activation(ins[0])
        q = self.qparams(ins[0])
        return self._clamp(i, x, out, source, 0.0, 6.0, op_params.relu6_bounds(q.scale[0], int(q.zero_point[0])))

    def op_quantize(self, i, op, ins, out, source):
        t = self.tensor(ins[0])
        if t.Type() != TensorType.INT8:
            raise UnsupportedOpError(f"{self.where}QUANTIZE from {TYPE_NAMES.get(t.Type(), t.Type())} inside "
                                     "the graph is not supported (only at the float32 model input, or int8 to int8)")
        x = self.activation(ins[0])
        if self.qparams(ins[0]).same_as(self.qparams(out)):     # nothing to do: share the bytes
            name = self.graph.unique_name(f"quantize_{i}")
            self.new_activation(out, name)
            node = Node(name, "reshape", [x], [name], {}, [{}], source)
            self.graph.nodes.append(node)
            return node
        return self.add_node(i, "requantize", [x], out, {}, {}, source, self.graph.tensors[x].shape)

    def op_dequantize(self, i, op, ins, out, source):
        if out not in self.float_outputs:
            raise UnsupportedOpError(f"{self.where}DEQUANTIZE inside the graph is not supported "
                                     "(only into a float32 model output)")
        self.names[out] = self.activation(ins[0])      # the int8 tensor is the model's output port
        return None

    def _reshape(self, i, x: str, shape, source) -> str:
        name = self.graph.unique_name(f"reshape_{i}")
        q = self.graph.tensors[x].qparams
        self.graph.add_tensor(Tensor(name, shape, "int8", Kind.ACTIVATION, qparams=QParams(q.scale, q.zero_point)))
        self.graph.nodes.append(Node(name, "reshape", [x], [name], {}, [{}], source))
        return name

    def op_reshape(self, i, op, ins, out, source):
        x = self.activation(ins[0])
        if not self.qparams(ins[0]).same_as(self.qparams(out)):
            raise UnsupportedOpError(f"{self.where}input and output quantization differ")
        name = self.graph.unique_name(f"reshape_{i}")
        self.new_activation(out, name)
        node = Node(name, "reshape", [x], [name], {}, [{}], source)
        self.graph.nodes.append(node)
        return node

    op_squeeze = op_reshape

    def op_softmax(self, i, op, ins, out, source):
        opts = self.options(op, tflite.SoftmaxOptions)
        x = self.activation(ins[0])
        q = self.qparams(out)
        if float(q.scale[0]) != 1.0 / 256 or int(q.zero_point[0]) != -128:
            raise UnsupportedOpError(f"{self.where}int8 softmax output must have scale 1/256 and zero point "
                                     f"-128, not {q!r}")
        return self.add_node(i, "softmax", [x], out, {"axis": -1, "beta": float(np.float32(opts.Beta()))}, {},
                             source, self.graph.tensors[x].shape)

    def _nhwc(self, shape) -> tuple[int, int, int, int]:
        if len(shape) != 4:
            raise ModelError(f"{self.where}input has shape {list(shape)}, expected 4-D NHWC")
        return shape
