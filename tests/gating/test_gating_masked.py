"""Masked (gated) depthwise and fully connected kernels (issue 23): the portable C kernels
against their references (fully connected: the dense kernel with the dropped outputs
zeroed, the kept ones scaled; depthwise: the gate folded into the requantization) (all,
none, one and random channels kept, property-tested shapes), a compiled model with a gated
depthwise conv and a gated linear layer bit-exact on the host (every gate decision too) and
layer by layer on the f746zg / f446re stand-ins (DSP kernels) at several densities, and
`inspect` naming the layers after a gate that cannot skip its dropped channels."""

from __future__ import annotations

import ctypes
import shutil

import numpy as np
import pytest
import torch
from e2e import assert_device_equals_reference
from gating_models import calibration, masked_net
from hypothesis import given
from hypothesis import strategies as st
from test_gating import MASKS, SETTINGS, _host_decisions, _inputs, _p8, _p32, _struct, c_buffer_sizes
from torch_models import compile_module

from tinygen.ref import gating as gref
from tinygen.gating import sweep
from tinygen.gating.inspect import notes
from tinygen.passes import CompileOptions
from tinygen.quant import op_params
from tinygen.ref import kernels as ref


def _gate_case(rng, channels: int, mask: str, zc: int):
    """The gate's multiply parameters (TFLite MUL of the layer result and the gate) and a gate
    vector keeping `mask` of the channels (kept values never at the gate's zero point)."""
    zg, zo = (int(v) for v in rng.integers(-128, 128, 2))
    mul = op_params.mul_params(0.02, zc, 0.01, zg, float(rng.uniform(0.001, 0.05)), zo, -128, 127)
    p = {"gate_input_offset": mul["input2_offset"], "gate_output_offset": mul["output_offset"],
         "gate_multiplier": mul["output_multiplier"], "gate_shift": mul["output_shift"], "gate_act_min": -128,
         "gate_act_max": 127}
    keep = {"all": np.ones(channels, bool), "none": np.zeros(channels, bool),
            "one": np.arange(channels) == rng.integers(channels), "random": rng.random(channels) < 0.5}[mask]
    gate = np.where(keep, rng.integers(-128, 128, channels), zg).astype(np.int8)
    gate[keep & (gate == zg)] = np.int8(zg + 1 if zg < 127 else zg - 1)
    return p, gate, keep


def _dense_times_gate(p: dict, dense: np.ndarray, gate: np.ndarray) -> np.ndarray:
    """The dense result [..., C] times the gate with ref.mul_s8 (broadcast over the pixels)."""
    c = dense.shape[-1]
    pixels = dense.size // c
    mul = {"shape": [1, 1, pixels, c], "input1_strides": [0, 0, c, 1], "input2_strides": [0, 0, 0, 1],
           "input1_offset": -p["output_offset"], "input2_offset": p["gate_input_offset"],
           "output_offset": p["gate_output_offset"], "output_multiplier": p["gate_multiplier"],
           "output_shift": p["gate_shift"], "act_min": p["gate_act_min"], "act_max": p["gate_act_max"]}
    return ref.mul_s8(mul, dense, gate).reshape(-1)


def _requant(rng, channels: int):
    bias = rng.integers(-5000, 5000, channels).astype(np.int32) if rng.random() < 0.7 else None
    m = rng.integers(2 ** 30, 2 ** 31 - 1, channels).astype(np.int32)
    sh = rng.integers(-10, -5, channels).astype(np.int32)
    return bias, m, sh


