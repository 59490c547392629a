"""How torch values live in the IR: the activation and constant records of the PyTorch
importer (tinygen/frontend/torch.py) and the mapping of shapes and axes (the NCHW -> NHWC
primitives it shares with the ONNX importer are in tinygen/frontend/layout.py).

Every activation (`_Act`) is held in the IR in one of two layouts, recorded in its
`layout` field:

* IMAGE, the convolution layout: a 4-D torch value [1, C, H, W] is [1, H, W, C] in the
  IR, a 3-D one [1, C, L] (Conv1d's layout) [1, 1, L, C], so that 1-D convolutions and
  pools are 1 x k 2-D ones;
* TORCH, torch's own element order: the IR tensor has the torch shape (with a leading 1
  added where the torch shape does not start with a batch of 1, e.g. [T, B, D] or the
  [B * heads, T, Dh] of an attention block: the IR keeps a leading batch of 1). A
  batch-first sequence [B, T, D] is already channels-last in torch, so this is its
  natural layout: a Linear, a LayerNorm, a softmax over the last axis read it as rows of
  D features, and no transpose is needed.

Values of other ranks (2-D [rows, features], 5-D and up) are the same in both layouts;
so is a 3-D or 4-D value with one channel or one pixel. The two layouts of one value
differ only in element order, and an IR reshape (free: an alias) turns the TORCH layout
of a sequence [B, T, D] into the IMAGE layout of its transpose [B, D, T]: so
`x.transpose(1, 2)` before a Conv1d costs nothing.

Who decides a value's layout:

* the model input: a 3-D input is a sequence (TORCH) when the first layout-sensitive
  operators reading it (looked up through elementwise ones) are sequence operators
  (SEQUENCE_OPS: linear, layer_norm, matmul, attention, LSTM / GRU; and a mean over the
  last dim that keeps it, as a norm written out takes) and none is a convolution or pool
  (IMAGE_OPS), the preference flipped through a transpose of the last two dims (a
  sequence transposed for a Conv1d, a Conv1d's input transposed for a Linear: the
  transpose is free either way); otherwise it is IMAGE, as before. graph.meta["torch_layouts"]
  names the inputs and outputs held in torch's order, and tinygen.frontend.torch_to_ir
  converts a batch for them (the CLI, calibration and the harness do this);
* each handler: `im._act(v)` gives the IMAGE form (what convolutions, pools and the
  handlers written for images expect), `im.act_in(v, TORCH)` the TORCH form; either
  inserts a transpose where the value is held the other way (passes/fold_layout.py merges
  adjacent ones), and a handler returns its result in the layout it computed it in.
  Elementwise handlers keep their input's layout; sequence handlers (linear on 3-D and
  4-D values, layer and RMS norm, matmul, softmax over the last axis, attention, and the
  recurrent layers) work in TORCH. A new sequence operator's handler asks for TORCH and
  adds its aten name to SEQUENCE_OPS; `x.ir_shape`, `x.axis(dim)` and
  `ir_shape(out_tshape, TORCH)` give its IR shapes and axes, and it returns
  `_Act(name, out_tshape, TORCH)` (tinygen/frontend/torch_attention.py does so throughout).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from tinygen.frontend.layout import TO_NCHW as _TO_NCHW, TO_NHWC as _TO_NHWC, ir_axis, nchw4  # noqa: F401
from tinygen.frontend.layout import pair as _pair, same_order as _same_order  # noqa: F401

IMAGE, TORCH = "image", "torch"


# aten packets whose input is a sequence [B, T, D] (read along its last axis): a 3-D model
# input read first by these is held in torch's order (TORCH). A transpose of the input's last
# two dims is looked through with the preference flipped (torch_layout.input_layout); any
# other transpose is a sequence operator (nn.MultiheadAttention's [B, T, D] -> [T, B, D])
SEQUENCE_OPS = frozenset({
    "aten::linear", "aten::layer_norm", "aten::native_layer_norm", "aten::rms_norm", "aten::matmul",
    "aten::bmm", "aten::baddbmm", "aten::scaled_dot_product_attention", "aten::lstm", "aten::gru",
    "aten::rnn_tanh", "aten::rnn_relu", "aten::transpose", "aten::permute",
})
# ... and those that want the IMAGE layout (a conflict keeps IMAGE)
IMAGE_OPS = frozenset({
    "aten::conv1d", "aten::conv2d", "aten::max_pool1d", "aten::avg_pool1d", "aten::adaptive_avg_pool1d",
    "aten::max_pool2d", "aten::avg_pool2d", "aten::adaptive_avg_pool2d", "aten::batch_norm",
    "aten::_native_batch_norm_legit_no_training", "aten::upsample_nearest1d", "aten::upsample_nearest2d",
    "aten::upsample_bilinear2d", "aten::constant_pad_nd", "aten::pad",
})
# ... and those that read every element alike, looked through to their own readers
NEUTRAL_OPS = frozenset({
    "aten::add", "aten::add_", "aten::sub", "aten::sub_", "aten::mul", "aten::mul_", "aten::div", "aten::div_",
    "aten::relu", "aten::relu_", "aten::relu6", "aten::hardtanh", "aten::hardtanh_", "aten::clamp",
    "aten::clamp_", "aten::clamp_min", "aten::clamp_max", "aten::sigmoid", "aten::sigmoid_", "aten::hardswish",
    "aten::hardswish_", "aten::hardsigmoid", "aten::silu", "aten::silu_", "aten::gelu", "aten::tanh",
    "aten::dropout", "aten::dropout_", "aten::native_dropout", "aten::clone", "aten::alias", "aten::detach",
    "aten::contiguous", "aten::to", "aten::type_as", "aten::feature_dropout", "aten::alpha_dropout",
    "aten::pow", "aten::rsqrt",
})


def lifted(tshape: tuple[int, ...]) -> bool:
    """Whether the TORCH layout of `tshape` adds a leading 1 (the shape does not start with a batch of 1)."""
    return not tshape or int(tshape[0]) != 1


def torch_shape(tshape: tuple[int, ...]) -> tuple[int, ...]:
    """The IR shape of a torch-shaped value in the TORCH layout: the torch shape, with a
    leading 1 where it does not start with one."""
    tshape = tuple(int(d) for d in tshape)
    return (1,) + tshape if lifted(tshape) else tshape


def torch_axis(tshape: tuple[int, ...], dim: int) -> int:
    """The IR axis of torch axis `dim` of a value of shape `tshape` in the TORCH layout."""
    return int(dim) % len(tshape) + (1 if lifted(tshape) else 0)


def has_image_form(tshape: tuple[int, ...]) -> bool:
    """A value the IMAGE layout holds differently from TORCH: 3-D or 4-D with batch 1."""
    return len(tshape) in (3, 4) and int(tshape[0]) == 1


@dataclass(frozen=True)
class _Act:
    """An activation: IR tensor name, the shape torch sees, and how the IR holds it (IMAGE:
    NCHW -> NHWC; TORCH: torch's order). `mask` is "causal" on attention scores whose
    causal -inf mask is still to apply (only a softmax over the last axis may read them);
    `swapped_from` is the value this one swaps the last two axes of (a matrix product reads
    that one instead, transposed: tinygen/frontend/torch_attention.py)."""

    name: str
    tshape: tuple[int, ...]
    layout: str = IMAGE
    mask: str | None = None
    swapped_from: "_Act | None" = None

    @property
    def ir_shape(self) -> tuple[int, ...]:
        return ir_shape(self.tshape, self.layout)

    def axis(self, dim: int) -> int:
        """The IR axis of torch axis `dim`."""
        if self.layout == TORCH or not has_image_form(self.tshape):
            return torch_axis(self.tshape, dim)
        return ir_axis(len(self.tshape), dim)


@dataclass(frozen=True)
class _Const:
    """A parameter, buffer or value folded from them."""

    value: torch.Tensor
    origin: str


def ir_shape(tshape: tuple[int, ...], layout: str = IMAGE) -> tuple[int, ...]:
    """The IR shape of a torch-shaped value: IMAGE (NCHW -> NHWC for 4-D, [N, C, L] ->
    [N, 1, L, C]) where it has an image form, else torch_shape."""
    tshape = tuple(int(d) for d in tshape)
    if layout == IMAGE and has_image_form(tshape):
        n, c, h, w = nchw4(tshape)
        return (n, h, w, c)
    return torch_shape(tshape)

