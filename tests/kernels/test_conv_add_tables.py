"""The fused add's tables (tg_conv_add_tables, firmware/kernels/conv/tg_conv2d_add_s8_dsp.h): each
input's term of TFLite's ADD tabulated for its 256 byte values at the layer's start, an output byte
then the output requantization of the sum of two table entries (tg_conv_add_block, in
tg_conv2d_add_rows4_w16_s8_dsp's blocks).

On the host, exhaustively: for every (conv byte, skip byte) pair of 256 x 256, the tables' path and
the per-byte fast path equal tinygen's reference ADD (tinygen.ref.kernels.add_s8, TFLite's
arithmetic), for MLPerf IC's three fused adds' parameters and drawn ones within the fast modes'
conditions, through each of its loops (TG_REQUANT_POS's with the output offset folded into SMMLAR, and
without). The header is compiled for the host with the DSP instructions the path uses (SMMULR, SMMLAR,
SSAT #8, with ASR #1 too) written out in C as the Arm ARM defines them. On the stand-ins the
kernel itself: tests/kernels/test_kernels_dsp_conv_rows4.py (test_conv2d_add_rows4_w16_s8_dsp_standin).
"""

from __future__ import annotations

import ctypes
import subprocess
import sys

import numpy as np
import pytest

from e2e import ROOT
from standin_lib import STRICT
from tinygen.compiler import compile_source, load_source
from tinygen.kernels.params import kernel_params
from tinygen.passes import CompileOptions
from tinygen.quant.fixedpoint import quantize_multiplier_smaller_than_one_exp
from tinygen.ref.kernels import add_s8
from tinygen.resources import firmware_path

# the host's arm_acle.h: the intrinsics the included headers name, declared only (the add's path calls none,
# so no code that calls them is emitted)
ACLE = """#include <stdint.h>
typedef int32_t int8x4_t;
typedef int32_t int16x2_t;
typedef uint32_t uint8x4_t;
int16x2_t __smlad(int16x2_t, int16x2_t, int32_t);
int16x2_t __sxtb16(int8x4_t);
int16x2_t __sxtab16(int16x2_t, int8x4_t);
int16x2_t __sadd16(int16x2_t, int16x2_t);
int16x2_t __ssub16(int16x2_t, int16x2_t);
uint8x4_t __sel(uint8x4_t, uint8x4_t);
"""
SHIM = r"""
#define TG_DSP_S8_H     /* tg_dsp_s8.h's helpers: declared, and the two the add's path uses in C */
#include <stdint.h>
int32_t tg_dsp_load_s8x4(const int8_t *p);
int32_t tg_dsp_sxtb16_odd(int32_t v);
int32_t tg_dsp_sxtab16_odd(int32_t pair, int32_t v);
int32_t tg_dsp_ssat16(int32_t v);
int32_t tg_dsp_pkhbt(int32_t lo, int32_t hi);
int32_t tg_dsp_pkhtb(int32_t hi, int32_t lo);
/* SMMULR: (a * b + 2^31) >> 32 */
static inline int32_t tg_dsp_smmulr(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * b + ((int64_t)1 << 31)) >> 32);
}
/* SMMLAR: (a * b + (acc << 32) + 2^31) >> 32 */
static inline int32_t tg_dsp_smmlar(int32_t a, int32_t b, int32_t acc)
{
    return (int32_t)(((int64_t)a * b + (int64_t)((uint64_t)(int64_t)acc << 32) + ((int64_t)1 << 31)) >> 32);
}
/* SSAT #8 */
static inline int32_t tg_dsp_ssat8(int32_t v)
{
    return v < -128 ? -128 : v > 127 ? 127 : v;
}
/* SSAT #8, Rn, ASR #n */
static inline int32_t tg_dsp_ssat8_asrn(int32_t v, int32_t n)
{
    v >>= n;
    return v < -128 ? -128 : v > 127 ? 127 : v;
}
/* SSAT #8, Rn, ASR #1 */
static inline int32_t tg_dsp_ssat8_asr1(int32_t v)
{
    v >>= 1;
    return v < -128 ? -128 : v > 127 ? 127 : v;
}
#include "tg_conv2d_add_s8_dsp.h"

/* Every (c, skip) pair, out[(c + 128) * 256 + skip + 128]: by the tables (tg_conv_add_block, its output
   over the skip bytes as in place), and by the per-byte fast path
   (TG_CONV_ADD_FAST, with TG_REQUANT_POS where pos). */
void all_pairs(const int32_t *f, int32_t pos, int32_t path, int8_t *by_tables, int8_t *by_byte)
{
    const int32_t mode = TG_CONV_ADD_FAST | (pos ? TG_REQUANT_POS : 0);
    const tg_conv2d_add_params_t p = {.add_left_shift = f[0], .conv_offset = f[1], .conv_multiplier = f[2],
                                      .conv_shift = f[3], .skip_offset = f[4], .skip_multiplier = f[5],
                                      .skip_shift = f[6], .add_output_offset = f[7],
                                      .add_output_multiplier = f[8], .add_output_shift = f[9],
                                      .add_act_min = f[10], .add_act_max = f[11]};
    const int32_t clamp = p.add_act_min > -128 || p.add_act_max < 127;
    int32_t tab[512], c, s;
    int8_t conv[256];
    tg_conv_add_tables(&p, tab);
    for (c = -128; c < 128; ++c) {
        int8_t *const row = by_tables + (c + 128) * 256;
        for (s = -128; s < 128; ++s) {
            conv[s + 128] = (int8_t)c;
            row[s + 128] = (int8_t)s;        /* the skip bytes, the output written over them */
            by_byte[(c + 128) * 256 + s + 128] = tg_conv_add_of(&p, c, s, mode);
        }
        if (path == 0) {            /* as a layer calls it */
            tg_conv_add_block(&p, tab, conv, row, row, 256, mode);
        } else if (path == 1) {     /* the offset folded into SMMLAR, the shift into SSAT (TG_REQUANT_POS, a small output shift) */
            tg_conv_add_fold_fn(&p, clamp)(&p, tab, tab + 256, conv, row, row, 256);
        } else {                    /* not folded */
            (clamp ? tg_conv_add_block_pos_clamp : tg_conv_add_block_pos)(&p, tab, tab + 256, conv, row, row, 256);
        }
    }
}
"""
FIELDS = ("add_left_shift", "conv_offset", "conv_multiplier", "conv_shift", "skip_offset", "skip_multiplier",
          "skip_shift", "add_output_offset", "add_output_multiplier", "add_output_shift", "add_act_min", "add_act_max")


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    if sys.platform != "linux":
        pytest.skip("the host library is built with gcc -shared on Linux")
    tmp = tmp_path_factory.mktemp("add_tables")
    (tmp / "arm_acle.h").write_text(ACLE)
    (tmp / "shim.c").write_text(SHIM)
    conv = firmware_path("kernels/tg_conv2d_add_s8_dsp.h").parent
    includes = sorted({f"-I{p.parent}" for p in (ROOT / "firmware" / "kernels").rglob("*.h")})
    so = tmp / "add_tables.so"
    subprocess.run(["gcc", *STRICT, "-shared", "-fPIC", f"-I{tmp}", f"-I{conv}", *includes, str(tmp / "shim.c"),
                    "-o", str(so)], check=True)
    found = ctypes.CDLL(str(so))
    found.all_pairs.restype = None
    return found


