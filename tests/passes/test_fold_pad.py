"""fold_pad on hand-built IR graphs (tests/pass_lib.py): Before / Expected structure, the float
interpreter's outputs unchanged (a float pad of 0.0 is what the conv pads with), and the pads
it must keep. The int8 and int16 cases against TFLite Micro: tests/tflite_pad_fold_cases.py."""

from __future__ import annotations

import numpy as np

from pass_lib import Builder, assert_same_function, assert_structure, run_pass
from tinygen.ir import QParams
from tinygen.passes.fold_pad import fold_pad

STRIDE2 = {"stride": (2, 2), "dilation": (1, 1), "padding": (0, 0, 0, 0)}
SAME1 = {"stride": (1, 1), "dilation": (1, 1), "padding": (1, 1, 1, 1)}


def _pad(b: Builder, x: str, shape, paddings, value=0.0, name: str = "pad") -> str:
    out = tuple(n + lo + hi for n, (lo, hi) in zip(shape, paddings))
    return b.op("pad", [x], out, name=name, attrs={"paddings": paddings, "pad_value": value})


def _chain(pad1=((0, 0), (2, 0), (1, 2), (0, 0)), value=0.0, b: Builder | None = None):
    """pad -> conv 3x3 stride 2 (valid) -> pad 1 -> depthwise 3x3 (its own padding 1 too)."""
    b = b or Builder()
    x = b.input((1, 9, 8, 3))
    p = _pad(b, x, (1, 9, 8, 3), pad1, value)
    h, w = (9 + sum(pad1[1]) - 3) // 2 + 1, (8 + sum(pad1[2]) - 3) // 2 + 1
    c = b.op("conv2d", [p], (1, h, w, 4), name="conv", attrs=STRIDE2, weight=b.rand(4, 3, 3, 3), bias=b.rand(4))
    q = _pad(b, c, (1, h, w, 4), ((0, 0), (1, 0), (0, 1), (0, 0)), name="pad2")
    d = b.op("depthwise_conv2d", [q], (1, h + 1, w + 1, 4), name="dw", out="output",
             attrs={**SAME1, "depth_multiplier": 1}, weight=b.rand(1, 3, 3, 4), bias=b.rand(4))
    return b.output(d), (h, w)


def test_fold_pad_into_conv_and_depthwise_float32():
    before, (h, w) = _chain()
    after = run_pass(fold_pad, before)

    e = Builder()
    x = e.input((1, 9, 8, 3))
    c = e.op("conv2d", [x], (1, h, w, 4), name="conv", attrs={**STRIDE2, "padding": (2, 0, 1, 2)},
             weight=np.zeros((4, 3, 3, 3)), bias=np.zeros(4))
    e.op("depthwise_conv2d", [c], (1, h + 1, w + 1, 4), name="dw", out="output",
         attrs={**SAME1, "padding": (2, 1, 1, 2), "depth_multiplier": 1}, weight=np.zeros((1, 3, 3, 4)),
         bias=np.zeros(4))
    assert_structure(after, e.output("output"))
    assert "pad" not in after.tensors and "pad2" not in after.tensors
    assert_same_function(before, after)


def test_fold_pad_keeps_a_pad_of_another_value_or_past_the_kernel():
    before, _ = _chain(value=0.5)
    assert [n.op for n in run_pass(fold_pad, before).nodes] == ["pad", "conv2d", "depthwise_conv2d"]
    # 3 rows above a 3x3 window: an output row would read padding alone
    before, _ = _chain(pad1=((0, 0), (3, 0), (0, 0), (0, 0)))
    assert [n.op for n in run_pass(fold_pad, before).nodes] == ["pad", "conv2d", "depthwise_conv2d"]


def _quantized(graph, in_q: QParams, out_q: QParams, value: int):
    """The first pad's input and output made int8 with these grids (the rest stays float: only
    the pad's tensors decide)."""
    pad = graph.nodes[0]
    for name, q in ((pad.inputs[0], in_q), (pad.outputs[0], out_q)):
        t = graph.tensor(name)
        t.dtype, t.bits, t.qparams = "int8", 8, q
    pad.attrs["pad_value"] = value
    return graph


def test_fold_pad_int8_needs_the_zero_point_on_one_grid():
    grid = QParams(0.05, 3)
    folded = run_pass(fold_pad, _quantized(_chain()[0], grid, QParams(0.05, 3), 3))
    assert folded.nodes[0].op == "conv2d" and folded.nodes[0].attrs["padding"] == (2, 0, 1, 2)
    other_value = run_pass(fold_pad, _quantized(_chain()[0], grid, QParams(0.05, 3), 0))
    assert other_value.nodes[0].op == "pad"
    # TFLite Micro's PAD copies the bytes: on another grid the conv would read them otherwise
    other_grid = run_pass(fold_pad, _quantized(_chain()[0], grid, QParams(0.04, 3), 3))
    assert other_grid.nodes[0].op == "pad"
