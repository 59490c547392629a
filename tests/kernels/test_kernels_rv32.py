"""The RV32IM kernels (firmware/kernels/*/tg_*_rv32.c, the ESP32-C3's; tinygen.kernels.rv32).

Their packed constants hold the weights as the kernels read them and the biases with the
input offset folded in; the kernels, plain C, equal their numpy twins byte for byte on
drawn geometries (odd channel counts, stride 2, every padding, dilation, k x 1 and 1 x k
windows, asymmetric zero points, clamps): on the host through ctypes, and on the esp32-c3's
stand-in (QEMU RISC-V virt, riscv64-unknown-elf-gcc -march=rv32imc) with every case in one
firmware, the generic entry points called directly (the fused conv + add on the host, and
in MLPerf IC). They may run in place at the distance tinygen/passes/inplace.py plans. The
specialized bodies run in the MLPerf models on the stand-in (tests/frontend/test_tflite_mlperf.py),
and choose_kernels picks them for boards with the rv32im feature only.
"""

from __future__ import annotations

import ctypes
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from e2e import ROOT
from kernel_lib import assert_same
from test_kernels import pool_geometry
from test_kernels_subbyte import subbyte_geometry
from tinygen.kernels.rv32 import BLOCK, conv2d_rv32_weights, depthwise_rv32_records
from tinygen.ref import kernels as ref

sys.path.insert(0, str(ROOT / "benchmarks"))
from lowbit_kernels import Call, kernel, run_calls  # noqa: E402
from rv32_kernels import RV32_KERNELS  # noqa: E402  (importing it adds the RV32IM kernels to the harness)

CONV, DW, FC = "tg_conv2d_s8_rv32", "tg_depthwise_conv2d_s8_rv32", "tg_fully_connected_s8_rv32"
PW = "tg_conv2d_1x1_s8_rv32"
AVG, MAX = "tg_avg_pool2d_s8_rv32", "tg_max_pool2d_s8_rv32"
FIELDS = ("in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "kernel_h", "kernel_w", "stride_h", "stride_w",
          "dilation_h", "dilation_w", "pad_top", "pad_left", "input_offset", "output_offset", "act_min", "act_max")

needs_riscv = pytest.mark.skipif(
    shutil.which("riscv64-unknown-elf-gcc") is None or shutil.which("qemu-system-riscv32") is None,
    reason="needs riscv64-unknown-elf-gcc and qemu-system-riscv32: sudo apt-get install -y "
           "--no-install-recommends gcc-riscv64-unknown-elf qemu-system-misc")


def _conv_params(p: dict, depthwise: bool = False) -> dict:
    q = {**{k: p[k] for k in FIELDS}, "depth_multiplier": 1}
    if depthwise:
        q["out_c"] = q["in_c"]
    return q


# -- the packed constants ----------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(out_c=st.integers(1, 13), depth=st.integers(1, 40), offset=st.integers(-127, 128),
       seed=st.integers(0, 2**32 - 1))
