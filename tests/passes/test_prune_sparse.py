"""The connection-sparse pointwise conv tg_conv2d_sparse_s8 (issue 7, pruned models):
its C on the host (ctypes) and on the f746zg stand-in equals its numpy twin and the
dense convolution on odd shapes; the compiler picks it only below the measured break-even
density of the target's core (tinygen/kernels/table.py SPARSE_BREAK_EVEN)."""

from __future__ import annotations

import ctypes
import shutil

import numpy as np
import pytest
import torch
from torch import nn

from e2e import assert_bit_exact, assert_device_equals_reference, build_host
from kernel_lib import KernelLib, assert_same, build as build_kernels
from test_prune import source_of
from tinygen.board import get_board
from tinygen.compiler import build, compile_source
from tinygen.kernels import table
from tinygen.passes import CompileOptions
from tinygen.ref.kernels import conv2d_s8
from tinygen.ref.sparse import conv2d_sparse_s8, dense_weights, density, sparse_records

SPARSE = "tg_conv2d_sparse_s8"
needs_qemu = pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed")


@pytest.fixture(scope="module")
def lib(tmp_path_factory) -> KernelLib:
    return KernelLib(build_kernels(tmp_path_factory.mktemp("kernels")))


def _case(rng, h: int, w: int, in_c: int, out_c: int, d: float):
    weights = rng.integers(-127, 128, (out_c, 1, 1, in_c)) * (rng.random((out_c, 1, 1, in_c)) < d)
    weights[0] = 0                                   # a filter with no weights left
    if out_c > 2:
        weights[-1] = rng.integers(1, 128, in_c)     # and a dense one
    p = {"in_h": h, "in_w": w, "in_c": in_c, "out_h": h, "out_w": w, "out_c": out_c, "kernel_h": 1, "kernel_w": 1,
         "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1, "pad_top": 0, "pad_left": 0,
         "depth_multiplier": 1, "input_offset": int(rng.integers(-127, 129)),
         "output_offset": int(rng.integers(-128, 128)), "act_min": -128, "act_max": 127}
    x = rng.integers(-128, 128, (h, w, in_c)).astype(np.int8)
    bias = rng.integers(-5000, 5000, out_c).astype(np.int32)
    mult = rng.integers(1 << 30, (1 << 31) - 1, out_c).astype(np.int32)
    shift = rng.integers(-9, -5, out_c).astype(np.int32)
    return p, x, weights.astype(np.int8), bias, mult, shift


SHAPES = [(1, 1, 1, 1, 0.5), (3, 5, 7, 13, 0.3), (2, 3, 33, 5, 0.1), (5, 1, 64, 17, 0.6), (4, 4, 3, 2, 0.9)]


@pytest.mark.parametrize("h,w,in_c,out_c,d", SHAPES)
def test_conv2d_sparse_s8_host(lib, h, w, in_c, out_c, d):
    rng = np.random.default_rng(in_c * 100 + out_c)
    p, x, weights, bias, mult, shift = _case(rng, h, w, in_c, out_c, d)
    packed = sparse_records(p, {"weight": weights})
    assert packed.dtype == np.int16 and packed.size == out_c + 2 * np.count_nonzero(weights)
    assert np.array_equal(dense_weights(p, packed), weights)
    want = conv2d_sparse_s8(p, x, packed, bias, mult, shift)
    assert np.array_equal(want, conv2d_s8(p, x, weights, bias, mult, shift))
    shift8 = shift.astype(np.int8)         # as tinygen's kernels store it (KernelSpec.stored_dtype)
    for b in (bias, None):
        out = np.zeros(h * w * out_c, np.int8)
        s = lib._params("tg_conv2d_params_t", p)
        lib.lib.tg_conv2d_sparse_s8(
            ctypes.byref(s), x.ctypes.data_as(ctypes.POINTER(ctypes.c_int8)),
            packed.ctypes.data_as(ctypes.POINTER(ctypes.c_int16)),
            None if b is None else b.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)),
            mult.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)), shift8.ctypes.data_as(ctypes.POINTER(ctypes.c_int8)),
            out.ctypes.data_as(ctypes.POINTER(ctypes.c_int8)))
        assert_same(conv2d_sparse_s8(p, x, packed, b, mult, shift).ravel(), out)


