"""The normalization and attention kernels (firmware/kernels/norm/, matmul/, and softmax,
sub and squared difference in elementwise/): their KernelSpecs, appended to the catalogue
by tinygen.kernels.table. The numpy twins are in tinygen.ref.attention, the parameter
builders in tinygen.kernels.params_attention.

This module does not import tinygen.kernels.table: it receives the KernelSpec class.
"""

from __future__ import annotations


def _portable(kernel_spec, name: str, op: str, struct: str, const_roles=(), variant=None, calls=()):
    return kernel_spec(name, op, struct=struct, const_roles=const_roles, source=f"kernels/{name}.c",
                       variant=variant, calls=calls)


def attention_kernels(kernel_spec) -> tuple:
    """The specs, built with the KernelSpec class `kernel_spec`, in order of preference."""
    return (
        _portable(kernel_spec, "tg_layer_norm_s8", "layer_norm", "tg_norm_params_t", ("gamma", "beta")),
        _portable(kernel_spec, "tg_rms_norm_s8", "rms_norm", "tg_norm_params_t", ("gamma",)),
        _portable(kernel_spec, "tg_rsqrt_s8", "rsqrt", "tg_rsqrt_params_t"),
        _portable(kernel_spec, "tg_batch_matmul_s8", "batch_matmul", "tg_batch_matmul_params_t"),
        _portable(kernel_spec, "tg_sub_s8", "sub", "tg_add_broadcast_params_t", ("operand",)),
        _portable(kernel_spec, "tg_squared_difference_s8", "squared_difference", "tg_add_broadcast_params_t",
                  ("operand",)),
        _portable(kernel_spec, "tg_softmax_causal_s8", "softmax", "tg_softmax_causal_params_t", variant="causal",
                  calls=("kernels/tg_softmax_s8.c",)),
    )


__all__ = ["attention_kernels"]
