"""tg_depthwise_conv2d_kx1_imm_s8_dsp: one-axis depthwise layers with the layer's step, output
count and common shift as assembler immediates (per-layer loops the model code defines).

On the host: the common shift's requantization identity, exhaustively over accumulators
(tinygen/kernels/depthwise_kx1_imm.py, MODE_COMMON); a numpy model of the kernel's arithmetic
from the packed records equals the reference depthwise convolution over drawn layers; which
layers it refuses. On the stand-ins (slow): drawn chains equal the reference on the F746ZG and
F446RE, the kernel chosen where it serves.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinygen.kernels.depthwise_kx1_dsp import kx1_geometry
from tinygen.kernels.depthwise_kx1_imm import (MAX_E, MODE_COMMON, MODE_SIGN, imm_calls, imm_plan, imm_records,
                                               imm_direct, imm_rows, imm_scratch, imm_serves)
from tinygen.quant.fixedpoint import multiply_by_quantized_multiplier
from tinygen.ref import kernels as ref


def common_requant(acc, m: int, n: int, e: int, zp: int) -> np.ndarray:
    """The MODE_COMMON loops' requantization of an accumulator: weights and bias scaled by
    2^(e+1), SMMLA (no rounding) with B, SSAT's ASR #S, S = n + e."""
    s = n + e
    b = (1 << (e - 1)) + (1 << (s - 1)) + zp * (1 << s)
    summed = np.asarray(acc, np.int64) << (e + 1)
    assert (np.abs(summed) < 1 << 31).all()
    top = ((summed * m) >> 32) + b                                    # SMMLA
    assert (np.abs(top) < 1 << 31).all()
    return np.clip(top >> s, -128, 127)                               # SSAT #8, ASR #S


def test_common_shift_requantization_identity():
    """SSAT8(SMMLA(acc * 2^(e+1), M, B) >> S) equals floor((a + 2^30 + 2^(n-1) * 2^31) / 2^(31+n))
    + zp clamped to int8 for every zero point, and TFLite's requantization clamped at
    act_min = -128 where the zero point is -128 (the sign correction then never shows):
    exhaustively over 2^18 accumulators around 0 and around the largest the scaled sum allows,
    for extreme and drawn multipliers, e 1..7 and shifts n with n + e <= 22. With a zero point above -128
    (act_min below it) it differs somewhere: the loops need MODE_SIGN there."""
    rng = np.random.default_rng(17)
    window = np.arange(-(1 << 17), 1 << 17, dtype=np.int64)
    # S = n + e <= 22: B = ... + zp * 2^S and SMMLA's result stay int32 (imm_plan refuses more)
    cases = [(m, n, e) for m in ((1 << 30), (1 << 31) - 1) for n in (1, 2, 13, 15) for e in (1, MAX_E)]
    for _ in range(24):
        e = int(rng.integers(1, MAX_E + 1))
        cases.append((int(rng.integers(1 << 30, 1 << 31)), int(rng.integers(1, 23 - e)), e))
    differs = 0
    for m, n, e in cases:
        limit = (1 << (30 - e)) - (1 << 17) - 1      # acc * 2^(e+1) stays below 2^31
        for centre in (0, limit, -limit, int(rng.integers(-limit, limit))):
            acc = window + centre
            a = acc * m
            for zp in (-128, int(rng.integers(-127, 128))):
                floor_form = np.clip(((a + (1 << 30) + (1 << (n - 1 + 31))) >> (31 + n)) + zp, -128, 127)
                got = common_requant(acc, m, n, e, zp)
                assert np.array_equal(got, floor_form), (m, n, e, zp, centre)
                want = np.clip(multiply_by_quantized_multiplier(acc, m, -n) + zp, -128, 127)
                if zp == -128:
                    assert np.array_equal(got, want), (m, n, e, centre)
                else:
                    differs += not np.array_equal(got, want)
    assert differs > 0


