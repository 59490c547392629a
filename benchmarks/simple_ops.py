"""Executed instructions per element of the simpler operators' kernels (tg_lut_s8, tg_tanh_s8,
tg_logistic_s8, tg_prelu_s8, tg_mean_s8 summing, tg_strided_slice_s8, tg_mirror_pad_s8) on a
board's stand-in, each checked against its numpy twin. Importing this module adds the kernels
to benchmarks/kernel_calls.py's KERNELS table, so that run_calls can call them
(tests/kernels/test_kernels_simple_standin.py).

    .venv/bin/python benchmarks/simple_ops.py --board f746zg
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lowbit_kernels import KERNELS, Call, Kernel, run_calls  # noqa: E402
from kernel_calls import kernel  # noqa: E402
from tinygen.kernels.lut import lookup_table  # noqa: E402
from tinygen.quant import op_params  # noqa: E402
from tinygen.ref import kernels as ref_s8, lookup, prelu, slicing  # noqa: E402


def _s8(rng, n: int) -> np.ndarray:
    return rng.integers(-128, 128, n).astype(np.int8)


def _table_case(p, rng):
    return (_s8(rng, p["size"]), rng.integers(-128, 128, 256).astype(np.int8))


def _prelu_case(p, rng):
    alpha_size = max(int(np.dot(np.asarray(p["shape"]) - 1, np.asarray(p["input2_strides"]))) + 1, 1)
    return (_s8(rng, math.prod(p["shape"])), _s8(rng, alpha_size))


def _slice_in(p) -> int:
    """Input elements a strided slice reads up to (its largest index + 1)."""
    reach = [p["offset"] + sum((n - 1) * s for n, s in zip(p["out_shape"], p["step"]) if s > 0)]
    return max(reach[0] + 1, p["offset"] + 1, p.get("in_size", 0))


_TABLE = ("int8_t", "int8_t")
KERNELS["tg_lut_s8"] = Kernel("tg_kernels.h", "tg_lut_params_t", _TABLE, "int8_t", lambda p: p["size"],
                              lookup.lut_s8, _table_case)
KERNELS["tg_tanh_s8"] = Kernel("tg_kernels.h", "tg_tanh_params_t", ("int8_t",), "int8_t", lambda p: p["size"],
                               lookup.tanh_s8, lambda p, rng: (_s8(rng, p["size"]),))
KERNELS["tg_logistic_s8"] = Kernel("tg_kernels.h", "tg_logistic_params_t", ("int8_t",), "int8_t",
                                   lambda p: p["size"], ref_s8.logistic_s8, lambda p, rng: (_s8(rng, p["size"]),))
KERNELS["tg_prelu_s8"] = Kernel("tg_kernels.h", "tg_prelu_params_t", ("int8_t", "int8_t"), "int8_t",
                                lambda p: math.prod(p["shape"]), prelu.prelu_s8, _prelu_case)
KERNELS["tg_mean_s8"] = Kernel("tg_kernels.h", "tg_mean_params_t", ("int8_t",), "int8_t",
                               lambda p: p["outer"] * p["inner"], ref_s8.mean_s8,
                               lambda p, rng: (_s8(rng, p["outer"] * p["reduce"] * p["inner"]),))
KERNELS["tg_strided_slice_s8"] = Kernel("tg_kernels.h", "tg_strided_slice_params_t", ("int8_t",), "int8_t",
                                        lambda p: math.prod(p["out_shape"]), slicing.strided_slice_s8,
                                        lambda p, rng: (_s8(rng, _slice_in(p)),))
KERNELS["tg_mirror_pad_s8"] = Kernel("tg_kernels.h", "tg_mirror_pad_params_t", ("int8_t",), "int8_t",
                                     lambda p: math.prod(p["out_shape"]), slicing.mirror_pad_s8,
                                     lambda p, rng: (_s8(rng, math.prod(p["in_shape"])),))


def prelu_params(shape: tuple[int, ...], channels: int, rng) -> dict:
    """tg_prelu_params_t of an NHWC input `shape` with one slope per channel (or one slope)."""
    n = math.prod(shape)
    c = shape[-1]
    q = op_params.prelu_params(0.05, int(rng.integers(-20, 20)), 0.004, int(rng.integers(-10, 10)), 0.04,
                               int(rng.integers(-20, 20)))
    rows = n // c
    return {"shape": [1, 1, rows, c], "input1_strides": [0, 0, c, 1],
            "input2_strides": [0, 0, 0, 1 if channels > 1 else 0], **q}


def cases(rng) -> list[tuple[str, Call, int]]:
    """(what, call, elements) for one representative layer of each kernel."""
    out = []
    n = 4096
    for op in ("tanh", "logistic", "gelu"):
        q_out = {"tanh": (1 / 128, 0), "logistic": (1 / 256, -128), "gelu": (0.02, -100)}[op]
        table = lookup_table(op, (0.05, 3), q_out, {"approximate": False})
        out.append((f"{op} by table", Call("tg_lut_s8", {"size": n}, (_s8(rng, n), table)), n))
    tanh = op_params.tanh_params(n, 0.05, 3)
    out.append(("tanh, fixed point", Call("tg_tanh_s8", tanh, (_s8(rng, n),)), n))
    out.append(("logistic, fixed point", Call("tg_logistic_s8", op_params.logistic_params(n, 0.05, 3),
                                              (_s8(rng, n),)), n))
    p = prelu_params((1, 16, 16, 16), 16, rng)
    out.append(("prelu, per channel", Call("tg_prelu_s8", p, KERNELS["tg_prelu_s8"].case(p, rng)), 4096))
    p = prelu_params((1, 16, 16, 16), 1, rng)
    out.append(("prelu, one slope", Call("tg_prelu_s8", p, KERNELS["tg_prelu_s8"].case(p, rng)), 4096))
    for what, (outer, reduce, inner) in (("sum over channels", (256, 16, 1)), ("sum over H, W", (1, 256, 16))):
        p = op_params.sum_params(outer, reduce, inner, 0.05, 3, 0.4, -2)
        x = KERNELS["tg_mean_s8"].case(p, rng)
        out.append((what, Call("tg_mean_s8", p, x), outer * reduce * inner))
        out.append((what, Call("tg_mean_s8_dsp", p, x), outer * reduce * inner))
    p = {"out_shape": [1, 16, 8, 16], "step": [0, 512, 64, 1], "offset": 0}
    out.append(("slice, every 2nd column", Call("tg_strided_slice_s8", p, KERNELS["tg_strided_slice_s8"].case(p, rng)),
                2048))
    p = {"out_shape": [1, 1, 32, 64], "step": [0, 0, 64, -1], "offset": 63}
    out.append(("flip, last axis", Call("tg_strided_slice_s8", p, KERNELS["tg_strided_slice_s8"].case(p, rng)), 2048))
    for mode in ("reflect", "replicate"):
        p = {"in_shape": [1, 16, 16, 16], "out_shape": [1, 18, 18, 16], "pad_before": [0, 1, 1, 0],
             "mode": slicing.MIRROR_PAD_MODES[mode]}
        out.append((f"{mode} pad 1 around 16x16x16", Call("tg_mirror_pad_s8", p,
                                                          KERNELS["tg_mirror_pad_s8"].case(p, rng)), 18 * 18 * 16))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="f746zg")
    args = ap.parse_args()
    measured = cases(np.random.default_rng(0))
    with tempfile.TemporaryDirectory() as tmp:
        run_calls(args.board, [c for _, c, _ in measured], Path(tmp))
    print(f"{'layer':<30} {'kernel':<22} {'elements':>8} {'instructions':>12} {'per element':>11}  == twin")
    for what, c, n in measured:
        twin = kernel(c.name).twin(c.p, *c.arrays).reshape(-1)
        print(f"{what:<30} {c.name:<22} {n:>8,} {c.instructions:>12,} {c.instructions / n:>11.2f}  "
              f"{'yes' if np.array_equal(twin, c.result) else 'NO'}")
    print(f"(executed instructions of one call on the {args.board} stand-in, per output element)")


if __name__ == "__main__":
    main()