def test_conv2d_rv32_weights_layout(out_c, depth, offset, seed):
    """Per block of 4 channels: the folded biases, then per value the 4 channels' int8 weights."""
    rng = np.random.default_rng(seed)
    w = rng.integers(-128, 128, (out_c, 1, 1, depth)).astype(np.int8)
    bias = rng.integers(-5000, 5000, out_c).astype(np.int32)
    words = conv2d_rv32_weights({"out_c": out_c, "input_offset": offset}, {"weight": w, "bias": bias})
    blocks = -(-out_c // BLOCK)
    assert words.dtype == np.int32 and words.size == blocks * (BLOCK + depth)
    for b in range(blocks):
        rec = words[b * (BLOCK + depth):(b + 1) * (BLOCK + depth)]
        chans = range(b * BLOCK, min(out_c, (b + 1) * BLOCK))
        got_w = rec[BLOCK:].view(np.int8).reshape(depth, BLOCK)
        for i, c in enumerate(chans):
            assert rec[i] == int(bias[c]) + offset * int(w[c].astype(np.int64).sum())
            assert np.array_equal(got_w[:, i], w[c].ravel())
        assert not got_w[:, len(chans):].any() and not rec[len(chans):BLOCK].any()    # zero channels


def test_depthwise_rv32_records_layout():
    rng = np.random.default_rng(3)
    w = rng.integers(-128, 128, (1, 3, 3, 5)).astype(np.int8)
    words = depthwise_rv32_records({"out_c": 5, "kernel_h": 3, "kernel_w": 3, "input_offset": -7},
                                   {"weight": w, "bias": None})
    rec = words.reshape(5, 4)           # folded bias, then 9 weights in 3 words
    assert np.array_equal(rec[:, 0], -7 * w.reshape(9, 5).astype(np.int64).sum(axis=0))
    assert np.array_equal(rec[:, 1:].view(np.int8)[:, :9], w.reshape(9, 5).T)
    assert not rec[:, 1:].view(np.int8)[:, 9:].any()


# -- the kernels on the host (ctypes) ---------------------------------------------------------

def _host_call(kernels, name, struct, p, x, packed, bias, multiplier, shift, out_size):
    s = kernels._params(struct, p)
    x = np.ascontiguousarray(np.asarray(x).ravel(), dtype=np.int8)
    out = np.zeros(out_size, np.int8)
    getattr(kernels.lib, name)(ctypes.byref(s), x.ctypes.data_as(ctypes.POINTER(ctypes.c_int8)),
                               *_requant_args(packed, bias, multiplier, shift),
                               out.ctypes.data_as(ctypes.POINTER(ctypes.c_int8)))
    return out


@settings(max_examples=120, deadline=None)
@given(geometry=subbyte_geometry("s4"), seed=st.integers(0, 2**32 - 1), depthwise=st.booleans())
def test_conv2d_and_depthwise_rv32_equal_twin_host(kernels, geometry, seed, depthwise):
    p = _conv_params(geometry, depthwise)
    name = DW if depthwise else CONV
    x, packed, bias, multiplier, shift, w = kernel(name).case(p, np.random.default_rng(seed))
    got = _host_call(kernels, name, "tg_conv2d_params_t", p, x, packed, bias, multiplier, shift,
                     p["out_h"] * p["out_w"] * p["out_c"])
    assert_same(kernel(name).twin(p, x, packed, bias, multiplier, shift, w).ravel(), got, f"{name} p={p}")


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 7), in_f=st.integers(1, 70), out_f=st.integers(1, 19), seed=st.integers(0, 2**32 - 1))
def test_fully_connected_rv32_equals_twin_host(kernels, rows, in_f, out_f, seed):
    p = {"rows": rows, "in_features": in_f, "out_features": out_f, "input_offset": int(seed % 256) - 127,
         "output_offset": -3, "act_min": -128, "act_max": 127}
    x, packed, bias, multiplier, shift, w = kernel(FC).case(p, np.random.default_rng(seed))
    got = _host_call(kernels, FC, "tg_fully_connected_params_t", p, x, packed, bias, multiplier, shift,
                     rows * out_f)
    assert_same(ref.fully_connected_s8(p, x, w, bias, multiplier, shift).ravel(), got, f"{FC} p={p}")


@settings(max_examples=60, deadline=None)
@given(p=pool_geometry(), seed=st.integers(0, 2**32 - 1))
def test_avg_pool2d_rv32_equals_twin_host(kernels, p, seed):
    p = {**p, "channels": p["channels"] + 4 * (seed % 3)}         # whole groups of 4 channels too
    (x,) = kernel(AVG).case(p, np.random.default_rng(seed))
    assert_same(ref.avg_pool2d_s8(p, x), kernels._pool(getattr(kernels.lib, AVG), p, x), AVG)


@settings(max_examples=60, deadline=None)
@given(p=pool_geometry(), seed=st.integers(0, 2**32 - 1))
def test_max_pool2d_rv32_equals_twin_host(kernels, p, seed):
    """Drawn clamps too (the running maxima start from act_min), padding, empty windows' edges."""
    p = {**p, "channels": p["channels"] + 4 * (seed % 3)}
    (x,) = kernel(MAX).case(p, np.random.default_rng(seed))
    assert_same(ref.max_pool2d_s8(p, x), kernels._pool(getattr(kernels.lib, MAX), p, x), MAX)


scales = st.floats(1e-3, 0.5).map(lambda s: float(np.float32(s)))


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 300), s1=scales, s2=scales, so=scales, z1=st.integers(-128, 127),
       z2=st.integers(-128, 127), zo=st.integers(-128, 127), seed=st.integers(0, 2**32 - 1))
