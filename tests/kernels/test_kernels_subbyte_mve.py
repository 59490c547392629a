"""The Helium 4-bit weight kernel (tg_conv2d_s8_s4_s8_mve) on the Cortex-M55 stand-in
(mps3-an547, the stm32n6570-dk's) == its numpy twin (tinygen.ref.subbyte), byte for byte, on
the DSP kernel's cases (tests/kernels/test_kernels_subbyte_dsp.py): K of 1, 9, 75, 576 and
drawn ones (a last step of 1..31 codes, rows ending inside it), uniform and odd (DoReFa)
weights, 1 to 64 channels, odd pixel counts (the last pixel alone), a 1x1 image (the first
pass takes the sums of codes), stride, dilation, padding, asymmetric zero points; and the C
scratch formula equals tinygen.quant.pack_subbyte.mve_scratch_bytes.
"""

from __future__ import annotations

import ctypes
import subprocess
import sys

from kernel_lib import KERNEL_INCLUDES, assert_same, parse_structs
from standin_lib import STRICT, needs_qemu
from test_kernels_subbyte import TWINS
from test_kernels_subbyte_dsp import drawn_cases, fixed_cases

from e2e import ROOT
from tinygen.quant.pack_subbyte import mve_scratch_bytes
from tinygen.resources import firmware_path

sys.path.insert(0, str(ROOT / "benchmarks"))
from lowbit_kernels import Call, run_calls  # noqa: E402

BOARD = "stm32n6570-dk"
NAME = "tg_conv2d_s8_s4_s8_mve"


def test_mve_scratch_formula_matches_c(tmp_path):
    shim = tmp_path / "size.c"
    shim.write_text('#include "tg_kernels_subbyte.h"\n'
                    "int32_t tgt_size(const tg_conv2d_subbyte_params_t *p)\n"
                    "{ return tg_conv2d_s8_s4_s8_mve_buffer_size(p); }\n")
    so = tmp_path / "size.so"
    subprocess.run(["gcc", *STRICT, "-shared", "-fPIC", *KERNEL_INCLUDES, str(shim), "-o", str(so)], check=True)
    lib = ctypes.CDLL(str(so))
    fields = dict(parse_structs(firmware_path("kernels/tg_kernels_subbyte.h").read_text()))
    cls = type("P", (ctypes.Structure,), {"_fields_": fields["tg_conv2d_subbyte_params_t"]})
    for kh, kw, c, oc in [(1, 1, 1, 1), (1, 1, 7, 3), (3, 3, 3, 8), (5, 3, 17, 5), (1, 1, 64, 64), (3, 3, 64, 9)]:
        s = cls(kernel_h=kh, kernel_w=kw, in_c=c, out_c=oc)
        assert lib.tgt_size(ctypes.byref(s)) == mve_scratch_bytes({"kernel_h": kh, "kernel_w": kw, "in_c": c,
                                                                    "out_c": oc})


@needs_qemu
def test_s4_mve_standin(tmp_path):
    cases = [c for c in fixed_cases() + drawn_cases(60, 7) if c[0] == "s4"]
    assert len(cases) >= 20 and {p["odd"] for _, p, _ in cases} == {0, 1}
    calls = [Call(NAME, p, args) for _, p, args in cases]
    run_calls(BOARD, calls, tmp_path)
    for (kind, p, args), c in zip(cases, calls):
        assert_same(TWINS[kind](p, *args).reshape(-1), c.result, f"{NAME} on the M55 stand-in, p={p}")
