"""tg_conv2d_s8_b1lut_s8_dsp, binary weights x int8 activations by table lookup
(firmware/kernels/lowbit/tg_conv2d_s8_b1lut_s8_dsp.c, tinygen.quant.pack_b1lut): its constant's
layout on the host, its scratch formula against the C one, and the kernel on the Cortex-M7
and Cortex-M4 stand-ins against conv2d_s8_b1_s8 byte for byte: drawn shapes (odd sizes, K not
a multiple of 4, 16 or 64, 1 to 9 output channels, stride, dilation, padding, any zero point,
odd and even pixel counts) and the extremes (every weight -1 or every weight +1 with every
input at 127: the largest entries and the largest sums a table half holds, and the deepest
receptive field drawn), and a multiplier below 2^30 (the records' not-bounded path).
"""

from __future__ import annotations

import ctypes
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_lib import KERNEL_INCLUDES, assert_same, header_text, parse_structs
from standin_lib import STRICT, needs_qemu
from test_kernels_packed import packed_geometry

from e2e import ROOT
from tinygen.quant.pack_b1 import pack_binary_weights
from tinygen.quant.pack_b1lut import CHUNK, chunks, lut_scratch_bytes, pack_lut_indices, unpack_lut_indices
from tinygen.ref.binary import conv2d_s8_b1_s8
from tinygen.resources import firmware_path

sys.path.insert(0, str(ROOT / "benchmarks"))
from lowbit_kernels import Call, run_calls  # noqa: E402

BOARDS = {"cortex-m7": "f746zg", "cortex-m4": "f446re"}
KERNEL = "tg_conv2d_s8_b1lut_s8_dsp"


