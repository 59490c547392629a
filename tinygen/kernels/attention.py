"""The normalization and attention kernels (firmware/kernels/norm/, matmul/, and softmax,
sub and squared difference in elementwise/): their KernelSpecs, appended to the catalogue
by tinygen.kernels.table. The numpy twins are in tinygen.ref.attention, the parameter
builders in tinygen.kernels.params_attention.

This module does not import tinygen.kernels.table: it receives the KernelSpec class.
"""

from __future__ import annotations

from tinygen.kernels.lut import softmax_exp_table
from tinygen.kernels.params import kernel_params


DSP = frozenset({"dsp"})
RV32 = frozenset({"rv32im"})


def batch_matmul_dsp_widened_bytes(depth: int) -> int:
    """tg_batch_matmul_s8_dsp's two lhs rows widened to int16 (tg_widen_rows_s8), 8-byte aligned."""
    return (2 * 2 * (depth & ~3) + 2 * 8 + 7) // 8 * 8


def batch_matmul_dsp_scratch(p: dict) -> int:
    """tg_batch_matmul_s8_dsp_buffer_size: the widened rows, two gathered lhs rows where the lhs
    is adjoint, the rhs transposed to [cols][depth] where its depth is not contiguous."""
    transposed = p["rhs_depth_stride"] != 1 or p["rhs_col_stride"] != p["depth"]
    return (batch_matmul_dsp_widened_bytes(p["depth"]) + (2 * p["depth"] if p["lhs_depth_stride"] != 1 else 0)
            + (p["cols"] * p["depth"] if transposed else 0))


def batch_matmul_rv32_scratch(p: dict) -> int:
    """tg_batch_matmul_s8_rv32_buffer_size: the rhs column sums, two gathered lhs rows where the
    lhs is adjoint, the rhs transposed to [cols][depth] where its depth is not contiguous."""
    transposed = p["rhs_depth_stride"] != 1 or p["rhs_col_stride"] != p["depth"]
    return 4 * p["cols"] + (2 * p["depth"] if p["lhs_depth_stride"] != 1 else 0) + (
        p["cols"] * p["depth"] if transposed else 0)


# the products per output matrix below which the DSP batch matmul's set-up (the call, widening,
# the rhs transposed) costs more than it saves, and the single-row products it serves only
# with enough columns. On the f746zg stand-in (rows x cols x depth, DSP / portable instructions):
# 1 x 1 x 1 2.25, 1 x 1 x 20 1.7, 9 x 1 x 1 1.13, 1 x 18 x 3 1.02, 5 x 2 x 8 0.88,
# 11 x 1 x 18 0.93, 1 x 20 x 18 0.37, 13 x 13 x 18 0.29
BATCH_MATMUL_DSP_MIN_MACS = 64
BATCH_MATMUL_DSP_MIN_COLS = 4       # for a single row


def batch_matmul_dsp_pays(p: dict) -> bool:
    return (p["rows"] * p["cols"] * p["depth"] >= BATCH_MATMUL_DSP_MIN_MACS
            and (p["rows"] >= 2 or p["cols"] >= BATCH_MATMUL_DSP_MIN_COLS))


# the same for the RV32 batch matmul, whose blocks are 2 x 2 outputs: on the esp32-c3 stand-in
# 1 x 1 x 1 1.66x the portable kernel's instructions, 5 x 3 x 6 1.11, 11 x 1 x 18 1.08,
# 8 x 8 x 16 0.62, 10 x 18 x 3 0.79, 8 x 64 x 64 0.47
BATCH_MATMUL_RV32_MIN_MACS = 128


def batch_matmul_rv32_pays(p: dict) -> bool:
    return p["rows"] >= 2 and p["cols"] >= 2 and p["rows"] * p["cols"] * p["depth"] >= BATCH_MATMUL_RV32_MIN_MACS


def _portable(kernel_spec, name: str, op: str, struct: str, const_roles=(), variant=None, calls=()):
    return kernel_spec(name, op, struct=struct, const_roles=const_roles, source=f"kernels/{name}.c",
                       variant=variant, calls=calls)


def attention_kernels(kernel_spec) -> tuple:
    """The specs, built with the KernelSpec class `kernel_spec`, in order of preference."""
    return (
        kernel_spec("tg_batch_matmul_s8_dsp", "batch_matmul", requires=DSP, struct="tg_batch_matmul_params_t",
                    source="kernels/tg_batch_matmul_s8_dsp.c", twin="batch_matmul_s8", scratch=batch_matmul_dsp_scratch,
                    accepts=lambda graph, node: batch_matmul_dsp_pays(kernel_params(graph, node))),
        kernel_spec("tg_batch_matmul_s8_rv32", "batch_matmul", requires=RV32, struct="tg_batch_matmul_params_t",
                    source="kernels/tg_batch_matmul_s8_rv32.c", twin="batch_matmul_s8",
                    scratch=batch_matmul_rv32_scratch,
                    accepts=lambda graph, node: batch_matmul_rv32_pays(kernel_params(graph, node))),
        _portable(kernel_spec, "tg_layer_norm_s8", "layer_norm", "tg_norm_params_t", ("gamma", "beta")),
        _portable(kernel_spec, "tg_rms_norm_s8", "rms_norm", "tg_norm_params_t", ("gamma",)),
        _portable(kernel_spec, "tg_rsqrt_s8", "rsqrt", "tg_rsqrt_params_t"),
        _portable(kernel_spec, "tg_batch_matmul_s8", "batch_matmul", "tg_batch_matmul_params_t"),
        _portable(kernel_spec, "tg_sub_s8", "sub", "tg_add_broadcast_params_t", ("operand",)),
        _portable(kernel_spec, "tg_squared_difference_s8", "squared_difference", "tg_add_broadcast_params_t",
                  ("operand",)),
        # the causal softmax: each row's prefix through tg_softmax_s8_dsp (its exp table) or tg_softmax_s8
        kernel_spec("tg_softmax_causal_s8_dsp", "softmax", requires=DSP, struct="tg_softmax_causal_params_t",
                    const_roles=("packed",), source="kernels/tg_softmax_causal_s8_dsp.c", variant="causal",
                    twin="softmax_causal_s8", headers=("kernels/tg_dsp_s8.h",), pack=softmax_exp_table,
                    ref_roles=(), calls=("kernels/tg_softmax_s8_dsp.c",)),
        _portable(kernel_spec, "tg_softmax_causal_s8", "softmax", "tg_softmax_causal_params_t", variant="causal",
                  calls=("kernels/tg_softmax_s8.c",)),
    )


__all__ = ["DSP", "RV32", "attention_kernels", "batch_matmul_rv32_scratch", "batch_matmul_dsp_pays", "batch_matmul_rv32_pays", "batch_matmul_dsp_scratch"]
