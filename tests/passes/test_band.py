"""Row bands with cached halos (passes/band.py): the banded graph computes what the
unbanded one does, byte for byte (integer reference interpreter), on property-drawn
stacks, and computes no MAC twice."""

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from e2e import assert_device_equals_reference
from mlperf_models import mlperf_model
from pass_lib import Builder
from standin_lib import needs_qemu
from test_tile import SETTINGS, _assert_same, _compile, stacks
from tinygen.passes.analysis import total_macs
from tinygen.passes import CompileOptions
from tinygen.passes.plan_memory import INPUT_OUTSIDE_ARENA
from tinygen.passes.tile import tile_lines
from tinygen.ref.interpreter import run


@settings(SETTINGS, phases=[Phase.explicit, Phase.generate])      # shrinking compiles for minutes
@given(stacks(), st.integers(2, 6))
def test_band_s8_host(case, bands):
    graph, split, _ = case
    if split == graph.inputs[0]:
        return                                          # every layer was too small: no stage
    bands = min(bands, graph.tensor(split).shape[1])
    banded = _compile(graph.copy(), CompileOptions(lower_peak=False, tile=(split, "bands", bands)))
    plain = _compile(graph, CompileOptions(lower_peak=False))
    info = banded.meta["tile"]
    assert info["applied"] and info["mode"] == "bands" and info["grid"] == (bands, 1)
    # no row computed twice: each layer's band copies compute at most its rows (fewer where a
    # stride skips rows no later layer reads), so no MAC is added
    assert info["extra_macs"] == total_macs(banded) - total_macs(plain) <= 0
    rows: dict[str, int] = {}
    for n in banded.nodes:
        if n.attrs.get("tile_of"):
            rows[n.attrs["tile_of"]] = rows.get(n.attrs["tile_of"], 0) + banded.tensor(n.outputs[0]).shape[1]
    assert rows and all(r <= plain.tensor(plain.node(k).outputs[0]).shape[1] for k, r in rows.items())
    assert rows[plain.producer(split).name] == plain.tensor(split).shape[1]
    assert "row bands" in tile_lines(banded)[0]
    x = np.random.default_rng(1).integers(-128, 128, plain.tensor(plain.inputs[0]).shape, dtype=np.int8)
    a, b = run(plain, x, keep_all=True), run(banded, x, keep_all=True)
    _assert_same(a, b, [split] + plain.outputs)


@pytest.mark.slow
@needs_qemu
@pytest.mark.parametrize("model, split, bands", [("vww_mobilenet", "depthwise_conv2d_7", 12),
                                                 ("ic_resnet8", "add_7", 8)])
def test_band_s8_f746zg_standin(tmp_path, model, split, bands):
    """The generated firmware of a banded graph builds -Werror clean and equals the unbanded
    model on the Cortex-M7 stand-in, every layer and the output: MLPerf VWW's stage up to
    depthwise_conv2d_7 (after the 24x24x32 layers) in 12 row bands, IC's up to its second
    residual block (residual adds inside the stage, the skip sliced) in 8; halo copies, pieces
    written in place, the input read from its own buffer outside the arena."""
    from tinygen.board import get_board
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.hil.target import open_device

    board = get_board("f746zg")
    source = load_source(mlperf_model(model))
    plain = compile_source(source, None, CompileOptions(features=board.isa_features))
    banded = compile_source(source, None, CompileOptions(features=board.isa_features, tile=(split, "bands", bands)))
    assert banded.meta["tile"]["applied"] and banded.meta["tile"]["extra_macs"] == 0
    assert banded.meta[INPUT_OUTSIDE_ARENA] == banded.inputs[0]
    assert banded.meta["memory"].joined                # the band buffers' concats copy nothing
    project = build(source, banded, board, tmp_path / "out").out_dir
    x = np.random.default_rng(0).integers(-128, 128, banded.tensor(banded.inputs[0]).shape, dtype=np.int8)
    # the banded reference equals the unbanded one at the split tensor and the output, and the
    # device equals the banded reference at every layer
    _assert_same(run(plain, x, keep_all=True), run(banded, x, keep_all=True), [split] + plain.outputs)
    with open_device(board, project, emulate=True) as dev:
        assert_device_equals_reference(dev, banded, x, f"banded {model}")


def _joined_graph(extra_reader: bool):
    """input -> two convs (4 and 3 rows) -> concat along H -> 1x1 head; with extra_reader,
    the first piece is also read by a second head (so it cannot live inside the concat)."""
    b = Builder("joined", seed=3)
    conv = {"stride": (1, 1), "dilation": (1, 1), "padding": (0, 0, 0, 0)}
    x = b.input((1, 7, 6, 2))
    top = b.op("conv2d", [x], (1, 7, 6, 2), name="top", attrs=conv, weight=b.rand(2, 1, 1, 2), bias=b.rand(2))
    low = b.op("conv2d", [x], (1, 7, 6, 2), name="low", attrs=conv, weight=b.rand(2, 1, 1, 2), bias=b.rand(2))
    cat = b.op("concat", [top, low], (1, 14, 6, 2), name="cat", attrs={"axis": 1})
    out = b.op("conv2d", [cat], (1, 14, 6, 2), name="head", attrs=conv, weight=b.rand(2, 1, 1, 2), bias=b.rand(2))
    if extra_reader:
        side = b.op("conv2d", [top], (1, 7, 6, 2), name="side", attrs=conv, weight=b.rand(2, 1, 1, 2),
                    bias=b.rand(2))
        return b.output(out, side)
    return b.output(out)


def test_concat_s8_planned_in_place_host():
    """A concat along H of full-width pieces that only it reads copies nothing: each piece's
    offset is its place in the output, the generated layer calls no kernel; a piece read
    elsewhere keeps the concat a copy."""
    from tinygen.codegen.emit import project_data

    graph = _compile(_joined_graph(False))
    plan = graph.meta["memory"]
    top, low = graph.node("cat").inputs
    assert plan.joined == ("cat",)
    assert plan.offsets[top] == plan.offsets["cat"] and plan.offsets[low] == plan.offsets["cat"] + 7 * 6 * 2
    layer = next(la for la in project_data(graph, "m", "h", "v")["layers"] if la.name == "cat")
    assert not any("tg_concat_s8" in line for line in layer.body)
    x = np.random.default_rng(2).integers(-128, 128, (1, 7, 6, 2), dtype=np.int8)
    values = run(graph, x, keep_all=True)
    assert np.array_equal(values["cat"], np.concatenate([values[top], values[low]], axis=1))
    shared = _compile(_joined_graph(True))
    assert shared.meta["memory"].joined == ()
    layer = next(la for la in project_data(shared, "m", "h", "v")["layers"] if la.name == "cat")
    assert any("tg_concat_s8" in line for line in layer.body)


def test_band_s8_host_build(tmp_path):
    """The generated C of a banded model on the host: the example MobileNet's stage up to
    dwconv_9 in 3 bands (input outside the arena, pieces in place) compiles -Werror clean and
    equals the reference, every layer, with the input written through tg_model_input(0)."""
    from e2e import assert_bit_exact, build_host, example_source, random_inputs
    from tinygen.compiler import compile_source

    source = example_source("mobilenet")
    graph = compile_source(source, options=CompileOptions(tile=("dwconv_9", "bands", 3)))
    assert graph.meta[INPUT_OUTSIDE_ARENA] == graph.inputs[0] and graph.meta["memory"].joined
    assert graph.inputs[0] not in graph.meta["memory"].offsets
    assert_bit_exact(graph, build_host(source, graph, tmp_path / "host"), random_inputs(source, graph, 2, seed=4))