def lut_case(p: dict, seed: int, extreme: str = ""):
    """(input, constant, bias, multiplier, shift, weights): random, or "low" (every weight -1)
    or "high" (every weight +1), every input 127 with the zero point at -128."""
    rng = np.random.default_rng(seed)
    w = np.where(rng.random((p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"])) < 0.5, -1, 1)
    x = rng.integers(-128, 128, (p["in_h"], p["in_w"], p["in_c"]))
    if extreme in ("low", "high"):
        w[:], x[:] = (-1 if extreme == "low" else 1), 127
    m, s = np.full(p["out_c"], 1 << 30), np.full(p["out_c"], -14)
    if extreme == "loose":          # a multiplier below 2^30: the records say not bounded
        m[0] = 1 << 29
    b = rng.integers(-20000, 20000, p["out_c"])
    return x.astype(np.int8), pack_lut_indices(p, pack_binary_weights(w), b, m, s), b, m, s, w


def _p(g: dict, zp: int) -> dict:
    keep = ("in_h", "in_w", "in_c", "out_h", "out_w", "out_c", "kernel_h", "kernel_w", "stride_h", "stride_w",
            "dilation_h", "dilation_w", "pad_top", "pad_left", "output_offset", "act_min", "act_max")
    return {**{k: g[k] for k in keep}, "depth_multiplier": 1, "input_offset": -zp}


def test_pack_lut_indices_layout():
    p = {"out_c": 3, "kernel_h": 3, "kernel_w": 1, "in_c": 30, "input_offset": 5,      # K = 90: 2 chunks
         "output_offset": -7}
    rng = np.random.default_rng(2)
    w = np.where(rng.random((3, 3, 1, 30)) < 0.5, -1, 1)
    b, m, sh = np.array([100, -3, 0]), np.array([1 << 30, (1 << 31) - 1, 1 << 30]), np.array([-14, -1, -22])
    packed = pack_lut_indices(p, pack_binary_weights(w), b, m, sh)
    assert chunks(p) == 2 and packed.size == 4 + 4 * 4 + 2 * 3 * 4
    assert packed[:4].tolist() == [1, 0, 0, 0]                   # bounded: the fast requantization
    records = packed[4:20].view(np.int32).reshape(4, 4)
    corr = -(128 - 5) * w.reshape(3, -1).sum(axis=1)
    assert records[:3, 0].tolist() == (corr + b).tolist()
    assert records[:3, 1].tolist() == [-(1 << 31), -2, -(1 << 31)]      # 2 m, wrapped to int32
    assert records[:3, 3].tolist() == [14, 1, 22]
    assert records[:3, 2].tolist() == [(1 << (n - 1)) - 7 * (1 << n) for n in (14, 1, 22)]
    assert records[3].tolist() == [0, -(1 << 31), 1 - 7 * 2, 1]          # the padding channel
    # a multiplier below 2^30 (not tg_pair_requant's): not bounded, the channel's n and half 1, 0
    loose = pack_lut_indices(p, pack_binary_weights(w), None, np.array([1 << 29, 1 << 30, 1 << 30]), sh)
    assert loose[0] == 0 and loose[4:8].view(np.int32).tolist() == [corr[0], 1 << 30, 0, 1]
    index = packed[20:].view(np.uint8).reshape(2, 3, 16)
    flat = w.reshape(3, -1)
    for c in range(2):
        for o in range(3):
            for j in range(16):
                k = CHUNK * c + 4 * j
                nibble = sum(1 << i for i in range(4) if k + i < 90 and flat[o, k + i] < 0)
                assert index[c, o, j] == 16 * j + nibble
    assert np.array_equal(unpack_lut_indices(p, packed), w)


def test_b1lut_scratch_formula_matches_c(tmp_path):
    shim = tmp_path / "size.c"
    shim.write_text('#include "tg_kernels_b1.h"\n'
                    "int32_t tgt_size(const tg_conv2d_params_t *p)\n"
                    "{ return tg_conv2d_s8_b1lut_s8_dsp_buffer_size(p); }\n")
    so = tmp_path / "size.so"
    subprocess.run(["gcc", *STRICT, "-shared", "-fPIC", *KERNEL_INCLUDES, str(shim), "-o", str(so)], check=True)
    lib = ctypes.CDLL(str(so))
    fields = dict(parse_structs(header_text(firmware_path("kernels/tg_kernels.h"))))
    cls = type("P", (ctypes.Structure,), {"_fields_": fields["tg_conv2d_params_t"]})
    for kh, kw, c, oc in [(1, 1, 1, 1), (1, 1, 64, 4), (3, 3, 7, 5), (3, 3, 64, 64), (5, 3, 17, 3)]:
        p = {"kernel_h": kh, "kernel_w": kw, "in_c": c, "out_c": oc}
        assert lib.tgt_size(ctypes.byref(cls(**p))) == lut_scratch_bytes(p)
    assert lut_scratch_bytes({"kernel_h": 3, "kernel_w": 3, "in_c": 64, "out_c": 64}) == 1024 + 512 + 2 * 576


@needs_qemu
@pytest.mark.parametrize("core", list(BOARDS))
def test_conv2d_s8_b1lut_s8_dsp_standin(core, tmp_path):
    cases = []

    @settings(derandomize=True, max_examples=30, deadline=None, database=None)
    @given(data=st.data(), s=st.integers(0, 2**32 - 1), zp=st.integers(-128, 127))
    def draw(data, s, zp):
        g = data.draw(packed_geometry("u4"))
        if g["out_h"] * g["out_w"] * g["out_c"] <= 2048:
            cases.append((_p(g, zp), s, ""))

    draw()
    base = {"in_h": 5, "in_w": 3, "in_c": 128, "out_h": 3, "out_w": 2, "out_c": 5, "kernel_h": 3, "kernel_w": 3,
            "stride_h": 2, "stride_w": 2, "dilation_h": 1, "dilation_w": 1, "pad_top": 1, "pad_left": 1,
            "output_offset": 3, "act_min": -128, "act_max": 127, "depth_multiplier": 1, "input_offset": 128}
    cases += [(base, 1, "low"), (base, 2, "high"), ({**base, "in_c": 100, "out_h": 1, "out_w": 1}, 3, "high"),
              (base, 4, "loose")]
    calls, wants = [], []
    for p, s, extreme in cases:
        x, packed, b, m, sh, w = lut_case(p, s, extreme)
        calls.append(Call(KERNEL, p, (x, packed, b, m, sh)))
        wants.append(conv2d_s8_b1_s8(p, x, pack_binary_weights(w), b, m, sh).reshape(-1))
    assert any(p["out_h"] * p["out_w"] % 2 for p, _, _ in cases) and any(
        p["out_h"] * p["out_w"] % 2 == 0 for p, _, _ in cases)
    run_calls(BOARDS[core], calls, tmp_path)
    for c, want in zip(calls, wants):
        assert_same(want, c.result, f"{KERNEL} on {core}, p={c.p}")

