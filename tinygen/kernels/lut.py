"""Tables for kernels that compute an int8 -> int8 function by lookup: the function's
numpy twin evaluated at every int8 input, so that a lookup is exact by construction."""

from __future__ import annotations

import numpy as np

from tinygen.ref.activations import hard_swish_s8, softmax_exp_q0

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
