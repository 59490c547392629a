"""KernelSpecs of the float32 math kernels (a float .tflite run as it is; firmware/kernels/math/
*_f32.c, declared in tg_kernels_math.h, parameters from tinygen.kernels.params_math_f32, numpy
twins in tinygen.ref.mathops_f32). tinygen.kernels.table appends them to its catalogue;
tinygen.kernels.float_table lists the ones calling the C library (MATH_KERNELS, LIBM_KERNELS)."""

from __future__ import annotations

from tinygen.kernels.spec import _OPERAND, KernelSpec

HEADER = "kernels/tg_kernels_math.h"
UNARY_FUNCTIONS = ("abs", "neg", "square", "sqrt", "floor", "ceil", "round", "exp", "log", "cos", "sin", "elu")
# the unary kernels calling the C library: exact in every one, or not (LIBM_F32_FUNCTIONS)
MATH_F32_KERNELS = frozenset(f"tg_{fn}_f32" for fn in ("abs", "sqrt", "floor", "ceil", "round", "exp", "log", "cos",
                                                        "sin", "elu", "log_softmax", "l2_norm", "l2_pool2d")) | {
    "tg_floor_div_f32", "tg_floor_mod_f32"}
# the C library's functions each calls (tinygen.kernels.float_table.LIBM_FUNCTIONS)
LIBM_F32_FUNCTIONS = {"tg_exp_f32": ("expf",), "tg_log_f32": ("logf",), "tg_cos_f32": ("cosf",),
                      "tg_sin_f32": ("sinf",), "tg_elu_f32": ("expm1f",), "tg_log_softmax_f32": ("expf", "logf")}


def _f32(name: str, op: str, struct: str, fn: str | None = None, act_dtype: str = "float32",
         const_roles: tuple[str, ...] = (), headers: tuple[str, ...] = ()) -> KernelSpec:
    accepts = None if fn is None else (lambda graph, node: node.attrs["fn"] == fn)
    return KernelSpec(name, op, act_dtype=act_dtype, in_dtype="float32", struct=struct, const_roles=const_roles,
                      source=f"kernels/{name}.c", headers=(HEADER, *headers), accepts=accepts)


def math_f32_kernels() -> tuple[KernelSpec, ...]:
    return (*(_f32(f"tg_{fn}_f32", "unary", "tg_size_f32_params_t", fn) for fn in UNARY_FUNCTIONS),
            _f32("tg_floor_div_f32", "floor_div", "tg_binary_f32_params_t", const_roles=_OPERAND),
            _f32("tg_floor_mod_f32", "floor_mod", "tg_binary_f32_params_t", const_roles=_OPERAND),
            _f32("tg_add_n_f32", "add_n", "tg_add_n_f32_params_t"),
            _f32("tg_cumsum_f32", "cumsum", "tg_cumsum_f32_params_t"),
            *(_f32(f"tg_reduce_{fn}_f32", "reduce_min_max", "tg_axis_params_t", fn) for fn in ("max", "min")),
            *(_f32(f"tg_arg_{fn}_f32_s32", "arg_min_max", "tg_axis_params_t", fn, "int32") for fn in ("max", "min")),
            # over the last dimension (expf and logf; sqrtf)
            _f32("tg_log_softmax_f32", "log_softmax", "tg_rows_f32_params_t"),
            _f32("tg_l2_norm_f32", "l2_norm", "tg_rows_f32_params_t"),
            _f32("tg_l2_pool2d_f32", "l2_pool2d", "tg_pool2d_f32_params_t", headers=("kernels/tg_pool2d_f32.h",)),
            _f32("tg_resize_bilinear_f32", "resize_bilinear", "tg_resize_bilinear_f32_params_t"))
