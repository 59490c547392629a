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

from tinygen.kernels.cmsis_nn_mve import cmsis_nn_mve_kernels
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


def avgpool_scratch(p: dict) -> int:
    """arm_avgpool_s8_get_buffer_size_dsp: an int32 sum per channel."""
    return p["channels"] * 4


def per_tensor(graph: Graph, node: Node) -> bool:
    """One multiplier and shift for every output channel (arm_fully_connected_s8; ESP-NN's
    esp_nn_fully_connected_s8 likewise)."""
    scales = graph.tensor(node.param("weight")).qparams.scale
    return len(set(float(s) for s in scales)) == 1


def tflite_avg_pool(graph: Graph, node: Node) -> bool:
    """CMSIS-NN (and ESP-NN) divide by the in-bounds elements (TFLite); PyTorch's default
    count_include_pad=True counts the padding too."""
    return not (node.attrs.get("count_include_pad", False) and any(node.attrs["padding"]))


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
                 _REQUANT, depthwise_scratch, weight=True, twin="depthwise_conv2d_s8", excludes=MVE),
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
    )


__all__ = ["BACKEND", "HEADER", "REQUIRES", "avgpool_scratch", "cmsis_nn_kernels", "conv_scratch",
           "depthwise_scratch", "not_per_tensor", "per_tensor", "tflite_avg_pool"]
