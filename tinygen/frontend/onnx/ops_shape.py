"""ONNX handlers that move, pick, pad, resize or reduce elements: Flatten, Reshape, Squeeze,
Unsqueeze, Transpose (in ONNX's element order, passes/fold_layout.py merges the chains),
Concat, Split, Slice, Pad, Resize, ReduceMean, and the no-ops Identity, Dropout and a
float Cast. In a quantized model each keeps its input's grid (TFLite's rule), so they run
on the int8 tensors; QuantizeLinear after one with another grid requantizes."""

from __future__ import annotations

import math

import numpy as np

from tinygen.errors import ModelError
from tinygen.frontend.layout import ir_axis, ir_shape
from tinygen.frontend.onnx import reader
from tinygen.frontend.onnx.importer import Importer, register
from tinygen.frontend.onnx.ops_conv import global_mean
from tinygen.frontend.onnx.elementwise_q import pad_value_quantized
from tinygen.frontend.onnx.qdq import averaged_input
from tinygen.frontend.onnx.values import Act, Pending, View, _raw


def _reshape_target(im: Importer, tshape, target, allowzero: bool) -> tuple[int, ...]:
    shape = [int(d) for d in target]
    out = [tshape[k] if d == 0 and not allowzero else d for k, d in enumerate(shape)]
    if out.count(-1) > 1:
        raise ModelError(f"{im.filename}: {im.where()} reshapes to {shape}")
    if -1 in out:
        known = math.prod(d for d in out if d != -1)
        out[out.index(-1)] = math.prod(tshape) // max(known, 1)
    if math.prod(out) != math.prod(tshape):
        raise ModelError(f"{im.filename}: {im.where()} reshapes {list(tshape)} to {shape}")
    return tuple(out)


@register("Reshape")
def reshape(im: Importer, node, ins):
    x = im.act(ins[0])
    target = im.ints(ins[1], "shape")
    return im.reshape_to(x, _reshape_target(im, x.tshape, target, bool(reader.attrs(node).get("allowzero", 0))))


@register("Flatten")
def flatten(im: Importer, node, ins):
    x = im.act(ins[0])
    axis = int(reader.attrs(node).get("axis", 1)) % (len(x.tshape) + 1)
    return im.reshape_to(x, (math.prod(x.tshape[:axis]), math.prod(x.tshape[axis:])))


def _axes(im: Importer, node, ins, rank: int) -> list[int] | None:
    axes = reader.attrs(node).get("axes")
    if axes is None and len(ins) > 1 and ins[1] is not None:
        axes = im.ints(ins[1], "axes")
    return None if axes is None else sorted(int(a) % rank for a in axes)


@register("Squeeze")
def squeeze(im: Importer, node, ins):
    x = im.act(ins[0])
    axes = _axes(im, node, ins, len(x.tshape))
    out = [d for k, d in enumerate(x.tshape) if not (d == 1 and (axes is None or k in axes))]
    if axes and 0 in axes:
        raise im.unsupported("squeezing the batch dimension")
    return im.reshape_to(x, tuple(out))


@register("Unsqueeze")
def unsqueeze(im: Importer, node, ins):
    x = im.act(ins[0])
    axes = _axes(im, node, ins, len(x.tshape) + len(im.ints(ins[1], "axes") if len(ins) > 1 and ins[1] is not None
                                                    else reader.attrs(node).get("axes", [])))
    out = list(x.tshape)
    for a in axes:
        out.insert(a, 1)
    return im.reshape_to(x, tuple(out))


@register("Transpose")
def transpose(im: Importer, node, ins):
    x = im.act(ins[0])
    rank = len(x.tshape)
    perm = [int(p) % rank for p in reader.attrs(node).get("perm", list(range(rank))[::-1])]
    if perm[0] != 0:
        raise im.unsupported("a transpose that moves the batch dimension")
    if perm == list(range(rank)):
        return x
    out = tuple(x.tshape[p] for p in perm)
    src = im.to_nchw(x)
    moved = im.node_value("transpose", "transpose", [src], _raw(out), {"perm": tuple(perm)})
    return im.from_nchw(moved, out)