def _layer(k, s, d, pad, length, c, out_zp=-128, act=(-128, 127), input_offset=5, temporal=True):
    out = (length + 2 * pad - (k - 1) * d - 1) // s + 1
    axis = dict(in_h=length, kernel_h=k, stride_h=s, dilation_h=d, pad_top=pad, out_h=out,
                in_w=1, kernel_w=1, stride_w=1, dilation_w=1, pad_left=0, out_w=1)
    if not temporal:
        axis = dict(in_w=length, kernel_w=k, stride_w=s, dilation_w=d, pad_left=pad, out_w=out,
                    in_h=1, kernel_h=1, stride_h=1, dilation_h=1, pad_top=0, out_h=1)
    return dict(axis, in_c=c, out_c=c, depth_multiplier=1, input_offset=input_offset, output_offset=out_zp,
                act_min=act[0], act_max=act[1])


@st.composite
def imm_layer(draw):
    """A layer of the kernel's geometry (most of them served), either orientation."""
    s = draw(st.sampled_from([1, 2]))
    k = draw(st.sampled_from([2, 3, 4, 5] if s == 1 else [4, 5]))
    d = draw(st.sampled_from([1, 2, 4])) if s == 1 else 1
    c = draw(st.sampled_from([1, 3, 4, 13, 63, 128]))
    pad = draw(st.integers(0, (k - 1) * d))
    out = draw(st.integers(1, 14))
    length = max(1, (out - 1) * s + (k - 1) * d + 1 - 2 * pad)
    zp = draw(st.sampled_from([-128, -128, draw(st.integers(-128, 127))]))
    return _layer(k, s, d, pad, length, c, zp, input_offset=draw(st.sampled_from([-127, 128, 3])),
                  temporal=draw(st.booleans()))


def _consts(rng, p, spread: int):
    g = kx1_geometry(p)
    c = p["in_c"]
    w = rng.integers(-128, 128, size=(1, p["kernel_h"], p["kernel_w"], c)).astype(np.int8)
    w[..., 0] = rng.choice([-128, 127], size=w[..., 0].shape)
    shift = -rng.integers(6, 6 + spread + 1, size=c)
    shift[0] = -6
    shift[-1] = -(6 + spread)
    return dict(weight=w, bias=rng.integers(-(1 << 16), 1 << 16, size=c),
                multiplier=rng.integers(1 << 30, 1 << 31, size=c), shift=shift), g