def test_add_rv32_equals_twin_host(kernels, size, s1, s2, so, z1, z2, zo, seed):
    """With Prepare's parameters (tinygen.quant.op_params.add_params), as choose_kernels gives them."""
    from tinygen.quant import op_params

    p = op_params.add_params(size, s1, z1, s2, z2, so, zo, -128, 127)
    rng = np.random.default_rng(seed)
    a, b = (rng.integers(-128, 128, size).astype(np.int8) for _ in range(2))
    out = np.zeros(size, np.int8)
    i8 = ctypes.POINTER(ctypes.c_int8)
    kernels.lib.tg_add_s8_rv32(ctypes.byref(kernels._params("tg_add_params_t", p)), a.ctypes.data_as(i8),
                               b.ctypes.data_as(i8), out.ctypes.data_as(i8))
    assert_same(ref.add_s8(p, a, b), out, "tg_add_s8_rv32")


# -- the kernels on the esp32-c3's stand-in -----------------------------------------------------

def _drawn(n: int, depthwise: bool) -> list[dict]:
    """n conv geometries drawn by hypothesis (derandomized), outputs small enough for one firmware."""
    cases = []

    @settings(derandomize=True, max_examples=n, deadline=None, database=None)
    @given(data=st.data())
    def draw(data):
        p = _conv_params(data.draw(subbyte_geometry("s4")), depthwise)
        if p["out_h"] * p["out_w"] * p["out_c"] <= 2048:
            cases.append(p)

    draw()
    return cases


def _layer(in_hw, in_c, out_c, k, stride, pad, offset=5, depthwise=False) -> dict:
    """An MLPerf-like layer: KWS's and IC's shapes (wide rows: the 3-pixel groups)."""
    (ih, iw), (kh, kw), (pt, pl) = in_hw, k, pad
    oh, ow = (ih + 2 * pt - kh) // stride + 1, (iw + 2 * pl - kw) // stride + 1
    return {"in_h": ih, "in_w": iw, "in_c": in_c, "out_h": oh, "out_w": ow, "out_c": in_c if depthwise else out_c,
            "kernel_h": kh, "kernel_w": kw, "stride_h": stride, "stride_w": stride, "dilation_h": 1,
            "dilation_w": 1, "pad_top": pt, "pad_left": pl, "input_offset": offset, "output_offset": -9,
            "act_min": -128, "act_max": 127, "depth_multiplier": 1}


LAYERS = [
    (CONV, _layer((49, 10), 1, 64, (10, 4), 2, (4, 1))),         # KWS's first conv
    (CONV, _layer((25, 5), 64, 64, (1, 1), 1, (0, 0))),           # KWS's pointwise
    (CONV, _layer((8, 8), 16, 32, (3, 3), 2, (1, 1), offset=-128)),
    (CONV, _layer((9, 11), 3, 17, (3, 3), 1, (1, 1))),
    # channel blocks outermost: person detection's 6x6 and 3x3 pointwise layers, odd pixels and channels
    (PW, _layer((6, 6), 128, 128, (1, 1), 1, (0, 0))),
    (PW, _layer((3, 3), 256, 256, (1, 1), 1, (0, 0), offset=-128)),
    (PW, _layer((5, 1), 33, 19, (1, 1), 1, (0, 0), offset=127)),
    (PW, _layer((1, 1), 7, 6, (1, 1), 1, (0, 0))),
    (DW, _layer((25, 5), 64, 64, (3, 3), 1, (1, 1), depthwise=True)),
    (DW, _layer((12, 13), 19, 19, (3, 3), 2, (1, 1), depthwise=True)),
    # wider than TG_RV32_DW_ROW: the depthwise kernel's pixel groups
    (DW, _layer((6, 21), 9, 9, (3, 3), 1, (1, 1), depthwise=True)),
    (DW, _layer((7, 30), 5, 5, (3, 3), 2, (1, 1), offset=-128, depthwise=True)),
    (DW, _layer((5, 19), 3, 3, (5, 5), 1, (2, 2), depthwise=True)),
]


@pytest.mark.parametrize("name, p", LAYERS, ids=[f"{n[3:-5]}-{i}" for i, (n, _) in enumerate(LAYERS)])
def test_layers_rv32_equal_twin_host(kernels, name, p):
    x, packed, bias, multiplier, shift, w = kernel(name).case(p, np.random.default_rng(7))
    got = _host_call(kernels, name, "tg_conv2d_params_t", p, x, packed, bias, multiplier, shift,
                     p["out_h"] * p["out_w"] * p["out_c"])
    assert_same(kernel(name).twin(p, x, packed, bias, multiplier, shift, w).ravel(), got, f"{name} p={p}")


