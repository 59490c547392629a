"""KernelSpecs of the data-movement kernels on elements of any size
(firmware/kernels/layout/tg_kernels_moves.h, parameters from tinygen.kernels.params_moves,
numpy twins in tinygen.ref.moves): one C function per operation, listed once per element
type it serves (int8, int16 and float32 activations; int32 and float32 in a plain-integer
model). A gather whose values are a constant takes its int32 indices as its activation input
(in_dtype int32). tinygen.kernels.table appends them to its catalogue."""

from __future__ import annotations

from tinygen.kernels.spec import KernelSpec

HEADER = "kernels/tg_kernels_moves.h"
MOVE_DTYPES = ("int8", "int16", "int32", "float32")


def _move(name: str, op: str, struct: str, act: str, in_dtype: str | None = None,
          const_roles: tuple[str, ...] = ()) -> KernelSpec:
    # the twins take a gather's constants where its activations would be (interpreter.run_node)
    return KernelSpec(name, op, act_dtype=act, in_dtype=in_dtype, struct=struct, const_roles=const_roles,
                      source=f"kernels/{name}.c", headers=(HEADER,), ref_roles=())


def move_kernels() -> tuple[KernelSpec, ...]:
    copies = tuple(_move("tg_strided_copy", "strided_copy", "tg_strided_copy_params_t", dtype) for dtype in MOVE_DTYPES)
    # a gather's constant values or indices: flash arrays in the kernel's argument order (codegen.operands.emit_roles)
    gathers = tuple(_move("tg_gather", "gather", "tg_gather_params_t", dtype, in_dtype, ("values", "indices"))
                    for dtype in MOVE_DTYPES for in_dtype in dict.fromkeys((dtype, "int32")))
    updates = tuple(_move("tg_dynamic_update_slice", "dynamic_update_slice", "tg_dynamic_update_slice_params_t", dtype)
                    for dtype in MOVE_DTYPES)
    return copies + gathers + updates
