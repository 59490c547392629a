"""The integer layer norm (tinygen.ref.attention.layer_norm_s8 / rms_norm_s8, the twins of
firmware/kernels/norm/tg_norm_s8.h) against float PyTorch: on int8 rows of drawn widths, input
grids, spreads, gammas and betas, each output equals float PyTorch's result of the
dequantized row, rounded to the output grid, or is one step from it; at least 98% are equal
(benchmarks/attention.py --norm prints the distribution)."""

from __future__ import annotations

import numpy as np
import torch

from attention_lib import op_node
from tinygen.ref import attention as ref

TRIALS = 120
MIN_EXACT = 0.98


def norm_agreement(trials: int, seed: int = 0) -> dict[int, int]:
    """{|int8 - rounded float| in output steps: count} over `trials` random layers of 16 rows."""
    rng = np.random.default_rng(seed)
    counts: dict[int, int] = {}
    for trial in range(trials):
        depth = int(rng.choice([8, 16, 24, 64, 128, 256]))
        in_scale = float(np.float32(np.exp(rng.uniform(np.log(0.005), np.log(0.2)))))
        in_zp = int(rng.integers(-40, 40))
        gamma = rng.normal(1, 0.3, depth).astype(np.float32)
        beta = rng.normal(0, 0.3, depth).astype(np.float32)
        center = bool(trial % 2)
        x = np.clip(np.rint(rng.normal(in_zp, rng.uniform(3, 60), (16, depth))), -128, 127).astype(np.int8)
        real = torch.from_numpy((x.astype(np.float32) - in_zp) * in_scale)
        eps = 1e-5 if center else 1e-6
        if center:
            y = torch.nn.functional.layer_norm(real, (depth,), torch.from_numpy(gamma), torch.from_numpy(beta), eps)
        else:
            y = torch.nn.functional.rms_norm(real, (depth,), torch.from_numpy(gamma), eps)
        y = y.numpy()
        lo, hi = min(float(y.min()), 0.0), max(float(y.max()), 0.0)
        out_scale = float(np.float32((hi - lo) / 255))
        out_zp = int(np.clip(np.rint(-128 - lo / out_scale), -128, 127))
        op = "layer_norm" if center else "rms_norm"
        params = {"gamma": gamma} | ({"beta": beta} if center else {})
        g, node = op_node(op, [(1, 16, depth)], (1, 16, depth), [(in_scale, in_zp), (out_scale, out_zp)],
                          {"eps": eps}, params)
        got = getattr(ref, f"{op}_s8")(node.attrs["kparams"], x, *[g.const(node, r) for r in params]).astype(np.int64)
        want = np.clip(np.floor(y / out_scale + 0.5) + out_zp, -128, 127).astype(np.int64)
        for d, n in zip(*np.unique(np.abs(got - want), return_counts=True)):
            counts[int(d)] = counts.get(int(d), 0) + int(n)
    return counts


def test_integer_layer_norm_follows_float_torch():
    counts = norm_agreement(TRIALS)
    total = sum(counts.values())
    assert max(counts) <= 1, counts
    assert counts[0] / total >= MIN_EXACT, counts
