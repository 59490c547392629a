"""The TFLite TRANSPOSE_CONV handler: inputs (output shape, filter, input[, bias]), int8
activations, int8 filter [out_c, kh, kw, in_c] quantized per output channel (or per
tensor), an optional int32 bias, SAME or VALID padding and a fused activation, as TFLite
Micro's transpose_conv.cc prepares them: the padding before the first row and column is
ComputePaddingHeightWidth's for a convolution whose input is this layer's output (stride,
dilation 1, the filter), the output's size the output tensor's (the output-shape input must
be a constant that agrees with it, or a model input that only gives this shape:
Importer.output_shape_inputs)."""

from __future__ import annotations

import numpy as np
import tflite

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.frontend.tflite.ops_mac import MacOps
from tinygen.frontend.tflite.prepare import padding
from tinygen.ir import Node


class TransposeConvOps(MacOps):
    """op_transpose_conv."""

    def op_transpose_conv(self, i, op, ins, out, source) -> Node:
        opts = self.options(op, tflite.TransposeConvOptions)
        if len(ins) not in (3, 4):
            raise ModelError(f"{self.where}has {len(ins)} inputs, expected 3 or 4 (output shape, filter, input, "
                             f"optional bias)")
        shape_index, w_index, x_index = ins[:3]
        x = self.activation(x_index)
        _, in_h, in_w, in_c = self._nhwc(self.graph.tensors[x].shape)
        out_shape = self.shape(out)
        if shape_index in self.shape_inputs:      # a model input: the output tensor's recorded shape
            said = self.shape_inputs[shape_index]
        elif not self.is_const(shape_index):
            raise UnsupportedOpError(f"{self.where}the output shape is computed at run time; tinygen needs it "
                                     f"constant", "convert the model with a fixed output shape")
        else:
            said = tuple(int(v) for v in np.asarray(self.buffer(shape_index)).ravel())
        if said != out_shape:
            raise ModelError(f"{self.where}the output-shape input says {list(said)}, the output tensor has "
                             f"{list(out_shape)}")
        w_shape = self.shape(w_index)
        if len(w_shape) != 4 or len(out_shape) != 4 or w_shape[0] != out_shape[3]:
            raise ModelError(f"{self.where}filter {list(w_shape)} does not fit the output {list(out_shape)}")
        if w_shape[3] != in_c:
            raise UnsupportedOpError(f"{self.where}filter has {w_shape[3]} input channels, the input {in_c} "
                                     "(grouped transposed convolution is not supported)")
        stride = (opts.StrideH(), opts.StrideW())
        if min(stride) < 1:
            raise ModelError(f"{self.where}stride {stride} is not positive")
        _, out_h, out_w, out_c = out_shape
        kh, kw = w_shape[1], w_shape[2]
        # TFLM: the padding of a convolution from this layer's output size (dilation 1)
        _, top, _ = padding(opts.Padding(), stride[0], 1, out_h, kh)
        _, left, _ = padding(opts.Padding(), stride[1], 1, out_w, kw)
        attrs = {"stride": stride, "dilation": (1, 1),
                 "padding": (top, (in_h - 1) * stride[0] + kh - top - out_h,
                             left, (in_w - 1) * stride[1] + kw - left - out_w)}
        # the MAC operators' constants, from (input, filter[, bias]) in their order
        params = self.mac_params(i, "transpose_conv2d", [x_index, w_index, *ins[3:]], out, 0, out_c)
        return self.add_node(i, "transpose_conv2d", [x], out, attrs, params, source, out_shape,
                             opts.FusedActivationFunction())
