"""examples/deepcomp (issue 73, Deep Compression's whole pipeline on the digits CNN): the shipped
models are pruned (70% of each layer's int8 weights exactly 0) and shared (every pruned weight
on the table's 0); built with --weights huffman, the shared layers' indices are coded, the
weights as built shrink at each step (int8 > shared > shared + huffman), top-1 on the test set
(the reference interpreter) stays within 1 point of the int8 model, and the C equals the
reference byte for byte on the host and (slow) on the f746zg stand-in. The entropy-constrained
4-bit model (share_weights(..., entropy=LAMBDA)) codes to at most 0.2x the int8 weights, the
issue's target for the whole pipeline, within a point of int8's accuracy."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from e2e import assert_bit_exact, assert_device_equals_reference, build_host
from tinygen.frontend.torch_loader import to_ir_layout
from tinygen.ref.interpreter import quantize_input, run

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "deepcomp"
needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed")


@pytest.fixture(scope="module")
def deepcomp():
    sys.path.insert(0, str(EXAMPLE))
    import _deepcomp
    yield _deepcomp
    sys.path.remove(str(EXAMPLE))


def _mac(graph):
    return [n for n in graph.nodes if n.kernel and n.param("weight")]


def _test_set(graph, deepcomp):
    _, (x, y) = deepcomp._digits.dataset()
    return [quantize_input(graph, xi[None]) for xi in to_ir_layout(x)], y


def _accuracy(graph, inputs, labels) -> float:
    out = graph.outputs[0]
    return float(np.mean([int(np.argmax(run(graph, q)[out])) == int(t) for q, t in zip(inputs, labels)]))


@pytest.mark.parametrize("bits, ec", [(None, False), (4, False), (4, True)])
def test_shipped_models_are_pruned_and_keep_their_zeros(bits, ec, deepcomp):
    _, graph = deepcomp.compile_for(deepcomp.ec_model_file(bits) if ec else deepcomp.model_file(bits), None, "host")
    for node in _mac(graph):
        w = graph.tensor(node.param("weight"))
        assert np.sum(w.data == 0) >= round(deepcomp.SPARSITY * w.size)  # pruned, plus weights rounding to 0
        if w.codebook is not None:
            assert w.codebook.bits == bits
            idx = w.codebook.indices.reshape(w.shape[0], -1)
            zero = w.data.reshape(w.shape[0], -1) == 0
            for o, row in enumerate(w.codebook.values):             # the zero is in every table
                assert np.all(row[idx[o][zero[o]]] == 0)
    assert sum(graph.tensor(n.param("weight")).codebook is not None for n in _mac(graph)) == (3 if bits else 0)


def test_huffman_build_shrinks_keeps_accuracy_and_equals_reference(deepcomp, tmp_path):
    file = deepcomp.model_file(4)
    _, int8 = deepcomp.compile_for(deepcomp.INT8_MODEL, None, "host")
    _, shared = deepcomp.compile_for(file, None, "host")
    source, coded = deepcomp.compile_for(file, "huffman", "host")
    plain, int8_bytes = deepcomp.graph_weight_bytes(int8)
    assert plain == int8_bytes == sum(int8.tensor(n.param("weight")).size for n in _mac(int8))
    shared_bytes = deepcomp.graph_weight_bytes(shared)[1]
    coded_bytes = deepcomp.graph_weight_bytes(coded)[1]
    assert coded_bytes < shared_bytes < int8_bytes
    huffman = [n for n in coded.nodes if n.attrs.get("weight_coding") == "huffman"]
    assert len(huffman) == 3 and all(coded.tensor(n.param("weight")).codebook is not None for n in huffman)
    inputs, labels = _test_set(coded, deepcomp)
    assert _accuracy(coded, inputs, labels) >= _accuracy(int8, *_test_set(int8, deepcomp)) - 0.01
    assert_bit_exact(coded, build_host(source, coded, tmp_path / "h"), inputs[:4])


def test_entropy_constrained_model_codes_to_a_fifth_of_int8(deepcomp, tmp_path):
    _, int8 = deepcomp.compile_for(deepcomp.INT8_MODEL, None, "host")
    _, kmeans = deepcomp.compile_for(deepcomp.model_file(4), "huffman", "host")
    source, coded = deepcomp.compile_for(deepcomp.ec_model_file(4), "huffman", "host")
    plain = deepcomp.graph_weight_bytes(int8)[0]
    ec_bytes = deepcomp.graph_weight_bytes(coded)[1]
    assert ec_bytes <= 0.2 * plain                                   # the target
    assert ec_bytes < 0.6 * deepcomp.graph_weight_bytes(kmeans)[1]   # k-means' 4-bit indices code longer
    huffman = [n for n in coded.nodes if n.attrs.get("weight_coding") == "huffman"]
    assert len(huffman) == 3
    for n in huffman:                   # 4-bit tables, few entries used: the stored tables stop there
        book = coded.tensor(n.param("weight")).codebook
        packed = coded.tensor(n.param("packed")).data
        assert book.bits == 4 and 1 < packed[3] < 16
    assert deepcomp.coded_entropy(coded)["H"] < 0.6 * deepcomp.coded_entropy(kmeans)["H"]
    inputs, labels = _test_set(coded, deepcomp)
    assert _accuracy(coded, inputs, labels) >= _accuracy(int8, *_test_set(int8, deepcomp)) - 0.01
    assert_bit_exact(coded, build_host(source, coded, tmp_path / "h"), inputs[:4])


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("ec", [False, True])
def test_huffman_build_on_standin_equals_reference(ec, deepcomp, tmp_path):
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device

    board = get_board("f746zg")
    source, graph = deepcomp.compile_for(deepcomp.ec_model_file(4) if ec else deepcomp.model_file(4), "huffman",
                                         "f746zg")
    # a block at a time: the convs' decoded weights would raise the arena far more than the
    # instructions they save are worth (lower_peak's exchange rate), on the widening direct core
    # (channels multiples of 4); the one-row layer's codes decoded into its multiply-accumulates
    assert {n.kernel for n in graph.nodes if n.attrs.get("weight_coding")} == {
        "tg_conv2d_widen_huffman_s8_dsp", "tg_fully_connected_batch1_huffman_s8_dsp"}
    assert {c["instead_of"] for c in graph.meta["lower_peak"]} == {"tg_conv2d_rows3_huffman_decode_s8_dsp"}
    project = build(source, graph, board, tmp_path / "fw").out_dir
    inputs, _ = _test_set(graph, deepcomp)
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(inputs[:2]):
            assert_device_equals_reference(dev, graph, x, f"deepcomp4 test image {i}")


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("specialized", [True, False])
def test_lut_build_decodes_a_block_at_a_time_on_standin(specialized, deepcomp, tmp_path):
    """The shared 4-bit model (LUT kernels, no coding): its decoded convs would raise the arena
    several times over, so lower_peak puts them on tg_conv2d_widen_lut_s8_dsp (4 channels decoded
    at a time for tg_conv2d_widen_s8_dsp's core), which the decoding kernels name leaner; equal to
    the reference layer by layer on the f746zg stand-in, specialized and through the entry point."""
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device
    from tinygen.kernels.lut_table import WIDEN, widen_scratch

    board = get_board("f746zg")
    source, graph = deepcomp.compile_for(deepcomp.model_file(4), None, "f746zg")
    convs = [n for n in _mac(graph) if n.op == "conv2d" and graph.tensor(n.param("weight")).codebook is not None]
    assert len(convs) == 2 and {n.kernel for n in convs} == {WIDEN}
    assert {c["kernel"] for c in graph.meta["lower_peak"]} == {WIDEN}
    assert all(c["arena_after"] < c["arena_before"] for c in graph.meta["lower_peak"])
    assert all(n.scratch_bytes == widen_scratch(n.attrs["kparams"]) for n in convs)
    graph.meta["specialize"] = specialized
    project = build(source, graph, board, tmp_path / "fw").out_dir
    assert ("tg_conv2d_widen_lut_s8_dsp_inline(" in (project / "model.c").read_text()) == specialized
    inputs, _ = _test_set(graph, deepcomp)
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(inputs[:2]):
            assert_device_equals_reference(dev, graph, x, f"deepcomp4 lut test image {i}")
