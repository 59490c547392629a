"""ONNX's ConvTranspose (group 1; 1-D and 2-D) as tinygen's transpose_conv2d, in float and
quantized models alike (the weights' layout and geometry here, the rest as for Conv in ops_nn)."""

from __future__ import annotations

from tinygen.errors import ModelError
from tinygen.frontend.layout import nchw4
from tinygen.frontend.onnx import reader
from tinygen.frontend.onnx.importer import Importer, register
from tinygen.frontend.onnx.ops_conv import _mac, _weight_ir, int_bias
from tinygen.frontend.onnx.values import IntWeight


def _transpose_geometry(im: Importer, a: dict, in_hw, k_hw) -> tuple[tuple, tuple, tuple, tuple]:
    """(strides, dilations, (pad before, pad after) per dim, output size) of a ConvTranspose, as the
    ONNX spec computes them from pads / output_padding, or from output_shape and auto_pad."""
    lifted = len(list(a.get("kernel_shape", k_hw))) == 1 or len(list(a.get("strides", [1, 1]))) == 1

    def two(name: str, default: int, n: int = 2) -> list[int]:
        v = [int(d) for d in a.get(name, [default] * n)]
        return ([0 if default == 0 else 1] + v) if lifted and len(v) == 1 else v

    strides, dil, extra = two("strides", 1), two("dilations", 1), two("output_padding", 0)
    pads = [int(d) for d in a.get("pads", [0, 0, 0, 0] if not lifted else [0, 0])]
    if lifted and len(pads) == 2:
        pads = [0, pads[0], 0, pads[1]]
    span = [(k_hw[d] - 1) * dil[d] + 1 for d in range(2)]
    full = [strides[d] * (in_hw[d] - 1) + extra[d] + span[d] for d in range(2)]
    auto = a.get("auto_pad", "NOTSET")
    shape = [int(d) for d in a.get("output_shape", [])]
    if auto not in ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"):
        raise im.unsupported(f"auto_pad {auto!r}")
    if shape or auto in ("SAME_UPPER", "SAME_LOWER"):
        shape = ([1] + shape if lifted and len(shape) == 1 else shape) or [in_hw[d] * strides[d] for d in range(2)]
        pads = [0, 0, 0, 0]
        for d in range(2):
            total = full[d] - shape[d]
            small = total // 2
            pads[d], pads[d + 2] = (small, total - small) if auto == "SAME_UPPER" else (total - small, small)
    elif auto == "VALID":
        pads = [0, 0, 0, 0]
    out = tuple(full[d] - pads[d] - pads[d + 2] for d in range(2))
    if min(strides + dil) < 1 or min(pads) < 0 or min(out) < 1 or any(extra[d] >= max(strides[d], dil[d])
                                                                          for d in range(2)):
        raise ModelError(f"{im.filename}: {im.where()} has strides {strides}, dilations {dil}, pads {pads}, "
                         f"output_padding {extra}")
    return tuple(strides), tuple(dil), ((pads[0], pads[2]), (pads[1], pads[3])), out


@register("ConvTranspose")
def conv_transpose(im: Importer, node, ins):
    """ConvTranspose (groups 1) as tinygen's transpose_conv2d: ONNX's weights [in_c, out_c, kh, kw]
    become [out_c, kh, kw, in_c] (TFLite's layout), per-channel quantization along ONNX axis 1; the
    padding after the last tap is the output's size less the taps' reach (negative where
    output_padding reaches past it)."""
    a = reader.attrs(node)
    x = im.act(ins[0])
    if len(x.tshape) not in (3, 4):
        raise im.unsupported(f"a transposed convolution of a {len(x.tshape)}-D input; tinygen takes [N, C, H, W] "
                             "or [N, C, L]")
    if int(a.get("group", 1)) != 1:
        raise im.unsupported(f"a transposed convolution with group={a.get('group')}; tinygen takes group 1 (use "
                             "Resize (nearest) followed by a grouped Conv)")
    w = im.weight(ins[1], "weights", 1)
    raw = w.q if isinstance(w, IntWeight) else w
    if raw.ndim == 3:
        w = _weight_ir(w, lambda d: d[:, :, None, :])
        raw = w.q if isinstance(w, IntWeight) else w
    in_w_c, out_c, kh, kw = raw.shape
    _, in_c, h, wdt = nchw4(x.tshape)
    if in_w_c != in_c:
        raise ModelError(f"{im.filename}: {im.where()}: weights for {in_w_c} input channels, the input has {in_c}")
    b = ins[2] if len(ins) > 2 else None
    bias = int_bias(im, b, out_c) if im.quant else im.const(b, "bias")
    strides, dil, ((top, _), (left, _)), (oh, ow) = _transpose_geometry(im, a, (h, wdt), (kh, kw))
    if len(x.tshape) == 3 and oh != 1:
        raise ModelError(f"{im.filename}: {im.where()}: a 1-D transposed convolution computes {oh} rows")
    # the IR's padding after the last tap: the taps' reach less the output (output_padding makes it negative)
    after = [(n - 1) * st + (k - 1) * d + 1 - before - o
             for n, st, k, d, before, o in zip((h, wdt), strides, (kh, kw), dil, (top, left), (oh, ow))]
    attrs = {"stride": strides, "dilation": dil, "padding": (top, after[0], left, after[1])}
    out = (1, out_c, ow) if len(x.tshape) == 3 else (1, out_c, oh, ow)
    return _mac(im, "transpose_conv2d", "tconv", x, _weight_ir(w, lambda d: d.transpose(1, 2, 3, 0)), bias,
                attrs, out)
