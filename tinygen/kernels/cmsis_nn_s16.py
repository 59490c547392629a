"""CMSIS-NN's int16 kernels (TFLite's 16x8 quantization) under `--kernels cmsis-nn` and `auto`:
adapters in firmware/cmsis_nn/ (declared in tg_cmsis_nn.h) calling arm_convolve_wrapper_s16,
arm_depthwise_conv_wrapper_s16, arm_fully_connected_s16, arm_elementwise_add_s16 and
arm_elementwise_mul_s16, each where it computes what tinygen's portable int16 kernel (TFLite
Micro's reference) computes, byte for byte.

Where CMSIS-NN's arithmetic differs from TFLite Micro's reference (its MAC loops sum int16 x
int8 products in int32, not int64; arm_nn_requantize_s64 narrows its product to int32 one bit
before the final rounding shift; arm_nn_mat_mult_kernel_s16 misreads the last of an odd number
of output channels past MAX_COL_COUNT columns), an `accepts` predicate takes only the layers
whose constants bound every sum inside the ranges where the two agree. The int16 inputs are
bounded by 32768 in magnitude, so each bound holds for every input.

Left out: TRANSPOSE_CONV (CMSIS-NN has no int16 transposed convolution), SUB (no
arm_elementwise_sub_s16), a broadcasting MUL (arm_elementwise_mul_s16 takes operands of one
shape), and Helium cores ("mve"), whose MVE paths (other buffers, other loops) have not been
checked against the twins.

Scratch sizes are the formulas of the tree's *_get_buffer_size_dsp functions (identical in
v7.0.0 and V.19.1.0 of arm_nnfunctions.h); tests/kernels/test_cmsis_nn_s16.py compiles the
tree's own functions on the host and checks they agree over many shapes.

This module does not import tinygen.kernels.table (which appends these specs to KERNELS): it
receives the KernelSpec class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tinygen.ir import binary_operands
from tinygen.kernels.cmsis_nn import ARGS_HEADER, BACKEND, HEADER, MVE, REQUIRES, per_tensor
from tinygen.kernels.params import kernel_params
from tinygen.kernels.spec import _OPERAND, _REQUANT

if TYPE_CHECKING:
    from tinygen.ir import Graph, Node

MAX_COL_COUNT = 512         # arm_nnsupportfunctions.h: columns summed in int32 before int64
INT16_MAGNITUDE = 1 << 15   # the largest |x| of an int16 input
INT32_MAX = (1 << 31) - 1


# -- scratch: the tree's *_get_buffer_size_dsp ------------------------------------------------

def conv_s16_scratch(p: dict) -> int:
    """arm_convolve_wrapper_s16_get_buffer_size_dsp (arm_convolve_s16's): two im2col columns of
    int16, kernel_h * kernel_w * in_c values each. arm_convolve_s16 needs it for every layer."""
    return 2 * p["in_c"] * p["kernel_h"] * p["kernel_w"] * 2


def depthwise_uses_fast(p: dict) -> bool:
    """USE_FAST_DW_CONV_S16_FUNCTION: arm_depthwise_conv_wrapper_s16 runs arm_depthwise_conv_fast_s16
    for depth multiplier 1, no dilation and fewer than MAX_COL_COUNT taps; else arm_depthwise_conv_s16."""
    return (p["depth_multiplier"] == 1 and (p["dilation_h"], p["dilation_w"]) == (1, 1)
            and p["kernel_h"] * p["kernel_w"] < MAX_COL_COUNT)


def depthwise_s16_scratch(p: dict) -> int:
    """arm_depthwise_conv_wrapper_s16_get_buffer_size_dsp: arm_depthwise_conv_fast_s16's int16
    column (in_c * kernel_h * kernel_w values); none for the generic arm_depthwise_conv_s16."""
    return p["in_c"] * p["kernel_h"] * p["kernel_w"] * 2 if depthwise_uses_fast(p) else 0


# arm_fully_connected_s16_get_buffer_size_dsp is 0: the adapter passes no buffer


# -- exactness --------------------------------------------------------------------------------

def _ints(values) -> list[int]:
    return [int(v) for v in np.asarray(values).reshape(-1)]


def int32_sums_fit(abs_rows: np.ndarray, columns: int | None = None) -> bool:
    """Whether every channel's sum of int16 x int8 products over its first `columns` taps (None:
    all) stays in int32 for every input: sum |w| * 32768 <= INT32_MAX. abs_rows: |weights| as
    [channel][taps]."""
    rows = abs_rows if columns is None else abs_rows[:, :columns]
    return bool(np.all(rows.sum(axis=1) * INT16_MAGNITUDE <= INT32_MAX))


def requantize_s64_fits(bounds, multipliers, shifts) -> bool:
    """Whether arm_nn_requantize_s64 equals TFLite's MultiplyByQuantizedMultiplier (int64) on
    every sum |acc| <= bound of its channel: it keeps acc * reduced_multiplier >> (14 - shift) in
    an int32 and adds 1 before the last shift, so that must lie in [-2^31, 2^31 - 2]."""
    for bound, m, s in zip(bounds, _ints(multipliers), _ints(shifts)):
        reduced = (m + (1 << 15)) >> 16 if m < 0x7FFF0000 else 0x7FFF
        if s > 14 or int(bound) * abs(reduced) >= INT32_MAX << (14 - s):
            return False
    return True


def _rows(weights, channel_axis: int) -> np.ndarray:
    """|weights| as [channel][taps] int64, the channel axis first."""
    w = np.abs(np.asarray(weights, dtype=np.int64))
    return np.moveaxis(w, channel_axis, 0).reshape(w.shape[channel_axis], -1)


def _requant_fits(rows: np.ndarray, bias, multiplier, shift) -> bool:
    bias = [0] * rows.shape[0] if bias is None else _ints(bias)
    bounds = [int(r) * INT16_MAGNITUDE + abs(b) for r, b in zip(rows.sum(axis=1), bias)]
    return requantize_s64_fits(bounds, multiplier, shift)


def conv_s16_fits(p: dict, weights, bias, multiplier, shift) -> bool:
    """Whether arm_convolve_s16 computes tg_conv2d_s16's bytes for the layer of tinygen's parameters
    p and these constants (weights [out_c][kh][kw][in_c]). On a DSP core it sums each pair of output
    pixels' products in int32 over the first MAX_COL_COUNT columns (then int64), and the last pixel
    of an odd count in int32 over all columns; past MAX_COL_COUNT columns, with an odd channel
    count, arm_nn_mat_mult_kernel_s16 reads the last channel's remaining columns from the wrong
    place unless their count is a multiple of 4."""
    rows = _rows(weights, 0)
    cols = rows.shape[1]
    if cols > MAX_COL_COUNT and p["out_c"] % 2 == 1 and cols % 4 != 0:
        return False
    odd_pixels = (p["out_h"] * p["out_w"]) % 2 == 1
    return (int32_sums_fit(rows, MAX_COL_COUNT) and (not odd_pixels or int32_sums_fit(rows))
            and _requant_fits(rows, bias, multiplier, shift))


def depthwise_s16_fits(p: dict, weights, bias, multiplier, shift) -> bool:
    """arm_depthwise_conv_fast_s16 sums fewer than MAX_COL_COUNT taps in int32 (which cannot
    overflow: 511 * 128 * 32768 < 2^31), arm_depthwise_conv_s16 in int64: only the requantization
    bounds the layer (weights [1][kh][kw][out_c])."""
    return _requant_fits(_rows(weights, 3), bias, multiplier, shift)


def fully_connected_s16_fits(p: dict, weights, bias, multiplier, shift) -> bool:
    """arm_fully_connected_s16 takes one multiplier and shift (per-tensor weights) and sums the
    first MAX_COL_COUNT products of each output in int32, the rest in int64 (weights [out][in])."""
    rows = _rows(weights, 0)
    return (len(set(_ints(multiplier))) == 1 and len(set(_ints(shift))) == 1
            and int32_sums_fit(rows, MAX_COL_COUNT) and _requant_fits(rows, bias, multiplier, shift))


def _node_fits(fits, graph: Graph, node: Node) -> bool:
    """fits(p, weights, bias, multiplier, shift) on a node's constants (p: its output's geometry)."""
    _, out_h, out_w, out_c = (1, 1, 1, *graph.tensor(node.outputs[0]).shape)[-4:]
    data = {role: None if node.param(role) is None else graph.tensor(node.param(role)).data
            for role in _REQUANT}
    return fits({"out_h": out_h, "out_w": out_w, "out_c": out_c}, *(data[r] for r in _REQUANT))


def conv_s16_exact(graph: Graph, node: Node) -> bool:
    return _node_fits(conv_s16_fits, graph, node)


def depthwise_s16_exact(graph: Graph, node: Node) -> bool:
    return _node_fits(depthwise_s16_fits, graph, node)


def fully_connected_s16_exact(graph: Graph, node: Node) -> bool:
    return per_tensor(graph, node) and _node_fits(fully_connected_s16_fits, graph, node)


def _symmetric(graph: Graph, names) -> bool:
    """CMSIS-NN's int16 elementwise kernels ignore the offsets: every zero point must be 0."""
    return all(int(np.max(np.abs(graph.tensor(n).qparams.zero_point))) == 0 for n in names)


