"""numpy twins of the kernels for comparisons and selection on bool tensors
(firmware/kernels/select/): tg_compare_s8, tg_compare_s32, tg_compare_f32, tg_compare_bool,
tg_logical_bool, tg_select. Named like the C kernel minus
``tg_``; each takes the kernel's parameter struct as a dict (tinygen.kernels.params_select).

Broadcasting as TFLite Micro's Broadcast4DSlow / BroadcastSelect5DSlow: the output walked in
five dimensions (the shape padded with leading 1s), each operand read at the sum of index *
stride over them, a stride 0 where the operand has one element along that dimension. A bool is
a byte, 0 or 1, as TFLite's."""

from __future__ import annotations

import numpy as np

from tinygen.quant.fixedpoint import multiply_by_quantized_multiplier_smaller_than_one_exp

# the comparisons (TG_CMP_* in tg_kernels_select.h), in code order: TFLite EQUAL .. GREATER_EQUAL
COMPARE_FNS = ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")
# tg_logical_bool's functions (TG_LOGICAL_*), in code order: LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT
LOGICAL_FNS = ("and", "or", "not")
RANK = 5        # the dimensions a broadcast walks


def _broadcast(p: dict, x, role: str) -> np.ndarray:
    """Operand `role`'s elements in output order: x[sum_k i_k * p[role + '_stride'][k]]."""
    flat = np.asarray(x).reshape(-1)
    index = np.zeros((1,) * RANK, np.int64)
    for axis, (n, step) in enumerate(zip(p["dims"], p[f"{role}_stride"])):
        shape = [1] * RANK
        shape[axis] = n
        index = index + (np.arange(n, dtype=np.int64) * step).reshape(shape)
    return flat[index].reshape(-1)


def _compare(fn: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return {0: np.equal, 1: np.not_equal, 2: np.less, 3: np.less_equal, 4: np.greater,
            5: np.greater_equal}[fn](a, b)


def _rescaled(p: dict, x: np.ndarray, role: str) -> np.ndarray:
    """TFLite Micro's comparison of int8: (x + offset) << left_shift, times the input's scale as a
    multiplier below one (MultiplyByQuantizedMultiplierSmallerThanOneExp)."""
    v = (x.astype(np.int64) + p[f"{role}_offset"]) * (1 << p["left_shift"])
    return multiply_by_quantized_multiplier_smaller_than_one_exp(v, p[f"{role}_multiplier"], p[f"{role}_shift"])


def compare_s8(p: dict, a, b) -> np.ndarray:
    """EQUAL .. GREATER_EQUAL of int8 operands, each rescaled to a common grid first."""
    va, vb = _rescaled(p, _broadcast(p, a, "a"), "a"), _rescaled(p, _broadcast(p, b, "b"), "b")
    return _compare(p["fn"], va, vb)


def compare_s32(p: dict, a, b) -> np.ndarray:
    return _compare(p["fn"], _broadcast(p, np.asarray(a, np.int32), "a"), _broadcast(p, np.asarray(b, np.int32), "b"))


def compare_f32(p: dict, a, b) -> np.ndarray:
    return _compare(p["fn"], _broadcast(p, np.asarray(a, np.float32), "a"), _broadcast(p, np.asarray(b, np.float32), "b"))


def compare_bool(p: dict, a, b) -> np.ndarray:
    """EQUAL / NOT_EQUAL of bools."""
    return _compare(p["fn"], _broadcast(p, np.asarray(a, np.bool_), "a"), _broadcast(p, np.asarray(b, np.bool_), "b"))


def logical_bool(p: dict, a, b=None) -> np.ndarray:
    """LOGICAL_AND / LOGICAL_OR of two bools, LOGICAL_NOT of one."""
    va = _broadcast(p, np.asarray(a, np.bool_), "a")
    if LOGICAL_FNS[p["fn"]] == "not":
        return ~va
    vb = _broadcast(p, np.asarray(b, np.bool_), "b")
    return va & vb if LOGICAL_FNS[p["fn"]] == "and" else va | vb


# the values SELECT_V2 copies, by their bytes (tg_select's element_bytes)
SELECT_VALUES = {1: np.int8, 2: np.int16, 4: np.float32}


def select(p: dict, cond, x, y) -> np.ndarray:
    """SELECT_V2: x where cond, else y; the bytes themselves (int8, int16, float32 by element_bytes)."""
    dtype = SELECT_VALUES[p["element_bytes"]]
    bits = f"<u{p['element_bytes']}"
    c = _broadcast(p, np.asarray(cond, np.bool_), "cond")
    xs, ys = (_broadcast(p, np.asarray(v, dtype).view(bits), role) for v, role in ((x, "x"), (y, "y")))
    chosen = np.where(c, xs, ys)
    return chosen.astype(bits).view(dtype)