def sparse_chain(densities, in_c: int = 7, hw: tuple[int, int] = (5, 3), seed: int = 0):
    """1x1 convs in_c -> in_c + 6 -> ..., layer k keeping densities[k] of its weights (per
    output channel its own input channels)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    layers, c = [], in_c
    for d in densities:
        conv = nn.Conv2d(c, c + 6, 1)
        with torch.no_grad():
            keep = rng.random(conv.weight.shape[:2]) < d
            keep[np.arange(c + 6), rng.integers(0, c, c + 6)] = True       # no filter left empty
            conv.weight.mul_(torch.from_numpy(keep).float()[:, :, None, None])
        layers += [conv, nn.ReLU()]
        c += 6
    return source_of(nn.Sequential(*layers).eval(), (1, in_c, *hw), seed)


def test_sparse_chosen_only_below_break_even(monkeypatch):
    monkeypatch.setitem(table.SPARSE_BREAK_EVEN, "cortex-m7", 0.45)
    source = sparse_chain((0.2, 0.4, 0.7, 1.0))
    graph = compile_source(source, None, CompileOptions(features=get_board("f746zg").isa_features))
    convs = [n for n in graph.nodes if n.op == "conv2d"]
    for node in convs:
        d = density(graph.const(node, "weight"))
        assert (node.kernel == SPARSE) == (d < 0.45), (node.name, d, node.kernel)
    assert [n.kernel == SPARSE for n in convs] == [True, True, False, False]


def test_recorded_break_even_is_used():
    """With the recorded thresholds: a layer at 5% density gets the sparse kernel exactly
    where that core's threshold is above 5%, a dense layer never does."""
    source = sparse_chain((0.05, 1.0))
    for board, core in (("f746zg", "cortex-m7"), ("f446re", "cortex-m4"), ("host", "portable")):
        graph = compile_source(source, None, CompileOptions(features=get_board(board).isa_features))
        kernels = [n.kernel for n in graph.nodes if n.op == "conv2d"]
        d = density(graph.const(next(n for n in graph.nodes if n.op == "conv2d"), "weight"))
        assert (kernels[0] == SPARSE) == (d < table.SPARSE_BREAK_EVEN[core]), board
        assert kernels[1] != SPARSE


def test_sparse_model_on_host_equals_reference(monkeypatch, tmp_path):
    monkeypatch.setitem(table.SPARSE_BREAK_EVEN, "portable", 1.01)
    source = sparse_chain((0.15, 0.5, 0.9), seed=4)
    graph = compile_source(source, None, CompileOptions())
    assert all(n.kernel == SPARSE for n in graph.nodes if n.op == "conv2d")
    monkeypatch.setitem(table.SPARSE_BREAK_EVEN, "portable", 0.0)
    dense = compile_source(source, None, CompileOptions())
    assert not any(n.kernel == SPARSE for n in dense.nodes)
    host = build_host(source, graph, tmp_path / "h")
    rng = np.random.default_rng(1)
    xs = [rng.integers(-128, 128, (1, 5, 3, 7)).astype(np.int8) for _ in range(4)]
    assert_bit_exact(dense, host, xs)          # the dense model's reference == the sparse model's C


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_sparse_model_on_standin_equals_reference(board, monkeypatch, tmp_path):
    from tinygen.hil.target import open_device

    b = get_board(board)
    monkeypatch.setitem(table.SPARSE_BREAK_EVEN, {"f746zg": "cortex-m7", "f446re": "cortex-m4"}[board], 1.01)
    source = sparse_chain((0.1, 0.35, 0.8), seed=9)
    # lower_peak off: it would take the in-place DSP kernel for the last conv (a smaller arena)
    graph = compile_source(source, None, CompileOptions(features=b.isa_features, lower_peak=False))
    assert all(n.kernel == SPARSE for n in graph.nodes if n.op == "conv2d")
    project = build(source, graph, b, tmp_path / "fw").out_dir
    rng = np.random.default_rng(2)
    with open_device(b, project, emulate=True) as dev:
        for i in range(3):
            x = rng.integers(-128, 128, (1, 5, 3, 7)).astype(np.int8)
            assert_device_equals_reference(dev, graph, x, f"{board} {i}")
