"""The RV32IMC binary kernels (tg_conv2d_b1_b1_s8_rv32, tg_conv2d_b1_b1_b1_rv32: Harley-Seal
over the receptive field, tg_conv2d_b1_rv32.h) == their numpy twins (tinygen.ref.binary),
byte for byte: on the host through ctypes over drawn geometries, and on the esp32-c3's
stand-in (QEMU RISC-V virt) with seeded shapes in one firmware (tests/kernels/test_kernels_b1_dsp.py's
generator: channel counts 1 to 100, stride, dilation, padding with pad value 0 / +1 / -1,
a 17-row kernel, fields past TG_B1_FIELD_WORDS), and executing fewer instructions than
the RV32IM int8 convolution per MAC on the benchmark's layers. choose_kernels picks them
on rv32im boards only.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel_lib import assert_same
from test_kernels_b1 import SETTINGS, binary_input_case, geometry, with_bias_shift
from test_kernels_b1_dsp import _geometry, _tall
from test_kernels_rv32 import needs_riscv
from tinygen.ref import binary as ref

import rv32_kernels  # noqa: F401  (test_kernels_rv32 put benchmarks/ on the path; adds the _rv32 names)
from lowbit_kernels import ROWS, Call, _s8_params, kernel, run_calls  # noqa: E402

B1_RV32 = ("tg_conv2d_b1_b1_s8_rv32", "tg_conv2d_b1_b1_b1_rv32")


@SETTINGS
@given(p=geometry(binary_input=True, max_hw=12, channels=(1, 31, 32, 33, 64, 100, 200)),
       seed=st.integers(0, 2**32 - 1), threshold=st.booleans(), k=st.integers(0, 12))
def test_conv2d_b1_b1_rv32_host(kernels, p, seed, threshold, k):
    args = binary_input_case(p, seed, threshold=threshold)
    if not threshold:               # bias_shift k (0: TFLite's whole-unit bias)
        p, args = with_bias_shift(p, k, args)
    if threshold:
        got = kernels._b1_threshold("tg_conv2d_b1_b1_b1_rv32", "tg_conv2d_b1_params_t", p, args[0], np.uint32,
                                    args[1], np.uint32, args[2])
        assert_same(ref.conv2d_b1_b1_b1(p, *args), got, "tg_conv2d_b1_b1_b1_rv32")
    else:
        got = kernels._b1_requant("tg_conv2d_b1_b1_s8_rv32", "tg_conv2d_b1_params_t", p, args[0], np.uint32,
                                  args[1], np.uint32, *args[2:])
        assert_same(ref.conv2d_b1_b1_s8(p, *args), got, "tg_conv2d_b1_b1_s8_rv32")


def _big_field() -> dict:
    """A 5x5 kernel over 200 channels: 175 words, past TG_B1_FIELD_WORDS (the portable accumulator)."""
    return {"in_h": 6, "in_w": 5, "in_c": 200, "out_h": 4, "out_w": 3, "out_c": 7, "kernel_h": 5, "kernel_w": 5,
            "stride_h": 1, "stride_w": 1, "dilation_h": 1, "dilation_w": 1, "pad_top": 2, "pad_left": 1,
            "pad_value": 1, "output_offset": -4, "act_min": -128, "act_max": 127}


@pytest.mark.slow
@needs_riscv
def test_b1_rv32_kernels_equal_twins_standin(tmp_path):
    rng = np.random.default_rng(7)
    calls = []
    for i in range(24):
        for name in B1_RV32:
            p = _geometry(rng, True) if i > 1 else (_tall(True) if i == 0 else _big_field())
            threshold = name == "tg_conv2d_b1_b1_b1_rv32"
            calls.append(Call(name, p, binary_input_case(p, int(rng.integers(2**32)), threshold=threshold)))
    # the benchmark's binary layers, beside the RV32IM int8 conv on the same geometry
    bench = []
    for r in ROWS:
        if r.kernel in ("tg_conv2d_b1_b1_s8", "tg_conv2d_b1_b1_b1") and "128" not in r.shape:
            s8 = _s8_params(r.p)
            bench.append((Call(f"{r.kernel}_rv32", r.p, kernel(r.kernel).case(r.p, rng)),
                          Call("tg_conv2d_s8_rv32", s8, kernel("tg_conv2d_s8_rv32").case(s8, rng))))
    run_calls("esp32-c3", calls + [c for pair in bench for c in pair], tmp_path)
    assert {c.p["pad_value"] for c in calls} == {0, 1, -1}
    for i, c in enumerate(calls + [b for b, _ in bench]):
        want = np.asarray(kernel(c.name).twin(c.p, *c.arrays)).reshape(-1)
        assert_same(want, c.result.astype(want.dtype), f"{c.name} case {i} on esp32-c3 ({c.p})")
    for b1, s8 in bench:
        assert b1.instructions < s8.instructions / 2, f"{b1.name} {b1.p}: not under half the int8 conv's"


def test_b1_rv32_chosen_on_rv32im_boards():
    from tinygen.board import get_board
    from tinygen.kernels.table import find_kernel

    for out, name in (("int8", "tg_conv2d_b1_b1_s8"), ("b1", "tg_conv2d_b1_b1_b1")):
        def pick(board):
            return find_kernel("conv2d", out, "b1", 1, get_board(board).isa_features, in_dtype="b1").name

        assert (pick("esp32-c3"), pick("host"), pick("f746zg")) == (f"{name}_rv32", name, f"{name}_dsp")


_COUNT_SHIM = r"""
#include "tg_conv2d_b1_rv32.h"
int32_t tgt_count_run_rv32(const uint32_t *a, const uint32_t *w, int32_t n) { return tg_b1_count_run_rv32(a, w, n); }
"""


def test_b1_count_run_rv32_every_length_host(tmp_path):
    """The Harley-Seal count equals popcount at every run length up to TG_B1_FIELD_WORDS, all
    bits set included (the byte vectors' largest sums: no byte carries into the next)."""
    import ctypes
    import subprocess

    from kernel_lib import CFLAGS, KERNEL_INCLUDES

    src, so = tmp_path / "shim.c", tmp_path / "shim.so"
    src.write_text(_COUNT_SHIM)
    subprocess.run(["gcc", *CFLAGS, *KERNEL_INCLUDES, str(src), "-o", str(so)], check=True)
    count = ctypes.CDLL(str(so)).tgt_count_run_rv32
    rng = np.random.default_rng(3)
    p32 = ctypes.POINTER(ctypes.c_uint32)
    for n in range(1, 129):
        drawn = [rng.integers(0, 2**32, n, dtype=np.uint32) for _ in range(2)]
        for a, w in ((np.full(n, 0xFFFFFFFF, np.uint32), np.zeros(n, np.uint32)), drawn):
            want = int(np.unpackbits((a ^ w).view(np.uint8)).sum())
            assert count(a.ctypes.data_as(p32), w.ctypes.data_as(p32), n) == want, f"n={n}"
