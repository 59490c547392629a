"""Parameter builders of the int8 data-movement ops: concat, transpose, slice, nearest and
bilinear resize, pad (its dimensions merged down to tg_pad_params_t's four)."""

from __future__ import annotations

import math

from tinygen.errors import UnsupportedOpError
from tinygen.ir import Graph, Node
from tinygen.kernels.params_base import _hwc, builder


@builder("concat")
def _concat(graph: Graph, node: Node) -> dict:
    out = graph.tensor(node.outputs[0])
    axis = node.attrs["axis"] % len(out.shape)
    # in bytes: tg_concat_s16 is tg_concat_s8's byte copy (an int16 element is two)
    sizes = [math.prod(graph.tensor(t).shape[axis:]) * out.np_dtype.itemsize for t in node.inputs]
    return {"outer": math.prod(out.shape[:axis]), "num_inputs": len(node.inputs), "copy_sizes": sizes}


@builder("transpose")
def _transpose(graph: Graph, node: Node) -> dict:
    shape = graph.tensor(node.inputs[0]).shape
    perm = tuple(node.attrs["perm"])
    pad = 4 - len(shape)
    return {"in_shape": [1] * pad + list(shape),
            "perm": list(range(pad)) + [p + pad for p in perm]}


@builder("slice")
def _slice(graph: Graph, node: Node) -> dict:
    shape, out = graph.tensor(node.inputs[0]).shape, graph.tensor(node.outputs[0]).shape
    axis = node.attrs["axis"]
    # in bytes: tg_slice_s16 is tg_slice_s8's byte copy (an int16 element is two)
    inner = math.prod(shape[axis + 1:]) * graph.tensor(node.outputs[0]).np_dtype.itemsize
    return {"outer": math.prod(shape[:axis]), "in_stride": shape[axis] * inner,
            "offset": int(node.attrs["begin"]) * inner, "size": out[axis] * inner}


@builder("resize_nearest")
def _resize_nearest(graph: Graph, node: Node) -> dict:
    in_h, in_w, channels = _hwc(graph.tensor(node.inputs[0]).shape)
    out_h, out_w, _ = _hwc(graph.tensor(node.outputs[0]).shape)
    return {"in_h": in_h, "in_w": in_w, "channels": channels, "out_h": out_h, "out_w": out_w}


def bilinear_scale_10(n_in: int, n_out: int, align_corners: bool, half_pixel: bool) -> tuple[int, int]:
    """(scale, offset) of one axis in 1/1024 steps as TFLite's ResizeBilinearInteger takes them:
    in / out rounded to nearest, (in - 1) / (out - 1) with align_corners (out > 1); the half-pixel
    offset scale / 2 - 512 (C division of non-negative numbers)."""
    scale = (1024 * n_in + n_out // 2) // n_out
    if align_corners and n_out > 1:
        scale = (1024 * (n_in - 1) + (n_out - 1) // 2) // (n_out - 1)
    return scale, (scale // 2 - 512 if half_pixel else 0)


@builder("resize_bilinear")
def _resize_bilinear(graph: Graph, node: Node) -> dict:
    """TFLite's scales in 1/1024 steps (ResizeBilinearInteger); half-pixel centers unless the node
    says otherwise (a .tflite RESIZE_BILINEAR's options; PyTorch and ONNX resizes have them)."""
    p = _resize_nearest(graph, node)
    corners, half = bool(node.attrs.get("align_corners", False)), bool(node.attrs.get("half_pixel_centers", True))
    (sh, oh), (sw, ow) = (bilinear_scale_10(p[f"in_{a}"], p[f"out_{a}"], corners, half) for a in "hw")
    return {**p, "scale_h_10": sh, "scale_w_10": sw, "offset_h_10": oh, "offset_w_10": ow}


PAD_RANK = 4            # dimensions of tg_pad_params_t


@builder("pad")
def _pad(graph: Graph, node: Node) -> dict:
    dims = []                                   # (input size, before, after), outermost first
    for n, (before, after) in zip(graph.tensor(node.inputs[0]).shape, node.attrs["paddings"]):
        if dims and before == after == 0:       # an unpadded dim merges into the one outside it
            m, b, a = dims[-1]
            dims[-1] = (m * n, b * n, a * n)
        else:
            dims.append((n, before, after))
    if len(dims) > PAD_RANK:
        raise UnsupportedOpError(f"{node.name} ({node.source}): padding {len(dims)} separate dimensions; "
                                 f"tinygen's pad kernel handles {PAD_RANK}")
    dims = [(1, 0, 0)] * (PAD_RANK - len(dims)) + dims
    return {"in_shape": [d[0] for d in dims], "out_shape": [sum(d) for d in dims],
            "pad_before": [d[1] for d in dims], "pad_value": int(node.attrs["pad_value"])}
