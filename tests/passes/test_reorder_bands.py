"""Operator order on row-banded graphs (passes/band.py then passes/reorder.py): the reordered
peak is never above band.py's order's, and on a small banded stack it is the lowest of all
topological orders (enumerated)."""

from __future__ import annotations

from pass_lib import Builder
from test_reorder import topological_orders
from test_tile import _compile
from tinygen.passes import CompileOptions
from tinygen.passes.reorder import order_peak


def _stack(h: int, w: int, expand: int) -> tuple:
    """input h x w x 3 -> conv 3x3 (pad 1) x expand channels -> depthwise 3x3 stride 2 (split)
    -> conv 1x1 head; the split tensor."""
    b = Builder("banded", seed=3)
    x = b.input((1, h, w, 3))
    x = b.op("conv2d", [x], (1, h, w, expand), name="c1",
             attrs={"stride": (1, 1), "dilation": (1, 1), "padding": (1, 1, 1, 1), "activation": (0.0, 6.0)},
             weight=b.rand(expand, 3, 3, 3), bias=b.rand(expand))
    oh, ow = (h - 1) // 2 + 1, (w - 1) // 2 + 1
    split = b.op("depthwise_conv2d", [x], (1, oh, ow, expand), name="d1",
                 attrs={"stride": (2, 2), "dilation": (1, 1), "padding": (1, 1, 1, 1), "depth_multiplier": 1,
                        "activation": (0.0, 6.0)},
                 weight=b.rand(1, 3, 3, expand), bias=b.rand(expand))
    out = b.op("conv2d", [split], (1, oh, ow, 2), name="head",
               attrs={"stride": (1, 1), "dilation": (1, 1), "padding": (0, 0, 0, 0)},
               weight=b.rand(2, 1, 1, expand), bias=b.rand(2))
    return b.output(out), split


def test_reorder_banded_stack_is_lowest_of_all_orders_s8_host():
    graph, split = _stack(9, 7, 8)
    banded = _compile(graph, CompileOptions(lower_peak=False, tile=(split, "bands", 2)))
    assert banded.meta["tile"]["applied"] and banded.meta["tile"]["mode"] == "bands"
    choice = banded.meta["order"]
    assert choice.peak == order_peak(banded) <= choice.original_peak
    orders = list(topological_orders(banded))
    best = min(order_peak(banded, order) for order in orders)
    assert len(orders) > 1 and choice.peak == min(best, choice.original_peak), (choice, best, len(orders))


def test_reorder_banded_never_above_band_order_s8_host():
    for h, w, expand, bands in ((17, 11, 16, 3), (21, 9, 24, 5), (15, 15, 8, 4)):
        graph, split = _stack(h, w, expand)
        banded = _compile(graph, CompileOptions(lower_peak=False, tile=(split, "bands", bands)))
        choice = banded.meta["order"]
        assert choice.peak == order_peak(banded) <= choice.original_peak, (h, w, expand, bands, choice)
