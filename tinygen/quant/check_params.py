"""Quantization parameters a kernel can run: refused in one line where they are not.

TFLite's quantization spec and ONNX's QuantizeLinear take a scale that is a positive float32 and
a zero point in the storage type's range. tinygen asks more of a scale: a normal float32 (not
subnormal), so that 1 / scale and the requantization multipliers derived from it stay finite.
The multipliers themselves (TFLite's QuantizeMultiplier: real = m * 2^(shift - 31)) must have a
shift of at most MAX_LEFT_SHIFT: TFLite's MultiplyByQuantizedMultiplier computes
x * (1 << shift) in int32, which for a shift of 32 or more is undefined in C (an x86 core masks
the count to 5 bits, an Arm core shifts every bit out), so no kernel, TFLite Micro's included,
has one answer for it.
"""

from __future__ import annotations

import numpy as np

from tinygen.errors import ModelError
from tinygen.ir import Graph

MAX_LEFT_SHIFT = 31
SMALLEST_SCALE = float(np.finfo(np.float32).tiny)     # the smallest normal float32
# the values a zero point may take, by the tensor's storage type
ZERO_POINT_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767), "uint16": (0, 65535),
                    "int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def scale_problem(scale) -> str | None:
    """What is wrong with a tensor's scales, or None."""
    s = np.asarray(scale, np.float64).reshape(-1)
    for v in s:
        if not np.isfinite(v) or v <= 0:
            return f"scale {v:g}: a scale must be a positive finite number"
        if v < SMALLEST_SCALE or v > np.finfo(np.float32).max:
            return f"scale {v:g}: not a normal float32 (from {SMALLEST_SCALE:g} to {np.finfo(np.float32).max:g})"
    return None


def zero_point_problem(zero_point, dtype: str) -> str | None:
    lo, hi = ZERO_POINT_RANGE.get(dtype, ZERO_POINT_RANGE["int64"])
    for v in np.asarray(zero_point).reshape(-1):
        if not lo <= int(v) <= hi:
            return f"zero point {int(v)}: outside {dtype}'s range {lo}..{hi}"
    return None


def check_qparams(name: str, scale, zero_point, dtype: str, where: str = "") -> None:
    """Refuse a tensor's scales and zero points (`dtype`: the type the values are stored in)."""
    if np.asarray(scale).size != np.asarray(zero_point).size and np.asarray(zero_point).size != 1:
        raise ModelError(f"{where}tensor {name!r} has {np.asarray(scale).size} scales and "
                         f"{np.asarray(zero_point).size} zero points")
    problem = scale_problem(scale) or zero_point_problem(zero_point, dtype)
    if problem:
        raise ModelError(f"{where}tensor {name!r} has {problem}",
                         "quantize the model again (its quantization parameters are damaged or out of range)")


def check_graph_qparams(graph: Graph, where: str = "") -> None:
    """Every quantized tensor of a graph: scales normal and positive, zero points in the range
    of the tensor's own type."""
    for t in graph.tensors.values():
        if t.qparams is not None:
            check_qparams(t.name, t.qparams.scale, t.qparams.zero_point, t.dtype, where)


def _pairs(names) -> list[tuple[str, str]]:
    """(multiplier, shift) names of a node's requantizations: multiplier / shift, X_multiplier / X_shift."""
    names = set(names)
    return [(m, m[:-len("multiplier")] + "shift") for m in sorted(names)
            if m.endswith("multiplier") and m[:-len("multiplier")] + "shift" in names]


def check_requant(graph: Graph, where: str = "") -> None:
    """Refuse a requantization whose shift no int32 kernel can apply (MAX_LEFT_SHIFT)."""
    for node in graph.nodes:
        kparams = node.attrs.get("kparams") if isinstance(node.attrs.get("kparams"), dict) else {}
        values = [{role: graph.tensors[t].data for role, t in pset.items() if t in graph.tensors}
                  for pset in node.params] + [kparams, node.attrs]
        for found in values:
            for m_name, s_name in _pairs(found):
                mult, shift = np.asarray(found[m_name]).reshape(-1), np.asarray(found[s_name]).reshape(-1)
                if mult.dtype.kind not in "iu" or shift.dtype.kind not in "iu" or not shift.size:
                    continue
                k = int(np.argmax(shift))
                if shift[k] > MAX_LEFT_SHIFT:
                    real = float(mult[k % mult.size]) * 2.0 ** (int(shift[k]) - 31)
                    channel = f" (channel {k})" if shift.size > 1 else ""
                    raise ModelError(
                        f"{where}{node.name} ({node.op}{', ' + node.source if node.source else ''}): its scale "
                        f"ratio{channel} {real:.6g} needs a left shift of {int(shift[k])} bits; TFLite's "
                        f"requantization shifts at most {MAX_LEFT_SHIFT} (beyond, C leaves the result undefined)",
                        "the model's scales are damaged or extreme (input scale x filter scale / output scale "
                        f"must stay below 2^{MAX_LEFT_SHIFT}): quantize it again")
