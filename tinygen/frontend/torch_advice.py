"""What to tell a user whose PyTorch model uses operators tinygen does not compile: one
refusal that lists every one of them with its module path, and for each a line on what to
write instead, or on why it cannot run on a microcontroller (a float-only op, a
data-dependent op, a layer with an int8 stand-in). Every refused op gets one: its own entry
in _ADVICE, else its family's (a data-dependent shape, a random op, an elementwise function:
from the operator's torch tags), else the general one.

LayerNorm, RMS norm, GELU, matmul and attention compile (tinygen/frontend/torch_attention.py,
torch_simple.py); so do the operators below them in the guide's operator list.
"""

from __future__ import annotations

import torch

from tinygen.errors import UnsupportedOpError
from tinygen.frontend.torch_ops import handler_for

# lines several ops share
_INDEX = ("indexing with a tensor of indices: with constant indices write slices (x[:, a:b], x[:, i], x[:, ::k]) "
          "and torch.cat; indices computed from the input read data-dependent addresses no compiled plan holds: "
          "index the model's output in your application")
_DATA_SHAPE = ("its output's size depends on the input's values; a microcontroller model has every shape fixed "
               "when it is compiled (one static memory plan): compute it from the model's output in your application")
_ORDER = ("ordering by the input's values (sort, top k, indices) has no int8 kernel and yields integer indices: "
          "take it from the int8 output in your application")
_STATISTIC = ("a statistic of the input computed at run time needs a square or a root per element: normalize with "
              "BatchNorm (folded into the convolution before it) and retrain, or compute it in your application")
_WRITES = ("writes at indices computed from the input: no static kernel; build the tensor with slices and "
           "torch.cat where the indices are constant")
# the lines of the op families without an entry of their own (by torch tag or name)
DATA_DEPENDENT = _DATA_SHAPE
RANDOM = ("a random op: a compiled model computes the same output for the same input; remove it (model.eval() "
          "turns dropout off)")
ELEMENTWISE = ("an elementwise function with no int8 kernel: use one of the supported activations (ReLU, ReLU6, "
               "Hardtanh, Sigmoid, Tanh, Hardswish, Hardsigmoid, SiLU, GELU, PReLU) and fine-tune, or apply it to "
               "the model's output in your application")
GENERAL = ("no int8 kernel: write the computation with the supported layers below, or move it out of the model "
           "(before its input or after its output, in your application)")
_RANDOM_OPS = ("rand", "bernoulli", "normal", "multinomial", "poisson", "uniform", "exponential", "geometric",
               "cauchy", "log_normal", "random")

