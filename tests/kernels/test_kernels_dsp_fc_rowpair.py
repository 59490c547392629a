"""tg_fully_connected_batch1_rowpair_s8_dsp and tg_fully_connected_batch1_rowpair_lean_s8_dsp: the
batch-1 fully connected kernels with each two output rows' int8 weights packed as int16 halfwords
h = 256 b + a (tinygen/kernels/fc_batch1_dsp.py, fc_batch1_rowpair_packed; the kernels'
steps: firmware/kernels/fully_connected/tg_fully_connected_batch1_rowpair_s8_dsp.h).

On the host: a numpy model of the kernels' int32 arithmetic on the packed constant (per pair the
wrapping SMLADs of the halfwords and of their low bytes, then S_B = (acc1 - acc2) >> 8) equals the
reference fully connected layer over drawn depths, widths, offsets, clamps and requantizations,
with weights at -128 and 127; the verdict refuses a pair whose halfword leaves int16 (b = -128 with
a < 0) and a pair whose second row's sum can reach 2^23, where the model (the kernel's arithmetic)
is then wrong. On the stand-ins of the M4, M33 and M7 (slow): chains with every layer on the row-pair
kernels, specialized and generic, with single-rounding pairs, over every remainder of the unrolled
loop, equal the reference on every layer.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_kernels_dsp_fc_batch1 import LEAN_SIZES, Chain, _chain, draw_requant, folded_outputs, layer, standin_chains
from torch_models import compile_module

from tinygen.kernels import specialize
from tinygen.kernels.fc_batch1_dsp import (PAIR_SUM_LIMIT, ROWS, fc_batch1_packed, fc_batch1_rowpair_exact,
                                          fc_batch1_rowpair_lean_serves, fc_batch1_rowpair_packed,
                                          fc_batch1_rowpair_serves)
from tinygen.passes import CompileOptions
from tinygen.ref import kernels as ref

PAIRS = "tg_fully_connected_batch1_rowpair_s8_dsp"
PAIRS_LEAN = "tg_fully_connected_batch1_rowpair_lean_s8_dsp"


def _wrap(v: np.ndarray) -> np.ndarray:
    """int64 values as the int32 registers hold them (mod 2^32)."""
    return ((v + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _smlad(acc: np.ndarray, h: np.ndarray, x: np.ndarray) -> np.ndarray:
    """SMLAD of pair words h [..., 2] and input pairs x [2] into acc (wrapping)."""
    return _wrap(acc + h[..., 0] * x[0] + h[..., 1] * x[1])


def _low(v: np.ndarray) -> np.ndarray:
    """SXTB16 of halfwords: their low bytes, sign-extended."""
    return ((v + 128) & 0xFF) - 128


def _sums(p: dict, x: np.ndarray, packed: np.ndarray) -> np.ndarray:
    """The kernels' sums from the packed constant: full blocks by row pairs, the last out % 4 rows
    from int8 words."""
    depth, cols = p["in_features"], p["out_features"]
    steps = -(-depth // 4)
    xs = np.zeros(4 * steps, np.int64)
    xs[:depth] = x
    sums, pos = np.zeros(cols, np.int64), 0
    for o in range(0, cols // ROWS * ROWS, ROWS):
        acc = packed[pos:pos + 16].view("<i4").astype(np.int64)                 # acc1, acc2 of P, then Q
        pos += 16
        h = packed[pos:pos + 16 * steps].view("<i2").astype(np.int64).reshape(steps, 2, 2, 2)
        pos += 16 * steps
        for s in range(steps):
            lo, hi = xs[4 * s:4 * s + 4:2], xs[4 * s + 1:4 * s + 4:2]            # (x0, x2), (x1, x3)
            for q in range(2):
                even, odd = h[s, q, 0], h[s, q, 1]                               # (h0, h2), (h1, h3)
                acc[2 * q] = _smlad(_smlad(acc[2 * q], even, lo), odd, hi)
                acc[2 * q + 1] = _smlad(_smlad(acc[2 * q + 1], _low(even), lo), _low(odd), hi)
        for q in range(2):
            sums[o + 2 * q] = acc[2 * q + 1]
            sums[o + 2 * q + 1] = _wrap(acc[2 * q] - acc[2 * q + 1]) >> 8
    r = cols % ROWS
    if r:
        sums[cols - r:] = packed[pos:pos + 4 * r].view("<i4")
        pos += 4 * r
        w = packed[pos:pos + 4 * r * steps].astype(np.int64).reshape(steps, r, 4)
        pos += 4 * r * steps
        sums[cols - r:] += np.einsum("srk,sk->r", w, xs.reshape(steps, 4))
    assert pos == packed.size
    return sums


def _weights(rng, cols: int, depth: int) -> np.ndarray:
    """Weights with -128 and 127 in them, b = -128 only against a >= 0 (the halfwords fit)."""
    w = rng.integers(-128, 128, size=(cols, depth)).astype(np.int8)
    w[:, 0] = rng.choice([-128, 127], size=cols)
    full = cols // ROWS * ROWS
    a, b = w[0:full:2], w[1:full:2]
    a[(b == -128) & (a < 0)] = 0
    w[0:full:2] = a
    return w


@settings(derandomize=True, max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=layer(), seed=st.integers(0, 2**32 - 1), once=st.booleans())
def test_fully_connected_batch1_rowpair_s8_packed_model_equals_reference(p, seed, once):
    rng = np.random.default_rng(seed)
    depth, cols = p["in_features"], p["out_features"]
    x = rng.integers(-128, 128, size=depth).astype(np.int8)
    x[0] = rng.choice([-128, 127])
    w = _weights(rng, cols, depth)
    bias, multiplier, shift = draw_requant(rng, cols, once)
    consts = dict(weight=w, bias=bias, multiplier=multiplier, shift=shift)
    assert fc_batch1_rowpair_serves(p, consts)
    assert fc_batch1_rowpair_lean_serves(p, consts) == (depth % 4 == 0)
    packed = fc_batch1_rowpair_packed(p, consts)
    assert packed.dtype == np.int8 and packed.size == fc_batch1_packed(p, consts).size     # int8's flash
    want = ref.fully_connected_s8(p, x[None], w, bias, multiplier, shift).reshape(cols)
    got = folded_outputs(p, _sums(p, x, packed), multiplier, shift)
    diff = np.flatnonzero(got != want)
    assert diff.size == 0, f"first differing outputs: {diff[:5].tolist()}"


def _edge_layer(b_weight: int, depth: int = 512, bias_b: int = 0):
    """4 rows of `depth`: row 1 (pair P's B) all b_weight, the others 1; no input offset."""
    p = dict(rows=1, in_features=depth, out_features=4, input_offset=0, output_offset=0, act_min=-128, act_max=127)
    w = np.ones((4, depth), np.int8)
    w[1] = b_weight
    consts = dict(weight=w, bias=np.array([0, bias_b, 0, 0]), multiplier=np.full(4, 1 << 30),
                  shift=np.full(4, -20))
    return p, consts


def test_fully_connected_batch1_rowpair_s8_verdict_bounds_row_b():
    """Row B's reach |b'_B| + 128 sum |b| just under 2^23 is served, and the kernel's arithmetic is
    exact at the input that attains it (S_B = 2^23 - 1, or -(2^23 - 1)); one past it is refused, and
    that arithmetic is wrong there (S_B = 2^23, or -2^23 - 1, wraps)."""
    reach = 512 * 127 * 128                                                      # 8,323,072
    for b_weight, bias_b, served in ((-127, PAIR_SUM_LIMIT - 1 - reach, True), (-127, PAIR_SUM_LIMIT - reach, False),
                                     (127, reach + 1 - PAIR_SUM_LIMIT, True), (127, reach - 1 - PAIR_SUM_LIMIT, False)):
        p, consts = _edge_layer(b_weight, bias_b=bias_b)
        assert fc_batch1_rowpair_exact(p, consts) == served, (b_weight, bias_b)
        x = np.full(512, -128, np.int8)
        want = bias_b + 512 * b_weight * -128
        assert abs(want) == PAIR_SUM_LIMIT - 1 if served else abs(want) >= PAIR_SUM_LIMIT
        got = _sums(p, x, fc_batch1_rowpair_packed(p, consts))
        assert (got[1] == want) == served, (got[1], want)
        assert got[0] == 512 * -128 and got[2] == got[3] == 512 * -128               # rows A and pair Q


def test_fully_connected_batch1_rowpair_s8_verdict_refuses_halfwords_out_of_int16():
    """b = -128 against a < 0 makes h = -32768 + a, outside int16: refused (the kernel's SXTB16 of
    the stored halfword would not give a back); b = -128 against a >= 0 and b = 127 are served."""
    p = dict(rows=1, in_features=8, out_features=4, input_offset=0, output_offset=0, act_min=-128, act_max=127)
    base = dict(bias=np.zeros(4, np.int64), multiplier=np.full(4, 1 << 30), shift=np.full(4, -3))
    for a, b, served in ((-1, -128, False), (-128, -128, False), (0, -128, True), (127, -128, True),
                         (-128, 127, True)):
        w = np.zeros((4, 8), np.int8)
        w[2, 5], w[3, 5] = a, b                                                  # pair Q, one depth index
        assert fc_batch1_rowpair_serves(p, dict(base, weight=w)) == served, (a, b)
    # the same rows as the last out % 4 (int8 words, not paired): served
    w = np.zeros((3, 8), np.int8)
    w[1, 5], w[2, 5] = -1, -128
    assert fc_batch1_rowpair_serves(dict(p, out_features=3), dict(base, weight=w, bias=np.zeros(3, np.int64),
                                                                   multiplier=np.full(3, 1 << 30),
                                                                   shift=np.full(3, -3)))


def test_fully_connected_batch1_rowpair_s8_dsp_chosen_for_one_row():
    """The chain's layers take the row-pair kernels (the scratch one unless the arena's lowering
    took the lean one), whose sums all stay inside the bound."""
    calib = np.random.default_rng(0).standard_normal((16, 128)).astype(np.float32)
    _, graph = compile_module(_chain(0), calib, options=CompileOptions(features=frozenset({"dsp"})))
    kernels = [n.kernel for n in graph.nodes if n.op == "fully_connected"]
    assert len(kernels) == 6 and PAIRS in kernels and set(kernels) <= {PAIRS, PAIRS_LEAN}, kernels


@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["f446re", "b-u585i-iot02a", "f746zg"])
def test_fully_connected_batch1_rowpair_s8_dsp_standin(board_name, tmp_path):
    """test_kernels_dsp_fc_batch1's chains (depth tails of 1..3, last blocks of 1..3 rows, every
    remainder of the steps unrolled by 8 and by 4; specialized, generic, single-rounding) with the
    row-pair kernels, on the M4, M33 and M7 stand-ins: every layer equals the reference."""
    if shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("the stand-in needs qemu-system-arm and arm-none-eabi-gcc")
    standin_chains(board_name, tmp_path, PAIRS, PAIRS_LEAN, 11)


@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["f446re", "b-u585i-iot02a", "f746zg"])
def test_fully_connected_batch1_rowpair_s8_dsp_bounded_standin(board_name, tmp_path, monkeypatch):
    """The requantization mode the chains never reach by themselves, BOUNDED (the output offset not
    folded into the rounding: specialize.requant_folded refused here), specialized on the stand-in:
    every layer says so in model.c and equals the reference."""
    if shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("the stand-in needs qemu-system-arm and arm-none-eabi-gcc")
    monkeypatch.setattr(specialize, "requant_folded", lambda *args: False)
    standin_chains(board_name, tmp_path, PAIRS, PAIRS_LEAN, 12,
                   chains=((3, True, False, Chain.sizes, None), (4, True, False, LEAN_SIZES, 1)),
                   mode_note="all outputs bounded requantization")
