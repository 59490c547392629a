"""Calibration, quantization and kernel choice on small hand-built IR graphs (tests/pass_lib.py)."""

from __future__ import annotations

import numpy as np
import pytest

from pass_lib import CONV, POOL2, Builder
from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.ir import Graph, validate
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.passes import choose_kernels, quantize
from tinygen.passes.calibrate import calibrate as calibrate_pass
from tinygen.quant.spec import WEIGHT_CHANNEL_AXIS
from tinygen.ref.float_interp import run_float


# -- calibrate ---------------------------------------------------------------------------


def small_float_graph() -> Graph:
    b = Builder()
    x = b.input((1, 6))
    f = b.op("fully_connected", [x], (1, 4), name="fc", attrs={"activation": (0.0, np.inf)},
             weight=b.rand(4, 6), bias=b.rand(4))
    return b.output(b.op("fully_connected", [f], (1, 3), name="fc2", out="output",
                         weight=b.rand(3, 4), bias=b.rand(3)))


def test_calibrate_minmax_records_observed_ranges():
    g = small_float_graph()
    data = np.random.default_rng(3).standard_normal((100, 6)).astype(np.float32)
    values = run_float(g, data, keep_all=True)
    out = calibrate_pass(g.copy(), data)
    for name in ("input", "fc", "output"):
        assert out.tensors[name].calib_range == (float(values[name].min()), float(values[name].max()))
    assert out.tensors["fc"].calib_range[0] == 0.0          # after the fused ReLU


def test_calibrate_percentile_is_inside_minmax():
    g = small_float_graph()
    data = np.random.default_rng(3).standard_normal((100, 6)).astype(np.float32)
    mm = calibrate_pass(g.copy(), data)
    pc = calibrate_pass(g.copy(), data, "percentile", 90.0)
    lo, hi = pc.tensors["input"].calib_range
    assert mm.tensors["input"].calib_range[0] < lo < hi < mm.tensors["input"].calib_range[1]


def test_calibrate_empty_data_raises():
    with pytest.raises(ModelError, match="empty"):
        calibrate_pass(small_float_graph(), np.zeros((0, 6), np.float32))


# -- quantize ----------------------------------------------------------------------------


def quant_graph() -> Graph:
    """conv (ReLU) and conv (no clamp) → concat → max_pool → reshape → fc → softmax."""
    b = Builder(seed=7)
    x = b.input((1, 4, 4, 2))
    a = b.op("conv2d", [x], (1, 4, 4, 3), name="conv_a", attrs={**CONV, "activation": (0.0, np.inf)},
             weight=b.rand(3, 3, 3, 2), bias=b.rand(3))
    c = b.op("conv2d", [x], (1, 4, 4, 2), name="conv_b", attrs={**CONV, "activation": None},
             weight=b.rand(2, 3, 3, 2) * np.array([1, 5], np.float32).reshape(2, 1, 1, 1), bias=b.rand(2))
    cat = b.op("concat", [a, c], (1, 4, 4, 5), name="cat", attrs={"axis": 3})
    p = b.op("max_pool2d", [cat], (1, 2, 2, 5), name="pool", attrs=POOL2)
    r = b.op("reshape", [p], (1, 20), name="flat")
    f = b.op("fully_connected", [r], (1, 4), name="fc", attrs={"activation": None},
             weight=b.rand(4, 20), bias=b.rand(4))
    return b.output(b.op("softmax", [f], (1, 4), out="output", attrs={"axis": -1, "beta": 1.0}))


@pytest.fixture(scope="module")
def quantized() -> tuple[Graph, Graph]:
    before = quant_graph()
    data = np.random.default_rng(11).standard_normal((64, 4, 4, 2)).astype(np.float32)
    calibrated = calibrate_pass(before.copy(), data)
    after = quantize(calibrated.copy())
    validate(after)
    return before, after