def _pool(in_h, in_w, channels, k, stride, pad, include_pad, zero_point) -> dict:
    """An average pool of a k x min(k, in_w) window (KWS's: the whole 25 x 5 input)."""
    kw = min(k, in_w)
    out_h, out_w = (in_h + 2 * pad - k) // stride + 1, (in_w + 2 * pad - kw) // stride + 1
    return {"in_h": in_h, "in_w": in_w, "channels": channels, "out_h": out_h, "out_w": out_w, "kernel_h": k,
            "kernel_w": kw, "stride_h": stride, "stride_w": stride, "pad_top": pad,
            "pad_left": pad, "count_include_pad": include_pad, "zero_point": zero_point, "act_min": -128,
            "act_max": 127}


@pytest.mark.slow
@needs_riscv
def test_kernels_rv32_equal_twins_standin(tmp_path):
    """Every case in one firmware on the esp32-c3's stand-in, byte for byte equal to the twin:
    40 drawn conv geometries, 30 drawn depthwise ones, 10 fully connected, MLPerf-like layers,
    average and max pools and adds."""
    rng = np.random.default_rng(21)
    convs, dws = _drawn(40, False), _drawn(30, True)
    assert len(convs) >= 25 and len(dws) >= 20, "the size filter left too few cases"
    fcs = [{"rows": r, "in_features": i, "out_features": o, "input_offset": off, "output_offset": 4,
            "act_min": -100, "act_max": 90} for r, i, o, off in
           ((1, 250, 10, 3), (1, 7, 5, -128), (3, 33, 9, 128), (5, 64, 4, 0), (2, 1, 1, 17), (1, 640, 128, -1),
            (4, 19, 13, 77), (1, 128, 8, -3), (6, 5, 3, 11), (3, 70, 19, -50))]
    pools = [_pool(25, 5, 64, 25, 5, 0, 0, 0), _pool(9, 7, 13, 3, 3, 1, 1, 1), _pool(8, 8, 6, 2, 2, 0, 0, 0),
             _pool(6, 11, 5, 3, 2, 1, 0, 0)]
    cases = [(CONV, p) for p in convs] + [(DW, p) for p in dws] + [(FC, p) for p in fcs] + LAYERS
    cases += [(AVG, p) for p in pools]
    cases += [(MAX, p) for p in pools + [{**_pool(7, 9, 7, 3, 2, 1, 0, 0), "act_min": -20, "act_max": 30},
                                         {**_pool(4, 4, 8, 2, 2, 0, 0, 0), "act_min": 0}]]
    from tinygen.quant import op_params

    adds = ((1000, 0.05, -3, 0.11, 7, 0.12, -128, -128), (37, 0.002, 127, 0.3, -128, 0.25, 5, 0))
    cases += [("tg_add_s8_rv32", op_params.add_params(n, s1, z1, s2, z2, so, zo, lo, 127))
              for n, s1, z1, s2, z2, so, zo, lo in adds]
    calls = [Call(name, p, kernel(name).case(p, rng)) for name, p in cases]
    pool_calls = [c for c in calls if c.name in (AVG, MAX)]
    portable = [Call(c.name.removesuffix("_rv32"), c.p, c.arrays) for c in pool_calls]     # same inputs
    run_calls("esp32-c3", calls + portable, tmp_path)
    for c in calls + portable:
        assert c.result is not None, f"{c.name} p={c.p}: no output came back"
        assert_same(np.asarray(kernel(c.name).twin(c.p, *c.arrays)).reshape(-1), c.result,
                    f"{c.name} on esp32-c3, p={c.p}")
    for fast, slow in zip(pool_calls, portable):
        assert fast.instructions < slow.instructions, f"{fast.name} p={fast.p}: not under {slow.name}"


def test_every_rv32_kernel_in_the_harness():
    """Each firmware/kernels/*/*_rv32.c has a calling convention in benchmarks/rv32_kernels.py
    (so the stand-in test below runs it), or is run on the esp32-c3 stand-in by its family's own
    test (named here, and naming it), and has a spec in tinygen.kernels.rv32."""
    from tinygen.resources import kernel_paths
    from tinygen.kernels.table import KERNELS_BY_NAME

    own_tests = {"tg_lstm_s8_rv32": "test_kernels_recurrent_rv32.py", "tg_gru_s8_rv32": "test_kernels_recurrent_rv32.py",
                 "tg_batch_matmul_s8_rv32": "test_kernels_attention_standin.py",
                 **{f"tg_{op}_lut_decode_s8_rv32": "test_kernels_lut_rv32.py"
                    for op in ("conv2d", "conv2d_add", "fully_connected", "depthwise_conv2d")}}
    for name, test in own_tests.items():
        assert name in (Path(__file__).parent / test).read_text(), f"{test} does not run {name}"
    files = {p.stem for p in kernel_paths("*_rv32.c")}
    # the fused add: MLPerf IC on the stand-in
    assert files == set(RV32_KERNELS) | {"tg_conv2d_add_s8_rv32"} | set(own_tests)
    assert all("rv32im" in KERNELS_BY_NAME[name].requires for name in files)


