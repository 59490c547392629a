"""KernelSpecs of the float32 kernels (a float .tflite run as it is: TFLite Micro's float
reference kernels, bit for bit; firmware/kernels/support/tg_kernels_f32.h, parameters from
tinygen.kernels.params_float). tinygen.kernels.table appends them to its catalogue; they
serve nodes whose output is float32 (act_dtype) with float32 weights."""

from __future__ import annotations

from tinygen.kernels.math_f32_table import LIBM_F32_FUNCTIONS, MATH_F32_KERNELS
from tinygen.kernels.params_float import lstm_f32_state_bytes, lstm_f32_scratch_bytes
from tinygen.kernels.spec import _OPERAND, KernelSpec

LOGISTIC_HEADER = "kernels/tg_logistic_f32.h"        # tg_logistic_value_f32
POOL_HEADER = "kernels/tg_pool2d_f32.h"              # tg_pool2d_walk_f32
# the kernels calling the C library's expf / tanhf / ..., whose results differ between libms
# (benchmarks/libm_agreement.py; RSQRT's sqrtf is correctly rounded in every one), and the
# functions each calls: a firmware with them evaluates those on request (`tg libm`)
LIBM_FUNCTIONS = {"tg_softmax_f32": ("expf",), "tg_logistic_f32": ("expf",), "tg_tanh_f32": ("tanhf",),
                  "tg_lstm_f32": ("expf", "tanhf"), **LIBM_F32_FUNCTIONS}
# ... and DETECTION_POSTPROCESS's box decoding, which calls the C library's double exp (glibc's
# and newlib's are both ARM's optimized-routines exp; `tg libm` evaluates float functions only)
LIBM_KERNELS = frozenset(LIBM_FUNCTIONS) | {"tg_detection_postprocess_f32"}
# every kernel calling the C library's math functions: none links in a freestanding build
MATH_KERNELS = LIBM_KERNELS | {"tg_rsqrt_f32"} | MATH_F32_KERNELS


def _f32(name: str, op: str, struct: str, const_roles: tuple[str, ...] = (), variants=(None,),
         weight: bool = False, headers: tuple[str, ...] = (), act_dtype: str = "float32",
         in_dtype: str | None = None) -> tuple[KernelSpec, ...]:
    return tuple(KernelSpec(name, op, act_dtype=act_dtype, in_dtype=in_dtype, struct=struct, const_roles=const_roles,
                            source=f"kernels/{name}.c", variant=v, weight_dtype="float32" if weight else None,
                            weight_bits=32 if weight else None, headers=headers) for v in variants)


def _fn(fn: str):
    """Accepts the min_max nodes computing `fn` ("minimum", "maximum")."""
    return lambda graph, node: node.attrs["fn"] == fn


def float_kernels() -> tuple[KernelSpec, ...]:
    return (
        *_f32("tg_conv2d_f32", "conv2d", "tg_conv2d_f32_params_t", ("weight", "bias"), (None, "1x1"), True),
        *_f32("tg_depthwise_conv2d_f32", "depthwise_conv2d", "tg_conv2d_f32_params_t", ("weight", "bias"),
              (None, "depth_multiplier_1", "depth_multiplier_n"), True),
        *_f32("tg_fully_connected_f32", "fully_connected", "tg_fully_connected_f32_params_t", ("weight", "bias"),
              weight=True),
        *_f32("tg_add_f32", "add", "tg_binary_f32_params_t", _OPERAND, (None, "broadcast")),
        *_f32("tg_sub_f32", "sub", "tg_binary_f32_params_t", _OPERAND),
        *_f32("tg_mul_f32", "mul", "tg_binary_f32_params_t", _OPERAND),
        *_f32("tg_clamp_f32", "clamp", "tg_clamp_f32_params_t"),
        *_f32("tg_max_pool2d_f32", "max_pool2d", "tg_pool2d_f32_params_t", headers=(POOL_HEADER,)),
        *_f32("tg_avg_pool2d_f32", "avg_pool2d", "tg_pool2d_f32_params_t", headers=(POOL_HEADER,)),
        # the C library's expf / tanhf, as TFLite Micro's float kernels (tinygen.ref.float32_nonlinear)
        *_f32("tg_softmax_f32", "softmax", "tg_softmax_f32_params_t"),
        *_f32("tg_logistic_f32", "logistic", "tg_size_f32_params_t", headers=(LOGISTIC_HEADER,)),
        *_f32("tg_tanh_f32", "tanh", "tg_size_f32_params_t"),
        *_f32("tg_transpose_conv2d_f32", "transpose_conv2d", "tg_conv2d_f32_params_t", ("weight", "bias"),
              weight=True),
        *_f32("tg_batch_matmul_f32", "batch_matmul", "tg_batch_matmul_params_t"),
        *_f32("tg_div_f32", "div", "tg_binary_f32_params_t", _OPERAND),
        *(KernelSpec(f"tg_{fn}_f32", "min_max", act_dtype="float32", struct="tg_binary_f32_params_t",
                     const_roles=_OPERAND, source=f"kernels/tg_{fn}_f32.c", accepts=_fn(fn))
          for fn in ("minimum", "maximum")),
        *_f32("tg_leaky_relu_f32", "leaky_relu", "tg_leaky_relu_f32_params_t"),
        *_f32("tg_hard_swish_f32", "hard_swish", "tg_size_f32_params_t"),
        *_f32("tg_rsqrt_f32", "rsqrt", "tg_size_f32_params_t"),
        *_f32("tg_prelu_f32", "prelu", "tg_binary_f32_params_t", ("alpha",)),
        *_f32("tg_squared_difference_f32", "squared_difference", "tg_binary_f32_params_t", _OPERAND),
        *_f32("tg_reduce_f32", "mean", "tg_reduce_f32_params_t"),
        *_f32("tg_reduce_f32", "sum", "tg_reduce_f32_params_t"),
        # a float model's integer ports: TFLite's Dequantize and AffineQuantize
        *_f32("tg_dequantize_s8_f32", "requantize", "tg_quantize_f32_params_t", in_dtype="int8"),
        *_f32("tg_dequantize_s16_f32", "requantize", "tg_quantize_f32_params_t", in_dtype="int16"),
        *_f32("tg_quantize_f32_s8", "requantize", "tg_quantize_f32_params_t", act_dtype="int8", in_dtype="float32"),
        *_f32("tg_quantize_f32_s16", "requantize", "tg_quantize_f32_params_t", act_dtype="int16",
              in_dtype="float32"),
        # data movement: the int8 kernels' parameters in elements
        KernelSpec("tg_concat_f32", "concat", act_dtype="float32", struct="tg_concat_params_t",
                   source="kernels/tg_concat_f32.c", calls=("kernels/tg_concat_s8.c",)),
        *_f32("tg_pad_f32", "pad", "tg_pad_f32_params_t"),
        *_f32("tg_transpose_f32", "transpose", "tg_transpose_params_t"),
        *_f32("tg_strided_slice_f32", "strided_slice", "tg_strided_slice_params_t"),
        *_f32("tg_mirror_pad_f32", "mirror_pad", "tg_mirror_pad_params_t"),
        KernelSpec("tg_lstm_f32", "lstm", act_dtype="float32", struct="tg_lstm_f32_params_t",
                   const_roles=("w_ih", "w_hh", "bias", "h0", "c0"), source="kernels/tg_lstm_f32.c",
                   headers=(LOGISTIC_HEADER,), calls=("kernels/tg_lstm_reset_f32.c",),
                   scratch=lstm_f32_scratch_bytes, state=lstm_f32_state_bytes),
    )