def test_quantize_every_arena_tensor_is_int8(quantized):
    _, g = quantized
    arena = list(g.activation_tensors())
    assert {t.name for t in arena} == {"input", "conv_a", "conv_b", "cat", "pool", "flat", "fc", "output"}
    for t in arena:
        assert t.dtype == "int8" and t.bits == 8, t.name
        assert t.qparams is not None and not t.qparams.per_channel, t.name
        assert -128 <= int(t.qparams.zero_point[0]) <= 127
    assert g.meta["quantized"] == "int8-ptq"


def test_quantize_weights_int8_per_channel(quantized):
    before, g = quantized
    for node in g.nodes:
        if node.op not in ("conv2d", "fully_connected"):
            continue
        assert sorted(node.params[0]) == ["bias", "multiplier", "shift", "weight"]
        w = g.tensors[node.param("weight")]
        w_float = before.tensors[f"{node.name}_weight"].data
        axis = WEIGHT_CHANNEL_AXIS[node.op]
        assert w.dtype == "int8" and w.data.dtype == np.int8
        assert w.data.min() >= -127 and w.data.max() <= 127
        assert w.qparams.axis == axis
        # symmetric: zero point 0, scale max|w| / 127 per output channel
        channels = w_float.shape[axis]
        assert w.qparams.scale.shape == (channels,)
        np.testing.assert_array_equal(w.qparams.zero_point, 0)
        absmax = np.abs(np.moveaxis(w_float, axis, 0).reshape(channels, -1)).max(axis=1)
        np.testing.assert_allclose(w.qparams.scale, absmax / 127, rtol=1e-6)
        # the largest weight of every channel hits +-127
        assert (np.abs(np.moveaxis(w.data, axis, 0).reshape(channels, -1)).max(axis=1) == 127).all()
        # dequantized weights are within half a step of the float ones
        deq = w.data * np.expand_dims(w.qparams.scale, tuple(a for a in range(w.data.ndim) if a != axis))
        step = np.expand_dims(w.qparams.scale, tuple(a for a in range(w.data.ndim) if a != axis))
        assert (np.abs(deq - w_float) <= step / 2 + 1e-7).all()


def test_quantize_bias_and_requantization_are_int32(quantized):
    before, g = quantized
    for node in g.nodes:
        if node.op not in ("conv2d", "fully_connected"):
            continue
        channels = g.tensors[node.param("weight")].qparams.scale.size
        in_scale = g.tensors[node.inputs[0]].qparams.scale[0]
        w_scale = g.tensors[node.param("weight")].qparams.scale
        bias = g.tensors[node.param("bias")]
        assert bias.dtype == "int32" and bias.data.dtype == np.int32 and bias.data.shape == (channels,)
        np.testing.assert_allclose(bias.qparams.scale, in_scale * w_scale, rtol=1e-6)
        b_float = before.tensors[f"{node.name}_bias"].data
        assert np.all(np.abs(bias.data * (in_scale.astype(np.float64) * w_scale) - b_float)
                      <= in_scale * w_scale / 2 * (1 + 1e-6))
        for role in ("multiplier", "shift"):
            t = g.tensors[node.param(role)]
            assert t.dtype == "int32" and t.data.dtype == np.int32 and t.data.shape == (channels,), role
        # multiplier * 2^(shift - 31) reproduces in_scale * w_scale / out_scale
        out_scale = g.tensors[node.outputs[0]].qparams.scale[0]
        mult = g.tensors[node.param("multiplier")].data.astype(np.float64)
        shift = g.tensors[node.param("shift")].data.astype(np.float64)
        real = np.float64(in_scale) * w_scale.astype(np.float64) / np.float64(out_scale)
        np.testing.assert_allclose(mult * 2.0 ** (shift - 31), real, rtol=1e-8)