def _ic_adds() -> list[dict]:
    source = load_source(str(ROOT / "examples" / "mlperf-tiny" / "ic_resnet8_int8.tflite"))
    graph = compile_source(source, None, CompileOptions(kernels="tinygen", features=frozenset({"dsp"})))
    return [kernel_params(graph, n) for n in graph.nodes if n.op == "conv2d_add"]


def _drawn(seed: int) -> dict:
    """An int8 ADD's parameters as TFLite derives them from drawn scales (inputs' and output's within a
    factor of 8 of each other) and zero points; the bounds int8's, a ReLU's, or drawn inside them."""
    rng = np.random.default_rng(seed)
    s1, s2, s_out = (float(2.0 ** rng.uniform(-9, -6)) for _ in range(3))
    twice_max = 2 * max(s1, s2)
    (m1, sh1), (m2, sh2) = (quantize_multiplier_smaller_than_one_exp(s / twice_max) for s in (s1, s2))
    m_out, sh_out = quantize_multiplier_smaller_than_one_exp(twice_max / ((1 << 20) * s_out))
    zp = [int(z) for z in rng.integers(-128, 128, 3)]
    lo, hi = [(-128, 127), (zp[2], 127), tuple(sorted(int(b) for b in rng.integers(-128, 128, 2)))][seed % 3]
    return {"add_left_shift": 20, "conv_offset": -zp[0], "conv_multiplier": m1, "conv_shift": sh1,
            "skip_offset": -zp[1], "skip_multiplier": m2, "skip_shift": sh2, "add_output_offset": zp[2],
            "add_output_multiplier": m_out, "add_output_shift": sh_out, "add_act_min": lo, "add_act_max": hi}


def _reference(p: dict) -> np.ndarray:
    c, s = np.meshgrid(np.arange(-128, 128), np.arange(-128, 128), indexing="ij")
    add = {"size": c.size, "left_shift": p["add_left_shift"],
           **{f"input1_{f}": p[f"conv_{f}"] for f in ("offset", "multiplier", "shift")},
           **{f"input2_{f}": p[f"skip_{f}"] for f in ("offset", "multiplier", "shift")},
           **{k: p[f"add_{k}"] for k in ("output_offset", "output_multiplier", "output_shift", "act_min", "act_max")}}
    return add_s8(add, c.ravel(), s.ravel())


def _check(lib, p: dict) -> None:
    fields = (ctypes.c_int32 * len(FIELDS))(*(int(p[f]) for f in FIELDS))
    want = _reference(p)
    # the sign's ADD left out (TG_REQUANT_POS) only where a specialized layer may: add_act_min >= the zero point
    paths = [(0, 0)]
    if p["add_act_min"] >= p["add_output_offset"]:
        # and each of its two loops, whichever the layer's output shift picks
        paths += [(1, 0), (1, 2)] + ([(1, 1)] if -p["add_output_shift"] - 1 <= 20 else [])
    for pos, path in paths:
        by_tables, by_byte = np.zeros(65536, np.int8), np.zeros(65536, np.int8)
        lib.all_pairs(fields, ctypes.c_int32(pos), ctypes.c_int32(path), by_tables.ctypes.data_as(ctypes.c_void_p),
                      by_byte.ctypes.data_as(ctypes.c_void_p))
        assert np.array_equal(by_byte, want), (p, pos, path)
        bad = np.flatnonzero(by_tables != want)
        assert not bad.size, f"{bad.size} of 65536 pairs differ, first (c, skip) = " \
                             f"{(bad[0] // 256 - 128, bad[0] % 256 - 128)}, params {p}, pos {pos}, path {path}"


def test_ic_fused_adds_every_pair(lib):
    adds = _ic_adds()
    assert len(adds) == 3, "MLPerf IC has three residual adds fused into its convs"
    for p in adds:
        _check(lib, p)


@pytest.mark.parametrize("seed", range(9))
def test_drawn_fast_parameters_every_pair(lib, seed):
    _check(lib, _drawn(seed))
