"""KernelSpecs of the kernels on int16 activations (TFLite's 16x8 quantization;
firmware/kernels/support/tg_kernels_s16.h): QUANTIZE between int8 and int16, ADD, SUB, MUL,
PAD, STRIDED_SLICE, LEAKY_RELU, RELU, RELU6, the pools, CONCATENATION, TRANSPOSE, MEAN, SUM,
LOGISTIC, TANH, SOFTMAX, PRELU, SQUARED_DIFFERENCE, RSQRT, BATCH_MATMUL, and the convolutions
and fully connected layer (int8 weights, int64 biases), portable C. tinygen.kernels.table appends them to its
catalogue; find_kernels picks them by the output's dtype (act_dtype) and the input's
(in_dtype)."""

from __future__ import annotations

from tinygen.kernels.s16_dsp import (conv2d_s16_dsp_scratch, depthwise_3x3_s16_dsp_scratch,
                                     depthwise_3x3_s16_dsp_serves, depthwise_rows_s16_dsp_scratch,
                                     depthwise_rows_s16_dsp_serves, depthwise_s16_dsp_serves,
                                     s16_dsp_depthwise_3x3_packed, s16_dsp_depthwise_packed,
                                     s16_dsp_depthwise_rows_packed, s16_dsp_packed, s16_dsp_serves)
from tinygen.kernels.recurrent import TABLE as SIGMOID_TABLE_SOURCE
from tinygen.kernels.spec import _OPERAND, _REQUANT, KernelSpec
from tinygen.quant.s16_params import softmax_s16_tables

# the DSP kernels' one constant: the int16 weights and the requantization records
# (tinygen/kernels/s16_dsp.py)
_PACKED = ("packed",)


def _s16(name: str, op: str, struct: str, const_roles: tuple[str, ...] = (), in_dtype: str | None = None,
         act_dtype: str = "int16", variant: str | None = None, weight: bool = False, **more) -> KernelSpec:
    return KernelSpec(name, op, act_dtype=act_dtype, in_dtype=in_dtype, struct=struct, const_roles=const_roles,
                      source=f"kernels/{name}.c", variant=variant, weight_dtype="int8" if weight else None,
                      weight_bits=8 if weight else None, **more)


def _s16_dsp(name: str, op: str, struct: str, twin: str, pack, variant: str | None = None, scratch=None,
             accepts=None, headers: tuple[str, ...] = ()) -> KernelSpec:
    """A 16x8 MAC kernel for the ARMv7E-M DSP extension (Cortex-M4/M7): the int8 weights widened
    to int16 at build time, equal to the portable kernel `twin` on the layers it serves."""
    return KernelSpec(name, op, act_dtype="int16", weight_dtype="int8", weight_bits=8, requires=frozenset({"dsp"}),
                      struct=struct, const_roles=_PACKED, source=f"kernels/{name}.c", variant=variant, twin=twin,
                      headers=("kernels/tg_mat_mult_s16_dsp.h", *headers), scratch=scratch, pack=pack, ref_roles=_REQUANT,
                      accepts=accepts)


def _records_serve(graph, node) -> bool:
    from tinygen.kernels.params import kernel_params

    p = kernel_params(graph, node)
    consts = {role: graph.const(node, role) for role in _REQUANT}
    return s16_dsp_serves(consts, p["out_c"] if "out_c" in p else p["out_features"])


def _depthwise_serves(graph, node) -> bool:
    from tinygen.kernels.params import kernel_params

    return depthwise_s16_dsp_serves(kernel_params(graph, node)) and _records_serve(graph, node)


def _depthwise_3x3_serves(graph, node) -> bool:
    from tinygen.kernels.params import kernel_params

    return depthwise_3x3_s16_dsp_serves(kernel_params(graph, node)) and _records_serve(graph, node)


