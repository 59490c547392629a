"""Tables for kernels that compute an int8 -> int8 function by lookup: the function's
numpy twin evaluated at every int8 input, so that a lookup is exact by construction."""

from __future__ import annotations

import numpy as np

from tinygen.ref.kernels import hard_swish_s8

INT8_INPUTS = np.arange(-128, 128, dtype=np.int8)


def hard_swish_table(p: dict, consts: dict) -> np.ndarray:
    """tg_hard_swish_lut_s8's packed constant (KernelSpec.pack): tg_hard_swish_s8's output
    for each int8 input, in input order -128..127."""
    return hard_swish_s8({**p, "size": INT8_INPUTS.size}, INT8_INPUTS).astype(np.int8)
