"""The tables of the functions that exist only as tables (tinygen/ref/lookup.py): the hard
sigmoid's is the int8 nearest the true value for every input (exact fractions, ties away from
zero), GELU's float transform is GELU (torch's exact and tanh forms) to float precision, and
LUTPopulate's quantization rounds as TFLite does (halves away from zero, clamped)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.ref.lookup import INT8_INPUTS, gelu_float, gelu_table, hard_sigmoid_table, lut_populate

QUANT = st.tuples(st.floats(0.002, 0.5), st.integers(-128, 127))


@settings(max_examples=60, deadline=None)
@given(qx=QUANT, qy=QUANT)
def test_hard_sigmoid_table_is_the_nearest_int8(qx, qy):
    (si, zi), (so, zo) = qx, qy
    table = hard_sigmoid_table(np.float32(si), zi, np.float32(so), zo)
    x = float(np.float32(si)) * (INT8_INPUTS.astype(np.float64) - zi)
    want = np.clip(x / 6 + 0.5, 0, 1) / float(np.float32(so)) + zo
    got = np.roll(table, 128).astype(np.float64)           # back to the inputs' order -128..127
    # the nearest int8, clamped; float64 decides everywhere but at an exact tie
    assert np.all(np.abs(got - np.clip(want, -128, 127)) <= 0.5 + 1e-9)
    ties = np.abs(want - np.floor(want) - 0.5) < 1e-9
    assert np.all(got[ties & (want < 127)] == np.minimum(np.ceil(want[ties & (want < 127)]), 127))


def test_hard_sigmoid_table_ties_go_up():
    """An exact half (scale 1/8, output scale 1/4: x / 6 + 1/2 at x = 3/4 is 5/8, 2.5 steps) goes up."""
    table = hard_sigmoid_table(0.125, 0, 0.25, 0)
    y = Fraction(3, 4) / 6 + Fraction(1, 2)
    assert y / Fraction(1, 4) == Fraction(5, 2)
    assert table[6] == 3                                    # input q = 6: x = 6 / 8


@settings(max_examples=30, deadline=None)
@given(approximate=st.booleans(), seed=st.integers(0, 2**31))
def test_gelu_float_is_torch_gelu(approximate, seed):
    x = np.random.default_rng(seed).uniform(-8, 8, 500).astype(np.float32)
    want = F.gelu(torch.from_numpy(x), approximate="tanh" if approximate else "none").numpy()
    np.testing.assert_allclose(gelu_float(x, approximate), want, rtol=2e-6, atol=1e-6)


def test_lut_populate_rounds_halves_away_and_clamps():
    values = np.array([0.5, -0.5, 1.5, -1.5, 1000.0, -1000.0, 3.0e10, 0.49] + [0.0] * 248, np.float32)
    table = np.roll(lut_populate(values, 1.0, 0), 128)       # the inputs' order
    assert table[:8].tolist() == [1, -1, 2, -2, 127, -128, -128, 0]   # beyond int32: x86's INT32_MIN, clamped


@settings(max_examples=20, deadline=None)
@given(qx=QUANT, qy=QUANT, approximate=st.booleans())
def test_gelu_table_follows_its_float_transform(qx, qy, approximate):
    """Each entry is the float GELU of the dequantized input on the output grid, within one step
    of double-precision GELU (float32 rounding can cross a half)."""
    (si, zi), (so, zo) = qx, qy
    table = np.roll(gelu_table(np.float32(si), zi, np.float32(so), zo, approximate), 128).astype(np.float64)
    x = torch.from_numpy(float(np.float32(si)) * (INT8_INPUTS.astype(np.float64) - zi))
    want = F.gelu(x, approximate="tanh" if approximate else "none").numpy() / float(np.float32(so)) + zo
    assert np.all(np.abs(table - np.clip(want, -128, 127)) <= 1.0)
