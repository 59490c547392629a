"""Handlers of the PyTorch frontend for the simpler operators users' models bring: tanh,
PReLU, GELU (exact and tanh), the hard sigmoid (one exact table), sum over axes, select /
narrow / unbind, slicing with steps, flip, and reflect / replicate / circular padding.

Each maps to the IR op of the TFLite operator that computes it where TFLite has one (TANH,
PRELU, GELU, SUM, STRIDED_SLICE, MIRROR_PAD), so a model exported both ways runs the same
kernels. Handlers take (importer, normalized aten args, fx node), as those of torch_mobile.
"""

from __future__ import annotations

import numpy as np

from tinygen.frontend import torch_attention as attention, torch_mobile as mobile
from tinygen.frontend.torch_values import TORCH


def _unary(op: str, prefix: str, key: str = "self"):
    """An elementwise function: computed in the layout its input is held in."""
    def handler(im, a: dict, node):
        x = im.act_any(a[key])
        return im.Act(im._emit(op, prefix, [x.name], x.ir_shape), x.tshape, x.layout)
    return handler


tanh = _unary("tanh", "tanh")
hardsigmoid = _unary("hard_sigmoid", "hardsigmoid")


def gelu(im, a: dict, node):
    """nn.GELU / F.gelu, approximate 'none' (erf) or 'tanh' (TFLite GELU's two tables)."""
    x = im.act_any(a["self"])
    approximate = a.get("approximate") or "none"
    if approximate not in ("none", "tanh"):
        raise im._unsupported(f"GELU with approximate={approximate!r}; use 'none' or 'tanh'")
    return im.Act(im._emit("gelu", "gelu", [x.name], x.ir_shape, {"approximate": approximate == "tanh"}),
                  x.tshape, x.layout)


def prelu(im, a: dict, node):
    """nn.PReLU / F.prelu: one slope, or one per channel (torch's dim 1), as a constant that
    broadcasts against the input in the IR's layout."""
    x = im._act(a["self"])
    w = im._const(a["weight"], "slopes (weight)").reshape(-1)
    rank = len(x.tshape)
    if rank < 2 or rank > 4:
        raise im._unsupported(f"PReLU on a {rank}-D tensor; tinygen takes [N, C], [N, C, L] and [N, C, H, W]")
    ir_rank = len(im.ir_shape(x.tshape))
    if w.size == 1:
        alpha = w.reshape((1,) * ir_rank)
    elif w.size == x.tshape[1]:
        shape = [1] * ir_rank
        shape[im.ir_axis(rank, 1)] = w.size
        alpha = w.reshape(shape)
    else:
        raise im._unsupported(f"PReLU with {w.size} slopes for {x.tshape[1]} channels")
    return im.Act(im._emit("prelu", "prelu", [x.name], im.ir_shape(x.tshape), {},
                           {"alpha": np.ascontiguousarray(alpha)}), x.tshape)


def _dims(im, x, dims, what: str) -> list[int]:
    """Torch dims of `x` (negative ones counted from the end), the batch dimension refused."""
    rank = len(x.tshape)
    out = sorted({int(d) % rank for d in dims})
    if 0 in out:
        raise im._unsupported(f"{what} over the batch dimension; tinygen compiles one sample: "
                              f"{what} over the other dimensions (dim=1, 2, ...)")
    return out


def sum_(im, a: dict, node):
    """x.sum(dims, keepdim): the IR's sum keeps the dimensions (so the layout stays the
    IR's), then a reshape to torch's result."""
    x = im._act(a["self"])
    if a.get("dtype") is not None:
        raise im._unsupported("a sum with a dtype; tinygen models compute in float32")
    if not a.get("dim"):
        raise im._unsupported("a sum over every dimension (the batch's too): sum over the others, "
                              "x.sum(dim=(1, 2, ...))")
    dims = _dims(im, x, a["dim"], "a sum")
    kept = tuple(1 if d in dims else n for d, n in enumerate(x.tshape))
    axes = tuple(sorted(im.ir_axis(len(x.tshape), d) for d in dims))
    summed = im.Act(im._emit("sum", "sum", [x.name], im.ir_shape(kept), {"axes": axes, "keep_dims": True}), kept)
    return im._reshape_to(summed, im._out_tshape(node))


def _strided(im, x, dim: int, begin: int, stride: int, count: int):
    """Elements begin, begin + stride, .. (count of them) along torch dim `dim` of x."""
    rank = len(x.tshape)
    out = list(x.tshape)
    out[dim] = count
    ir_rank = len(im.ir_shape(x.tshape))
    begins, strides = [0] * ir_rank, [1] * ir_rank
    axis = im.ir_axis(rank, dim)
    begins[axis], strides[axis] = int(begin), int(stride)
    return im.Act(im._emit("strided_slice", "slice", [x.name], im.ir_shape(tuple(out)),
                           {"begin": tuple(begins), "strides": tuple(strides)}), tuple(out))