def add_s16_exact(graph: Graph, node: Node) -> bool:
    """arm_elementwise_add_s16: TFLite's int16 ADD arithmetic (left shift 15, the double-rounding
    requantization CMSIS-NN builds by default, which rounds as gemmlowp's) without offsets."""
    return _symmetric(graph, [*binary_operands(node), node.outputs[0]])


def mul_s16_exact(graph: Graph, node: Node) -> bool:
    """arm_elementwise_mul_s16: operands of the output's shape (no broadcasting), no offsets, and
    a right shift: with a left one CMSIS-NN multiplies the product (up to 2^30) by 2^shift in int32,
    which can overflow where tinygen's kernel wraps it explicitly."""
    names = binary_operands(node)
    out = graph.tensor(node.outputs[0])
    if any(tuple(graph.tensor(n).shape) != tuple(out.shape) for n in names) or not _symmetric(graph, [*names, out.name]):
        return False
    shift = kernel_params(graph, node)["output_shift"]
    return shift <= 0


def cmsis_nn_s16_kernels(kernel_spec) -> tuple:
    """The int16 CMSIS-NN KernelSpecs, built with the KernelSpec class `kernel_spec`; each names
    its portable twin (tinygen.ref.int16)."""

    def adapter(name, op, struct, const_roles=(), scratch=None, accepts=None, weight=False):
        return kernel_spec(name, op, act_dtype="int16", weight_dtype="int8" if weight else None,
                           weight_bits=8 if weight else None, requires=REQUIRES, excludes=MVE, struct=struct,
                           const_roles=const_roles, source=f"cmsis_nn/{name}.c",
                           twin=name[len("tg_"):-len("_cmsis_nn")], headers=(HEADER, ARGS_HEADER), backend=BACKEND,
                           scratch=scratch, accepts=accepts)

    return (
        adapter("tg_conv2d_s16_cmsis_nn", "conv2d", "tg_conv2d_params_t", _REQUANT, conv_s16_scratch,
                conv_s16_exact, weight=True),
        adapter("tg_depthwise_conv2d_s16_cmsis_nn", "depthwise_conv2d", "tg_conv2d_params_t", _REQUANT,
                depthwise_s16_scratch, depthwise_s16_exact, weight=True),
        adapter("tg_fully_connected_s16_cmsis_nn", "fully_connected", "tg_fully_connected_params_t", _REQUANT,
                accepts=fully_connected_s16_exact, weight=True),
        adapter("tg_add_s16_cmsis_nn", "add", "tg_add_params_t", _OPERAND, accepts=add_s16_exact),
        adapter("tg_mul_s16_cmsis_nn", "mul", "tg_mul_params_t", _OPERAND, accepts=mul_s16_exact),
    )



