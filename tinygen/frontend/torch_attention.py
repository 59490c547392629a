"""Handlers of the PyTorch frontend for normalization and attention: nn.LayerNorm and RMS
norm (nn.RMSNorm; the written-out x * rsqrt(mean(x^2) + eps) * w is fused later by
passes/fuse_norm.py from the rsqrt and pow handled here), matmul / bmm / baddbmm between
two activations (TFLite's BATCH_MATMUL; a product with a constant matrix is a fully
connected layer), F.scaled_dot_product_attention, select, and causal masks.

nn.MultiheadAttention exports as these operators (its projections are Linear layers on
[B, T, D] or [T, D] values, its heads views and transposes, its scores bmm, baddbmm or
scaled_dot_product_attention); each is translated on its own, in torch's order (the
TORCH layout, tinygen/frontend/torch_values.py). A causal mask (is_causal, or a constant
attn_mask with -inf above the diagonal) marks the scores for the causal softmax; any
other mask (key_padding_mask, a padding or banded mask) is refused.
"""

from __future__ import annotations

import numpy as np

from tinygen.frontend.torch_values import TORCH, _Act, ir_shape, lifted

# a mask entry at or below this adds nothing a float32 softmax could keep (exp underflows)
MASKED = -1e4


def _norm_shape(im, x: _Act, shape) -> None:
    if [int(d) for d in shape] != [x.tshape[-1]]:
        raise im._unsupported(f"a normalization over the last {len(shape)} dims {list(shape)} of "
                              f"{list(x.tshape)}; only over the last dim (the features) is supported")


def layer_norm(im, a: dict, node):
    """nn.LayerNorm over the last dim: the integer layer norm (firmware/kernels/norm/tg_norm_s8.h)."""
    x = im.act_in(a["input"], TORCH)
    _norm_shape(im, x, a["normalized_shape"])
    d = x.tshape[-1]
    gamma, beta = im._const(a["weight"], "weight"), im._const(a["bias"], "bias")
    params = {"gamma": np.ones(d, np.float32) if gamma is None else gamma.reshape(d),
              "beta": np.zeros(d, np.float32) if beta is None else beta.reshape(d)}
    name = im._emit("layer_norm", "layernorm", [x.name], x.ir_shape, {"eps": float(a["eps"])}, params)
    out = _Act(name, x.tshape, TORCH)
    return (out, None, None) if "native_layer_norm" in str(node.target) else out


def rms_norm(im, a: dict, node):
    """nn.RMSNorm over the last dim (eps None: torch's float32 epsilon, as torch does)."""
    x = im.act_in(a["input"], TORCH)
    _norm_shape(im, x, a["normalized_shape"])
    d = x.tshape[-1]
    gamma = im._const(a["weight"], "weight")
    eps = a.get("eps")
    eps = float(np.finfo(np.float32).eps) if eps is None else float(eps)
    params = {"gamma": np.ones(d, np.float32) if gamma is None else gamma.reshape(d)}
    return _Act(im._emit("rms_norm", "rmsnorm", [x.name], x.ir_shape, {"eps": eps}, params), x.tshape, TORCH)


def rsqrt(im, a: dict, node):
    """1 / sqrt(x): TFLite's int8 RSQRT (the RMS norm written out becomes rms_norm instead)."""
    x = im.act_any(a["self"])
    return _Act(im._emit("rsqrt", "rsqrt", [x.name], x.ir_shape), x.tshape, x.layout)


def pow_(im, a: dict, node):
    """x ** 2 as x * x (TFLite's MUL); other exponents are refused."""
    x = im.act_any(a["self"])
    if not isinstance(a["exponent"], (int, float)) or float(a["exponent"]) != 2.0:
        raise im._unsupported(f"x ** {a['exponent']}; only x ** 2 (a multiply) is supported")
    return _Act(im._emit("mul", "square", [x.name, x.name], x.ir_shape), x.tshape, x.layout)


