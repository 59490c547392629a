"""Handlers of the PyTorch frontend for the layers mobile networks use: hard swish, SiLU,
elementwise add / mul with broadcasting and constants (squeeze-and-excitation), transpose /
permute (channel shuffle), chunk / split / slicing, constant padding, nearest upsampling,
clamps, 1-D convolutions and pools (as 1 x k 2-D ones).

Each maps to the IR ops the .tflite frontend produces for the same TFLite operator, so a
model exported both ways runs the same kernels (HARD_SWISH, LOGISTIC + MUL for SiLU, as
TFLite's converter writes them; the hard sigmoid is torch_simple's).
Handlers take (importer, normalized aten args, fx node); the importer
(tinygen/frontend/torch.py) provides the value classes and the layout helpers.
"""

from __future__ import annotations

import numpy as np

from tinygen.frontend.torch_attention import causal_scores, masks, raw
from tinygen.frontend.torch_values import has_image_form


def hardswish(im, a: dict, node):
    x = im.act_any(a["self"])
    return im.Act(im._emit("hard_swish", "hardswish", [x.name], x.ir_shape), x.tshape, x.layout)


def silu(im, a: dict, node):
    """x * sigmoid(x): LOGISTIC then MUL, as TFLite writes it."""
    x = im.act_any(a["self"])
    shape = x.ir_shape
    sig = im._emit("logistic", "silu_sigmoid", [x.name], shape)
    return im.Act(im._emit("mul", "silu", [x.name, sig], shape), x.tshape, x.layout)


def _const_operand(im, value, x) -> np.ndarray:
    """A constant (tensor or number) broadcast against the activation x, in x's IR layout."""
    rank = len(x.tshape)
    c = np.asarray(value, dtype=np.float32)
    if c.ndim > rank:
        raise im._unsupported(f"a constant of shape {list(c.shape)} broadcast against a {rank}-D tensor")
    if x.layout == im.TORCH or not has_image_form(x.tshape):
        c = c.reshape((1,) * (len(x.ir_shape) - c.ndim) + c.shape)
    elif rank in (3, 4):
        c = c.reshape((1,) * (rank - c.ndim) + c.shape)
        if rank == 3:
            c = c[:, :, None, :]                        # [N, C, L] -> [N, C, 1, L]
        c = c.transpose(0, 2, 3, 1)
    return np.ascontiguousarray(c)


def binary(op: str, negate: bool = False, invert: bool = False):
    """add / sub / mul / div, Tensor or Scalar, in place or not: two activations (numpy
    broadcasting, same rank; a difference is TFLite's SUB), or an activation and a constant
    (sub and div of a constant become an add and a multiply). The sum of attention scores
    and a constant causal mask (-inf above the diagonal) marks the scores for the causal
    softmax (torch_attention.causal_mask)."""
    def handler(im, a: dict, node):
        x, y = a["self"], a["other"]
        if a.get("alpha", 1) != 1:
            raise im._unsupported("add / sub with alpha != 1")
        out = im._out_tshape(node)
        if isinstance(x, im.Act) and isinstance(y, im.Act):
            if invert:
                raise im._unsupported("the quotient of two activations has no int8 kernel")
            if len(x.tshape) != len(y.tshape):
                raise im._unsupported(f"broadcasting shapes {list(x.tshape)} and {list(y.tshape)} of "
                                      f"different ranks; reshape one to the other's rank first")
            x = im.act_any(x)
            y = im.act_in(y, x.layout)
            return im.Act(im._emit("sub" if negate else op, "sub" if negate else op, [x.name, y.name],
                                   im.ir_shape(out, x.layout)), out, x.layout)
        if not isinstance(x, im.Act):
            if negate or invert:
                raise im._unsupported("a constant minus or divided by an activation has no int8 kernel")
            x, y = y, x
        x = im.act_any(x)
        if op == "add" and not negate and not invert and isinstance(y, im.Const) and masks(y):
            return causal_scores(im, x, raw(y), out)
        c = im._const(y, "operand") if isinstance(y, im.Const) else np.float32(y)
        c = -np.asarray(c, np.float32) if negate else c
        if invert:
            if np.any(np.asarray(c) == 0):
                raise im._unsupported("a division by zero")
            c = np.float32(1.0) / np.asarray(c, np.float32)
        operand = _const_operand(im, c, x)
        if tuple(np.broadcast_shapes(x.ir_shape, operand.shape)) != im.ir_shape(out, x.layout):
            raise im._unsupported(f"a constant of shape {list(np.shape(c))} that broadcasts the "
                                  f"activation {list(x.tshape)} to a larger shape")
        return im.Act(im._emit(op, op, [x.name], im.ir_shape(out, x.layout), {}, {"operand": operand}), out,
                      x.layout)
    return handler