def test_rv32_kernels_chosen_only_with_the_feature():
    """choose_kernels takes the rv32 kernels for the esp32-c3 (feature rv32im), never for a
    Cortex-M board or the host; --kernels portable keeps the portable C."""
    from mlperf_models import mlperf_model
    from tinygen.board import get_board
    from tinygen.compiler import compile_source, load_source
    from tinygen.passes import CompileOptions

    source = load_source(mlperf_model("kws_dscnn"))
    c3 = get_board("esp32-c3")
    assert "rv32im" in c3.isa_features
    chosen = {n.op: n.kernel for n in compile_source(source, options=CompileOptions(features=c3.isa_features)).nodes
              if n.kernel}
    assert chosen["conv2d"] == CONV and chosen["depthwise_conv2d"] == DW and chosen["fully_connected"] == FC
    portable = compile_source(source, options=CompileOptions(features=c3.isa_features, kernels="portable"))
    assert not any(n.kernel.endswith("_rv32") for n in portable.nodes if n.kernel)
    for board in ("f746zg", "host"):
        graph = compile_source(source, options=CompileOptions(features=get_board(board).isa_features))
        assert not any(n.kernel.endswith("_rv32") for n in graph.nodes if n.kernel)



def test_max_pool2d_rv32_chosen_on_rv32im_boards():
    from tinygen.board import get_board
    from tinygen.kernels.table import find_kernel

    def pick(board):
        return find_kernel("max_pool2d", "int8", None, None, get_board(board).isa_features).name

    assert pick("esp32-c3") == MAX and pick("host") == "tg_max_pool2d_s8" and pick("f746zg") == "tg_max_pool2d_s8_dsp"


_BOUNDED_SHIM = r"""
#include "tg_conv2d_s8_rv32.h"
void tgt_rv32_requantize_bounded(const int32_t *x, const int32_t *m, const int32_t *s, int32_t *out, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        const tg_rv32_requant_t q = tg_rv32_requant_of(m[i], s[i], 1);
        out[i] = tg_rv32_requantize_bounded(x[i], &q);
    }
}
"""


def test_rv32_requantize_bounded_equals_tg_requantize(kernels, tmp_path):
    """The RV32 kernels' bounded requantization (the specialized layers') equals tg_requantize on
    its preconditions: |acc| < 2^30, multiplier in [2^30, 2^31), shift in [-31, -1]; edges and
    a million random values."""
    import subprocess

    from kernel_lib import CFLAGS, KERNEL_INCLUDES

    src, so = tmp_path / "shim.c", tmp_path / "shim.so"
    src.write_text(_BOUNDED_SHIM)
    subprocess.run(["gcc", *CFLAGS, *KERNEL_INCLUDES, str(src), "-o", str(so)], check=True)
    lib = ctypes.CDLL(str(so))
    rng = np.random.default_rng(5)
    n = 1_000_000
    edge_acc = np.array([0, 1, -1, (1 << 30) - 1, -(1 << 30) + 1, 12345, -12345, 1 << 20, -(1 << 20)])
    edge_m = np.array([1 << 30, (1 << 31) - 1, 1518500250])
    edge_s = np.array([-1, -2, -15, -30, -31])
    grid = np.array(np.meshgrid(edge_acc, edge_m, edge_s)).reshape(3, -1)
    x = np.concatenate([grid[0], rng.integers(-(1 << 30) + 1, 1 << 30, n)]).astype(np.int32)
    m = np.concatenate([grid[1], rng.integers(1 << 30, 1 << 31, n)]).astype(np.int32)
    s = np.concatenate([grid[2], rng.integers(-31, 0, n)]).astype(np.int32)
    out = np.zeros_like(x)
    p32 = ctypes.POINTER(ctypes.c_int32)
    lib.tgt_rv32_requantize_bounded(x.ctypes.data_as(p32), m.ctypes.data_as(p32), s.ctypes.data_as(p32),
                                    out.ctypes.data_as(p32), ctypes.c_int32(x.size))
    assert_same(kernels.requantize(x, m, s), out.astype(np.int64), "tg_rv32_requantize_bounded")