def test_quantize_shared_qparams_through_concat_pool_reshape(quantized):
    _, g = quantized
    q = {name: g.tensors[name].qparams for name in ("conv_a", "conv_b", "cat", "pool", "flat")}
    for name, qp in q.items():
        assert qp.same_as(q["cat"]), f"{name}: {qp} != cat: {q['cat']}"
    # the shared range is the union: conv_b's negative values move the zero point above -128
    assert int(q["cat"].zero_point[0]) > -128
    assert not g.tensors["fc"].qparams.same_as(q["cat"])


def test_quantize_softmax_output_fixed(quantized):
    _, g = quantized
    out = g.tensors["output"].qparams
    assert out.scale[0] == np.float32(1 / 256)
    assert int(out.zero_point[0]) == -128


def test_quantize_relu_act_bounds(quantized):
    _, g = quantized
    for node in g.nodes:
        if node.op not in ("conv2d", "fully_connected"):
            continue
        zp = int(g.tensors[node.outputs[0]].qparams.zero_point[0])
        if node.attrs.get("activation") == (0.0, np.inf):
            assert node.attrs["act_min"] == max(-128, zp) and node.attrs["act_max"] == 127, node.name
        else:
            assert (node.attrs["act_min"], node.attrs["act_max"]) == (-128, 127), node.name
    assert g.node("conv_a").attrs["act_min"] > -128        # the non-trivial case is exercised


def test_quantize_relu6_act_bounds():
    b = Builder()
    x = b.input((1, 6))
    before = b.output(b.op("fully_connected", [x], (1, 4), name="fc", out="output",
                           attrs={"activation": (0.0, 6.0)}, weight=b.rand(4, 6, lo=-4, hi=4), bias=b.rand(4)))
    data = np.random.default_rng(2).standard_normal((64, 6)).astype(np.float32) * 3
    g = quantize(calibrate_pass(before.copy(), data))
    q = g.tensors["output"].qparams
    scale, zp = float(q.scale[0]), int(q.zero_point[0])
    node = g.nodes[0]
    assert node.attrs["act_min"] == max(-128, zp)
    assert node.attrs["act_max"] == min(127, zp + int(np.floor(6.0 / scale + 0.5)))


# -- choose_kernels ----------------------------------------------------------------------


def test_choose_kernels_every_non_reshape_node_gets_a_kernel(quantized):
    _, g = quantized
    g = choose_kernels(g.copy())
    validate(g)
    for node in g.nodes:
        if node.op == "reshape":
            assert node.kernel is None and "kparams" not in node.attrs
        else:
            spec = KERNELS_BY_NAME[node.kernel]
            assert spec.op == node.op
            assert node.kernel.startswith("tg_") and node.kernel.endswith("_s8")
            assert isinstance(node.attrs["kparams"], dict) and node.attrs["kparams"]
    assert g.node("conv_a").kernel == "tg_conv2d_s8"
    assert g.node("fc").kernel == "tg_fully_connected_s8"


def test_choose_kernels_float_weight_is_unsupported(quantized):
    _, g = quantized
    g = g.copy()
    node = g.node("conv_a")
    w = g.tensors[node.param("weight")]
    w.data, w.dtype, w.bits = w.data.astype(np.float32), "float32", 32
    with pytest.raises(UnsupportedOpError, match=r"no kernel for conv2d .*float32 weights.*conv_a"):
        choose_kernels(g)


def test_choose_kernels_float_graph_takes_the_float32_kernels_where_there_are():
    """A float graph run as it is (a float .tflite without --calib) takes the float32 kernels
    (TFLite Micro's float reference: tinygen.kernels.float_table); an op with none is refused."""
    g = choose_kernels(small_float_graph())
    assert [n.kernel for n in g.nodes] == ["tg_fully_connected_f32", "tg_fully_connected_f32"]
    b = Builder()
    x = b.input((1, 6))
    sigmoid = b.output(b.op("hard_sigmoid", [x], (1, 6), name="hard_sigmoid", out="output"))
    with pytest.raises(UnsupportedOpError, match="no kernel for hard_sigmoid with float32 activations"):
        choose_kernels(sigmoid)
