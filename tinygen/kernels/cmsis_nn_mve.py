"""CMSIS-NN kernels on cores with Helium (`--kernels cmsis-nn` on the Cortex-M55, feature "mve").

CMSIS-NN compiled for an MVE core (ARM_MATH_MVEI, which arm_nn_math_types.h defines from the
compiler's __ARM_FEATURE_MVE) runs its Helium paths, which take other buffers than the DSP
paths tinygen.kernels.cmsis_nn folds in:

- conv and depthwise: the scratch of the `*_get_buffer_size_mve` formulas (below), so these
  layers have adapters of their own, which leave to tinygen's kernels the one-row convs
  whose 1xN Helium path reads the wrong columns (conv_exact) (firmware/cmsis_nn/*_cmsis_nn_mve.c, each calling the
  DSP core's adapter: the C call is the same, CMSIS-NN's code under it is not);
- average pooling: no scratch (the MVE path sums in registers);
- fully connected: no scratch but a "kernel sum" per output feature, bias + input_offset *
  sum of its weights (arm_vector_sum_s8), which TFLite Micro computes once at Prepare into a
  persistent buffer; here it is computed at build time and stored in flash in the bias's
  place (the MVE path does not read the bias), the adapter passing it as CMSIS-NN's
  context buffer.

The DSP adapters of those layers exclude "mve"; max pooling, add and softmax keep theirs.
tests/kernels/test_cmsis_nn.py compiles the tree's `*_mve` functions on the host and checks
the formulas here against them over many shapes.
"""

from __future__ import annotations

import numpy as np

from tinygen.ir import Graph, Node
from tinygen.kernels.params import kernel_params
from tinygen.kernels.spec import _REQUANT

REQUIRES = frozenset({"mve", "cmsis-nn"})
CH_IN_BLOCK = 124          # CH_IN_BLOCK_MVE, arm_nnsupportfunctions.h
# CONVERT_DW_CONV_WITH_ONE_INPUT_CH_AND_OUTPUT_CH_ABOVE_THRESHOLD as GCC compiles it (Arm
# Compiler 6: 8): a depthwise conv of one input channel and more outputs runs as a conv
ONE_IN_CH_THRESHOLD = 1


def _cdiv(a: int, b: int) -> int:
    """C's integer division (truncating toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _cmod(a: int, b: int) -> int:
    """C's remainder (the sign of the dividend)."""
    return a - b * _cdiv(a, b)