OVERLAP = [(in_hw, in_c, out_c, k, s, pad, dil) for in_hw, in_c, out_c, k, s, pad, dil in (
    ((5, 7), 3, 4, 3, 1, 1, 1), ((6, 5), 2, 5, 3, 2, 1, 1), ((4, 4), 1, 1, 1, 1, 0, 1), ((7, 6), 3, 2, 3, 1, 2, 2),
    ((5, 5), 4, 3, 2, 2, 0, 1), ((3, 8), 2, 2, 5, 1, 2, 1), ((25, 5), 16, 16, 1, 1, 0, 1), ((25, 5), 16, 16, 3, 1, 1, 1),
    ((6, 21), 5, 7, 3, 1, 1, 1), ((9, 17), 6, 6, 3, 2, 1, 1))]


@pytest.mark.parametrize("case", OVERLAP)
@pytest.mark.parametrize("depthwise", [False, True])
def test_rv32_kernels_run_in_place_at_planned_distance(kernels, case, depthwise):
    """The output placed inplace.DISTANCE bytes below the input, in one buffer (as the planner
    lays them out when the input dies there): the kernel still equals its twin."""
    from tinygen.passes.inplace import DISTANCE

    in_hw, in_c, out_c, k, s, pad, dil = case
    (ih, iw) = in_hw
    oh, ow = (ih + 2 * pad - dil * (k - 1) - 1) // s + 1, (iw + 2 * pad - dil * (k - 1) - 1) // s + 1
    p = {"in_h": ih, "in_w": iw, "in_c": in_c, "out_h": oh, "out_w": ow, "out_c": in_c if depthwise else out_c,
         "kernel_h": k, "kernel_w": k, "stride_h": s, "stride_w": s, "dilation_h": dil, "dilation_w": dil,
         "pad_top": pad, "pad_left": pad, "depth_multiplier": 1, "input_offset": 9, "output_offset": -3,
         "act_min": -128, "act_max": 127}
    name = DW if depthwise else CONV
    x, packed, bias, multiplier, shift, w = kernel(name).case(p, np.random.default_rng(13))
    want = kernel(name).twin(p, x, packed, bias, multiplier, shift, w).ravel()
    d = DISTANCE[name](p)
    buf = np.zeros(d + max(x.size, want.size), np.int8)
    buf[d:d + x.size] = x.ravel()
    i8 = ctypes.POINTER(ctypes.c_int8)
    base = buf.ctypes.data
    getattr(kernels.lib, name)(ctypes.byref(kernels._params("tg_conv2d_params_t", p)), ctypes.cast(base + d, i8),
                               *_requant_args(packed, bias, multiplier, shift), ctypes.cast(base, i8))
    assert_same(want, buf[:want.size], f"{name} in place at distance {d}, p={p}")


def _requant_args(packed, bias, multiplier, shift) -> list:
    """ctypes pointers to the packed words, bias and multipliers (int32) and the shifts (int8,
    as tinygen's kernels store them: KernelSpec.stored_dtype)."""
    arrays = [np.ascontiguousarray(np.asarray(a).ravel(), dtype=t)
              for a, t in ((packed, np.int32), (bias, np.int32), (multiplier, np.int32), (shift, np.int8))]
    return [a.ctypes.data_as(ctypes.POINTER(ctypes.c_int8 if a.dtype == np.int8 else ctypes.c_int32))
            for a in arrays]


@settings(max_examples=50, deadline=None)
@given(geometry=subbyte_geometry("s4"), seed=st.integers(0, 2**32 - 1), s1=scales, s2=scales, so=scales,
       z2=st.integers(-128, 127), zo=st.integers(-128, 127), conv_first=st.booleans())
def test_conv2d_add_rv32_equals_twin_host(kernels, geometry, seed, s1, s2, so, z2, zo, conv_first):
    """tg_conv2d_add_s8_rv32 (the conv, then TFLite's ADD with the skip tensor, Prepare's
    parameters with the conv result as either operand) equals conv2d_add_s8."""
    from tinygen.quant import op_params

    p = {k: v for k, v in _conv_params(geometry).items() if k != "depth_multiplier"}
    size = p["out_h"] * p["out_w"] * p["out_c"]
    conv, skip = (s1, p["output_offset"]), (s2, z2)
    add = op_params.add_params(size, *(conv + skip if conv_first else skip + conv), so, zo, -128, 127)
    for i, role in enumerate(("conv", "skip") if conv_first else ("skip", "conv"), start=1):
        for field in ("offset", "multiplier", "shift"):
            p[f"{role}_{field}"] = add[f"input{i}_{field}"]
    p.update({f"add_{k}": add[k] for k in ("left_shift", "output_offset", "output_multiplier", "output_shift",
                                            "act_min", "act_max")})
    rng = np.random.default_rng(seed)
    x, packed, bias, multiplier, shift, w = kernel(CONV).case(_conv_params(geometry), rng)
    s = rng.integers(-128, 128, size).astype(np.int8)
    out = np.zeros(size, np.int8)
    i8 = ctypes.POINTER(ctypes.c_int8)
    kernels.lib.tg_conv2d_add_s8_rv32(ctypes.byref(kernels._params("tg_conv2d_add_params_t", p)),
                                      x.ctypes.data_as(i8), s.ctypes.data_as(i8),
                                      *_requant_args(packed, bias, multiplier, shift), out.ctypes.data_as(i8))
    assert_same(ref.conv2d_add_s8(p, x, s, w, bias, multiplier, shift).ravel(), out, f"tg_conv2d_add_s8_rv32 p={p}")


