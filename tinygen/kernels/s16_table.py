"""KernelSpecs of the kernels on int16 activations (TFLite's 16x8 quantization;
firmware/kernels/support/tg_kernels_s16.h): QUANTIZE between int8 and int16, ADD, SUB,
PAD, STRIDED_SLICE and LEAKY_RELU, portable C. tinygen.kernels.table appends them to its
catalogue; find_kernels picks them by the output's dtype (act_dtype) and the input's
(in_dtype)."""

from __future__ import annotations

from tinygen.kernels.spec import _OPERAND, KernelSpec


def _s16(name: str, op: str, struct: str, const_roles: tuple[str, ...] = (), in_dtype: str | None = None,
         act_dtype: str = "int16", variant: str | None = None, twin: str | None = None) -> KernelSpec:
    return KernelSpec(name, op, act_dtype=act_dtype, in_dtype=in_dtype, struct=struct, const_roles=const_roles,
                      source=f"kernels/{name}.c", variant=variant, twin=twin)


def s16_kernels() -> tuple[KernelSpec, ...]:
    return (
        _s16("tg_requantize_s16", "requantize", "tg_requantize_params_t"),
        _s16("tg_requantize_s8_s16", "requantize", "tg_requantize_params_t", in_dtype="int8"),
        _s16("tg_requantize_s16_s8", "requantize", "tg_requantize_params_t", in_dtype="int16", act_dtype="int8"),
        _s16("tg_add_s16", "add", "tg_add_params_t", _OPERAND),
        _s16("tg_sub_s16", "sub", "tg_add_broadcast_params_t", _OPERAND),
        _s16("tg_pad_s16", "pad", "tg_pad_params_t"),
        _s16("tg_strided_slice_s16", "strided_slice", "tg_strided_slice_params_t"),
        _s16("tg_leaky_relu_s16", "leaky_relu", "tg_leaky_relu_params_t"),
    )