def slice_(im, a: dict, node):
    """x[:, a:b:step] along one dimension, negative bounds counted from the end: step 1 is
    torch_mobile's contiguous slice, other steps a strided slice."""
    if int(a["step"]) == 1:
        return mobile.slice_(im, a, node)
    x = im._act(a["self"])
    dim = int(a["dim"]) % len(x.tshape)
    picked = range(*slice(a["start"], a["end"], int(a["step"])).indices(x.tshape[dim]))
    if len(picked) == 0:
        raise im._unsupported("an empty slice")
    if dim == 0:
        raise im._unsupported("slicing the batch dimension")
    return _strided(im, x, dim, picked.start, picked.step, len(picked))


def _select(im, x, dim: int, index: int, out):
    n = x.tshape[dim]
    if not -n <= index < n:
        raise im._unsupported(f"index {index} out of range for a dimension of {n}")
    if dim == 0:
        raise im._unsupported("selecting from the batch dimension; keep it: x[:, i] rather than x[i]")
    return im._reshape_to(mobile._slice(im, x, dim, index % n, 1), out)


def select(im, a: dict, node):
    """x[:, i] (i may be negative): a one-element slice, then the dimension dropped; a value held
    in torch's order (a sequence) is sliced there (torch_attention.select)."""
    if im.act_any(a["self"]).layout == TORCH:
        return attention.select(im, a, node)
    x = im._act(a["self"])
    dim = int(a["dim"]) % len(x.tshape)
    return _select(im, x, dim, int(a["index"]), im._out_tshape(node))


def unbind(im, a: dict, node):
    """torch.unbind(x, dim): one select per element of the dimension."""
    x = im._act(a["self"])
    dim = int(a["dim"]) % len(x.tshape)
    out = tuple(x.tshape[:dim] + x.tshape[dim + 1:])
    return [_select(im, x, dim, i, out) for i in range(x.tshape[dim])]


def narrow(im, a: dict, node):
    """x.narrow(dim, start, length), start negative counted from the end."""
    x = im._act(a["self"])
    dim = int(a["dim"]) % len(x.tshape)
    if dim == 0:
        raise im._unsupported("narrowing the batch dimension")
    start = int(a["start"]) % x.tshape[dim]
    return mobile._slice(im, x, dim, start, int(a["length"]))


def flip(im, a: dict, node):
    """torch.flip(x, dims): a strided slice of stride -1 along each flipped dimension (the
    batch's, of one sample, needs nothing)."""
    x = im._act(a["self"])
    rank = len(x.tshape)
    dims = sorted({int(d) % rank for d in a["dims"]} - {0})
    ir_rank = len(im.ir_shape(x.tshape))
    begins, strides = [0] * ir_rank, [1] * ir_rank
    for d in dims:
        if x.tshape[d] > 1:
            axis = im.ir_axis(rank, d)
            begins[axis], strides[axis] = x.tshape[d] - 1, -1
    if all(s == 1 for s in strides):
        return x
    return im.Act(im._emit("strided_slice", "flip", [x.name], im.ir_shape(x.tshape),
                           {"begin": tuple(begins), "strides": tuple(strides)}), x.tshape)


# torch's non-constant padding modes -> the IR's mirror_pad modes, and how far each may pad
# a dimension of n elements (torch's own limits; TFLite MIRROR_PAD REFLECT's too)
_PAD_MODES = {"reflect": ("reflect", lambda n: n - 1), "replicate": ("replicate", None),
              "circular": ("circular", lambda n: n)}


def pad(im, a: dict, node):
    """F.pad: mode 'constant' is torch_mobile's (TFLite PAD); 'reflect' is TFLite MIRROR_PAD
    REFLECT; 'replicate' (the edge value) and 'circular' (the other end) copy input values as
    well, exactly, with no TFLite operator (MIRROR_PAD SYMMETRIC equals 'replicate' where every
    pad is at most 1)."""
    mode = a.get("mode", "constant")
    if mode == "constant":
        return mobile.pad(im, a, node)
    x = im._act(a["self"] if "self" in a else a["input"])
    if mode not in _PAD_MODES:
        raise im._unsupported(f"{mode!r} padding; use 'constant', 'reflect', 'replicate' or 'circular'")
    ir_mode, limit = _PAD_MODES[mode]
    pads = [int(p) for p in a["pad"]]
    rank = len(x.tshape)
    paddings = [[0, 0] for _ in range(len(im.ir_shape(x.tshape)))]
    for k in range(len(pads) // 2):
        d = rank - 1 - k
        before, after = pads[2 * k], pads[2 * k + 1]
        if before < 0 or after < 0:
            raise im._unsupported(f"negative {mode} padding (cropping); slice the tensor instead")
        if d == 0 and (before or after):
            raise im._unsupported("padding the batch dimension")
        if limit is not None and max(before, after) > limit(x.tshape[d]):
            raise im._unsupported(f"{mode} padding of {max(before, after)} on a dimension of {x.tshape[d]}: "
                                  f"at most {limit(x.tshape[d])} ('replicate' pads any amount)")
        paddings[im.ir_axis(rank, d)] = [before, after]
    out = im._out_tshape(node)
    return im.Act(im._emit("mirror_pad", "pad", [x.name], im.ir_shape(out),
                           {"paddings": tuple(tuple(p) for p in paddings), "mode": ir_mode}), out)
