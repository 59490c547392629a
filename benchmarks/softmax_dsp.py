"""Executed instructions of tg_softmax_s8 and tg_softmax_s8_dsp on a Cortex-M stand-in, for
one row of 10 and 12 classes (the digits and KWS heads) and a few wider rows, plus the flash of
the DSP kernel's exp table per layer.

    .venv/bin/python benchmarks/softmax_dsp.py --board f746zg
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lowbit_kernels import KERNELS, Call, Kernel, run_calls  # noqa: E402
from tinygen.kernels.lut import softmax_exp_table  # noqa: E402
from tinygen.quant.op_params import softmax_params  # noqa: E402
from tinygen.ref import kernels as ref  # noqa: E402

DSP = "tg_softmax_s8_dsp"
PORTABLE = "tg_softmax_s8"


def softmax_input(p: dict, rng) -> np.ndarray:
    """Random int8 rows; every third row squeezed into a narrow range (all classes live)."""
    x = rng.integers(-128, 128, size=(p["rows"], p["depth"]))
    x[::3] = x[::3] // 16 + rng.integers(-100, 100)
    return x.astype(np.int8)


def _size(p: dict) -> int:
    return p["rows"] * p["depth"]


KERNELS[PORTABLE] = Kernel("tg_kernels.h", "tg_softmax_params_t", ("int8_t",), "int8_t", _size,
                           ref.softmax_s8, lambda p, rng: (softmax_input(p, rng),))
KERNELS[DSP] = Kernel("tg_kernels.h", "tg_softmax_params_t", ("int8_t", "int32_t"), "int8_t", _size,
                      lambda p, x, _table: ref.softmax_s8(p, x),
                      lambda p, rng: (softmax_input(p, rng), softmax_exp_table(p, {})))

# (rows, classes, input scale): the digits and KWS heads' shapes at a typical logit scale
SHAPES = [(1, 10, 0.1), (1, 12, 0.1), (1, 10, 0.02), (1, 100, 0.1), (4, 35, 0.05)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="f746zg")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    calls = []
    for rows, depth, scale in SHAPES:
        p = softmax_params(rows, depth, np.float32(scale), 1.0)
        x, table = KERNELS[DSP].case(p, rng)
        calls += [Call(PORTABLE, p, (x,)), Call(DSP, p, (x, table), label=f"{table.nbytes} B")]
    with tempfile.TemporaryDirectory() as tmp:
        run_calls(args.board, calls, Path(tmp))
    print(f"{'rows x classes':>14}  {'scale':>6}  {'tg_softmax_s8':>13}  {'_dsp':>8}  {'ratio':>6}  table  == ref")
    for portable, dsp in zip(calls[::2], calls[1::2]):
        same = all((ref.softmax_s8(c.p, c.arrays[0]).reshape(-1) == c.result).all() for c in (portable, dsp))
        p = dsp.p
        print(f"{p['rows']:>5} x {p['depth']:<6}  {SHAPES[calls.index(dsp) // 2][2]:>6}  {portable.instructions:>13,}  "
              f"{dsp.instructions:>8,}  {dsp.instructions / portable.instructions:>6.3f}  {dsp.label:>6}  "
              f"{'yes' if same else 'NO'}")
    print(f"(executed instructions of one call on the {args.board} stand-in)")


if __name__ == "__main__":
    main()
