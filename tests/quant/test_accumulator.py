"""Room in the int32 accumulator (tinygen.quant.accumulator): the bound is exact at the edge."""

import numpy as np

from tinygen.quant.accumulator import INT32_MAX, accumulator_message, overflowing_channel


def test_overflowing_channel_fully_connected_edge():
    w = np.array([[127, -128, 3], [1, 1, 1]], np.int8)          # [out, in]: sums 255 * 258 and 255 * 3
    room = INT32_MAX - 255 * 258
    assert overflowing_channel(w, np.array([room, 0]), 0) is None
    assert overflowing_channel(w, np.array([-room, 0]), 0) is None
    assert overflowing_channel(w, np.array([room + 1, 0]), 0) == (0, 255 * 258)
    assert overflowing_channel(w, np.array([0, -(1 << 31)]), 0) == (1, 255 * 3)
    assert "bias -2147483648 of output channel 1" in accumulator_message(np.array([0, -(1 << 31)]), (1, 765))


def test_overflowing_channel_depthwise_axis():
    w = np.zeros((1, 3, 3, 4), np.int8)                          # [1, kh, kw, out]: channel 2 all 100
    w[..., 2] = 100
    bias = np.full(4, INT32_MAX - 255 * 900)
    assert overflowing_channel(w, bias, 3) is None
    bias[2] += 1
    assert overflowing_channel(w, bias, 3) == (2, 255 * 900)
