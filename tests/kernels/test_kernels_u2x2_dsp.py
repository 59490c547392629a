"""tg_conv2d_u2_s2_s8_dsp, the two-pixel packed-multiply kernel (2-bit weights x 2-bit
activations, firmware/kernels/lowbit/tg_conv2d_u2_s2_s8_dsp.c), on the Cortex-M7 and Cortex-M4
stand-ins against the numpy twin and the portable kernel, byte for byte.

The cases aim at what the two-pixel kernel does differently from the portable one: pixel
counts odd and even (the last pixel paired with itself), 1 to 7 output channels (partial
groups), field lengths around its loop turns (16 and 8 word pairs) and blocks (224 words: one
block exactly, one more word), rows packed as one run (in_c a multiple of 4, no column
dilation) or tap by tap, in_off 0 (the written-out packing) or not, odd weights, and both
requantizations: tg_requantize_bounded with the zero point folded in (multiplier >= 2^30,
shift in [-22, -1], |corr + bias| small) and tg_requantize_fast for the rest (a positive or
very negative shift, a small multiplier, a huge bias), with zero points and clamps at their
extremes. tests/kernels/test_kernels_packed_dsp.py draws further shapes for both packed kernels.
"""

from __future__ import annotations

import ctypes
import subprocess
import sys

import numpy as np
import pytest
from kernel_lib import KERNEL_INCLUDES, assert_same, parse_structs
from standin_lib import STRICT, needs_qemu
from test_kernels_packed import TWINS, packed_case

from e2e import ROOT
from tinygen.quant.pack_mul import pack_mul_weights, packed_scratch_bytes, steps
from tinygen.resources import firmware_path

sys.path.insert(0, str(ROOT / "benchmarks"))
from lowbit_kernels import Call, run_calls  # noqa: E402

BOARDS = {"cortex-m7": "f746zg", "cortex-m4": "f446re"}
KERNEL = "tg_conv2d_u2_s2_s8"


def geometry(in_hw: tuple[int, int], in_c: int, out_c: int, k: tuple[int, int] = (3, 3), stride: int = 1,
             dilation: tuple[int, int] = (1, 1), pad: tuple[int, int] = (1, 1), lo: int = 0, zp: int = 0,
             out_zp: int = -5, clamp: tuple[int, int] = (-128, 127), odd: int = 0) -> dict:
    """A packed-kernel params dict; inputs x in [lo, lo + 3] with zero point zp."""
    (ih, iw), (kh, kw), (dh, dw) = in_hw, k, dilation
    oh = (ih + 2 * pad[0] - dh * (kh - 1) - 1) // stride + 1
    ow = (iw + 2 * pad[1] - dw * (kw - 1) - 1) // stride + 1
    return {"in_h": ih, "in_w": iw, "in_c": in_c, "out_h": oh, "out_w": ow, "out_c": out_c, "kernel_h": kh,
            "kernel_w": kw, "stride_h": stride, "stride_w": stride, "dilation_h": dh, "dilation_w": dw,
            "pad_top": pad[0], "pad_left": pad[1], "input_offset": -zp, "in_off": -lo, "output_offset": out_zp,
            "act_min": clamp[0], "act_max": clamp[1], "odd": odd}


def bounded(p: dict, corr, bias, m, s) -> bool:
    """Whether the kernel takes tg_requantize_bounded (tg_u2x2_channels' test, in Python)."""
    limit = (1 << 30) - 36 * steps(p, "u2")
    cb = np.asarray(corr, np.int64)[:p["out_c"]] + (0 if bias is None else np.asarray(bias, np.int64))
    m, n = np.asarray(m, np.int64), -np.asarray(s, np.int64)
    return bool(np.all((m >= 1 << 30) & (n >= 1) & (n <= 22) & (np.abs(cb) < limit)))