def select(im, a: dict, node):
    """x.select(dim, i) / x[..., i, ...]: a slice of one element along dim, then the dim dropped."""
    x = im.act_in(a["self"], TORCH)
    dim = int(a["dim"]) % len(x.tshape)
    n = x.tshape[dim]
    index = int(a["index"])
    index = index + n if index < 0 else index
    if x.axis(dim) == 0:
        raise im._unsupported("selecting along the batch dimension")
    piece = list(x.ir_shape)
    piece[x.axis(dim)] = 1
    name = x.name if n == 1 else im._emit("slice", "select", [x.name], tuple(piece),
                                          {"axis": x.axis(dim), "begin": index})
    return im.from_torch_order(name, im._out_tshape(node), TORCH)


# -- matrix products -----------------------------------------------------------------------


def _batch_matmul(im, lhs, rhs, out, attrs=None, adj_y: bool = False) -> _Act:
    """lhs @ rhs for two activations (batch dims broadcast): a batch_matmul node. adj_y: rhs
    is given untransposed, [..., N, K], for rhs^T. An rhs that permute made by swapping the
    last two axes of a value is read before the swap instead (adj_y, TFLite's layout for a
    transposed rhs: rows of both operands run along the shared depth, no transpose)."""
    lhs = im.act_in(lhs, TORCH, "left operand")
    if not adj_y and isinstance(rhs, _Act) and rhs.mask is None and rhs.swapped_from is not None:
        rhs, adj_y = rhs.swapped_from, True
    rhs = im.act_in(rhs, TORCH, "right operand")
    a_shape, b_shape = lhs.tshape, rhs.tshape
    if len(a_shape) < 2 or len(b_shape) < 2:
        raise im._unsupported("a matrix product with a vector; reshape it to a matrix [1, n] or [n, 1]")
    # both operands at the output's rank in the IR (leading 1s), so that broadcasting lines up
    rank = len(out) + (1 if lifted(out) else 0)
    names = []
    for v in (lhs, rhs):
        shape = (1,) * (rank - len(v.tshape)) + tuple(v.tshape)
        names.append(v.name if im.graph.tensor(v.name).shape == shape else
                     im._emit("reshape", "reshape", [v.name], shape))
    attrs = {"adj_x": False, "adj_y": adj_y, **(attrs or {})}
    name = im._emit("batch_matmul", "matmul", names, ir_shape(out, TORCH), attrs)
    return _Act(name, tuple(out), TORCH)


def matmul(im, a: dict, node):
    """matmul / bmm: two activations (BATCH_MATMUL), or an activation times a constant matrix
    (a fully connected layer over its rows)."""
    x, y = (a["self"], a["mat2"]) if "mat2" in a else (a["self"], a["other"])
    out = im._out_tshape(node)
    if isinstance(y, im.Const) and isinstance(x, _Act):
        w = im._const(y, "matrix")
        if w.ndim != 2:
            raise im._unsupported(f"a product with a constant of shape {list(w.shape)}; only a constant "
                                  f"matrix [in, out] is supported")
        x = im.act_in(x, TORCH)
        return _Act(im._emit("fully_connected", "matmul", [x.name], ir_shape(out, TORCH), {}, {"weight": w.T}),
                    out, TORCH)
    if not (isinstance(x, _Act) and isinstance(y, _Act)):
        raise im._unsupported("a product of a constant and an activation; write it as activation @ constant "
                              "(a Linear)")
    return _batch_matmul(im, x, y, out)


def baddbmm(im, a: dict, node):
    """mask + batch1 @ batch2 (nn.MultiheadAttention's scores with attn_mask): a causal mask only."""
    if a.get("beta", 1) != 1 or a.get("alpha", 1) != 1:
        raise im._unsupported("baddbmm with beta or alpha other than 1")
    out = im._out_tshape(node)
    scores = _batch_matmul(im, a["batch1"], a["batch2"], out)
    mask = a["self"]
    if not isinstance(mask, im.Const):
        raise im._unsupported(_mask_refusal(im, "an attention mask computed from the input"))
    return causal_scores(im, scores, raw(mask), out)


