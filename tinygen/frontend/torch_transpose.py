"""The PyTorch importer's handler for transposed convolutions (nn.ConvTranspose2d,
nn.ConvTranspose1d as a 1 x k one): one `transpose_conv2d` node (tinygen/ir/ops.py).

PyTorch's weights [in_c, out_c, kh, kw] become the IR's [out_c, kh, kw, in_c] (TFLite's
TRANSPOSE_CONV layout), with no flip: both frameworks send input pixel iy through tap ky to
output row iy * stride - padding + ky * dilation. output_padding (extra rows and columns at
the bottom and right, which only the bias reaches beyond the last tap) is the output's
size, and so the padding after the last row (padding - output_padding, negative where the
output reaches past the last tap). Groups other than 1 are refused.
"""

from __future__ import annotations

from tinygen.frontend.torch_values import _Act, _pair, ir_shape, nchw4


def _geometry(a: dict, lifted: bool) -> tuple:
    """(stride, padding, dilation) as (h, w) pairs; a 1-D layer's along w (stride and dilation
    1, padding 0 along h)."""
    def pair(name: str, default: int) -> tuple[int, int]:
        v = a.get(name)
        v = default if v is None or (isinstance(v, (list, tuple)) and not v) else v
        return (1 if default else 0, _pair(v)[0]) if lifted else _pair(v)

    return pair("stride", 1), pair("padding", 0), pair("dilation", 1)


def conv_transpose(im, a: dict, node) -> _Act:
    x = im._act(a["input"])
    w = im._const(a["weight"], "weight")
    b = im._const(a["bias"], "bias")
    lifted = len(x.tshape) == 3             # ConvTranspose1d: [N, C, L] is the IR's [N, 1, L, C]
    if len(x.tshape) not in (3, 4) or w.ndim != len(x.tshape):
        raise im._unsupported(f"a transposed convolution of an input of shape {list(x.tshape)}; tinygen "
                              f"needs batched inputs [1, C, H, W] (ConvTranspose2d) or [1, C, L] (ConvTranspose1d)")
    groups = int(a.get("groups") or 1)
    if groups != 1:
        raise im._unsupported(f"a transposed convolution with groups={groups}; only groups=1 is supported "
                              f"(use groups=1, or nearest upsampling followed by a depthwise Conv2d)")
    if lifted:
        w = w[:, :, None, :]
    _, _, kh, kw = w.shape
    stride, padding, dilation = _geometry(a, lifted)
    out = im._out_tshape(node)        # output_padding is in its size
    (_, _, in_h, in_w), (_, _, out_h, out_w) = nchw4(x.tshape), nchw4(out)

    def after(n_in: int, k: int, s: int, d: int, before: int, n_out: int) -> int:
        return (n_in - 1) * s + d * (k - 1) + 1 - before - n_out

    attrs = {"stride": stride, "dilation": dilation,
             "padding": (padding[0], after(in_h, kh, stride[0], dilation[0], padding[0], out_h),
                         padding[1], after(in_w, kw, stride[1], dilation[1], padding[1], out_w))}
    params = {"weight": w.transpose(1, 2, 3, 0)}
    if b is not None:
        params["bias"] = b
    return _Act(im._emit("transpose_conv2d", "tconv", [x.name], ir_shape(out), attrs, params), out)

