"""numpy twins of the table-lookup kernels (firmware/kernels/elementwise/tg_lut_s8.c)."""

from __future__ import annotations

import numpy as np


def lut_s8(p: dict, input, table) -> np.ndarray:
    """Mirrors tg_lut_s8: out[i] = table[in[i] + 128]; returns int8 [size]."""
    x = np.asarray(input, np.int8).reshape(-1)[: p["size"]].astype(np.int64)
    return np.asarray(table, np.int8).reshape(-1)[x + 128].astype(np.int8)
