"""KernelSpecs of comparisons and selection on bool tensors (firmware/kernels/select/, declared in
tg_kernels_select.h, parameters from tinygen.kernels.params_select, numpy twins in
tinygen.ref.select): portable C. act_dtype is the output's, in_dtype the first activation
operand's (a SELECT_V2 whose condition is a constant has its x or y first, hence two entries).
tinygen.kernels.table appends them to its catalogue."""

from __future__ import annotations

from tinygen.ir import ROLE_OPERAND_OPS
from tinygen.kernels.spec import KernelSpec

HEADER = "kernels/tg_kernels_select.h"
# the dtypes TFLite Micro compares (its int16 GREATER leaves its rescaling unset: refused at import)
COMPARE_DTYPES = {"int8": "s8", "int32": "s32", "float32": "f32", "bool": "bool"}
# the dtypes TFLite Micro's SELECT_V2 selects (one kernel copying their bytes)
SELECT_DTYPES = ("int8", "int16", "float32")


def _spec(name: str, op: str, act: str, struct: str, in_dtype: str | None) -> KernelSpec:
    # const_roles: the operands that may be constants (written to flash); the emitter and the
    # twin take every operand in role order (tinygen.ir.role_operands), hence no ref_roles
    return KernelSpec(name, op, act_dtype=act, in_dtype=in_dtype, struct=struct, source=f"kernels/{name}.c",
                      headers=(HEADER,), const_roles=ROLE_OPERAND_OPS[op], ref_roles=())


def select_kernels() -> tuple[KernelSpec, ...]:
    compares = tuple(_spec(f"tg_compare_{suffix}", "compare", "bool",
                           "tg_compare_s8_params_t" if dtype == "int8" else "tg_compare_params_t", dtype)
                     for dtype, suffix in COMPARE_DTYPES.items())
    selects = tuple(_spec("tg_select", "select", dtype, "tg_select_params_t", first)
                    for dtype in SELECT_DTYPES for first in ("bool", dtype))
    return compares + selects + (_spec("tg_logical_bool", "logical", "bool", "tg_compare_params_t", "bool"),)
