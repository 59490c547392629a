"""The layout kernels of the PyTorch frontend's mobile layers (tg_slice_s8,
tg_resize_nearest_s8, tg_resize_bilinear_s8) equal their numpy twins (tinygen/ref/layout.py) over generated
shapes, and the twins equal numpy's own slicing and repetition."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kernel_lib import assert_same

from tinygen.ref import layout as ref

SETTINGS = settings(derandomize=True, max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(outer=st.integers(1, 6), axis_len=st.integers(1, 9), inner=st.integers(1, 7), data=st.data(),
       seed=st.integers(0, 2**32 - 1))
def test_slice_s8_host(kernels, outer, axis_len, inner, data, seed):
    begin = data.draw(st.integers(0, axis_len - 1))
    size = data.draw(st.integers(1, axis_len - begin))
    p = {"outer": outer, "in_stride": axis_len * inner, "offset": begin * inner, "size": size * inner}
    x = np.random.default_rng(seed).integers(-128, 128, (outer, axis_len, inner)).astype(np.int8)
    expected = ref.slice_s8(p, x)
    assert_same(expected, x[:, begin:begin + size].reshape(outer, -1), "slice_s8 vs numpy")
    assert_same(expected, kernels.slice_s8(p, x), "slice_s8")


@SETTINGS
@given(in_h=st.integers(1, 6), in_w=st.integers(1, 6), channels=st.integers(1, 9), fh=st.integers(1, 4),
       fw=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_resize_nearest_s8_host(kernels, in_h, in_w, channels, fh, fw, seed):
    p = {"in_h": in_h, "in_w": in_w, "channels": channels, "out_h": in_h * fh, "out_w": in_w * fw}
    x = np.random.default_rng(seed).integers(-128, 128, (in_h, in_w, channels)).astype(np.int8)
    expected = ref.resize_nearest_s8(p, x)
    assert_same(expected, np.repeat(np.repeat(x, fh, axis=0), fw, axis=1), "resize_nearest_s8 vs numpy")
    assert_same(expected, kernels.resize_nearest_s8(p, x), "resize_nearest_s8")


@SETTINGS
@given(in_h=st.integers(1, 7), in_w=st.integers(1, 7), channels=st.integers(1, 5), out_h=st.integers(1, 16),
       out_w=st.integers(1, 16), seed=st.integers(0, 2**32 - 1))
def test_resize_bilinear_s8_host(kernels, in_h, in_w, channels, out_h, out_w, seed):
    p = {"in_h": in_h, "in_w": in_w, "channels": channels, "out_h": out_h, "out_w": out_w,
         "scale_h_10": (1024 * in_h + out_h // 2) // out_h, "scale_w_10": (1024 * in_w + out_w // 2) // out_w}
    p["offset_h_10"], p["offset_w_10"] = p["scale_h_10"] // 2 - 512, p["scale_w_10"] // 2 - 512
    x = np.random.default_rng(seed).integers(-128, 128, (in_h, in_w, channels)).astype(np.int8)
    expected = ref.resize_bilinear_s8(p, x)
    flat = np.full_like(x, x.flat[0])          # the weights sum to 1: a constant image stays constant
    assert_same(np.full(expected.shape, x.flat[0], np.int8), ref.resize_bilinear_s8(p, flat), "constant image")
    assert_same(expected, kernels.resize_bilinear_s8(p, x), "resize_bilinear_s8")
