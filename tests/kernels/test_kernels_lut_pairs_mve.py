"""tg_fully_connected_lut_pairs_s8_mve and tg_fully_connected_lut_nibbles_s8_mve (firmware/kernels/lut/):
one-row fully connected layers with 4-bit indices on Helium (the Cortex-M55), multiplied with the weights
looked up as the products run, nothing decoded into RAM: with one table for the tensor from a table of
weight pairs in the scratch by a halfword gather, with a table per channel (or one) each weight by a byte
gather from its row's table. On the
stm32n6570-dk stand-in (mps3-an547) it equals the int8 twin on the decoded weights byte for byte over
the MLPerf AD and KWS layer shapes and odd ones (depths ending mid-step and mid-byte, out_features of
every remainder modulo 4, several rows, clamps, output zero points, no bias); a wrong table entry
changes its output; its packed constant is the decoding kernel's; its scratch is the C formula's; the
build takes it for exactly those layers on the Cortex-M55, and MLPerf AD built with it equals the
reference on the stand-in."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest
from kernel_lib import assert_same
from standin_lib import needs_qemu

from e2e import ROOT, assert_device_equals_reference
from tinygen.board import get_board
from tinygen.compiler import build, compile_source, load_source
from tinygen.kernels.lut_mve_pack import mat_mult_lut_mve
from tinygen.kernels.lut_table import LUT_MVE_KERNELS, PAIRS_MVE_TABLE_BYTES, nibbles_mve_scratch, pairs_mve_scratch
from tinygen.kernels.table import KERNELS_BY_NAME
from tinygen.passes import CompileOptions
from tinygen.quant.weight_spec import parse_weights
from tinygen.ref.interpreter import quantize_input
from tinygen.report.weights import weights_lines
from tinygen.resources import firmware_path

sys.path.insert(0, str(ROOT / "benchmarks"))
from lut_kernels import KERNELS, fc_p, lut_parts  # noqa: E402
from standin_calls import Call, run_calls  # noqa: E402

PAIRS = "tg_fully_connected_lut_pairs_s8_mve"
NIBBLES = "tg_fully_connected_lut_nibbles_s8_mve"
BOARD = "stm32n6570-dk"
AD = ROOT / "examples" / "mlperf-tiny" / "ad_autoencoder_int8.tflite"
TWIN = KERNELS["tg_fully_connected_lut_s8"].twin      # the portable LUT kernel's: fully_connected_s8, decoded


def _p(rows: int, n_in: int, n_out: int, output_offset: int = -3, act_min: int = -128, act_max: int = 127,
       input_offset: int = 128) -> dict:
    return {**fc_p(rows, n_in, n_out), "output_offset": output_offset, "act_min": act_min, "act_max": act_max,
            "input_offset": input_offset}


# MLPerf AD's layers (640 -> 128, 128 -> 128, 128 -> 8, 8 -> 128, 128 -> 640), KWS's classifier, and odd
# shapes: depths of every remainder modulo 16 that ends a step mid-way (odd ones mid-byte), out_features
# of every remainder modulo 4 (the last block's missing rows), several rows, clamps and zero points
CASES = [
    _p(1, 640, 128), _p(1, 128, 128, -128), _p(1, 128, 8), _p(1, 8, 128), _p(1, 128, 640), _p(1, 64, 12),
    _p(1, 1, 1), _p(1, 3, 2, 5, act_min=5), _p(1, 15, 3), _p(1, 16, 4), _p(1, 17, 5, input_offset=-7),
    _p(1, 31, 7, 100, act_min=-20, act_max=90), _p(1, 33, 9), _p(1, 37, 6, -128), _p(1, 47, 11),
    _p(2, 40, 6), _p(3, 25, 13, 1, act_min=0), _p(1, 200, 21, -50),
]
TIES = _p(1, 2, 640, 0)             # the tie cases: sums of 2 products, output zero point 0 > act_min


def _args(p: dict, seed: int, bias: bool = True, ties: bool = False, axis: str = "tensor"):
    """(the LUT twin's arguments: input, LUT.md's constant, bias, multiplier, shift), the kernel's
    (input, its packed constant). `ties`: multipliers 2^30 and shifts -6, so that many sums land on
    an exact half below zero (the rounding's tie correction decides them)."""
    x, cb, b, m, s = lut_parts("fully_connected", p, 4, axis, seed, bias)
    if ties:
        m, s = np.full_like(m, 1 << 30), np.full_like(s, -6)
    packed = KERNELS_BY_NAME[PAIRS].pack(p, {"codebook": cb, "weight": cb.decode(), "bias": b, "multiplier": m,
                                             "shift": s})
    return (x, KERNELS_BY_NAME["tg_fully_connected_lut_s8"].pack(p, {"codebook": cb}), b, m, s), (x, packed)


@needs_qemu
def test_pairs_and_nibbles_mve_equal_twin_on_standin(tmp_path):
    """Both kernels on every case with one table, the nibbles kernel with a table per channel too."""
    calls, want = [], []
    for name, axis in ((PAIRS, "tensor"), (NIBBLES, "tensor"), (NIBBLES, "channel")):
        for k, p in enumerate(CASES + [TIES]):
            twin_args, args = _args(p, 200 + k, bias=k % 5 != 4, ties=p is TIES, axis=axis)
            want.append(TWIN(p, *twin_args).reshape(-1))
            calls.append(Call(name, p, args, f"{axis} {p['rows']}x{p['in_features']}->{p['out_features']}"))
    run_calls("n6570", calls, tmp_path)
    for c, w in zip(calls, want):
        assert_same(w, c.result.view(np.int8), f"{c.name} {c.label} on the n6570 stand-in, p={c.p}")


@needs_qemu
@pytest.mark.parametrize("name,axis", [(PAIRS, "tensor"), (NIBBLES, "channel")])
def test_a_wrong_table_entry_changes_the_output(name, axis, tmp_path):
    """The kernel reads the packed table (the pairs kernel through the pair table it builds): one entry
    the rows use changed (in the first channel's table) gives other outputs than the twin on the true
    weights, and the twin's on the changed ones (input offset 0: the records' folded biases, made from
    the true weights, are then the biases alone)."""
    p = _p(1, 64, 12, input_offset=0)
    (x, lut, b, m, s), (_, packed) = _args(p, 7, axis=axis)
    tables = 1 if axis == "tensor" else 12
    rows = 3 + 4 * tables
    counts = np.bincount(np.asarray(lut[rows:rows + int(lut[2])]).view(np.uint8) & 15, minlength=16)
    used = int(counts.argmax())
    wrong, wrong_lut = packed.copy(), lut.copy()
    for a in (wrong, wrong_lut):
        table = a[3:3 + 4 * tables].view(np.int8)           # header words, then the int8 tables
        table[used] = np.int8(int(table[used]) + 64 if table[used] < 0 else int(table[used]) - 64)
    calls = run_calls("n6570", [Call(name, p, (x, wrong), "wrong entry")], tmp_path)
    got = calls[0].result.view(np.int8)
    assert not np.array_equal(TWIN(p, x, lut, b, m, s).reshape(-1), got)
    assert_same(TWIN(p, x, wrong_lut, b, m, s).reshape(-1), got, "the changed table")


def test_packed_is_the_decoding_kernels_and_scratch_is_the_c_formula():
    """Its packed constant: tg_fully_connected_lut_decode_s8_mve's (LUT.md's, then the int8 MVE
    kernel's records less the weights); its scratch: TG_LUT_PAIRS_MVE_BYTES (tg_kernels_lut_mve.h)."""
    spec = KERNELS_BY_NAME[PAIRS]
    assert spec.pack is mat_mult_lut_mve and spec.requires == frozenset({"mve"}) and spec.calls == ()
    assert LUT_MVE_KERNELS[0] is spec            # before the decoding kernel of the same layers
    header = firmware_path("kernels/tg_kernels_lut_mve.h").read_text()
    assert int(re.search(r"#define TG_LUT_PAIRS_MVE_TABLE_BYTES (\d+)", header).group(1)) == PAIRS_MVE_TABLE_BYTES
    assert ("#define TG_LUT_PAIRS_MVE_BYTES(out_c) (TG_LUT_PAIRS_MVE_TABLE_BYTES + 16 * (((out_c) + 3) / 4))"
            in header)
    assert PAIRS_MVE_TABLE_BYTES == 2 * 256
    assert pairs_mve_scratch(_p(1, 640, 128)) == 512 + 4 * 128 and pairs_mve_scratch(_p(1, 64, 13)) == 512 + 4 * 16
    nibbles = KERNELS_BY_NAME[NIBBLES]
    assert nibbles.pack is mat_mult_lut_mve and nibbles.calls == () and LUT_MVE_KERNELS[1] is nibbles
    assert "#define TG_LUT_NIBBLES_MVE_BYTES(out_c) (16 * (((out_c) + 3) / 4))" in header
    assert nibbles_mve_scratch(_p(1, 64, 13)) == 4 * 16 and nibbles_mve_scratch(_p(1, 640, 128)) == 4 * 128


@pytest.mark.parametrize("spec", ["lut:4:tensor", "lut:4:channel", "lut:3:tensor"])
def test_ad_layers_take_the_pairs_kernel_on_the_m55(spec):
    """MLPerf AD on the Cortex-M55: a layer takes the Helium pairs kernel where its codebook is 4-bit
    with one table, the nibbles kernel where it is 4-bit with a table per channel, the decoding kernel
    otherwise; the scratch is planned; the report says so."""
    graph = compile_source(load_source(AD), options=CompileOptions(features=get_board(BOARD).isa_features,
                                                                    weights=parse_weights(spec)))
    layers = [n for n in graph.nodes if n.op == "fully_connected"]
    assert len(layers) == 10
    for n in layers:
        cb = graph.tensor(n.param("weight")).codebook
        want = {(4, None): PAIRS, (4, 0): NIBBLES}.get((cb.bits, cb.axis), "tg_fully_connected_lut_decode_s8_mve")
        assert n.kernel == want, (n.name, cb.bits, cb.axis)
        scratch = {PAIRS: pairs_mve_scratch, NIBBLES: nibbles_mve_scratch}.get(n.kernel)
        assert scratch is None or n.scratch_bytes >= scratch(n.attrs["kparams"])
    kernels = [n.kernel for n in layers]
    assert kernels.count(PAIRS) == {"lut:4:tensor": 10, "lut:3:tensor": 0}.get(spec, kernels.count(PAIRS))
    assert spec != "lut:4:channel" or kernels.count(NIBBLES) > 0
    said = [line for line in weights_lines(graph) if line.startswith("  multiplied from a table of weight pairs")]
    assert len(said) == (1 if PAIRS in kernels else 0), said
    assert not set(kernels) - {PAIRS, NIBBLES, "tg_fully_connected_lut_decode_s8_mve"}


def test_not_on_cores_without_helium():
    graph = compile_source(load_source(AD), options=CompileOptions(features=get_board("f746zg").isa_features,
                                                                    weights=parse_weights("lut:4:tensor")))
    assert not {PAIRS, NIBBLES} & {n.kernel for n in graph.nodes}


@needs_qemu
@pytest.mark.parametrize("spec", ["lut:4:tensor", "lut:4:channel"])
def test_ad_with_the_pairs_and_nibbles_kernels_equals_the_reference_on_standin(spec, tmp_path):
    from tinygen.hil.target import open_device

    source = load_source(AD)
    graph = compile_source(source, options=CompileOptions(features=get_board(BOARD).isa_features,
                                                          weights=parse_weights(spec)))
    assert {n.kernel for n in graph.nodes if n.op == "fully_connected"} & {PAIRS, NIBBLES}
    board = get_board(BOARD)
    project = build(source, graph, board, tmp_path / "fw").out_dir
    rng = np.random.default_rng(3)
    shape = graph.tensor(graph.inputs[0]).shape
    with open_device(board, project, emulate=True) as dev:
        for i in range(2):
            x = quantize_input(graph, rng.standard_normal(shape).astype(np.float32))
            assert_device_equals_reference(dev, graph, x, f"AD {spec} input {i}")
