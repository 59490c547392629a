"""Row bands with cached halos (passes/band.py): the banded graph computes what the
unbanded one does, byte for byte (integer reference interpreter), on property-drawn
stacks, and computes no MAC twice."""

import numpy as np
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from test_tile import SETTINGS, _assert_same, _compile, stacks
from tinygen.analysis import total_macs
from tinygen.passes import CompileOptions
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
