"""The requantization pairs an ONNX model's default rounding gives its MAC layers
(tinygen.frontend.onnx.quantized.single_rounding_multiplier: shift 0, multiplier round(scale * 2^31)),
for kernel tests of the DSP kernels' rounds-once mode (tinygen.kernels.specialize.ONCE)."""

from __future__ import annotations

import numpy as np

from tinygen.frontend.onnx.quantized import SINGLE_ROUNDING_MIN, single_rounding_multiplier

MAC_OPS = ("conv2d", "depthwise_conv2d", "fully_connected")


def once_pairs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n single-rounding (multiplier, shift) pairs of scales drawn log-uniformly in [2^-12, 2^-1)."""
    reals = np.exp2(rng.uniform(np.log2(SINGLE_ROUNDING_MIN), -1, size=n))
    pairs = [single_rounding_multiplier(float(r)) for r in reals]
    return np.array([m for m, _ in pairs], np.int64), np.array([s for _, s in pairs], np.int64)


def to_single_rounding(graph, kernels) -> list[str]:
    """Rewrites the pairs of every MAC layer on one of `kernels` (TFLite's, multiplier *
    2^(shift - 31)) to the single-rounding pairs of the same scales, in place, before codegen; the
    layers rewritten (the numpy reference reads the new pairs, so it stays the kernels' golden model)."""
    done = []
    for node in graph.nodes:
        if node.op not in MAC_OPS or node.kernel not in kernels or not node.param("multiplier"):
            continue
        mt, st = graph.tensor(node.param("multiplier")), graph.tensor(node.param("shift"))
        reals = np.asarray(mt.data, np.float64) * np.exp2(np.asarray(st.data, np.float64) - 31)
        pairs = [single_rounding_multiplier(float(r)) for r in reals.ravel()]
        mt.data = np.array([m for m, _ in pairs], mt.data.dtype).reshape(mt.data.shape)
        st.data = np.array([s for _, s in pairs], st.data.dtype).reshape(st.data.shape)
        done.append(node.name)
    return done
