"""TFLite operator handlers for the multiply-accumulate and pooling operators: CONV_2D,
DEPTHWISE_CONV_2D, FULLY_CONNECTED (int8 weights, int32 biases, per-channel requantization
multipliers), AVERAGE_POOL_2D and MAX_POOL_2D."""

from __future__ import annotations

import math

import numpy as np
import tflite
from tflite.TensorType import TensorType

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.builder import Builder
from tinygen.frontend.tflite.prepare import padding
from tinygen.ir import Node
from tinygen.quant.accumulator import accumulator_message, overflowing_channel
from tinygen.quant.params import requant_multipliers
from tinygen.quant.spec import ACT_QMAX, ACT_QMIN


class MacOps(Builder):
    """op_conv_2d, op_depthwise_conv_2d, op_fully_connected, op_average_pool_2d, op_max_pool_2d."""

    def requant(self, name: str, in_index: int, w_scales: np.ndarray, out_index: int, channels: int) -> dict:
        in_q, out_q = self.qparams(in_index), self.qparams(out_index)
        scales = np.broadcast_to(w_scales, (channels,))
        mult, shift = requant_multipliers(in_q.scale[0], scales, out_q.scale[0])
        return {"multiplier": self.graph.add_const(self.graph.unique_name(f"{name}_mult"), mult, "int32").name,
                "shift": self.graph.add_const(self.graph.unique_name(f"{name}_shift"), shift, "int32").name}

    def mac_params(self, i, opname, ins, out_index, axis: int, channels: int) -> dict:
        name = f"{opname}_{i}"
        if self.float_op:      # float weights and bias, as the other frontends' float graphs
            params = {"weight": self.const(ins[1], name, "weight", "float32")}
            if len(ins) > 2 and ins[2] >= 0:
                params["bias"] = self.const(ins[2], name, "bias", "float32")
            return params
        params = {"weight": self.const(ins[1], name, "weight", "int8", axis)}
        w_q = self.graph.tensors[params["weight"]].qparams
        # 16x8: int64 biases (int16 x int8 products summed in int64, as TFLite Micro does); int8: int32
        bias_dtype = "int64" if self.graph.tensors[self.activation(ins[0])].dtype == "int16" else "int32"
        if bias_dtype == "int64" and any(int(self.qparams(k).zero_point[0]) for k in (ins[0], out_index)):
            raise UnsupportedOpError(f"{self.where}int16 input or output with a nonzero zero point (TFLite's 16x8 "
                                     "kernels take symmetric int16 activations)", "re-convert the model with the "
                                     "TFLite converter")
        if len(ins) > 2 and ins[2] >= 0:
            if bias_dtype == "int64" and self.tensor(ins[2]).Type() == TensorType.INT32:
                raise UnsupportedOpError(f"{self.where}an int32 bias on int16 activations (TFLite Micro then sums "
                                         "in int32) is not supported yet", "convert with the TFLite converter's "
                                         "default 16x8 quantization, which writes int64 biases")
            params["bias"] = self.const(ins[2], name, "bias", bias_dtype)
            if self.graph.tensors[params["bias"]].shape != (channels,):
                raise ModelError(f"{self.where}bias has shape {list(self.graph.tensors[params['bias']].shape)}, "
                                 f"expected [{channels}]")
            bias = self.graph.tensors[params["bias"]].data
            if bias_dtype == "int32" and (found := overflowing_channel(self.graph.tensors[params["weight"]].data,
                                                                         bias, axis)):
                raise ModelError(self.where + accumulator_message(bias, found))
        else:
            params["bias"] = self.graph.add_const(self.graph.unique_name(f"{name}_bias"),
                                                  np.zeros(channels, bias_dtype), bias_dtype).name
        params.update(self.requant(name, ins[0], w_q.scale, out_index, channels))
        return params

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
        quant_out = out
        if i in self.dilated_convs:     # with the SPACE_TO_BATCH_ND before it and BATCH_TO_SPACE_ND after (ops_dilated)
            dilation, (top, bottom, left, right), out = self.dilated_convs[i]
            _, out_h, out_w, _ = self.shape(out)
        attrs = {"stride": stride, "dilation": dilation, "padding": (top, bottom, left, right)}
        if depthwise:
            if w_shape[0] != 1 or out_c % in_c:
                raise ModelError(f"{self.where}depthwise filter {list(w_shape)} does not fit {in_c} input channels")
            attrs["depth_multiplier"] = out_c // in_c
        elif w_shape[3] != in_c:
            raise UnsupportedOpError(f"{self.where}filter has {w_shape[3]} input channels, the input {in_c} "
                                     "(grouped convolution is not supported)")
        opname = "depthwise_conv2d" if depthwise else "conv2d"
        params = self.mac_params(i, opname, ins, quant_out, 3 if depthwise else 0, out_c)
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
        if not self.float_op and not self.qparams(ins[0]).same_as(self.qparams(out)):
            raise UnsupportedOpError(f"{self.where}input and output quantization differ")
        attrs = {"kernel": kernel, "stride": stride, "padding": (top, bottom, left, right)}
        if opname == "avg_pool2d":
            attrs["count_include_pad"] = False     # TFLite averages over the valid positions only
        node = self.add_node(i, opname, [x], out, attrs, {}, source, (n, out_h, out_w, c),
                             opts.FusedActivationFunction())
        if self.float_op:        # float pooling clamps to its fused activation's range
            return node
        whole = (-32768, 32767) if self.graph.tensors[x].dtype == "int16" else (ACT_QMIN, ACT_QMAX)
        if (node.attrs.pop("act_min"), node.attrs.pop("act_max")) != whole:
            raise UnsupportedOpError(f"{self.where}a fused activation on pooling is not supported yet")
        return node

    def op_average_pool_2d(self, i, op, ins, out, source):
        return self._pool(i, op, ins, out, source, "avg_pool2d")

    def op_max_pool_2d(self, i, op, ins, out, source):
        return self._pool(i, op, ins, out, source, "max_pool2d")
