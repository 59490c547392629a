"""tg_fully_connected_lut_pairs_s8_dsp (firmware/kernels/lut/): one-row fully connected layers with
4-bit indices and one table for the tensor, multiplied from a table of weight pairs built in the
scratch. It equals the int8 twin on the decoded weights byte for byte on the Cortex-M7 (f746zg,
the dual-issue schedule) and Cortex-M4 (f446re, the plain one) stand-ins, over the MLPerf AD
layer shapes and odd ones (depths that end mid-word, out_features of every remainder modulo 3,
one row), in every requantization mode its packed constant's last word selects; a wrong table
entry changes its output; the build chooses it for exactly those layers."""

from __future__ import annotations

import re
import sys
from dataclasses import replace

import numpy as np
import pytest
from kernel_lib import assert_same
from standin_lib import needs_qemu

from e2e import ROOT
from tinygen.board import get_board
from tinygen.compiler import compile_source, load_source
from tinygen.kernels.lut_table import FC_PAIRS, PAIRS_TABLE_BYTES, pairs_pack, pairs_scratch
from tinygen.kernels.specialize import BOUNDED, FOLDED, GENERAL, POS
from tinygen.passes import CompileOptions
from tinygen.quant.pack_lut import pack_lut
from tinygen.quant.weight_spec import parse_weights
from tinygen.report.weights import weights_lines
from tinygen.resources import firmware_path

sys.path.insert(0, str(ROOT / "benchmarks"))
from lut_kernels import KERNELS, fc_p, lut_parts  # noqa: E402
from standin_calls import Call, run_calls  # noqa: E402

PAIRS = FC_PAIRS.name
AD = ROOT / "examples" / "mlperf-tiny" / "ad_autoencoder_int8.tflite"
KERNELS[PAIRS] = replace(KERNELS["tg_fully_connected_lut_s8"], scratch=FC_PAIRS.scratch, extra_sources=())


def _case(p: dict, seed: int, quant: str, bias: bool = True):
    """The kernel's arguments for a 4-bit per-tensor layer (benchmarks/lut_kernels.lut_parts) in the
    requantization `quant`, and the mode its packed constant carries."""
    x, cb, b, m, s = lut_parts("fully_connected", p, 4, "tensor", seed, bias)
    if quant == "general":          # multipliers below 2^30: tg_requantize_fast
        m = m >> 2
    elif quant == "bounded":        # R = (1 + 2 output_offset) 2^(n-1) beyond 2^30: not folded
        s = np.full_like(s, -29)
    packed = pairs_pack(p, {"codebook": cb, "bias": b, "multiplier": m, "shift": s})
    return (x, packed, b, m, s), cb


def _p(n_in: int, n_out: int, output_offset: int = -3, act_min: int = -128) -> dict:
    return {**fc_p(1, n_in, n_out), "output_offset": output_offset, "act_min": act_min}


# (params, requantization, the mode the build finds for it); rows go three at a time, the last one or two
# two at a time; the Cortex-M7's three-row loop takes two row words a turn, entered at the second for an
# odd count of row words (ceil(in_features / 8))
CASES = [
    (_p(640, 128), "folded", FOLDED),                   # MLPerf AD's first layer: 128 = 42 x 3 + 2, 80 words
    (_p(128, 128, -128), "folded", FOLDED | POS),       # its middle ones (no sign's ADD: act_min >= zero point)
    (_p(8, 128), "folded", FOLDED),                     # its bottleneck's output (one word a row: odd)
    (_p(128, 640), "folded", FOLDED),                   # its last: 640 = 213 x 3 + 1
    (_p(37, 9, 5, act_min=5), "folded", FOLDED | POS),  # a ReLU, depth ending mid-word (5 words), 9 = 3 x 3
    (_p(13, 7), "general", GENERAL),                    # 7 = 2 x 3 + 1: the last row alone
    (_p(21, 5, 2, act_min=-20), "bounded", BOUNDED),    # 5 = 3 + 2: the last two together; clamped
    (_p(32, 6), "folded", FOLDED),                      # 6 = 3 + 3, 4 words
    (_p(48, 11), "folded", FOLDED),                     # 11 = 3 x 3 + 2
    (_p(13, 66), "folded", FOLDED),                     # 66 = 22 x 3, 2 words
    (_p(21, 45), "folded", FOLDED),                     # 45 = 15 x 3, 3 words
    (_p(32, 36), "folded", FOLDED),
    (_p(100, 12), "folded", FOLDED),                    # 13 words
    (_p(48, 24), "folded", FOLDED),
    (_p(56, 23), "folded", FOLDED),                     # 23 = 7 x 3 + 2, 7 words
    (_p(3, 1), "folded", FOLDED),                       # one output, one pair
    (_p(1, 2), "bounded", BOUNDED),
    (_p(64, 12), "folded", FOLDED),                     # MLPerf KWS's classifier
]


