"""KernelSpecs of tinygen's int8 kernels for Helium (Armv8.1-M MVE, target feature "mve":
the Cortex-M55 of boards/stm32n6570-dk.toml), in tinygen.kernels.table's order of
preference: before the DSP kernels, which the Cortex-M55 also runs. Each reads the
constants tinygen/kernels/mve_pack.py arranges at build time and equals its portable twin
bit for bit; the C files are firmware/kernels/*/tg_*_mve.c."""

from __future__ import annotations

from tinygen.kernels.mve_pack import (add_mve_records, conv2d_add_mve_records, conv2d_add_mve_scratch,
                                      conv2d_mve_scratch, depthwise_mve_records, depthwise_mve_scratch,
                                      depthwise_mve_serves, mat_mult_mve_records)
from tinygen.kernels.lut import softmax_exp_table
from tinygen.kernels.params import kernel_params
from tinygen.kernels.spec import _REQUANT

MVE = frozenset({"mve"})


def _depthwise_serves(graph, node) -> bool:
    return depthwise_mve_serves(kernel_params(graph, node))


_MAT_MULT_H = ("kernels/tg_mat_mult_s8_mve.h", "kernels/tg_requant_mve.h")


# tg_avg_pool2d_s8_mve's division by a multiply-high is exact up to this many window elements
AVG_POOL_MAX_COUNT = 5780


def _avg_pool_serves(graph, node) -> bool:
    p = kernel_params(graph, node)
    return p["kernel_h"] * p["kernel_w"] <= AVG_POOL_MAX_COUNT


def mve_kernels(KernelSpec) -> tuple:
    """The Helium kernels' specs, in order of preference, built with the KernelSpec class
    (this module does not import tinygen.kernels.table, which prepends them to KERNELS)."""
    def product(name, op, struct, twin, variant=None, scratch=None, headers=()):
        return KernelSpec(name, op, weight_dtype="int8", weight_bits=8, requires=MVE, struct=struct,
                          const_roles=("packed",), source=f"kernels/{name}.c", variant=variant, twin=twin,
                          headers=_MAT_MULT_H + headers, scratch=scratch, pack=mat_mult_mve_records,
                          ref_roles=_REQUANT)

    return (
        product("tg_conv2d_1x1_s8_mve", "conv2d", "tg_conv2d_params_t", "conv2d_s8", variant="1x1"),
        product("tg_conv2d_s8_mve", "conv2d", "tg_conv2d_params_t", "conv2d_s8", scratch=conv2d_mve_scratch,
                headers=("kernels/tg_conv2d_s8_mve.h",)),
        product("tg_fully_connected_s8_mve", "fully_connected", "tg_fully_connected_params_t", "fully_connected_s8"),
        # a conv with a fused residual add (tinygen/passes/fuse_residual.py): the output may be the skip
        KernelSpec("tg_conv2d_add_s8_mve", "conv2d_add", weight_dtype="int8", weight_bits=8, requires=MVE,
                   struct="tg_conv2d_add_params_t", const_roles=("packed",), source="kernels/tg_conv2d_add_s8_mve.c",
                   twin="conv2d_add_s8",
                   headers=_MAT_MULT_H + ("kernels/tg_conv2d_s8_mve.h", "kernels/tg_add_s8_mve.h",
                                         "kernels/tg_conv2d_add_s8_mve.h"),
                   scratch=conv2d_add_mve_scratch, pack=conv2d_add_mve_records, ref_roles=_REQUANT),
        # same-shape add (a broadcasting add keeps tg_add_broadcast_s8): the operands' scaled values tabulated
        KernelSpec("tg_add_s8_mve", "add", requires=MVE, struct="tg_add_params_t", const_roles=("operand", "packed"),
                   source="kernels/tg_add_s8_mve.c", twin="add_s8", headers=("kernels/tg_add_s8_mve.h",
                                                                            "kernels/tg_requant_mve.h"),
                   pack=add_mve_records, ref_roles=("operand",)),
        # depth multiplier 1, windows of up to 16 taps (3x3, k x 1, 1 x k), dilation 1
        KernelSpec("tg_depthwise_conv2d_s8_mve", "depthwise_conv2d", weight_dtype="int8", weight_bits=8,
                   requires=MVE, struct="tg_conv2d_params_t", const_roles=("packed",),
                   source="kernels/tg_depthwise_conv2d_s8_mve.c", variant="depth_multiplier_1",
                   twin="depthwise_conv2d_s8", headers=("kernels/tg_requant_mve.h",), scratch=depthwise_mve_scratch,
                   pack=depthwise_mve_records, ref_roles=_REQUANT,
                   accepts=_depthwise_serves),
        KernelSpec("tg_max_pool2d_s8_mve", "max_pool2d", requires=MVE, struct="tg_pool2d_params_t",
                   source="kernels/tg_max_pool2d_s8_mve.c", twin="max_pool2d_s8"),
        KernelSpec("tg_avg_pool2d_s8_mve", "avg_pool2d", requires=MVE, struct="tg_pool2d_params_t",
                   source="kernels/tg_avg_pool2d_s8_mve.c", twin="avg_pool2d_s8", accepts=_avg_pool_serves),
        # tg_softmax_s8_dsp's table of exps
        KernelSpec("tg_softmax_s8_mve", "softmax", requires=MVE, struct="tg_softmax_params_t", const_roles=("packed",),
                   source="kernels/tg_softmax_s8_mve.c", twin="softmax_s8", pack=softmax_exp_table, ref_roles=()),
    )


__all__ = ["MVE", "mve_kernels"]
