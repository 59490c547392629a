"""The loop over a tiled or banded stage in the generated code (codegen/tile_loop.py): the
copies of a layer share one function per shape, the layers run from a step table, and a
banded input can stream in band window by band window (tg_model_invoke_band)."""

import re

import numpy as np

from mlperf_models import mlperf_model
from tinygen.board import get_board
from tinygen.codegen.emit import project_data
from tinygen.compiler import compile_source, load_source
from tinygen.passes import CompileOptions
from tinygen.passes.plan_memory import STREAM_INPUT
from tinygen.ref.interpreter import run


def _compile(name: str, tile):
    """An MLPerf model as `tinygen build --board f746zg` compiles it (DSP kernels, specialized)."""
    features = get_board("f746zg").isa_features
    return compile_source(load_source(mlperf_model(name)), None, CompileOptions(features=features, tile=tile))


def _loop(graph):
    data = project_data(graph, "m", "h", "v")
    return data, data["tile_loop"]


def test_band_copies_share_functions_vww():
    """VWW's stage in 4 bands: far fewer functions than layers; every step runs a defined
    function on a tile that function has; specialized kernels keep constant parameters."""
    graph = _compile("vww_mobilenet", ("conv2d_8", "bands", 4))
    data, loop = _loop(graph)
    names = {f.name: f for f in loop.functions}
    kernels = [n for n in graph.nodes if n.kernel]
    assert len(loop.steps) == len(kernels) and len(names) < len(kernels) / 2
    tiles = {}
    for step, node in zip(loop.steps, kernels):
        assert step.name == re.sub(r"\W", "_", node.name) and step.function in names
        tiles.setdefault(step.function, set()).add(step.arg)
    for name, used in tiles.items():
        assert used == set(range(len(used))), f"{name}: tiles {sorted(used)}"
        body = "\n".join(names[name].body)
        if len(used) > 1:
            assert f"{name}_at[tile]" in body or "planned in place" in body
        if names[name].specialized:
            assert f"&{name}_params," in body, "a specialized kernel's parameters come from a table"
    assert loop.bands == 4 and loop.windows[0][0] == 0 and loop.windows[-1][1] == 96
    assert all(a[0] <= b[0] and a[1] <= b[1] for a, b in zip(loop.windows, loop.windows[1:]))
    assert max(e - f for f, e in loop.windows) == loop.window_rows < 96


def test_tile_copies_share_functions():
    """Recompute tiles (2x2) run from the step table too, without the band API."""
    graph = _compile("ic_resnet8", ("conv2d_0", (2, 2)))
    _, loop = _loop(graph)
    assert loop is not None and loop.bands == 0
    assert len({f.name for f in loop.functions}) < len(loop.steps)


def test_streamed_input_host(tmp_path):
    """The example MobileNet's stage up to dwconv_9 in 3 bands with the input streamed in: the
    input buffer holds one band's window, and feeding the windows band by band equals the
    reference; tg_model_invoke() refuses (it cannot place the rows)."""
    from e2e import build_host, example_source, random_inputs

    source = example_source("mobilenet")
    graph = compile_source(source, options=CompileOptions(tile=("dwconv_9", "bands", 3)))
    graph.meta[STREAM_INPUT] = True
    host = build_host(source, graph, tmp_path / "host")
    bands = host.manifest["input_bands"]
    h, w, c = graph.tensor(graph.inputs[0]).shape[1:]
    assert bands["streamed"] and bands["row_bytes"] == w * c and bands["window_rows"] < h
    model_c = (tmp_path / "host" / "model.c").read_text()
    assert "tg_input_buffer[TG_MODEL_INPUT_WINDOW_BYTES]" in model_c
    assert f"#define TG_MODEL_INPUT_WINDOW_ROWS {bands['window_rows']}" in (tmp_path / "host" / "model.h").read_text()
    for x in random_inputs(source, graph, 2, seed=5):
        want = run(graph, x)
        got = host.invoke(x)
        for name, out in zip(graph.outputs, got):
            assert np.array_equal(want[name], out)
    assert host._lib.tg_model_invoke() == -1


def test_pinned_tiling_keeps_bands():
    """The flash trade recompiles with the tiling the RAM fit found: row bands stay row bands
    (not a (bands x 1) grid of recompute tiles), and the recompile is the same graph."""
    from tinygen.fit.ram import pinned_tiling

    graph = _compile("vww_mobilenet", ("conv2d_8", "bands", 4))
    assert pinned_tiling(graph) == ("conv2d_8", "bands", 4)
    again = _compile("vww_mobilenet", pinned_tiling(graph))
    assert again.meta["memory"].arena_size == graph.meta["memory"].arena_size
    assert [n.name for n in again.nodes] == [n.name for n in graph.nodes]
    tiled = _compile("vww_mobilenet", ("conv2d_2", (2, 2)))
    assert pinned_tiling(tiled) == ("conv2d_2", (2, 2))
