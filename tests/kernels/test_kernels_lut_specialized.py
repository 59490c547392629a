"""Shared-weight layers run the int8 build's specialized kernels (issue 73): on a DSP core a layer
whose kernel decodes its weights into the arena is emitted as tg_lut_decode_weights followed by
the int8 kernel's inline body (tinygen/codegen/lut_decode.py), and the MLPerf KWS depthwise layers
take tg_depthwise_conv2d_3x3_narrow_lut_decode_s8_dsp, which completes the narrow kernel's records
in its scratch. The decode equals tinygen.quant.pack_lut.unpack_lut for every width and both
table layouts; the narrow kernel equals the int8 depthwise twin on the Cortex-M7 stand-in; the
whole KWS model equals the reference on the stand-in (tests/cli/test_weights_lut_cli.py)."""

from __future__ import annotations

import ctypes
import sys
from dataclasses import replace

import numpy as np
import pytest

from e2e import ROOT
from kernel_lib import assert_same
from standin_lib import needs_qemu
from tinygen.board import get_board
from tinygen.codegen.emit import project_data
from tinygen.compiler import compile_source, load_source
from tinygen.ir import Codebook
from tinygen.kernels.depthwise_narrow_lut import OTHER, narrow_lut_pack, narrow_lut_scratch
from tinygen.kernels.depthwise_narrow_dsp import RECORD_WORDS
from tinygen.kernels.lut_table import DECODER, FC_BLOCK_DECODE, fc_block_rows
from tinygen.passes import CompileOptions
from tinygen.quant.pack_lut import lut_words, pack_lut, unpack_lut
from tinygen.quant.share import share
from tinygen.quant.weight_spec import parse_weights
from tinygen.ref import kernels as ref_s8
from tinygen.report.weights import stored_weight_bytes

sys.path.insert(0, str(ROOT / "benchmarks"))
from lut_kernels import KERNELS, conv_p, fc_p, lut_case  # noqa: E402
from standin_calls import Call, run_calls  # noqa: E402

NARROW = "tg_depthwise_conv2d_3x3_narrow_lut_decode_s8_dsp"
BLOCK = "tg_fully_connected_lut_block_s8_dsp"
KWS = ROOT / "examples" / "mlperf-tiny" / "kws_dscnn_int8.tflite"


def _codebook(rng, rows: int, count: int, bits: int, per_channel: bool) -> Codebook:
    values = rng.integers(-128, 128, (rows if per_channel else 1, 1 << bits)).astype(np.int8)
    indices = rng.integers(0, 1 << bits, (rows, count)).astype(np.uint8)
    return Codebook(bits, values, indices, 0 if per_channel else None)


@pytest.mark.parametrize("bits", range(1, 9))
@pytest.mark.parametrize("per_channel", [False, True])
def test_decode_weights_equals_unpack(kernels, bits, per_channel):
    """tg_lut_decode_weights (the word-at-a-time paths of 2, 4 and 8 bits, tg_lut_decode's
    for the others) on the host against unpack_lut, over row lengths that end mid-word."""
    rng = np.random.default_rng(bits)
    for rows, count in ((3, 1), (5, 7), (4, 8), (2, 33), (7, 64), (1, 579)):
        cb = _codebook(rng, rows, count, bits, per_channel)
        packed = np.ascontiguousarray(pack_lut(cb, 0), np.uint32)
        want = unpack_lut(packed, (rows, count), 0, 0)
        out = np.full(rows * count + 8, 0x55, np.int8)           # bytes past the weights stay as they were
        kernels.lib.tg_lut_decode_weights(packed.ctypes.data_as(ctypes.POINTER(ctypes.c_uint32)), rows, count,
                                          out.ctypes.data_as(ctypes.POINTER(ctypes.c_int8)))
        assert_same(want.reshape(-1), out[:rows * count], f"{bits} bits, {rows}x{count}, per channel {per_channel}")
        assert np.all(out[rows * count:] == 0x55)


