"""The Helium XNOR / popcount kernels (tg_conv2d_b1_b1_s8_mve, tg_conv2d_b1_b1_b1_mve) on the
Cortex-M55 stand-in (mps3-an547, the stm32n6570-dk's) == their numpy twins
(tinygen.ref.binary), byte for byte.

The same drawn cases as the DSP kernels' (tests/kernels/test_kernels_b1_dsp.py: odd sizes,
channel counts 1 to 100, strides, dilation, padding with pad value 0 / +1 / -1, thresholds at
the extremes, a 17-row kernel), so both the field path (counted on Helium) and the span path
(pad value 0 at the borders, fields over TG_B1_FIELD_WORDS) run; and the field path's runs of
9, 18 and 36 words (full vectors and a predicated last step of 1..3 words) with output
channels in groups of 32 and a partial group, every bit counted or none.
"""

from __future__ import annotations

import sys

import numpy as np
from kernel_lib import assert_same
from standin_lib import needs_qemu
from test_kernels_b1_dsp import _calls, field_calls

from e2e import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from lowbit_kernels import kernel, run_calls  # noqa: E402

MVE_KERNELS = ["tg_conv2d_b1_b1_s8_mve", "tg_conv2d_b1_b1_b1_mve"]
BOARD = "stm32n6570-dk"


def _assert_twins(calls) -> None:
    for i, c in enumerate(calls):
        want = np.asarray(kernel(c.name.removesuffix("_mve")).twin(c.p, *c.arrays)).reshape(-1)
        assert_same(want, c.result.astype(want.dtype), f"{c.name} case {i} on {BOARD} ({c.p})")


@needs_qemu
def test_b1_mve_kernels_standin(tmp_path):
    calls = _calls(20, 11, MVE_KERNELS)
    run_calls(BOARD, calls, tmp_path)
    kinds = {(c.p.get("pad_value"), c.p["dilation_w"] > 1, c.p["in_c"] % 32 != 0) for c in calls}
    assert len(kinds) >= 8, f"too few kinds of case: {kinds}"
    _assert_twins(calls)


@needs_qemu
def test_b1_mve_field_runs_standin(tmp_path):
    calls = field_calls(21, isa="_mve")
    for k in range(0, len(calls), 20):
        run_calls(BOARD, calls[k:k + 20], tmp_path / f"{k}")
    _assert_twins(calls)