@st.composite
def depthwise_case(draw):
    kh, kw = draw(st.sampled_from([1, 3, 5])), draw(st.sampled_from([1, 2, 3]))
    c = draw(st.integers(1, 11))
    stride, dil = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    pad_t, pad_l = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    in_h = draw(st.integers(max(1, dil * (kh - 1) + 1 - 2 * pad_t), 10))
    in_w = draw(st.integers(max(1, dil * (kw - 1) + 1 - 2 * pad_l), 10))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 31)))
    zx, zc = (int(v) for v in rng.integers(-128, 128, 2))
    p = {"in_h": in_h, "in_w": in_w, "in_c": c, "out_h": (in_h + 2 * pad_t - dil * (kh - 1) - 1) // stride + 1,
         "out_w": (in_w + 2 * pad_l - dil * (kw - 1) - 1) // stride + 1, "out_c": c, "kernel_h": kh,
         "kernel_w": kw, "stride_h": stride, "stride_w": stride, "dilation_h": dil, "dilation_w": dil,
         "pad_top": pad_t, "pad_left": pad_l, "depth_multiplier": 1, "input_offset": -zx, "output_offset": zc,
         "act_min": zc if draw(st.booleans()) else -128, "act_max": 127, "in_gate_input_offset": 0,
         "skip_inputs": 0}
    g, gate, keep = _gate_case(rng, c, draw(st.sampled_from(MASKS)), zc)
    x = rng.integers(-128, 128, (in_h, in_w, c)).astype(np.int8)
    w = rng.integers(-127, 128, (1, kh, kw, c)).astype(np.int8)
    return p | g, x, gate, w, *_requant(rng, c), keep


@SETTINGS
@given(depthwise_case())
def test_depthwise_conv2d_gated_s8_host_equals_folded_reference(gating_lib, case):
    lib, types = gating_lib
    p, x, gate, w, bias, m, sh, keep = case
    out = np.zeros(p["out_h"] * p["out_w"] * p["out_c"], np.int8)
    lib.tg_depthwise_conv2d_gated_s8(ctypes.byref(_struct(types, "tg_conv2d_gated_params_t", p)), _p8(x), _p8(gate),
                                     _p8(w), _p32(bias), _p32(m), _p8(sh.astype(np.int8)), _p8(out))
    np.testing.assert_array_equal(out, gref.depthwise_conv2d_gated_s8(p, x, gate, w, bias, m, sh).reshape(-1))
    # the folded multipliers are the product of the two scales (relative error < 2^-29), and
    # the dropped channels are exactly the clamped output zero point
    g = gate.astype(np.int64) + p["gate_input_offset"]
    fm, fs = gref.gate_fold(m, sh, g, p["gate_multiplier"], p["gate_shift"])
    want = (m * 2.0 ** (sh.astype(np.int64) - 31)) * (p["gate_multiplier"] * 2.0 ** (p["gate_shift"] - 31)) * g
    folded = fm * 2.0 ** (fs - 31)
    assert (np.abs(folded - want) <= np.abs(want) * 2.0 ** -29 + 2.0 ** -62).all()
    assert ((np.abs(fm) >= 2 ** 30) | (fm == 0)).all()
    lo, hi = gref.gate_fold_clamp(p)
    got = out.reshape(p["out_h"], p["out_w"], p["out_c"])
    assert (got[..., ~keep] == np.clip(p["gate_output_offset"], lo, hi)).all()


@st.composite
def fc_case(draw):
    n_in, n_out = draw(st.integers(1, 70)), draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 31)))
    zx, zc = (int(v) for v in rng.integers(-128, 128, 2))
    p = {"rows": 1, "in_features": n_in, "out_features": n_out, "input_offset": -zx, "output_offset": zc,
         "act_min": zc if draw(st.booleans()) else -128, "act_max": 127}
    g, gate, keep = _gate_case(rng, n_out, draw(st.sampled_from(MASKS)), zc)
    x = rng.integers(-128, 128, (1, n_in)).astype(np.int8)
    w = rng.integers(-127, 128, (n_out, n_in)).astype(np.int8)
    bias, m, sh = _requant(rng, n_out)
    return p | g, x, gate, w, bias, m, (sh - 2).astype(np.int32), keep