@pytest.mark.slow
@needs_riscv
def test_auto_measured_on_esp32c3_standin_bit_exact(tmp_path):
    """--kernels auto on the ESP32-C3: every layer with a choice measured on the RISC-V stand-in
    (its RV32IM and portable kernels), the fewest instructions chosen, the RV32IM conv faster
    than the portable one; the firmware so built equals the reference."""
    from e2e import assert_device_equals_reference, example_source
    from tinygen.fit import autotune
    from tinygen.board import get_board
    from tinygen.compiler import build
    from tinygen.hil.target import open_device
    from tinygen.fit.measure_cache import MeasurementCache
    from tinygen.passes import CompileOptions

    board = get_board("esp32-c3")
    source = example_source("dscnn")
    options = CompileOptions(features=board.isa_features, kernels="auto", lower_peak=False)
    # by instructions (the C3's timing model would price the screened candidates alone:
    # tests/fit/test_autotune_cycles.py)
    graph = autotune.compile_auto(source, None, options, board, cache=MeasurementCache(tmp_path / "cache.json"),
                                  metric="instructions")
    report = graph.meta["kernels"]
    assert report["metric"] == "instructions"
    assert report["measured_variants"] >= 2 and not report.get("note")
    chosen = [layer for layer in report["layers"] if len(layer.get("candidates") or {}) > 1]
    assert chosen, "the model must offer choices for the test to mean anything"
    for layer in chosen:
        counts = layer["candidates"]
        assert all(counts.values()) and counts[layer["kernel"]] == min(counts.values()), layer
        if "tg_conv2d_s8_rv32" in counts and "tg_conv2d_s8" in counts:
            assert counts["tg_conv2d_s8_rv32"] < counts["tg_conv2d_s8"], layer
    result = build(source, graph, board, tmp_path / "fw")
    rng = np.random.default_rng(7)
    with open_device(board, result.out_dir, emulate=True) as dev:
        for i in range(3):
            x = rng.integers(-128, 128, size=graph.tensor(graph.inputs[0]).size, dtype=np.int8)
            assert_device_equals_reference(dev, graph, x, f"esp32-c3 --kernels auto firmware, input {i}")


def test_rv32_layers_emitted_specialized():
    """On the ESP32-C3 the rv32 conv, depthwise and fully connected layers call their inline
    bodies with the layer's static const parameters and the build's requantization verdict
    (KWS: every layer bounded); with specialization off, the generic entry points."""
    from mlperf_models import mlperf_model
    from tinygen.board import get_board
    from tinygen.codegen.emit import project_data
    from tinygen.compiler import compile_source, load_source
    from tinygen.passes import CompileOptions

    graph = compile_source(load_source(mlperf_model("kws_dscnn")),
                           options=CompileOptions(features=get_board("esp32-c3").isa_features))
    rv32 = {CONV, DW, FC}

    def calls():
        data = project_data(graph, "m", "0", "test")
        return [line for layer in data["layers"] if layer.kernel in rv32 for line in layer.body]

    on = calls()
    names = [c.split("(")[0] for c in on if not c.startswith("/*")]
    assert len(names) == 10 and set(names) == {f"{k}_inline" for k in rv32}
    assert sum("all outputs bounded" in c for c in on) == 10
    graph.meta["specialize"] = False
    assert {c.split("(")[0] for c in calls()} == rv32