def clamp(im, a: dict, node):
    """clamp / clamp_min / clamp_max with number bounds (ReLU-n variants)."""
    x = im.act_any(a["self"])
    lo, hi = a.get("min"), a.get("max")
    if isinstance(lo, im.Const) or isinstance(hi, im.Const) or isinstance(lo, im.Act) or isinstance(hi, im.Act):
        raise im._unsupported("clamp with tensor bounds; use numbers")
    lo = -np.inf if lo is None else float(lo)
    hi = np.inf if hi is None else float(hi)
    return im.Act(im._emit("clamp", "clamp", [x.name], x.ir_shape, {"lo": lo, "hi": hi}), x.tshape, x.layout)


def permute(im, a: dict, node):
    """transpose(dim0, dim1) / permute(dims): in torch's element order, then back to the
    value's layout (an image's where the result has an image form, else torch's order);
    passes/fold_layout.py merges the chain (a channel shuffle becomes one transpose, a
    sequence transposed for a Conv1d a free reshape)."""
    x = im.act_any(a["self"])
    rank = len(x.tshape)
    if "dims" in a:
        perm = [int(d) % rank for d in a["dims"]]
    else:
        perm = list(range(rank))
        d0, d1 = int(a["dim0"]) % rank, int(a["dim1"]) % rank
        perm[d0], perm[d1] = perm[d1], perm[d0]
    out = im._out_tshape(node)
    if perm == list(range(rank)):
        return x
    src = im.to_torch_order(x)
    lifted = (1,) + tuple(x.tshape)             # the IR's leading 1 stays first
    if im.graph.tensor(src).shape != lifted:
        src = im._emit("reshape", "reshape", [src], lifted)
    moved = im._emit("transpose", "transpose", [src], (1,) + tuple(out), {"perm": (0,) + tuple(p + 1 for p in perm)})
    result = im.from_torch_order(moved, out, x.layout)
    if rank >= 2 and perm == list(range(rank - 2)) + [rank - 1, rank - 2]:
        # a matrix product reads x transposed instead (tinygen/frontend/torch_attention.py);
        # the transpose is then read by nothing and dropped
        result = im.Act(result.name, result.tshape, result.layout, swapped_from=x)
    return result


def _slice(im, x, dim: int, begin: int, size: int):
    out = list(x.tshape)
    out[dim] = size
    out = tuple(out)
    if size == x.tshape[dim]:
        return x
    return im.Act(im._emit("slice", "slice", [x.name], im.ir_shape(out, x.layout), {"axis": x.axis(dim), "begin": begin}),
                  out, x.layout)


def _dim(im, x, dim) -> int:
    d = int(dim) % len(x.tshape)
    if x.axis(d) == 0:
        raise im._unsupported("slicing the batch dimension")
    return d


def split(im, a: dict, node):
    """chunk / split / split_with_sizes: one slice per piece."""
    x = im.act_any(a["self"])
    dim = _dim(im, x, a["dim"])
    sizes = [int(tuple(v.shape)[dim]) for v in node.meta["val"]]
    pieces, begin = [], 0
    for size in sizes:
        pieces.append(_slice(im, x, dim, begin, size))
        begin += size
    return pieces