@SETTINGS
@given(fc_case())
def test_fully_connected_gated_s8_host_equals_dense_with_dropped_outputs_zeroed(gating_lib, case):
    lib, types = gating_lib
    p, x, gate, w, bias, m, sh, keep = case
    out = np.zeros(p["out_features"], np.int8)
    lib.tg_fully_connected_gated_s8(ctypes.byref(_struct(types, "tg_fully_connected_gated_params_t", p)), _p8(x),
                                    _p8(gate), _p8(w), _p32(bias), _p32(m), _p8(sh.astype(np.int8)), _p8(out))
    np.testing.assert_array_equal(out, gref.fully_connected_gated_s8(p, x, gate, w, bias, m, sh).reshape(-1))
    dense = ref.fully_connected_s8(p, x, w, bias, m, sh)
    np.testing.assert_array_equal(out, _dense_times_gate(p, dense, gate))
    assert (out[~keep] == np.clip(p["gate_output_offset"], -128, 127)).all()


# -- compiled models ------------------------------------------------------------------------------

SHAPE = (3, 9, 7)       # odd height and width: an odd pixel count for the DSP kernels


def test_masked_model_compiles_to_gated_depthwise_and_fc_bit_exact_on_host(tmp_path):
    source, graph = compile_module(masked_net(), calibration(shape=SHAPE))
    ops = [n.op for n in graph.nodes]
    assert ops.count("depthwise_conv2d_gated") == 1 and ops.count("fully_connected_gated") == 1, ops
    assert "mul" not in ops, "every gate's multiply fused into its layer"
    kept = _host_decisions(source, graph, tmp_path)
    # top-k at density 0.5 of 8 and 24 channels; fewer where a kept saliency is 0 (a ReLU zero)
    assert all(0 < a <= 4 and 0 < b <= 12 for a, b in kept) and max(b for _, b in kept) == 12, kept


def test_masked_model_threshold_gates_stay_exact_on_host(tmp_path):
    source, graph = compile_module(masked_net(density=None, threshold=0.5), calibration(shape=SHAPE))
    assert len(_host_decisions(source, graph, tmp_path)) > 1, "a threshold gate's kept count depends on the input"


def _none_kept(net):
    """The net with every saliency 0 (predictors: weights 0, bias -1, then ReLU): no channel kept."""
    with torch.no_grad():
        for predictor in (net.dw.predictor, net.fc.predictor):
            predictor.weight.zero_()
            predictor.bias.fill_(-1.0)
    return net


def test_masked_model_with_no_channel_kept_is_exact_on_host(tmp_path):
    source, graph = compile_module(_none_kept(masked_net()), calibration(shape=SHAPE))
    assert _host_decisions(source, graph, tmp_path, n=3) == {(0, 0)}


def test_layers_after_gated_depthwise_and_fc_cannot_skip_stay_exact_and_inspect_says_so(tmp_path):
    for features, suffix in ((frozenset(), ""), (frozenset({"dsp"}), "_dsp")):
        source, graph = compile_module(masked_net(), calibration(shape=SHAPE),
                                       options=CompileOptions(features=features))
        lines = notes(graph)
        dw = next(n for n in graph.nodes if n.op == "depthwise_conv2d_gated")
        fc = next(n for n in graph.nodes if n.op == "fully_connected_gated")
        assert dw.kernel == f"tg_depthwise_conv2d_gated_s8{suffix}"
        assert fc.kernel == f"tg_fully_connected_gated_s8{suffix}"
        for gated in (dw, fc):
            assert any(f"{gated.name} ({gated.kernel}) computes only the kept channels" in line
                       for line in lines), lines
        # the 1x1 conv after the depthwise and the classifier after the gated linear read every channel
        readers = [n for n in graph.nodes if n.op in ("conv2d", "fully_connected") and n.inputs[0] in
                   (dw.outputs[0], fc.outputs[0])]
        assert len(readers) == 2, [n.name for n in graph.nodes]
        for reader in readers:
            assert any(f"{reader.name} ({reader.kernel}) cannot skip the dropped input channels" in line
                       for line in lines), lines
        if not features:        # the portable build runs on the host: exact although nothing skips
            _host_decisions(source, graph, tmp_path, n=3)


