"""Room in the int32 accumulator of the int8 multiply-accumulate kernels (tg_conv2d_s8,
tg_depthwise_conv2d_s8, tg_fully_connected_s8 and their variants), TFLite Micro's arithmetic:
acc = bias + sum (x - x_zp) * w in int32, where a sum past int32 is undefined behaviour in C.
x - x_zp lies within [-255, 255], so output channel c's accumulator stays within
|bias[c]| + 255 * sum |w[c]|: a bias larger than int32 leaves room for is refused at import."""

from __future__ import annotations

import numpy as np

from tinygen.quant.spec import ACT_QMAX, ACT_QMIN

INPUT_SPAN = ACT_QMAX - ACT_QMIN        # the largest |x - x_zp| of an int8 activation
INT32_MAX = (1 << 31) - 1


def overflowing_channel(weight: np.ndarray, bias: np.ndarray, axis: int) -> tuple[int, int] | None:
    """(output channel, its largest weighted input sum) of the first channel whose int32 bias
    can carry its accumulator past int32, else None. `axis`: the weights' output-channel axis."""
    w = np.moveaxis(np.asarray(weight, np.int64), axis, 0).reshape(weight.shape[axis], -1)
    sums = INPUT_SPAN * np.abs(w).sum(axis=1)
    bad = np.flatnonzero(np.abs(np.asarray(bias, np.int64).reshape(-1)) > INT32_MAX - sums)
    return (int(bad[0]), int(sums[bad[0]])) if bad.size else None


def accumulator_message(bias: np.ndarray, found: tuple[int, int]) -> str:
    channel, sums = found
    return (f"the int32 bias {int(np.asarray(bias).reshape(-1)[channel])} of output channel {channel} overflows the "
            f"int32 accumulator (its inputs times weights reach +-{sums})")
