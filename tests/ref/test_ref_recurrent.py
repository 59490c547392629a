"""The recurrent layers' int16 gate functions (tinygen/ref/recurrent.py): the C kernels' sigmoid
table holds the twin's values; sigmoid and tanh over every Q3.12 input follow the real functions
within their table's interpolation error and are monotone and odd / symmetric as TFLite's are;
the cell state's tanh scaling for every power-of-two scale the quantizer gives."""

from __future__ import annotations

import re

import numpy as np

from tinygen.passes.quantize_recurrent import CELL_EXPONENT_MAX, CELL_EXPONENT_MIN, cell_scale
from tinygen.ref.recurrent import SIGMOID_TABLE, sigmoid_s16, tanh_params, tanh_s16
from tinygen.resources import firmware_path

ALL_Q12 = np.arange(-32768, 32768)


def test_sigmoid_table_in_c_equals_the_twin():
    text = firmware_path("kernels/tg_sigmoid_table_s16.c").read_text()
    body = text[text.index("{") + 1:text.rindex("}")]
    values = [int(v) for v in re.findall(r"\d+", body)]
    assert values == SIGMOID_TABLE.tolist()


def test_sigmoid_s16_follows_the_sigmoid():
    y = sigmoid_s16(ALL_Q12).astype(np.int64)
    real = 1.0 / (1.0 + np.exp(-ALL_Q12 / 4096.0))
    assert np.abs(y / 32768.0 - real).max() < 2e-4
    assert np.all(np.diff(y) >= 0) and 0 <= y.min() and y.max() <= 32767


def test_tanh_s16_follows_the_tanh():
    y = tanh_s16(ALL_Q12, 3, 0).astype(np.int64)
    assert np.abs(y / 32768.0 - np.tanh(ALL_Q12 / 4096.0)).max() < 4e-4
    assert np.all(np.diff(y) >= 0)
    assert np.array_equal(y[1:] + y[1:][::-1], np.zeros(y.size - 1)) or np.abs(y[1:] + y[1:][::-1]).max() <= 1


def test_cell_tanh_scaling_reads_the_cell_in_its_units():
    for power in range(CELL_EXPONENT_MIN - 15, CELL_EXPONENT_MAX - 15 + 1):
        mult, shift = tanh_params(power)
        cell = np.array([-32768, -20000, -1, 0, 1, 1000, 32767])
        got = tanh_s16(cell, mult, shift) / 32768.0
        want = np.tanh(np.clip(cell * 2.0 ** power, -8.0 * 4 / 3, 8.0 * 4 / 3))
        assert np.abs(got - want).max() < 2e-3, power


def test_cell_scale_is_a_power_of_two_with_headroom():
    for m in (0.01, 0.79, 1.0, 3.5, 1e6, 0.0):
        s = cell_scale(m)
        assert np.log2(s) == int(np.log2(s))
        assert m <= s * 32768 or s == 2.0 ** (CELL_EXPONENT_MAX - 15)