def _conv_s8(p: dict) -> int:
    """arm_convolve_s8_get_buffer_size_mve: four im2col columns of whole 16-byte vectors."""
    return 4 * -(-(p["in_c"] * p["kernel_h"] * p["kernel_w"]) // 16) * 16


def _conv_1_x_n(p: dict) -> int:
    """arm_convolve_1_x_n_s8_get_buffer_size_mve: the widest padded row the 1xN path copies."""
    c, pad, stride = p["in_c"], p["pad_left"], p["stride_w"]
    total_pad = (p["out_w"] - 1) * stride + p["kernel_w"] - p["in_w"]
    asym = _cmod(total_pad, 2)
    right_num = max(1, _cdiv(pad + asym + stride - 1, stride)) if pad + asym != 0 else 0
    left_num = max(1, _cdiv(pad + stride - 1, stride)) if pad != 0 else 0
    plain = max(p["out_w"] - (right_num + left_num), 0)
    if right_num + plain + left_num != p["out_w"]:
        return _conv_s8(p)
    left_size = pad * c
    right_size = right_num * c if asym else left_size
    left = p["kernel_w"] * c
    return max(left + left_size, left - c + right_size)


def _pointwise(p: dict) -> bool:
    """arm_nn_is_convolve_1x1: a 1x1 kernel without padding or dilation."""
    return (p["kernel_h"], p["kernel_w"], p["pad_top"], p["pad_left"], p["dilation_h"], p["dilation_w"]) == \
        (1, 1, 0, 0, 1, 1)


def _takes_1_x_n(p: dict) -> bool:
    """arm_convolve_wrapper_s8 runs arm_convolve_1_x_n_s8 (arm_nn_is_convolve_1_x_n)."""
    if _pointwise(p):
        return False
    return p["in_h"] == 1 and p["dilation_w"] == 1 and p["kernel_h"] == 1 and (p["stride_w"] * p["in_c"]) % 4 == 0


def _1_x_n_taps(p: dict) -> list[list[int | None]] | None:
    """The input column arm_convolve_1_x_n_s8's MVE path reads for every output column and
    tap (None: the padding value; -1: past the input's end: whatever lies there), None where
    it returns an error or leaves the layer to arm_convolve_s8. Its left and right sections
    copy the input into a padded row (kernel_w columns after the left padding; kernel_w - 1
    before the right padding, which is one column per right output, or pad_left columns)."""
    width, kw, stride, pad, out_w = p["in_w"], p["kernel_w"], p["stride_w"], p["pad_left"], p["out_w"]
    total_pad = (out_w - 1) * stride + kw - width
    asym = _cmod(total_pad, 2)
    if pad * 2 + asym != total_pad:
        return []                       # ARM_CMSIS_NN_FAILURE: no output written
    right_num = max(1, _cdiv(pad + asym + stride - 1, stride)) if pad + asym != 0 else 0
    left_num = max(1, _cdiv(pad + stride - 1, stride)) if pad != 0 else 0
    plain = max(out_w - (right_num + left_num), 0)
    if right_num + plain + left_num != out_w:
        return None
    start = stride * left_num - pad
    if start < 0:
        return []

    def col(c: int) -> int:
        return c if c < width else -1

    def rows(buffer: list, count: int) -> list:
        return [[buffer[r * stride + t] if r * stride + t < len(buffer) else -1 for t in range(kw)]
                for r in range(count)]

    taps = rows([None] * pad + [col(c) for c in range(kw)], left_num)
    taps += [[col(start + i * stride + t) for t in range(kw)] for i in range(plain)]
    right = stride * (left_num + plain) - pad
    return taps + rows([col(right + c) for c in range(kw - 1)] + [None] * (right_num if asym else pad),
                       out_w - left_num - plain)


def conv_exact(p: dict) -> bool:
    """Whether arm_convolve_wrapper_s8 built for MVE computes the conv: not where it takes its
    1xN path and that reads other columns than the window's (CMSIS-NN V.19.1.0: a stride-2
    row whose right padding is two columns, e.g. 16 wide, 1x5, stride 2, SAME, copies one
    column past the input's end and pads one) or returns an error (a padded height)."""
    if not _takes_1_x_n(p):
        return True
    if p["pad_top"] != 0 or p["out_h"] != 1:
        return False
    taps = _1_x_n_taps(p)
    if taps is None:
        return True
    want = [[c if 0 <= c < p["in_w"] else None for c in range(x * p["stride_w"] - p["pad_left"],
                                                                x * p["stride_w"] - p["pad_left"] + p["kernel_w"])]
            for x in range(p["out_w"])]
    return taps == want


def conv_accepts(graph: Graph, node: Node) -> bool:
    return conv_exact(kernel_params(graph, node))


def depthwise_accepts(graph: Graph, node: Node) -> bool:
    """One input channel into more outputs runs as a conv (depthwise_scratch): conv_exact."""
    p = kernel_params(graph, node)
    return not (p["in_c"] == 1 and p["out_c"] > ONE_IN_CH_THRESHOLD) or conv_exact(p)


def conv_scratch(p: dict) -> int:
    """arm_convolve_wrapper_s8_get_buffer_size_mve: none for a 1x1 kernel without padding or
    dilation; the 1xN path's row for one-row inputs (dilation 1 across, stride x channels a
    multiple of 4); else arm_convolve_s8's four columns."""
    if _pointwise(p):
        return 0
    return _conv_1_x_n(p) if _takes_1_x_n(p) else _conv_s8(p)


def depthwise_scratch(p: dict) -> int:
    """arm_depthwise_conv_wrapper_s8_get_buffer_size as compiled for MVE: one input channel
    into more outputs runs as a conv (its scratch, then the transposed filter); depth
    multiplier 1 without dilation takes arm_depthwise_conv_s8_opt's 4 x 124 columns of the
    window; the generic kernel none."""
    if p["in_c"] == 1 and p["out_c"] > ONE_IN_CH_THRESHOLD:
        return conv_scratch(p) + p["out_c"] * p["kernel_h"] * p["kernel_w"]
    if p["in_c"] == p["out_c"] and (p["dilation_h"], p["dilation_w"]) == (1, 1):
        return 4 * CH_IN_BLOCK * p["kernel_h"] * p["kernel_w"]
    return 0


def kernel_sums(p: dict, consts: dict) -> np.ndarray:
    """The fully connected layers' context buffer on MVE (arm_vector_sum_s8 with the input
    offset and no filter offset): per output feature bias + input_offset * sum of its
    weights, int32 wrapping as CMSIS-NN adds."""
    w = np.asarray(consts["weight"], np.int64).reshape(p["out_features"], -1)
    bias = consts.get("bias")
    sums = (np.zeros(len(w), np.int64) if bias is None else np.asarray(bias, np.int64).ravel()) \
        + int(p["input_offset"]) * w.sum(axis=1)
    return (sums & 0xFFFFFFFF).astype(np.uint32).view(np.int32)


def cmsis_nn_mve_kernels(kernel_spec, header: str, args_header: str, backend: str, accepts: dict) -> tuple:
    """The Helium cores' CMSIS-NN KernelSpecs (built with the KernelSpec class; header,
    args_header, backend and the accepts predicates by op from tinygen.kernels.cmsis_nn)."""
    def adapter(name, op, struct, const_roles=(), scratch=None, calls=(), twin=None, **kw):
        weight = op != "avg_pool2d"
        return kernel_spec(name, op, weight_dtype="int8" if weight else None, weight_bits=8 if weight else None,
                           requires=REQUIRES, struct=struct, const_roles=const_roles,
                           source=f"cmsis_nn/{name}.c", twin=twin, headers=(header, args_header),
                           backend=backend, scratch=scratch, accepts=accepts.get(name), calls=calls, **kw)

    fc_roles = ("weight", "packed", "multiplier", "shift")
    accepts = dict(accepts, tg_conv2d_s8_cmsis_nn_mve=conv_accepts,
                   tg_depthwise_conv2d_s8_cmsis_nn_mve=depthwise_accepts)
    return (
        adapter("tg_conv2d_s8_cmsis_nn_mve", "conv2d", "tg_conv2d_params_t", _REQUANT, conv_scratch,
                ("cmsis_nn/tg_conv2d_s8_cmsis_nn.c",), twin="conv2d_s8"),
        adapter("tg_depthwise_conv2d_s8_cmsis_nn_mve", "depthwise_conv2d", "tg_conv2d_params_t", _REQUANT,
                depthwise_scratch, ("cmsis_nn/tg_depthwise_conv2d_s8_cmsis_nn.c",), twin="depthwise_conv2d_s8"),
        adapter("tg_fully_connected_s8_cmsis_nn_mve", "fully_connected", "tg_fully_connected_params_t", fc_roles,
                twin="fully_connected_s8", pack=kernel_sums, ref_roles=_REQUANT),
        adapter("tg_fully_connected_per_channel_s8_cmsis_nn_mve", "fully_connected", "tg_fully_connected_params_t",
                fc_roles, twin="fully_connected_s8", pack=kernel_sums, ref_roles=_REQUANT),
        adapter("tg_avg_pool2d_s8_cmsis_nn_mve", "avg_pool2d", "tg_pool2d_params_t", (), None,
                ("cmsis_nn/tg_avg_pool2d_s8_cmsis_nn.c",), twin="avg_pool2d_s8"),
    )


__all__ = ["CH_IN_BLOCK", "REQUIRES", "cmsis_nn_mve_kernels", "conv_accepts", "conv_exact", "conv_scratch",
           "depthwise_accepts", "depthwise_scratch", "kernel_sums"]