# aten op (packet name, "aten.<name>") -> the rewrite to suggest
_ADVICE = {
    "aten.group_norm": "use BatchNorm2d (folded into the convolution before it) and retrain",
    "aten._upsample_bilinear2d_aa": "use F.interpolate(..., mode='nearest') followed by a convolution",
    "aten.upsample_bicubic2d": "use F.interpolate(..., mode='nearest') followed by a convolution",
    "aten.exp": "a float-only op: move it out of the model (e.g. after the int8 output, on the host)",
    "aten.log": "a float-only op: move it out of the model (e.g. after the int8 output, on the host)",
    "aten.sqrt": "a float-only op: move it out of the model (e.g. after the int8 output, on the host)",
    "aten.div": "divide by a constant only (it becomes a multiply); divide by an activation outside the model",
    "aten.sub": "a constant minus an activation has no int8 kernel: write c - x as (x - c) * -1",
    "aten.argmax": "a data-dependent op: take the argmax of the int8 output in your application",
    "aten.max": "a data-dependent op: take the maximum of the int8 output in your application",
    "aten.max_pool2d_with_indices": "use nn.MaxPool2d without return_indices",
    # -- the simpler operators' family: what users' models meet, and what to write instead ---------
    "aten.elu": "use nn.GELU, nn.SiLU or nn.Hardswish (int8 kernels) and fine-tune",
    "aten.leaky_relu": "use nn.PReLU(init=negative_slope) (int8 PRELU; freeze its weight to keep the slope)",
    "aten.pow": "x ** 2 is x * x (an int8 multiply of two activations); other powers are float-only: move them "
                "out of the model (after its int8 output, in your application)",
    "aten.index": _INDEX,
    "aten.index_select": _INDEX,
    "aten.gather": _INDEX,
    "aten.take": _INDEX,
    "aten.take_along_dim": _INDEX,
    "aten.masked_select": _DATA_SHAPE,
    "aten.nonzero": _DATA_SHAPE,
    "aten.unique_dim": _DATA_SHAPE,
    "aten._unique2": _DATA_SHAPE,
    "aten.unique_consecutive": _DATA_SHAPE,
    "aten.where": "torch.where(x > 0, x, a * x) is nn.PReLU(init=a); any other choice by a mask computed from the "
                  "input has no int8 kernel: make it from the model's output in your application",
    "aten.masked_fill": "a choice by a mask computed from the input has no int8 kernel: clamp (torch.clamp) or "
                        "ReLU where the mask is a threshold, else make it from the output in your application",
    "aten.cumsum": "a running sum has no int8 kernel; over a fixed length n it is a Linear(n, n, bias=False) whose "
                   "weight is torch.tril(torch.ones(n, n)), applied along that axis",
    "aten.cumprod": "a running product has no int8 kernel: compute it from the output in your application",
    "aten.sort": _ORDER,
    "aten.argsort": _ORDER,
    "aten.topk": _ORDER,
    "aten.kthvalue": _ORDER,
    "aten.msort": _ORDER,
    "aten.median": _ORDER,
    "aten.embedding": "an index lookup: tinygen's model input is the float features it quantizes, not integer ids: "
                      "look the vectors up in your application and feed them to the model",
    "aten.embedding_bag": "an index lookup: look the vectors up in your application and feed them to the model",
    "aten.one_hot": "integer input: build the one-hot vector in your application and feed it to the model",
    "aten.einsum": "write the contraction with the supported layers: against a constant operand it is a Linear or "
                   "a 1x1 Conv2d holding that operand as its weight, a reordering is permute / transpose, an "
                   "elementwise product is *",
    "aten.floor_divide": "integer division has no int8 kernel: divide by the constant (a multiply) and floor the "
                         "output in your application",
    "aten.remainder": "a remainder is discontinuous and has no int8 kernel: compute it in your application",
    "aten.fmod": "a remainder is discontinuous and has no int8 kernel: compute it in your application",
    "aten.abs": "abs(x) is F.relu(x) + F.relu(x * -1.0) (int8 clamps, a multiply and an add)",
    "aten.neg": "write x * -1.0 (a multiply by a constant)",
    "aten.minimum": "the elementwise minimum of two activations has no int8 kernel; against a constant it is "
                    "torch.clamp(x, max=c)",
    "aten.maximum": "the elementwise maximum of two activations has no int8 kernel; against a constant it is "
                    "torch.clamp(x, min=c)",
    "aten.clamp": "clamp with numbers, torch.clamp(x, min=a, max=b); bounds computed from the input have no int8 "
                  "kernel",
    "aten.amax": "a maximum over H and W is nn.MaxPool2d(kernel_size=(H, W)); over other axes it has no int8 kernel",
    "aten.amin": "a minimum over an axis has no int8 kernel: -maxpool(-x) over H and W (x * -1.0, nn.MaxPool2d)",
    "aten.min": "a minimum over an axis has no int8 kernel: -maxpool(-x) over H and W (x * -1.0, nn.MaxPool2d)",
    "aten.adaptive_max_pool2d": "use nn.MaxPool2d(kernel_size=input size // output size)",
    "aten.adaptive_max_pool1d": "use nn.MaxPool1d(kernel_size=input length // output length)",
    "aten.log_softmax": "softmax is supported: take the log of its output in your application (argmax is unchanged)",
    "aten.softplus": "use nn.GELU, nn.SiLU or nn.ReLU (int8 kernels) and fine-tune",
    "aten.mish": "use nn.SiLU or nn.GELU (int8 kernels) and fine-tune",
    "aten.selu": "use nn.GELU, nn.SiLU or nn.Hardswish (int8 kernels) and fine-tune",
    "aten.celu": "use nn.GELU, nn.SiLU or nn.Hardswish (int8 kernels) and fine-tune",
    "aten.log_sigmoid": "use nn.Sigmoid (int8) and take the log of the output in your application",
    "aten.glu": "write it as a * torch.sigmoid(b) with a, b = x.chunk(2, dim) (int8 split, logistic and multiply)",
    "aten.std": _STATISTIC,
    "aten.var": _STATISTIC,
    "aten.std_mean": _STATISTIC,
    "aten.var_mean": _STATISTIC,
    "aten.instance_norm": "use BatchNorm2d (folded into the convolution before it) and retrain",
    "aten.linalg_vector_norm": "a norm (the square root of a sum of squares) has no int8 kernel: normalize in your "
                               "application, or use BatchNorm and retrain",
    "aten.norm": "a norm (the square root of a sum of squares) has no int8 kernel: normalize in your application",
    "aten.cosine_similarity": "a norm (the square root of a sum of squares) has no int8 kernel: compare the model's "
                              "outputs in your application",
    "aten.cdist": "distances (square roots of sums of squares) have no int8 kernel: compare the model's outputs in "
                  "your application",
    "aten.repeat": "repeat by concatenating: torch.cat([x, x], dim)",
    "aten.tile": "repeat by concatenating: torch.cat([x, x], dim)",
    "aten.expand": "let the arithmetic broadcast instead (x * y with y of size 1 along an axis), or concatenate copies",
    "aten.expand_as": "let the arithmetic broadcast instead (x * y with y of size 1 along an axis)",
    "aten.stack": "torch.cat([a.unsqueeze(d), b.unsqueeze(d)], d): unsqueeze is a free reshape",
    "aten.roll": "torch.cat([x[..., -k:], x[..., :-k]], dim): two slices and a concatenation",
    "aten.pixel_shuffle": "use F.interpolate(..., mode='nearest') followed by a convolution",
    "aten.pixel_unshuffle": "use a strided convolution (stride = the downscale factor)",
    "aten.channel_shuffle": "write the shuffle as x.view(n, g, c // g, h, w).transpose(1, 2).reshape(n, c, h, w) "
                            "(tinygen folds it into one transpose)",
    "aten.unfold": "a sliding-window view: use a convolution",
    "aten.im2col": "a sliding-window view: use a convolution",
    "aten.prod": "a product over an axis has no int8 kernel: compute it from the output in your application",
    "aten.lerp": "write a + w * (b - a) as a * (1 - w) + b * w (int8 multiplies by constants and an add)",
    "aten.addcmul": "write a + v * b * c with * and + (int8 multiply and add)",
    "aten.addcdiv": "a quotient of two activations has no int8 kernel: compute it in your application",
    "aten.bucketize": _DATA_SHAPE,
    "aten.searchsorted": _INDEX,
    "aten.histc": "a histogram counts by the input's values: compute it in your application",
    "aten.bincount": _DATA_SHAPE,
    "aten.scatter": _WRITES,
    "aten.scatter_add": _WRITES,
    "aten.scatter_reduce": _WRITES,
    "aten.index_put": _WRITES,
    "aten.index_add": _WRITES,
    "aten.index_copy": _WRITES,
    "aten.grid_sampler_2d": "sampling at coordinates computed from the input reads data-dependent addresses with "
                            "float weights: resize with F.interpolate (fixed sizes) instead",
    "aten.conv3d": "5-D tensors have no kernels: fold the depth into the channels and use Conv2d",
    "aten.max_pool3d": "5-D tensors have no kernels: fold the depth into the channels and use MaxPool2d",
    "aten.avg_pool3d": "5-D tensors have no kernels: fold the depth into the channels and use AvgPool2d",
    "aten.fft_rfft": "a spectral transform: compute the features before the model (tinygen's audio front end, or "
                     "your application) and feed them",
    "aten.stft": "a spectral transform: compute the features before the model (tinygen's audio front end, or your "
                 "application) and feed them",
}
_COMPARISON = ("a comparison gives booleans, which an int8 model does not carry: a threshold gate is F.relu or "
               "torch.clamp of x - t; compare the model's output in your application")