def test_rv32_table_renders_the_benchmark_json():
    """benchmarks/rv32_table.py: a row per result of the esp32-c3 benchmark, the target verdict
    from the measured per-MAC figure; results of other boards (no portable baseline) left out."""
    import rv32_table

    result = {"model": "kws_dscnn", "kernels": "tinygen", "instructions": 9_000_000, "macs": 2_656_768,
              "instructions_per_mac": 9_000_000 / 2_656_768, "portable_instructions": 38_329_256,
              "portable_arena_flash": (9_840, 53_992), "per_mac_target": 4.0, "arena": 11_120, "flash": 73_544,
              "equals_tflm": True, "commit": "abc1234",
              "tflm_riscv": {"reference": 44_310_967, "macs": 2_656_768, "arena": 22_780}}
    slow = {**result, "kernels": "auto", "instructions": 12_000_000, "instructions_per_mac": 12e6 / 2_656_768,
            "equals_tflm": False}
    lines = rv32_table.render([result, slow, {**result, "portable_instructions": None}]).splitlines()
    assert len(lines) == 4
    assert lines[2] == ("| KWS | tinygen | 9,000,000 (3.39) | 38,329,256 (14.43) | 4.26x | ≤ 4.0 met "
                        "| 44,310,967 (16.68) | 4.92x | 11,120 B (9,840 B) | 73,544 B (53,992 B) | yes | abc1234 |")
    assert "≤ 4.0 not met" in lines[3] and "**no**" in lines[3]
    no_anchor = rv32_table.render([{**result, "tflm_riscv": None}]).splitlines()[2]
    assert "met | - | - |" in no_anchor


def test_conv2d_1x1_rv32_takes_the_pointwise_layers_with_large_weights(tmp_path):
    """TFLM person detection on the esp32-c3: tg_conv2d_1x1_s8_rv32 (each channel block's weights read once)
    serves the pointwise layers of more than one pixel group whose packed weights reach
    WEIGHTS_ONCE_MIN_BYTES, tg_conv2d_s8_rv32 the others; the new order never writes over its input."""
    from person_detect_model import person_detect_model
    from tinygen.board import get_board
    from tinygen.compiler import compile_source, load_source
    from tinygen.kernels.rv32 import PIXELS, WEIGHTS_ONCE_MIN_BYTES, packed_bytes
    from tinygen.passes import CompileOptions
    from tinygen.passes.inplace import overlap_distance

    path = tmp_path / "person_detect.tflite"
    path.write_bytes(person_detect_model())
    graph = compile_source(load_source(path), options=CompileOptions(features=get_board("esp32-c3").isa_features))
    convs = [n for n in graph.nodes if n.op == "conv2d"]
    once = []
    for node in convs:
        out_c, kh, kw, depth = graph.weight_shape(node)
        pixels = int(np.prod(graph.tensor(node.outputs[0]).shape[:-1]))
        big = kh == kw == 1 and pixels > PIXELS and packed_bytes(out_c, depth) >= WEIGHTS_ONCE_MIN_BYTES
        assert node.kernel.startswith(PW if big else CONV), (node.name, node.kernel, pixels, out_c, depth)
        if big:
            once.append(node)
            assert overlap_distance(graph, node, node.inputs[0]) is None
    assert len(once) == 8           # 64 -> 128 at 6x6, five 128 -> 128, 128 -> 256 and 256 -> 256 at 3x3


@pytest.mark.slow
@needs_riscv
def test_person_detection_esp32c3_standin_equals_reference_and_tflm(tmp_path):
    """TFLM person detection's architecture, the default esp32-c3 build (tg_conv2d_1x1_s8_rv32 in its large
    pointwise layers): on the stand-in every layer equals the reference and the outputs TFLite Micro's."""
    from e2e import assert_device_equals_tflm
    from person_detect_model import person_detect_model
    from tflite_refs import tflm_interpreter
    from tinygen.board import get_board
    from tinygen.compiler import build, compile_source, load_source
    from tinygen.hil.target import open_device
    from tinygen.passes import CompileOptions

    board = get_board("esp32-c3")
    data = person_detect_model()
    path = tmp_path / "person_detect.tflite"
    path.write_bytes(data)
    source = load_source(path)
    graph = compile_source(source, options=CompileOptions(features=board.isa_features))
    assert any(n.kernel.startswith(PW) for n in graph.nodes if n.kernel)
    result = build(source, graph, board, tmp_path / "fw")
    interp = tflm_interpreter(data)
    rng = np.random.default_rng(5)
    with open_device(board, result.out_dir, emulate=True) as dev:
        for k in range(2):
            x = rng.integers(-128, 128, source.input_shape).astype(np.int8)
            assert_device_equals_tflm(dev, graph, interp, x, f"person detection sample {k}")
