"""Patch-based inference (passes/tile.py): the tiled graph computes what the untiled one
does, byte for byte (integer reference interpreter), on property-drawn stacks; the
choice leaves a model untiled, saying why, where tiling cannot lower the peak."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from e2e import assert_device_equals_reference
from mlperf_models import mlperf_model
from pass_lib import Builder
from standin_lib import needs_qemu
from tinygen.passes import CompileOptions, compile_graph
from tinygen.passes.tile import tile_lines
from tinygen.passes.tile_geometry import stage_of
from tinygen.ref.interpreter import run

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def _out(n: int, k: int, s: int, d: int, before: int, after: int) -> int:
    return (n + before + after - d * (k - 1) - 1) // s + 1


@st.composite
def layer(draw, c: int):
    """(op, attrs, kernel, out channels) of one layer on c channels."""
    op = draw(st.sampled_from(["conv2d", "depthwise_conv2d", "max_pool2d", "avg_pool2d", "residual"]))
    k = draw(st.sampled_from([1, 2, 3, 5])) if op != "residual" else 3
    s = draw(st.sampled_from([1, 1, 2]))
    d = draw(st.sampled_from([1, 1, 2])) if op in ("conv2d", "depthwise_conv2d") else 1
    kind = draw(st.sampled_from(["same", "valid", "asymmetric"]))
    if op == "residual":                                     # conv 3x3 same + add: shape kept
        s, d, kind = 1, 1, "same"
    span = d * (k - 1)
    pad = {"same": (span // 2, span - span // 2) * 2, "valid": (0, 0, 0, 0),
           "asymmetric": (0, min(span, 2), min(span, 1), 0)}[kind]
    if op in ("max_pool2d", "avg_pool2d"):
        pad = tuple(min(p, k // 2) for p in pad)             # a pool's padding is at most half its window
        return op, {"kernel": (k, k), "stride": (s, s), "padding": pad,
                    **({"count_include_pad": draw(st.booleans())} if op == "avg_pool2d" else {})}, k, c
    out_c = draw(st.sampled_from([2, 3, 5])) if op in ("conv2d", "residual") else c
    if op == "residual":
        out_c = c
    return op, {"stride": (s, s), "dilation": (d, d), "padding": pad}, k, out_c


@st.composite
def stacks(draw):
    """A float graph: input -> a few drawn layers (the stage) -> a 1x1 conv head; the split tensor."""
    h, w = draw(st.integers(9, 17)), draw(st.integers(9, 17))
    c = draw(st.sampled_from([1, 3, 4]))
    b = Builder("stack", seed=draw(st.integers(0, 2**16)))
    x = b.input((1, h, w, c))
    for i in range(draw(st.integers(1, 4))):
        op, attrs, k, out_c = draw(layer(c))
        kh = k
        pt, pb, pl, pr = attrs["padding"]
        s, d = attrs["stride"][0], attrs.get("dilation", (1, 1))[0]
        oh, ow = _out(h, kh, s, d, pt, pb), _out(w, k, s, d, pl, pr)
        if oh < 2 or ow < 2:
            continue
        shape = (1, oh, ow, out_c)
        if op in ("max_pool2d", "avg_pool2d"):
            x = b.op(op, [x], shape, name=f"l{i}", attrs=attrs)
        elif op == "depthwise_conv2d":
            x = b.op(op, [x], shape, name=f"l{i}", attrs={**attrs, "depth_multiplier": 1},
                     weight=b.rand(1, k, k, c), bias=b.rand(c))
        elif op == "conv2d":
            x = b.op(op, [x], shape, name=f"l{i}", attrs={**attrs, "activation": (0.0, 6.0)},
                     weight=b.rand(out_c, k, k, c), bias=b.rand(out_c))
        else:
            y = b.op("conv2d", [x], shape, name=f"l{i}c", attrs={**attrs, "activation": (0.0, 6.0)},
                     weight=b.rand(c, k, k, c), bias=b.rand(c))
            x = b.op("add", [x, y], shape, name=f"l{i}")
        h, w, c = oh, ow, out_c
    split = x
    out = b.op("conv2d", [x], (1, h, w, 2), name="head",
               attrs={"stride": (1, 1), "dilation": (1, 1), "padding": (0, 0, 0, 0)},
               weight=b.rand(2, 1, 1, c), bias=b.rand(2))
    gh = draw(st.integers(1, min(4, h)))
    gw = draw(st.integers(1 if gh > 1 else 2, min(4, w)))
    return b.output(out), split, (gh, gw)


def _compile(graph, options=None, seed=0):
    rng = np.random.default_rng(seed)
    calib = rng.uniform(-1, 1, (8,) + graph.tensor(graph.inputs[0]).shape[1:]).astype(np.float32)
    return compile_graph(graph, calib, options or CompileOptions(lower_peak=False))


def _assert_same(a, b, names):
    for name in names:
        diff = np.flatnonzero(a[name].reshape(-1) != b[name].reshape(-1))
        assert diff.size == 0, f"{name}: first differing flat indices {diff[:8].tolist()}"


@SETTINGS
@given(stacks())
def test_tile_s8_host(case):
    graph, split, grid = case
    if split == graph.inputs[0]:
        return                                          # every layer was too small: no stage
    compiled = _compile(graph.copy(), CompileOptions(lower_peak=False, tile=(split, grid)))
    untiled = _compile(graph, CompileOptions(lower_peak=False))
    assert compiled.meta["tile"]["applied"]
    tiled_ops = [n for n in compiled.nodes if n.attrs.get("tile_of")]
    assert len(tiled_ops) == grid[0] * grid[1] * len(stage_of(untiled, split))
    x = np.random.default_rng(1).integers(-128, 128, untiled.tensor(untiled.inputs[0]).shape, dtype=np.int8)
    a, b = run(untiled, x, keep_all=True), run(compiled, x, keep_all=True)
    _assert_same(a, b, [split] + untiled.outputs)


def test_tile_s8_peak_in_last_layers_left_untiled():
    b = Builder("tail_heavy")
    conv = {"stride": (1, 1), "dilation": (1, 1), "padding": (0, 0, 0, 0)}
    x = b.input((1, 4, 4, 1))
    x = b.op("conv2d", [x], (1, 4, 4, 2), name="c1", attrs=conv, weight=b.rand(2, 1, 1, 1), bias=b.rand(2))
    x = b.op("conv2d", [x], (1, 4, 4, 64), name="c2", attrs=conv, weight=b.rand(64, 1, 1, 2), bias=b.rand(64))
    x = b.op("conv2d", [x], (1, 4, 4, 64), name="head", attrs=conv, weight=b.rand(64, 1, 1, 64), bias=b.rand(64))
    graph = _compile(b.output(x), CompileOptions(lower_peak=False, tile="auto"))
    info = graph.meta["tile"]
    assert not info["applied"]
    assert "peak is in the last layers" in info["why"] and "head" in info["why"]
    assert not any(n.attrs.get("tile_of") for n in graph.nodes)
    assert tile_lines(graph) == [f"tiling: not applied: {info['why']}"]


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("board_name", ["f746zg", "stm32n6570-dk"])
def test_tile_ic_first_conv_on_standin(board_name, tmp_path):
    """The generated firmware of a tiled graph: IC's first convolution as 2x2 tiles (slices,
    the conv per tile, concats) builds -Werror clean and equals the untiled model on the
    Cortex-M7 stand-in and the Cortex-M55's (its Helium kernels, the tiles sharing one packed
    constant), every layer and the output."""
    from tinygen.board import get_board
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.hil.target import open_device

    model = mlperf_model("ic_resnet8")
    board = get_board(board_name)
    source = load_source(model)
    untiled = compile_source(source, None, CompileOptions(features=board.isa_features))
    split = untiled.nodes[0].outputs[0]
    tiled = compile_source(source, None, CompileOptions(features=board.isa_features, tile=(split, (2, 2))))
    assert tiled.meta["tile"]["applied"] and sum(1 for n in tiled.nodes if n.attrs.get("tile_of")) == 4
    if "mve" in board.isa_features:
        assert len({n.param("packed") for n in tiled.nodes if n.attrs.get("tile_of")}) == 1
    project = build(source, tiled, board, tmp_path / "out").out_dir
    x = np.random.default_rng(0).integers(-128, 128, tiled.tensor(tiled.inputs[0]).shape, dtype=np.int8)
    want = run(untiled, x)
    with open_device(board, project, emulate=True) as dev:
        assert_device_equals_reference(dev, tiled, x, "tiled IC")
        raw, _ = dev.run(x.tobytes())
    expected = np.concatenate([want[name].ravel() for name in untiled.outputs])
    assert np.array_equal(np.frombuffer(raw, np.int8), expected)
