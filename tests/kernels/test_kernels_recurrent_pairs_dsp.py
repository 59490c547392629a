"""tg_lstm_s8_pairs_dsp's packing (tinygen/kernels/recurrent_pairs_dsp.py): two gates' int8 weights to a
halfword, h = 256 b + a. The words hold the weights, and the kernel's arithmetic on them, emulated here
in 32 bits as SMLAD and SXTB16 do it (acc1 over the halfwords, acc2 over the low bytes, B = (acc1 -
acc2) >> 8), gives every gate's product exactly, up to the bound pairs_fit checks; pairs_fit refuses
what the trick cannot hold; the DSP LSTMs' sigmoid and branchless tanh, interpolated from the table's entries
and steps in one word each (tg_sigmoid_steps_u32.c), equal the table's, and so do their versions over signed
grids (tg_sigmoid_signed_u32.c, tg_tanh_signed_u32.c: one SMLAD, no |v|). The kernels against the
reference on the stand-ins: test_kernels_recurrent_dsp."""

from __future__ import annotations

import re

import numpy as np

from tinygen.kernels.recurrent_dsp import lstm_dsp_requant
from tinygen.kernels.recurrent_pairs_dsp import (B_LIMIT, OVERREAD_WORDS, X_COLUMNS, groups, pack_lstm_pairs_dsp,
                                                 pairs_dsp_scratch, pairs_fit, x_columns)
from tinygen.ref.recurrent import SIGMOID_TABLE, sigmoid_s16, tanh_s16
from tinygen.resources import firmware_path

HEAD = 11 * 3           # lstm_dsp_requant's records


def _params(h: int, **changes) -> dict:
    p = {"hidden": h, "input_offset": 7, "hidden_offset": -3,
         "in_mult": [1 << 30] * 4, "in_shift": [0, -2, -1, -5],
         "rec_mult": [1 << 30, 1 << 30, 1 << 30, 0], "rec_shift": [-3, -3, -3, 0],
         "forget_mult": 1 << 30, "forget_shift": -14, "cell_mult": 1 << 30, "cell_shift": -4,
         "output_mult": 3 << 29, "output_shift": -20}
    return {**p, **changes}


