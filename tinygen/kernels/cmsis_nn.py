"""CMSIS-NN kernels (`--kernels cmsis-nn`): int8 layers run by CMSIS-NN's public API.

Each kernel is an adapter in firmware/cmsis_nn/ (one C file per op, declared in
tg_cmsis_nn.h) taking tinygen's parameter struct and calling CMSIS-NN, so the
generated code looks the same as with tinygen's kernels. They require the "dsp"
feature (CMSIS-NN's Cortex-M4/M7 code path, whose scratch sizes are folded in here;
Helium cores, "mve", take tinygen.kernels.cmsis_nn_mve's where the buffers differ)
and the "cmsis-nn" feature, which the compiler adds when a CMSIS-NN tree is
configured (tinygen.kernels.cmsis_nn_tree). Nodes they do not accept fall back to tinygen's
kernels.

Scratch sizes are the formulas of CMSIS-NN's `*_get_buffer_size_dsp` functions as
compiled by GCC (identical from v7.0.0 to main, V.18.0.0 to V.19.1.0 of
arm_nnfunctions.h), written once here; tests/kernels/test_cmsis_nn.py compiles the tree's own
functions on the host and checks they agree over many shapes.

This module does not import tinygen.kernels.table (which appends these specs to
KERNELS): it receives the KernelSpec class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tinygen.kernels.cmsis_nn_tree import TRANSPOSE_CONV_ROWS_FIXED
from tinygen.kernels.params_recurrent import lstm_state_bytes, svdf_s8_state_bytes, svdf_state_bytes
from tinygen.kernels.recurrent import HEADER as RECURRENT_HEADER
from tinygen.kernels.recurrent import svdf_int8_state, svdf_int16_state
from tinygen.kernels.cmsis_nn_mve import cmsis_nn_mve_kernels
from tinygen.kernels.params import kernel_params
from tinygen.kernels.spec import _REQUANT

if TYPE_CHECKING:
    from tinygen.ir import Graph, Node

BACKEND = "cmsis-nn"
REQUIRES = frozenset({"dsp", "cmsis-nn"})
HEADER = "cmsis_nn/tg_cmsis_nn.h"      # declares every adapter; model.c includes it
ARGS_HEADER = "cmsis_nn/tg_cmsis_nn_args.h"   # tinygen structs -> CMSIS-NN structs, for the adapters


def _align4(n: int) -> int:
    return (n + 3) // 4 * 4


def conv_scratch(p: dict) -> int:
    """arm_convolve_wrapper_s8_get_buffer_size_dsp: none for a 1x1 kernel without padding
    or dilation (arm_convolve_1x1_s8[_fast]); else the im2col buffer of
    arm_convolve_s8_get_buffer_size, two columns of int16 rounded up to 4 values (the 1xN
    path uses the same size)."""
    if (p["kernel_h"], p["kernel_w"], p["pad_top"], p["pad_left"], p["dilation_h"], p["dilation_w"]) == (1, 1, 0, 0, 1, 1):
        return 0
    return 2 * _align4(p["kernel_h"] * p["kernel_w"] * p["in_c"]) * 2


def depthwise_scratch(p: dict) -> int:
    """arm_depthwise_conv_wrapper_s8_get_buffer_size_dsp: arm_depthwise_conv_s8_opt's
    int16 column (in_c * kernel_h * kernel_w) for depth multiplier 1 without dilation,
    except the 3x3 kernels with padding <= 1 (arm_depthwise_conv_3x3_s8, no scratch);
    none for the generic arm_depthwise_conv_s8."""
    if p["depth_multiplier"] != 1 or (p["dilation_h"], p["dilation_w"]) != (1, 1):
        return 0
    if (p["kernel_h"], p["kernel_w"]) == (3, 3) and p["pad_top"] <= 1 and p["pad_left"] <= 1:
        return 0
    return p["in_c"] * p["kernel_h"] * p["kernel_w"] * 2


def overhang(p: dict, axis: str) -> int:
    """The padding the last window reads past the input's end along axis "h" (bottom) or "w"
    (right); negative where it ends inside. The kernels take pad_top / pad_left and this
    follows from the output size; TFLite's SAME padding makes it at most pad_top / pad_left + 1,
    a PAD folded into the conv (passes/fold_pad.py) or an ONNX conv any amount."""
    size, k, s, d, out = (p[f"{f}_{axis}"] for f in ("in", "kernel", "stride", "dilation", "out"))
    before = p["pad_top" if axis == "h" else "pad_left"]
    return (out - 1) * s + (k - 1) * d + 1 - before - size


def depthwise_3x3_exact(p: dict) -> bool:
    """Whether arm_depthwise_conv_wrapper_s8 built for DSP computes the depthwise layer: not
    where it takes arm_depthwise_conv_3x3_s8 (3x3, depth multiplier 1, no dilation, padding
    <= 1) and the right padding is over one column (that path reads a window's middle column
    unchecked: CMSIS-NN V.19.1.0 arm_depthwise_conv_3x3_s8.c)."""
    three = (p["kernel_h"], p["kernel_w"], p["depth_multiplier"], p["dilation_h"], p["dilation_w"]) == (3, 3, 1, 1, 1)
    return not (three and p["pad_top"] <= 1 and p["pad_left"] <= 1) or overhang(p, "w") <= 1


def depthwise_accepts(graph: Graph, node: Node) -> bool:
    return depthwise_3x3_exact(kernel_params(graph, node))


def avgpool_scratch(p: dict) -> int:
    """arm_avgpool_s8_get_buffer_size_dsp: an int32 sum per channel."""
    return p["channels"] * 4


def batch_matmul_scratch(p: dict) -> int:
    """tg_batch_matmul_s8_cmsis_nn's: the rhs as [cols][depth] and the lhs as [rows][depth]
    where they are held otherwise (arm_batch_matmul_s8 itself needs no buffer without MVE)."""
    rhs = not (p["rhs_depth_stride"] == 1 and (p["rhs_col_stride"] == p["depth"] or p["cols"] == 1))
    lhs = not (p["lhs_depth_stride"] == 1 and (p["lhs_row_stride"] == p["depth"] or p["rows"] == 1))
    return (p["cols"] + p["rows"]) * p["depth"] if lhs else (p["cols"] * p["depth"] if rhs else 0)


def per_tensor(graph: Graph, node: Node) -> bool:
    """One multiplier and shift for every output channel (arm_fully_connected_s8; ESP-NN's
    esp_nn_fully_connected_s8 likewise)."""
    scales = graph.tensor(node.param("weight")).qparams.scale
    return len(set(float(s) for s in scales)) == 1


def tflite_avg_pool(graph: Graph, node: Node) -> bool:
    """CMSIS-NN (and ESP-NN) divide by the in-bounds elements (TFLite); PyTorch's default
    count_include_pad=True counts the padding too."""
    return not (node.attrs.get("count_include_pad", False) and any(node.attrs["padding"]))


# -- transposed convolution: arm_transpose_conv_s8 -------------------------------------------

def transpose_conv_scratch(p: dict) -> int:
    """arm_transpose_conv_s8's rolling buffer: max(kernel_h, stride_h) rows of
    ((in_w - 1) * stride_w + max(kernel_w, stride_w)) * out_c int32 sums. (The tree's
    arm_transpose_conv_s8_get_buffer_size returns this where in_c <= 16 or a stride is above 2,
    with stride_h in place of stride_w in the row's length; else the im2col buffer of the
    reverse-convolution path arm_transpose_conv_wrapper_s8 takes there.)"""
    row = (p["in_w"] - 1) * p["stride_w"] + max(p["kernel_w"], p["stride_w"])
    return max(p["kernel_h"], p["stride_h"]) * row * p["out_c"] * 4


def transpose_conv_fits(p: dict, rows_fixed: bool) -> bool:
    """Whether arm_transpose_conv_s8 computes TFLM's bytes for the layer of tinygen's parameters
    p (tg_transpose_conv2d_params_t's fields). It has no dilation. It streams input rows through
    its rolling buffer of rows and writes each row as soon as no later input row reaches it,
    in_h * stride_h - pad_top in all, then the last input row's remaining taps: the output must
    hold those rows and no more (pad_top at most in_h * stride_h; out_h from
    in_h * stride_h - pad_top to the last tap's row, or the buffer's). Along x it reads
    pad_left + out_w columns of a buffer row, which must have them. Its arm_transpose_conv_s8.c
    before V.2.0.1 (rows_fixed False) misplaces rows where pad_top is not a multiple of
    stride_h (CMSIS-NN #233). tests/kernels/test_cmsis_nn_transpose_conv.py runs the tree's
    code on the host over drawn layers, in exactly transpose_conv_scratch's buffer."""
    top, sh, kh, in_h, out_h = p["pad_top"], p["stride_h"], p["kernel_h"], p["in_h"], p["out_h"]
    rows = 0 <= top <= in_h * sh and in_h * sh - top <= out_h <= (in_h - 1) * sh + max(kh, sh) - top
    cols = 0 <= p["pad_left"] and p["pad_left"] + p["out_w"] <= (p["in_w"] - 1) * p["stride_w"] + max(
        p["kernel_w"], p["stride_w"])
    return (p["dilation_h"], p["dilation_w"]) == (1, 1) and rows and cols and (top % sh == 0 or rows_fixed)


def transpose_conv_exact(graph: Graph, node: Node) -> bool:
    """transpose_conv_fits for a node, with the configured tree's arm_transpose_conv_s8.c revision."""
    _, kh, kw, _ = graph.weight_shape(node)
    _, in_h, in_w, _ = graph.tensor(node.inputs[0]).shape
    _, out_h, out_w, _ = graph.tensor(node.outputs[0]).shape
    (sh, sw), (dh, dw), (top, _, left, _) = node.attrs["stride"], node.attrs["dilation"], node.attrs["padding"]
    revision = (graph.meta.get("cmsis_nn") or {}).get("transpose_conv_revision")
    fixed = revision is not None and tuple(int(v) for v in revision.split(".")) >= TRANSPOSE_CONV_ROWS_FIXED
    p = {"in_h": in_h, "in_w": in_w, "out_h": out_h, "out_w": out_w, "kernel_h": kh, "kernel_w": kw,
         "stride_h": sh, "stride_w": sw, "dilation_h": dh, "dilation_w": dw, "pad_top": top, "pad_left": left}
    return transpose_conv_fits(p, fixed)


def _adapter(kernel_spec, name: str, op: str, struct: str, const_roles=(), scratch=None, accepts=None,
             weight: bool = False, twin: str | None = None, excludes=frozenset()):
    return kernel_spec(name, op, weight_dtype="int8" if weight else None, weight_bits=8 if weight else None,
                       requires=REQUIRES, struct=struct, const_roles=const_roles,
                       source=f"cmsis_nn/{name}.c", twin=twin, headers=(HEADER, ARGS_HEADER), backend=BACKEND,
                       scratch=scratch, accepts=accepts, excludes=excludes)


def not_per_tensor(graph: Graph, node: Node) -> bool:
    return not per_tensor(graph, node)


# the layers whose CMSIS-NN code takes other buffers on Helium cores: tinygen.kernels.cmsis_nn_mve
MVE = frozenset({"mve"})


def cmsis_nn_kernels(kernel_spec) -> tuple:
    """The CMSIS-NN KernelSpecs, built with the KernelSpec class `kernel_spec`: those of Helium
    cores (tinygen.kernels.cmsis_nn_mve) first, then the DSP cores'. Each computes what the
    portable kernel it names as twin computes, byte for byte."""
    accepts = {"tg_fully_connected_s8_cmsis_nn_mve": per_tensor,
               "tg_fully_connected_per_channel_s8_cmsis_nn_mve": not_per_tensor,
               "tg_avg_pool2d_s8_cmsis_nn_mve": tflite_avg_pool}
    return cmsis_nn_mve_kernels(kernel_spec, HEADER, ARGS_HEADER, BACKEND, accepts) + (
        _adapter(kernel_spec, "tg_conv2d_s8_cmsis_nn", "conv2d", "tg_conv2d_params_t", _REQUANT,
                 conv_scratch, weight=True, twin="conv2d_s8", excludes=MVE),
        _adapter(kernel_spec, "tg_depthwise_conv2d_s8_cmsis_nn", "depthwise_conv2d", "tg_conv2d_params_t",
                 _REQUANT, depthwise_scratch, accepts=depthwise_accepts, weight=True, twin="depthwise_conv2d_s8",
                 excludes=MVE),
        _adapter(kernel_spec, "tg_fully_connected_s8_cmsis_nn", "fully_connected", "tg_fully_connected_params_t",
                 _REQUANT, accepts=per_tensor, weight=True, twin="fully_connected_s8", excludes=MVE),
        _adapter(kernel_spec, "tg_fully_connected_per_channel_s8_cmsis_nn", "fully_connected",
                 "tg_fully_connected_params_t", _REQUANT, accepts=not_per_tensor,
                 weight=True, twin="fully_connected_s8", excludes=MVE),
        _adapter(kernel_spec, "tg_avg_pool2d_s8_cmsis_nn", "avg_pool2d", "tg_pool2d_params_t",
                 scratch=avgpool_scratch, accepts=tflite_avg_pool, twin="avg_pool2d_s8", excludes=MVE),
        _adapter(kernel_spec, "tg_max_pool2d_s8_cmsis_nn", "max_pool2d", "tg_pool2d_params_t", twin="max_pool2d_s8"),
        _adapter(kernel_spec, "tg_add_s8_cmsis_nn", "add", "tg_add_params_t", ("operand",), twin="add_s8"),
        _adapter(kernel_spec, "tg_softmax_s8_cmsis_nn", "softmax", "tg_softmax_params_t", twin="softmax_s8"),
        # transposed convolution, batch matmul (their scratch sizes are the DSP code path's: not on a
        # Helium core, whose MVE paths have not been checked against them; tinygen's kernels run there)
        _adapter(kernel_spec, "tg_transpose_conv2d_s8_cmsis_nn", "transpose_conv2d", "tg_transpose_conv2d_params_t",
                 _REQUANT, transpose_conv_scratch, transpose_conv_exact, weight=True, twin="transpose_conv2d_s8",
                 excludes=MVE),
        _adapter(kernel_spec, "tg_batch_matmul_s8_cmsis_nn", "batch_matmul", "tg_batch_matmul_params_t",
                 scratch=batch_matmul_scratch, twin="batch_matmul_s8", excludes=MVE),
    )


# -- recurrent layers (tinygen/kernels/recurrent.py): arm_lstm_unidirectional_s8 and, for TFLite's
# int16-state SVDF, arm_svdf_state_s16_s8, for its int8-state one arm_svdf_s8 --

def lstm_scratch(p: dict) -> int:
    """arm_lstm_unidirectional_s8 has no get_buffer_size function: its context's temp1 and temp2,
    B x H int16 each (TFLite Micro's CMSIS-NN LSTM allocates them so), and where the layer keeps
    only its last step the sequence CMSIS-NN writes, B x T x H."""
    sequence = 0 if p["sequence"] else p["batches"] * p["steps"] * p["hidden"]
    return 4 * p["batches"] * p["hidden"] + _align4(sequence)


def lstm_s16_scratch(p: dict) -> int:
    """arm_lstm_unidirectional_s16's: lstm_scratch with an int16 sequence."""
    sequence = 0 if p["sequence"] else 2 * p["batches"] * p["steps"] * p["hidden"]
    return 4 * p["batches"] * p["hidden"] + _align4(sequence)


def svdf_scratch(p: dict) -> int:
    """arm_svdf_state_s16_s8's two int32 buffers (B x filters, B x units; TFLite Micro's CMSIS-NN SVDF
    allocates them), its context needing none (arm_svdf_s8_get_buffer_size_dsp is 0)."""
    return 4 * p["batches"] * (p["filters"] + p["units"])


def lstm_effective_biases(kparams: dict, consts: dict):
    """The gates' effective biases CMSIS-NN adds to its raw products (TFLite Micro's CMSIS-NN LSTM
    computes them in Prepare; here at build time): [2][4][H], the input side's bias +
    input_offset x the row sums of w_ih, then hidden_offset x the row sums of w_hh; int32, or
    int64 for the 16x8 LSTM (its int64 biases)."""
    h = kparams["hidden"]
    w_ih = np.asarray(consts["w_ih"], np.int64).reshape(4, h, -1)
    w_hh = np.asarray(consts["w_hh"], np.int64).reshape(4, h, h)
    data = np.stack([np.asarray(consts["bias"], np.int64).reshape(4, h) + kparams["input_offset"] * w_ih.sum(2),
                     kparams["hidden_offset"] * w_hh.sum(2)])
    return data.astype(np.int64 if np.asarray(consts["bias"]).dtype == np.int64 else np.int32)


def lstm_exact(graph: Graph, node: Node) -> bool:
    """CMSIS-NN adds each gate's recurrent product to the saturated input product before saturating,
    TFLite saturates the recurrent product first: the same wherever that product cannot leave int16,
    which its largest row sum bounds."""
    w = graph.tensor(node.param("w_hh"))
    out = graph.tensor(node.outputs[0])
    s_h = np.float64(out.qparams.scale[0])
    # the largest |h - zero point|: 255 on int8, 32768 on the 16x8 LSTM's symmetric int16
    reach = 32768 if out.dtype == "int16" else 255
    rows = np.abs(w.data.astype(np.int64)).reshape(w.data.shape[0], -1, w.data.shape[-1]).sum(2).max(1)
    bound = reach * rows * s_h * w.qparams.scale.astype(np.float64) * 4096.0 + 1
    return bool(np.all(bound <= 32767))


def svdf_zero_state(graph: Graph, node: Node) -> bool:
    """arm_svdf_state_s16_s8 takes the int16 state's zero point as 0 (TFLite's int16 tensors have 0)."""
    return int(node.attrs["state_zero_point"]) == 0 and svdf_int16_state(graph, node)


def svdf_s8_zero_state(graph: Graph, node: Node) -> bool:
    """arm_svdf_s8 reads its int8 state without a zero point: exact where it is 0."""
    return int(node.attrs["state_zero_point"]) == 0 and svdf_int8_state(graph, node)


def cmsis_nn_recurrent_kernels(kernel_spec) -> tuple:
    headers = (HEADER, ARGS_HEADER, RECURRENT_HEADER)
    return (
        kernel_spec("tg_lstm_s8_cmsis_nn", "lstm", requires=REQUIRES, excludes=MVE, struct="tg_lstm_params_t",
                    const_roles=("w_ih", "w_hh", "bias", "packed", "h0", "c0"), source="cmsis_nn/tg_lstm_s8_cmsis_nn.c",
                    twin="lstm_s8", headers=headers, backend=BACKEND, scratch=lstm_scratch,
                    pack=lstm_effective_biases, accepts=lstm_exact, state=lstm_state_bytes,
                    calls=("kernels/tg_lstm_reset_s8.c", "kernels/tg_sigmoid_table_s16.c")),
        kernel_spec("tg_lstm_s16_cmsis_nn", "lstm", act_dtype="int16", requires=REQUIRES, excludes=MVE,
                    struct="tg_lstm_params_t", const_roles=("w_ih", "w_hh", "bias", "packed", "h0", "c0"),
                    source="cmsis_nn/tg_lstm_s16_cmsis_nn.c", twin="lstm_s16", headers=headers, backend=BACKEND,
                    scratch=lstm_s16_scratch, pack=lstm_effective_biases, accepts=lstm_exact, state=lstm_state_bytes,
                    calls=("kernels/tg_lstm_reset_s16.c", "kernels/tg_sigmoid_table_s16.c")),
        kernel_spec("tg_svdf_s8_cmsis_nn", "svdf", requires=REQUIRES, excludes=MVE, struct="tg_svdf_params_t",
                    const_roles=("weights_feature", "weights_time", "bias"), source="cmsis_nn/tg_svdf_s8_cmsis_nn.c",
                    twin="svdf_s8", headers=headers, backend=BACKEND, scratch=svdf_scratch, accepts=svdf_zero_state,
                    state=svdf_state_bytes, calls=("kernels/tg_svdf_reset_s8.c",)),
        kernel_spec("tg_svdf_s8_s8_cmsis_nn", "svdf", requires=REQUIRES, excludes=MVE, struct="tg_svdf_params_t",
                    const_roles=("weights_feature", "weights_time", "bias"),
                    source="cmsis_nn/tg_svdf_s8_s8_cmsis_nn.c", twin="svdf_s8_s8", headers=headers, backend=BACKEND,
                    scratch=svdf_scratch, accepts=svdf_s8_zero_state, state=svdf_s8_state_bytes,
                    calls=("kernels/tg_svdf_reset_s8_s8.c",)),
    )


__all__ = ["BACKEND", "HEADER", "REQUIRES", "avgpool_scratch", "batch_matmul_scratch", "cmsis_nn_kernels",
           "cmsis_nn_recurrent_kernels", "conv_scratch", "depthwise_3x3_exact", "depthwise_accepts",
           "depthwise_scratch", "overhang", "lstm_s16_scratch", "lstm_scratch", "not_per_tensor",
           "per_tensor", "svdf_scratch", "tflite_avg_pool", "transpose_conv_exact", "transpose_conv_fits",
           "transpose_conv_scratch"]
