"""Each pass on small hand-built IR graphs: Before / Expected structure, plus
numeric checks with the float interpreter (a float pass must not change what
the graph computes: outputs before and after agree to 1e-5)."""

from __future__ import annotations

import numpy as np
import pytest

from tinygen.errors import ModelError, UnsupportedOpError
from tinygen.ir import Graph, IRValidationError, Kind, Node, Tensor, validate
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.passes import choose_kernels, fold_bn, fold_transpose, fuse_activations, quantize
from tinygen.passes.calibrate import calibrate as calibrate_pass
from tinygen.quant.spec import WEIGHT_CHANNEL_AXIS
from tinygen.ref.float_interp import run_float

CONV = {"stride": (1, 1), "dilation": (1, 1), "padding": (1, 1, 1, 1)}
CONV_VALID = {"stride": (1, 1), "dilation": (1, 1), "padding": (0, 0, 0, 0)}
POOL2 = {"kernel": (2, 2), "stride": (2, 2), "padding": (0, 0, 0, 0)}
EPS = 1e-5


class Builder:
    """Hand-built float32 IR graphs: `b.op(...)` appends a node and its output."""

    def __init__(self, name: str = "g", seed: int = 0):
        self.g = Graph(name)
        self.rng = np.random.default_rng(seed)

    def input(self, shape, name: str = "input") -> str:
        self.g.add_tensor(Tensor(name, shape, "float32", Kind.INPUT))
        self.g.inputs.append(name)
        return name

    def rand(self, *shape, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
        return self.rng.uniform(lo, hi, shape).astype(np.float32)

    def op(self, op: str, inputs, shape, name: str | None = None, out: str | None = None,
           attrs: dict | None = None, **params) -> str:
        name = name or f"{op}_{len(self.g.nodes)}"
        out = out or name
        self.g.add_tensor(Tensor(out, shape, "float32", Kind.ACTIVATION))
        pset = {}
        for role, data in params.items():
            const = self.g.add_const(f"{name}_{role}", np.asarray(data, np.float32))
            pset[role] = const.name
        self.g.nodes.append(Node(name, op, list(inputs), [out], dict(attrs or {}), [pset], source=name))
        return out

    def bn(self, x: str, shape, channels: int, name: str = "bn", out: str | None = None) -> str:
        return self.op("batch_norm", [x], shape, name=name, out=out, attrs={"eps": EPS},
                       gamma=self.rand(channels, lo=0.5, hi=1.5), beta=self.rand(channels),
                       mean=self.rand(channels), var=self.rand(channels, lo=0.3, hi=2.0))

    def output(self, *names: str) -> Graph:
        for n in names:
            self.g.outputs.append(n)
            self.g.tensors[n].kind = Kind.OUTPUT
        validate(self.g)
        return self.g


def structure(g: Graph) -> list:
    """What Before/Expected compare: ops, wiring, attributes, parameter roles."""
    nodes = [(n.op, n.inputs, n.outputs, {k: v for k, v in n.attrs.items() if k != "kparams"},
              [sorted(p) for p in n.params]) for n in g.nodes]
    return [g.inputs, nodes, g.outputs]


def assert_structure(got: Graph, expected: Graph) -> None:
    assert structure(got) == structure(expected)
    arena = {t.name: t.shape for t in got.activation_tensors()}
    assert arena == {t.name: t.shape for t in expected.activation_tensors()}


def assert_same_function(before: Graph, after: Graph, seed: int = 1, n: int = 4) -> None:
    shape = before.tensors[before.inputs[0]].shape
    x = np.random.default_rng(seed).standard_normal((n,) + shape[1:]).astype(np.float32)
    want = run_float(before, x)
    got = run_float(after, x)
    assert list(got) == list(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-5)


def bn_affine(g: Graph, name: str = "bn") -> tuple[np.ndarray, np.ndarray]:
    """(scale, offset) of a batch norm node, computed independently in float64."""
    c = {r: g.tensors[f"{name}_{r}"].data.astype(np.float64) for r in ("gamma", "beta", "mean", "var")}
    scale = c["gamma"] / np.sqrt(c["var"] + EPS)
    return scale, c["beta"] - c["mean"] * scale


def run_pass(fn, graph: Graph) -> Graph:
    out = fn(graph.copy())
    validate(out)
    return out


# -- fold_bn ---------------------------------------------------------------------------


def test_fold_bn_into_conv():
    b = Builder()
    x = b.input((1, 5, 5, 3))
    c = b.op("conv2d", [x], (1, 5, 5, 4), name="conv", attrs=CONV,
             weight=b.rand(4, 3, 3, 3), bias=b.rand(4))
    before = b.output(b.bn(c, (1, 5, 5, 4), 4, out="output"))
    after = run_pass(fold_bn, before)

    e = Builder()
    ex = e.input((1, 5, 5, 3))
    expected = e.output(e.op("conv2d", [ex], (1, 5, 5, 4), name="conv", out="output", attrs=CONV,
                             weight=np.zeros((4, 3, 3, 3)), bias=np.zeros(4)))
    assert_structure(after, expected)
    scale, offset = bn_affine(before)
    w0, b0 = before.tensors["conv_weight"].data, before.tensors["conv_bias"].data
    np.testing.assert_allclose(after.const(after.nodes[0], "weight"), w0 * scale[:, None, None, None], rtol=1e-6)
    np.testing.assert_allclose(after.const(after.nodes[0], "bias"), b0 * scale + offset, rtol=1e-6, atol=1e-7)
    assert not any(name.startswith("bn_") for name in after.tensors)     # BN constants dropped
    assert_same_function(before, after)


def test_fold_bn_into_conv_without_bias():
    b = Builder()
    x = b.input((1, 4, 4, 2))
    c = b.op("conv2d", [x], (1, 4, 4, 3), name="conv", attrs=CONV, weight=b.rand(3, 3, 3, 2))
    bn = b.bn(c, (1, 4, 4, 3), 3)
    before = b.output(b.op("clamp", [bn], (1, 4, 4, 3), out="output", attrs={"lo": 0.0, "hi": 6.0}))
    after = run_pass(fold_bn, before)

    e = Builder()
    ex = e.input((1, 4, 4, 2))
    ec = e.op("conv2d", [ex], (1, 4, 4, 3), name="conv", attrs=CONV, weight=np.zeros((3, 3, 3, 2)),
              bias=np.zeros(3))
    expected = e.output(e.op("clamp", [ec], (1, 4, 4, 3), out="output", attrs={"lo": 0.0, "hi": 6.0}))
    assert_structure(after, expected)
    _, offset = bn_affine(before)
    bias = after.tensors[after.nodes[0].param("bias")]
    assert bias.dtype == "float32" and bias.is_const
    np.testing.assert_allclose(bias.data, offset, rtol=1e-6, atol=1e-7)
    assert_same_function(before, after)


def test_fold_bn_into_depthwise():
    b = Builder()
    x = b.input((1, 5, 4, 3))
    d = b.op("depthwise_conv2d", [x], (1, 5, 4, 3), name="dw", attrs={**CONV, "depth_multiplier": 1},
             weight=b.rand(1, 3, 3, 3), bias=b.rand(3))
    before = b.output(b.bn(d, (1, 5, 4, 3), 3, out="output"))
    after = run_pass(fold_bn, before)
    assert [n.op for n in after.nodes] == ["depthwise_conv2d"]
    assert after.nodes[0].outputs == ["output"]
    scale, _ = bn_affine(before)
    w0 = before.tensors["dw_weight"].data
    # depthwise weights are [1, KH, KW, C]: the channel axis is the last one
    np.testing.assert_allclose(after.const(after.nodes[0], "weight"), w0 * scale, rtol=1e-6)
    assert_same_function(before, after)


def test_fold_bn_into_depthwise_with_multiplier():
    b = Builder()
    x = b.input((1, 4, 4, 2))
    d = b.op("depthwise_conv2d", [x], (1, 4, 4, 6), name="dw", attrs={**CONV, "depth_multiplier": 3},
             weight=b.rand(1, 3, 3, 6), bias=b.rand(6))
    before = b.output(b.bn(d, (1, 4, 4, 6), 6, out="output"))
    after = run_pass(fold_bn, before)
    assert [n.op for n in after.nodes] == ["depthwise_conv2d"]
    assert_same_function(before, after)


def test_fold_bn_into_fc():
    b = Builder()
    x = b.input((1, 6))
    f = b.op("fully_connected", [x], (1, 4), name="fc", weight=b.rand(4, 6), bias=b.rand(4))
    bn = b.bn(f, (1, 4), 4)
    before = b.output(b.op("fully_connected", [bn], (1, 2), name="fc2", out="output",
                           weight=b.rand(2, 4), bias=b.rand(2)))
    after = run_pass(fold_bn, before)

    e = Builder()
    ex = e.input((1, 6))
    ef = e.op("fully_connected", [ex], (1, 4), name="fc", weight=np.zeros((4, 6)), bias=np.zeros(4))
    expected = e.output(e.op("fully_connected", [ef], (1, 2), name="fc2", out="output",
                             weight=np.zeros((2, 4)), bias=np.zeros(2)))
    assert_structure(after, expected)
    scale, _ = bn_affine(before)
    np.testing.assert_allclose(after.const(after.nodes[0], "weight"),
                               before.tensors["fc_weight"].data * scale[:, None], rtol=1e-6)
    assert_same_function(before, after)


def test_fold_bn_standalone_4d_becomes_depthwise():
    b = Builder()
    x = b.input((1, 3, 3, 5))
    before = b.output(b.bn(x, (1, 3, 3, 5), 5, out="output"))
    after = run_pass(fold_bn, before)

    e = Builder()
    ex = e.input((1, 3, 3, 5))
    expected = e.output(e.op("depthwise_conv2d", [ex], (1, 3, 3, 5), name="bn", out="output",
                             attrs={**CONV_VALID, "depth_multiplier": 1, "activation": None},
                             weight=np.zeros((1, 1, 1, 5)), bias=np.zeros(5)))
    assert_structure(after, expected)
    scale, offset = bn_affine(before)
    np.testing.assert_allclose(after.const(after.nodes[0], "weight").ravel(), scale, rtol=1e-6)
    np.testing.assert_allclose(after.const(after.nodes[0], "bias"), offset, rtol=1e-6, atol=1e-7)
    assert_same_function(before, after)


def test_fold_bn_standalone_2d_becomes_reshape_depthwise_reshape():
    b = Builder()
    x = b.input((1, 6))
    before = b.output(b.bn(x, (1, 6), 6, out="output"))
    after = run_pass(fold_bn, before)
    assert [n.op for n in after.nodes] == ["reshape", "depthwise_conv2d", "reshape"]
    view, dw, unview = after.nodes
    assert view.inputs == ["input"] and unview.outputs == ["output"]
    assert dw.inputs == view.outputs and unview.inputs == dw.outputs
    assert after.tensors[dw.inputs[0]].shape == (1, 1, 1, 6)
    assert after.tensors[dw.outputs[0]].shape == (1, 1, 1, 6)
    assert after.tensors[dw.param("weight")].shape == (1, 1, 1, 6)
    assert_same_function(before, after)


def test_fold_bn_after_conv_with_two_consumers_becomes_depthwise():
    b = Builder()
    x = b.input((1, 4, 4, 2))
    c = b.op("conv2d", [x], (1, 4, 4, 2), name="conv", attrs=CONV, weight=b.rand(2, 3, 3, 2), bias=b.rand(2))
    bn = b.bn(c, (1, 4, 4, 2), 2)
    before = b.output(b.op("add", [bn, c], (1, 4, 4, 2), out="output", attrs={"activation": None}))
    after = run_pass(fold_bn, before)
    assert [n.op for n in after.nodes] == ["conv2d", "depthwise_conv2d", "add"]
    # the conv, which the add also reads, keeps its weights
    np.testing.assert_array_equal(after.const(after.nodes[0], "weight"), before.tensors["conv_weight"].data)
    assert_same_function(before, after)


# -- fold_transpose ----------------------------------------------------------------------


def flatten_fc_graph(consumer: str = "fully_connected") -> Graph:
    """input NHWC [1, 2, 3, 4] → transpose to NCHW → reshape [1, 24] → consumer."""
    b = Builder()
    x = b.input((1, 2, 3, 4))
    t = b.op("transpose", [x], (1, 4, 2, 3), name="tr", attrs={"perm": (0, 3, 1, 2)})
    r = b.op("reshape", [t], (1, 24), name="flat")
    if consumer == "fully_connected":
        return b.output(b.op("fully_connected", [r], (1, 5), name="fc", out="output",
                             weight=b.rand(5, 24), bias=b.rand(5)))
    return b.output(b.op("clamp", [r], (1, 24), out="output", attrs={"lo": 0.0, "hi": 1.0}))


def test_fold_transpose_transpose_reshape_fc_folds():
    before = flatten_fc_graph()
    after = run_pass(fold_transpose, before)

    e = Builder()
    ex = e.input((1, 2, 3, 4))
    er = e.op("reshape", [ex], (1, 24), name="flat")
    expected = e.output(e.op("fully_connected", [er], (1, 5), name="fc", out="output",
                             weight=np.zeros((5, 24)), bias=np.zeros(5)))
    assert_structure(after, expected)
    assert "tr" not in after.tensors
    # the fc columns now read NHWC order: column (h, w, c) holds the old column (c, h, w)
    w_old, w_new = before.tensors["fc_weight"].data, after.const(after.nodes[1], "weight")
    for h, w, c in [(0, 0, 0), (1, 2, 3), (0, 1, 2), (1, 0, 1)]:
        np.testing.assert_array_equal(w_new[:, (h * 3 + w) * 4 + c], w_old[:, (c * 2 + h) * 3 + w])
    assert_same_function(before, after)


def test_fold_transpose_data_preserving_becomes_reshape():
    b = Builder()
    x = b.input((1, 1, 1, 6))
    t = b.op("transpose", [x], (1, 6, 1, 1), name="tr", attrs={"perm": (0, 3, 1, 2)})
    before = b.output(b.op("reshape", [t], (1, 6), out="output"))
    after = run_pass(fold_transpose, before)

    e = Builder()
    ex = e.input((1, 1, 1, 6))
    et = e.op("reshape", [ex], (1, 6, 1, 1), name="tr")
    expected = e.output(e.op("reshape", [et], (1, 6), out="output"))
    assert_structure(after, expected)
    assert_same_function(before, after)


def test_fold_transpose_feeding_something_else_stays():
    before = flatten_fc_graph(consumer="clamp")
    after = run_pass(fold_transpose, before)
    assert structure(after) == structure(before)
    assert_same_function(before, after)


def test_fold_transpose_with_a_second_reader_stays():
    b = Builder()
    x = b.input((1, 2, 3, 4))
    t = b.op("transpose", [x], (1, 4, 2, 3), name="tr", attrs={"perm": (0, 3, 1, 2)})
    r = b.op("reshape", [t], (1, 24), name="flat")
    f = b.op("fully_connected", [r], (1, 5), name="fc", weight=b.rand(5, 24), bias=b.rand(5))
    before = b.output(f, t)
    after = run_pass(fold_transpose, before)
    assert structure(after) == structure(before)
    np.testing.assert_array_equal(after.tensors["fc_weight"].data, before.tensors["fc_weight"].data)


def test_fold_transpose_other_permutation_stays():
    b = Builder()
    x = b.input((1, 2, 3, 4))
    t = b.op("transpose", [x], (1, 2, 4, 3), name="tr", attrs={"perm": (0, 1, 3, 2)})
    r = b.op("reshape", [t], (1, 24), name="flat")
    before = b.output(b.op("fully_connected", [r], (1, 5), name="fc", out="output",
                           weight=b.rand(5, 24), bias=b.rand(5)))
    after = run_pass(fold_transpose, before)
    assert structure(after) == structure(before)


# -- fuse_activations --------------------------------------------------------------------


def test_fuse_activations_conv_clamp_fuses():
    b = Builder()
    x = b.input((1, 4, 4, 2))
    c = b.op("conv2d", [x], (1, 4, 4, 3), name="conv", attrs=CONV, weight=b.rand(3, 3, 3, 2), bias=b.rand(3))
    before = b.output(b.op("clamp", [c], (1, 4, 4, 3), out="output", attrs={"lo": 0.0, "hi": 6.0}))
    after = run_pass(fuse_activations, before)

    e = Builder()
    ex = e.input((1, 4, 4, 2))
    expected = e.output(e.op("conv2d", [ex], (1, 4, 4, 3), name="conv", out="output",
                             attrs={**CONV, "activation": (0.0, 6.0)},
                             weight=np.zeros((3, 3, 3, 2)), bias=np.zeros(3)))
    assert_structure(after, expected)
    assert_same_function(before, after)


def test_fuse_activations_inner_clamp_keeps_producer_name():
    b = Builder()
    x = b.input((1, 6))
    f = b.op("fully_connected", [x], (1, 4), name="fc", weight=b.rand(4, 6), bias=b.rand(4))
    r = b.op("clamp", [f], (1, 4), name="relu", attrs={"lo": 0.0, "hi": np.inf})
    before = b.output(b.op("fully_connected", [r], (1, 3), name="fc2", out="output",
                           weight=b.rand(3, 4), bias=b.rand(3)))
    after = run_pass(fuse_activations, before)
    assert [(n.op, n.inputs, n.outputs) for n in after.nodes] == [
        ("fully_connected", ["input"], ["fc"]), ("fully_connected", ["fc"], ["output"])]
    assert after.nodes[0].attrs["activation"] == (0.0, np.inf)
    assert "relu" not in after.tensors
    assert_same_function(before, after)


def test_fuse_activations_producer_with_two_consumers_does_not_fuse():
    b = Builder()
    x = b.input((1, 4, 4, 2))
    c = b.op("conv2d", [x], (1, 4, 4, 2), name="conv", attrs=CONV, weight=b.rand(2, 3, 3, 2), bias=b.rand(2))
    r = b.op("clamp", [c], (1, 4, 4, 2), name="relu", attrs={"lo": 0.0, "hi": np.inf})
    before = b.output(b.op("add", [r, c], (1, 4, 4, 2), out="output", attrs={"activation": None}))
    after = run_pass(fuse_activations, before)
    assert structure(after) == structure(before)
    assert "activation" not in after.nodes[0].attrs


def test_fuse_activations_clamp_after_unfusable_op_stays():
    b = Builder()
    x = b.input((1, 4, 4, 2))
    p = b.op("max_pool2d", [x], (1, 2, 2, 2), name="pool", attrs=POOL2)
    before = b.output(b.op("clamp", [p], (1, 2, 2, 2), out="output", attrs={"lo": 0.0, "hi": 6.0}))
    after = run_pass(fuse_activations, before)
    assert structure(after) == structure(before)


def test_fuse_activations_nested_clamps_intersect():
    b = Builder()
    x = b.input((1, 6))
    f = b.op("fully_connected", [x], (1, 4), name="fc", attrs={"activation": (-2.0, 3.0)},
             weight=b.rand(4, 6, lo=-3, hi=3), bias=b.rand(4))
    r = b.op("clamp", [f], (1, 4), name="relu", attrs={"lo": 0.0, "hi": np.inf})
    before = b.output(b.op("clamp", [r], (1, 4), out="output", attrs={"lo": -np.inf, "hi": 2.5}))
    after = run_pass(fuse_activations, before)
    assert [(n.op, n.outputs) for n in after.nodes] == [("fully_connected", ["output"])]
    assert after.nodes[0].attrs["activation"] == (0.0, 2.5)
    assert_same_function(before, after)


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


def test_choose_kernels_float_graph_is_unsupported():
    with pytest.raises(UnsupportedOpError, match="no kernel for fully_connected with float32 activations"):
        choose_kernels(small_float_graph())


# -- validate --------------------------------------------------------------------------------


def valid_graph() -> Graph:
    b = Builder()
    x = b.input((1, 4, 4, 2))
    c = b.op("conv2d", [x], (1, 4, 4, 3), name="conv", attrs=CONV, weight=b.rand(3, 3, 3, 2), bias=b.rand(3))
    return b.output(b.op("max_pool2d", [c], (1, 2, 2, 3), name="pool", out="output", attrs=POOL2))


def test_validate_accepts_a_valid_graph():
    validate(valid_graph())


def test_validate_rejects_unknown_op():
    g = valid_graph()
    g.nodes[1].op = "gelu"
    with pytest.raises(IRValidationError, match=r"node 'pool' \(gelu\): unknown op"):
        validate(g)


def test_validate_rejects_missing_attr():
    g = valid_graph()
    del g.nodes[0].attrs["stride"]
    with pytest.raises(IRValidationError, match="missing attribute 'stride'"):
        validate(g)


def test_validate_rejects_use_before_def():
    g = valid_graph()
    g.nodes.reverse()
    with pytest.raises(IRValidationError, match="input 'conv' used before it is produced"):
        validate(g)


def test_validate_rejects_duplicate_output():
    g = valid_graph()
    g.nodes[1].outputs = ["conv"]
    with pytest.raises(IRValidationError, match="output 'conv' is produced twice"):
        validate(g)


def test_validate_rejects_missing_const():
    g = valid_graph()
    del g.tensors["conv_weight"]
    with pytest.raises(IRValidationError, match="constant 'conv_weight' does not exist"):
        validate(g)


def test_validate_rejects_missing_weight_role():
    g = valid_graph()
    del g.nodes[0].params[0]["weight"]
    with pytest.raises(IRValidationError, match="lacks 'weight'"):
        validate(g)


def test_validate_rejects_constant_as_input():
    g = valid_graph()
    g.nodes[1].inputs = ["conv_bias"]
    with pytest.raises(IRValidationError, match="is a constant"):
        validate(g)


def test_validate_rejects_output_never_produced():
    g = valid_graph()
    g.outputs.append("nowhere")
    with pytest.raises(IRValidationError, match="'nowhere' is never produced"):
        validate(g)


def test_validate_lists_every_problem():
    g = valid_graph()
    del g.nodes[0].attrs["padding"]
    g.nodes[1].op = "gelu"
    with pytest.raises(IRValidationError) as info:
        validate(g)
    assert "missing attribute 'padding'" in str(info.value) and "unknown op" in str(info.value)