def _depthwise_rows_serves(graph, node) -> bool:
    from tinygen.kernels.params import kernel_params

    return depthwise_rows_s16_dsp_serves(kernel_params(graph, node)) and _records_serve(graph, node)


def s16_dsp_kernels() -> tuple[KernelSpec, ...]:
    """The DSP kernels, ahead of the portable ones in the catalogue (find_kernels keeps its order)."""
    return (
        _s16_dsp("tg_conv2d_1x1_s16_dsp", "conv2d", "tg_conv2d_params_t", "conv2d_s16", s16_dsp_packed, "1x1",
                 accepts=_records_serve),
        _s16_dsp("tg_conv2d_s16_dsp", "conv2d", "tg_conv2d_params_t", "conv2d_s16", s16_dsp_packed,
                 scratch=conv2d_s16_dsp_scratch, accepts=_records_serve),
        # 3x3, stride 1: a ring of rearranged input rows, SMLAD on column pairs; ahead of the general one
        _s16_dsp("tg_depthwise_conv2d_3x3_s16_dsp", "depthwise_conv2d", "tg_conv2d_params_t", "depthwise_conv2d_s16",
                 s16_dsp_depthwise_3x3_packed, "depth_multiplier_1", scratch=depthwise_3x3_s16_dsp_scratch,
                 accepts=_depthwise_3x3_serves,
                 headers=("kernels/tg_dsp_s8.h", "kernels/tg_depthwise_rows_s16_dsp.h")),
        # dilation 1, any height and stride, windows up to 8 wide at depth multiplier 1, any above: a
        # ring of kernel_h rearranged rows, SMLAD on column pairs
        *(_s16_dsp("tg_depthwise_conv2d_rows_s16_dsp", "depthwise_conv2d", "tg_conv2d_params_t",
                   "depthwise_conv2d_s16", s16_dsp_depthwise_rows_packed, v, scratch=depthwise_rows_s16_dsp_scratch,
                   accepts=_depthwise_rows_serves,
                   headers=("kernels/tg_dsp_s8.h", "kernels/tg_depthwise_rows_s16_dsp.h"))
          for v in ("depth_multiplier_1", "depth_multiplier_n")),
        *(_s16_dsp("tg_depthwise_conv2d_s16_dsp", "depthwise_conv2d", "tg_conv2d_params_t", "depthwise_conv2d_s16",
                   s16_dsp_depthwise_packed, v, accepts=_depthwise_serves)
          for v in (None, "depth_multiplier_1", "depth_multiplier_n")),
        _s16_dsp("tg_fully_connected_s16_dsp", "fully_connected", "tg_fully_connected_params_t", "fully_connected_s16",
                 s16_dsp_packed, accepts=_records_serve),
    )


