"""arm_batch_matmul_s8 behind --kernels cmsis-nn and --kernels auto (tg_batch_matmul_s8_cmsis_nn,
firmware/cmsis_nn/), against the CMSIS-NN tree at $CMSIS_NN_PATH: chosen for every batch matmul,
its transposing scratch as its formula says, and on the f746zg stand-in every layer of a
transformer encoder block equal to the numpy reference, and the .tflite attention cases
(an adjoint lhs, a transposed rhs, broadcast batches) equal to TFLite Micro.
"""

from __future__ import annotations

import os
import zlib

import numpy as np
import pytest
import torch

from attention_lib import EncoderBlock, op_node, seeded
from e2e import assert_device_equals_reference, first_difference
from standin_lib import needs_qemu
from tflite_attention_cases import CASES
from tflite_builder import ModelBuilder
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.kernels.cmsis_nn import batch_matmul_scratch
from tinygen.kernels.cmsis_nn_tree import ENV
from tinygen.passes import CompileOptions
from tinygen.passes.choose_kernels import kernel_candidates
from tinygen.ref.interpreter import quantize_input

TREE = os.environ.get(ENV)
needs_tree = pytest.mark.skipif(not TREE, reason=f"needs a CMSIS-NN tree: set {ENV} (source .ci/third_party.sh)")
CMSIS = frozenset({"dsp", "cmsis-nn"})


@pytest.mark.parametrize("adj_x, adj_y", [(False, True), (False, False), (True, True), (True, False)])
def test_batch_matmul_cmsis_nn_candidates_and_scratch(adj_x, adj_y):
    """Under cmsis-nn the adapter is the only choice, under auto one candidate beside the DSP and
    portable kernels; its scratch holds the operands CMSIS-NN needs transposed."""
    lhs = (2, 12, 5) if adj_x else (2, 5, 12)
    rhs = (2, 7, 12) if adj_y else (2, 12, 7)
    g, node = op_node("batch_matmul", [lhs, rhs], (2, 5, 7), [(0.1, 3), (0.05, -2), (0.2, 1)],
                      {"adj_x": adj_x, "adj_y": adj_y}, features=CMSIS, kernels="cmsis-nn")
    assert node.kernel == "tg_batch_matmul_s8_cmsis_nn"
    assert node.scratch_bytes == (7 * 12 * (not adj_y) if not adj_x else (7 + 5) * 12)
    assert node.scratch_bytes == batch_matmul_scratch(node.attrs["kparams"])
    names = [k.name for k in kernel_candidates(g, node, CMSIS, "auto")]
    assert names == ["tg_batch_matmul_s8_dsp", "tg_batch_matmul_s8", "tg_batch_matmul_s8_cmsis_nn"]


def _block(tmp_path, causal: bool):
    torch.manual_seed(0)
    net = seeded(EncoderBlock(causal=causal), 2)
    x = torch.randn(1, 8, 64)
    torch.export.save(torch.export.export(net, (x,)), tmp_path / "block.pt2")
    np.save(tmp_path / "calib.npy", np.random.default_rng(0).standard_normal((32, 8, 64)).astype(np.float32))
    return load_source(tmp_path / "block.pt2")


@needs_tree
@needs_qemu
@pytest.mark.parametrize("causal", [False, True])
def test_cmsis_nn_encoder_block_f746zg_standin(causal, tmp_path):
    """The encoder block with --kernels cmsis-nn: both batch matmuls (q k^T in CMSIS-NN's layout,
    softmax v with v transposed into scratch) by arm_batch_matmul_s8, every layer == reference."""
    from tinygen.hil.target import open_device

    board = get_board("f746zg")
    source = _block(tmp_path, causal)
    graph = compile_source(source, str(tmp_path / "calib.npy"),
                           CompileOptions(features=board.isa_features, kernels="cmsis-nn", cmsis_nn=TREE))
    matmuls = [n for n in graph.nodes if n.op == "batch_matmul"]
    assert len(matmuls) == 2 and {n.kernel for n in matmuls} == {"tg_batch_matmul_s8_cmsis_nn"}
    assert [n.scratch_bytes for n in matmuls] == [0, 16 * 8]
    project = build(source, graph, board, tmp_path / "fw").out_dir
    rng = np.random.default_rng(5)
    with open_device(board, project, emulate=True) as dev:
        for i in range(3):
            x = quantize_input(graph, source.to_graph_layout(rng.standard_normal((1, 8, 64)).astype(np.float32)))
            assert_device_equals_reference(dev, graph, x, f"input {i}")


@needs_tree
@needs_qemu
def test_cmsis_nn_tflite_attention_equals_tflm(tmp_path):
    """.tflite attention heads and an adjoint lhs through arm_batch_matmul_s8 == TFLite Micro."""
    from tflite_refs import tflm_run      # (skips where TFLite Micro is not installed)

    from tinygen.hil.target import open_device

    board = get_board("f746zg")
    for name in ("attention_heads", "batch_matmul_adj_x"):
        b = ModelBuilder()
        ins, outs = CASES[name].build(b, np.random.default_rng(zlib.crc32(name.encode())))
        data = b.finish(ins, outs)
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(data)
        source = load_source(path)
        graph = compile_source(source, options=CompileOptions(features=board.isa_features, kernels="cmsis-nn",
                                                              cmsis_nn=TREE))
        assert {n.kernel for n in graph.nodes if n.op == "batch_matmul"} == {"tg_batch_matmul_s8_cmsis_nn"}
        project = build(source, graph, board, tmp_path / f"fw_{name}").out_dir
        rng = np.random.default_rng(2)
        xs = [rng.integers(-128, 128, size=source.input_shape).astype(np.int8) for _ in range(3)]
        with open_device(board, project, emulate=True) as dev:
            for x, want in zip(xs, tflm_run(data, xs)):
                raw, _ = dev.run(x.tobytes())
                got = np.frombuffer(raw, np.int8)
                assert np.array_equal(got, want.ravel()), f"{name}: {first_difference(want.ravel(), got)}"
