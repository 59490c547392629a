"""Row bands with cached halos (passes/band.py): the banded graph computes what the
unbanded one does, byte for byte (integer reference interpreter), on property-drawn
stacks, and computes no MAC twice."""

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from e2e import assert_device_equals_reference
from mlperf_models import mlperf_model
from test_kernels_dsp import needs_qemu
from test_tile import SETTINGS, _assert_same, _compile, stacks
from tinygen.analysis import total_macs
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
def test_band_vww_on_f746zg_standin(tmp_path):
    """The generated firmware of a banded graph: MLPerf VWW's stage up to depthwise_conv2d_7
    (after the 24x24x32 layers) in 12 row bands (halo copies, pieces written in place, the
    input read from its own buffer outside the arena) builds -Werror clean and equals the
    unbanded model on the Cortex-M7 stand-in, every layer and the output."""
    from tinygen.board import get_board
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.hil.target import open_device

    board = get_board("f746zg")
    source = load_source(mlperf_model("vww_mobilenet"))
    plain = compile_source(source, None, CompileOptions(features=board.isa_features))
    banded = compile_source(source, None, CompileOptions(features=board.isa_features,
                                                         tile=("depthwise_conv2d_7", "bands", 12)))
    assert banded.meta["tile"]["applied"] and banded.meta["tile"]["extra_macs"] == 0
    assert banded.meta[INPUT_OUTSIDE_ARENA] == banded.inputs[0]
    assert banded.meta["memory"].joined                # the band buffers' concats copy nothing
    project = build(source, banded, board, tmp_path / "out").out_dir
    x = np.random.default_rng(0).integers(-128, 128, banded.tensor(banded.inputs[0]).shape, dtype=np.int8)
    # the banded reference equals the unbanded one at the split tensor and the output, and the
    # device equals the banded reference at every layer
    _assert_same(run(plain, x, keep_all=True), run(banded, x, keep_all=True), ["depthwise_conv2d_7"] + plain.outputs)
    with open_device(board, project, emulate=True) as dev:
        assert_device_equals_reference(dev, banded, x, "banded VWW")
