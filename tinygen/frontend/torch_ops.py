"""The torch importer's op table: which handler translates each aten (or tinygen::) operator
of an exported program into IR nodes (tinygen/frontend/torch.py walks the program and asks
handler_for()).

A handler is called as handler(importer, normalized args, fx node) and returns the op's value
(tinygen/frontend/torch_values.py); the handlers live in torch_layers (convolutions, pools,
activations, reshapes), torch_mobile (elementwise, split, pad, upsample, 1-D lifts),
torch_gating (channel gates, early exits), torch_simple (tanh, PReLU, GELU, hard sigmoid, sum,
select, strided slices, flip, reflect / replicate / circular padding) and torch_attention (norms,
matrix products, attention, causal masks). An operator is looked up by its overload
("aten::add.Tensor") first, then by its packet ("aten::relu": every overload).
"""

from __future__ import annotations

from typing import Callable

import torch

from tinygen.frontend import torch_gating as gating, torch_mobile as mobile, torch_simple as simple
from tinygen.frontend.torch_transpose import conv_transpose
from tinygen.frontend.torch_layers import (_adaptive_avg_pool, _avg_pool, _batch_norm, _cat, _clamp, _conv, _linear,
                                           _lowbit, _max_pool, _mean, _native_dropout, _passthrough, _reshape,
                                           _sigmoid, _softmax, _to)


def op_key(op) -> str:
    """An operator overload's key: "aten::add.Tensor"."""
    return f"{op._schema.name}.{op._overloadname}"


def packet_key(op) -> str:
    """An operator's packet key (all its overloads): "aten::add"."""
    return op._schema.name if isinstance(op, torch._ops.OpOverload) else op._qualified_op_name


def handler_for(op) -> Callable | None:
    """The handler of an aten operator overload: its own, else its packet's (None: unsupported)."""
    return HANDLERS.get(op_key(op)) or HANDLERS.get(packet_key(op))


_aten = torch.ops.aten
HANDLERS: dict[str, Callable] = {}


def _register(fn: Callable, *ops) -> None:
    for op in ops:
        key = op_key(op) if isinstance(op, torch._ops.OpOverload) else packet_key(op)
        HANDLERS[key] = fn


_register(_conv, _aten.conv2d)
_register(_linear, _aten.linear)
HANDLERS["tinygen::qconv2d"] = _lowbit("conv2d")
HANDLERS["tinygen::qlinear"] = _lowbit("fully_connected")
HANDLERS["tinygen::channel_gate"] = gating.channel_gate
HANDLERS["tinygen::exit_select"] = gating.exit_select
_register(_batch_norm, _aten.batch_norm, _aten._native_batch_norm_legit_no_training)
_register(_clamp(0.0, float("inf"), "relu"), _aten.relu, _aten.relu_)
_register(_clamp(0.0, 6.0, "relu6"), _aten.relu6)
_register(_clamp(None, None, "clamp"), _aten.hardtanh, _aten.hardtanh_)
_register(mobile.clamp, _aten.clamp.default, _aten.clamp_.default, _aten.clamp_min.default,
          _aten.clamp_min_.default, _aten.clamp_max.default, _aten.clamp_max_.default)
_register(_sigmoid, _aten.sigmoid, _aten.sigmoid_)
_register(mobile.hardswish, _aten.hardswish, _aten.hardswish_)
_register(mobile.silu, _aten.silu, _aten.silu_)
_register(_max_pool, _aten.max_pool2d)
_register(mobile.lift_1d(_max_pool, "kernel_size", "stride", "padding", "dilation"), _aten.max_pool1d)
_register(_avg_pool, _aten.avg_pool2d)
_register(mobile.lift_1d(_avg_pool, "kernel_size", "stride", "padding"), _aten.avg_pool1d)
_register(_adaptive_avg_pool, _aten.adaptive_avg_pool2d)
_register(mobile.lift_1d(_adaptive_avg_pool, "output_size"), _aten.adaptive_avg_pool1d)
_register(mobile.lift_1d(_conv, "stride", "padding", "dilation"), _aten.conv1d)
_register(_mean, _aten.mean.dim)
_register(mobile.binary("add"), _aten.add.Tensor, _aten.add_.Tensor, _aten.add.Scalar, _aten.add_.Scalar)
_register(mobile.binary("add", negate=True), _aten.sub.Tensor, _aten.sub_.Tensor, _aten.sub.Scalar,
          _aten.sub_.Scalar)
