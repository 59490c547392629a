"""The float graph passes on small hand-built IR graphs (tests/pass_lib.py): Before / Expected
structure, plus numeric checks with the float interpreter (a float pass must not change what
the graph computes: outputs before and after agree to 1e-5). Calibration, quantization and
kernel choice: test_passes_quantize.py; the IR validator: test_ir_validate.py."""

from __future__ import annotations

import numpy as np

from pass_lib import CONV, CONV_VALID, POOL2, Builder, assert_same_function, assert_structure, bn_affine, run_pass, structure
from tinygen.ir import Graph
from tinygen.passes import fold_bn, fold_transpose, fuse_activations


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
