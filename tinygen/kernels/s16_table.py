"""KernelSpecs of the kernels on int16 activations (TFLite's 16x8 quantization;
firmware/kernels/support/tg_kernels_s16.h): QUANTIZE between int8 and int16, ADD, SUB, MUL,
PAD, STRIDED_SLICE, LEAKY_RELU, and the convolutions and fully connected layer (int8
weights, int64 biases), portable C. tinygen.kernels.table appends them to its
catalogue; find_kernels picks them by the output's dtype (act_dtype) and the input's
(in_dtype)."""

from __future__ import annotations

from tinygen.kernels.spec import _OPERAND, _REQUANT, KernelSpec


def _s16(name: str, op: str, struct: str, const_roles: tuple[str, ...] = (), in_dtype: str | None = None,
         act_dtype: str = "int16", variant: str | None = None, weight: bool = False) -> KernelSpec:
    return KernelSpec(name, op, act_dtype=act_dtype, in_dtype=in_dtype, struct=struct, const_roles=const_roles,
                      source=f"kernels/{name}.c", variant=variant, weight_dtype="int8" if weight else None,
                      weight_bits=8 if weight else None)


def s16_kernels() -> tuple[KernelSpec, ...]:
    return (
        _s16("tg_requantize_s16", "requantize", "tg_requantize_params_t"),
        _s16("tg_requantize_s8_s16", "requantize", "tg_requantize_params_t", in_dtype="int8"),
        _s16("tg_requantize_s16_s8", "requantize", "tg_requantize_params_t", in_dtype="int16", act_dtype="int8"),
        _s16("tg_add_s16", "add", "tg_add_params_t", _OPERAND),
        _s16("tg_sub_s16", "sub", "tg_add_broadcast_params_t", _OPERAND),
        _s16("tg_mul_s16", "mul", "tg_mul_params_t", _OPERAND),
        _s16("tg_pad_s16", "pad", "tg_pad_params_t"),
        _s16("tg_strided_slice_s16", "strided_slice", "tg_strided_slice_params_t"),
        _s16("tg_leaky_relu_s16", "leaky_relu", "tg_leaky_relu_params_t"),
        # int16 x int8 products summed in int64, an int64 bias (every variant of the op)
        *(_s16("tg_conv2d_s16", "conv2d", "tg_conv2d_params_t", _REQUANT, variant=v, weight=True)
          for v in (None, "1x1")),
        *(_s16("tg_depthwise_conv2d_s16", "depthwise_conv2d", "tg_conv2d_params_t", _REQUANT, variant=v, weight=True)
          for v in (None, "depth_multiplier_1", "depth_multiplier_n")),
        _s16("tg_fully_connected_s16", "fully_connected", "tg_fully_connected_params_t", _REQUANT, weight=True),
        _s16("tg_transpose_conv2d_s16", "transpose_conv2d", "tg_transpose_conv2d_params_t", _REQUANT, weight=True),
    )
