"""KernelSpecs of the comparing and magnitude operators on quantized integers
(firmware/kernels/math/, declared in tg_kernels_math.h, parameters from
tinygen.kernels.params_math, numpy twins in tinygen.ref.mathops): portable C.
tinygen.kernels.table appends them to its catalogue."""

from __future__ import annotations

from tinygen.kernels.spec import KernelSpec

HEADER = "kernels/tg_kernels_math.h"
_DTYPES = {"s8": "int8", "s16": "int16"}


def _math(name: str, op: str, act: str, struct: str, in_dtype: str | None = None, accepts=None,
          const_roles: tuple[str, ...] = ()) -> KernelSpec:
    return KernelSpec(name, op, act_dtype=act, in_dtype=in_dtype, struct=struct, const_roles=const_roles,
                      source=f"kernels/{name}.c", headers=(HEADER,), accepts=accepts)


def _fn(fn: str):
    """Accepts the nodes computing `fn` (the op's attribute: "maximum", "min", ...)."""
    return lambda graph, node: node.attrs["fn"] == fn


def math_kernels() -> tuple[KernelSpec, ...]:
    pairs = tuple(_math(f"tg_{fn}_{suffix}", "min_max", dtype, "tg_add_broadcast_params_t", accepts=_fn(fn),
                        const_roles=("operand",))
                  for suffix, dtype in _DTYPES.items() for fn in ("maximum", "minimum"))
    axes = tuple(_math(f"tg_reduce_{fn}_s8", "reduce_min_max", "int8", "tg_axis_params_t", accepts=_fn(fn))
                 for fn in ("max", "min"))
    args = tuple(_math(f"tg_arg_{fn}_s8_s32", "arg_min_max", "int32", "tg_axis_params_t", in_dtype="int8",
                       accepts=_fn(fn)) for fn in ("max", "min"))
    return pairs + axes + args + (_math("tg_abs_s16", "abs", "int16", "tg_abs_params_t"),
                                  _math("tg_l2_norm_s8", "l2_norm", "int8", "tg_l2_norm_params_t"),
                                  _math("tg_add_n_s8", "add_n", "int8", "tg_add_n_params_t"),
                                  _math("tg_cumsum_s8", "cumsum", "int8", "tg_cumsum_params_t"),
                                  _math("tg_log_softmax_s8", "log_softmax", "int8", "tg_log_softmax_params_t"))