def cases() -> list[tuple[dict, tuple, np.ndarray]]:
    """(params, (x, rows, bias, multiplier, shift), the packed constant)."""
    out = []

    def add(p, seed, requant="bounded", with_bias=True, extreme=""):
        x, rows, b, _, _ = packed_case("u2", p, seed, with_bias, extreme=extreme)
        rng = np.random.default_rng(seed)
        n = p["out_c"]
        if requant == "bounded":            # every channel: multiplier >= 2^30, shift in [-22, -1]
            m, s = rng.integers(1 << 30, (1 << 31) - 1, n), rng.integers(-22, 0, n)
            s[0] = -22 if n > 1 else s[0]
        elif requant == "fast":             # one channel outside: a left shift
            m, s = rng.integers(1 << 30, (1 << 31) - 1, n), rng.integers(-14, -6, n)
            s[-1] = 2
        elif requant == "small_m":
            m, s = rng.integers(1 << 20, 1 << 29, n), rng.integers(-10, -1, n)
        else:                               # "huge_bias": |corr + bias| beyond the bound
            m, s = np.full(n, 1 << 30), np.full(n, -20)
            b = np.full(n, (1 << 30) - 5)
        out.append((p, (x, rows, b, m, s), pack_mul_weights(p, rows, "u2")))

    # pixel counts 1, 2, 3 and 5 x 1..7 channels, in_c multiples of 4 (runs) and not
    for i, (hw, c, oc) in enumerate([((1, 1), 4, 1), ((1, 2), 8, 3), ((3, 1), 12, 5), ((1, 5), 3, 7),
                                     ((2, 2), 32, 4), ((3, 3), 36, 6), ((5, 3), 7, 2)]):
        add(geometry(hw, c, oc), i, requant=("bounded", "fast", "small_m")[i % 3], with_bias=i % 2 == 0)
    # stride 2, padding, the digits model's two middle layers (72 and 144 words), odd weights
    add(geometry((8, 8), 32, 64, stride=2, clamp=(0, 3), out_zp=0), 10)
    add(geometry((4, 4), 64, 16, stride=2, odd=1, out_zp=127), 11)
    add(geometry((5, 7), 20, 9, k=(5, 3), stride=2, pad=(2, 0), odd=1), 12, requant="fast")
    # dilated columns (tap by tap), asymmetric inputs (in_off != 0: the generic packing)
    add(geometry((6, 6), 16, 5, dilation=(2, 2), pad=(2, 2), lo=-128, zp=-127, out_zp=-128), 13)
    add(geometry((4, 5), 9, 3, lo=60, zp=62, odd=1), 14, requant="huge_bias")
    # blocks: 224 word pairs exactly (1x1 over in_c 896), then one more word (in_c 897)
    add(geometry((1, 3), 896, 5, k=(1, 1), pad=(0, 0)), 15, extreme="low_w_top_x")
    add(geometry((1, 3), 897, 5, k=(1, 1), pad=(0, 0), odd=1), 16, extreme="low_w_top_x")
    # the deepest accumulation: 3x3 over in_c 255 with the padding's u at the top (577 words)
    add(geometry((3, 2), 255, 5, stride=2, lo=-3, zp=0), 17, extreme="low_w_top_x")
    add(geometry((3, 2), 255, 5, stride=2, lo=-3, zp=0, odd=1), 18, extreme="low_w_top_x", requant="fast")
    return out


def test_u2_cases_take_both_requantizations():
    picks = [bounded(p, packed[:p["out_c"]].view(np.int32), b, m, s) for p, (_, _, b, m, s), packed in cases()]
    assert 0 < sum(picks) < len(picks), picks


def test_u2_dsp_scratch_formula_matches_c(tmp_path):
    shim = tmp_path / "size.c"
    shim.write_text('#include "tg_kernels_packed.h"\n'
                    "int32_t tgt_size(const tg_conv2d_packed_params_t *p)\n"
                    "{ return tg_conv2d_u2_s2_s8_dsp_buffer_size(p); }\n")
    so = tmp_path / "size.so"
    subprocess.run(["gcc", *STRICT, "-shared", "-fPIC", *KERNEL_INCLUDES, str(shim), "-o", str(so)], check=True)
    lib = ctypes.CDLL(str(so))
    fields = dict(parse_structs(firmware_path("kernels/tg_kernels_packed.h").read_text()))
    cls = type("P", (ctypes.Structure,), {"_fields_": fields["tg_conv2d_packed_params_t"]})
    for kh, kw, c, oc in [(1, 1, 1, 1), (1, 1, 7, 4), (3, 3, 3, 5), (5, 3, 17, 64), (3, 3, 64, 63)]:
        p = {"kernel_h": kh, "kernel_w": kw, "in_c": c, "out_c": oc}
        assert lib.tgt_size(ctypes.byref(cls(**p))) == packed_scratch_bytes(p, "u2", dsp=True)
    assert packed_scratch_bytes(p, "u2", dsp=True) == 4 * (2 * 3 * 3 * 16 + 6 * 64)


@needs_qemu
@pytest.mark.parametrize("core", list(BOARDS))
def test_conv2d_u2_s2_s8_dsp_standin(core, tmp_path):
    all_cases = cases()
    calls = []
    for p, (x, _, b, m, s), packed in all_cases:
        args = (x.astype(np.int8), packed, b, m, s)
        calls += [Call(KERNEL, p, args), Call(f"{KERNEL}_dsp", p, args)]
    run_calls(BOARDS[core], calls, tmp_path)
    for i, (p, args, _) in enumerate(all_cases):
        expected = TWINS["u2"](p, *args).reshape(-1)
        for c in calls[2 * i:2 * i + 2]:
            assert_same(expected, c.result, f"{c.name} on {core}, p={p}")
