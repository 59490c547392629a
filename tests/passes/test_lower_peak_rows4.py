"""The 4-pixel conv kernels in place on MLPerf KWS (passes/inplace.py, ROWS4).

--kernels auto picks the 4-pixel kernels for KWS's pointwise layers (on the F446RE
tg_conv2d_rows4_w16_s8_dsp, its constants in RAM; tg_conv2d_rows4_pair_s8_dsp runs the same loops);
with an in-place distance the kernel writes each layer's output over its input, so
lower_peak keeps it (it swapped it for the 3-row kernel while the 4-pixel kernels could not run in
place) and the arena stays near the default build's. The firmware on the F446RE stand-in equals the
numpy reference layer by layer.
"""

from __future__ import annotations

import numpy as np

from e2e import assert_device_equals_reference
from mlperf_models import mlperf_model
from standin_lib import needs_qemu
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.passes import CompileOptions
from tinygen.passes.inplace import DISTANCE
from tinygen.passes.plan_memory import align

ROWS4 = "tg_conv2d_rows4_w16_s8_dsp"


@needs_qemu
def test_lower_peak_keeps_rows4_in_place_on_kws_f446re_standin(tmp_path):
    from tinygen.hil.target import open_device
    from tinygen.ref.interpreter import quantize_input

    board = get_board("f446re")
    source = load_source(mlperf_model("kws_dscnn"))
    plain = compile_source(source, None, CompileOptions(features=board.isa_features))
    pointwise = [n.name for n in plain.nodes if n.op == "conv2d" and n.name != "conv2d_0"]
    graph = compile_source(source, None, CompileOptions(features=board.isa_features,
                                                        kernel_choice={name: ROWS4 for name in pointwise}))
    assert len(pointwise) == 4 and all(graph.node(name).kernel == ROWS4 for name in pointwise)
    assert not {c["node"] for c in graph.meta.get("lower_peak", [])} & set(pointwise)
    plan = graph.meta["memory"]
    # within one pointwise output (8,000 B) of the default build's (the 3-row kernel's) arena: each
    # output over its input (a larger distance, 192 B for 128 B, and more scratch; not apart from it)
    assert plan.arena_size < plain.meta["memory"].arena_size + graph.tensors[graph.node(pointwise[0]).outputs[0]].nbytes
    shares = {(s.output, s.input): s.distance for s in plan.shares}
    for name in pointwise:
        node = graph.node(name)
        out, inp = node.outputs[0], node.inputs[0]
        d = DISTANCE[ROWS4](node.attrs["kparams"])
        assert d == 3 * 64                # 125 pixels: the last block rereads 3 pixels the one before wrote
        assert shares[out, inp] == align(d)
        assert plan.offsets[out] + graph.tensors[out].nbytes > plan.offsets[inp] >= plan.offsets[out] + align(d)
    project = build(source, graph, board, tmp_path / "fw").out_dir
    rng = np.random.default_rng(4)
    with open_device(board, project, emulate=True) as dev:
        for i in range(2):
            x = quantize_input(graph, source.to_graph_layout(rng.standard_normal(graph.tensors[graph.inputs[0]].shape)
                                                             .astype(np.float32)))
            assert_device_equals_reference(dev, graph, x, f"kws input {i}")