def scaled_dot_product_attention(im, a: dict, node):
    """softmax(q @ k^T * scale (+ causal mask)) @ v: the scale folded into the first product's
    requantization (attribute alpha), the causal softmax where is_causal or a causal attn_mask."""
    if float(a.get("dropout_p") or 0.0) != 0.0:
        raise im._unsupported("attention dropout is active (dropout_p > 0: training mode)",)
    if a.get("enable_gqa"):
        raise im._unsupported("grouped-query attention (enable_gqa=True)")
    q, k, v = (im.act_in(a[n], TORCH, n) for n in ("query", "key", "value"))
    if q.tshape[-1] != k.tshape[-1]:
        raise im._unsupported("query and key of different depths")
    scale = a.get("scale")
    scale = 1.0 / float(np.sqrt(q.tshape[-1])) if scale is None else float(scale)
    scores_shape = tuple(q.tshape[:-1]) + (k.tshape[-2],)
    scores = _batch_matmul(im, q, k, scores_shape, {"alpha": scale}, adj_y=True)
    causal = bool(a.get("is_causal"))
    if a.get("attn_mask") is not None:
        if not isinstance(a["attn_mask"], im.Const):
            raise im._unsupported(_mask_refusal(im, "an attention mask computed from the input"))
        causal = causal_scores(im, scores, raw(a["attn_mask"]), scores_shape).mask is not None
    attrs = {"axis": len(scores.ir_shape) - 1, "beta": 1.0, **({"causal": True} if causal else {})}
    probs = _Act(im._emit("softmax", "softmax", [scores.name], scores.ir_shape, attrs), scores_shape, TORCH)
    return _batch_matmul(im, probs, v, im._out_tshape(node))


# -- causal masks -------------------------------------------------------------------------------


def raw(v) -> np.ndarray:
    """A constant's values, -inf included (the importer's _const refuses non-finite values)."""
    return v.value.detach().cpu().double().numpy() if hasattr(v, "value") else np.asarray(v, np.float64)


def masks(v) -> bool:
    """Whether a constant operand masks (has entries no softmax input overcomes)."""
    c = raw(v)
    return c.size > 1 and bool(np.any(c <= MASKED))


def _mask_refusal(im, what: str) -> str:
    _, cls, _ = im.module_of()
    where = "nn.MultiheadAttention with " if cls == "MultiheadAttention" else ""
    return (f"{where}{what}; tinygen compiles attention without a mask or with a causal mask (is_causal=True, or "
            f"-inf above the diagonal), not key_padding_mask or other masks")


def causal_scores(im, x: _Act, mask, out) -> _Act:
    """Scores x plus a constant additive mask: x marked for the causal softmax when the mask is
    -inf (or <= MASKED) exactly above the diagonal of its last two axes and 0 elsewhere
    (PyTorch's is_causal, top-left aligned); any other mask is refused."""
    x = im.act_any(x)
    m = np.broadcast_to(np.asarray(mask, np.float64), tuple(out)) if np.ndim(mask) <= len(out) else None
    rows, cols = out[-2], out[-1]
    above = np.arange(cols)[None, :] > np.arange(rows)[:, None]
    if (m is None or tuple(out) != tuple(x.tshape) or not np.array_equal(m <= MASKED, np.broadcast_to(above, m.shape))
            or np.any(m[..., ~above] != 0)):
        raise im._unsupported(_mask_refusal(im, "an attention mask that is not causal"))
    return _Act(x.name, x.tshape, x.layout, mask="causal")


def masked_fill(im, a: dict, node):
    """scores.masked_fill(mask, -inf) with a constant boolean mask: a causal mask only."""
    x = im.act_any(a["self"])
    mask, value = a["mask"], a["value"]
    if not isinstance(mask, im.Const) or not isinstance(value, (int, float)) or float(value) > MASKED:
        raise im._unsupported(_mask_refusal(im, "a masked_fill that is not a constant -inf mask"))
    m = raw(mask) != 0
    return causal_scores(im, x, np.where(m, -np.inf, 0.0), im._out_tshape(node))