@register("Concat")
def concat(im: Importer, node, ins):
    xs = [im.act(v, "inputs") for v in ins]
    rank = len(xs[0].tshape)
    axis = int(reader.attrs(node)["axis"]) % rank
    if axis == 0:
        raise im.unsupported("concatenation along the batch dimension")
    if len(xs) == 1:
        return xs[0]
    out = list(xs[0].tshape)
    out[axis] = sum(x.tshape[axis] for x in xs)
    return im.node_value("concat", "concat", xs, tuple(out), {"axis": ir_axis(rank, axis)})


def slice_value(im: Importer, x, axis: int, begin: int, size: int):
    if size == x.tshape[axis]:
        return x
    out = list(x.tshape)
    out[axis] = size
    return im.node_value("slice", "slice", [x], tuple(out), {"axis": ir_axis(len(x.tshape), axis), "begin": begin})


@register("Split")
def split(im: Importer, node, ins):
    x = im.act(ins[0])
    a = reader.attrs(node)
    axis = int(a.get("axis", 0)) % len(x.tshape)
    if axis == 0:
        raise im.unsupported("splitting the batch dimension")
    n = x.tshape[axis]
    sizes = im.ints(ins[1], "split") if len(ins) > 1 and ins[1] is not None else a.get("split")
    if sizes is None:
        k = int(a.get("num_outputs", len(node.output)))
        step = -(-n // k)
        sizes = [min(step, n - i * step) for i in range(k)]
    sizes = [int(s) for s in sizes]
    if sum(sizes) != n or len(sizes) != len(node.output):
        raise ModelError(f"{im.filename}: {im.where()} splits {n} into {sizes}")
    out, begin = [], 0
    for size in sizes:
        out.append(slice_value(im, x, axis, begin, size))
        begin += size
    return out


@register("Slice")
def slice_(im: Importer, node, ins):
    x = im.act(ins[0])
    rank = len(x.tshape)
    starts, ends = im.ints(ins[1], "starts"), im.ints(ins[2], "ends")
    axes = im.ints(ins[3], "axes") if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
    steps = im.ints(ins[4], "steps") if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
    cur = x
    for s, e, ax, st in zip(starts, ends, axes, steps):
        ax %= rank
        n = x.tshape[ax]
        b, f, _ = slice(s, e).indices(n)
        if st != 1:
            if (b, f) == (0, n) and st > 0 and n == 1:
                continue
            raise im.unsupported("slicing with a step other than 1; use a strided pooling or convolution")
        if f <= b:
            raise im.unsupported("an empty slice")
        if ax == 0:
            if (b, f) == (0, n):
                continue
            raise im.unsupported("slicing the batch dimension")
        cur = slice_value(im, cur, ax, b, f - b)
    return cur


@register("Pad")
def pad(im: Importer, node, ins):
    x = im.act(ins[0])
    a = reader.attrs(node)
    if a.get("mode", "constant") != "constant":
        raise im.unsupported(f"{a.get('mode')!r} padding; only mode 'constant' is supported")
    rank = len(x.tshape)
    pads = im.ints(ins[1], "pads")
    axes = im.ints(ins[3], "axes") if len(ins) > 3 and ins[3] is not None else list(range(rank))
    axes = [int(ax) % rank for ax in axes]
    if any(p < 0 for p in pads):
        raise im.unsupported("negative padding (cropping); use Slice")
    ir_rank = len(ir_shape(x.tshape))
    paddings = [[0, 0] for _ in range(ir_rank)]
    out = list(x.tshape)
    for k, ax in enumerate(axes):
        before, after = pads[k], pads[k + len(axes)]
        if (before or after) and ax == 0:
            raise im.unsupported("padding the batch dimension")
        paddings[ir_axis(rank, ax)] = [before, after]
        out[ax] += before + after
    value = ins[2] if len(ins) > 2 else None
    if im.quant:
        pad_value = pad_value_quantized(im, ins[0], value)
        if isinstance(pad_value, tuple):
            return im.node_value("pad", "pad", [x], tuple(out), {"paddings": tuple(tuple(p) for p in paddings),
                                                                  "pad_real": pad_value[1]})
    else:
        c = im.const(value, "constant value")
        pad_value = 0.0 if c is None else float(np.asarray(c).reshape(-1)[0])
    return im.node_value("pad", "pad", [x], tuple(out), {"paddings": tuple(tuple(p) for p in paddings),
                                                          "pad_value": pad_value})


@register("Resize")
def resize(im: Importer, node, ins):
    x = im.act(ins[0])
    a = reader.attrs(node)
    if len(x.tshape) != 4:
        raise im.unsupported("resizing needs a [N, C, H, W] input")
    if int(a.get("antialias", 0)):
        raise im.unsupported("antialiased resizing")
    sizes = im.ints(ins[3], "sizes") if len(ins) > 3 and ins[3] is not None else None
    if sizes is None:
        scales = im.const(ins[2] if len(ins) > 2 else None, "scales")
        if scales is None:
            raise im.unsupported("a resize without scales or sizes")
        out = tuple(int(math.floor(d * float(s))) for d, s in zip(x.tshape, np.asarray(scales).reshape(-1)))
    else:
        out = tuple(int(s) for s in sizes)
    if out[:2] != x.tshape[:2]:
        raise im.unsupported("resizing the batch or channel dimension")
    mode = a.get("mode", "nearest")
    coords = a.get("coordinate_transformation_mode", "half_pixel")
    if mode == "nearest":
        nearest = a.get("nearest_mode", "round_prefer_floor")
        if any(o % i for o, i in zip(out[2:], x.tshape[2:])):
            raise im.unsupported(f"nearest resizing from {list(x.tshape[2:])} to {list(out[2:])}; only whole "
                                 "upsampling factors are supported")
        plain = (coords == "asymmetric" and nearest == "floor") or (
            coords in ("half_pixel", "pytorch_half_pixel") and nearest.startswith("round"))
        if not plain:
            raise im.unsupported(f"nearest resizing with coordinate_transformation_mode {coords!r} and "
                                 f"nearest_mode {nearest!r}; tinygen repeats each pixel (asymmetric + floor, or "
                                 "half_pixel + round)")
        return im.node_value("resize_nearest", "upsample", [x], out)
    if mode == "linear":
        if coords not in ("half_pixel", "pytorch_half_pixel") or min(out[2:]) < 2 and coords == "pytorch_half_pixel":
            raise im.unsupported(f"linear resizing with coordinate_transformation_mode {coords!r}; tinygen's is "
                                 "half_pixel (PyTorch's align_corners=False)")
        return im.node_value("resize_bilinear", "upsample", [x], out)
    raise im.unsupported(f"{mode!r} resizing; use 'nearest' or 'linear'")


@register("ReduceMean")
def reduce_mean(im: Importer, node, ins):
    x = im.act(averaged_input(im, ins[0]))
    rank = len(x.tshape)
    a = reader.attrs(node)
    axes = _axes(im, node, ins, rank)
    axes = list(range(rank)) if axes is None else axes
    spatial = {4: [2, 3], 3: [2]}.get(rank)
    if axes != spatial:
        raise im.unsupported(f"a mean over axes {axes} of a {rank}-D tensor; only the mean over H and W of "
                             "[N, C, H, W] (or L of [N, C, L]) is supported")
    return global_mean(im, x, keep=bool(int(a.get("keepdims", 1))))


@register("Identity")
def identity(im: Importer, node, ins):
    return ins[0]


@register("Dropout")
def dropout(im: Importer, node, ins):
    if len(ins) > 2 and ins[2] is not None and bool(np.asarray(im.const(ins[2], "training_mode")).reshape(-1)[0]):
        raise ModelError(f"{im.filename}: {im.where()} is a dropout in training mode", "export in eval mode")
    if len(node.output) > 1 and node.output[1]:
        raise im.unsupported("a Dropout whose mask is used")
    return ins[0]


@register("Cast")
def cast(im: Importer, node, ins):
    to = int(reader.attrs(node)["to"])
    v = ins[0]
    if isinstance(v, Pending) and v.stage == "acc" and to == 1:
        v.stage = "float"           # ConvInteger's int32 accumulator as float: its scale comes next
        return v
    if to == 1 and isinstance(v, (Act, View, Pending)):
        return v
    raise im.unsupported(f"a cast to {reader.ELEM_NAMES.get(to, to)} of an activation; tinygen models compute "
                         "in float32 (int8 once quantized)")
