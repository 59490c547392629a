"""Tables for kernels that compute an int8 -> int8 function by lookup: the function's
numpy twin evaluated at every int8 input, so that a lookup is exact by construction (GELU's
is TFLite's own table, the hard sigmoid's the exact function: tinygen.ref.lookup)."""

from __future__ import annotations

import numpy as np

from tinygen.quant.op_params import logistic_params, prelu_params, tanh_params
from tinygen.ref.activations import hard_swish_s8, logistic_s8, softmax_exp_q0
from tinygen.ref.lookup import TABLE_SIZE, by_uint8, gelu_table, hard_sigmoid_table, tanh_s8
from tinygen.ref.prelu import prelu_s8

INT8_INPUTS = np.arange(-128, 128, dtype=np.int8)


def hard_swish_table(p: dict, consts: dict) -> np.ndarray:
    """tg_hard_swish_lut_s8's packed constant (KernelSpec.pack): tg_hard_swish_s8's output
    for each int8 input, in input order -128..127."""
    return hard_swish_s8({**p, "size": INT8_INPUTS.size}, INT8_INPUTS).astype(np.int8)


def softmax_exp_table(p: dict, consts: dict) -> np.ndarray:
    """tg_softmax_s8_dsp's packed constant (KernelSpec.pack), int32: word 0 the entry count n,
    then tg_softmax_s8's exp (Q0) of the differences 0, -1, .., -(n - 1) from the row maximum.
    An int8 row's differences lie in -255..0; those from n on have exp 0 (below diff_min, or
    underflowed): the table stops at the last nonzero entry."""
    exp_q0 = softmax_exp_q0(p, -np.arange(256, dtype=np.int64))
    n = int(np.flatnonzero(exp_q0)[-1]) + 1      # exp(0) is 2^31 - 1: never empty
    return np.concatenate([[n], exp_q0[:n]]).astype(np.int32)


# -- the tables of the elementwise ops computed by lookup (tinygen.ir.TABLE_OPS, tg_lut_s8) ------

def lookup_table(op: str, in_q: tuple[float, int], out_q: tuple[float, int], attrs: dict) -> np.ndarray:
    """The 256-entry table tg_lut_s8 reads for an int8 node of `op` with input and output
    quantization (scale, zero point): entry (uint8_t)q is the output for input q. LOGISTIC
    and TANH tabulate their fixed-point kernels' twins (their output quantization is fixed),
    GELU is TFLite's own table (its Prepare), the hard sigmoid the exact function. A
    quantization the op's arithmetic cannot take is a ValueError."""
    (si, zi), (so, zo) = in_q, out_q
    if op == "logistic":
        return by_uint8(logistic_s8(logistic_params(TABLE_SIZE, si, zi), INT8_INPUTS))
    if op == "tanh":
        return by_uint8(tanh_s8(tanh_params(TABLE_SIZE, si, zi), INT8_INPUTS))
    if op == "gelu":
        return gelu_table(si, zi, so, zo, bool(attrs["approximate"]))
    if op == "hard_sigmoid":
        return hard_sigmoid_table(si, zi, so, zo)
    raise KeyError(f"no table for op {op!r}")


def prelu_table(in_q: tuple[float, int], alpha_q: tuple[float, int], alpha: int,
                out_q: tuple[float, int]) -> np.ndarray:
    """The table of a PReLU with one slope (int8 `alpha` on the grid alpha_q): tg_prelu_s8's
    twin at every int8 input, so that the lookup is the same arithmetic (TFLite's PRELU)."""
    p = {"shape": [1, 1, 1, TABLE_SIZE], "input1_strides": [0, 0, 0, 1], "input2_strides": [0, 0, 0, 0],
         **prelu_params(*in_q, *alpha_q, *out_q)}
    return by_uint8(prelu_s8(p, INT8_INPUTS, np.array([alpha], np.int8)))
