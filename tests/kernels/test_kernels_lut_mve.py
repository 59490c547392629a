"""The shared-weight (LUT) kernels for Helium (firmware/kernels/lut/tg_*_lut_decode_s8_mve.c:
the layer's indices decoded once into the scratch with vector ops and the vector table lookup,
then the int8 MVE kernel) on the Cortex-M55 (stm32n6570-dk, its QEMU stand-in mps3-an547):

- their packed constants hold LUT.md's rows and the int8 MVE kernel's records less the weights
  (tinygen/kernels/lut_mve_pack.py), and the scratch sizes are the C formulas';
- kernel by kernel on the stand-in, 2..6 bits, one table per tensor and per output channel, on
  the MLPerf KWS and IC layer shapes and drawn ones (partial steps of 16, partial blocks of 4,
  runs of indices starting inside a byte), each equals the portable LUT kernel's numpy twin
  byte for byte, and the int8 MVE kernel on the decoded weights;
- the build picks them on the Cortex-M55 for every shared layer (the fused residual add's
  included) and nowhere else, and whole models built with --weights lut:BITS equal the
  reference on the stand-in.
(They compile with the strict flags for the Cortex-M55 with the other MVE kernels:
tests/kernels/test_kernels_mve.py.)
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_lib import assert_same
from standin_lib import needs_qemu
from test_kernels import conv_geometry
from test_kernels_mve import MODELS

from e2e import ROOT, assert_device_equals_reference
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.kernels import mve_pack
from tinygen.kernels.lut_table import LUT_MVE_KERNELS, LUT_NAMES
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.passes import CompileOptions
from tinygen.quant.pack_lut import pack_lut, row_words
from tinygen.quant.weight_spec import parse_weights
from tinygen.ref.interpreter import quantize_input
from tinygen.report.weights import stored_weight_bytes

sys.path.insert(0, str(ROOT / "benchmarks"))
from lut_kernels import (KERNELS, OPS, ROWS, decoding_args, decoding_pair, lut_case, lut_parts,  # noqa: E402
                         mve_args, mve_pair)
from standin_calls import Call, run_calls  # noqa: E402

BOARD = "stm32n6570-dk"
MVE_NAMES = frozenset(spec.name for spec in LUT_MVE_KERNELS)


def test_mve_lut_kernels_are_shared_weight_kernels_requiring_mve():
    for spec in LUT_MVE_KERNELS:
        assert spec.name in LUT_NAMES and spec.requires == frozenset({"mve"})
        assert spec.const_roles == ("packed",)
        # each decodes for an int8 MVE kernel it calls; the one-row 4-bit FC kernels multiply
        # themselves (tests/kernels/test_kernels_lut_pairs_mve.py)
        assert ("_lut_pairs_" in spec.name or "_lut_nibbles_" in spec.name) != bool(spec.calls)
        assert not spec.calls or spec.calls[0] == KERNELS_BY_NAME[spec.calls[0][8:-2]].source


@pytest.mark.parametrize("bits", [2, 3, 5])
@pytest.mark.parametrize("label", list(ROWS))
def test_mve_packed_constant_is_lut_rows_then_records_less_weights(label, bits):
    """The packed constant: LUT.md's (the depthwise row in the records' tap order), then the
    int8 MVE kernel's records with each block's (channel's) weight words left out."""
    op, p = ROWS[label]
    x, cb, b, m, s = lut_parts(op, p, bits, ("tensor", "channel")[bits % 2], bits)
    (_, packed), (_, records) = mve_args(op, p, bits, ("tensor", "channel")[bits % 2], bits)
    records = records.view(np.uint32)
    if op == "depthwise_conv2d":
        lut = pack_lut(type(cb)(cb.bits, cb.values, np.transpose(cb.indices, (3, 2, 1, 0)),
                                None if cb.axis is None else 0), None)
        body = records[1:].reshape(p["out_c"], mve_pack.DW_RECORD_WORDS)
        want = np.concatenate([lut, records[:1], body[:, :4].ravel()])
        taps = p["kernel_h"] * p["kernel_w"]
        assert lut[2] == row_words(p["out_c"] * taps, bits)
    else:
        lut = pack_lut(cb, 0)
        depth = cb.indices[0].size
        blocks = -(-cb.indices.shape[0] // mve_pack.BLOCK)
        body = records[2:].reshape(blocks, 16 + 16 * mve_pack.mat_mult_steps(depth))
        want = np.concatenate([lut, records[:2], body[:, :16].ravel()])
    assert packed.dtype == np.uint32 and np.array_equal(packed, want)
    # the scratch: the records rounded to 16 bytes, then the int8 kernel's own
    name, int8 = mve_pair(op, p)
    own = KERNELS_BY_NAME[int8].scratch(p) if KERNELS_BY_NAME[int8].scratch else 0
    assert KERNELS_BY_NAME[name].scratch(p) == -(-records.nbytes // 16) * 16 + own


def check_decoding_standin(isa: str, board: str, cases, work) -> None:
    """Every case through the kernel decoding into scratch and the int8 kernel it runs on the
    decoded weights (isa "mve" or "rv32"), in one firmware on the board's stand-in, against the
    portable LUT kernel's twin."""
    calls, want = [], []
    for op, p, bits, axis, seed in cases:
        args, _ = lut_case(op, p, bits, axis, seed)
        expected = KERNELS[OPS[op][2].replace("_s8", "_lut_s8")].twin(p, *args).reshape(-1)
        for kernel, arrays in zip(decoding_pair(isa, op, p), decoding_args(isa, op, p, bits, axis, seed)):
            calls.append(Call(kernel, p, arrays, f"lut:{bits}:{axis}"))
            want.append(expected)
    run_calls(board, calls, work)
    for c, w in zip(calls, want):
        assert_same(w, c.result.view(np.int8), f"{c.name} {c.label} on the {board} stand-in, p={c.p}")


def _check_standin(cases, work) -> None:
    check_decoding_standin("mve", "n6570", cases, work)


@needs_qemu
@pytest.mark.parametrize("label", list(ROWS))
def test_lut_mve_mlperf_layers_standin(label, tmp_path):
    """The MLPerf KWS and IC layers at 2..6 bits, tables per tensor and per channel."""
    op, p = ROWS[label]
    _check_standin([(op, p, bits, axis, bits) for bits in range(2, 7) for axis in ("tensor", "channel")], tmp_path)


@st.composite
def _depthwise_geometry(draw) -> dict:
    """A depthwise layer tg_depthwise_conv2d_s8_mve serves: depth multiplier 1, dilation 1, at
    most 16 taps; up to 40 channels (each channel's run of indices starts anywhere in a byte), rows
    up to 21 wide (the RV32 kernel's interior segments of 8 pixels, which read the folded biases)."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    same = draw(st.booleans())
    in_h, in_w, c = draw(st.integers(kh, 9)), draw(st.integers(kw, 21)), draw(st.integers(1, 40))
    pt, pl = ((kh - 1) // 2, (kw - 1) // 2) if same else (0, 0)
    lo = draw(st.sampled_from([-128, -100]))
    p = {"in_h": in_h, "in_w": in_w, "in_c": c, "out_h": (in_h + 2 * pt - kh) // sh + 1,
         "out_w": (in_w + 2 * pl - kw) // sw + 1, "out_c": c, "kernel_h": kh, "kernel_w": kw, "stride_h": sh,
         "stride_w": sw, "dilation_h": 1, "dilation_w": 1, "pad_top": pt, "pad_left": pl, "depth_multiplier": 1,
         "input_offset": draw(st.integers(-127, 128)), "output_offset": draw(st.integers(-128, 127)),
         "act_min": lo, "act_max": 127}
    assert mve_pack.depthwise_mve_serves(p)
    return p


@st.composite
def _fc_geometry(draw) -> dict:
    seed = draw(st.integers(0, 255))
    return {"rows": draw(st.integers(1, 3)), "in_features": draw(st.integers(1, 70)),
            "out_features": draw(st.integers(1, 13)), "input_offset": 128 - seed, "output_offset": seed - 128,
            "act_min": -128, "act_max": 127}


@st.composite
def _case(draw) -> tuple[str, dict, int, str, int]:
    """(op, geometry, bits, tables, seed) of a layer a decoding MVE kernel serves."""
    op = draw(st.sampled_from(sorted(OPS)))
    geometry = {"conv2d": conv_geometry(depthwise=False), "depthwise_conv2d": _depthwise_geometry(),
                "fully_connected": _fc_geometry()}[op]
    return (op, draw(geometry), draw(st.integers(2, 6)), draw(st.sampled_from(["tensor", "channel"])),
            draw(st.integers(0, 2**32 - 1)))


def _drawn(n: int) -> list[tuple[str, dict, int, str, int]]:
    cases: list = []

    def keep(case):
        cases.append(case)

    settings(derandomize=True, max_examples=n, deadline=None, database=None)(given(_case())(keep))()
    return cases


@needs_qemu
def test_lut_mve_drawn_shapes_standin(tmp_path):
    cases = _drawn(40)
    assert {op for op, *_ in cases} == set(OPS)
    _check_standin(cases, tmp_path)


def _compiled(name: str, spec: str | None, tmp_path, board: str = BOARD):
    factory, shape = MODELS[name]
    torch.manual_seed(5)
    net = factory().eval()
    torch.export.save(torch.export.export(net, (torch.randn(shape),)), tmp_path / "m.pt2")
    rng = np.random.default_rng(0)
    np.save(tmp_path / "calib.npy", rng.standard_normal((16,) + shape[1:]).astype(np.float32))
    source = load_source(tmp_path / "m.pt2")
    options = CompileOptions(features=get_board(board).isa_features, lower_peak=False,
                             weights=parse_weights(spec) if spec else None)
    graph = compile_source(source, str(tmp_path / "calib.npy"), options)
    inputs = [quantize_input(graph, source.to_graph_layout(rng.standard_normal(shape).astype(np.float32)))
              for _ in range(2)]
    return source, graph, inputs


def _shared(graph) -> list:
    return [n for n in graph.nodes if n.params and n.param("weight") and graph.tensor(n.param("weight")).codebook]


@needs_qemu
@pytest.mark.parametrize("name,spec", [("products", "lut:4:tensor"), ("products", "lut:3:channel"),
                                       ("convs", "lut:2:tensor"), ("convs", "lut:5:channel"),
                                       ("depthwise", "lut:6:tensor"), ("depthwise", "lut:4:channel")])
def test_lut_mve_models_standin(name, spec, tmp_path):
    """Whole models with shared weights on the Cortex-M55: every shared layer an MVE kernel
    serves runs a decoding MVE kernel (the convs' fused residual add too), and the firmware
    equals the reference."""
    from tinygen.hil.target import open_device

    source, graph, inputs = _compiled(name, spec, tmp_path)
    shared = _shared(graph)
    assert shared
    for n in shared:
        assert n.kernel in LUT_NAMES, (n.name, n.kernel)
        if not (n.op == "depthwise_conv2d" and n.attrs["kparams"]["kernel_h"] * n.attrs["kparams"]["kernel_w"] > 16):
            assert n.kernel in MVE_NAMES, (n.name, n.kernel)
    if name == "convs":
        assert "tg_conv2d_add_lut_decode_s8_mve" in {n.kernel for n in shared}
    board = get_board(BOARD)
    project = build(source, graph, board, tmp_path / "fw").out_dir
    with open_device(board, project, emulate=True) as dev:
        for i, x in enumerate(inputs):
            assert_device_equals_reference(dev, graph, x, f"{name} {spec} input {i}")


@pytest.mark.parametrize("board", ["f746zg", "esp32-c3", "host"])
def test_no_mve_lut_kernel_without_the_feature(board, tmp_path):
    options = CompileOptions(features=get_board(board).isa_features, lower_peak=False,
                             weights=parse_weights("lut:4:tensor"))
    factory, shape = MODELS["products"]
    torch.export.save(torch.export.export(factory().eval(), (torch.randn(shape),)), tmp_path / "m.pt2")
    graph = compile_source(load_source(tmp_path / "m.pt2"), "random", options)
    assert _shared(graph)
    assert not {n.kernel for n in graph.nodes} & MVE_NAMES


def test_mve_lut_weight_bytes_are_the_packed_indices_and_tables(tmp_path):
    """The report's weight bytes of a Helium LUT layer: LUT.md's constant alone (the records after
    it are the int8 build's too), as the portable kernel's whole packed constant on the host."""
    factory, shape = MODELS["convs"]
    torch.export.save(torch.export.export(factory().eval(), (torch.randn(shape),)), tmp_path / "m.pt2")
    source = load_source(tmp_path / "m.pt2")
    built = {board: compile_source(source, "random", CompileOptions(features=get_board(board).isa_features,
                                                                   lower_peak=False,
                                                                   weights=parse_weights("lut:3:channel")))
             for board in (BOARD, "host")}
    mve = {n.name: stored_weight_bytes(built[BOARD], n) for n in _shared(built[BOARD]) if n.kernel in MVE_NAMES}
    host = {n.name: stored_weight_bytes(built["host"], n) for n in _shared(built["host"])}
    assert len(mve) >= 5
    assert all(mve[k] == host[k] for k in mve if k in host)
    for n in _shared(built[BOARD]):
        packed = built[BOARD].tensor(n.param("packed")).data
        assert mve[n.name] < packed.nbytes
        assert mve[n.name] == pack_lut(built[BOARD].tensor(n.param("weight")).codebook,
                                       None if n.op == "depthwise_conv2d" else 0).nbytes
