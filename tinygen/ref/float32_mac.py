"""numpy twins of the float32 kernels of BATCH_MATMUL and TRANSPOSE_CONV (a float .tflite run as
it is), each TFLite Micro's float reference arithmetic in the same order of float32
operations: the batch product's sums over the depth in order, the transposed convolution's
scatter in its loop order. Named like the C kernel minus the ``tg_`` prefix."""

from __future__ import annotations

import numpy as np

from tinygen.ref.float32 import F32, clamp_values


def batch_matmul_f32(p: dict, lhs, rhs) -> np.ndarray:
    """Mirrors tg_batch_matmul_f32: per batch, out[i][j] = sum_k lhs[i][k] * rhs[k][j] in order
    of k from 0, each operand read through its strides; float32 [batches, rows, cols]."""
    lhs, rhs = np.asarray(lhs, F32).reshape(-1), np.asarray(rhs, F32).reshape(-1)
    shape = p["batch_shape"]
    n = np.arange(int(np.prod(shape)))
    index = np.stack([n // (shape[1] * shape[2]), (n // shape[2]) % shape[1], n % shape[2]], axis=1)
    a_base = index @ np.asarray(p["lhs_batch_strides"], np.int64)
    b_base = index @ np.asarray(p["rhs_batch_strides"], np.int64)
    rows, cols = np.arange(p["rows"]), np.arange(p["cols"])
    total = np.zeros((n.size, p["rows"], p["cols"]), F32)
    for k in range(p["depth"]):
        a = lhs[a_base[:, None] + rows[None, :] * p["lhs_row_stride"] + k * p["lhs_depth_stride"]]
        b = rhs[b_base[:, None] + cols[None, :] * p["rhs_col_stride"] + k * p["rhs_depth_stride"]]
        total = total + a[:, :, None] * b[:, None, :]
    return total


def transpose_conv2d_f32(p: dict, input, weights, bias=None) -> np.ndarray:
    """Mirrors tg_transpose_conv2d_f32 (TFLite reference_ops::TransposeConv on float): the
    products scattered into a zeroed output in the loop order input row, input column, input
    channel, filter row, filter column (each a vector over the output channels); + bias where
    there is one; the clamp. float32 [out_h, out_w, out_c]."""
    x = np.asarray(input, F32).reshape(p["in_h"], p["in_w"], p["in_c"])
    w = np.asarray(weights, F32).reshape(p["out_c"], p["kernel_h"], p["kernel_w"], p["in_c"])
    out = np.zeros((p["out_h"], p["out_w"], p["out_c"]), F32)
    for iy in range(p["in_h"]):
        for ix in range(p["in_w"]):
            for ic in range(p["in_c"]):
                for ky in range(p["kernel_h"]):
                    oy = iy * p["stride_h"] - p["pad_top"] + ky
                    if not 0 <= oy < p["out_h"]:
                        continue
                    for kx in range(p["kernel_w"]):
                        ox = ix * p["stride_w"] - p["pad_left"] + kx
                        if 0 <= ox < p["out_w"]:
                            out[oy, ox] = out[oy, ox] + x[iy, ix, ic] * w[:, ky, kx, ic]
    if bias is not None:
        out = out + np.asarray(bias, F32).reshape(p["out_c"])
    return clamp_values(p, out)