def s16_kernels() -> tuple[KernelSpec, ...]:
    return (
        *s16_dsp_kernels(),
        _s16("tg_requantize_s16", "requantize", "tg_requantize_params_t"),
        _s16("tg_requantize_s8_s16", "requantize", "tg_requantize_params_t", in_dtype="int8"),
        _s16("tg_requantize_s16_s8", "requantize", "tg_requantize_params_t", in_dtype="int16", act_dtype="int8"),
        # to and from a quantized int32 tensor (a model's int32 input or output)
        _s16("tg_requantize_s16_s32", "requantize", "tg_requantize_params_t", in_dtype="int16", act_dtype="int32"),
        _s16("tg_requantize_s32_s16", "requantize", "tg_requantize_params_t", in_dtype="int32"),
        _s16("tg_requantize_s8_s32", "requantize", "tg_requantize_params_t", in_dtype="int8", act_dtype="int32"),
        _s16("tg_requantize_s32_s8", "requantize", "tg_requantize_params_t", in_dtype="int32", act_dtype="int8"),
        _s16("tg_add_s16", "add", "tg_add_params_t", _OPERAND),
        _s16("tg_sub_s16", "sub", "tg_add_broadcast_params_t", _OPERAND),
        _s16("tg_mul_s16", "mul", "tg_mul_params_t", _OPERAND),
        _s16("tg_pad_s16", "pad", "tg_pad_params_t"),
        _s16("tg_strided_slice_s16", "strided_slice", "tg_strided_slice_params_t"),
        _s16("tg_leaky_relu_s16", "leaky_relu", "tg_leaky_relu_params_t"),
        # RELU requantizes (TFLite's ReluQuantized): tg_requantize_s16 with RELU's parameters
        _s16("tg_requantize_s16", "relu", "tg_requantize_params_t"),
        _s16("tg_clamp_s16", "clamp", "tg_clamp_params_t"),
        _s16("tg_max_pool2d_s16", "max_pool2d", "tg_pool2d_params_t"),
        _s16("tg_avg_pool2d_s16", "avg_pool2d", "tg_pool2d_params_t"),
        # the int8 kernels' logic on two-byte elements: CONCATENATION and slice (torch chunk) are
        # tg_concat_s8's and tg_slice_s8's byte copies, TRANSPOSE tg_transpose_s8's loop
        # (tg_transpose_elements.h)
        _s16("tg_concat_s16", "concat", "tg_concat_params_t", calls=("kernels/tg_concat_s8.c",)),
        _s16("tg_slice_s16", "slice", "tg_slice_params_t", calls=("kernels/tg_slice_s8.c",)),
        _s16("tg_transpose_s16", "transpose", "tg_transpose_params_t", headers=("kernels/tg_transpose_elements.h",)),
        # one kernel, two ops (as tg_mean_s8): SUM is MEAN with nothing folded into the multiplier
        *(_s16("tg_mean_s16", op, "tg_mean_params_t") for op in ("mean", "sum")),
        # TFLite Micro's interpolation of its sigmoid table, which the recurrent kernels' gates share
        *(_s16(f"tg_{op}_lut_s16", op, "tg_sigmoid_s16_params_t", calls=(SIGMOID_TABLE_SOURCE,),
               headers=("kernels/tg_kernels_recurrent.h",)) for op in ("logistic", "tanh")),
        _s16("tg_prelu_s16", "prelu", "tg_prelu_params_t", ("alpha",)),
        _s16("tg_squared_difference_s16", "squared_difference", "tg_add_broadcast_params_t", _OPERAND),
        _s16("tg_rsqrt_s16", "rsqrt", "tg_rsqrt_params_t", headers=("kernels/tg_inv_sqrt.h",)),
        _s16("tg_batch_matmul_s16", "batch_matmul", "tg_batch_matmul_params_t",
             headers=("kernels/tg_batch_matmul_s8.h",)),
        # int16 in and out (TFLite's SoftmaxInt16 and its two LUTs, the kernel's one constant)
        _s16("tg_softmax_s16", "softmax", "tg_softmax_s16_params_t", _PACKED, pack=softmax_s16_tables),
        # int8 in, int16 out (TFLite's SOFTMAX into 1/65536, -32768)
        _s16("tg_softmax_s8_s16", "softmax", "tg_softmax_params_t", in_dtype="int8"),
        # int16 x int8 products summed in int64, an int64 bias (every variant of the op)
        *(_s16("tg_conv2d_s16", "conv2d", "tg_conv2d_params_t", _REQUANT, variant=v, weight=True)
          for v in (None, "1x1")),
        *(_s16("tg_depthwise_conv2d_s16", "depthwise_conv2d", "tg_conv2d_params_t", _REQUANT, variant=v, weight=True)
          for v in (None, "depth_multiplier_1", "depth_multiplier_n")),
        _s16("tg_fully_connected_s16", "fully_connected", "tg_fully_connected_params_t", _REQUANT, weight=True),
        _s16("tg_transpose_conv2d_s16", "transpose_conv2d", "tg_transpose_conv2d_params_t", _REQUANT, weight=True),
    )
