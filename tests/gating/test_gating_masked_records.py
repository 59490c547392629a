"""The gated depthwise DSP kernel's folded records (issue 23): the build-time part
(tinygen.kernels.gating.depthwise_gated_dsp_records: per kernel row the two weight pairs
A = w0 | w1, B = w1 | w2, then 33 + gate_shift + shift, m1 and the doubled accumulator bound) and the run-time part
(tg_gate_fold_positive, tg_conv2d_gated.h: one renormalization branch for both of
tg_gate_fold's) against the numpy twin gate_fold. The kernel itself runs on the stand-ins in
tests/gating/test_gating_masked.py."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from tinygen.ref import gating as gref
from tinygen.kernels import table
from tinygen.kernels.gating import GATED_PACKED_WORDS
from tinygen.kernels.depthwise_dsp import RECORD_WORDS, depthwise_dsp_records

# the gated kernel's pack (tinygen.kernels.gating.depthwise_gated_dsp_records), as the table wires it
depthwise_gated_dsp_records = table.KERNELS_BY_NAME["tg_depthwise_conv2d_gated_s8_dsp"].pack


def _layer(rng, channels: int, gate_shift: int, gate_multiplier: int):
    p = {"in_h": 8, "in_w": 8, "in_c": channels, "out_h": 8, "out_w": 8, "out_c": channels, "kernel_h": 3,
         "kernel_w": 3, "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1, "pad_top": 1,
         "pad_left": 1, "depth_multiplier": 1, "input_offset": 5, "output_offset": -3, "act_min": -128,
         "act_max": 127, "gate_shift": gate_shift, "gate_multiplier": gate_multiplier}
    consts = {"weight": rng.integers(-127, 128, (3, 3, channels)).astype(np.int8),
              "bias": rng.integers(-50_000, 50_000, channels).astype(np.int32),
              "multiplier": rng.integers(2 ** 30, 2 ** 31, channels).astype(np.int32),
              "shift": rng.integers(-12, -5, channels).astype(np.int32)}
    return p, consts


@pytest.mark.parametrize("channels, gate_shift, gate_multiplier", [(16, -1, 2 ** 31 - 1), (13, 0, 2 ** 30),
                                                                   (64, -7, 1_500_000_000)])
def test_depthwise_gated_dsp_records_pack_the_gate_independent_fold(channels, gate_shift, gate_multiplier):
    p, consts = _layer(np.random.default_rng(channels), channels, gate_shift, gate_multiplier)
    dense = depthwise_dsp_records(p, consts).astype(np.int64)
    gated = depthwise_gated_dsp_records(p, consts).astype(np.int64)
    assert int(dense[0]) == channels and int(gated[0]) == channels, "records serve"
    assert gated.shape == (1 + GATED_PACKED_WORDS * channels,)
    d, g = dense[1:].reshape(channels, RECORD_WORDS), gated[1:].reshape(channels, GATED_PACKED_WORDS)
    assert (g[:, 0] == d[:, 0]).all(), "the doubled bias is the layer's"
    w = 2 * consts["weight"].astype(np.int64)

    def half(word, k):      # int16 half k (0: low) of an int32 word
        return ((word.astype(np.int64) & 0xFFFFFFFF) >> (16 * k) & 0xFFFF ^ 0x8000) - 0x8000

    for k in range(3):      # A_k = w[k][0] | w[k][1], B_k = w[k][1] | w[k][2], doubled
        a, b = g[:, 1 + 2 * k], g[:, 2 + 2 * k]
        assert (half(a, 0) == w[k, 0]).all() and (half(a, 1) == w[k, 1]).all(), f"A_{k}"
        assert (half(b, 0) == w[k, 1]).all() and (half(b, 1) == w[k, 2]).all(), f"B_{k}"
    for c in range(channels):
        m, s, b = int(consts["multiplier"][c]), int(consts["shift"][c]), int(consts["bias"][c])
        assert int(g[c, 7]) == 33 + gate_shift + s
        assert int(g[c, 8]) == (m * gate_multiplier + (1 << 30)) >> 31
        assert int(g[c, 9]) == 2 * (abs(b) + 9 * 255 * 128)


def test_depthwise_gated_dsp_records_none_where_the_layer_has_none():
    p, consts = _layer(np.random.default_rng(1), 8, 0, 2 ** 30)
    consts["multiplier"][3] = -5            # a negative multiplier: no 3x3 records
    assert depthwise_gated_dsp_records(p, consts).tolist() == [0]


@pytest.mark.skipif(shutil.which("gcc") is None, reason="the host C compiler (gcc) compiles tg_gate_fold_positive")
def test_gate_fold_positive_c_equals_twin_over_both_renormalizations(tmp_path):
    """Q = m1 * g' > 0 below 2^31 (exact left shift), above (rounded half up), products that
    round up to 2^31 (the renormalization's second step) and folded shifts past the cut-off
    (the twin gives (0, 0), the C an n above 31, which the kernel refuses)."""
    from kernel_lib import KERNEL_INCLUDES

    rng = np.random.default_rng(29)
    n = 4000
    m = (rng.integers(1, 2 ** 31 - 1, n) >> rng.integers(0, 31, n)).astype(np.int64)
    gm = rng.integers(2 ** 30, 2 ** 31, n)
    g = rng.integers(1, 256, n)
    sh, gs = rng.integers(-31, 1, n), rng.integers(-31, 8, n)
    m[:28] = [min(((1 << b) - 1) // 3, 2 ** 31 - 1) for b in range(32, 60)]   # m1 * 3 just below 2^k
    g[:28], gm[:28] = 3, 2 ** 31 - 1
    m[28:32], g[28:32] = [1, 2 ** 31 - 1, 2 ** 30, 3], [1, 255, 1, 255]
    gm[28:32] = [2 ** 30, 2 ** 31 - 1, 2 ** 30, 2 ** 30]
    m1 = (m * gm + (1 << 30)) >> 31
    keep = m1 > 0
    m, gm, g, sh, gs, m1 = m[keep], gm[keep], g[keep], sh[keep], gs[keep], m1[keep]
    src = tmp_path / "fold_positive.c"
    src.write_text('#include <stdio.h>\n#include "tg_conv2d_gated.h"\nint main(void)\n{\n'
                   '    long long q;\n    long base;\n    while (scanf("%lld %ld", &q, &base) == 2) {\n'
                   '        int32_t n;\n        uint32_t mag = tg_gate_fold_positive((int64_t)q, (int32_t)base, &n);\n'
                   '        printf("%lu %ld\\n", (unsigned long)mag, (long)n);\n    }\n    return 0;\n}\n')
    exe = tmp_path / "fold_positive"
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", *KERNEL_INCLUDES, str(src), "-o",
                    str(exe)], check=True)
    rows = np.stack([m1 * g, 33 + gs + sh], 1)
    out = subprocess.run([str(exe)], input="\n".join(f"{int(q)} {int(b)}" for q, b in rows) + "\n",
                         capture_output=True, text=True, check=True).stdout.split()
    got = np.array(out, np.int64).reshape(-1, 2)
    cut = 0
    for i in range(len(m)):
        wm, ws = gref.gate_fold([m[i]], [sh[i]], [g[i]], int(gm[i]), int(gs[i]))
        mag, n_c = int(got[i, 0]), int(got[i, 1])
        assert 2 ** 30 <= mag < 2 ** 31, f"row {i}: multiplier {mag} not renormalized"
        if (wm[0], ws[0]) == (0, 0):
            assert n_c > 31, f"row {i}: the twin cuts off, the C gives n = {n_c}"
            cut += 1
        else:
            assert (mag, -n_c) == (wm[0], ws[0]), f"row {i}: ({mag}, {-n_c}), want ({wm[0]}, {ws[0]})"
    assert 0 < cut < len(m), f"both outcomes covered: {cut} cut off of {len(m)}"
    assert (rows[:, 0] < 2 ** 31).any() and (rows[:, 0] >= 2 ** 31).any(), "both renormalization branches"