def test_depthwise_gated_dsp_scratch_formula_equals_c_buffer_size(tmp_path):
    """tinygen.kernels.gating.depthwise_gated_dsp_scratch == the C buffer size (with inner)."""
    from tinygen.kernels.gating import depthwise_gated_dsp_scratch
    from tinygen.kernels.depthwise_dsp import depthwise_dsp_scratch

    fields = ("in_h", "in_w", "in_c", "out_h", "out_w", "kernel_h", "kernel_w")
    cases = [(9, 7, 8, 9, 7, 3, 3), (5, 5, 3, 3, 3, 3, 3), (8, 8, 65, 4, 4, 5, 5), (1, 1, 1, 1, 1, 1, 1)]
    ps = [dict(zip(fields, c), out_c=c[2], stride_h=1, stride_w=1, dilation_h=1, dilation_w=1, pad_top=1,
               pad_left=1, depth_multiplier=1) for c in cases]
    got = c_buffer_sizes(tmp_path, [(" ".join(f"p.{f} = {p[f]};" for f in (*fields, "out_c")),
                                     f"tg_depthwise_conv2d_gated_s8_dsp_buffer_size(&p, {depthwise_dsp_scratch(p)})")
                                    for p in ps])
    assert got == [depthwise_gated_dsp_scratch(p) for p in ps]


@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_masked_model_dsp_kernels_layer_by_layer_on_standin(board_name, tmp_path):
    """The DSP kernels on the Cortex-M7 / M4 stand-ins at densities 1 (all kept), 0.5, 0.3 and
    one channel kept, with threshold gates (input-dependent masks) and with none kept, and a
    13-channel layer, 3x3 (records) and 5x5 (no records): every layer's output equals the
    reference (the folded requantization, gate decisions too). 8 depthwise channels (two
    blocks of 4 and, at 0.3 or 1/8, an odd
    count), 9x7 pixels, 24 linear features (runs of kept outputs of every length)."""
    if shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("the stand-ins need qemu-system-arm and arm-none-eabi-gcc")
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device

    board = get_board(board_name)
    options = CompileOptions(features=frozenset(board.isa_features))
    points = [(masked_net(), d) for d in (1.0, 0.5, 0.3, 0.01)] + [(masked_net(density=None, threshold=0.6), None),
                                                                   (_none_kept(masked_net()), None)]
    # 13 channels (an odd count) on the 3x3 records and, 5x5, on the path without records
    points += [(masked_net(seed=3, channels=13), d) for d in (1.0, 0.7)]
    points += [(masked_net(seed=4, channels=13, kernel=5), d) for d in (1.0, 0.5)]
    for k, (net, density) in enumerate(points):
        source, graph = compile_module(net, calibration(shape=SHAPE), options=options)
        kernels = {n.kernel for n in graph.nodes}
        assert {"tg_depthwise_conv2d_gated_s8_dsp", "tg_fully_connected_gated_s8_dsp"} <= kernels, kernels
        point = graph if density is None else sweep.at(graph, "density", density)
        project = build(source, point, board, tmp_path / f"p{k}").out_dir
        with open_device(board, project, emulate=True) as dev:
            for i, x in enumerate(_inputs(source, point, 3)):
                assert_device_equals_reference(dev, point, x, f"{board_name} density {density} input {i}")


def _all_tied(net):
    """The net with every saliency equal (predictors: weights 0, bias 1): top-k keeps the first
    k channels in channel order (the ties rule), one run of kept channels then the dropped ones."""
    with torch.no_grad():
        for predictor in (net.dw.predictor, net.fc.predictor):
            predictor.weight.zero_()
            predictor.bias.fill_(1.0)
    return net


