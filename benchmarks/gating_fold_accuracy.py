"""How closely the gated depthwise layer's int8 output tracks the float module (issue 23),
with the gate folded into the requantization (one rounding, tinygen.ref.gating today)
against the earlier two-step form (requantize, then multiply by the gate and requantize
again: gate_scale after depthwise_conv2d_s8).

    .venv/bin/python benchmarks/gating_fold_accuracy.py

The layer of benchmarks/gating_masked.py (GatedConv2d 3x3, 16x16x64, BN, ReLU) at densities
1.0, 0.5, 0.3, 16 calibration inputs through the numpy interpreter; the error is the
dequantized output minus the float module's output, in output LSBs (mean |err|, max |err|),
over the channels where the float and the int8 gates agree.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from gating_masked import LAYERS, _source  # noqa: E402

from tinygen.compiler import compile_source  # noqa: E402
from tinygen.ref import gating as gref  # noqa: E402
from tinygen.gating import sweep  # noqa: E402
from tinygen.passes import CompileOptions  # noqa: E402
from tinygen.ref import interpreter  # noqa: E402
from tinygen.ref.kernels import depthwise_conv2d_s8  # noqa: E402


def two_step(p, input, gate, weights, bias, multiplier, shift):
    """The earlier semantics: the int8 depthwise result, then times the gate (TFLite MUL)."""
    return gref.gate_scale(p, depthwise_conv2d_s8(p, input, weights, bias, multiplier, shift), gate)


def errors(graph, source, net, density: float) -> tuple[float, float]:
    g = sweep.at(graph, "density", density)
    net.set_density(density)
    out = g.outputs[0]
    errs = []
    for x in source.default_calibration:
        q = interpreter.run(g, interpreter.quantize_float_input(g, source.to_graph_layout(x[None])))[out]
        y = interpreter.dequantize(g, out, q).reshape(-1)
        with torch.no_grad():
            f = net(torch.from_numpy(x[None])).numpy()
        f = np.moveaxis(f, 1, -1).reshape(-1)      # NCHW -> NHWC, the graph's layout
        both = (f != 0) | (y == 0)
        errs.append(np.abs(y - f)[both] / g.tensor(out).qparams.scale[0])
    e = np.concatenate(errs)
    return float(e.mean()), float(e.max())


def main() -> None:
    label, shape, _, gated_net = LAYERS[0]
    net = gated_net()
    source = _source(net, shape, "gated")
    graph = compile_source(source, options=CompileOptions())
    folded = gref.depthwise_conv2d_gated_s8
    print(f"{label}: |int8 - float| in output LSBs (mean / max)")
    for d in (1.0, 0.5, 0.3):
        after = errors(graph, source, net, d)
        gref.depthwise_conv2d_gated_s8 = two_step
        try:
            before = errors(graph, source, net, d)
        finally:
            gref.depthwise_conv2d_gated_s8 = folded
        print(f"  density {d:g}: two roundings {before[0]:.4f} / {before[1]:.2f}, "
              f"folded {after[0]:.4f} / {after[1]:.2f}")


if __name__ == "__main__":
    main()
