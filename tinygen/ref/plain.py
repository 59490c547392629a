"""numpy twins of the kernels for TFLite Micro's builtin operators on plain (unquantized)
integer tensors (firmware/kernels/plain/): tg_cast, tg_int_binary_s32, tg_strided_slice_s32,
tg_concat_const_s32. Named like the C kernel minus ``tg_``; each takes the kernel's parameter
struct as a dict (tinygen.kernels.params_plain).

TFLite Micro computes these with C++'s static_cast and int32 arithmetic: an integer cast keeps
the value modulo 2^bits of its type, a cast to float32 rounds to nearest; int32 +, - and * wrap
modulo 2^32 (WrappingMul; + and - wrap on the targets); / truncates toward zero. A zero divisor
and INT32_MIN / -1 are undefined there: here, as on a Cortex-M (SDIV), 0 and INT32_MIN."""

from __future__ import annotations

import numpy as np

# tg_cast's element type codes (TG_PLAIN_* in tg_kernels_plain.h), in code order
CAST_TYPES = ("int8", "int16", "int32", "uint32", "float32")
# tg_int_binary_s32's functions (TG_INT_*), in code order
INT_BINARY = ("add", "sub", "mul", "div", "minimum", "maximum")


def cast(p: dict, x) -> np.ndarray:
    """CAST: the input's integers as the output type, wrapping (integers) or rounded to nearest
    (float32)."""
    v = np.asarray(x, CAST_TYPES[p["from"]]).reshape(-1).astype(np.int64)
    to = CAST_TYPES[p["to"]]
    if to == "float32":
        return v.astype(np.float32)
    bits = np.dtype(to).itemsize * 8
    return (v & ((1 << bits) - 1)).astype(f"uint{bits}").view(to)


def _divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """int32 division truncating toward zero; 0 for a zero divisor; INT32_MIN / -1 wraps."""
    safe = np.where(b == 0, 1, b)
    q = np.abs(a) // np.abs(safe) * np.sign(a) * np.sign(safe)
    return np.where(b == 0, 0, q)


def int_binary_s32(p: dict, x, y) -> np.ndarray:
    """ADD, SUB, MUL, DIV, MINIMUM, MAXIMUM of int32 operands (one may be a single value), then
    the activation clamp; y first where p["swap"]."""
    a = np.broadcast_to(np.asarray(x, np.int64).reshape(-1), (p["size"],))
    b = np.broadcast_to(np.asarray(y, np.int64).reshape(-1), (p["size"],))
    if p["swap"]:
        a, b = b, a
    fn = INT_BINARY[p["fn"]]
    v = {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "div": lambda: _divide(a, b),
         "minimum": lambda: np.minimum(a, b), "maximum": lambda: np.maximum(a, b)}[fn]()
    v = ((v + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)          # modulo 2^32, as int32
    return np.clip(v, p["act_min"], p["act_max"]).astype(np.int32)


def strided_slice_s32(p: dict, x) -> np.ndarray:
    """Output (i0, i1, i2, i3) = input[offset + sum_k i_k * step[k]]."""
    flat = np.asarray(x, np.int32).reshape(-1)
    index = np.int64(p["offset"])
    for axis, (n, step) in enumerate(zip(p["out_shape"], p["step"])):
        shape = [1] * 4
        shape[axis] = n
        index = index + (np.arange(n, dtype=np.int64) * step).reshape(shape)
    return flat[index].reshape(-1)


def concat_const_s32(p: dict, x, head=None, tail=None) -> np.ndarray:
    """Per outer element: `before` values of head, `inner` of x, `after` of tail."""
    pieces = [np.asarray(x, np.int32).reshape(p["outer"], p["inner"])]
    if p["before"]:
        pieces.insert(0, np.asarray(head, np.int32).reshape(p["outer"], p["before"]))
    if p["after"]:
        pieces.append(np.asarray(tail, np.int32).reshape(p["outer"], p["after"]))
    return np.concatenate(pieces, axis=1).reshape(-1)