def inexact_reason(graph: Graph, node: Node) -> str:
    """Why no int16 CMSIS-NN kernel takes `node` (for the build's note), in the order the
    predicates above check."""
    names = binary_operands(node) if node.op in ("add", "mul") else []
    if len({tuple(graph.tensor(n).shape) for n in names}) > 1:
        return "broadcast operands"
    if node.op == "fully_connected" and not per_tensor(graph, node):
        return "int16 with per-channel weights (arm_fully_connected_s16 takes one multiplier)"
    if node.op == "mul":
        return "int16 with a left shift, which CMSIS-NN's int32 product can overflow"
    if node.op in ("conv2d", "depthwise_conv2d", "fully_connected"):
        return "int16 sums CMSIS-NN's int32 accumulators or int64 requantization could overflow"
    return "int16 activations"


S16_OPS = frozenset({"conv2d", "depthwise_conv2d", "fully_connected", "add", "mul"})


__all__ = ["MAX_COL_COUNT", "S16_OPS", "inexact_reason", "add_s16_exact", "cmsis_nn_s16_kernels", "conv_s16_exact", "conv_s16_fits",
           "conv_s16_scratch", "depthwise_s16_exact", "depthwise_s16_fits", "depthwise_s16_scratch",
           "depthwise_uses_fast", "fully_connected_s16_exact", "fully_connected_s16_fits", "int32_sums_fit",
           "mul_s16_exact", "requantize_s64_fits"]