@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_depthwise_conv2d_gated_s8_dsp_in_place_core_on_standin(board_name, tmp_path):
    """The kept channels computed in place (tg_dw3g_run: the 3x3 records with the skip to the
    next kept channel, no gather or scatter) and the DSP gate (tg_channel_gate_s8_dsp), layer
    by layer on the M7 / M4 stand-ins: stride 2 (the pair loops, an odd last pixel) on 24
    channels, valid padding on 13 channels with the gate's clamp narrowed to [-100, 90] (the
    clamp pass; the dropped channels hold -100), densities 0.7, 0.5, 0.3 and one channel,
    and every saliency tied (the first k channels kept). Every layer's output and gate
    decision equals the reference."""
    if shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("the stand-ins need qemu-system-arm and arm-none-eabi-gcc")
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device

    board = get_board(board_name)
    options = CompileOptions(features=frozenset(board.isa_features))
    shape = (3, 9, 9)
    points = [(masked_net(seed=5, channels=24, stride=2), d) for d in (0.7, 0.3)]
    points += [(masked_net(seed=6, channels=13, padding=0), d) for d in (0.5, 0.01)]
    points += [(_all_tied(masked_net(seed=7, channels=12)), 0.5)]
    for k, (net, density) in enumerate(points):
        source, graph = compile_module(net, calibration(shape=shape), options=options)
        dw = next(n for n in graph.nodes if n.op == "depthwise_conv2d_gated")
        if dw.attrs["kparams"]["pad_left"] == 0:
            for field, value in (("gate_act_min", -100), ("gate_act_max", 90)):
                dw.attrs[field] = dw.attrs["kparams"][field] = value
        gates = {n.kernel for n in graph.nodes if n.op == "channel_gate"}
        assert dw.kernel == "tg_depthwise_conv2d_gated_s8_dsp" and gates == {"tg_channel_gate_s8_dsp"}, gates
        channels = graph.tensor(dw.outputs[0]).shape[-1]
        assert int(graph.const(dw, "packed")[0]) == channels, "the 3x3 records serve: the in-place core runs"
        point = sweep.at(graph, "density", density)
        project = build(source, point, board, tmp_path / f"p{k}").out_dir
        with open_device(board, project, emulate=True) as dev:
            for i, x in enumerate(_inputs(source, point, 3)):
                assert_device_equals_reference(dev, point, x, f"{board_name} point {k} density {density} input {i}")


def test_gate_fold_c_equals_twin_over_every_renormalization(tmp_path):
    """tg_gate_fold (tg_conv2d_gated.h, 32-bit where exact) against gref.gate_fold over
    multipliers of every magnitude (|Q| below and above 2^31: both renormalization branches,
    the rounding to 2^31), gate values -255..255 and shifts down to the (0, 0) cut-off."""
    import subprocess

    from kernel_lib import KERNEL_INCLUDES

    rng = np.random.default_rng(23)
    n = 4000
    mags = rng.integers(0, 31, n)
    m = (rng.integers(0, 2 ** 31 - 1, n) >> mags).astype(np.int64) * rng.choice([1, 1, 1, -1], n)
    m[:8] = [0, 1, 2 ** 31 - 1, 2 ** 30, 2 ** 30 + 1, -(2 ** 31 - 1), 3, 2 ** 31 - 2]
    gm = np.where(rng.random(n) < 0.05, 0, rng.integers(2 ** 30, 2 ** 31, n))
    gm[8:12] = [2 ** 31 - 1, 2 ** 30, 2 ** 31 - 1, 2 ** 30]
    g = rng.integers(-255, 256, n)
    g[8:12] = [255, -255, 1, -1]
    sh, gs = rng.integers(-31, 8, n), rng.integers(-31, 1, n)
    # products that round up to 2^31 after the shift: m1 * g just below a power of two
    m[12:40] = [((1 << b) - 1) // 3 for b in range(32, 60)][:28]
    g[12:40], gm[12:40] = 3, 2 ** 31 - 1
    m[12:40] = np.minimum(m[12:40], 2 ** 31 - 1)
    rows = np.stack([m, sh, g, gm, gs], 1)
    src = tmp_path / "fold.c"
    src.write_text('#include <stdio.h>\n#include "tg_conv2d_gated.h"\nint main(void)\n{\n'
                   '    long a, b, c, d, e;\n    while (scanf("%ld %ld %ld %ld %ld", &a, &b, &c, &d, &e) == 5) {\n'
                   '        int32_t m, s;\n        tg_gate_fold((int32_t)a, (int32_t)b, (int32_t)c, (int32_t)d, (int32_t)e,'
                   ' &m, &s);\n        printf("%ld %ld\\n", (long)m, (long)s);\n    }\n    return 0;\n}\n')
    exe = tmp_path / "fold"
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", *KERNEL_INCLUDES, str(src), "-o",
                    str(exe)], check=True)
    out = subprocess.run([str(exe)], input="\n".join(" ".join(str(int(v)) for v in r) for r in rows) + "\n",
                         capture_output=True, text=True, check=True).stdout.split()
    got = np.array(out, np.int64).reshape(-1, 2)
    for i, (mi, si, gi, gmi, gsi) in enumerate(rows):
        wm, ws = gref.gate_fold([mi], [si], [gi], int(gmi), int(gsi))
        assert (got[i, 0], got[i, 1]) == (wm[0], ws[0]), f"row {i}: {rows[i]} -> {got[i]}, want {wm[0]}, {ws[0]}"