def imm_model(p: dict, x: np.ndarray, words: np.ndarray) -> np.ndarray:
    """What the kernel computes from the packed records: the raw input padded with the zero
    point, per output the scaled weights' sum from the folded bias, then MODE_COMMON's SMMLA
    with B and SSAT's ASR #S, or MODE_SIGN's SMMLAR with R, the sign, ASR by n and SSAT."""
    g = kx1_geometry(p)
    c, k, s, d = p["in_c"], g["kernel"], g["stride"], g["dilation"]
    rec = words[1:].astype(np.int64).reshape(c, -1)
    half = lambda v: ((v & 0xFFFF) ^ 0x8000) - 0x8000
    if s == 1 and k <= 3:
        w = np.stack([half(rec[:, 0]), half(rec[:, 0] >> 16), half(rec[:, 1] >> 16)], axis=1)[:, :k]
        req = rec[:, 2:]
    elif s == 1:                # [n], W01, W12, W34, fbias, M, B / R, W23
        off = 0 if rec.shape[1] == 7 else 1
        w01, w12, w34, w23 = (rec[:, off + j] for j in (0, 1, 2, 6))
        w = np.stack([half(w01), half(w01 >> 16), half(w23), half(w34), half(w34 >> 16)], axis=1)[:, :k]
        assert (half(w12) == w[:, 1]).all() and (half(w12 >> 16) == w[:, 2]).all()
        assert (half(w23 >> 16) == w[:, 3]).all()
        req = np.concatenate([rec[:, off + 3:off + 6], rec[:, :off]], axis=1)
    else:
        off = 0 if rec.shape[1] == 6 else 1
        pairs = rec[:, off:off + 3]
        w = np.stack([half(pairs[:, j // 2] >> (16 * (j % 2))) for j in range(5)], axis=1)[:, :k]
        req = np.concatenate([rec[:, off + 3:], rec[:, :off]], axis=1)
    raw = np.full((imm_rows(g), c), -p["input_offset"], np.int64)
    raw[g["pad"]:g["pad"] + g["len"]] = x.reshape(g["len"], c)
    out = np.zeros((g["out"], c), np.int64)
    for t in range(g["out"]):
        total = req[:, 0] + np.einsum("ic,ci->c", raw[t * s:t * s + k * d:d], w)
        assert (np.abs(total) < 1 << 31).all()
        if req.shape[1] == 3:                                   # MODE_COMMON: fbias, M, B
            shift = int(p["common_shift"])
            y = ((total * req[:, 1]) >> 32) + req[:, 2]
            assert (np.abs(y) < 1 << 31).all()
            out[t] = np.clip(y >> shift, -128, 127)
        else:                                                   # MODE_SIGN: fbias, M, R, n
            y = ((total * req[:, 1] + (req[:, 2] << 32) + (1 << 31)) >> 32) + (total >> 63)
            assert (np.abs(y) < 1 << 31).all()
            out[t] = np.clip(y >> req[:, 3], -128, 127)
    return out.astype(np.int8)


@settings(derandomize=True, max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=imm_layer(), spread=st.integers(0, 7), seed=st.integers(0, 2**32 - 1))
def test_depthwise_kx1_imm_s8_records_model_equals_reference(p, spread, seed):
    rng = np.random.default_rng(seed)
    consts, g = _consts(rng, p, spread)
    x = rng.integers(-128, 128, size=g["len"] * p["in_c"]).astype(np.int8)
    x[:p["in_c"]] = rng.choice([-128, 127], size=p["in_c"])
    plan = imm_plan(p, consts)
    words = imm_records(p, consts)
    common = p["output_offset"] == -128 and (spread <= 6 or p["in_c"] == 1)     # 1 channel: no spread
    if plan is None:
        assert int(words[0]) == 0 and imm_scratch(p) == 0 or p["in_c"] * g["dilation"] > 255
        return
    assert plan["mode"] == (MODE_COMMON if common else MODE_SIGN)
    assert int(words[0]) == p["in_c"]
    assert imm_scratch(p) == 0 if imm_direct(g) else imm_scratch(p) >= imm_rows(g) * p["in_c"]
    want = ref.depthwise_conv2d_s8(p, x, consts["weight"], consts["bias"], consts["multiplier"],
                                   consts["shift"]).reshape(g["out"], p["in_c"])
    got = imm_model(dict(p, common_shift=plan["shift"]), x, words)
    diff = np.argwhere(got != want)
    assert diff.size == 0, f"first differences (output, channel): {diff[:5].tolist()}"


def test_depthwise_kx1_imm_s8_refuses_what_it_cannot_serve():
    rng = np.random.default_rng(3)
    p = _layer(3, 1, 1, 1, 49, 128)
    consts, _ = _consts(rng, p, 6)
    assert imm_plan(p, consts)["mode"] == MODE_COMMON and imm_plan(p, consts)["shift"] == 13
    assert imm_plan(p, dict(consts, shift=np.where(consts["shift"] == -6, -5, consts["shift"])))["mode"] == MODE_SIGN
    assert imm_plan(dict(p, output_offset=-127), consts)["mode"] == MODE_SIGN
    refused = [
        dict(p, act_min=-100),                         # a clamp SSAT is not
        dict(p, act_max=100),
        _layer(3, 1, 5, 5, 49, 128),                   # output step 640: 7 * 640 > 4095
        _layer(3, 1, 1, 1, 49, 256),                   # sample step 256 > 255
        _layer(5, 1, 2, 4, 49, 128),                   # 5 taps at stride 1: output step 256 > 255
        _layer(6, 1, 1, 2, 49, 16),                    # 6 taps
        _layer(3, 2, 1, 1, 49, 16),                    # 3 taps at stride 2
        _layer(5, 2, 2, 2, 49, 16),                    # dilated stride 2
    ]
    for q in refused:
        assert not imm_serves(q, _consts(rng, q, 6)[0]) and imm_scratch(q) == 0, q
    assert not imm_serves(p, dict(consts, bias=np.full(128, 1 << 29)))          # the scaled sums' int32 bound
    assert not imm_serves(p, dict(consts, shift=np.full(128, 1)))               # a left shift
    # 2,200 steps at 2 taps: the common shift's counter holds them, MODE_SIGN's does not
    long = _layer(2, 1, 1, 0, 2200, 8)
    c8 = _consts(rng, long, 6)[0]
    assert imm_plan(long, c8)["mode"] == MODE_COMMON and not imm_serves(dict(long, output_offset=0), c8)
    # calls: stride 1 one per dilation phase, ceil and floor of out / d
    assert imm_calls(kx1_geometry(_layer(3, 1, 2, 2, 15, 8))) == [8, 7]
    assert imm_calls(kx1_geometry(_layer(3, 1, 2, 2, 16, 8))) == [8]
    assert imm_calls(kx1_geometry(_layer(5, 2, 1, 2, 49, 8))) == [25]


# -- on the stand-ins ----------------------------------------------------------------------------

# Chains (layers (k, stride, dilation, pad, activation), channels, temporal, input length, a
# negative calibration input: the first layer's input zero point near 127). Every layer is the
# kernel's: stride 1 with 2 / 3 taps at dilations 1, 2, 4, stride 2 with 4 / 5 taps; ReLU layers
# (output zero point -128) take MODE_COMMON where their shifts span <= 6, the others MODE_SIGN.
# Odd and even outputs per call, 1..3 outputs, no padding and more than the taps, 2..128 channels
# (1 channel is a plain conv2d to the front end: the host model above covers it).
IMM_CHAINS = [
    ([(3, 1, 1, 1, "relu"), (2, 1, 1, 0, "none"), (3, 1, 2, 2, "relu"), (3, 1, 4, 3, "none")], 13, True, 17, False),
    ([(5, 2, 1, 2, "relu"), (4, 2, 1, 1, "none"), (5, 2, 1, 0, "relu"), (2, 1, 1, 1, "relu")], 13, False, 60, False),
    ([(3, 1, 1, 1, "relu"), (5, 2, 1, 2, "none"), (3, 1, 1, 1, "none"), (4, 2, 1, 3, "relu")], 128, True, 49, False),
    ([(3, 1, 4, 4, "relu"), (2, 1, 2, 1, "none"), (5, 2, 1, 4, "relu"), (3, 1, 1, 0, "relu")], 2, True, 30, True),
    ([(3, 1, 1, 0, "relu"), (2, 1, 1, 0, "none"), (2, 1, 1, 0, "relu")], 3, False, 5, True),
    ([(3, 1, 4, 4, "relu"), (3, 1, 2, 0, "none"), (5, 2, 1, 1, "relu"), (4, 2, 1, 2, "none")], 4, False, 41, False),
    # output steps over 255: STRB at offsets (dilation 4 x 128 = 512, 2 x 128, 4 x 67 = 268 with
    # rows of the copy not word aligned)
    ([(3, 1, 4, 4, "none"), (3, 1, 2, 2, "relu"), (2, 1, 4, 2, "relu"), (3, 1, 4, 0, "none")], 128, True, 49, False),
    ([(3, 1, 4, 4, "relu"), (2, 1, 4, 3, "none"), (3, 1, 4, 8, "relu")], 67, False, 23, True),
    # stride 1 with 4 or 5 taps: 1..5 pairs after the loop and the odd output, dilation 1 and 2
    ([(5, 1, 1, 2, "relu"), (4, 1, 1, 1, "none"), (5, 1, 1, 0, "none"), (4, 1, 1, 3, "relu")], 128, True, 49, False),
    ([(5, 1, 2, 4, "none"), (4, 1, 2, 2, "relu"), (5, 1, 1, 1, "relu"), (4, 1, 1, 0, "none")], 13, False, 20, True),
]
IMM = "tg_depthwise_conv2d_kx1_imm_s8_dsp"
_ROLES = ("weight", "bias", "multiplier", "shift")


def _node_consts(graph, node) -> dict:
    return {role: graph.tensor(node.param(role)).data for role in _ROLES}


def _set(graph, node, role, values) -> None:
    t = graph.tensor(node.param(role))
    t.data = np.asarray(values).astype(t.data.dtype).reshape(t.data.shape)


def _stress(graph, node, spread: int, rng) -> None:
    """The layer's shifts spanning exactly `spread` (n >= 1; 2+ channels), extreme weights on two
    channels, and channel 0's bias the largest the kernel serves (the scaled sums' and SMMLA's
    int32 checks); the records packed again."""
    from tinygen.kernels.depthwise_kx1_imm import imm_records

    k, c = node.attrs["kparams"], node.attrs["kparams"]["in_c"]
    consts = _node_consts(graph, node)
    n = -consts["shift"].astype(np.int64)
    base = max(1, int(np.median(n)) - spread // 2)
    _set(graph, node, "shift", -(base + rng.permutation(np.arange(c) * spread // max(c - 1, 1))))
    w = consts["weight"].copy().reshape(-1, c)
    w[:, 0] = -128
    w[:, -1] = 127
    _set(graph, node, "weight", w)
    consts = _node_consts(graph, node)
    bias = consts["bias"].astype(np.int64)
    lo, hi = int(bias[0]), 1 << 31
    if imm_serves(k, consts):
        while hi - lo > 1:
            mid = (lo + hi) // 2
            served = imm_serves(k, dict(consts, bias=np.where(np.arange(c) == 0, mid, bias)))
            lo, hi = (mid, hi) if served else (lo, mid)
        _set(graph, node, "bias", np.where(np.arange(c) == 0, lo, bias))
    packed = graph.tensor(node.param("packed"))          # MODE_SIGN's records are longer
    packed.data = imm_records(k, _node_consts(graph, node))
    packed.shape = packed.data.shape


@pytest.mark.slow
@pytest.mark.parametrize("board", ["f746zg", "f446re"])
@pytest.mark.parametrize("spread", [6, 7])
@pytest.mark.parametrize("case", range(len(IMM_CHAINS)))
def test_depthwise_kx1_imm_s8_dsp_standin(board, case, spread, tmp_path):
    """Each chain built for the stand-in equals the reference on every layer, with inputs in range
    and saturating at -128 / 127; spread 6: the ReLU layers of 2+ channels in MODE_COMMON, 7: in
    MODE_SIGN (the common shift does not serve them)."""
    from standin_lib import needs_qemu
    from test_kernels_dsp_depthwise_kx1 import _export

    from e2e import assert_device_equals_reference
    from tinygen.board import get_board
    from tinygen.compiler import build, compile_source
    from tinygen.hil.target import open_device
    from tinygen.passes import CompileOptions
    from tinygen.ref.interpreter import quantize_input

    if needs_qemu.args[0]:
        pytest.skip(needs_qemu.kwargs["reason"])
    layers, channels, temporal, length, negative = IMM_CHAINS[case]
    source = _export(layers, channels, temporal, length, tmp_path)
    if negative:      # calibration inputs <= 0: the first layer's input zero point near 127
        calib = np.load(tmp_path / "calib.npy")
        np.save(tmp_path / "calib.npy", -np.abs(calib))
    options = CompileOptions(features=frozenset(get_board(board).isa_features), lower_peak=False)
    graph = compile_source(source, str(tmp_path / "calib.npy"), options)
    nodes = [n for n in graph.nodes if n.op == "depthwise_conv2d"]
    assert [n.kernel for n in nodes] == [IMM] * len(layers), [n.kernel for n in nodes]
    rng = np.random.default_rng(case)
    modes = []
    for node, (*_, act) in zip(nodes, layers):
        _stress(graph, node, spread, rng)
        plan = imm_plan(node.attrs["kparams"], _node_consts(graph, node))
        assert plan is not None
        relu = node.attrs["kparams"]["output_offset"] == -128
        assert relu == (act == "relu")
        modes.append(plan["mode"])
        if channels > 1:
            assert plan["mode"] == (MODE_COMMON if relu and spread <= 6 else MODE_SIGN)
    if negative:
        assert graph.tensor(nodes[0].inputs[0]).qparams.zero_point[0] >= 120
    project = build(source, graph, get_board(board), tmp_path / "fw").out_dir
    code = (project / "src" / "model.c").read_text() if (project / "src" / "model.c").exists() else \
        next(p.read_text() for p in project.rglob("model.c"))
    assert code.count("TG_DW_KX1_IMM_DEFINE(") >= len(layers)
    with open_device(get_board(board), project, emulate=True) as dev:
        for scale in (1.0, 8.0):      # 8: most inputs saturate at -128 / 127
            x = quantize_input(graph, source.to_graph_layout(
                rng.standard_normal(source.input_shape).astype(np.float32) * scale))
            assert_device_equals_reference(dev, graph, x, f"{board} {layers} c={channels} modes {modes}")


def test_depthwise_kx1_imm_s8_dsp_kernel_choice_refuses_what_it_cannot_serve(tmp_path):
    """Kernel choice offers the kernel only where it serves the layer: not with an upper clamp
    below 127 (forced on the second layer after compiling), 5 taps at stride 1 with an output
    step above 255 bytes (dilation 2 x 128 channels), or 3 taps with one above 585 (dilation
    5 x 128): those go to the raw or widened kernels."""
    from test_kernels_dsp_depthwise_kx1 import _export

    from tinygen.board import get_board
    from tinygen.compiler import compile_source
    from tinygen.passes import CompileOptions
    from tinygen.passes.choose_kernels import kernel_candidates

    layers = [(3, 1, 1, 1, "relu"), (3, 1, 1, 1, "relu"), (5, 1, 2, 4, "none"), (3, 1, 5, 5, "none")]
    features = frozenset(get_board("f746zg").isa_features)
    for channels, want in ((16, [True, True, True, True]), (128, [True, True, False, False])):
        source = _export(layers, channels, True, 20, tmp_path)
        graph = compile_source(source, str(tmp_path / "calib.npy"), CompileOptions(features=features, lower_peak=False))
        nodes = [n for n in graph.nodes if n.op == "depthwise_conv2d"]
        offered = lambda: [IMM in {s.name for s in kernel_candidates(graph, n, features)} for n in nodes]
        assert offered() == want and [n.kernel == IMM for n in nodes] == want, [n.kernel for n in nodes]
        nodes[1].attrs["act_max"] = nodes[1].attrs["kparams"]["act_max"] = 90
        assert offered() == [True, False] + want[2:]
        assert "tg_depthwise_conv2d_kx1_s8_dsp" in {s.name for s in kernel_candidates(graph, nodes[1], features)}


def test_imm_code_bytes_bounds_the_compiled_loops(tmp_path):
    """depthwise_kx1_imm.imm_code_bytes (the code estimate's share of a layer) is at least the
    size of the loops TG_DW_KX1_IMM_DEFINE compiles to, for the longest remainders (stride 1:
    3 pairs and the odd output; stride 2: 5 outputs), both modes, output steps over 255."""
    import shutil
    import subprocess

    from kernel_lib import KERNEL_INCLUDES
    from tinygen.kernels.depthwise_kx1_imm import imm_code_bytes, imm_defines

    gcc = shutil.which("arm-none-eabi-gcc")
    if gcc is None:
        pytest.skip("arm-none-eabi-gcc is not installed (apt-get install gcc-arm-none-eabi)")
    rng = np.random.default_rng(11)
    layers = [_layer(3, 1, 1, 1, 15, 128, zp) for zp in (-128, 0)]              # 15 outputs: 1 loop, 3 pairs, odd
    layers += [_layer(5, 2, 1, 2, 22, 128, zp) for zp in (-128, 0)]             # 11 outputs: 1 loop, 5
    layers += [_layer(3, 1, 4, 4, 60, 128, zp) for zp in (-128, 0)]             # 15 per phase, step 512
    layers += [_layer(5, 1, 1, 2, 11, 128, zp) for zp in (-128, 0)]             # 11 outputs: 1 loop, 2 pairs, odd
    for i, p in enumerate(layers):
        consts = _consts(rng, p, 6)[0]
        defines = imm_defines(f"l{i}", p, consts)
        src = tmp_path / f"l{i}.c"
        src.write_text('#include "tg_depthwise_conv2d_kx1_imm_s8_dsp.h"\n' + "".join(
            f"TG_DW_KX1_IMM_DEFINE({fn}, {', '.join(map(str, args))})\n" for fn, args in defines) +
            f"tg_dw_kx1_imm_fn tg_used_{i}[] = {{{', '.join(fn for fn, _ in defines)}}};\n")
        obj = tmp_path / f"l{i}.o"
        for core in ("cortex-m7", "cortex-m4"):
            subprocess.run([gcc, f"-mcpu={core}", "-mthumb", "-O2", "-Wall", "-Werror", *KERNEL_INCLUDES, "-c",
                            str(src), "-o", str(obj)], check=True)
            nm = subprocess.run([gcc.replace("gcc", "nm"), "-S", str(obj)], check=True, capture_output=True,
                                text=True).stdout
            size = sum(int(line.split()[1], 16) for line in nm.splitlines() if line.split()[-1].startswith(f"l{i}_"))
            assert 0 < size <= imm_code_bytes(p, consts), (p, size, imm_code_bytes(p, consts))