_register(mobile.binary("mul"), _aten.mul.Tensor, _aten.mul_.Tensor, _aten.mul.Scalar, _aten.mul_.Scalar)
_register(mobile.binary("mul", invert=True), _aten.div.Tensor, _aten.div_.Tensor, _aten.div.Scalar,
          _aten.div_.Scalar)
_register(_cat, _aten.cat.default)
_register(mobile.permute, _aten.transpose.int, _aten.permute.default)
_register(mobile.split, _aten.chunk.default, _aten.split.Tensor, _aten.split_with_sizes.default,
          _aten.unsafe_split.Tensor, _aten.unsafe_chunk.default)
_register(mobile.upsample_nearest, _aten.upsample_nearest2d.vec, _aten.upsample_nearest2d.default,
          _aten.upsample_nearest1d.vec, _aten.upsample_nearest1d.default)
_register(mobile.upsample_bilinear, _aten.upsample_bilinear2d.vec, _aten.upsample_bilinear2d.default)
_register(_softmax, _aten.softmax.int, _aten._softmax.default)
_register(_reshape, _aten.view, _aten.reshape, _aten._unsafe_view, _aten.flatten.using_ints,
          _aten.squeeze, _aten.squeeze_, _aten.unsqueeze, _aten.unsqueeze_)
_register(_passthrough, _aten.dropout.default, _aten.dropout_.default, _aten.clone.default,
          _aten.alias.default, _aten.detach.default, _aten.detach_.default, _aten.contiguous.default,
          _aten.feature_dropout.default, _aten.feature_dropout_.default, _aten.alpha_dropout.default,
          _aten.alpha_dropout_.default, _aten.feature_alpha_dropout.default,
          _aten.feature_alpha_dropout_.default)
_register(_native_dropout, _aten.native_dropout.default)
_register(_to, _aten.to.dtype, _aten.to.dtype_layout, _aten.type_as.default)

# the simpler operators users' models bring (torch_simple): tanh, PReLU, GELU, the hard sigmoid,
# sum, select / narrow / unbind, slicing with steps, flip, and padding in every mode
_register(simple.tanh, _aten.tanh, _aten.tanh_)
_register(simple.prelu, _aten.prelu.default, _aten._prelu_kernel.default)
_register(simple.gelu, _aten.gelu, _aten.gelu_)
_register(simple.hardsigmoid, _aten.hardsigmoid, _aten.hardsigmoid_)
_register(simple.sum_, _aten.sum.dim_IntList, _aten.sum.default)
_register(simple.select, _aten.select.int)
_register(simple.unbind, _aten.unbind.int)
_register(simple.narrow, _aten.narrow.default)
_register(simple.slice_, _aten.slice.Tensor)
_register(simple.flip, _aten.flip.default)
_register(mobile.pad, _aten.constant_pad_nd.default)
_register(simple.pad, _aten.pad.default)

# transposed convolutions (tinygen/frontend/torch_transpose.py)
_register(conv_transpose, _aten.conv_transpose2d.input, _aten.conv_transpose1d.default)

# -- normalization and attention (tinygen/frontend/torch_attention.py) --------------------------
from tinygen.frontend import torch_attention as attention  # noqa: E402

_register(attention.layer_norm, _aten.layer_norm, _aten.native_layer_norm)
_register(attention.rms_norm, _aten.rms_norm)
_register(attention.rsqrt, _aten.rsqrt)
_register(attention.pow_, _aten.pow.Tensor_Scalar)
_register(attention.matmul, _aten.matmul, _aten.bmm)
_register(attention.baddbmm, _aten.baddbmm)
_register(attention.scaled_dot_product_attention, _aten.scaled_dot_product_attention)
_register(attention.masked_fill, _aten.masked_fill.Scalar, _aten.masked_fill_.Scalar)
_register(_reshape, _aten.unflatten.int)

# -- recurrent layers (tinygen/frontend/torch_recurrent.py) --
from tinygen.frontend import torch_recurrent as recurrent  # noqa: E402

_register(recurrent.recurrent("lstm"), _aten.lstm.input)
_register(recurrent.recurrent("gru"), _aten.gru.input)
_register(recurrent.select, _aten.select.int)       # the last step of a sequence, else torch_simple.select