def _narrow_twin(p, x, packed):
    """The int8 depthwise twin on what the packed constant holds: the decoded taps, and the bias,
    multiplier and shift of its records' other words."""
    shape = (1, 3, 3, p["out_c"])
    words = lut_words(packed, 1)
    groups = int(np.asarray(packed, np.uint32)[1])
    w = unpack_lut(packed, shape, None, 3 if groups > 1 else None)
    other = np.asarray(packed[words + 1:], np.uint32).view(np.int32).reshape(p["out_c"], len(OTHER))
    shift = -(other[:, 3] & 0xFF)
    return ref_s8.depthwise_conv2d_s8(p, x, w, other[:, 0] // 2, other[:, 1], shift.astype(np.int32))


KERNELS[NARROW] = replace(KERNELS["tg_depthwise_conv2d_lut_s8"], args=("int8_t", "uint32_t"), twin=_narrow_twin,
                          scratch=narrow_lut_scratch,
                          extra_sources=("tg_depthwise_conv2d_3x3_narrow_s8_dsp.c", DECODER.removeprefix("kernels/")))


def _narrow_case(p: dict, bits: int, per_channel: bool, seed: int):
    rng = np.random.default_rng(seed)
    c = p["out_c"]
    w = np.clip(np.rint(rng.normal(0, 40, (1, 3, 3, c))), -127, 127).astype(np.int8)
    cb = share(w, np.ones(1, np.int64), bits, 3 if per_channel else None)
    consts = {"weight": cb.decode(), "codebook": cb, "bias": rng.integers(-20000, 20000, c).astype(np.int32),
              "multiplier": rng.integers(1 << 30, (1 << 31) - 1, c).astype(np.int32),
              "shift": rng.integers(-12, -6, c).astype(np.int32)}
    packed = narrow_lut_pack(p, consts)
    assert len(packed) == lut_words(packed, 1) + 1 + len(OTHER) * c
    x = rng.integers(-128, 128, (p["in_h"], p["in_w"], p["in_c"])).astype(np.int8)
    return x, packed


@needs_qemu
def test_narrow_lut_decode_equals_twin_on_f746zg_standin(tmp_path):
    """The KWS depthwise shape (and one without left padding, the kernel's other phase) at 2..6
    bits, one table per tensor and one per channel alternately, against the int8 depthwise twin."""
    shapes = [conv_p(25, 5, 64, 64, 3, depthwise=True), conv_p(7, 7, 8, 8, 3, pad=0, depthwise=True)]
    calls = []
    for k, p in enumerate(shapes):
        for bits in range(2, 7):
            per_channel = (bits + k) % 2 == 1
            x, packed = _narrow_case(p, bits, per_channel, 10 * k + bits)
            calls.append(Call(NARROW, p, (x, packed), f"lut:{bits}:{'channel' if per_channel else 'tensor'}"))
    run_calls("f746zg", calls, tmp_path)
    for c in calls:
        assert_same(_narrow_twin(c.p, *c.arrays).reshape(-1), c.result.view(np.int8), f"{c.label} p={c.p}")


KERNELS[BLOCK] = replace(KERNELS["tg_fully_connected_lut_s8"], scratch=FC_BLOCK_DECODE.scratch,
                         extra_sources=tuple(c.removeprefix("kernels/") for c in FC_BLOCK_DECODE.calls))


@needs_qemu
def test_fc_block_decode_equals_twin_on_f746zg_standin(tmp_path):
    """One-row fully connected layers decoded a block of features at a time: the MLPerf AD's first
    layer (640 -> 128: blocks of 6 and a last of 2), KWS's (64 -> 12, one block), odd depths and
    a depth beyond the block (one feature a block), 2..6 bits, tables per tensor and per channel."""
    shapes = [fc_p(1, 640, 128), fc_p(1, 64, 12), fc_p(1, 37, 9), fc_p(1, 4100, 3)]
    assert [fc_block_rows(p) for p in shapes] == [6, 12, 9, 1]
    calls = []
    for k, p in enumerate(shapes):
        for bits in range(2, 7):
            axis = ("tensor", "channel")[(bits + k) % 2]
            args, _ = lut_case("fully_connected", p, bits, axis, 7 * k + bits, bias=bits != 3)
            calls.append(Call(BLOCK, p, args, f"lut:{bits}:{axis}"))
    run_calls("f746zg", calls, tmp_path)
    for c in calls:
        assert_same(KERNELS[BLOCK].twin(c.p, *c.arrays).reshape(-1), c.result.view(np.int8), f"{c.label} p={c.p}")


def test_narrow_records_are_the_int8_records():
    """The records the kernel completes are the int8 build's: the other words are records' words
    OTHER, and the weights' words come from the taps as depthwise_narrow_dsp packs them."""
    p = conv_p(25, 5, 64, 64, 3, depthwise=True)
    x, packed = _narrow_case(p, 4, False, 3)
    other = np.asarray(packed[lut_words(packed, 1) + 1:], np.uint32).reshape(64, len(OTHER))
    assert RECORD_WORDS == 10 and OTHER == (0, 7, 8, 9)
    assert int(other[-1, 3]) >> 8 & 1, "the last channel's n carries LAST"
    assert narrow_lut_scratch(p) >= 4 * (1 + RECORD_WORDS * 64) + 9 * 64


def test_kws_layers_emit_the_decode_then_the_int8_inline_body():
    """MLPerf KWS at lut:4 on the f746zg: every conv is the decode and the int8 kernel's inline body
    on the decoded weights (its scratch after them); the depthwise layers the narrow kernel; the
    stored weight bytes are the LUT constants', not the narrow kernel's requantization words."""
    source = load_source(KWS)
    graph = compile_source(source, options=CompileOptions(features=get_board("f746zg").isa_features,
                                                          weights=parse_weights("lut:4:tensor")))
    layers = {layer.name: layer for layer in project_data(graph, "m", "0", "test")["layers"]}
    for node in graph.nodes:
        body = [line for line in layers[node.name].body if not line.startswith("/*")] if node.name in layers else []
        if node.op == "conv2d":
            rows, count = node.attrs["kparams"]["out_c"], node.attrs["kparams"]["in_c"] * node.attrs["kparams"][
                "kernel_h"] * node.attrs["kparams"]["kernel_w"]
            assert body[0].startswith("tg_lut_decode_weights(") and f", {rows}, {count}, " in body[0], body
            assert body[1].startswith(node.kernel.replace("_lut_decode", "") + "_inline("), body
            scratch = body[0].split(", ")[-1].rstrip(");")
            assert f", {scratch}, " in body[1] and f"{scratch} + {(rows * count + 7) // 8 * 8}" in body[1], body
        if node.op == "depthwise_conv2d":
            assert node.kernel == NARROW
            book = graph.tensor(node.param("weight")).codebook
            assert stored_weight_bytes(graph, node) == 4 * lut_words(graph.tensor(node.param("packed")).data, 1)
            assert stored_weight_bytes(graph, node) == pack_lut(book, None).nbytes
    assert graph.meta.get("specialize", True)
