"""What to tell a user whose PyTorch model uses operators tinygen does not compile: one
refusal that lists every one of them with its module path, and for each the rewrite to
use where one exists (a float-only op, a data-dependent op, a layer with an int8 stand-in).

GELU is refused on purpose (README "PyTorch operators"): it differs from Hardswish by at
most 0.30 (at x = 1.81; measured on [-6, 6] by tests/frontend/test_frontend_mobile.py), and
Hardswish has TFLite's int8 kernel: a fine-tuned Hardswish is the int8 path, not a GELU
approximated inside tinygen. (LayerNorm, RMS norm, matmul and attention compile:
tinygen/frontend/torch_attention.py.)
"""

from __future__ import annotations

from tinygen.errors import UnsupportedOpError

# aten op (packet name, "aten.<name>") -> the rewrite to suggest
_ADVICE = {
    "aten.group_norm": "use BatchNorm2d (folded into the convolution before it) and retrain",
    "aten.gelu": "use nn.Hardswish (int8, TFLite's HARD_SWISH arithmetic; within 0.30 of GELU on "
                 "[-6, 6]) or nn.ReLU and fine-tune",
    "aten.elu": "use nn.ReLU or nn.Hardswish and fine-tune",
    "aten.leaky_relu": "use nn.ReLU or nn.Hardswish and fine-tune",
    "aten.tanh": "use nn.Hardtanh (a clamp, int8) or nn.Sigmoid",
    "aten._upsample_bilinear2d_aa": "use F.interpolate(..., mode='nearest') followed by a convolution",
    "aten.upsample_bicubic2d": "use F.interpolate(..., mode='nearest') followed by a convolution",
    "aten.conv_transpose2d": "use F.interpolate(..., mode='nearest') followed by a convolution",
    "aten.conv_transpose1d": "use F.interpolate(..., mode='nearest') followed by a Conv1d",
    "aten.exp": "a float-only op: move it out of the model (e.g. after the int8 output, on the host)",
    "aten.log": "a float-only op: move it out of the model (e.g. after the int8 output, on the host)",
    "aten.sqrt": "a float-only op: move it out of the model (e.g. after the int8 output, on the host)",
    "aten.pow": "only x ** 2 compiles (a multiply); move other powers out of the model",
    "aten.div": "divide by a constant only (it becomes a multiply); divide by an activation outside the model",
    "aten.sub": "a constant minus an activation has no int8 kernel: write c - x as (x - c) * -1",
    "aten.argmax": "a data-dependent op: take the argmax of the int8 output in your application",
    "aten.max": "a data-dependent op: take the maximum of the int8 output in your application",
    "aten.topk": "a data-dependent op: take the top k of the int8 output in your application",
    "aten.nonzero": "a data-dependent op: compute it from the output in your application",
    "aten.index": "a data-dependent indexing op: use slicing with constant bounds (chunk / split) instead",
    "aten.where": "a data-dependent op: compute it from the output in your application",
    "aten.max_pool2d_with_indices": "use nn.MaxPool2d without return_indices",
    "aten.pad": "only constant padding is supported: F.pad(x, pads, mode='constant')",
    "aten.reflection_pad2d": "use F.pad(x, pads) (constant zeros) or Conv2d(padding=...)",
    "aten.replication_pad2d": "use F.pad(x, pads) (constant zeros) or Conv2d(padding=...)",
}


def advice(op: str) -> str | None:
    """The rewrite to suggest for aten op `op` (e.g. "aten.gelu.default"), or None."""
    for key in (op, op.rsplit(".", 1)[0]):
        if key in _ADVICE:
            return _ADVICE[key]
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