def _block_mask(net, kept):
    """The net with the depthwise layer's saliency 2 on the channels `kept` and 1 elsewhere
    (predictor weights 0), the linear layer's all tied: at density len(kept) / channels the
    gate keeps exactly `kept` for every input."""
    with torch.no_grad():
        net.dw.predictor.weight.zero_()
        net.dw.predictor.bias.fill_(1.0)
        net.dw.predictor.bias[list(kept)] = 2.0
        net.fc.predictor.weight.zero_()
        net.fc.predictor.bias.fill_(1.0)
    return net


@pytest.mark.slow
@pytest.mark.parametrize("board_name", ["f746zg", "f446re"])
def test_depthwise_conv2d_gated_s8_dsp_block_sparse_and_fallback_on_standin(board_name, tmp_path):
    """The in-place core's ring gathered 8 channels per step (channels a multiple of 8, the
    padding columns too) under block-sparse masks: 16 channels keeping blocks 0 and 3 (a
    skip of 8 channels, the last channel kept), blocks 1 and 2 (the first and last blocks
    dropped); and 24 channels with the gate's shift lowered by 40, so that every folded shift
    is below -31 (no folded record is exact: the kernel falls back to the gathered path, and
    every output is the clamped zero point). Every layer's output and gate decision equals
    the reference."""
    if shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("the stand-ins need qemu-system-arm and arm-none-eabi-gcc")
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.kernels.gating import depthwise_gated_dsp_records
    from tinygen.hil.target import open_device

    board = get_board(board_name)
    options = CompileOptions(features=frozenset(board.isa_features))
    shape = (3, 9, 9)
    points = [(_block_mask(masked_net(seed=8, channels=16), [*range(4), *range(12, 16)]), 0.5, False),
              (_block_mask(masked_net(seed=9, channels=16), range(4, 12)), 0.5, False),
              (masked_net(seed=10, channels=24), 0.5, True)]
    for k, (net, density, fallback) in enumerate(points):
        source, graph = compile_module(net, calibration(shape=shape), options=options)
        dw = next(n for n in graph.nodes if n.op == "depthwise_conv2d_gated")
        assert dw.kernel == "tg_depthwise_conv2d_gated_s8_dsp"
        assert int(graph.const(dw, "packed")[0]) == graph.tensor(dw.outputs[0]).shape[-1], "3x3 records packed"
        if fallback:
            value = dw.attrs["kparams"]["gate_shift"] - 40
            dw.attrs["gate_shift"] = dw.attrs["kparams"]["gate_shift"] = value
            # the renormalization adds at most 9 (|m1 * g'| < 2^40): every folded shift < -31
            assert int(np.max(graph.const(dw, "shift"))) + value + 9 < -31
            # the packed records hold 33 + gate_shift + shift per channel: packed again for the new shift
            consts = {role: graph.const(dw, role) for role in ("weight", "bias", "multiplier", "shift")}
            graph.tensor(dw.param("packed")).data = depthwise_gated_dsp_records(dw.attrs["kparams"], consts)
        point = sweep.at(graph, "density", density)
        project = build(source, point, board, tmp_path / f"p{k}").out_dir
        with open_device(board, project, emulate=True) as dev:
            for i, x in enumerate(_inputs(source, point, 2)):
                assert_device_equals_reference(dev, point, x, f"{board_name} point {k} input {i}")