_ADVICE.update({f"aten.{name}": _COMPARISON for name in (
    "gt", "lt", "ge", "le", "eq", "ne", "logical_and", "logical_or", "logical_not", "logical_xor", "isnan", "isinf",
    "isfinite", "any", "all", "bitwise_and", "bitwise_or", "bitwise_not", "bitwise_xor")})


def advice(op: str) -> str | None:
    """The rewrite to suggest for aten op `op` (e.g. "aten.cumsum.default"), or why it cannot
    run on a microcontroller: its own entry, else, for an op tinygen has no handler for, its
    family's (torch's tags on the operator: a data-dependent output shape, an elementwise
    function; a random op by name), else the general line. None for an op with a handler
    (refused for the reason the handler gives) and for what is not an aten operator."""
    for key in (op, op.rsplit(".", 1)[0]):
        if key in _ADVICE:
            return _ADVICE[key]
    parts = op.split(".")
    if parts[0] != "aten" or len(parts) < 2:
        return None
    overload = _overload(parts[1], parts[2] if len(parts) > 2 else "default")
    if overload is not None and handler_for(overload) is not None:
        return None                     # an op tinygen compiles, refused for the reason it gives
    if parts[1].rstrip("_").startswith(_RANDOM_OPS):
        return RANDOM
    tags = list(overload.tags) if overload is not None else []
    if torch.Tag.dynamic_output_shape in tags or torch.Tag.data_dependent_output in tags:
        return DATA_DEPENDENT
    if torch.Tag.pointwise in tags:
        return ELEMENTWISE
    return GENERAL


def _overload(name: str, overload: str):
    """torch's aten operator overload `name`.`overload`, or None where torch has none."""
    packet = getattr(torch.ops.aten, name, None)
    try:
        return getattr(packet, overload) if packet is not None else None
    except AttributeError:
        return None


def refusal(refusals: list[tuple[str, str, UnsupportedOpError]], supported) -> UnsupportedOpError:
    """One error for every refused op (op, where, its error), in model order."""
    if len(refusals) == 1:
        only = refusals[0][2]
        return UnsupportedOpError(only.message, only.hint)
    body = []
    for op, _, err in refusals:
        use = advice(op)
        body.append(f"  - {err.message}" + (f"\n      use: {use}" if use else ""))
    ops = sorted({op for op, _, _ in refusals})
    head = f"the model uses {len(refusals)} operators tinygen does not compile ({', '.join(ops)}):"
    return UnsupportedOpError(head + "\n" + "\n".join(body), hint="supported layers: " + ", ".join(supported))