def _s32(v):
    return ((np.asarray(v, np.int64) + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _halves(words):
    """int32 words -> their int16 halves, low first."""
    u = np.asarray(words, np.int64) & 0xFFFFFFFF
    halves = np.stack([((u & 0xFFFF) ^ 0x8000) - 0x8000, ((u >> 16) ^ 0x8000) - 0x8000], axis=-1)
    return halves.reshape(*u.shape[:-1], -1)


def _sxtb16(halves):
    """SXTB16 per halfword: its low byte sign-extended."""
    return ((halves & 0xFF) ^ 0x80) - 0x80


def _kernel_products(side: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The 4 gate products tg_lstm_s8_pairs_dsp takes from one side's words (starts, then groups) and the
    int8 vector x, in 32-bit arithmetic: SMLAD wraps, (acc1 - acc2) >> 8 arithmetic."""
    k4 = (side.size - 4) // 4
    cols = np.zeros(4 * k4, np.int64)
    cols[:x.size] = x
    halves = _halves(side[4:].reshape(k4, 2, 2)).reshape(k4, 2, 4)      # [group, pair, 4 columns]
    acc = _s32(side[:4])
    out = []
    for pair in range(2):
        h = halves[:, pair].ravel()
        acc1 = _s32(acc[2 * pair] + np.sum(h * cols))
        acc2 = _s32(acc[2 * pair + 1] + np.sum(_sxtb16(h) * cols))
        out += [acc2, _s32(acc1 - acc2) >> 8]
    return np.array(out)


def _kernel_input_products(side: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The same from one unit's input side (its four starts, then per two columns the words of gates (0, 1)
    and (2, 3) side by side: tg_lstm_pairs_inputs2's record)."""
    words = side[4:].reshape(-1, 2)                 # [column pair, gate pair]
    out = []
    for pair in range(2):
        h = _halves(words[:, pair])
        cols = np.zeros(h.size, np.int64)
        cols[:x.size] = x
        acc1 = _s32(side[2 * pair] + np.sum(h * cols))
        acc2 = _s32(side[2 * pair + 1] + np.sum(_sxtb16(h) * cols))
        out += [acc2, _s32(acc1 - acc2) >> 8]
    return np.array(out)


def _unit_sides(words: np.ndarray, h: int, inputs: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each unit's input side and recurrent side: every unit's input side first, then every unit's
    recurrent side."""
    side_x, side_h = 4 + x_columns(inputs), 4 + 4 * groups(h)
    body = words[HEAD:words.size - OVERREAD_WORDS]
    assert body.size == h * (side_x + side_h)
    xs, hs = body[:h * side_x].reshape(h, side_x), body[h * side_x:].reshape(h, side_h)
    return list(zip(xs, hs))


def test_pairs_packing_gives_every_gates_products_exactly():
    rng = np.random.default_rng(1)
    h, i = 5, 11
    p = _params(h)
    w_ih, w_hh = rng.integers(-127, 128, (4, h, i)), rng.integers(-127, 128, (4, h, h))
    w_ih[1, 0, :] = -128            # B = -128 with A >= 0 fits an int16
    w_ih[0, 0, :] = rng.integers(0, 128, i)
    bias = rng.integers(-5000, 5000, (4, h))
    consts = {"w_ih": w_ih, "w_hh": w_hh, "bias": bias}
    assert pairs_fit(p, consts)
    words = pack_lstm_pairs_dsp(p, consts).astype(np.int64)
    assert np.array_equal(words[:HEAD], _s32(lstm_dsp_requant(p)))
    assert words.size == HEAD + h * (8 + x_columns(i) + 4 * groups(h)) + OVERREAD_WORDS
    assert np.array_equal(words[-OVERREAD_WORDS:], np.zeros(OVERREAD_WORDS))
    fh = np.array([1, 1, 1, 0])     # gate 3's recurrent multiplier is 0: its product is 0
    for k in range(20):
        x = rng.integers(-128, 128, i)
        hs = rng.integers(-128, 128, h)
        for j, (sx, sh) in enumerate(_unit_sides(words, h, i)):
            want_x = bias[:, j] + (w_ih[:, j] * (x + 7)).sum(1)
            want_h = fh * (w_hh[:, j] * (hs - 3)).sum(1)
            assert np.array_equal(_kernel_input_products(sx, x), want_x), (k, j)
            assert np.array_equal(_kernel_products(sh, hs), want_h), (k, j)


def test_pairs_arithmetic_holds_up_to_the_bound_and_not_past_it():
    """B's bias plus products at the edge of [-2^23, 2^23) comes out exact; one past it does not (the
    bound pairs_fit checks is the kernel's true limit)."""
    h, i = 1, 4
    p = _params(h, in_shift=[0, 0, 0, 0], rec_mult=[1 << 30] * 4, rec_shift=[0, 0, 0, 0], input_offset=0,
                hidden_offset=0)
    w_ih = np.zeros((4, h, i), np.int64)
    w_ih[1] = 127
    x = np.full(i, 127)
    for top, exact in ((B_LIMIT - 1, True), (B_LIMIT, False)):
        bias = np.zeros((4, h), np.int64)
        bias[1] = top - 127 * 127 * i
        words = pack_lstm_pairs_dsp(p, {"w_ih": w_ih, "w_hh": np.zeros((4, h, h), np.int64), "bias": bias})
        sx, _ = _unit_sides(words.astype(np.int64), h, i)[0]
        got = _kernel_input_products(sx, x)[1]
        assert (got == top) == exact, (top, got)


def test_pairs_fit_refuses_what_the_halfwords_cannot_hold():
    rng = np.random.default_rng(2)
    h, i = 3, 6
    p = _params(h)
    base = {"w_ih": rng.integers(-127, 128, (4, h, i)), "w_hh": rng.integers(-127, 128, (4, h, h)),
            "bias": rng.integers(-100, 100, (4, h))}
    assert pairs_fit(p, base)
    w = base["w_hh"].copy()
    w[1, 1, 2], w[0, 1, 2] = -128, -1            # 256 x -128 - 1 leaves int16
    assert not pairs_fit(p, {**base, "w_hh": w})
    w[0, 1, 2] = 0
    assert pairs_fit(p, {**base, "w_hh": w})
    bias = base["bias"].copy()
    bias[1, 0] = B_LIMIT                         # B's bias alone past the bound
    assert not pairs_fit(p, {**base, "bias": bias})
    assert not pairs_fit(_params(h, in_shift=[0, 1, 0, 0]), base)       # a left shift: its factor leaves int8
    assert not pairs_fit(_params(h, output_shift=1), base)              # tg_lstm_s8_dsp's own refusals


def test_pairs_scratch_holds_the_widened_vectors_and_the_overread():
    p = {"input_size": 5, "hidden": 7, "in_shift": [0, 0, 0, 0]}
    assert groups(5) == 2 and groups(7) == 2 and groups(8) == 2 and groups(9) == 4
    assert X_COLUMNS == 16 and x_columns(5) == 16 and x_columns(16) == 16 and x_columns(17) == 32
    # two steps' inputs (tg_lstm_pairs_x22_dsp.h) and their input sides' pre-activations: 4 gates of int16 a
    # unit and step (tg_lstm_pairs_unit_dsp.h), or where an input-side record shifts right their int32 sums
    two_inputs, hidden, spare, sums = 2 * 2 * 16, 2 * 4 * 2, 8, 2 * 4 * 2 * 7
    assert pairs_dsp_scratch(p) == two_inputs + hidden + 2 * 4 * OVERREAD_WORDS + spare + sums
    assert pairs_dsp_scratch({**p, "in_shift": [0, -1, 0, 0]}) == pairs_dsp_scratch(p) + sums


def _steps(name: str = "tg_sigmoid_steps_u32") -> np.ndarray:
    """A table's words (tg_sigmoid_steps_u32.c's by default), read from its C source."""
    text = firmware_path(f"kernels/{name}.c").read_text()
    body = text[text.index("{") + 1:text.rindex("}")]
    return np.array([int(v, 16) for v in re.findall(r"0x([0-9a-f]+)u", body)], np.int64)


def _smuad_step(frac, step, shift: int) -> np.ndarray:
    """SMUAD(frac | 2^shift << 16, step): the bottom halves' signed product plus the top halves' (2^shift
    times the entry read as signed)."""
    low = ((step & 0xFFFF) ^ 0x8000) - 0x8000
    high = ((step >> 16) ^ 0x8000) - 0x8000
    return _s32(frac * low + (high << shift))


def test_sigmoid_steps_hold_each_table_entry_and_its_step():
    table = SIGMOID_TABLE.astype(np.int64)
    steps = np.append(np.diff(table), 0)
    assert np.array_equal(_steps(), (table << 16) | steps)


def test_dsp_lstms_sigmoid_from_the_steps_equals_the_table_over_every_input():
    """tg_lstm_sigmoid_q12_v (tg_lstm_s8_dsp.h, of v = 3x): one word per entry, SMUAD's interpolation (the entry read
    as signed), mirrored here against sigmoid_s16 over every saturated Q3.12 input."""
    x = np.arange(-32768, 32768, dtype=np.int64)
    v = 3 * x
    s = v >> 63
    a = (v ^ s) - s
    r = _smuad_step(a & 0x1FF, _steps()[a >> 9], 9)
    got = (_s32((r ^ s) + (s << 25) + (1 << 25) + 512)) >> 10
    assert np.array_equal(got, sigmoid_s16(x))


def test_branchless_tanh_of_the_dsp_lstms_equals_the_tables_over_every_input():
    """tg_lstm_tanh_scaled (tg_lstm_s8_dsp.h, both DSP LSTMs): |v| clamped to 65535 (USAT #16) instead of
    tg_tanh_s16's saturation test, the sign's cases in one expression, the interpolation from
    tg_sigmoid_steps_u32; its arithmetic mirrored here against tanh_s16 over every input in [-2^20, 2^20),
    past the saturation at |v| = 65280 (beyond it both are constant)."""
    v = np.arange(-(1 << 20), 1 << 20, dtype=np.int64)
    s = v >> 63
    a = np.minimum((v ^ s) - s, 65535)
    r = _smuad_step(a & 0xFF, _steps()[a >> 8], 8) + (1 << 23) + 128
    got = (_s32((_s32(r) ^ s) - (s << 8))) >> 8
    assert np.array_equal(got, tanh_s16(v, 1, 0))


def _signed_words(low: int, high: int, offset: int) -> np.ndarray:
    """The signed grid's words for k in [low, high): the entry (table[k] - offset, or 65536 - offset - table[-k]
    where k < 0) over the step (table[k + 1] - table[k], or table[-k] - table[-k - 1]), table[256] = table[255]."""
    t = np.append(SIGMOID_TABLE.astype(np.int64), SIGMOID_TABLE[-1])
    k = np.arange(low, high)
    m = np.abs(k)
    entry = np.where(k >= 0, t[m] - offset, 65536 - offset - t[m])
    step = np.where(k >= 0, t[np.minimum(m + 1, 256)] - t[m], t[m] - t[np.maximum(m - 1, 0)])
    assert entry.min() >= -32768 and entry.max() < 32768 and step.min() >= 0 and step.max() < 32768
    return ((entry & 0xFFFF) << 16) | step


def test_signed_tables_hold_each_sides_entries_and_steps():
    """tg_sigmoid_signed_u32.c (k in [-192, 192), entries less 32767) and tg_tanh_signed_u32.c (k in [-256,
    256), entries less 32768): both sides' words as derived from the sigmoid table."""
    assert np.array_equal(_steps("tg_sigmoid_signed_u32"), _signed_words(-192, 192, 32767))
    assert np.array_equal(_steps("tg_tanh_signed_u32"), _signed_words(-256, 256, 32768))


def _smlad_signed(frac, word, shift: int, acc) -> np.ndarray:
    """SMLAD(frac | 2^shift << 16, word, acc)."""
    return _s32(_smuad_step(frac, word, shift) + acc)


def test_signed_sigmoid_of_the_dsp_lstms_equals_the_table_over_every_input():
    """tg_lstm_sigmoid_signed_v (tg_lstm_s8_dsp.h, the cores without TG_DUAL_ISSUE): the word at 192 + (v >> 9),
    one SMLAD accumulating v >> 31, (+ 2^24) >> 10; mirrored here against sigmoid_s16 over every Q3.12
    input (both signs, no |v|)."""
    x = np.arange(-32768, 32768, dtype=np.int64)
    v = 3 * x
    r = _smlad_signed(v & 0x1FF, _steps("tg_sigmoid_signed_u32")[192 + (v >> 9)], 9, v >> 63)
    assert np.array_equal(_s32(r + (1 << 24)) >> 10, sigmoid_s16(x))


def test_signed_tanh_of_the_dsp_lstms_equals_the_tables_over_every_input():
    """tg_lstm_tanh_signed: v clamped to [-65536, 65535] (SSAT #17), the word at 256 + (v >> 8), one SMLAD
    accumulating v >> 31, (+ 128) >> 8; mirrored here against tanh_s16 over every input in [-2^20, 2^20) and
    the int32 extremes (beyond the clamp both are constant)."""
    v = np.concatenate([np.arange(-(1 << 20), 1 << 20, dtype=np.int64), [-(1 << 31), (1 << 31) - 1]])
    c = np.clip(v, -65536, 65535)
    r = _smlad_signed(c & 0xFF, _steps("tg_tanh_signed_u32")[256 + (c >> 8)], 8, c >> 63)
    assert np.array_equal(_s32(r + 128) >> 8, tanh_s16(v, 1, 0))