def slice_(im, a: dict, node):
    """x[:, a:b] along one dimension with step 1."""
    x = im.act_any(a["self"])
    dim = int(a["dim"]) % len(x.tshape)
    n = x.tshape[dim]
    start, end, step = a["start"], a["end"], a["step"]
    start, end, _ = slice(start, end).indices(n)
    if step != 1:
        raise im._unsupported("slicing with a step other than 1; use a strided pooling or convolution")
    if end <= start:
        raise im._unsupported("an empty slice")
    if (start, end) == (0, n):
        return x
    if x.axis(dim) == 0:
        raise im._unsupported("slicing the batch dimension")
    return _slice(im, x, dim, start, end - start)


def pad(im, a: dict, node):
    """F.pad(x, pads, value=v), constant mode: pads of torch's last dimensions first."""
    x = im._act(a["self"] if "self" in a else a["input"])
    mode = a.get("mode", "constant")
    if mode != "constant":
        raise im._unsupported(f"{mode!r} padding; only mode='constant' is supported")
    pads = [int(p) for p in a["pad"]]
    if any(p < 0 for p in pads):
        raise im._unsupported("negative padding (cropping); slice the tensor instead")
    rank = len(x.tshape)
    ir_rank = len(im.ir_shape(x.tshape))
    paddings = [[0, 0] for _ in range(ir_rank)]
    for k in range(len(pads) // 2):
        d = rank - 1 - k
        if d == 0:
            raise im._unsupported("padding the batch dimension")
        paddings[im.ir_axis(rank, d)] = [pads[2 * k], pads[2 * k + 1]]
    value = float(a.get("value") or 0.0)
    out = im._out_tshape(node)
    return im.Act(im._emit("pad", "pad", [x.name], im.ir_shape(out),
                           {"paddings": tuple(tuple(p) for p in paddings), "pad_value": value}), out)


def upsample_nearest(im, a: dict, node):
    """F.interpolate(mode='nearest') / nn.Upsample by whole factors (TFLite's
    RESIZE_NEAREST_NEIGHBOR without align_corners or half-pixel centers)."""
    x = im._act(a["input"] if "input" in a else a["self"])
    out = im._out_tshape(node)
    if len(x.tshape) not in (3, 4):
        raise im._unsupported("nearest upsampling needs a [N, C, H, W] or [N, C, L] input")
    for n_in, n_out in zip(x.tshape[2:], out[2:]):
        if n_out % n_in:
            raise im._unsupported(f"nearest resizing from {list(x.tshape[2:])} to {list(out[2:])}; "
                                  f"only whole upsampling factors are supported")
    return im.Act(im._emit("resize_nearest", "upsample", [x.name], im.ir_shape(out)), out)


def upsample_bilinear(im, a: dict, node):
    """F.interpolate(mode='bilinear', align_corners=False) / nn.Upsample: half-pixel centers
    (TFLite's RESIZE_BILINEAR int8 arithmetic: coordinates in 1/1024 steps)."""
    x = im._act(a["input"] if "input" in a else a["self"])
    if len(x.tshape) != 4:
        raise im._unsupported("bilinear resizing needs a [N, C, H, W] input")
    if a.get("align_corners"):
        raise im._unsupported("bilinear resizing with align_corners=True; use align_corners=False "
                              "(the default)")
    out = im._out_tshape(node)
    return im.Act(im._emit("resize_bilinear", "upsample", [x.name], im.ir_shape(out)), out)


def lift_1d(handler, *pairs: str):
    """A 1-D conv / pool handler from its 2-D one: the named arguments become (1, k) pairs
    (padding (0, p)), the [N, C, L] input is the IR's [N, 1, L, C] already; the 2-D
    convolution handler takes 3-D weights [O, I, k] as [O, I, 1, k]."""
    def lifted(im, a: dict, node):
        b = dict(a)
        for key in pairs:
            v = b.get(key)
            if v is None or (isinstance(v, (list, tuple)) and len(v) == 0):
                continue
            v = v[0] if isinstance(v, (list, tuple)) else v
            if isinstance(v, str):
                continue
            b[key] = (0 if key == "padding" else 1, int(v))
        return handler(im, b, node)
    return lifted
