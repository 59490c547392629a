"""KernelSpecs of TFLite Micro's builtin ops on plain (unquantized) integer tensors
(firmware/kernels/plain/, declared in tg_kernels_plain.h, parameters from
tinygen.kernels.params_plain, numpy twins in tinygen.ref.plain): portable C.
tinygen.kernels.table appends them to its catalogue. tg_cast serves every pair of types it
converts (one entry per pair, same kernel)."""

from __future__ import annotations

from tinygen.kernels.spec import KernelSpec

HEADER = "kernels/tg_kernels_plain.h"
CAST_FROM = ("int8", "int16", "int32", "uint32")
CAST_TO = CAST_FROM + ("float32",)


def _plain(name: str, op: str, act: str, struct: str, const_roles: tuple[str, ...] = (),
           in_dtype: str | None = None) -> KernelSpec:
    return KernelSpec(name, op, act_dtype=act, in_dtype=in_dtype, struct=struct, const_roles=const_roles,
                      source=f"kernels/{name}.c", headers=(HEADER,))


def plain_kernels() -> tuple[KernelSpec, ...]:
    casts = tuple(_plain("tg_cast", "cast", to, "tg_cast_params_t", in_dtype=src)
                  for src in CAST_FROM for to in CAST_TO if to != src)
    return casts + (
        _plain("tg_int_binary_s32", "int_binary", "int32", "tg_int_binary_params_t", ("operand",)),
        _plain("tg_strided_slice_s32", "strided_slice", "int32", "tg_strided_slice_params_t"),
        _plain("tg_concat_const_s32", "concat_const", "int32", "tg_concat_const_params_t", ("head", "tail")),
    )