def _calls():
    calls = []
    for k, (p, quant, mode) in enumerate(CASES):
        args, _ = _case(p, 100 + k, quant, bias=k % 4 != 3)
        assert int(args[1][-1]) == mode, (p, quant)
        calls.append(Call(PAIRS, p, args, f"{quant} {p['in_features']}->{p['out_features']}"))
    return calls


@needs_qemu
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
def test_pairs_equal_twin_on_standins(board, tmp_path):
    """Every case's output equals the int8 twin's on the decoded weights, on the M7 (its dual-issue
    loops, -DTG_DUAL_ISSUE=1) and the M4 (plain order)."""
    calls = run_calls(board, _calls(), tmp_path)
    for c in calls:
        assert_same(KERNELS[PAIRS].twin(c.p, *c.arrays).reshape(-1), c.result.view(np.int8), f"{board} {c.label}")


@needs_qemu
def test_a_wrong_table_entry_changes_the_output(tmp_path):
    """The kernel reads the pair table it builds from the packed table: one entry changed (one the
    rows use) gives other outputs than the twin on the true weights, and the twin's on the changed
    ones."""
    p = _p(64, 12)
    (x, packed, b, m, s), cb = _case(p, 7, "folded")
    used = int(np.bincount(np.asarray(cb.indices).ravel(), minlength=16).argmax())
    wrong = packed.copy()
    table = wrong[3:7].view(np.int8)                        # header words, then the 16 int8 entries
    table[used] = np.int8(int(table[used]) + 64 if table[used] < 0 else int(table[used]) - 64)
    calls = run_calls("f746zg", [Call(PAIRS, p, (x, wrong, b, m, s), "wrong entry")], tmp_path)
    got = calls[0].result.view(np.int8)
    assert not np.array_equal(KERNELS[PAIRS].twin(p, x, packed, b, m, s).reshape(-1), got)
    assert_same(KERNELS[PAIRS].twin(p, x, wrong, b, m, s).reshape(-1), got, "the changed table")


def test_packed_is_the_lut_constant_then_the_mode():
    """pairs_pack: LUT.md's constant (one table, rows of 4-bit indices) and the mode word; the
    scratch formula is TG_LUT_PAIRS_BYTES's (tg_lut.h)."""
    p = _p(37, 9)
    (x, packed, b, m, s), cb = _case(p, 3, "folded")
    assert np.array_equal(packed[:-1], pack_lut(cb, 0)) and int(packed[-1]) == FOLDED
    header = firmware_path("kernels/tg_lut.h").read_text()
    assert int(re.search(r"#define TG_LUT_PAIRS_TABLE_BYTES (\d+)", header).group(1)) == PAIRS_TABLE_BYTES
    assert "#define TG_LUT_PAIRS_BYTES(row_words) (TG_LUT_PAIRS_TABLE_BYTES + 16 * (row_words))" in header
    assert pairs_scratch(p) == PAIRS_TABLE_BYTES + 16 * 5 and pairs_scratch(_p(640, 128)) == 1024 + 16 * 80


@pytest.mark.parametrize("spec", ["lut:4:tensor", "lut:4:channel", "lut:3:tensor"])
def test_ad_layers_take_the_pairs_kernel_at_4_bits_with_one_table(spec):
    """MLPerf AD on the f746zg: a fully connected layer takes the pairs kernel where its codebook is
    4-bit with one table (every layer at lut:4:tensor; at lut:4:channel those whose per-channel tables
    would outweigh their weights), the block decode otherwise; its scratch is planned."""
    graph = compile_source(load_source(AD), options=CompileOptions(features=get_board("f746zg").isa_features,
                                                                    weights=parse_weights(spec)))
    layers = [n for n in graph.nodes if n.op == "fully_connected"]
    assert len(layers) == 10
    for n in layers:
        cb = graph.tensor(n.param("weight")).codebook
        want = PAIRS if (cb.bits, cb.axis) == (4, None) else "tg_fully_connected_lut_block_s8_dsp"
        assert n.kernel == want, (n.name, cb.bits, cb.axis)
        if n.kernel == PAIRS:
            assert n.scratch_bytes >= pairs_scratch(n.attrs["kparams"])
    kernels = [n.kernel for n in layers]
    assert kernels.count(PAIRS) == {"lut:4:tensor": 10, "lut:3:tensor": 0}.get(spec, kernels.count(PAIRS))
    assert spec != "lut:4:channel" or 0 < kernels.count(PAIRS) < 10
    said = [line for line in weights_lines(graph) if line.startswith("  multiplied from a table of weight pairs")]
    assert len(said) == (1 if PAIRS in kernels else 0), said
    assert not said or said[0].endswith(", ".join(n.name for n in layers if n.kernel == PAIRS))
