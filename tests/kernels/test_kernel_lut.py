"""tg_lut_s8 (the table kernel of a quantized ONNX model's elementwise ops) == its numpy twin
(tinygen.ref.lookup.lut_s8) == the definition out[i] = table[(uint8_t)in[i]] (TFLite's table order), over random
tables, sizes and inputs (tests/frontend/test_onnx_ops.py checks the tables)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_lib import assert_same

from tinygen.ref.lookup import lut_s8

SETTINGS = settings(derandomize=True, max_examples=120, deadline=None)


@SETTINGS
@given(size=st.integers(1, 900), seed=st.integers(0, 2**32 - 1))
def test_lut_s8_host(kernels, size, seed):
    rng = np.random.default_rng(seed)
    table = rng.integers(-128, 128, 256).astype(np.int8)
    x = rng.integers(-128, 128, size).astype(np.int8)
    want = table[x.view(np.uint8)]
    assert_same(want, lut_s8({"size": size}, x, table), "lut_s8 twin")
    assert_same(want, kernels.lut_s8({"size": size}, x, table), "tg_lut_s8")
